package state

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const keyA = "LTAI5tAAAAAAAAAAAAAAAAAA"

// privateLocks points the per-user lock directory at a fresh temp dir so
// that tests (and other test binaries running at the same time) do not
// share locks.
func privateLocks(t *testing.T) string {
	t.Helper()
	d := filepath.Join(t.TempDir(), "locks")
	t.Setenv(LockDirEnv, d)
	return d
}

func perm(t *testing.T, p string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode() & (os.ModePerm | os.ModeSticky)
}

func TestKeyDirCreatesMissing0700(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	base := filepath.Join(t.TempDir(), "a", "st")
	dir, err := KeyDir(base, keyA)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{base, dir} {
		if got := perm(t, d); got != DirMode {
			t.Errorf("%s mode %v, want %v", d, got, DirMode)
		}
	}
	for _, bad := range []string{"", ".", "..", "a/b", `a\b`} {
		if _, err := KeyDir(base, bad); err == nil {
			t.Errorf("KeyDir(%q) succeeded", bad)
		}
	}
}

func TestKeyDirNeverChmodsExisting(t *testing.T) {
	base := filepath.Join(t.TempDir(), "st")
	if err := os.Mkdir(base, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(base, 0o755)
	if _, err := KeyDir(base, keyA); err != nil {
		t.Fatalf("a 0755 directory of the user's own was refused: %v", err)
	}
	if got := perm(t, base); got != 0o755 {
		t.Errorf("existing directory chmod-ed to %v", got)
	}
}

func wantDirError(t *testing.T, err error, path string, fix string) {
	t.Helper()
	var de *DirError
	if !errors.As(err, &de) {
		t.Fatalf("err = %v, want *DirError", err)
	}
	if de.ExitCode() != 2 {
		t.Errorf("exit code %d, want 2", de.ExitCode())
	}
	if de.Path != path || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), fix) {
		t.Errorf("message %q does not name %s and the fix %q", err, path, fix)
	}
}

func TestKeyDirRefusesSharedDirectories(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(base string) string // returns the directory that must be refused
	}{
		{"base 1777", func(base string) string { os.Chmod(base, 0o777|os.ModeSticky); return base }},
		{"base group-writable", func(base string) string { os.Chmod(base, 0o770); return base }},
		{"key dir world-writable", func(base string) string {
			d := filepath.Join(base, keyA)
			os.Mkdir(d, 0o700)
			os.Chmod(d, 0o777)
			return d
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			privateLocks(t)
			base := filepath.Join(t.TempDir(), "st")
			if err := os.Mkdir(base, 0o700); err != nil {
				t.Fatal(err)
			}
			bad := tc.setup(base)
			fix := "chmod 700 " + bad
			if tc.name == "base 1777" {
				fix = "pass --state-dir to a directory you own"
			}
			before := perm(t, bad)
			if tc.name == "base 1777" && before != os.ModeSticky|0o777 {
				t.Fatalf("setup: mode %v, want drwxrwxrwt", before)
			}
			_, err := KeyDir(base, keyA)
			wantDirError(t, err, bad, fix)
			if tc.name == "base 1777" && strings.Contains(err.Error(), "chmod") {
				t.Errorf("a shared sticky directory gets a chmod suggestion: %v", err)
			}
			// Every entry point refuses, and none changes the mode.
			_, err = LockKey(base, keyA, "contain", time.Now())
			wantDirError(t, err, bad, "--state-dir")
			err = WriteJSONAtomic(filepath.Join(base, keyA, "x.json"), map[string]int{"a": 1})
			wantDirError(t, err, bad, "--state-dir")
			var v map[string]int
			err = ReadJSON(filepath.Join(base, keyA, "x.json"), &v)
			wantDirError(t, err, bad, "--state-dir")
			if got := perm(t, bad); got != before {
				t.Errorf("mode changed from %v to %v", before, got)
			}
		})
	}
}

func TestKeyDirRefusesOtherOwner(t *testing.T) {
	privateLocks(t)
	for _, which := range []string{"base", "key dir"} {
		t.Run(which, func(t *testing.T) {
			base := filepath.Join(t.TempDir(), "st")
			os.Mkdir(base, 0o700)
			bad := base
			if which == "key dir" {
				bad = filepath.Join(base, keyA)
				os.Mkdir(bad, 0o700)
			}
			other := os.Geteuid() + 4242
			if err := os.Chown(bad, other, -1); err != nil {
				t.Skipf("cannot give a directory to another uid here (not root?): %v", err)
			}
			_, err := KeyDir(base, keyA)
			wantDirError(t, err, bad, "--state-dir to a directory you own")
			if !strings.Contains(err.Error(), "owned by uid") {
				t.Errorf("message %q does not say who owns it", err)
			}
			if _, err := LockKey(base, keyA, "rotate", time.Now()); err == nil {
				t.Error("LockKey used a directory owned by another user")
			}
		})
	}
}

func TestWriteFileAtomicMode(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sub", "f.txt")
	if err := WriteFileAtomic(p, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if got := perm(t, p); got != FileMode {
		t.Errorf("mode %v", got)
	}
}

type rotState struct {
	KeyID    string `json:"key_id"`
	Step     string `json:"step"`
	NewKeyID string `json:"new_key_id,omitempty"`
}

func TestSealedJSONRoundTrip(t *testing.T) {
	base := t.TempDir()
	p := filepath.Join(base, keyA, "rotation.json")
	var got rotState
	if err := ReadJSON(p, &got); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("never-written file: %v, want ErrNotExist", err)
	}
	want := rotState{KeyID: keyA, Step: "created", NewKeyID: "LTAI5tNEWNEWNEWNEWNEWNEW"}
	if err := WriteJSONAtomic(p, want); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{p, filepath.Join(base, KeyFileName), filepath.Join(base, keyA, SealIndexName)} {
		if got := perm(t, f); got != FileMode {
			t.Errorf("%s mode %v, want 0600", f, got)
		}
	}
	if err := ReadJSON(p, &got); err != nil || got != want {
		t.Fatalf("ReadJSON = %+v, %v", got, err)
	}
	// Reading into a map does not surface the seal.
	var m map[string]any
	if err := ReadJSON(p, &m); err != nil || m["seal"] != nil || m["step"] != "created" {
		t.Fatalf("map read = %v, %v", m, err)
	}
	// A second write replaces it, and it still verifies.
	want.Step = "handed_over"
	if err := WriteJSONAtomic(p, want); err != nil {
		t.Fatal(err)
	}
	if err := ReadJSON(p, &got); err != nil || got != want {
		t.Fatalf("after rewrite: %+v, %v", got, err)
	}
}

func wantIntegrity(t *testing.T, err error, file, field string) *IntegrityError {
	t.Helper()
	var ie *IntegrityError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want *IntegrityError", err)
	}
	if ie.ExitCode() != 4 {
		t.Errorf("exit code %d, want 4", ie.ExitCode())
	}
	if !strings.Contains(err.Error(), file) {
		t.Errorf("message %q does not name %s", err, file)
	}
	if field != "" && (ie.Field != field || !strings.Contains(err.Error(), `"`+field+`"`)) {
		t.Errorf("field = %q (message %q), want %q", ie.Field, err, field)
	}
	return ie
}

func TestSealedJSONDetectsTampering(t *testing.T) {
	setup := func(t *testing.T) (base, p string, old []byte) {
		base = t.TempDir()
		p = filepath.Join(base, keyA, "rotation.json")
		if err := WriteJSONAtomic(p, rotState{KeyID: keyA, Step: "created", NewKeyID: "LTAI5tNEWNEWNEWNEWNEWNEW"}); err != nil {
			t.Fatal(err)
		}
		old, _ = os.ReadFile(p)
		if err := WriteJSONAtomic(p, rotState{KeyID: keyA, Step: "disabled", NewKeyID: "LTAI5tNEWNEWNEWNEWNEWNEW"}); err != nil {
			t.Fatal(err)
		}
		return base, p, old
	}
	edit := func(t *testing.T, p, from, to string) {
		b, _ := os.ReadFile(p)
		if !strings.Contains(string(b), from) {
			t.Fatalf("%s does not hold %q:\n%s", p, from, b)
		}
		os.WriteFile(p, []byte(strings.Replace(string(b), from, to, 1)), 0o600)
	}
	tests := []struct {
		name, field string
		tamper      func(t *testing.T, base, p string, old []byte)
	}{
		// The attack: point new_key_id at the old key.
		{"new_key_id edited", "new_key_id", func(t *testing.T, base, p string, _ []byte) {
			edit(t, p, "LTAI5tNEWNEWNEWNEWNEWNEW", keyA)
		}},
		{"step edited", "step", func(t *testing.T, base, p string, _ []byte) { edit(t, p, `"disabled"`, `"created"`) }},
		{"field added", "", func(t *testing.T, base, p string, _ []byte) { edit(t, p, `"step"`, `"force": true, "step"`) }},
		{"seal removed", "seal", func(t *testing.T, base, p string, _ []byte) {
			var m map[string]any
			b, _ := os.ReadFile(p)
			_ = jsonUnmarshal(b, &m)
			delete(m, "seal")
			os.WriteFile(p, jsonMarshal(m), 0o600)
		}},
		{"older copy restored", "", func(t *testing.T, base, p string, old []byte) { os.WriteFile(p, old, 0o600) }},
		{"file deleted", "", func(t *testing.T, base, p string, _ []byte) { os.Remove(p) }},
		{"file emptied", "", func(t *testing.T, base, p string, _ []byte) { os.WriteFile(p, nil, 0o600) }},
		{"index deleted", "", func(t *testing.T, base, p string, _ []byte) { os.Remove(filepath.Join(base, keyA, SealIndexName)) }},
		{"key deleted", "", func(t *testing.T, base, p string, _ []byte) { os.Remove(filepath.Join(base, KeyFileName)) }},
		{"key replaced", "", func(t *testing.T, base, p string, _ []byte) {
			os.WriteFile(filepath.Join(base, KeyFileName), []byte(strings.Repeat("ab", 32)+"\n"), 0o600)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base, p, old := setup(t)
			tc.tamper(t, base, p, old)
			var got rotState
			err := ReadJSON(p, &got)
			if err == nil {
				t.Fatalf("tampered state accepted: %+v", got)
			}
			if errors.Is(err, os.ErrNotExist) {
				t.Fatalf("tampering reads as 'no state': %v", err)
			}
			wantIntegrity(t, err, filepath.Base(p)[:0]+filepath.Join(base, keyA), tc.field)
		})
	}
}

func TestWriteJSONRefusesSecrets(t *testing.T) {
	base := t.TempDir()
	for _, v := range []any{
		map[string]any{"AccessKeySecret": "abcdEFGH1234"},
		map[string]any{"x": map[string]any{"access_key_secret": "abcdEFGH1234"}},
		map[string]any{"list": []any{map[string]any{"SecurityToken": "CAIS..."}}},
	} {
		p := filepath.Join(base, keyA, "s.json")
		if err := WriteJSONAtomic(p, v); err == nil || !strings.Contains(err.Error(), "secret") {
			t.Errorf("WriteJSONAtomic(%v) = %v, want refusal", v, err)
		}
		if b, err := os.ReadFile(p); err == nil {
			t.Errorf("file written: %s", b)
		}
	}
	// The redaction placeholder and an empty value are not secrets.
	if err := WriteJSONAtomic(filepath.Join(base, keyA, "ok.json"), map[string]any{"AccessKeySecret": "[REDACTED]", "secret": ""}); err != nil {
		t.Errorf("placeholder refused: %v", err)
	}
}

func TestMACKey(t *testing.T) {
	base := t.TempDir()
	if _, err := MACKey(base, false); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing key without create: %v", err)
	}
	k1, err := MACKey(base, true)
	if err != nil || len(k1) != 32 {
		t.Fatalf("create: %v %d", err, len(k1))
	}
	k2, err := MACKey(base, true)
	if err != nil || string(k1) != string(k2) {
		t.Fatalf("second call made a new key: %v", err)
	}
	if got := perm(t, filepath.Join(base, KeyFileName)); got != FileMode {
		t.Errorf("key mode %v", got)
	}
	os.Chmod(filepath.Join(base, KeyFileName), 0o644)
	_, err = MACKey(base, false)
	wantDirError(t, err, filepath.Join(base, KeyFileName), "chmod 600")
}

func TestLockKeyExcludesSecondHolder(t *testing.T) {
	privateLocks(t)
	base := t.TempDir()
	now := time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)
	l1, err := LockKey(base, keyA, "contain", now)
	if err != nil {
		t.Fatal(err)
	}
	_, err = LockKey(base, keyA, "rotate", now)
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("second lock: %v, want *LockedError", err)
	}
	if le.Holder.Command != "contain" || le.Holder.PID != os.Getpid() || le.ExitCode() != 4 {
		t.Errorf("holder = %+v", le.Holder)
	}
	if !strings.Contains(le.Error(), "locked by akresp contain (pid") || !strings.Contains(le.Error(), keyA) {
		t.Errorf("message %q does not name the key and holder", le.Error())
	}
	// Another key is independent.
	l2, err := LockKey(base, "LTAI5tBBBBBBBBBBBBBBBBBB", "rotate", now)
	if err != nil {
		t.Fatal(err)
	}
	if err := l1.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := l1.Unlock(); err != nil {
		t.Fatal("second unlock:", err)
	}
	l3, err := LockKey(base, keyA, "rotate", now)
	if err != nil {
		t.Fatalf("relock after unlock: %v", err)
	}
	_ = l2.Unlock()
	_ = l3.Unlock()
}

func TestLockKeyAcrossStateDirs(t *testing.T) {
	locks := privateLocks(t)
	now := time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)
	baseA, baseB := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	l1, err := LockKey(baseA, keyA, "contain", now)
	if err != nil {
		t.Fatal(err)
	}
	_, err = LockKey(baseB, keyA, "contain", now)
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("second run with another --state-dir: %v, want *LockedError", err)
	}
	if le.ExitCode() != 4 || le.Holder.PID != os.Getpid() || le.Holder.StateDir != baseA ||
		!strings.Contains(le.Error(), "state dir "+baseA) || !strings.HasPrefix(le.Path, locks) {
		t.Errorf("error %q / %+v does not name the holder and its state dir", le, le.Holder)
	}
	// The refused run left nothing locked in its own state dir.
	if err := l1.Unlock(); err != nil {
		t.Fatal(err)
	}
	l2, err := LockKey(baseB, keyA, "rotate", now)
	if err != nil {
		t.Fatalf("lock after the first run ended: %v", err)
	}
	_ = l2.Unlock()
	if got := perm(t, locks); got != DirMode {
		t.Errorf("lock dir mode %v", got)
	}
}

func TestUserLockDirDefaults(t *testing.T) {
	t.Setenv(LockDirEnv, "")
	rt := filepath.Join(t.TempDir(), "run")
	os.Mkdir(rt, 0o700)
	t.Setenv("XDG_RUNTIME_DIR", rt)
	d, err := UserLockDir()
	if err != nil || d != filepath.Join(rt, "akresp", "locks") {
		t.Fatalf("UserLockDir = %q, %v", d, err)
	}
	for _, p := range []string{filepath.Join(rt, "akresp"), d} {
		if got := perm(t, p); got != DirMode {
			t.Errorf("%s mode %v", p, got)
		}
	}
	// Without a runtime dir: <tmp>/akresp-<uid>/locks.
	tmp := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", "")
	t.Setenv("TMPDIR", tmp)
	d, err = UserLockDir()
	if err != nil || !strings.HasPrefix(d, filepath.Join(tmp, "akresp-")) {
		t.Fatalf("fallback UserLockDir = %q, %v", d, err)
	}
	// A lock dir others can write to is refused, not repaired.
	shared := filepath.Join(t.TempDir(), "shared")
	os.Mkdir(shared, 0o700)
	os.Chmod(shared, 0o777|os.ModeSticky)
	t.Setenv(LockDirEnv, shared)
	_, err = UserLockDir()
	wantDirError(t, err, shared, "AKRESP_LOCK_DIR")
	if got := perm(t, shared); got != os.ModeSticky|0o777 {
		t.Errorf("lock dir mode changed to %v", got)
	}
}
