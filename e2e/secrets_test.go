package e2e

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/akresp/akresp/internal/lab"
)

// Every command, run at debug log level with HTTP debugging on, never lets
// an AccessKey secret out: not the lab's credentials, not the rotation's new
// secret. The only exit for the new secret is the --secret-file the user
// chose. Everything akresp writes is private: files 0600, directories 0700.
func TestNoSecretLeaves(t *testing.T) {
	t.Parallel()
	l := startInproc(t, "builtin:leak", lab.Options{})
	key := l.note(t, "leaked_key_id")
	created := l.note(t, "created_key_id")
	secretFile := filepath.Join(l.dir, "handover", "new-key.json")
	if err := os.MkdirAll(filepath.Dir(secretFile), 0o700); err != nil {
		t.Fatal(err)
	}
	reportDir := filepath.Join(l.dir, "reports")

	env := append(l.env(t, "admin"), "AKRESP_LOG=debug", "AKRESP_DEBUG=http")
	var runs []result
	do := func(want int, args ...string) {
		t.Helper()
		r := l.runEnv(t, env, args...)
		runs = append(runs, r)
		if r.code != want {
			t.Fatalf("want exit %d:\n%s", want, r)
		}
	}
	do(0, "audit", key)
	do(0, "audit", key, "-o", "json")
	do(0, "audit", "--idle", "-o", "json")
	do(0, "contain", key, "--allow-ip", l.note(t, "office_cidr"), "--require-mfa", "--yes")
	do(0, "contain", key, "--status", "-o", "json")
	do(0, "disable", created, "--yes", "-o", "json")
	do(0, "disable", created, "--enable", "--yes")
	do(0, "disable", created, "--yes")
	do(0, "rotate", key, "--secret-file", secretFile, "--yes")
	newKey := readNewKey(t, secretFile)
	useKey(t, l, newKey, l.note(t, "office_ip"))
	do(0, "rotate", key, "--quiet-for", "0s", "--observe", "0s", "--yes", "-o", "json")
	do(0, "rotate", key, "--status")
	do(0, "contain", key, "--undo", "--all", "--force", "--yes")
	for _, format := range []string{"markdown", "html", "json"} {
		do(0, "report", key, "-o", format, "--out", reportDir)
	}
	// A failing call logs its error: it must not carry the secret either.
	bad := append(l.env(t, "admin"), "AKRESP_LOG=debug", "AKRESP_DEBUG=http",
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET="+l.info.Credentials["admin"].AccessKeySecret+"x")
	r := l.runEnv(t, bad, "audit", key)
	if r.code == 0 {
		t.Fatalf("a wrong secret was accepted:\n%s", r)
	}
	runs = append(runs, r)

	secrets := map[string]string{"new key " + newKey.AccessKeyID: newKey.AccessKeySecret}
	for id, k := range l.srv.Snapshot().AccessKeys {
		if k.Secret != "" {
			secrets["lab key "+id] = k.Secret
		}
	}
	for name, c := range l.info.Credentials {
		secrets["credentials of "+name] = c.AccessKeySecret
	}
	secrets["wrong secret"] = l.info.Credentials["admin"].AccessKeySecret + "x"
	if len(secrets) < 5 {
		t.Fatalf("collected only %d secrets", len(secrets))
	}

	check := func(where, text string) {
		t.Helper()
		for name, s := range secrets {
			if len(s) >= 8 && strings.Contains(text, s) {
				t.Errorf("%s contains the secret of %s", where, name)
			}
		}
	}
	for _, r := range runs {
		check("stdout of akresp "+strings.Join(r.args, " "), r.stdout)
		check("stderr of akresp "+strings.Join(r.args, " "), r.stderr)
	}
	if !strings.Contains(runs[0].stderr, "level=DEBUG") {
		t.Errorf("debug logging was not on, the test proves less than it claims:\n%s", runs[0].stderr)
	}

	files := 0
	for _, root := range []string{l.stateDir(), reportDir, filepath.Dir(secretFile)} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			mode := info.Mode().Perm()
			if d.IsDir() {
				if mode != 0o700 {
					t.Errorf("directory %s has mode %o, want 700", path, mode)
				}
				return nil
			}
			files++
			if mode != 0o600 {
				t.Errorf("file %s has mode %o, want 600", path, mode)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if path == secretFile {
				return nil // the exit the user chose
			}
			check(path, string(b))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if files < 6 {
		t.Errorf("only %d files written under the state and report dirs; the walk proves little", files)
	}
}
