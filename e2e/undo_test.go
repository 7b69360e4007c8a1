package e2e

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/akresp/akresp/internal/lab"
)

// contain run twice with different allow lists, then undone: the second
// run adds to the ACL in effect (README: a re-run only adds); --undo
// reverts the last run only, back to the first run's list (not to "no
// ACL", which would be the first run's "before"); --undo --all reverts to
// the state before the first run exactly (not to the second run's "before",
// which would leave the first list in place).
func TestContainTwiceThenUndo(t *testing.T) {
	t.Parallel()
	l := startInproc(t, "builtin:leak", lab.Options{})
	key := l.note(t, "leaked_key_id")
	first, second := l.note(t, "office_cidr"), "127.0.0.20/31"
	initial := normalState(t, l)
	before := labState(t, l)

	l.mustRun(t, 0, "admin", "contain", key, "--allow-ip", first, "--yes")
	assertContained(t, l, before)
	l.mustRun(t, 0, "admin", "contain", key, "--allow-ip", second, "--yes")
	want := []string{first, second}
	slices.Sort(want)
	if status, ips := aclOf(t, labState(t, l), key); status != "Active" || !slices.Equal(ips, want) {
		t.Fatalf("after the second contain the ACL is %s %v, want Active %v (a re-run adds)", status, ips, want)
	}

	l.mustRun(t, 0, "admin", "contain", key, "--undo", "--yes")
	if status, ips := aclOf(t, labState(t, l), key); status != "Active" || !slices.Equal(ips, []string{first}) {
		t.Errorf("--undo of the second run left the ACL %s %v, want the first run's Active [%s]", status, ips, first)
	}
	if a := denyAttachments(labState(t, l)); len(a) != 1 {
		t.Errorf("--undo of the second run changed the deny policy the first run attached: %v", a)
	}

	l.mustRun(t, 0, "admin", "contain", key, "--undo", "--all", "--force", "--yes")
	if got := normalState(t, l); got != initial {
		t.Errorf("--undo --all did not restore the state before the first contain (-want +got):\n%s", cmp.Diff(initial, got))
	}
}

// An application missed by the cut-over calls with the old key right after
// it is disabled: the rotation's observation window, which starts at the
// disable, sees the failed call and refuses to verify (exit 1, naming the
// source, pointing to --rollback). A window starting even a minute late
// misses the call and verifies: this test fails then.
func TestRotateSeesMissedApplicationRightAfterDisable(t *testing.T) {
	t.Parallel()
	l := startInproc(t, "builtin:leak", lab.Options{})
	key, user, office := l.note(t, "leaked_key_id"), l.note(t, "leaked_user"), l.note(t, "office_ip")
	secret := filepath.Join(l.dir, "new.json")
	l.mustRun(t, 0, "admin", "rotate", key, "--secret-file", secret, "--yes")
	useKey(t, l, readNewKey(t, secret), office)
	// Disable, then keep watching for an hour: the run stops at disabled.
	l.mustRun(t, 0, "admin", "rotate", key, "--quiet-for", "0s", "--observe", "1h", "--yes")
	if step := rotationStep(l, key); step != "disabled" {
		t.Fatalf("rotation at %q after the disabling run, want disabled", step)
	}
	// The missed application: the office, with the old key, now.
	if err := callGetUser(t, l, user, office); err == nil {
		t.Fatalf("a call with the disabled key %s succeeded", key)
	}
	r := l.run(t, "admin", "rotate", key, "--observe", "0s", "--yes")
	if r.code != 1 {
		t.Errorf("rotate verified although a legitimate call failed with the disabled key right after the disable: exit %d\n%s", r.code, r)
	}
	if step := rotationStep(l, key); step == "verified" {
		t.Errorf("the rotation reached verified despite the missed application")
	}
	if out := r.stdout + r.stderr; !strings.Contains(out, office) || !strings.Contains(out, "--rollback") {
		t.Errorf("the refusal does not name the missed application's source %s and --rollback:\n%s", office, r)
	}
}
