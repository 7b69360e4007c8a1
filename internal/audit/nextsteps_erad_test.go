package audit

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/incident"
	"github.com/akresp/akresp/internal/journal"
)

// Once the key is deleted, what the attacker created is eradicate's: the
// audit suggests it until eradicate has run once.
func TestFinishStepsEradicateAfterDelete(t *testing.T) {
	const key = "LTAI5tFINISHERAD0000001"
	t0 := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	del := journal.Record{Kind: journal.KindOutcome, Time: t0, Command: "delete", Action: "delete-key", Target: key, Result: journal.ResultOK, ActionID: "d1"}
	mk := func() *Result {
		return &Result{Key: KeyFacts{AccessKeyID: key, Status: "Active"}, Created: []CreatedIdentity{{Kind: KindUser, Name: "svc-backup"}},
			Verdict: Verdict{NextSteps: []NextStep{{Command: "akresp contain " + key + " --contain-created --yes"}}}}
	}
	cmds := func(r *Result) []string {
		var out []string
		for _, s := range r.Verdict.NextSteps {
			out = append(out, s.Command)
		}
		return out
	}
	want := "akresp eradicate " + key + " --yes"

	r := mk()
	finishSteps(context.Background(), nil, false, r, incident.FromJournal(key, []journal.Record{del}))
	if got := cmds(r); !slices.Contains(got, want) || slices.Contains(got, "akresp contain "+key+" --contain-created --yes") {
		t.Errorf("deleted key with a created user: steps %q, want %q and no contain", got, want)
	}
	erad := journal.Record{Kind: journal.KindOutcome, Time: t0.Add(time.Hour), Command: incident.CmdEradicate, Action: "delete-user", Target: "svc-backup", Result: journal.ResultOK, ActionID: "e1"}
	r = mk()
	finishSteps(context.Background(), nil, false, r, incident.FromJournal(key, []journal.Record{del, erad}))
	if got := cmds(r); slices.Contains(got, want) {
		t.Errorf("eradicate already ran: steps %q must not suggest it again", got)
	}
	r = mk()
	finishSteps(context.Background(), nil, false, r, incident.FromJournal(key, nil))
	if got := cmds(r); slices.Contains(got, want) {
		t.Errorf("key not deleted: contain --contain-created reaches the created user; steps %q", got)
	}
}

// A deleted key that contain fenced (per the journal, not undone) gets the
// undo of its containment as a step: the deny policy on the owner outlives
// the key. Undone, or never contained: no such step.
func TestFinishStepsUndoContainmentAfterDelete(t *testing.T) {
	const key = "LTAI5tFINISHUNDO0000001"
	t0 := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	contain := journal.Record{Kind: journal.KindOutcome, Time: t0, Command: "contain", Action: "attach-deny-policy", Target: "app-prod", Result: journal.ResultOK, ActionID: "attach:app-prod",
		After: json.RawMessage(`{"policy":"akresp-deny-high-risk","user":"app-prod","attached":true}`)}
	undone := journal.Record{Kind: journal.KindOutcome, Time: t0.Add(2 * time.Hour), Command: "contain-undo", Action: "attach-deny-policy", Target: "app-prod", Result: journal.ResultOK, ActionID: "undo-attach",
		After: json.RawMessage(`{"attached":false}`)}
	complete := journal.Record{Kind: journal.KindNote, Time: t0.Add(2*time.Hour + time.Second), Command: "contain-undo", Action: "undo-complete"}
	del := journal.Record{Kind: journal.KindOutcome, Time: t0.Add(time.Hour), Command: "delete", Action: "delete-key", Target: key, Result: journal.ResultOK, ActionID: "d1"}
	undo := "akresp contain " + key + " --undo --all"
	for _, tc := range []struct {
		name string
		recs []journal.Record
		want bool
	}{
		{"contained, then deleted", []journal.Record{contain, del}, true},
		{"deleted, never contained", []journal.Record{del}, false},
		{"contained, not deleted", []journal.Record{contain}, false},
		{"contained, deleted, undone", []journal.Record{contain, del, undone, complete}, false},
	} {
		r := &Result{Key: KeyFacts{AccessKeyID: key, Owner: "app-prod", Status: "Active"},
			Verdict: Verdict{NextSteps: []NextStep{{Command: "akresp contain " + key + " --status"}}}}
		finishSteps(context.Background(), nil, false, r, incident.FromJournal(key, tc.recs))
		i := slices.IndexFunc(r.Verdict.NextSteps, func(s NextStep) bool { return s.Command == undo })
		if (i >= 0) != tc.want {
			t.Errorf("%s: steps %+v, want %q: %v", tc.name, r.Verdict.NextSteps, undo, tc.want)
		}
		if i >= 0 && !strings.Contains(r.Verdict.NextSteps[i].Why, "user app-prod") {
			t.Errorf("%s: %q does not name the owner", tc.name, r.Verdict.NextSteps[i].Why)
		}
	}
}
