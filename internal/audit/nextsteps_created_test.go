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

// A key that created more AccessKeys than the disable steps name gets an
// eradicate step that says how many there are in all; up to five, each
// has its disable step and the eradicate step (for the user the scenario's
// attacker created) does not count keys.
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
	i = slices.Index(stepCommands(r), "akresp eradicate "+testKey)
	if i < 0 || strings.Contains(r.Verdict.NextSteps[i].Why, "AccessKeys") {
		t.Errorf("5 created keys, each with its disable step: want an eradicate step for the user that counts no keys, got %+v", r.Verdict.NextSteps)
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

	// Deleted and eradicated: what eradicate left is its --status. Deleted
	// with only instances to stop (no created identity): eradicate still.
	erd := journal.Record{Kind: journal.KindOutcome, Time: t0.Add(time.Hour), Command: "eradicate", Action: "delete-login-profile", Target: "u", Result: journal.ResultOK, ActionID: "e1"}
	for _, tc := range []struct {
		name    string
		created []CreatedIdentity
		recs    []journal.Record
		want    string
	}{
		{"deleted, eradicated", []CreatedIdentity{{Kind: KindUser, Name: "u"}}, []journal.Record{del, erd}, "akresp eradicate " + k + " --status"},
		{"deleted, instances only", nil, []journal.Record{del}, "akresp eradicate " + k + " --yes"},
	} {
		r := &Result{Key: KeyFacts{AccessKeyID: k, Status: "Active"}, Created: tc.created, Verdict: Verdict{NextSteps: []NextStep{erad, report}}}
		finishSteps(context.Background(), nil, false, r, incident.FromJournal(k, tc.recs))
		var got []string
		for _, c := range stepCommands(r) {
			if strings.HasPrefix(c, "akresp eradicate") {
				got = append(got, c)
			}
		}
		if !slices.Equal(got, []string{tc.want}) {
			t.Errorf("%s: eradicate steps %q, want [%q]", tc.name, got, tc.want)
		}
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

// The eradicate step comes with what eradicate would act on: a change of
// a foothold rule that worked from a suspect source. An attacker whose
// every launch was refused, or an office that launches instances as it
// always has, gets none; a launch that worked names the instances.
func TestNextStepsEradicateFoothold(t *testing.T) {
	probe := func(extra ...*Event) *Result {
		evSeq = 0
		evs := officeWeek(leakStart.Add(-2 * time.Hour))
		evs = append(evs, intruder(leakStart, "Sts", "GetCallerIdentity"),
			intruder(leakStart.Add(time.Minute), "Ram", "ListUsers"))
		return runEngine(baseOptions(), append(evs, extra...))
	}
	eradicate := func(r *Result) (string, bool) {
		for _, s := range r.Verdict.NextSteps {
			if s.Command == "akresp eradicate "+testKey {
				return s.Why, true
			}
		}
		return "", false
	}
	r := probe()
	if r.Verdict.Status != StatusSuspectedLeak {
		t.Fatalf("verdict %s, want suspected leak", r.Verdict.Status)
	}
	if why, ok := eradicate(r); ok {
		t.Errorf("nothing created or changed: eradicate step %q", why)
	}
	launch := func(at time.Time, opts ...evOpt) *Event {
		return intruder(at, "Ecs", "RunInstances", append([]evOpt{withParams("InstanceType", "ecs.gn6i-c4g1.xlarge", "RegionId", "cn-hangzhou")}, opts...)...)
	}
	refused := probe(launch(leakStart.Add(2*time.Minute), withErr("Forbidden.RAM")), launch(leakStart.Add(3*time.Minute), withErr("Forbidden.RAM")))
	if findFinding(refused, "COST-01") == nil {
		t.Fatal("refused launches: no COST-01 finding; the case proves nothing")
	}
	if why, ok := eradicate(refused); ok {
		t.Errorf("every launch refused: eradicate step %q", why)
	}
	worked := probe(launch(leakStart.Add(2*time.Minute), withErr("Forbidden.RAM")), launch(leakStart.Add(3*time.Minute)))
	if why, ok := eradicate(worked); !ok || !strings.Contains(why, "launched instances") {
		t.Errorf("a launch that worked: eradicate step %q (present %v), want one naming the instances", why, ok)
	}
	office := probe(tev(leakStart.Add(2*time.Minute), officeA, "Ecs", "RunInstances", withParams("InstanceType", "ecs.g7.large", "RegionId", "cn-hangzhou")))
	if why, ok := eradicate(office); ok && strings.Contains(why, "launched instances") {
		t.Errorf("only the office launched: eradicate step %q", why)
	}
}
