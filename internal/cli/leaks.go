package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/leaks"
	"github.com/akresp/akresp/internal/policy"
	"github.com/akresp/akresp/internal/state"
)

// Schema versions of the leaks JSON outputs.
const (
	leaksSchema        = "akresp.leaks/v2"
	leaksResolveSchema = "akresp.leaks-resolve/v2"
)

// LeaksCloud is what `akresp leaks` needs of the cloud.
type LeaksCloud interface {
	leaks.Resolver
	leaks.KeyReader
	GetCallerIdentity(ctx context.Context) (cloud.CallerIdentity, error)
	Endpoint() string
}

// LeaksOptions holds the dependencies and flags of `akresp leaks` and
// `akresp leaks resolve`.
type LeaksOptions struct {
	IO       *IOStreams
	Now      func() time.Time
	Logger   *slog.Logger
	Settings func() (*Settings, error)
	Prompter Prompter
	Backend  func(ctx context.Context) (LeaksCloud, error)
	print    PrintOptions

	Status string // pending | handled | all
	KeyID  string
}

func newCmdLeaks(f *Factory, runF func(context.Context, *LeaksOptions) error) *cobra.Command {
	opts := &LeaksOptions{IO: f.IO, Now: f.Now, Settings: f.Settings, Prompter: f.Prompter}
	backend := func(ctx context.Context) (LeaksCloud, error) { return f.Cloud(ctx) }
	cmd := &cobra.Command{
		Use:   "leaks",
		Short: "List Security Center's AccessKey leak records with each key's state and next step",
		Long: `List Security Center's AccessKey leak records (its scan of public GitHub code:
where the key was found, when, whether the leaked secret worked), joined with
each key's current state (owner, status, last use) and its incident record
under --state-dir (contained, disabled, deleted). Each row ends with the
command that fits its state: contain a leaked key that is not fenced in,
rotate or disable a contained one, audit one whose state is unclear, and
'akresp leaks resolve' once the key is contained, disabled or deleted.

Reads only: Security Center (yundun-aegis:DescribeAccesskeyLeakList and
DescribeAccessKeyLeakDetail), IMS, RAM and ActionTrail.`,
		Example: `  akresp leaks
  akresp leaks --status all -o json
  akresp leaks --key LTAI5tExampleKey00000001 -o csv
  akresp leaks resolve LTAI5tExampleKey00000001 --yes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Backend == nil {
				opts.Backend = backend
			}
			if f.Logger != nil {
				opts.Logger = f.Logger()
			}
			if err := validateLeaks(opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			s, err := opts.Settings()
			if err != nil {
				return err
			}
			opts.print = printOptions(f, s)
			return runLeaks(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Status, "status", leaks.StatusPending, "records to list: pending, handled or all")
	fl.StringVar(&opts.KeyID, "key", "", "list only the records of this AccessKey ID")
	_ = cmd.RegisterFlagCompletionFunc("status", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{leaks.StatusPending, leaks.StatusHandled, "all"}, cobra.ShellCompDirectiveNoFileComp
	})
	setOutputFormats(cmd, FormatTable, FormatJSON, FormatCSV)
	cmd.AddCommand(newCmdLeaksResolve(f, backend, nil))
	return cmd
}

func validateLeaks(o *LeaksOptions) error {
	switch o.Status {
	case leaks.StatusPending, leaks.StatusHandled, "all":
	default:
		return UsageErrorf("--status %q: want pending, handled or all", o.Status)
	}
	if o.KeyID != "" {
		id, err := policy.ParseAccessKeyID(o.KeyID)
		if err != nil {
			return NewUsageError(fmt.Errorf("--key: %w", err))
		}
		o.KeyID = id
	}
	return nil
}

// leaksResult is the JSON document and the table of `akresp leaks`.
type leaksResult struct {
	Schema string      `json:"schema_version"`
	Status string      `json:"status"`
	Count  int         `json:"count"`
	Leaks  []leaks.Row `json:"leaks"`
}

func (r leaksResult) Columns() []string {
	return []string{"Key", "Status", "Found", "Where", "Secret (SAS check)", "Owner", "Key status", "Last used", "Incident", "Next"}
}

func (r leaksResult) Rows() [][]any {
	out := make([][]any, 0, len(r.Leaks))
	for _, l := range r.Leaks {
		var last any
		if !l.Key.LastUsed.IsZero() {
			last = l.Key.LastUsed
		}
		status := l.Key.Status
		if !l.Key.Exists {
			status = "deleted"
		} else if status == "" {
			status = "unknown"
		}
		out = append(out, []any{l.KeyID, l.Status, l.FoundAt, l.URL, l.SecretValidity, l.Key.Owner, status, last,
			incidentCell(l.Incident), l.Next})
	}
	return out
}

func incidentCell(i leaks.IncidentState) string {
	var parts []string
	if i.Contained {
		parts = append(parts, "contained")
	}
	if !i.DisabledAt.IsZero() {
		parts = append(parts, "disabled")
	}
	if !i.DeletedAt.IsZero() {
		parts = append(parts, "deleted")
	}
	if i.RotationInProgress {
		parts = append(parts, "rotating")
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ",")
}

func runLeaks(ctx context.Context, o *LeaksOptions) error {
	s, err := o.Settings()
	if err != nil {
		return err
	}
	c, err := o.Backend(ctx)
	if err != nil {
		return err
	}
	status := o.Status
	if status == "all" {
		status = ""
	}
	rows, err := leaks.List(ctx, c, c, leaks.ListOptions{Status: status, KeyID: o.KeyID, StateDir: s.StateDir, Now: o.Now})
	if err != nil {
		return err
	}
	for _, r := range rows {
		if r.Warning != "" {
			fmt.Fprintf(o.IO.ErrOut, "warning: leak record %d (%s): %s\n", r.ID, r.KeyID, r.Warning)
		}
		if r.Key.Problem != "" {
			fmt.Fprintf(o.IO.ErrOut, "warning: %s: %s\n", r.KeyID, r.Key.Problem)
		}
	}
	res := leaksResult{Schema: leaksSchema, Status: o.Status, Count: len(rows), Leaks: rows}
	if res.Leaks == nil {
		res.Leaks = []leaks.Row{}
	}
	if s.Output == FormatTable && len(rows) == 0 {
		fmt.Fprintf(o.IO.ErrOut, "no %s leak records in Security Center\n", strings.ReplaceAll(o.Status, "all", "AccessKey"))
		return nil
	}
	p, err := NewPrinter(s.Output, o.print)
	if err != nil {
		return err
	}
	return p.Print(o.IO.Out, res)
}

// LeaksResolveOptions holds the dependencies and flags of `leaks resolve`.
type LeaksResolveOptions struct {
	IO       *IOStreams
	Now      func() time.Time
	Settings func() (*Settings, error)
	Prompter Prompter
	Backend  func(ctx context.Context) (LeaksCloud, error)

	KeyID string
}

func newCmdLeaksResolve(f *Factory, backend func(context.Context) (LeaksCloud, error), runF func(context.Context, *LeaksResolveOptions) error) *cobra.Command {
	opts := &LeaksResolveOptions{IO: f.IO, Now: f.Now, Settings: f.Settings, Prompter: f.Prompter, Backend: backend}
	cmd := &cobra.Command{
		Use:   "resolve <AK-ID>",
		Short: "Mark a key's Security Center leak records handled, once it is contained",
		Long: `Mark a key's pending Security Center leak records handled
(ModifyAccessKeyLeakDeal), journaled under the key.

It refuses (exit 4) unless the incident record under --state-dir shows the
key contained, disabled or deleted, or the key no longer exists: a record
marked handled while the key still works hides a live leak. A disabled or
deleted key is marked "disable", a contained one "manual", with a remark
saying what akresp did and when. The service only acknowledges the
request, so each record is read back; one still pending fails the command.`,
		Example: `  akresp leaks resolve LTAI5tExampleKey00000001 --dry-run
  akresp leaks resolve LTAI5tExampleKey00000001 --yes`,
		Args: exactKeyArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := policy.ParseAccessKeyID(strings.TrimSpace(args[0]))
			if err != nil {
				return NewUsageError(err)
			}
			opts.KeyID = id
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runLeaksResolve(cmd.Context(), opts)
		},
	}
	setOutputFormats(cmd, FormatTable, FormatJSON)
	return cmd
}

type leaksResolveResult struct {
	Schema   string                `json:"schema_version"`
	KeyID    string                `json:"access_key_id"`
	Outcome  string                `json:"outcome"` // resolved | already-handled | refused | dry-run | partial
	Reason   string                `json:"reason,omitempty"`
	DealType string                `json:"deal_type,omitempty"`
	Records  []leaks.ResolveResult `json:"records"`
	Refusal  *leaks.Refusal        `json:"refusal,omitempty"`
}

func runLeaksResolve(ctx context.Context, o *LeaksResolveOptions) error {
	s, err := o.Settings()
	if err != nil {
		return err
	}
	c, err := o.Backend(ctx)
	if err != nil {
		return err
	}
	jsonOut := s.Output == FormatJSON
	res := leaksResolveResult{Schema: leaksResolveSchema, KeyID: o.KeyID, Records: []leaks.ResolveResult{}}
	emit := func() error {
		if jsonOut {
			return jsonPrinter{}.Print(o.IO.Out, res)
		}
		return nil
	}
	if !s.DryRun {
		lock, err := state.LockKey(s.StateDir, o.KeyID, leaks.CommandResolve, o.Now())
		if err != nil {
			return err
		}
		defer lock.Unlock()
	}
	p, err := leaks.PlanResolve(ctx, c, c, s.StateDir, o.KeyID)
	if err != nil {
		if errors.Is(err, leaks.ErrNoRecord) {
			return &ExitError{Code: ExitRuntime, Err: err}
		}
		return err
	}
	if p.Refusal != nil {
		res.Outcome, res.Refusal = "refused", p.Refusal
		if err := emit(); err != nil {
			return err
		}
		return &SafetyRailError{Rule: p.Refusal.Rule, Detail: p.Refusal.Detail, Override: p.Refusal.Override}
	}
	if len(p.Pending) == 0 {
		res.Outcome = "already-handled"
		if !jsonOut {
			fmt.Fprintf(o.IO.Out, "%s: every Security Center leak record is already handled (%d); nothing to do\n", o.KeyID, len(p.Handled))
		}
		return emit()
	}
	res.Reason, res.DealType = p.Reason, p.DealType
	if !jsonOut {
		fmt.Fprintf(o.IO.Out, "Plan: mark %d Security Center leak record(s) of %s handled (%s) at %s: %s\n",
			len(p.Pending), o.KeyID, p.DealType, c.Endpoint(), p.Reason)
		for _, r := range p.Pending {
			// A change to each record (terraform's ~): yellow on a terminal.
			writeColoredLine(o.IO.Out, o.IO.Palette().Change, fmt.Sprintf("  record %d, found %s at %s", r.ID, r.FoundAt.UTC().Format(time.RFC3339), r.URL))
		}
	}
	if proceed, err := ConfirmPlan(ConfirmOptions{IO: o.IO, Prompter: o.Prompter, Yes: s.Yes, DryRun: s.DryRun,
		Verb: "leaks resolve " + o.KeyID, Prompt: fmt.Sprintf("Mark %d leak record(s) of %s handled?", len(p.Pending), o.KeyID)},
		func() error {
			res.Outcome = "dry-run"
			for _, r := range p.Pending {
				res.Records = append(res.Records, leaks.ResolveResult{ID: r.ID, Result: "planned"})
			}
			return emit()
		}); !proceed {
		return err
	}
	operator := ""
	if id, err := c.GetCallerIdentity(ctx); err == nil {
		operator = id.Arn
	}
	results, applyErr := leaks.ApplyResolve(ctx, c, p, leaks.ApplyOptions{StateDir: s.StateDir, Now: o.Now,
		Operator: operator, Endpoint: c.Endpoint()})
	res.Records = append(res.Records, results...)
	res.Outcome = "resolved"
	if applyErr != nil {
		res.Outcome = "partial"
	}
	if !jsonOut {
		for _, r := range results {
			line := fmt.Sprintf("record %d: %s", r.ID, r.Result)
			if r.RequestID != "" {
				line += " (request " + r.RequestID + ")"
			}
			if r.Error != "" {
				line += ": " + r.Error
			}
			colour := o.IO.Palette().OK
			if r.Error != "" {
				colour = o.IO.Palette().Error
			}
			writeColoredLine(o.IO.Out, colour, line)
		}
	}
	if err := emit(); err != nil {
		return err
	}
	return applyErr
}
