package incident

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/journal"
)

// eradicate's and eradicate-undo's outcomes are incident actions; acting on
// the attacker's keys and users never changes the leaked key's state.
func TestEradicateJournalsAreActions(t *testing.T) {
	const key = "LTAI5tERADKEY0000000001"
	t0 := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	inactive, _ := json.Marshal(map[string]string{"status": "Inactive"})
	recs := []journal.Record{
		{Kind: journal.KindOutcome, Time: t0, Command: CmdEradicate, Action: "set-key-status", Target: "LTAI5tCREATEDBYATTACK01",
			Result: journal.ResultOK, RequestID: "REQ-E1", After: inactive, ActionID: "a1"},
		{Kind: journal.KindOutcome, Time: t0.Add(time.Minute), Command: CmdEradicate, Action: "stop-instance", Target: "i-attacker1",
			Result: journal.ResultOK, RequestID: "REQ-E2", ActionID: "a2"},
		{Kind: journal.KindOutcome, Time: t0.Add(time.Hour), Command: CmdEradicateUndo, Action: "stop-instance", Target: "i-attacker1",
			Result: journal.ResultOK, RequestID: "REQ-E3", ActionID: "a3"},
	}
	r := FromJournal(key, recs)
	if len(r.Actions) != 3 || r.Actions[0].Command != CmdEradicate || r.Actions[2].Command != CmdEradicateUndo {
		t.Fatalf("actions: %+v", r.Actions)
	}
	if !r.DisabledAt.IsZero() || !r.ContainedAt.IsZero() || r.IsContained() {
		t.Errorf("eradicating the attacker's key must not mark %s disabled or contained: %+v", key, r)
	}
	for _, id := range []string{"REQ-E1", "REQ-E2", "REQ-E3"} {
		if !r.OwnRequestIDs[id] {
			t.Errorf("request %s of eradicate is akresp's own call", id)
		}
	}
	if n := r.Eradications(); n != 2 {
		t.Errorf("Eradications() = %d, want 2 (undo runs are not eradications)", n)
	}
}
