package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/akresp/akresp/internal/incident"
	"github.com/akresp/akresp/internal/policy"
	"github.com/akresp/akresp/internal/respond"
	"github.com/akresp/akresp/internal/safetext"
	"github.com/akresp/akresp/internal/state"
)

// disableSchema is the schema version of disable's JSON output.
const disableSchema = "akresp.disable/v3"

// DisableOptions holds the dependencies and flags of `akresp disable`.
type DisableOptions struct {
	IO       *IOStreams
	Now      func() time.Time
	Logger   *slog.Logger
	Settings func() (*Settings, error)
	Prompter Prompter
	// Backend returns the cloud to talk to. Tests replace it.
	Backend func(ctx context.Context) (respond.DisableCloud, error)

	KeyID       string
	Enable      bool
	Delete      bool
	QuietPeriod time.Duration
	Observe     time.Duration
	Force       bool

	retry string
}

func newCmdDisable(f *Factory, runF func(context.Context, *DisableOptions) error) *cobra.Command {
	opts := &DisableOptions{IO: f.IO, Now: f.Now, Settings: f.Settings, Prompter: f.Prompter}
	cmd := &cobra.Command{
		Use:   "disable <AK-ID>",
		Short: "Disable an AccessKey not in use (and later delete it); re-enable it",
		Long: `Disable an AccessKey (UpdateAccessKey Status Inactive), journaled.

The response plan says to disable directly only keys that are not in use:
disable shows the key's last use (time, service, source IP) and refuses
(exit 4) when it was used legitimately within --quiet-period unless --force.
Use from sources the incident flagged as the attacker (the audit and contain
journals under --state-dir) does not count: it is shown ("used in the last
24h only from flagged sources: ...") and does not block. For a key in
legitimate use, rotate it instead (akresp rotate).

--enable re-activates the key: the rollback when something breaks.
--delete deletes a key that is already disabled, once it has been disabled
for --observe (from the journal, else from its last use) unless --force, and
says whether the key can still be restored from the IMS recycle bin.

disable never touches the key akresp itself runs with.`,
		Example: `  akresp disable LTAI5tExampleKey00000001 --dry-run
  akresp disable LTAI5tExampleKey00000001 --yes
  akresp disable LTAI5tExampleKey00000001 --enable --yes
  akresp disable LTAI5tExampleKey00000001 --delete --yes`,
		Args: exactKeyArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.KeyID = strings.TrimSpace(args[0])
			if f.Logger != nil {
				opts.Logger = f.Logger()
			}
			if opts.Backend == nil {
				opts.Backend = func(ctx context.Context) (respond.DisableCloud, error) { return f.Cloud(ctx) }
			}
			opts.retry = retryCommand(cmd, opts.KeyID)
			if err := validateDisable(opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runDisable(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.Enable, "enable", false, "re-activate the key (rollback)")
	fl.BoolVar(&opts.Delete, "delete", false, "delete the key; it must already be disabled")
	fl.Var(newDurationFlag(&opts.QuietPeriod, respond.DefaultQuietPeriod), "quiet-period", "refuse to disable a key used more recently than this")
	fl.Var(newDurationFlag(&opts.Observe, respond.DefaultObserve), "observe", "refuse to delete a key disabled more recently than this")
	fl.BoolVar(&opts.Force, "force", false, "proceed past the quiet-period and observe-period rails")
	setOutputFormats(cmd, FormatTable, FormatJSON)
	return cmd
}

func validateDisable(o *DisableOptions) error {
	id, err := policy.ParseAccessKeyID(o.KeyID)
	if err != nil {
		return NewUsageError(err)
	}
	o.KeyID = id
	if policy.IsSTS(id) {
		return UsageErrorf("disable %s: STS tokens cannot be disabled; they expire on their own (deny the role to stop them sooner)", safetext.Line(id))
	}
	if o.Enable && o.Delete {
		return UsageErrorf("--enable and --delete contradict each other; pick one")
	}
	if o.QuietPeriod <= 0 {
		return UsageErrorf("--quiet-period %s: want a positive duration such as 24h", o.QuietPeriod)
	}
	if o.Observe <= 0 {
		return &UsageError{Err: fmt.Errorf("--observe %s: want a positive duration such as 168h", o.Observe),
			HintMsg: "to delete before the observation period ends, keep --observe and add --force; run 'akresp disable --help' for usage"}
	}
	return nil
}

func (o *DisableOptions) mode() string {
	switch {
	case o.Enable:
		return respond.ModeEnable
	case o.Delete:
		return respond.ModeDelete
	}
	return respond.ModeDisable
}

func runDisable(ctx context.Context, o *DisableOptions) error {
	s, err := o.Settings()
	if err != nil {
		return err
	}
	c, err := o.Backend(ctx)
	if err != nil {
		return err
	}
	mode := o.mode()
	if !s.DryRun {
		lock, err := state.LockKey(s.StateDir, o.KeyID, mode, o.Now())
		if err != nil {
			return err
		}
		defer lock.Unlock()
	}
	view := newRespondView(o.IO, s, disableSchema)
	defer view.flush()
	// "In use" means legitimate use: the incident record (journals under
	// --state-dir) says which sources are the attacker's.
	rec, err := incident.Load(s.StateDir, o.KeyID)
	if err != nil {
		return err
	}
	legit := func(ip netip.Addr, t time.Time) bool { return rec.Legitimate(incident.Call{Time: t, SourceIP: ip}) }
	dp, err := respond.PlanDisable(ctx, c, respond.DisableOptions{KeyID: o.KeyID, Mode: mode, QuietPeriod: o.QuietPeriod,
		Observe: o.Observe, Force: o.Force, StateDir: s.StateDir, Legitimate: legit, Now: o.Now})
	if err != nil {
		return err
	}
	if rot := rec.Rotation; mode == respond.ModeDelete && rot != nil && !rot.Finished && !rot.RolledBack && !rot.DisabledAt.IsZero() {
		// The rotation owns its old key: deleting it here leaves the
		// rotation to find it gone.
		dp.Notes = append(dp.Notes, fmt.Sprintf("%s is the old key of a rotation at step %s (new key %s): `akresp rotate %s --delete` deletes it and completes the rotation, with the rotation's own observation window",
			o.KeyID, rot.Step, rot.NewKeyID, o.KeyID))
	}
	dp.CreatedBy = rec.CreatedBy
	view.lastUse = &dp.LastUse
	if !dp.DisabledAt.IsZero() {
		view.disabledAt = &dp.DisabledAt
	}
	if !view.json {
		fmt.Fprintln(o.IO.Out, lastUseLine(dp.LastUse, o.Now()))
		if len(dp.FlaggedUse) > 0 {
			fmt.Fprintln(o.IO.Out, "Last legitimate use: "+strings.TrimPrefix(lastUseLine(dp.LastLegitimate, o.Now()), "Last use: "))
		}
	}
	view.Plan(dp.Plan)
	if r := dp.Blocked(); r != nil {
		view.refused(r)
		return &SafetyRailError{Rule: r.Rule, Detail: r.Detail, Override: r.Override}
	}
	p := dp.Plan
	if p.Changes() == 0 {
		_, err := respond.Execute(ctx, p, respond.ExecOptions{StateDir: s.StateDir, View: view, Now: o.Now})
		return err
	}
	keyID := safetext.Line(o.KeyID)
	if proceed, err := ConfirmPlan(ConfirmOptions{IO: o.IO, Prompter: o.Prompter, Yes: s.Yes, DryRun: s.DryRun,
		Verb: mode + " " + keyID, Prompt: fmt.Sprintf("%s %s at %s?", strings.ToUpper(mode[:1])+mode[1:], keyID, p.Operator.Endpoint)},
		func() error { view.dryRun(); return nil }); !proceed {
		return err
	}
	hard, stop := secondInterrupt(ctx)
	defer stop()
	sum, err := respond.Execute(ctx, p, respond.ExecOptions{StateDir: s.StateDir, View: view, Now: o.Now, Hard: hard,
		RecheckAfter: 5 * time.Second, Retry: o.retry})
	if err == nil && mode == respond.ModeDelete && sum != nil {
		note := respond.RecycleBinNote(ctx, c, p)
		if note == "" {
			note = "the key is deleted; akresp found no IMS recycle bin entry to restore it from"
		}
		view.recycleBin = note
		fmt.Fprintln(o.IO.ErrOut, note)
	}
	return err
}

func lastUseLine(l respond.LastUse, now time.Time) string {
	if !l.Found {
		return "Last use: none recorded"
	}
	line := fmt.Sprintf("Last use: %s (%s ago)", l.Time.UTC().Format(time.RFC3339), now.Sub(l.Time).Round(time.Minute))
	if l.Service != "" {
		line += ", service " + l.Service
	}
	if l.IP != "" {
		line += ", from " + l.IP
	}
	return line
}
