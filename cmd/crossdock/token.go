package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/crossdockhq/crossdock/hub/auth"
)

func init() { addCommand(newTokenCmd) }

func newTokenCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Make API tokens and the hashes hub.yaml declares them by",
		Long: `The hub's API accepts bearer tokens declared under api.tokens in hub.yaml, each
with a name and a role (admin, csr or readonly). hub.yaml holds only the SHA-256
of each token, so the file reveals no secret. 'token new' makes a random token
and prints the lines to paste; 'token hash' prints them for a token you have.`,
		Example: `  crossdock token new --name helpdesk --role csr
  printf %s "$TOKEN" | crossdock token hash --name dashboard --role readonly`,
	}
	cmd.AddCommand(newTokenNewCmd(g), newTokenHashCmd(g))
	return cmd
}

// tokenFlags are the name and role every token subcommand declares.
type tokenFlags struct {
	name, role string
	asJSON     bool
}

func (f *tokenFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.name, "name", "", "the client's name, shown in logs and the audit log (required)")
	cmd.Flags().StringVar(&f.role, "role", "readonly", "admin, csr (reads everything, changes orders) or readonly")
	cmd.Flags().BoolVar(&f.asJSON, "json", false, "print name, role, sha256 (and token) as JSON")
}

// entry checks the flags and builds the hub.yaml entry for a token.
func (f *tokenFlags) entry(token string) (auth.TokenConfig, error) {
	tc := auth.TokenConfig{Name: f.name, Role: auth.Role(f.role), SHA256: auth.HashToken(token)}
	if f.name == "" {
		return tc, errors.New("--name is required: it identifies the client in logs and the audit log")
	}
	if err := (auth.Config{Tokens: []auth.TokenConfig{tc}}).Validate(); err != nil {
		return tc, fmt.Errorf("token: %w", err)
	}
	return tc, nil
}

func printTokenEntry(w io.Writer, tc auth.TokenConfig) {
	fmt.Fprintln(w, "# Paste under api.tokens in hub.yaml:")
	fmt.Fprintf(w, "  - name: %s\n    role: %s\n    sha256: %s\n", tc.Name, tc.Role, tc.SHA256)
}

func printTokenJSON(w io.Writer, tc auth.TokenConfig, token string) error {
	v := struct {
		Name   string `json:"name"`
		Role   string `json:"role"`
		SHA256 string `json:"sha256"`
		Token  string `json:"token,omitempty"`
	}{tc.Name, string(tc.Role), tc.SHA256, token}
	return json.NewEncoder(w).Encode(v)
}

func newTokenNewCmd(g *globals) *cobra.Command {
	var f tokenFlags
	cmd := &cobra.Command{
		Use:   "new",
		Short: "Make a random API token and print its hub.yaml entry",
		Long: `new makes a random token (256 bits, prefixed cdk_) and prints it once, with the
hub.yaml entry that declares it by its SHA-256. Give the token to the client,
which sends it as "Authorization: Bearer <token>"; Crossdock cannot show it
again. To revoke it, delete its entry and reload the hub.`,
		Example: `  crossdock token new --name helpdesk --role csr
  crossdock token new --name ops --role admin --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			token, err := auth.NewToken()
			if err != nil {
				return err
			}
			tc, err := f.entry(token)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if f.asJSON {
				return printTokenJSON(out, tc, token)
			}
			fmt.Fprintf(out, "# API token for %q (role %s), shown only this once.\n", tc.Name, tc.Role)
			fmt.Fprintf(out, "# The client sends it as: Authorization: Bearer <token>\n")
			fmt.Fprintf(out, "token: %s\n\n", token)
			printTokenEntry(out, tc)
			return nil
		},
	}
	f.register(cmd)
	return cmd
}

func newTokenHashCmd(g *globals) *cobra.Command {
	var f tokenFlags
	cmd := &cobra.Command{
		Use:   "hash",
		Short: "Print the hub.yaml entry for a token read from standard input",
		Long: `hash reads a token from the first line of standard input (so it stays out of
the shell history and the process list) and prints the hub.yaml entry that
declares it by its SHA-256.`,
		Example: `  printf %s "$DASHBOARD_TOKEN" | crossdock token hash --name dashboard --role readonly
  crossdock token hash --name ops --role admin < ops.token`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return fmt.Errorf("read token from stdin: %w", err)
			}
			token := strings.TrimSpace(line)
			if token == "" {
				return errors.New("no token on standard input: pipe it in, e.g. printf %s \"$TOKEN\" | crossdock token hash --name NAME")
			}
			if len(token) < auth.MinTokenLength {
				return fmt.Errorf("token is shorter than %d characters; make a strong one with 'crossdock token new'", auth.MinTokenLength)
			}
			tc, err := f.entry(token)
			if err != nil {
				return err
			}
			if f.asJSON {
				return printTokenJSON(cmd.OutOrStdout(), tc, "")
			}
			printTokenEntry(cmd.OutOrStdout(), tc)
			return nil
		},
	}
	f.register(cmd)
	return cmd
}
