package respond

import (
	"context"
	"encoding/json"
	"fmt"
)

// Action is one step of a plan: the state it observed (Before), the state it
// will set (After), and how to check, apply and invert it (STYLE 37).
type Action struct {
	ID         string          `json:"id"`
	Kind       string          `json:"kind"`
	Target     string          `json:"target"`
	Summary    string          `json:"summary"`
	Before     json.RawMessage `json:"before"`
	After      json.RawMessage `json:"after"`
	BeforeText string          `json:"before_text"`
	AfterText  string          `json:"after_text"`
	Noop       bool            `json:"noop"` // already in the target state
	Reversible bool            `json:"reversible"`
	Idempotent bool            `json:"idempotent"`
	DependsOn  []string        `json:"depends_on,omitempty"`
	Warnings   []string        `json:"warnings,omitempty"`
	// Evidence are the IDs of the events that called for the action
	// (eradicate), journaled with it and linked by the report.
	Evidence []string `json:"evidence_event_ids,omitempty"`

	res    resource
	before any
	after  any
}

// Describe is the one-line human description of the change.
func (a *Action) Describe() string {
	if a.Noop {
		return fmt.Sprintf("%s: no change (%s)", a.Summary, a.AfterText)
	}
	return fmt.Sprintf("%s: %s -> %s", a.Summary, a.BeforeText, a.AfterText)
}

// checkResult is what Check found.
type checkResult int

const (
	checkReady   checkResult = iota // live state is what the plan observed
	checkDone                       // live state already is the target
	checkDrifted                    // neither: someone else changed it
)

// Check re-reads the live state and compares it with what the plan observed.
func (a *Action) Check(ctx context.Context) (checkResult, string, error) {
	cur, err := a.res.observe(ctx)
	if err != nil {
		return checkDrifted, "", err
	}
	switch {
	case a.res.equal(cur, a.after):
		return checkDone, a.res.text(cur), nil
	case a.res.equal(cur, a.before):
		return checkReady, a.res.text(cur), nil
	default:
		return checkDrifted, a.res.text(cur), nil
	}
}

// Apply sets the target state and returns the request ID of the last call.
func (a *Action) Apply(ctx context.Context) (string, error) {
	return a.res.set(ctx, a.before, a.after)
}

// Inverse returns the action that restores the observed state, or nil for an
// irreversible action.
func (a *Action) Inverse() *Action {
	if !a.Reversible {
		return nil
	}
	return newAction("undo-"+a.ID, a.res, a.after, a.before, "undo "+a.Summary)
}

// resource is one piece of cloud state an action reads and writes. States
// are small structs that carry their own addressing so that undo can rebuild
// the resource from a journal record alone.
type resource interface {
	kind() string
	target() string
	observe(ctx context.Context) (any, error)
	// set moves the resource from the observed state to the target.
	set(ctx context.Context, from, to any) (string, error)
	equal(a, b any) bool
	text(s any) string
	reversible() bool
}

func newAction(id string, r resource, before, after any, summary string) *Action {
	bj, _ := json.Marshal(before)
	aj, _ := json.Marshal(after)
	return &Action{
		ID: id, Kind: r.kind(), Target: r.target(), Summary: summary,
		Before: bj, After: aj,
		BeforeText: r.text(before), AfterText: r.text(after),
		Noop:       r.equal(before, after),
		Reversible: r.reversible(), Idempotent: true,
		res: r, before: before, after: after,
	}
}
