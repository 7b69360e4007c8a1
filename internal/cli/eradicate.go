package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/akresp/akresp/internal/audit"
	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/incident"
	"github.com/akresp/akresp/internal/policy"
	"github.com/akresp/akresp/internal/respond"
	"github.com/akresp/akresp/internal/safetext"
	"github.com/akresp/akresp/internal/state"
)

// eradicateSchema is the JSON schema of eradicate's output.
const eradicateSchema = "akresp.eradicate/v3"

// EradicateCloud is what `akresp eradicate` needs: respond's interfaces,
// the audit's event reads and the regional ActionTrail lookups.
type EradicateCloud interface {
	respond.EradicateCloud
	audit.Cloud
	LookupEventsIn(ctx context.Context, region string, q cloud.LookupQuery, page func(events []json.RawMessage) error) error
	ActionTrailRegions(ctx context.Context) ([]string, error)
	Region() string
}

// EradicateOptions holds the dependencies and flags of `akresp eradicate`.
type EradicateOptions struct {
	IO       *IOStreams
	Now      func() time.Time
	Settings func() (*Settings, error)
	Prompter Prompter
	Backend  func(ctx context.Context) (EradicateCloud, error)

	KeyID    string
	Observe  time.Duration
	Release  bool
	Lookback time.Duration
	Undo     bool
	Status   bool
	NoCost   bool
}

func newCmdEradicate(f *Factory, runF func(context.Context, *EradicateOptions) error) *cobra.Command {
	opts := &EradicateOptions{IO: f.IO, Now: f.Now, Settings: f.Settings, Prompter: f.Prompter}
	cmd := &cobra.Command{
		Use:   "eradicate <AK-ID>",
		Short: "Remove the attacker's foothold: created users, keys, instances, opened ports; count the cost",
		Long: `Remove what the attacker did with a leaked AccessKey.

eradicate reads the incident (the journal's flagged sources and onset, or an
audit of the key when there is none) and the events of the key and of every
AccessKey the attacker created with it, in every ActionTrail region. From the
attacker's successful writes it plans:

  - RAM users the attacker created: delete the console login, detach every
    policy, remove from groups, disable their AccessKeys; a re-run after
    --observe (default 24h, from the journal) deletes the keys, then the user
  - changes to users it did not create: only that change is reverted (a key
    created for them disabled, a policy detached, a group left, a console
    login removed)
  - ECS instances it created (any region): StopInstances in the economical
    mode (billing stops, disks stay); --release releases instances stopped
    for at least --observe
  - security-group rules it opened: RevokeSecurityGroup

The observation period runs from akresp's own disable or stop (its journal);
for a key or instance someone else disabled or stopped, from the first
eradicate run that finds it so (journaled even when nothing else changes).

A resource a legitimate (unflagged) source also wrote to is kept and shown
as "kept: ... also used by ...". What cannot be reverted (released instances,
deleted snapshots and trails, changed passwords) is listed as unrecoverable
with the event that did it.

The cost of the attacker's instances comes from the bills (BSS
QueryInstanceBill) since they were created: the spend so far and the spend
per hour if nothing is stopped. Without permission to read bills, one
warning says so and the rest runs.

Same machinery as contain: plan, confirmation (--yes, --dry-run), parallel
apply within the write quotas, drift check per action, journal, verification;
a re-run plans nothing more. --undo restores what is reversible (keys
re-enabled, policies and groups back, instances started, rules re-opened)
and names what is not (deleted logins, keys, users, released instances).
--status shows what is still to do.`,
		Example: `  akresp eradicate LTAI5tExampleKey00000001 --dry-run
  akresp eradicate LTAI5tExampleKey00000001 --yes
  akresp eradicate LTAI5tExampleKey00000001 --release --yes     # after the observation period
  akresp eradicate LTAI5tExampleKey00000001 --status
  akresp eradicate LTAI5tExampleKey00000001 --undo --yes`,
		Args: exactKeyArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := policy.ParseAccessKeyID(strings.TrimSpace(args[0]))
			if err != nil {
				return NewUsageError(err)
			}
			opts.KeyID = id
			if opts.Observe <= 0 {
				return &UsageError{Err: fmt.Errorf("--observe %s: want a positive duration such as 24h", opts.Observe),
					HintMsg: "eradicate deletes keys and users (releases instances) only once they have stayed disabled (stopped) that long; the shortest is 1s; run 'akresp eradicate --help' for usage"}
			}
			if opts.Lookback <= 0 || opts.Lookback > audit.LookupRetention {
				return UsageErrorf("--lookback %s: want a duration up to 90 days (2160h)", opts.Lookback)
			}
			if opts.Undo && (opts.Status || opts.Release) {
				return UsageErrorf("--undo cannot be combined with --status or --release")
			}
			if opts.Backend == nil {
				opts.Backend = func(ctx context.Context) (EradicateCloud, error) { return f.Cloud(ctx) }
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runEradicate(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.Var(newDurationFlag(&opts.Observe, respond.DefaultEradicateObserve), "observe", "how long the attacker's keys stay disabled (instances stopped) before a re-run deletes (releases) them")
	fl.BoolVar(&opts.Release, "release", false, "release the attacker's instances stopped for at least --observe (cannot be undone)")
	fl.Var(newDurationFlag(&opts.Lookback, 7*24*time.Hour), "lookback", "how far back to read events when the incident has no onset (max 90 days)")
	fl.BoolVar(&opts.Undo, "undo", false, "restore what eradicate changed and can be reverted")
	fl.BoolVar(&opts.Status, "status", false, "show what is still to do and change nothing")
	fl.BoolVar(&opts.NoCost, "no-cost", false, "do not read bills")
	setOutputFormats(cmd, FormatTable, FormatJSON)
	return cmd
}

func runEradicate(ctx context.Context, o *EradicateOptions) error {
	s, err := o.Settings()
	if err != nil {
		return err
	}
	c, err := o.Backend(ctx)
	if err != nil {
		return err
	}
	keyID := safetext.Line(o.KeyID)
	if !s.DryRun && !o.Status {
		lock, err := state.LockKey(s.StateDir, o.KeyID, "eradicate", o.Now())
		if err != nil {
			return err
		}
		defer lock.Unlock()
	}
	view := &eradicateView{respondView: newRespondView(o.IO, s, eradicateSchema)}
	defer view.flush()

	var p *respond.Plan
	if o.Undo {
		p, err = respond.PlanEradicateUndo(ctx, c, o.KeyID, s.StateDir, o.Now)
	} else {
		var ev *respond.EradicateEvidence
		ev, err = eradicateEvidence(ctx, c, s.StateDir, o)
		if err == nil {
			p, err = respond.PlanEradicate(ctx, c, respond.EradicateOptions{KeyID: o.KeyID, Evidence: ev, Observe: o.Observe,
				Release: o.Release, StateDir: s.StateDir, Now: o.Now})
		}
		if err == nil && !o.NoCost {
			var br respond.BillReader
			if b, ok := c.(respond.BillReader); ok {
				br = b
			}
			p.Cost = respond.EradicateCost(ctx, br, p, o.Now())
		}
	}
	if err != nil {
		return err
	}
	view.Plan(p)
	if p.Cost != nil && p.Cost.Warning != "" {
		view.Diagnostics([]respond.Diagnostic{{Severity: "warning", Target: "billing", Summary: p.Cost.Warning}})
	}
	if o.Status {
		msg := fmt.Sprintf("%s: %d change(s) still to make", o.KeyID, p.Changes())
		if w := p.Waits(); w != "" && !o.Undo {
			msg += "; " + w
		}
		view.summary = &respond.Summary{Command: p.Command, KeyID: o.KeyID, State: statusState(p), Message: msg}
		if !view.json {
			fmt.Fprintf(o.IO.Out, "\nStatus: %s\n", view.summary.Message)
		}
		return nil
	}
	if p.Changes() == 0 {
		_, err := respond.Execute(ctx, p, respond.ExecOptions{StateDir: s.StateDir, View: view, Now: o.Now, DryRun: s.DryRun})
		return err
	}
	verb := "eradicate the attacker's changes made with " + keyID
	if o.Undo {
		verb = "undo the eradication for " + keyID
	}
	if proceed, err := ConfirmPlan(ConfirmOptions{IO: o.IO, Prompter: o.Prompter, Yes: s.Yes, DryRun: s.DryRun,
		Verb: verb, Prompt: fmt.Sprintf("Apply %d change(s) at %s?", p.Changes(), p.Operator.Endpoint)},
		func() error { view.dryRun(); return nil }); !proceed {
		return err
	}
	hard, stop := secondInterrupt(ctx)
	defer stop()
	retry := "akresp eradicate " + o.KeyID + " --yes"
	if o.Undo {
		retry = "akresp eradicate " + o.KeyID + " --undo --yes"
	}
	_, err = respond.Execute(ctx, p, respond.ExecOptions{StateDir: s.StateDir, View: view, Now: o.Now, Hard: hard,
		RecheckAfter: 5 * time.Second, Retry: retry})
	return err
}

func statusState(p *respond.Plan) string {
	if p.Changes() == 0 {
		return respond.StateEradicated
	}
	return "pending"
}

// eradicateEvidence gathers the flagged sources (incident record, else an
// audit of the key) and the events of the key and of every AccessKey the
// attacker created with it, to a fixpoint, in every ActionTrail region.
func eradicateEvidence(ctx context.Context, c EradicateCloud, stateDir string, o *EradicateOptions) (*respond.EradicateEvidence, error) {
	now := o.Now()
	rec, err := incident.Load(stateDir, o.KeyID)
	if err != nil {
		return nil, fmt.Errorf("eradicate %s: read the incident record: %w", o.KeyID, err)
	}
	ev := &respond.EradicateEvidence{Flagged: slices.Clone(rec.Flagged), Onset: rec.Onset}
	if len(ev.Flagged) == 0 {
		r, err := audit.Investigate(ctx, c, audit.InvestigateOptions{
			Engine: audit.Options{KeyID: o.KeyID, Now: now}, Since: now.Add(-o.Lookback), Until: now, Online: true, Incident: rec,
		})
		if err != nil {
			return nil, fmt.Errorf("eradicate %s: audit the key to find the attacker's sources: %w", o.KeyID, err)
		}
		for _, src := range r.Sources {
			if ip, err := netip.ParseAddr(src.IP); err == nil && src.Attacker {
				ev.Flagged = append(ev.Flagged, ip)
			}
		}
		if ev.Onset.IsZero() {
			ev.Onset = auditOnset(r)
		}
	}
	since := now.Add(-o.Lookback)
	if !ev.Onset.IsZero() && ev.Onset.Add(-time.Hour).Before(since) {
		since = ev.Onset.Add(-time.Hour)
	}
	if min := now.Add(-audit.LookupRetention); since.Before(min) {
		since = min
	}
	regions, err := c.ActionTrailRegions(ctx)
	if err != nil || len(regions) == 0 {
		regions = nil
	}
	if !slices.Contains(regions, c.Region()) {
		regions = append([]string{c.Region()}, regions...)
	}
	seen := map[string]bool{}
	keys := []string{o.KeyID}
	done := map[string]bool{}
	for len(keys) > 0 {
		key := keys[0]
		keys = keys[1:]
		if done[key] {
			continue
		}
		done[key] = true
		for _, region := range regions {
			q := cloud.LookupQuery{AttributeKey: "EventAccessKeyId", AttributeValue: key, Start: since, End: now.Add(time.Minute)}
			err := c.LookupEventsIn(ctx, region, q, func(page []json.RawMessage) error {
				for _, raw := range page {
					e, err := audit.ParseEvent(raw, audit.Origin{Kind: audit.OriginLookup})
					if err != nil || seen[e.ID] {
						continue
					}
					seen[e.ID] = true
					ip, _ := netip.ParseAddr(e.SourceIP)
					if rec.Classify(incident.Call{Time: e.Time, SourceIP: ip, ErrorCode: e.ErrorCode, RequestID: e.RequestID}) == incident.Own {
						continue
					}
					ref := respond.EventRef{ID: e.ID, Time: e.Time, Name: e.Name, Service: e.Service, Region: e.Region, SourceIP: e.SourceIP,
						AccessKeyID: e.AccessKeyID, ErrorCode: e.ErrorCode, Params: e.Params, Response: e.Response}
					ev.Events = append(ev.Events, ref)
					// Keys the attacker created: follow their events too.
					if e.Name == "CreateAccessKey" && e.ErrorCode == "" && ip.IsValid() && slices.Contains(ev.Flagged, ip.Unmap()) {
						if m, ok := e.Response["AccessKey"].(map[string]any); ok {
							if id, ok := m["AccessKeyId"].(string); ok && !done[id] {
								keys = append(keys, id)
							}
						}
					}
				}
				return nil
			})
			if err != nil && region == c.Region() {
				return nil, fmt.Errorf("eradicate %s: read the events of %s in %s: %w", o.KeyID, key, region, err)
			}
		}
	}
	sort.SliceStable(ev.Events, func(i, j int) bool { return ev.Events[i].Time.Before(ev.Events[j].Time) })
	return ev, nil
}

// eradicateView adds eradicate's sections (instances, kept,
// unrecoverable, cost) to the contain/disable view.
type eradicateView struct {
	*respondView
}

func (v *eradicateView) Plan(p *respond.Plan) {
	v.respondView.Plan(p)
	if v.json {
		return
	}
	writeEradicateExtras(v.io.Out, p)
}

func writeEradicateExtras(w io.Writer, p *respond.Plan) {
	if len(p.Instances) > 0 {
		fmt.Fprintf(w, "\nInstances the attacker created (%d):\n", len(p.Instances))
		for _, in := range p.Instances {
			fmt.Fprintf(w, "  %s %s %s %s (created %s by %s)\n", in.ID, in.Region, orText(in.Type, "-"), in.Status,
				in.Created.UTC().Format(time.RFC3339), in.Event.SourceIP)
		}
	}
	if len(p.Kept) > 0 {
		fmt.Fprintln(w, "\nKept:")
		for _, k := range p.Kept {
			fmt.Fprintf(w, "  %s\n", k)
		}
	}
	if len(p.Unrecoverable) > 0 {
		fmt.Fprintln(w, "\nUnrecoverable (akresp cannot revert these):")
		for _, u := range p.Unrecoverable {
			fmt.Fprintf(w, "  %s: %s\n", u.What, u.Event)
		}
	}
	if len(p.ByHand) > 0 {
		fmt.Fprintln(w, "\nBy hand (the attacker created these; akresp does not remove them itself):")
		for _, b := range p.ByHand {
			fmt.Fprintf(w, "  %s: %s\n    where: %s\n", b.What, b.Event, b.Where)
		}
		if p.ByHandOmitted > 0 {
			fmt.Fprintf(w, "  and %d more creating call(s) of the attacker: the evidence file of akresp report lists every event\n", p.ByHandOmitted)
		}
	}
	if c := p.Cost; c != nil && c.Warning == "" || c != nil && c.Instances > 0 {
		fmt.Fprintf(w, "\nCost of the attacker's instances (bills %s):\n", strings.Join(c.Cycles, ", "))
		fmt.Fprintf(w, "  spend caused by the attacker so far: %.2f %s\n", c.SoFar, c.Currency)
		if c.PerHour > 0 {
			fmt.Fprintf(w, "  spend per hour if nothing is stopped: %.2f %s\n", c.PerHour, c.Currency)
		} else {
			fmt.Fprintln(w, "  spend per hour from now: none (none of the attacker's instances is running)")
		}
	}
}
