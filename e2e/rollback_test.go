package e2e

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/akresp/akresp/internal/lab"
)

// dropKey removes one access key (by its normalState name) from a
// normalState and re-encodes it.
func dropKey(t *testing.T, s, name string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	keys, _ := m["access_keys"].(map[string]any)
	if _, ok := keys[name]; !ok {
		t.Fatalf("state has no access key %s", name)
	}
	delete(keys, name)
	b, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// rotate killed (SIGKILL) after it disabled the old key, then rolled back:
// the old key is Active again and the lab is back to its state before the
// rotation, except for the new key, which --rollback keeps (Active, so the
// applications already switched keep working) and --rollback --delete-new
// deletes (it then sits in the recycle bin, nothing else differs).
func TestRotateRollbackAfterPartialRun(t *testing.T) {
	t.Parallel()
	for _, deleteNew := range []bool{false, true} {
		name := "keep new key"
		if deleteNew {
			name = "delete new key"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			l := startInproc(t, "builtin:leak", lab.Options{})
			key := l.note(t, "leaked_key_id")
			user := l.note(t, "leaked_user")
			initial := normalState(t, l)

			secret := filepath.Join(l.dir, "new.json")
			l.mustRun(t, 0, "admin", "rotate", key, "--secret-file", secret, "--yes")
			nk := readNewKey(t, secret)
			useKey(t, l, nk, l.note(t, "office_ip"))

			l.srv.SetLatency(interruptLatency)
			s := l.start(t, "admin", "rotate", key, "--quiet-for", "0s", "--observe", "0s", "--yes")
			s.waitFor(t, "step disabled", func() bool { return rotationStep(l, key) == "disabled" })
			s.kill(t)
			l.srv.SetLatency(0)
			if k := l.srv.Snapshot().AccessKeys[key]; k == nil || k.Status != "Inactive" {
				t.Fatalf("killed at step disabled but the old key is %+v, want Inactive", k)
			}

			args := []string{"rotate", key, "--rollback", "--yes"}
			if deleteNew {
				args = append(args, "--delete-new")
			}
			r := l.mustRun(t, 0, "admin", args...)
			if got := rotationStep(l, key); got != "rolled_back" {
				t.Errorf("rotation step after rollback is %q, want rolled_back:\n%s", got, r)
			}
			w := l.srv.Snapshot()
			if k := w.AccessKeys[key]; k == nil || k.Status != "Active" {
				t.Errorf("the old key after rollback is %+v, want Active", k)
			}
			got := normalState(t, l)
			if !deleteNew {
				if k := w.AccessKeys[nk.AccessKeyID]; k == nil || k.Status != "Active" {
					t.Errorf("--rollback must keep the new key %s Active, got %+v", nk.AccessKeyID, k)
				}
				if len(w.RecycleBin) != 0 {
					t.Errorf("--rollback without --delete-new deleted %d key(s)", len(w.RecycleBin))
				}
				if d := cmp.Diff(initial, dropKey(t, got, "NEWKEY-"+user+"-1")); d != "" {
					t.Errorf("--rollback did not restore the state before the rotation, new key aside (-want +got):\n%s", d)
				}
				return
			}
			if k, ok := w.AccessKeys[nk.AccessKeyID]; ok {
				t.Errorf("--rollback --delete-new left the new key %s: %+v", nk.AccessKeyID, k)
			}
			if len(w.RecycleBin) != 1 || w.RecycleBin[nk.AccessKeyID] == nil {
				t.Errorf("the recycle bin should hold exactly the deleted new key %s, holds %d entries", nk.AccessKeyID, len(w.RecycleBin))
			}
			if d := cmp.Diff(withoutRecycleBin(t, initial), withoutRecycleBin(t, got)); d != "" {
				t.Errorf("--rollback --delete-new did not restore the state before the rotation exactly (-want +got):\n%s", d)
			}
		})
	}
}
