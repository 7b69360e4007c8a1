package respond

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/journal"
)

// Journaler is the part of *journal.Journal apply needs.
type Journaler interface {
	Append(rec journal.Record) error
	Path() string
}

// ApplyOptions configure Apply.
type ApplyOptions struct {
	Journal Journaler
	View    View
	// Hard is cancelled on the second interrupt: in-flight calls are
	// abandoned. Cancelling Apply's ctx (the first interrupt) only stops new
	// actions from starting; calls in flight finish and are journaled
	// (STYLE 15). nil means never.
	Hard context.Context
	// RecheckAfter: when the plan's observations are older than this (the
	// engineer read a prompt, say), every action re-reads its state before
	// changing it and refuses on drift. A plan applied straight after it was
	// built skips the extra round trip; its calls are still guarded by the
	// API's own conflict errors. Zero always re-checks.
	RecheckAfter time.Duration
	Now          func() time.Time
	// CallTimeout bounds each in-flight call after the first interrupt.
	CallTimeout time.Duration
	// Verify re-reads each action's state as soon as the action is over
	// (applied, failed, skipped or a no-op), while the actions that depend
	// on it are still in flight, and records the result in
	// ApplyResult.Checks. The re-reads survive an interrupt, like Verify's.
	Verify bool
}

// ApplyResult is what Apply did.
type ApplyResult struct {
	Outcomes map[string]Outcome
	// Checks are the re-reads of ApplyOptions.Verify, in plan order.
	Checks      []Check
	Drift       []*DriftError
	Interrupted bool
}

// Apply runs the plan's actions, independent ones in parallel, each after
// the actions it depends on succeeded. Every API call is journaled: an
// intent record before and an outcome record after.
func Apply(ctx context.Context, p *Plan, o ApplyOptions) *ApplyResult {
	if o.View == nil {
		o.View = NopView{}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Hard == nil {
		o.Hard = context.Background()
	}
	if o.CallTimeout == 0 {
		o.CallTimeout = 2 * time.Minute
	}
	// Views are called from one goroutine at a time.
	o.View = &syncView{v: o.View}
	recheck := o.RecheckAfter == 0 || o.Now().Sub(p.ObservedAt) > o.RecheckAfter

	res := &ApplyResult{Outcomes: map[string]Outcome{}}
	if o.Verify {
		res.Checks = make([]Check, len(p.Actions))
	}
	var mu sync.Mutex
	done := map[string]chan struct{}{}
	for _, a := range p.Actions {
		done[a.ID] = make(chan struct{})
	}
	var wg sync.WaitGroup
	for i, a := range p.Actions {
		wg.Add(1)
		go func(a *Action) {
			defer wg.Done()
			if o.Verify {
				// Deferred calls run last-in first-out: dependents are
				// released (close) before this action's re-read, so the
				// read overlaps their calls instead of delaying them.
				defer func() {
					vctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), verifyTimeout)
					defer cancel()
					res.Checks[i] = checkAction(vctx, a)
				}()
			}
			defer close(done[a.ID])
			out := runAction(ctx, p, a, o, recheck, func(dep string) (Outcome, bool) {
				ch, ok := done[dep]
				if !ok {
					return Outcome{}, false
				}
				<-ch
				mu.Lock()
				defer mu.Unlock()
				d, ok := res.Outcomes[dep]
				return d, ok
			})
			mu.Lock()
			res.Outcomes[a.ID] = out
			if out.Status == OutcomeDrifted {
				var d *DriftError
				if errors.As(out.err, &d) {
					res.Drift = append(res.Drift, d)
				}
			}
			if out.Status == OutcomeInterrupted {
				res.Interrupted = true
			}
			mu.Unlock()
		}(a)
	}
	wg.Wait()
	return res
}

func runAction(ctx context.Context, p *Plan, a *Action, o ApplyOptions, recheck bool, wait func(string) (Outcome, bool)) Outcome {
	for _, dep := range a.DependsOn {
		d, ok := wait(dep)
		if ok && !d.OK() {
			out := Outcome{Status: OutcomeSkipped, Error: "not attempted: " + dep + " did not succeed"}
			if d.Status == OutcomeInterrupted {
				out.Status = OutcomeInterrupted
				out.Error = "not attempted: interrupted"
			}
			out.err = errors.New(out.Error)
			o.View.ActionDone(a, out)
			return out
		}
	}
	if a.Noop {
		out := Outcome{Status: OutcomeNoop}
		o.View.ActionDone(a, out)
		return out
	}
	if ctx.Err() != nil {
		out := Outcome{Status: OutcomeInterrupted, Error: "not attempted: interrupted"}
		out.err = errors.New(out.Error)
		o.View.ActionDone(a, out)
		return out
	}
	o.View.ActionStarted(a)
	start := o.Now()
	base := journal.Record{
		PlanHash: p.Hash, ActionID: a.ID, Action: a.Kind, Target: a.Target,
		Before: a.Before, After: a.After, Operator: p.Operator.Arn, Endpoint: p.Operator.Endpoint,
	}
	// In-flight work survives the first interrupt but not the second.
	callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.CallTimeout)
	defer cancel()
	stop := context.AfterFunc(o.Hard, cancel)
	defer stop()

	if recheck {
		st, now, err := a.Check(callCtx)
		switch {
		case err != nil:
			return finish(o, a, base, start, "", fmt.Errorf("re-check %s: %w", a.Target, err), false)
		case st == checkDone:
			rec := base
			rec.Kind, rec.Result, rec.Message = journal.KindNote, journal.ResultSkipped, "already in the target state"
			if err := appendRec(o.Journal, rec); err != nil {
				return finish(o, a, base, start, "", err, false)
			}
			out := Outcome{Status: OutcomeAlready}
			o.View.ActionDone(a, out)
			return out
		case st == checkDrifted:
			d := &DriftError{ActionID: a.ID, Target: a.Target, Observed: a.BeforeText, Now: now}
			rec := base
			rec.Kind, rec.Result, rec.Error, rec.Message = journal.KindNote, journal.ResultSkipped, d.Error(), "refused: drift"
			_ = appendRec(o.Journal, rec)
			out := Outcome{Status: OutcomeDrifted, Error: d.Error(), err: d}
			o.View.ActionDone(a, out)
			return out
		}
	}
	intent := base
	intent.Kind = journal.KindIntent
	if err := appendRec(o.Journal, intent); err != nil {
		// Without an intent record a crash would leave no trace: do not call.
		return finish(o, a, base, start, "", err, false)
	}
	rid, err := a.Apply(callCtx)
	return finish(o, a, base, start, rid, err, true)
}

func finish(o ApplyOptions, a *Action, base journal.Record, start time.Time, rid string, err error, called bool) Outcome {
	out := Outcome{Status: OutcomeApplied, RequestID: rid, Duration: o.Now().Sub(start)}
	var ae *cloud.APIError
	if errors.As(err, &ae) {
		if out.RequestID == "" {
			out.RequestID = ae.RequestID
		}
		out.ErrorCode = ae.Code
	}
	if err != nil {
		out.Status, out.Error, out.err = OutcomeFailed, err.Error(), err
	}
	if called {
		rec := base
		rec.Kind, rec.RequestID = journal.KindOutcome, out.RequestID
		switch {
		case err == nil:
			rec.Result = journal.ResultOK
		case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, cloud.ErrTransient):
			// The call may or may not have reached the cloud.
			rec.Result, rec.ErrorCode, rec.Error = journal.ResultUnknown, out.ErrorCode, err.Error()
		default:
			rec.Result, rec.ErrorCode, rec.Error = journal.ResultError, out.ErrorCode, err.Error()
		}
		if jerr := appendRec(o.Journal, rec); jerr != nil && err == nil {
			out.Status, out.Error, out.err = OutcomeFailed, "applied, but "+jerr.Error(), jerr
		}
	}
	o.View.ActionDone(a, out)
	return out
}

func appendRec(j Journaler, rec journal.Record) error {
	if j == nil {
		return nil
	}
	return j.Append(rec)
}

// verifyTimeout bounds the re-reads of verification.
const verifyTimeout = time.Minute

// Verify re-reads the state of every action and reports which ones hold.
// Independent reads run in parallel.
func Verify(ctx context.Context, p *Plan) []Check {
	checks := make([]Check, len(p.Actions))
	var wg sync.WaitGroup
	for i, a := range p.Actions {
		wg.Go(func() { checks[i] = checkAction(ctx, a) })
	}
	wg.Wait()
	return checks
}

// checkAction re-reads one action's state: OK when it is the target.
func checkAction(ctx context.Context, a *Action) Check {
	st, now, err := a.Check(ctx)
	c := Check{Name: a.ID}
	switch {
	case err != nil:
		c.Detail = "could not re-read: " + err.Error()
	case st == checkDone:
		c.OK, c.Detail = true, now
	default:
		c.Detail = "is " + now + ", wanted " + a.AfterText
	}
	return c
}

// planNote is the journal's record of the plan itself.
func planNote(p *Plan) journal.Record {
	type act struct {
		ID, Kind, Target, Before, After string
		Noop                            bool
	}
	var acts []act
	for _, a := range p.Actions {
		acts = append(acts, act{a.ID, a.Kind, a.Target, a.BeforeText, a.AfterText, a.Noop})
	}
	doc := map[string]any{"actions": acts, "caller_account": p.Operator.AccountID, "forced": p.Forced}
	if p.Command == CmdContain {
		// Once the key is deleted, undo tells the owner's deny attachment
		// from those of the users the key created by this (PlanUndo); ""
		// for a key no RAM user owns.
		doc["key_owner"] = p.Key.Owner
	}
	if p.Evidence != nil {
		// The incident record's journal contract (notes/incident-api.md).
		doc["evidence"] = p.Evidence
	}
	if len(p.UndoRuns) > 0 {
		doc["undo_runs"] = p.UndoRuns
	}
	b, _ := json.Marshal(doc)
	return journal.Record{Kind: journal.KindNote, PlanHash: p.Hash, Operator: p.Operator.Arn, Endpoint: p.Operator.Endpoint,
		Action: "plan", Message: fmt.Sprintf("%s plan with %d change(s)", p.Command, p.Changes()), After: b}
}

// syncView serialises calls into a View.
type syncView struct {
	mu sync.Mutex
	v  View
}

func (s *syncView) Plan(p *Plan) { s.mu.Lock(); defer s.mu.Unlock(); s.v.Plan(p) }
func (s *syncView) ActionStarted(a *Action) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.v.ActionStarted(a)
}
func (s *syncView) ActionDone(a *Action, o Outcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.v.ActionDone(a, o)
}
func (s *syncView) Diagnostics(d []Diagnostic) { s.mu.Lock(); defer s.mu.Unlock(); s.v.Diagnostics(d) }
func (s *syncView) Summary(sum *Summary)       { s.mu.Lock(); defer s.mu.Unlock(); s.v.Summary(sum) }
