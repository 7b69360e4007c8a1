package respond

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/akresp/akresp/internal/journal"
)

// ExecOptions configure Execute.
type ExecOptions struct {
	StateDir     string
	View         View
	Now          func() time.Time
	Hard         context.Context
	RecheckAfter time.Duration
	// Retry is the command line that re-runs this command (shown on partial
	// failure); contain and disable are idempotent, so re-running is the
	// retry.
	Retry string
	// DryRun: a plan without changes is only reported; nothing is
	// journaled (not even what eradicate observed).
	DryRun bool
}

// Execute journals and applies a plan, verifies the result and reports a
// summary through the view. The caller has shown the plan, obtained
// confirmation and holds the key's lock. The returned error carries the exit
// code: *RailError/*DriftError (4), *PartialError (1).
func Execute(ctx context.Context, p *Plan, o ExecOptions) (*Summary, error) {
	if o.View == nil {
		o.View = NopView{}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	sum := &Summary{Command: p.Command, KeyID: p.Key.AccessKeyID, Outcomes: map[string]Outcome{}}
	if r := p.Blocked(); r != nil {
		return nil, r
	}
	if p.Changes() == 0 {
		sum.NoChange = true
		sum.Unchanged = len(p.Actions)
		sum.State = finalState(p, nil)
		sum.Message = noChangeMessage(p)
		if len(p.observed) > 0 && !o.DryRun {
			// Nothing to change, but the observation of what was stopped
			// or disabled outside akresp starts now: without its record a
			// later run would wait for it without end.
			j, err := journal.Open(o.StateDir, p.Key.AccessKeyID, p.Command, o.Now)
			if err != nil {
				return nil, fmt.Errorf("%s %s: open journal: %w", p.Command, p.Key.AccessKeyID, err)
			}
			err = observedNotes(p, j)
			j.Close()
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", p.Command, p.Key.AccessKeyID, err)
			}
			sum.Journal = j.Path()
		}
		o.View.Summary(sum)
		return sum, nil
	}
	j, err := journal.Open(o.StateDir, p.Key.AccessKeyID, p.Command, o.Now)
	if err != nil {
		return nil, fmt.Errorf("%s %s: open journal: %w", p.Command, p.Key.AccessKeyID, err)
	}
	defer j.Close()
	sum.Journal = j.Path()
	if err := j.Append(planNote(p)); err != nil {
		return nil, fmt.Errorf("%s %s: %w", p.Command, p.Key.AccessKeyID, err)
	}
	if err := observedNotes(p, j); err != nil {
		return nil, fmt.Errorf("%s %s: %w", p.Command, p.Key.AccessKeyID, err)
	}
	reconcileNotes(o.StateDir, p, j)
	evidenceNotes(p, j)

	// Each action is verified the moment it is over, while the actions that
	// depend on it run: the last action's re-read is the only one after
	// the apply.
	res := Apply(ctx, p, ApplyOptions{Journal: j, View: o.View, Hard: o.Hard, RecheckAfter: o.RecheckAfter, Now: o.Now, Verify: true})
	sum.Outcomes = res.Outcomes
	sum.Interrupted = res.Interrupted
	ids := make([]string, 0, len(p.Actions))
	for _, a := range p.Actions {
		ids = append(ids, a.ID)
	}
	for _, id := range ids {
		out := res.Outcomes[id]
		switch out.Status {
		case OutcomeApplied:
			sum.Changed++
		case OutcomeAlready, OutcomeNoop:
			sum.Unchanged++
		case OutcomeSkipped, OutcomeInterrupted:
			sum.Skipped++
			sum.Failures = append(sum.Failures, id+": "+out.Error)
		default:
			sum.Failed++
			sum.Failures = append(sum.Failures, id+": "+out.Error)
		}
	}

	// The re-reads ran with a fresh context: an interrupt must not hide
	// what happened.
	sum.Checks = res.Checks
	sum.State = finalState(p, sum.Checks)
	vb := fmt.Sprintf(`{"state":%q}`, sum.State)
	_ = j.Append(journal.Record{Kind: journal.KindNote, Action: "verify", PlanHash: p.Hash, Operator: p.Operator.Arn,
		Endpoint: p.Operator.Endpoint, After: []byte(vb), Message: verifyMessage(sum.Checks)})

	// A change whose re-read failed or shows another state is not done,
	// whatever its call answered: the run is partial (exit 1, retry).
	var unverified []string
	for _, c := range sum.Checks {
		if !c.OK {
			unverified = append(unverified, "verify "+c.Name+": "+c.Detail)
		}
	}
	sum.Message = resultMessage(p, sum)
	if sum.Failed+sum.Skipped > 0 || len(res.Drift) > 0 || len(unverified) > 0 {
		sum.Retry = o.Retry
	}
	sum.Next = nextSteps(p, sum, o.Now())
	o.View.Summary(sum)

	if p.Command == CmdEradicateUndo && sum.Failed+sum.Skipped == 0 && len(res.Drift) == 0 && len(unverified) == 0 {
		_ = j.Append(journal.Record{Kind: journal.KindNote, Action: eradicateUndoComplete, PlanHash: p.Hash, Message: "eradication reverted where reversible"})
	}
	if p.Command == CmdContainUndo && sum.Failed+sum.Skipped == 0 && len(res.Drift) == 0 && len(unverified) == 0 && sum.State == "restored" {
		rec := journal.Record{Kind: journal.KindNote, Action: undoCompleteAction, PlanHash: p.Hash, Message: "containment reverted"}
		if !p.UndoComplete {
			b, _ := json.Marshal(map[string]any{"undone": p.UndoRuns})
			rec.Action, rec.After, rec.Message = undoRunsAction, b, "contain run(s) reverted; earlier containment stays"
		}
		_ = j.Append(rec)
	}
	if len(res.Drift) > 0 {
		return sum, res.Drift[0]
	}
	if sum.Failed+sum.Skipped > 0 || len(unverified) > 0 {
		return sum, &PartialError{Command: p.Command, KeyID: p.Key.AccessKeyID, Failed: append(slices.Clone(sum.Failures), unverified...), Retry: o.Retry, Journal: sum.Journal}
	}
	return sum, nil
}

// evidenceNotes journals, for each action of an eradication, the events
// that called for it (the report links each action to them).
func evidenceNotes(p *Plan, j *journal.Journal) {
	for _, a := range p.Actions {
		if len(a.Evidence) == 0 || a.Noop {
			continue
		}
		b, _ := json.Marshal(map[string]any{"event_ids": a.Evidence, "action": a.Kind})
		_ = j.Append(journal.Record{Kind: journal.KindNote, Action: EvidenceNote, ActionID: a.ID, Target: a.Target, PlanHash: p.Hash,
			Operator: p.Operator.Arn, Endpoint: p.Operator.Endpoint, After: b, Message: a.Kind + ": called for by " + strings.Join(a.Evidence, ", ")})
	}
}

// pick is one for n == 1, else many.
func pick(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// wholeSecond formats t in whole seconds, rounded up (never before t).
func wholeSecond(t time.Time) string {
	return t.UTC().Add(time.Second - 1).Truncate(time.Second).Format(time.RFC3339)
}

// releaseAt is when the last instance eradicate waits on may be released:
// those this run stopped count from now, the end of the run.
func (p *Plan) releaseTime(now time.Time) time.Time {
	if p.stopsNow {
		return later(p.releaseAt, now.Add(p.observe))
	}
	return p.releaseAt
}

// awaitTime is when the last created user's keys will have been disabled
// for the observation period (zero: unknown): those this run disabled
// count from now.
func (p *Plan) awaitTime(now time.Time) time.Time {
	if p.disablesNow && !p.awaitUntil.IsZero() {
		return later(p.awaitUntil, now.Add(p.observe))
	}
	return p.awaitUntil
}

// AwaitUntil is when the last of the users the attacker created that the
// plan strips but cannot delete yet will have had their keys disabled for
// --observe (zero: none waits, or the journal cannot say).
func (p *Plan) AwaitUntil() time.Time { return p.awaitUntil }

// Waits says what an eradicate plan still waits for past its changes
// (instances to release, users to delete), "" when nothing.
func (p *Plan) Waits() string {
	var w []string
	if n := p.instancesAwaiting; n > 0 {
		what := "the attacker's instance is"
		if n > 1 {
			what = fmt.Sprintf("the attacker's %d instances are", n)
		}
		w = append(w, fmt.Sprintf("%s stopped, released by --release after %s", what, wholeSecond(p.releaseAt)))
	}
	if n := p.usersAwaiting; n > 0 {
		what := "the user it created is"
		if n > 1 {
			what = fmt.Sprintf("the %d users it created are", n)
		}
		x := fmt.Sprintf("%s deleted by a re-run once %s keys have been disabled for the observation period", what, pick(n, "its", "their"))
		if !p.awaitUntil.IsZero() {
			x += " (after " + wholeSecond(p.awaitUntil) + ")"
		}
		w = append(w, x)
	}
	return strings.Join(w, "; ")
}

// observedNotes journals, for each of the attacker's instances (keys) the
// plan found stopped (disabled) by someone else, that this run saw it so:
// the start of its observation period (stoppedSince, observedSince).
func observedNotes(p *Plan, j *journal.Journal) error {
	for _, ob := range p.observed {
		msg := "instance " + ob.target + " was found stopped (not by akresp): eradicate --release counts the observation period from now"
		if ob.note == ObservedDisabledNote {
			msg = "AccessKey " + ob.target + " was found disabled (not by akresp): eradicate counts the observation period before deleting it from now"
		}
		if err := j.Append(journal.Record{Kind: journal.KindNote, Action: ob.note, Target: ob.target, PlanHash: p.Hash,
			Operator: p.Operator.Arn, Endpoint: p.Operator.Endpoint, Message: msg}); err != nil {
			return err
		}
	}
	return nil
}

// EvidenceNote is the journal's Action of an evidence record: After holds
// {"event_ids": [...], "action": kind}, the events that called for the
// action ActionID (of that kind, on Target).
const EvidenceNote = "evidence"

// reconcileNotes records, in the new journal, the intents of earlier runs
// that never got an outcome (the process died mid-call): this run re-reads
// live state and completes them.
func reconcileNotes(base string, p *Plan, j *journal.Journal) {
	recs, _, err := journal.ReadKey(base, p.Key.AccessKeyID)
	if err != nil {
		return
	}
	for _, r := range journal.Pending(recs) {
		if r.RunID == j.RunID() || r.Command != p.Command {
			continue
		}
		msg := fmt.Sprintf("earlier run %s was interrupted during %s %s; live state re-read", r.RunID, r.Action, r.Target)
		if a := p.Action(r.ActionID); a != nil {
			if a.Noop {
				msg += ": the call had taken effect"
			} else {
				msg += ": re-applying"
			}
		}
		_ = j.Append(journal.Record{Kind: journal.KindNote, Action: "reconcile", ActionID: r.ActionID, Target: r.Target, PlanHash: p.Hash, Message: msg})
	}
}

func finalState(p *Plan, checks []Check) string {
	switch p.Command {
	case CmdDisable, CmdEnable, CmdDelete:
		if len(p.Actions) == 0 {
			return p.Key.Status
		}
		a := p.Actions[0]
		ok := len(checks) == 0 || checks[0].OK
		if ok {
			return a.AfterText
		}
		return a.BeforeText
	case CmdContainUndo, CmdEradicateUndo:
		for _, c := range checks {
			if !c.OK {
				return "undo_incomplete"
			}
		}
		return "restored"
	case CmdEradicate:
		return eradicateState(checks)
	}
	if len(p.Actions) == 0 {
		return StateNotContained
	}
	if len(checks) == 0 {
		return containedState(p) // no change needed: every action was a no-op
	}
	n := 0
	for _, c := range checks {
		if c.OK {
			n++
		}
	}
	switch n {
	case len(checks):
		return containedState(p)
	case 0:
		return StateNotContained
	}
	return StatePartiallyContained
}

// containedState is the state of a contain run whose actions all hold: the
// key is contained only when its effective network policy restricts public
// sources.
func containedState(p *Plan) string {
	if p.EffectiveAfter != nil && p.EffectiveAfter.PublicOpen {
		return StatePublicOpen
	}
	return StateContained
}

func verifyMessage(cs []Check) string {
	var bad []string
	for _, c := range cs {
		if !c.OK {
			bad = append(bad, c.Name+" "+c.Detail)
		}
	}
	if len(bad) == 0 {
		return "verified: every action holds"
	}
	sort.Strings(bad)
	return "not holding: " + strings.Join(bad, "; ")
}

func noChangeMessage(p *Plan) string {
	switch p.Command {
	case CmdContain:
		if len(p.Actions) == 0 {
			return fmt.Sprintf("%s: nothing to do; the plan has no actions", p.Key.AccessKeyID)
		}
		if st := containedState(p); st == StatePublicOpen {
			return fmt.Sprintf("%s: nothing changed; public access stays open (%s)", p.Key.AccessKeyID, p.EffectiveAfter.PublicReason)
		}
		return fmt.Sprintf("%s is already contained; nothing changed", p.Key.AccessKeyID)
	case CmdContainUndo:
		return fmt.Sprintf("%s: nothing to undo; the journal's containment is already reverted", p.Key.AccessKeyID)
	case CmdEradicate:
		if w := p.Waits(); w != "" {
			return fmt.Sprintf("%s: nothing to change now; %s", p.Key.AccessKeyID, w)
		}
		return fmt.Sprintf("%s: nothing to eradicate; every planned change is already in place", p.Key.AccessKeyID)
	case CmdEradicateUndo:
		return fmt.Sprintf("%s: nothing to undo; what eradicate changed and can be reverted is already restored", p.Key.AccessKeyID)
	}
	return fmt.Sprintf("%s is already %s; nothing changed", p.Key.AccessKeyID, p.Key.Status)
}

// createdLeft counts the identities the key created that eradicate would
// still remove after this run: users that exist (other than the owner,
// denied or not), console logins, attached policies, and Active keys this
// run did not disable.
func createdLeft(p *Plan, s *Summary) int {
	n := 0
	for _, id := range p.Created {
		switch id.Kind {
		case "user":
			if containableNow(p, id) {
				n++
			}
		case "access_key":
			a := p.Action("disable-key:" + id.Name)
			if containableNow(p, id) && (a == nil || s.Outcomes[a.ID].Status != OutcomeApplied) {
				n++
			}
		case "login_profile":
			if strings.HasPrefix(id.Current, "exists") {
				n++
			}
		case "policy_attachment":
			if id.Current == "attached" {
				n++
			}
		}
	}
	return n
}

func resultMessage(p *Plan, s *Summary) string {
	switch {
	case s.Interrupted:
		return fmt.Sprintf("%s %s interrupted: %d changed, %d not attempted; re-run to complete (journal %s)", p.Command, p.Key.AccessKeyID, s.Changed, s.Skipped, s.Journal)
	case s.Failed+s.Skipped > 0:
		return fmt.Sprintf("%s %s: %s; %d changed, %d failed, %d skipped", p.Command, p.Key.AccessKeyID, s.State, s.Changed, s.Failed, s.Skipped)
	}
	return fmt.Sprintf("%s %s: %s (%d changed, %d already in place)", p.Command, p.Key.AccessKeyID, s.State, s.Changed, s.Unchanged)
}

// nextSteps suggests only commands that fit the state the run ends in:
// nothing to rotate or disable on a disabled key, no --undo that a safety
// rail would refuse.
func nextSteps(p *Plan, s *Summary, now time.Time) []string {
	id := p.Key.AccessKeyID
	active := strings.EqualFold(p.Key.Status, "Active")
	var n []string
	switch p.Command {
	case CmdContain:
		if s.State != StateContained && s.State != StatePartiallyContained && s.State != StatePublicOpen {
			return nil
		}
		if s.State == StatePublicOpen {
			n = append(n, "fence public sources in too: akresp contain "+id+" --allow-ip CIDR (or --deny-public)")
		}
		switch {
		case active && p.Key.OwnerType == OwnerRoot:
			n = append(n, "root-account key: create a RAM user for the workload, then disable this key: akresp disable "+id)
		case active:
			n = append(n, "rotate the key: akresp rotate "+id)
		case strings.EqualFold(p.Key.Status, "Inactive"):
			n = append(n, "the key is disabled: delete it once the observation period passed without breakage: akresp disable "+id+" --delete")
		}
		if c := createdLeft(p, s); c > 0 {
			// The fence keeps the leaked key's attacker out, not the
			// users, keys, logins and grants it made for itself.
			n = append(n, fmt.Sprintf("remove what the key created (%s left, listed above): akresp eradicate %s", identities(c), id))
		}
		n = append(n, "check containment later: akresp contain "+id+" --status")
		acl := p.Action("network-acl")
		aclChanged := acl != nil && !acl.Noop && s.Outcomes[acl.ID].Status == OutcomeApplied
		denyChanged := false
		for _, a := range p.Actions {
			if (a.Kind == KindAttachPolicy || a.Kind == KindDenyPolicy) && !a.Noop && s.Outcomes[a.ID].Status == OutcomeApplied {
				denyChanged = true
			}
		}
		switch {
		case aclChanged && denyChanged && active:
			// The deny policy stays while the key is active (--undo would
			// be refused): revert the fence alone.
			n = append(n, "revert the network ACL if production breaks: akresp contain "+id+" --undo --acl-only")
		case aclChanged:
			n = append(n, "revert if production breaks: akresp contain "+id+" --undo")
		}
	case CmdContainUndo:
		switch {
		case s.State != "restored":
		case p.Key.Status == StatusDeleted:
			// contain --status reads the key: a deleted one has no state
			// left to check.
			n = append(n, "the key is deleted: write the final report: akresp report "+id)
		default:
			n = append(n, "check the result: akresp contain "+id+" --status")
		}
	case CmdDisable:
		if strings.EqualFold(s.State, "Inactive") && p.CreatedBy != "" {
			n = append(n, "the attacker of "+p.CreatedBy+"'s incident created this key: remove it with the attacker's other footholds: akresp eradicate "+p.CreatedBy)
		} else if strings.EqualFold(s.State, "Inactive") {
			n = append(n, "if something breaks, re-enable it: akresp disable "+id+" --enable --yes")
			n = append(n, "after the observation period without breakage ("+DefaultObserve.String()+" by default: from "+
				now.Add(DefaultObserve).UTC().Truncate(time.Second).Add(time.Second).Format(time.RFC3339)+"), delete it: akresp disable "+id+" --delete")
		}
	case CmdEradicate:
		n = append(n, "check what remains: akresp eradicate "+id+" --status")
		if p.usersAwaiting > 0 {
			when := "once the observation period has passed"
			if at := p.awaitTime(now); !at.IsZero() {
				when += " (after " + wholeSecond(at) + ")"
			}
			n = append(n, when+", delete the disabled keys and users: akresp eradicate "+id+p.observeFlag)
		}
		if k := p.instancesAwaiting; k > 0 {
			what := "the attacker's stopped instance is"
			if k > 1 {
				what = fmt.Sprintf("the attacker's %d stopped instances are", k)
			}
			n = append(n, fmt.Sprintf("%s still billed for %s disks: once stopped for the observation period (after %s), release %s: akresp eradicate %s --release%s",
				what, pick(k, "its", "their"), wholeSecond(p.releaseTime(now)), pick(k, "it", "them"), id, p.observeFlag))
		}
	case CmdEnable:
		if strings.EqualFold(s.State, "Active") {
			n = append(n, "the key is active again; check its containment: akresp contain "+id+" --status")
		}
	}
	return n
}
