package audit

import (
	"context"
	"slices"
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
