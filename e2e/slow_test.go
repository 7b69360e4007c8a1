package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/lab"
)

// Slow answers near the timeouts: answers that arrive just inside --timeout
// are waited for and give the same result as a fast lab; answers that arrive
// after it fail the call, are retried, and end with an error that names the
// API and says what to do, changing nothing.
func TestSlowAnswersNearTheTimeout(t *testing.T) {
	t.Parallel()

	// Every answer takes 700 ms against a 1 s timeout: slow, but in time.
	// The audit finds what the scenario holds and contain contains.
	slow := startInproc(t, "builtin:leak", lab.Options{Latency: 700 * time.Millisecond})
	key := slow.note(t, "leaked_key_id")
	before := labState(t, slow)
	history := slow.srv.Events()
	r := slow.mustRun(t, 0, "admin", "--timeout", "1s", "audit", key, "-o", "json")
	assertLeakAudit(t, slow, history, r.stdout)
	slow.mustRun(t, 0, "admin", "--timeout", "1s", "contain", key, "--allow-ip", slow.note(t, "office_cidr"), "--no-audit", "--yes")
	assertContained(t, slow, before)

	// Past the timeout: every call times out; the command fails, names the
	// API, gives a hint, and the lab is unchanged.
	late := startInproc(t, "builtin:leak", lab.Options{Latency: 1500 * time.Millisecond})
	lateBefore := string(late.srv.StateJSON())
	start := time.Now()
	r = late.run(t, "admin", "--timeout", "500ms", "disable", late.note(t, "idle_key_id"), "--yes")
	if r.code != 1 {
		t.Fatalf("want exit 1 when every answer is late:\n%s", r)
	}
	for _, s := range []string{"akresp:", "hint:", "--timeout"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
		}
	}
	if !strings.Contains(r.stderr, "sts:") && !strings.Contains(r.stderr, "ims:") && !strings.Contains(r.stderr, "ram:") {
		t.Errorf("stderr names no API:\n%s", r.stderr)
	}
	if elapsed := time.Since(start); elapsed > 60*time.Second {
		t.Errorf("gave up only after %s: retries must stay bounded", elapsed)
	}
	if got := string(late.srv.StateJSON()); got != lateBefore {
		t.Error("a run whose every call timed out changed the lab")
	}
}
