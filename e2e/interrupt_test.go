package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akresp/akresp/internal/journal"
	"github.com/akresp/akresp/internal/lab"
)

// interruptLatency slows every lab answer so that a test polling the
// journal or the rotation state sees each step before the next one starts.
const interruptLatency = 300 * time.Millisecond

// journalRecs reads the key's journals (tolerating the directory not
// existing yet).
func journalRecs(l *inprocLab, keyID string) []journal.Record {
	recs, _, err := journal.ReadKey(l.stateDir(), keyID)
	if err != nil {
		return nil
	}
	return recs
}

func countKind(recs []journal.Record, kind, command string) int {
	n := 0
	for _, r := range recs {
		if r.Kind == kind && r.Command == command {
			n++
		}
	}
	return n
}

// kill sends SIGKILL: no deferred cleanup, no signal handler, the worst case.
func (s *started) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-s.done
}

// contain killed at each point of its journal, then re-run, converges to
// the containment the scenario and the SPEC define (assertContained); the
// state at the kill is what the journal says was done (complete only when
// every outcome was written); the re-run's journal records the interrupted
// call; --undo after the partial run and its completion restores the state
// before containment exactly.
func TestContainSurvivesSIGKILL(t *testing.T) {
	t.Parallel()
	points := []struct {
		name     string
		kind     string // journal record kind to wait for
		n        int    // kill once this many exist
		midCall  bool   // an intent without its outcome is left behind
		complete bool   // the containment is complete at the kill
	}{
		{name: "first intent", kind: journal.KindIntent, n: 1, midCall: true},
		{name: "first outcome", kind: journal.KindOutcome, n: 1},
		{name: "third intent (attach)", kind: journal.KindIntent, n: 3, midCall: true},
		{name: "every outcome, before verify", kind: journal.KindOutcome, n: 3, complete: true},
	}
	for _, p := range points {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			l := startInproc(t, "builtin:leak", lab.Options{Latency: interruptLatency})
			key := l.note(t, "leaked_key_id")
			args := []string{"contain", key, "--allow-ip", l.note(t, "office_cidr"), "--yes"}
			initial := normalState(t, l)
			before := labState(t, l)
			s := l.start(t, "admin", args...)
			s.waitFor(t, p.name, func() bool { return countKind(journalRecs(l, key), p.kind, "contain") >= p.n })
			s.kill(t)
			recs := journalRecs(l, key)
			if p.midCall && len(journal.Pending(recs)) == 0 {
				t.Fatalf("killed mid-call but the journal shows no pending intent")
			}
			if got := isContained(t, l); got != p.complete {
				t.Errorf("killed at %s: containment complete = %v, want %v (the journal holds %d intents, %d outcomes)",
					p.name, got, p.complete, countKind(recs, journal.KindIntent, "contain"), countKind(recs, journal.KindOutcome, "contain"))
			}

			l.srv.SetLatency(0)
			r := l.mustRun(t, 0, "admin", args...)
			assertContained(t, l, before)
			after := journalRecs(l, key)
			if p.midCall {
				found := false
				for _, rec := range after {
					if rec.Action == "reconcile" && strings.Contains(rec.Message, "interrupted") {
						found = true
					}
				}
				if !found {
					t.Errorf("the re-run's journal does not record the interrupted call:\n%s", r)
				}
			}
			// Every intent of a finished run has its outcome, except the
			// ones the killed run left (reconciled above).
			for _, pend := range journal.Pending(after) {
				if pend.RunID != recs[0].RunID {
					t.Errorf("run %s left intent %s %s without an outcome", pend.RunID, pend.Action, pend.Target)
				}
			}
			// A third run is a no-op.
			if r := l.mustRun(t, 0, "admin", args...); !strings.Contains(r.stdout, "already contained") {
				t.Errorf("third run was not a no-op:\n%s", r)
			}
			// Undo restores the state before containment exactly.
			l.mustRun(t, 0, "admin", "contain", key, "--undo", "--all", "--force", "--yes")
			if got := normalState(t, l); got != initial {
				t.Errorf("--undo after an interrupted containment did not restore the state (-want +got):\n%s", cmp.Diff(initial, got))
			}
		})
	}
}

// isContained reports whether the leaked key's ACL is the office CIDR and
// the deny policy is attached to its user: the containment complete.
func isContained(t *testing.T, l *inprocLab) bool {
	t.Helper()
	st := labState(t, l)
	status, ips := aclOf(t, st, l.note(t, "leaked_key_id"))
	atts := denyAttachments(st)
	return status == "Active" && slices.Equal(ips, []string{l.note(t, "office_cidr")}) &&
		len(atts) == 1 && atts[0]["principal_name"] == l.note(t, "leaked_user")
}

// rotationStep reads the step persisted in rotation.json ("" if none yet).
func rotationStep(l *inprocLab, keyID string) string {
	b, err := os.ReadFile(filepath.Join(l.stateDir(), keyID, "rotation.json"))
	if err != nil {
		return ""
	}
	var st struct {
		Step string `json:"step"`
	}
	if json.Unmarshal(b, &st) != nil {
		return ""
	}
	return st.Step
}

// withoutRecycleBin drops the recycle bin from a normalState: a rotation
// killed after CreateAccessKey and before the hand-over deletes the key
// whose secret was lost, which the uninterrupted run never created.
func withoutRecycleBin(t *testing.T, s string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "recycle_bin")
	b, _ := json.MarshalIndent(m, "", " ")
	return string(b)
}

// rotate killed at each persisted step, then re-run with the same command,
// converges to the rotation the SPEC defines (assertRotated); a key whose
// secret never reached the user is deleted, never left behind or handed
// out; the secret file exists exactly when the state says the secret was
// handed over, and then holds the key the lab has.
func TestRotateSurvivesSIGKILL(t *testing.T) {
	t.Parallel()
	finish := func(key string) []string {
		return []string{"rotate", key, "--quiet-for", "0s", "--observe", "0s", "--yes"}
	}
	points := []struct {
		step   string
		second bool // kill the finishing run rather than the first
	}{
		{step: "creating"},
		{step: "created"},
		{step: "cut_over", second: true},
		{step: "disabled", second: true},
	}
	for _, p := range points {
		t.Run(p.step, func(t *testing.T) {
			t.Parallel()
			l := startInproc(t, "builtin:leak", lab.Options{Latency: interruptLatency})
			key := l.note(t, "leaked_key_id")
			before := labState(t, l)
			secret := filepath.Join(l.dir, "new.json")
			first := []string{"rotate", key, "--secret-file", secret, "--yes"}
			lost := 0
			if !p.second {
				s := l.start(t, "admin", first...)
				// created lasts only as long as the local --secret-file
				// write: polling from outside may see handed_over first,
				// which is then the kill point.
				s.waitFor(t, "step "+p.step, func() bool {
					st := rotationStep(l, key)
					return st == p.step || p.step == "created" && st == "handed_over"
				})
				s.kill(t)
				at := rotationStep(l, key)
				_, statErr := os.Stat(secret)
				switch at {
				case "creating":
					// CreateAccessKey was in flight: no secret can exist.
					if statErr == nil {
						t.Errorf("killed at creating, yet the secret file %s exists", secret)
					}
				case "created":
					// The new key exists and its secret may or may not have
					// reached the file: the re-run deletes that key.
					lost = 1
				case "handed_over":
					nk := readNewKey(t, secret)
					if k := l.srv.Snapshot().AccessKeys[nk.AccessKeyID]; k == nil || k.Status != "Active" {
						t.Errorf("the state says the secret of %s was handed over, but the lab has %+v", nk.AccessKeyID, k)
					}
				default:
					t.Fatalf("killed while waiting for step %s, the state is at %q", p.step, at)
				}
			}
			l.srv.SetLatency(0)
			if r := l.run(t, "admin", first...); r.code != 0 {
				t.Fatalf("re-run of the first rotate command:\n%s", r)
			}
			nk := readNewKey(t, secret)
			useKey(t, l, nk, l.note(t, "office_ip"))
			if p.second {
				l.srv.SetLatency(interruptLatency)
				s := l.start(t, "admin", finish(key)...)
				s.waitFor(t, "step "+p.step, func() bool { return rotationStep(l, key) == p.step })
				s.kill(t)
				l.srv.SetLatency(0)
				if got := readNewKey(t, secret); got != nk {
					t.Errorf("the killed finishing run changed the secret file: key %s, was %s", got.AccessKeyID, nk.AccessKeyID)
				}
			}
			l.mustRun(t, 0, "admin", finish(key)...)
			if got := rotationStep(l, key); got != "verified" {
				t.Fatalf("rotation ended at %q, want verified", got)
			}
			assertRotated(t, l, before, secret, nil, lost)
		})
	}
}
