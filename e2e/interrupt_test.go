package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
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
// the state of an uninterrupted run; the re-run's journal records the
// interrupted call; --undo after the partial run and its completion
// restores the state before containment exactly.
func TestContainSurvivesSIGKILL(t *testing.T) {
	t.Parallel()
	ref := startInproc(t, "builtin:leak", lab.Options{})
	key := ref.note(t, "leaked_key_id")
	args := []string{"contain", key, "--allow-ip", ref.note(t, "office_cidr"), "--yes"}
	initial := normalState(t, ref)
	ref.mustRun(t, 0, "admin", args...)
	want := normalState(t, ref)
	if want == initial {
		t.Fatal("contain changed nothing on the reference lab")
	}

	points := []struct {
		name    string
		kind    string // journal record kind to wait for
		n       int    // kill once this many exist
		midCall bool   // an intent without its outcome is left behind
	}{
		{name: "first intent", kind: journal.KindIntent, n: 1, midCall: true},
		{name: "first outcome", kind: journal.KindOutcome, n: 1},
		{name: "third intent (attach)", kind: journal.KindIntent, n: 3, midCall: true},
		{name: "every outcome, before verify", kind: journal.KindOutcome, n: 3},
	}
	for _, p := range points {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			l := startInproc(t, "builtin:leak", lab.Options{Latency: interruptLatency})
			s := l.start(t, "admin", args...)
			s.waitFor(t, p.name, func() bool { return countKind(journalRecs(l, key), p.kind, "contain") >= p.n })
			s.kill(t)
			recs := journalRecs(l, key)
			if p.midCall && len(journal.Pending(recs)) == 0 {
				t.Fatalf("killed mid-call but the journal shows no pending intent")
			}
			if normalState(t, l) == want {
				t.Logf("note: state was already complete when killed")
			}

			l.srv.SetLatency(0)
			r := l.mustRun(t, 0, "admin", args...)
			if got := normalState(t, l); got != want {
				t.Errorf("re-run after SIGKILL at %s did not converge (-want +got):\n%s", p.name, cmp.Diff(want, got))
			}
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
			l.mustRun(t, 0, "admin", "contain", key, "--undo", "--yes")
			if got := normalState(t, l); got != initial {
				t.Errorf("--undo after an interrupted containment did not restore the state (-want +got):\n%s", cmp.Diff(initial, got))
			}
		})
	}
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
// converges to the state of an uninterrupted rotation; a key whose secret
// never reached the user is deleted, never left behind or handed out.
func TestRotateSurvivesSIGKILL(t *testing.T) {
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
			secret := filepath.Join(l.dir, "new.json")
			first := []string{"rotate", key, "--secret-file", secret, "--yes"}
			if !p.second {
				s := l.start(t, "admin", first...)
				// created lasts only as long as the local --secret-file
				// write: polling from outside may see handed_over first,
				// which is then the kill point (logged).
				s.waitFor(t, "step "+p.step, func() bool {
					st := rotationStep(l, key)
					return st == p.step || p.step == "created" && st == "handed_over"
				})
				s.kill(t)
				t.Logf("killed at step %s", rotationStep(l, key))
				if _, err := os.Stat(secret); err == nil && p.step != "handed_over" {
					// A secret file written before the step was persisted
					// is acceptable only if the re-run copes with it.
					t.Logf("secret file exists after kill at %s", p.step)
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
			}
			l.mustRun(t, 0, "admin", finish(key)...)
			if got := rotationStep(l, key); got != "verified" {
				t.Fatalf("rotation ended at %q, want verified", got)
			}
			got := normalState(t, l)
			w := l.srv.Snapshot()
			if k := w.AccessKeys[nk.AccessKeyID]; k == nil || k.Status != "Active" {
				t.Errorf("the handed-over key %s is not Active: %+v", nk.AccessKeyID, k)
			}
			for id, rk := range w.RecycleBin {
				if rk.Key.Owner != l.note(t, "leaked_user") || id == nk.AccessKeyID || id == key {
					t.Errorf("unexpected key %s in the recycle bin: %+v", id, rk.Key)
				}
			}
			if p.step != "created" && len(w.RecycleBin) != 0 {
				t.Errorf("kill at %s left %d deleted keys; only a lost secret justifies one", p.step, len(w.RecycleBin))
			}
			if d := cmp.Diff(withoutRecycleBin(t, want), withoutRecycleBin(t, got)); d != "" {
				t.Errorf("rotation killed at %s did not converge (-want +got):\n%s", p.step, d)
			}
		})
	}
}
