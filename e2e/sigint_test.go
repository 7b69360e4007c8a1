package e2e

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/akresp/akresp/internal/journal"
	"github.com/akresp/akresp/internal/lab"
)

// interrupt sends one SIGINT, like a single Ctrl-C.
func (s *started) interrupt(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
}

// outcomeOf returns the outcome record of intent in recs.
func outcomeOf(recs []journal.Record, intent journal.Record) (journal.Record, bool) {
	for _, r := range recs {
		if r.Kind == journal.KindOutcome && r.RunID == intent.RunID && r.ActionID == intent.ActionID {
			return r, true
		}
	}
	return journal.Record{}, false
}

// A single SIGINT while contain creates the deny policy lets that call
// finish and stops there: the call's outcome is journaled with the lab's
// request ID, the attachment that depends on it is never started, the
// command exits 1 saying it was interrupted and how to complete it, and
// re-running it ends in the containment the scenario and the SPEC define.
// A binary that ignores SIGINT attaches the policy and exits 0: this test
// fails.
func TestContainSIGINTFinishesInFlightCall(t *testing.T) {
	t.Parallel()
	l := startInproc(t, "builtin:leak", lab.Options{Latency: interruptLatency})
	key, user := l.note(t, "leaked_key_id"), l.note(t, "leaked_user")
	args := []string{"contain", key, "--allow-ip", l.note(t, "office_cidr"), "--yes"}
	before := labState(t, l)

	s := l.start(t, "admin", args...)
	var inFlight journal.Record
	s.waitFor(t, "the deny-policy call in flight", func() bool {
		for _, p := range journal.Pending(journalRecs(l, key)) {
			if p.Command == "contain" && p.Action == "ensure-deny-policy" {
				inFlight = p
				return true
			}
		}
		return false
	})
	s.interrupt(t)
	r := s.wait(t)
	if r.code != 1 {
		t.Errorf("contain interrupted before its last action exited %d, want 1 (interrupted, re-run to complete):\n%s", r.code, r)
	}
	if out := strings.ToLower(r.stdout + r.stderr); !strings.Contains(out, "interrupted") || !strings.Contains(out, "re-run") {
		t.Errorf("the interrupted contain does not say it was interrupted and how to complete it:\n%s", r)
	}
	recs := journalRecs(l, key)
	out, ok := outcomeOf(recs, inFlight)
	if !ok {
		t.Fatalf("the call in flight at SIGINT (%s %s) has no outcome record:\n%s", inFlight.Action, inFlight.Target, r)
	}
	if out.Result != journal.ResultOK || out.RequestID == "" {
		t.Errorf("the in-flight call %s %s did not finish: result %q, request id %q, error %q", out.Action, out.Target, out.Result, out.RequestID, out.Error)
	}
	if p := journal.Pending(recs); len(p) != 0 {
		t.Errorf("SIGINT left %d intent(s) without an outcome, first %s %s:\n%s", len(p), p[0].Action, p[0].Target, r)
	}
	for _, rec := range recs {
		if rec.RunID == inFlight.RunID && rec.Kind == journal.KindIntent && rec.Action == "attach-deny-policy" {
			t.Errorf("after SIGINT contain still started %s %s", rec.Action, rec.Target)
		}
	}
	// What the journal says is what the lab holds: the policy exists, it
	// is not attached.
	st := labState(t, l)
	if _, ok := sub(t, st, "policies")[denyPolicyName]; !ok {
		t.Errorf("the journal says %s was created but the lab has no such policy", denyPolicyName)
	}
	if a := denyAttachments(st); len(a) != 0 {
		t.Errorf("%s is attached (%v) although contain was interrupted before attaching it", denyPolicyName, a)
	}

	l.srv.SetLatency(0)
	l.mustRun(t, 0, "admin", args...)
	assertContained(t, l, before)
	if r := l.mustRun(t, 0, "admin", "contain", key, "--status", "-o", "json"); !strings.Contains(r.stdout, user) && !strings.Contains(r.stdout, key) {
		t.Errorf("contain --status after completion does not name the key:\n%s", r)
	}
}

// A single SIGINT while rotate disables the old key lets that call finish
// and stops before verification: the call's outcome is journaled with a
// request ID, the rotation state stays at "disabled" (the step the journal
// shows done), the command exits 1 saying it was interrupted, and re-running
// the same command completes the rotation to what the SPEC defines. A
// binary that ignores SIGINT verifies and exits 0: this test fails.
func TestRotateSIGINTFinishesInFlightCall(t *testing.T) {
	t.Parallel()
	l := startInproc(t, "builtin:leak", lab.Options{})
	key := l.note(t, "leaked_key_id")
	before := labState(t, l)
	secret := filepath.Join(l.dir, "new.json")
	l.mustRun(t, 0, "admin", "rotate", key, "--secret-file", secret, "--yes")
	useKey(t, l, readNewKey(t, secret), l.note(t, "office_ip"))

	finish := []string{"rotate", key, "--quiet-for", "0s", "--observe", "0s", "--yes"}
	l.srv.SetLatency(interruptLatency)
	s := l.start(t, "admin", finish...)
	var inFlight journal.Record
	s.waitFor(t, "a rotate call in flight", func() bool {
		for _, p := range journal.Pending(journalRecs(l, key)) {
			if p.Command == "rotate" {
				inFlight = p
				return true
			}
		}
		return false
	})
	s.interrupt(t)
	r := s.wait(t)
	if r.code != 1 {
		t.Errorf("rotate interrupted during %s %s exited %d, want 1 (interrupted, re-run to resume):\n%s", inFlight.Action, inFlight.Target, r.code, r)
	}
	if out := strings.ToLower(r.stdout + r.stderr); !strings.Contains(out, "interrupted") || !strings.Contains(out, "re-run") {
		t.Errorf("the interrupted rotate does not say it was interrupted and how to resume:\n%s", r)
	}
	recs := journalRecs(l, key)
	out, ok := outcomeOf(recs, inFlight)
	if !ok {
		t.Fatalf("the call in flight at SIGINT (%s %s) has no outcome record:\n%s", inFlight.Action, inFlight.Target, r)
	}
	if out.Result != journal.ResultOK || out.RequestID == "" {
		t.Errorf("the in-flight call %s %s did not finish: result %q, request id %q, error %q", out.Action, out.Target, out.Result, out.RequestID, out.Error)
	}
	if p := journal.Pending(recs); len(p) != 0 {
		t.Errorf("SIGINT left %d intent(s) without an outcome, first %s %s:\n%s", len(p), p[0].Action, p[0].Target, r)
	}
	if step := rotationStep(l, key); step != "disabled" {
		t.Errorf("after SIGINT during the disable call the rotation is at %q, want disabled (finished the call, verified nothing)", step)
	}
	if k := l.srv.Snapshot().AccessKeys[key]; k == nil || k.Status != "Inactive" {
		t.Errorf("the journal says %s was disabled but the lab has %+v", key, k)
	}

	l.srv.SetLatency(0)
	l.mustRun(t, 0, "admin", finish...)
	if got := rotationStep(l, key); got != "verified" {
		t.Fatalf("rotation ended at %q, want verified", got)
	}
	assertRotated(t, l, before, secret, nil, 0)
}
