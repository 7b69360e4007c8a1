package e2e

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akresp/akresp/internal/lab"
)

// untilDone runs a command as a user would on a bad day: when it fails it
// must exit 1 and say how to resume, and running it again is the resume.
// On a clean lab it must succeed the first time.
func untilDone(t *testing.T, l *inprocLab, faulty bool, args ...string) result {
	t.Helper()
	tries := 1
	if faulty {
		tries = 8
	}
	var r result
	for i := 0; i < tries; i++ {
		r = l.run(t, "admin", args...)
		if r.code == 0 {
			return r
		}
		if r.code != 1 {
			t.Fatalf("a failed run must exit 1 (runtime error), got:\n%s", r)
		}
		assertResumable(t, r)
	}
	t.Fatalf("still failing after %d runs:\n%s", tries, r)
	return r
}

// assertResumable checks a failed run's stderr says what failed and how to
// go on. A failure that happened before anything changed names the API and
// the error; a failure part-way names the journal or the re-run command.
func assertResumable(t *testing.T, r result) {
	t.Helper()
	msg := r.stderr
	if !strings.Contains(msg, "error") && !strings.Contains(msg, "failed") {
		t.Fatalf("failed run does not say it failed:\n%s", r)
	}
	hints := []string{"re-run", "run again", "akresp " + r.args[0], "retry", "try again", "Hint", "hint"}
	for _, h := range hints {
		if strings.Contains(msg, h) {
			return
		}
	}
	t.Fatalf("failed run gives no way to resume:\n%s", r)
}

// runIncident walks the builtin:leak incident: audit, idle sweep, contain
// to the office, disable the key the attacker created, rotate (create and
// hand over, the application switches, then cut-over, disable and verify),
// checking each step against what the scenario and the SPEC define.
func runIncident(t *testing.T, l *inprocLab, faulty bool) {
	t.Helper()
	key := l.note(t, "leaked_key_id")
	before := labState(t, l)
	history := l.srv.Events()
	ar := untilDone(t, l, faulty, "audit", key, "-o", "json")
	assertLeakAudit(t, l, history, ar.stdout)
	assertLeakSweep(t, l, untilDone(t, l, faulty, "audit", "--idle", "-o", "json").stdout)
	if got := labState(t, l); !cmp.Equal(before, got) {
		t.Fatalf("the audits changed the lab (-before +after):\n%s", cmp.Diff(before, got))
	}
	untilDone(t, l, faulty, "contain", key, "--allow-ip", l.note(t, "office_cidr"), "--yes")
	assertContained(t, l, before)
	created := l.note(t, "created_key_id")
	untilDone(t, l, faulty, "disable", created, "--yes")
	if k := l.srv.Snapshot().AccessKeys[created]; k == nil || k.Status != "Inactive" {
		t.Errorf("disable %s left %+v, want the key Inactive", created, k)
	}
	secret := filepath.Join(l.dir, "new-key.json")
	untilDone(t, l, faulty, "rotate", key, "--secret-file", secret, "--yes")
	useKey(t, l, readNewKey(t, secret), l.note(t, "office_ip"))
	untilDone(t, l, faulty, "rotate", key, "--quiet-for", "0s", "--observe", "0s", "--yes")
	st := untilDone(t, l, faulty, "rotate", key, "--status", "-o", "json")
	if !strings.Contains(st.stdout, `"verified"`) {
		t.Fatalf("rotation did not reach verified:\n%s", st)
	}
	// The expected end: before, contained, the attacker's key disabled,
	// the leaked key rotated with its ACL carried to the new key.
	want := cloneState(t, before)
	sub(t, want, "access_keys", created)["status"] = "Inactive"
	assertRotated(t, l, want, secret, []string{l.note(t, "office_cidr")}, 0)
	if st := labState(t, l); len(denyAttachments(st)) != 1 {
		t.Errorf("after the rotation the deny policy attachments are %v, want the one contain made", denyAttachments(st))
	}
}

// A fault-injected run (15% of answers a 503 or a dropped connection,
// half of Alibaba's per-API quotas so throttling really happens, 20ms
// latency) of the builtin:leak incident finds what the scenario holds and
// ends in the state the SPEC defines (runIncident); no side effect is
// applied twice (a second policy version or a second new key fail the
// state checks).
func TestLeakIncidentFaulty(t *testing.T) {
	t.Parallel()
	faulty := startInproc(t, "builtin:leak", lab.Options{FaultRate: 0.15, FaultSeed: 7, QuotaScale: 0.5, Latency: 20 * time.Millisecond})
	runIncident(t, faulty, true)
	st := faulty.srv.Stats()
	if st.Faults == 0 || st.Throttled == 0 {
		t.Errorf("the faulty lab injected nothing: %+v", st)
	}
	t.Logf("faulty lab: %d requests, %d faults, %d throttled", st.Requests, st.Faults, st.Throttled)
}
