package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/crossdockhq/crossdock/hub/audit"
	"github.com/crossdockhq/crossdock/hub/store"
)

func init() { addCommand(newAuditCmd) }

// defaultDataDSN is where the hub keeps its database unless hub.yaml says otherwise.
const defaultDataDSN = "sqlite:data/hub.db"

func newAuditCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Inspect and verify the hub's tamper-evident audit log",
		Long: `The audit log records every change made through the API, every config load
and every refused webhook: who, what, when, before and after. Each entry carries
the hash of the one before it, so any edit, deletion or reordering of stored
entries is detected by 'crossdock audit verify'.

Both subcommands read the hub database named by --data (the hub.data setting of
hub.yaml); they never change it.`,
		Example: `  crossdock audit verify
  crossdock audit verify --data postgres://crossdock@db.internal/crossdock
  crossdock audit list --subject order:1001`,
	}
	cmd.AddCommand(newAuditVerifyCmd(g), newAuditListCmd(g))
	return cmd
}

func newAuditVerifyCmd(g *globals) *cobra.Command {
	var dsn string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Recompute the audit hash chain and report the first broken link",
		Long: `verify recomputes the hash of every audit entry, from the first to the chain
head, and checks that each entry links to the one before it. It exits 0 when the
chain is intact, and 1 when it is not, naming the first broken entry and what
differs: its content no longer matches its hash (an entry was edited), its
prev_hash does not match the entry before (an entry was replaced), or entries
are missing (deleted). Verification reads only, and hub writes go on meanwhile.`,
		Example: `  crossdock audit verify
  crossdock audit verify --data sqlite:/var/lib/crossdock/hub.db
  crossdock audit verify --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openExistingDB(cmd, dsn)
			if err != nil {
				return err
			}
			defer db.Close()
			rep, err := audit.New(db).Verify(cmd.Context())
			if err != nil {
				return noAuditLog(err)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else if rep.OK() {
				fmt.Fprintf(out, "audit log intact: %d entries, head %d %s\n", rep.Entries, rep.LastID, rep.LastHash)
			} else {
				fmt.Fprintf(out, "audit log BROKEN at %s\n", rep.Broken)
				fmt.Fprintf(out, "  check: %s; stored: %s; expected: %s\n", rep.Broken.Check, orNone(rep.Broken.Stored), orNone(rep.Broken.Want))
				fmt.Fprintf(out, "  intact entries before it: %d; entries the chain head records: %d\n", rep.Entries, rep.LastID)
			}
			if !rep.OK() {
				return exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dsn, "data", defaultDataDSN, "hub database: sqlite:PATH or postgres://...")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

func newAuditListCmd(g *globals) *cobra.Command {
	var (
		dsn, since, until string
		f                 audit.Filter
		oldest, asJSON    bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List audit entries, newest first",
		Long: `list prints audit entries, newest first (--oldest for the other way), filtered
by actor, action, subject and time. --json prints one JSON object per line with
the before and after states (already scrubbed of secrets and card data).

Page through a long log with --before-id (newest first) or --after-id (with
--oldest), passing the last id printed.`,
		Example: `  crossdock audit list
  crossdock audit list --subject order:1001 --json
  crossdock audit list --actor token:helpdesk --since 2026-11-01T00:00:00Z --limit 500
  crossdock audit list --action webhook.refused`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if f.Since, err = parseTimeFlag("since", since); err != nil {
				return err
			}
			if f.Until, err = parseTimeFlag("until", until); err != nil {
				return err
			}
			f.Newest = !oldest
			db, err := openExistingDB(cmd, dsn)
			if err != nil {
				return err
			}
			defer db.Close()
			entries, err := audit.New(db).List(cmd.Context(), f)
			if err != nil {
				return noAuditLog(err)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				for _, e := range entries {
					if err := enc.Encode(e); err != nil {
						return err
					}
				}
				return nil
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tAT\tACTOR\tACTION\tSUBJECT\tREMOTE")
			for _, e := range entries {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.At.Format(time.RFC3339), e.Actor, e.Action, e.Subject, e.RemoteAddr)
			}
			return tw.Flush()
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&dsn, "data", defaultDataDSN, "hub database: sqlite:PATH or postgres://...")
	fl.StringVar(&f.Actor, "actor", "", "only entries by this actor (token:NAME, connector:NAME, system)")
	fl.StringVar(&f.Action, "action", "", "only entries with this action (order.cancel, config.load, ...)")
	fl.StringVar(&f.Subject, "subject", "", "only entries about this subject (order:1001, ...)")
	fl.StringVar(&since, "since", "", "only entries at or after this RFC 3339 time")
	fl.StringVar(&until, "until", "", "only entries before this RFC 3339 time")
	fl.Int64Var(&f.AfterID, "after-id", 0, "only entries with a greater id")
	fl.Int64Var(&f.BeforeID, "before-id", 0, "only entries with a smaller id")
	fl.IntVar(&f.Limit, "limit", 50, fmt.Sprintf("at most this many entries (max %d)", audit.MaxLimit))
	fl.BoolVar(&oldest, "oldest", false, "oldest first")
	fl.BoolVar(&asJSON, "json", false, "one JSON object per line, with before and after")
	return cmd
}

// openExistingDB opens the hub database without creating it: verifying an
// empty new file would only hide a wrong path.
func openExistingDB(cmd *cobra.Command, dsn string) (*store.DB, error) {
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		path = strings.TrimPrefix(path, "//")
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no hub database at %s (set --data to the hub.data of hub.yaml)", path)
		}
	}
	db, err := store.Open(cmd.Context(), dsn)
	if err != nil {
		return nil, err
	}
	return db, nil
}

func parseTimeFlag(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("--%s: want an RFC 3339 time such as 2026-11-01T00:00:00Z, got %q", name, v)
	}
	return t, nil
}

func orNone(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

// noAuditLog explains the error of a database the hub never migrated.
func noAuditLog(err error) error {
	msg := err.Error()
	if strings.Contains(msg, "no such table") || (strings.Contains(msg, "audit_") && strings.Contains(msg, "does not exist")) {
		return fmt.Errorf("this database has no audit log yet (the hub creates it when it first starts): %w", err)
	}
	return err
}
