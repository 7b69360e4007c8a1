package e2e

import (
	"path/filepath"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

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

// A single SIGINT while contain has a call in flight lets that call finish:
// the process exits only after the lab answered it, the journal holds the
// call's outcome with the lab's request ID and leaves no intent pending,
// and a re-run completes containment to the state of an uninterrupted run.
func TestContainSIGINTFinishesInFlightCall(t *testing.T) {
	t.Parallel()
	ref := startInproc(t, "builtin:leak", lab.Options{})
	key := ref.note(t, "leaked_key_id")
	args := []string{"contain", key, "--allow-ip", ref.note(t, "office_cidr"), "--yes"}
	ref.mustRun(t, 0, "admin", args...)
	want := normalState(t, ref)

	l := startInproc(t, "builtin:leak", lab.Options{Latency: interruptLatency})
	s := l.start(t, "admin", args...)
	var inFlight journal.Record
	s.waitFor(t, "a contain call in flight", func() bool {
		for _, p := range journal.Pending(journalRecs(l, key)) {
			if p.Command == "contain" {
				inFlight = p
				return true
			}
		}
		return false
	})
	s.interrupt(t)
	r := s.wait(t)
	if r.code == 0 {
		t.Logf("note: contain exited 0 after SIGINT (it had finished its last call)")
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

	l.srv.SetLatency(0)
	l.mustRun(t, 0, "admin", args...)
	if got := normalState(t, l); got != want {
		t.Errorf("re-run after SIGINT did not complete containment (-want +got):\n%s", cmp.Diff(want, got))
	}
}

// A single SIGINT while rotate's first run has a call in flight lets that
// call finish and journals its outcome with a request ID; re-running the
// same command resumes, and the rotation converges to an uninterrupted one.
func TestRotateSIGINTFinishesInFlightCall(t *testing.T) {
	t.Parallel()
	finish := func(key string) []string {
		return []string{"rotate", key, "--quiet-for", "0s", "--observe", "0s", "--yes"}
	}
	ref := startInproc(t, "builtin:leak", lab.Options{})
	key := ref.note(t, "leaked_key_id")
	refSecret := filepath.Join(ref.dir, "new.json")
	ref.mustRun(t, 0, "admin", "rotate", key, "--secret-file", refSecret, "--yes")
	useKey(t, ref, readNewKey(t, refSecret), ref.note(t, "office_ip"))
	ref.mustRun(t, 0, "admin", finish(key)...)
	want := normalState(t, ref)

	l := startInproc(t, "builtin:leak", lab.Options{Latency: interruptLatency})
	secret := filepath.Join(l.dir, "new.json")
	first := []string{"rotate", key, "--secret-file", secret, "--yes"}
	s := l.start(t, "admin", first...)
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
	t.Logf("rotate exited %d after SIGINT during %s %s (step %s)", r.code, inFlight.Action, inFlight.Target, rotationStep(l, key))
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

	l.srv.SetLatency(0)
	l.mustRun(t, 0, "admin", first...)
	useKey(t, l, readNewKey(t, secret), l.note(t, "office_ip"))
	l.mustRun(t, 0, "admin", finish(key)...)
	if got := rotationStep(l, key); got != "verified" {
		t.Fatalf("rotation ended at %q, want verified", got)
	}
	if d := cmp.Diff(withoutRecycleBin(t, want), withoutRecycleBin(t, normalState(t, l))); d != "" {
		t.Errorf("rotation interrupted by SIGINT did not converge (-want +got):\n%s", d)
	}
}
