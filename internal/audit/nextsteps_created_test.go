package audit

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/incident"
	"github.com/akresp/akresp/internal/journal"
)

// leakWithCreatedKeys is the leak scenario in which the attacker also
// creates n more AccessKeys, one user each.
func leakWithCreatedKeys(n int) *Result {
	evs := leakScenario()
	for i := range n {
		evs = append(evs, tev(leakStart.Add(4*time.Minute+time.Duration(i)*time.Second), attacker, "Ram", "CreateAccessKey",
			withUA(attackerUA), withParams("UserName", fmt.Sprintf("tenant-%03d", i)),
			withResp(map[string]any{"AccessKey": map[string]any{"AccessKeyId": fmt.Sprintf("LTAI5tTENANTKEY%09d", i), "Status": "Active"}})))
	}
	return runEngine(baseOptions(), evs)
}

func stepCommands(r *Result) []string {
	var out []string
	for _, s := range r.Verdict.NextSteps {
		out = append(out, s.Command)
	}
	return out
}

// A key that created more AccessKeys than the disable steps name gets one
// eradicate step that says how many there are in all; up to five, each
// has its disable step and there is no eradicate step.
func TestNextStepsCreatedKeysBeyondFive(t *testing.T) {
	r := leakWithCreatedKeys(9) // and the scenario's own backdoor key: 10
	if r.Verdict.Status != StatusSuspectedLeak {
		t.Fatalf("verdict %s, want suspected leak", r.Verdict.Status)
	}
	cmds := stepCommands(r)
	disables := 0
	for _, c := range cmds {
		if strings.HasPrefix(c, "akresp disable LTAI5t") && c != "akresp disable "+testKey {
			disables++
		}
	}
	if disables != maxDisableSteps {
		t.Errorf("%d disable steps for created keys, want %d: %q", disables, 5, cmds)
	}
	i := slices.Index(cmds, "akresp eradicate "+testKey)
	if i < 0 {
		t.Fatalf("no eradicate step for the 10 created keys: %q", cmds)
	}
	if why := r.Verdict.NextSteps[i].Why; !strings.Contains(why, "created 10 AccessKeys, 5 more than the ones above") {
		t.Errorf("eradicate step says %q, want the count of created keys", why)
	}

	r = leakWithCreatedKeys(4) // 5 in all
	if slices.ContainsFunc(stepCommands(r), func(c string) bool { return strings.HasPrefix(c, "akresp eradicate") }) {
		t.Errorf("5 created keys, each with its disable step: no eradicate step wanted, got %q", stepCommands(r))
	}
}

// After eradicate has run (per the journal) its step becomes
// "eradicate --status"; a deleted key keeps finishSteps' own eradicate
// step only (not two).
func TestCheckStepsEradicate(t *testing.T) {
	const k = "LTAI5tAPPPRODLEAKED00001"
	erad := NextStep{Command: "akresp eradicate " + k}
	report := NextStep{Command: "akresp report " + k}
	for _, tc := range []struct {
		name string
		st   KeyState
		want []string
	}{
		{"fresh", KeyState{KeyID: k, Status: "Active"}, []string{erad.Command, report.Command}},
		{"eradicated", KeyState{KeyID: k, Status: "Active", Eradicated: true}, []string{erad.Command + " --status", report.Command}},
		{"deleted", KeyState{KeyID: k, Status: "Deleted"}, []string{report.Command}},
	} {
		var got []string
		for _, s := range CheckSteps([]NextStep{erad, report}, tc.st) {
			got = append(got, s.Command)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	r := &Result{Key: KeyFacts{AccessKeyID: k, Status: "Active"}, Created: []CreatedIdentity{{Kind: KindUser, Name: "u"}},
		Verdict: Verdict{NextSteps: []NextStep{erad, report}}}
	t0 := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	del := journal.Record{Kind: journal.KindOutcome, Time: t0, Command: "delete", Action: "delete-key", Target: k, Result: journal.ResultOK, ActionID: "d1"}
	finishSteps(context.Background(), nil, false, r, incident.FromJournal(k, []journal.Record{del}))
	n := 0
	for _, c := range stepCommands(r) {
		if strings.HasPrefix(c, "akresp eradicate") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("deleted key: %d eradicate steps in %q, want 1", n, stepCommands(r))
	}
}

// Online, only the created keys a step suggests disabling have their
// status read: a key that created a hundred (a user each) costs five
// ListAccessKeys, not a hundred; a retired one loses its step.
func TestRetiredCreatedKeysReadsOnlySuggested(t *testing.T) {
	r := leakWithCreatedKeys(99)
	var users []string
	f := &fakeCloud{listKeys: func(user string) ([]cloud.AccessKey, error) {
		users = append(users, user)
		if user == "tenant-000" {
			return []cloud.AccessKey{{AccessKeyID: "LTAI5tTENANTKEY000000000", Status: "Inactive"}}, nil
		}
		return nil, cloud.ErrNotFound
	}}
	st := KeyStateOf(r, nil)
	st.Retired = retiredCreatedKeys(context.Background(), f, r)
	if len(users) != maxDisableSteps {
		t.Errorf("ListAccessKeys for %d users (%q), want the %d whose keys have a disable step", len(users), users, maxDisableSteps)
	}
	steps := CheckSteps(r.Verdict.NextSteps, st)
	for _, s := range steps {
		if strings.HasPrefix(s.Command, "akresp disable LTAI5tTENANTKEY") {
			t.Errorf("step %q for a key that is Inactive or gone", s.Command)
		}
	}
	if !slices.ContainsFunc(steps, func(s NextStep) bool { return s.Command == "akresp eradicate "+testKey }) {
		t.Errorf("no eradicate step left for the 100 created keys: %q", stepCommands(&Result{Verdict: Verdict{NextSteps: steps}}))
	}
}
