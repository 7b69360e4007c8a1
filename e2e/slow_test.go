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

	// Reference: the leaked key's audit conclusions on a fast lab.
	fast := startInproc(t, "builtin:leak", lab.Options{})
	key := fast.note(t, "leaked_key_id")
	want := auditGist(t, fast.mustRun(t, 0, "admin", "audit", key, "-o", "json").stdout)

	// Every answer takes 700 ms against a 1 s timeout: slow, but in time.
	slow := startInproc(t, "builtin:leak", lab.Options{Latency: 700 * time.Millisecond})
	r := slow.mustRun(t, 0, "admin", "--timeout", "1s", "audit", key, "-o", "json")
	if got := auditGist(t, r.stdout); got != want {
		t.Errorf("audit near the timeout differs from the fast audit:\n got %s\nwant %s", got, want)
	}
	before := string(slow.srv.StateJSON())
	slow.mustRun(t, 0, "admin", "--timeout", "1s", "contain", key, "--allow-ip", slow.note(t, "office_cidr"), "--no-audit", "--yes")
	if string(slow.srv.StateJSON()) == before {
		t.Error("contain near the timeout changed nothing")
	}

	// Past the timeout: every call times out; the command fails, names the
	// API, gives a hint, and the lab is unchanged.
	late := startInproc(t, "builtin:leak", lab.Options{Latency: 1500 * time.Millisecond})
	before = string(late.srv.StateJSON())
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
	if got := string(late.srv.StateJSON()); got != before {
		t.Error("a run whose every call timed out changed the lab")
	}
}
