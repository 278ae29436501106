package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/crossdockhq/crossdock/hub/bus"
)

func init() { addCommand(newDLQCmd) }

// dlqCommonFlags are the flags every dlq subcommand shares.
type dlqCommonFlags struct {
	dsn    string
	asJSON bool
}

func (f *dlqCommonFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.dsn, "data", defaultDataDSN, "hub database: sqlite:PATH or postgres://...")
	cmd.Flags().BoolVar(&f.asJSON, "json", false, "print JSON instead of a table")
}

// dlqFilterFlags select dead letters (list, replay --all, purge).
type dlqFilterFlags struct {
	pipeline, step, handler, topic, status string
	olderThan                              time.Duration
}

func (f *dlqFilterFlags) register(cmd *cobra.Command, withStatus bool) {
	cmd.Flags().StringVar(&f.pipeline, "pipeline", "", "only dead letters of this pipeline")
	cmd.Flags().StringVar(&f.step, "step", "", "only dead letters of this pipeline step")
	cmd.Flags().StringVar(&f.handler, "handler", "", "only dead letters of this bus handler")
	cmd.Flags().StringVar(&f.topic, "topic", "", "only dead letters consumed from this topic")
	if withStatus {
		cmd.Flags().StringVar(&f.status, "status", "", "only pending (not yet replayed) or replayed dead letters")
	}
	cmd.Flags().DurationVar(&f.olderThan, "older-than", 0, "only dead letters older than this, e.g. 72h")
}

func (f dlqFilterFlags) filter() bus.Filter {
	flt := bus.Filter{Pipeline: f.pipeline, Step: f.step, Handler: f.handler, Topic: f.topic, Status: f.status}
	if f.olderThan > 0 {
		flt.Before = time.Now().Add(-f.olderThan)
	}
	return flt
}

func (f dlqFilterFlags) empty() bool { return f.filter() == bus.Filter{} }

// dlqOpen opens the hub database and its dead-letter queue.
func dlqOpen(cmd *cobra.Command, g *globals, dsn string) (*bus.DeadLetters, func(), error) {
	db, err := openExistingDB(cmd, dsn)
	if err != nil {
		return nil, nil, err
	}
	b, err := bus.New(db, bus.Config{}, g.logger())
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return b.DeadLetters(), func() { db.Close() }, nil
}

func newDLQCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dlq",
		Short: "Inspect, replay and purge dead letters (messages the hub could not process)",
		Long: `A message lands in the dead-letter queue when a pipeline step keeps failing
on it: the bus retries it with exponential backoff, and when the retries run out
(or the error is permanent, such as a malformed record) it stores the message
with the reason, the pipeline, the step and the topic it came from, and moves on.

  list     the dead letters, oldest first, with filters
  show     one dead letter in full: reason, metadata, payload
  replay   publish the original message to its topic again, once; the running
           hub processes it like a new arrival (handlers are idempotent, so a
           replay never doubles an effect)
  purge    delete dead letters you no longer need

Every subcommand works on the hub database named by --data (the hub.data
setting of hub.yaml); replay and purge work whether or not the hub is running.`,
		Example: `  crossdock dlq list
  crossdock dlq list --pipeline orders-in --status pending
  crossdock dlq show 01JDX4K8Q3M6T2V9B7C5N1F0ZA
  crossdock dlq replay 01JDX4K8Q3M6T2V9B7C5N1F0ZA
  crossdock dlq replay --all --pipeline orders-in
  crossdock dlq purge --status replayed --older-than 720h`,
	}
	cmd.AddCommand(newDLQListCmd(g), newDLQShowCmd(g), newDLQReplayCmd(g), newDLQPurgeCmd(g))
	return cmd
}

func newDLQListCmd(g *globals) *cobra.Command {
	var (
		flags dlqCommonFlags
		flt   dlqFilterFlags
		limit int
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List dead letters, oldest first",
		Long: `list prints one line per dead letter: its id (for show and replay), when it
failed, the pipeline and step, the topic, whether it has been replayed, and the
first line of the reason. Filters combine (AND).`,
		Example: `  crossdock dlq list
  crossdock dlq list --status pending --limit 20
  crossdock dlq list --pipeline orders-in --step reserve --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dlq, closeDB, err := dlqOpen(cmd, g, flags.dsn)
			if err != nil {
				return err
			}
			defer closeDB()
			f := flt.filter()
			f.Limit = limit
			dls, err := dlq.List(cmd.Context(), f)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if flags.asJSON {
				if dls == nil {
					dls = []bus.DeadLetter{}
				}
				return dlqWriteJSON(out, dls)
			}
			if len(dls) == 0 {
				fmt.Fprintln(out, "no dead letters")
				return nil
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tFAILED AT\tPIPELINE\tSTEP\tTOPIC\tSTATUS\tREASON")
			for _, dl := range dls {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", dl.ID, dl.CreatedAt.Format(time.RFC3339),
					dlqDash(dl.Pipeline), dlqDash(dl.Step), dl.Topic, dlqStatus(dl), dlqFirstLine(dl.Reason, 70))
			}
			return tw.Flush()
		},
	}
	flags.register(cmd)
	flt.register(cmd, true)
	cmd.Flags().IntVar(&limit, "limit", 100, "show at most this many")
	return cmd
}

func newDLQShowCmd(g *globals) *cobra.Command {
	var flags dlqCommonFlags
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show one dead letter in full",
		Long: `show prints everything stored about one dead letter: where it failed (handler,
pipeline, step, topic), the full reason (a panic includes its stack), the original
message's UUID, metadata (correlation_id ties it to the ingress record) and payload.`,
		Example: `  crossdock dlq show 01JDX4K8Q3M6T2V9B7C5N1F0ZA
  crossdock dlq show 01JDX4K8Q3M6T2V9B7C5N1F0ZA --json | jq .payload`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dlq, closeDB, err := dlqOpen(cmd, g, flags.dsn)
			if err != nil {
				return err
			}
			defer closeDB()
			dl, err := dlq.Get(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if flags.asJSON {
				return dlqWriteJSON(out, dl)
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "ID:\t%s\n", dl.ID)
			fmt.Fprintf(tw, "Failed at:\t%s\n", dl.CreatedAt.Format(time.RFC3339))
			fmt.Fprintf(tw, "Status:\t%s\n", dlqStatus(dl))
			if dl.ReplayedAt != nil {
				fmt.Fprintf(tw, "Replayed at:\t%s\n", dl.ReplayedAt.Format(time.RFC3339))
			}
			fmt.Fprintf(tw, "Pipeline:\t%s\n", dlqDash(dl.Pipeline))
			fmt.Fprintf(tw, "Step:\t%s\n", dlqDash(dl.Step))
			fmt.Fprintf(tw, "Handler:\t%s\n", dl.Handler)
			fmt.Fprintf(tw, "Topic:\t%s\n", dl.Topic)
			fmt.Fprintf(tw, "Message:\t%s\n", dl.MessageUUID)
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(out, "Reason:\n  %s\n", strings.ReplaceAll(strings.TrimSpace(dl.Reason), "\n", "\n  "))
			fmt.Fprintln(out, "Metadata:")
			md, _ := json.MarshalIndent(dl.Metadata, "  ", "  ")
			fmt.Fprintf(out, "  %s\n", md)
			fmt.Fprintln(out, "Payload:")
			var pretty any
			if json.Unmarshal([]byte(dl.Payload), &pretty) == nil {
				p, _ := json.MarshalIndent(pretty, "  ", "  ")
				fmt.Fprintf(out, "  %s\n", p)
			} else {
				fmt.Fprintf(out, "  %s\n", dl.Payload)
			}
			return nil
		},
	}
	flags.register(cmd)
	return cmd
}

// dlqReplayResult is one line of replay's output.
type dlqReplayResult struct {
	ID     string `json:"id"`
	Result string `json:"result"` // replayed | already replayed | error
	Error  string `json:"error,omitempty"`
}

func newDLQReplayCmd(g *globals) *cobra.Command {
	var (
		flags dlqCommonFlags
		flt   dlqFilterFlags
		all   bool
	)
	cmd := &cobra.Command{
		Use:   "replay [ID...]",
		Short: "Publish dead letters' original messages to their topics again",
		Long: `replay publishes each dead letter's original message (same UUID, payload and
metadata) to the topic it was consumed from, and marks the dead letter replayed,
in one transaction. A dead letter is replayed at most once: replaying it again
reports "already replayed" and changes nothing. Fix the cause first (a mapping, a
credential, missing stock data); a replay that fails again becomes a new dead letter.

Name dead letters by id, or use --all with filters to replay every pending match.
Exits 1 if any replay failed.`,
		Example: `  crossdock dlq replay 01JDX4K8Q3M6T2V9B7C5N1F0ZA
  crossdock dlq replay --all --pipeline orders-in --step route`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if all == (len(args) > 0) {
				return errors.New("name dead letter ids, or use --all (with filters), not both")
			}
			dlq, closeDB, err := dlqOpen(cmd, g, flags.dsn)
			if err != nil {
				return err
			}
			defer closeDB()
			ids := args
			if all {
				f := flt.filter()
				f.Status, f.Limit = bus.StatusPending, 1<<30
				dls, err := dlq.List(cmd.Context(), f)
				if err != nil {
					return err
				}
				for _, dl := range dls {
					ids = append(ids, dl.ID)
				}
			}
			results := make([]dlqReplayResult, 0, len(ids))
			failed := false
			for _, id := range ids {
				r := dlqReplayResult{ID: id, Result: "replayed"}
				ok, err := dlq.Replay(cmd.Context(), id)
				switch {
				case err != nil:
					r.Result, r.Error, failed = "error", err.Error(), true
				case !ok:
					r.Result = "already replayed"
				}
				results = append(results, r)
			}
			out := cmd.OutOrStdout()
			if flags.asJSON {
				if err := dlqWriteJSON(out, results); err != nil {
					return err
				}
			} else {
				if len(results) == 0 {
					fmt.Fprintln(out, "no pending dead letters match")
				}
				for _, r := range results {
					if r.Error != "" {
						fmt.Fprintf(out, "%s  error: %s\n", r.ID, r.Error)
						continue
					}
					fmt.Fprintf(out, "%s  %s\n", r.ID, r.Result)
				}
			}
			if failed {
				return exitError{code: 1}
			}
			return nil
		},
	}
	flags.register(cmd)
	flt.register(cmd, false)
	cmd.Flags().BoolVar(&all, "all", false, "replay every pending dead letter matching the filters")
	return cmd
}

func newDLQPurgeCmd(g *globals) *cobra.Command {
	var (
		flags dlqCommonFlags
		flt   dlqFilterFlags
		all   bool
	)
	cmd := &cobra.Command{
		Use:   "purge",
		Short: "Delete dead letters",
		Long: `purge deletes the dead letters matching the filters and prints how many. It
refuses to run without a filter unless --all says you mean every dead letter.
Deleting a pending dead letter drops its message for good; purge replayed ones,
or old ones, to keep the queue readable.`,
		Example: `  crossdock dlq purge --status replayed
  crossdock dlq purge --older-than 720h
  crossdock dlq purge --all`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if flt.empty() && !all {
				return errors.New("purge needs a filter (--status, --pipeline, --step, --handler, --topic, --older-than) or --all")
			}
			dlq, closeDB, err := dlqOpen(cmd, g, flags.dsn)
			if err != nil {
				return err
			}
			defer closeDB()
			n, err := dlq.Purge(cmd.Context(), flt.filter())
			if err != nil {
				return err
			}
			if flags.asJSON {
				return dlqWriteJSON(cmd.OutOrStdout(), map[string]int64{"purged": n})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "purged %d dead letter(s)\n", n)
			return nil
		},
	}
	flags.register(cmd)
	flt.register(cmd, true)
	cmd.Flags().BoolVar(&all, "all", false, "purge every dead letter")
	return cmd
}

func dlqWriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func dlqStatus(dl bus.DeadLetter) string {
	if dl.Replayed() {
		return bus.StatusReplayed
	}
	return bus.StatusPending
}

func dlqDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// dlqFirstLine is the first line of s, cut to max runes.
func dlqFirstLine(s string, max int) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if r := []rune(s); len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return s
}
