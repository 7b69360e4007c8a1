package e2e

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/journal"
	"github.com/akresp/akresp/internal/lab"
)

// Expected end state of `eradicate <leaked> --yes` on builtin:leak after
// contain, from the scenario (its notes and its history: the attacker's
// RunInstances in cost_region, its AuthorizeSecurityGroup on
// attacker_security_group, the user created_user it made) and from issue 16
// and docs/eradicate.md, never from another run:
//
//   - created_user has no console login, no attached policy and no Active
//     AccessKey (deleting keys and the user waits for --observe);
//   - every instance the leaked key created in cost_region is Stopped;
//   - attacker_security_group holds exactly the rules the scenario declared
//     for it (the attacker's opened rule is revoked);
//   - office_instance_id is Running;
//   - a further run plans no change.

// eradPlanLatency slows the lab's answers while eradicate reads the
// evidence and plans; interruptLatency takes over once the plan is
// journaled.
const eradPlanLatency = 30 * time.Millisecond

// eradExpect is what the scenario says eradicate must reach.
type eradExpect struct {
	key, user, createdUser, sg, office string
	attackerInstances                  []string
	changes                            int      // changes eradicate must make: one per instance, rule, login, policy, active key
	sgRules                            []string // "proto port cidr" of the scenario's declared rules
}

func ruleString(proto, ports, cidr string) string {
	return strings.ToLower(proto) + " " + ports + " " + cidr
}

// eradExpectation reads the expectation from the scenario file and from the
// world it builds (before any akresp call).
func eradExpectation(t *testing.T, l *inprocLab, initial *lab.World) eradExpect {
	t.Helper()
	e := eradExpect{
		key: l.note(t, "leaked_key_id"), user: l.note(t, "leaked_user"), createdUser: l.note(t, "created_user"),
		sg: l.note(t, "attacker_security_group"), office: l.note(t, "office_instance_id"),
	}
	region := l.note(t, "cost_region")
	if initial.ECS == nil {
		t.Fatal("test bug: builtin:leak has no ECS resources")
	}
	for id, in := range initial.ECS.Instances {
		if in.Region == region && in.CreatorKey == e.key {
			e.attackerInstances = append(e.attackerInstances, id)
		}
	}
	slices.Sort(e.attackerInstances)
	sc, err := lab.LoadScenario("builtin:leak")
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range sc.SecurityGroups {
		if g.ID == e.sg {
			for _, r := range g.Rules {
				e.sgRules = append(e.sgRules, ruleString(r.IPProtocol, r.PortRange, r.SourceCidrIP))
			}
		}
	}
	slices.Sort(e.sgRules)
	// The scenario's history must give the test something to check: the
	// attacker launched instances, opened a rule, created a user with a
	// login, a policy and an Active key, and the office instance runs.
	if len(e.attackerInstances) == 0 || len(e.sgRules) == 0 {
		t.Fatalf("test bug: scenario has %d attacker instances in %s, %d declared rules on %s", len(e.attackerInstances), region, len(e.sgRules), e.sg)
	}
	if got := sgRules(initial, e.sg); len(got) <= len(e.sgRules) {
		t.Fatalf("test bug: %s holds %v initially; the attacker's rule is missing", e.sg, got)
	}
	if _, ok := initial.Logins[e.createdUser]; !ok {
		t.Fatalf("test bug: %s has no console login initially", e.createdUser)
	}
	if in := initial.ECS.Instances[e.office]; in == nil || in.Status != lab.ECSRunning {
		t.Fatalf("test bug: office instance %s is %+v initially", e.office, in)
	}
	e.changes = len(e.attackerInstances) + 1 + 1 // the instances, the opened rule, the console login
	for _, a := range initial.Attachments {
		if a.PrincipalType == "User" && a.PrincipalName == e.createdUser {
			e.changes++
		}
	}
	for _, k := range initial.AccessKeys {
		if k.Owner == e.createdUser && k.Status == "Active" {
			e.changes++
		}
	}
	return e
}

// running counts the attacker's instances still Running.
func (e eradExpect) running(w *lab.World) int {
	n := 0
	for _, id := range e.attackerInstances {
		if in := w.ECS.Instances[id]; in != nil && in.Status == lab.ECSRunning {
			n++
		}
	}
	return n
}

func sgRules(w *lab.World, sg string) []string {
	g := w.ECS.SecurityGroups[sg]
	if g == nil {
		return nil
	}
	var out []string
	for _, r := range g.Rules {
		out = append(out, ruleString(r.IPProtocol, r.PortRange, r.SourceCidrIP))
	}
	slices.Sort(out)
	return out
}

// missing lists how the lab differs from e's end state (nil: it holds).
func (e eradExpect) missing(w *lab.World) []string {
	var bad []string
	if _, ok := w.Logins[e.createdUser]; ok {
		bad = append(bad, e.createdUser+" still has a console login")
	}
	for _, a := range w.Attachments {
		if a.PrincipalType == "User" && a.PrincipalName == e.createdUser {
			bad = append(bad, e.createdUser+" still has policy "+a.PolicyName)
		}
	}
	for _, k := range w.AccessKeys {
		if k.Owner == e.createdUser && k.Status == "Active" {
			bad = append(bad, e.createdUser+"'s key "+k.ID+" is Active")
		}
	}
	for _, id := range e.attackerInstances {
		if in := w.ECS.Instances[id]; in == nil || in.Status != lab.ECSStopped {
			st := "gone"
			if in != nil {
				st = in.Status
			}
			bad = append(bad, "attacker instance "+id+" is "+st+", want Stopped")
		}
	}
	if got := sgRules(w, e.sg); !slices.Equal(got, e.sgRules) {
		bad = append(bad, "rules of "+e.sg+" are "+strings.Join(got, ", ")+"; want only "+strings.Join(e.sgRules, ", "))
	}
	if in := w.ECS.Instances[e.office]; in == nil || in.Status != lab.ECSRunning {
		bad = append(bad, "office instance "+e.office+" is not Running")
	}
	return bad
}

// eradPlanChanges runs `eradicate --dry-run -o json` and returns the
// actions it would change.
func eradPlanChanges(t *testing.T, l *inprocLab, key string) []string {
	t.Helper()
	r := l.mustRun(t, 0, "admin", "eradicate", key, "--dry-run", "-o", "json")
	var doc struct {
		Plan struct {
			Actions []struct {
				ID   string `json:"id"`
				Noop bool   `json:"noop"`
			} `json:"actions"`
		} `json:"plan"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("eradicate --dry-run -o json printed no JSON: %v\n%s", err, r)
	}
	var ch []string
	for _, a := range doc.Plan.Actions {
		if !a.Noop {
			ch = append(ch, a.ID)
		}
	}
	return ch
}

// eradicate killed with SIGKILL mid-call and after some of its journaled
// outcomes, then re-run until it exits 0, converges to the end state the
// scenario and issue 16 define; a further run plans nothing; no run but the
// killed one leaves an intent without its outcome.
func TestEradicateSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("kills eradicate at several points on builtin:leak (-short skips it)")
	}
	t.Parallel()
	// The kill points: before any change is done, after the first, with
	// the attacker's instances half stopped, and with every call but the
	// last in flight or done. At each, some of the attacker's instances
	// still run, so each re-run must stop what the killed run did not.
	points := []struct {
		name    string
		kind    string // journal record kind to wait for
		n       int    // kill once this many eradicate records exist (0: one per change)
		midCall bool   // an intent without its outcome is left behind
	}{
		{name: "first intent", kind: journal.KindIntent, n: 1, midCall: true},
		{name: "first outcome", kind: journal.KindOutcome, n: 1},
		{name: "twelfth outcome", kind: journal.KindOutcome, n: 12},
		{name: "last intent", kind: journal.KindIntent, n: 0, midCall: true},
	}
	for _, p := range points {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			l := startInproc(t, "builtin:leak", lab.Options{})
			e := eradExpectation(t, l, l.srv.Snapshot())
			l.mustRun(t, 0, "admin", "contain", e.key, "--allow-ip", l.note(t, "office_cidr"), "--yes")
			if bad := e.missing(l.srv.Snapshot()); len(bad) == 0 {
				t.Fatal("test bug: the end state already holds after contain")
			}

			// Reading the evidence takes some 65 calls: a short latency
			// there, the long one from the plan on, so that each change
			// is slow enough to be killed in flight.
			n := p.n
			if n == 0 {
				n = e.changes
			}
			args := []string{"eradicate", e.key, "--yes"}
			l.srv.SetLatency(eradPlanLatency)
			s := l.start(t, "admin", args...)
			slow := false
			s.waitFor(t, p.name, func() bool {
				recs := journalRecs(l, e.key)
				if !slow && countKind(recs, journal.KindNote, "eradicate") > 0 {
					l.srv.SetLatency(interruptLatency)
					slow = true
				}
				return countKind(recs, p.kind, "eradicate") >= n
			})
			s.kill(t)
			t.Logf("killed at %s after %s", p.name, time.Since(start).Round(time.Millisecond))
			recs := journalRecs(l, e.key)
			killedRun := ""
			for _, r := range recs {
				if r.Command == "eradicate" {
					killedRun = r.RunID
				}
			}
			if p.midCall && len(journal.Pending(recs)) == 0 {
				t.Fatalf("killed mid-call but the journal shows no pending intent")
			}
			if running := e.running(l.srv.Snapshot()); running == 0 {
				t.Errorf("killed at %s, every attacker instance is already stopped: the kill came too late to test the re-run", p.name)
			}

			l.srv.SetLatency(0)
			var last result
			for i := 0; ; i++ {
				if last = l.run(t, "admin", args...); last.code == 0 {
					break
				}
				if i == 2 {
					t.Fatalf("eradicate did not converge in 3 re-runs after the kill:\n%s", last)
				}
			}
			if bad := e.missing(l.srv.Snapshot()); len(bad) > 0 {
				t.Errorf("after the kill at %s and a re-run (exit 0), the end state does not hold:\n  %s\nlast run:\n%s",
					p.name, strings.Join(bad, "\n  "), last)
			}
			after := journalRecs(l, e.key)
			if p.midCall {
				found := false
				for _, rec := range after {
					if rec.Command == "eradicate" && rec.Action == "reconcile" && strings.Contains(rec.Message, "interrupted") {
						found = true
					}
				}
				if !found {
					t.Errorf("no re-run's journal records the interrupted call:\n%s", last)
				}
			}
			for _, pend := range journal.Pending(after) {
				if pend.RunID != killedRun {
					t.Errorf("run %s (%s) left intent %s %s without an outcome", pend.RunID, pend.Command, pend.Action, pend.Target)
				}
			}
			if ch := eradPlanChanges(t, l, e.key); len(ch) > 0 {
				t.Errorf("a further run plans %d change(s): %v", len(ch), ch)
			}
			t.Logf("converged and checked after %s", time.Since(start).Round(time.Millisecond))
		})
	}
}
