package e2e

import (
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akresp/akresp/internal/lab"
)

// incidentOutcome is what the builtin:leak incident produced that must not
// depend on faults: the audit's conclusions, the idle sweep's
// classification and the lab's final state.
type incidentOutcome struct {
	Audit string
	Sweep string
	State string
}

// auditGist keeps the audit JSON's conclusions: verdict, findings (rule and
// severity), source IPs with their counts, services, created identities.
func auditGist(t *testing.T, out string) string {
	t.Helper()
	var a struct {
		Window struct {
			Events int `json:"events"`
		} `json:"window"`
		Sources []struct {
			IP      string `json:"ip"`
			Count   int    `json:"count"`
			Flagged bool   `json:"flagged"`
		} `json:"source_ips"`
		Findings []struct {
			ID       string `json:"id"`
			Severity string `json:"severity"`
		} `json:"findings"`
		Verdict json.RawMessage `json:"verdict"`
		Created []struct {
			Kind string `json:"kind"`
			Name string `json:"name"`
		} `json:"created_identities"`
	}
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatalf("audit -o json printed no JSON: %v\n%s", err, out)
	}
	if len(a.Findings) == 0 {
		t.Fatalf("audit of the leaked key found nothing:\n%s", out)
	}
	b, _ := json.MarshalIndent(a, "", " ")
	return string(b)
}

// sweepGist keeps each key's classes and severity from audit --idle.
func sweepGist(t *testing.T, out string) string {
	t.Helper()
	var s struct {
		Keys []struct {
			User     string   `json:"user"`
			ID       string   `json:"access_key_id"`
			Slot     string   `json:"slot"`
			Classes  []string `json:"classes"`
			Severity string   `json:"severity"`
		} `json:"keys"`
		Summary json.RawMessage `json:"summary"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("audit --idle -o json printed no JSON: %v\n%s", err, out)
	}
	sort.Slice(s.Keys, func(i, j int) bool {
		return s.Keys[i].User+s.Keys[i].ID+s.Keys[i].Slot < s.Keys[j].User+s.Keys[j].ID+s.Keys[j].Slot
	})
	b, _ := json.MarshalIndent(s, "", " ")
	return string(b)
}

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
// hand over, the application switches, then cut-over, disable and verify).
func runIncident(t *testing.T, l *inprocLab, faulty bool) incidentOutcome {
	t.Helper()
	key := l.note(t, "leaked_key_id")
	var o incidentOutcome
	o.Audit = auditGist(t, untilDone(t, l, faulty, "audit", key, "-o", "json").stdout)
	o.Sweep = sweepGist(t, untilDone(t, l, faulty, "audit", "--idle", "-o", "json").stdout)
	untilDone(t, l, faulty, "contain", key, "--allow-ip", l.note(t, "office_cidr"), "--yes")
	untilDone(t, l, faulty, "disable", l.note(t, "created_key_id"), "--yes")
	secret := filepath.Join(l.dir, "new-key.json")
	untilDone(t, l, faulty, "rotate", key, "--secret-file", secret, "--yes")
	useKey(t, l, readNewKey(t, secret), l.note(t, "office_ip"))
	untilDone(t, l, faulty, "rotate", key, "--quiet-for", "0s", "--observe", "0s", "--yes")
	st := untilDone(t, l, faulty, "rotate", key, "--status", "-o", "json")
	if !strings.Contains(st.stdout, `"verified"`) {
		t.Fatalf("rotation did not reach verified:\n%s", st)
	}
	o.State = normalState(t, l)
	return o
}

// A fault-injected run (15% of answers a 503 or a dropped connection,
// half of Alibaba's per-API quotas so throttling really happens, 20ms latency) of the builtin:leak incident
// ends in the same lab state, with the same findings, as a clean run; no
// side effect is applied twice (the state would show a second policy
// version or a second new key).
func TestLeakIncidentCleanVsFaulty(t *testing.T) {
	t.Parallel()
	clean := startInproc(t, "builtin:leak", lab.Options{})
	faulty := startInproc(t, "builtin:leak", lab.Options{FaultRate: 0.15, FaultSeed: 7, QuotaScale: 0.5, Latency: 20 * time.Millisecond})

	want := runIncident(t, clean, false)
	got := runIncident(t, faulty, true)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("faulty run differs from the clean run (-clean +faulty):\n%s", d)
	}
	st := faulty.srv.Stats()
	if st.Faults == 0 || st.Throttled == 0 {
		t.Errorf("the faulty lab injected nothing: %+v", st)
	}
	t.Logf("faulty lab: %d requests, %d faults, %d throttled", st.Requests, st.Faults, st.Throttled)
	// One deny policy with exactly one version, one new key for app-prod.
	w := faulty.srv.Snapshot()
	if p := w.Policies["akresp-deny-high-risk"]; p == nil || len(p.Versions) != 1 {
		t.Errorf("deny policy versions = %+v, want exactly one", p)
	}
	n := 0
	for id, k := range w.AccessKeys {
		if k.Owner == faulty.note(t, "leaked_user") && id != faulty.note(t, "leaked_key_id") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("app-prod has %d new keys, want 1", n)
	}
}
