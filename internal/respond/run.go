package respond

import (
	"context"
	"fmt"
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
	reconcileNotes(o.StateDir, p, j)

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

	sum.Message = resultMessage(p, sum)
	if sum.Failed+sum.Skipped > 0 || len(res.Drift) > 0 {
		sum.Retry = o.Retry
	}
	sum.Next = nextSteps(p, sum)
	o.View.Summary(sum)

	if p.Command == CmdContainUndo && sum.Failed+sum.Skipped == 0 && len(res.Drift) == 0 && sum.State == "restored" {
		_ = j.Append(journal.Record{Kind: journal.KindNote, Action: undoCompleteAction, PlanHash: p.Hash, Message: "containment reverted"})
	}
	if len(res.Drift) > 0 {
		return sum, res.Drift[0]
	}
	if sum.Failed+sum.Skipped > 0 {
		return sum, &PartialError{Command: p.Command, KeyID: p.Key.AccessKeyID, Failed: sum.Failures, Retry: o.Retry, Journal: sum.Journal}
	}
	return sum, nil
}

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
	case CmdContainUndo:
		for _, c := range checks {
			if !c.OK {
				return "undo_incomplete"
			}
		}
		return "restored"
	}
	if len(p.Actions) == 0 {
		return StateNotContained
	}
	if len(checks) == 0 {
		return StateContained // no change needed: every action was a no-op
	}
	n := 0
	for _, c := range checks {
		if c.OK {
			n++
		}
	}
	switch n {
	case len(checks):
		return StateContained
	case 0:
		return StateNotContained
	}
	return StatePartiallyContained
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
		return fmt.Sprintf("%s is already contained; nothing changed", p.Key.AccessKeyID)
	case CmdContainUndo:
		return fmt.Sprintf("%s: nothing to undo; the journal's containment is already reverted", p.Key.AccessKeyID)
	}
	return fmt.Sprintf("%s is already %s; nothing changed", p.Key.AccessKeyID, p.Key.Status)
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

func nextSteps(p *Plan, s *Summary) []string {
	var n []string
	if p.Command == CmdContain && (s.State == StateContained || s.State == StatePartiallyContained) {
		if p.Key.OwnerType == OwnerRoot {
			n = append(n, "root-account key: create a RAM user for the workload, then disable this key: akresp disable "+p.Key.AccessKeyID)
		} else {
			n = append(n, "rotate the key: akresp rotate "+p.Key.AccessKeyID)
		}
		n = append(n, "check containment later: akresp contain "+p.Key.AccessKeyID+" --status")
		n = append(n, "revert if production breaks: akresp contain "+p.Key.AccessKeyID+" --undo")
	}
	return n
}
