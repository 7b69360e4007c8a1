package state

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestKeyDirModesAndSafety(t *testing.T) {
	base := filepath.Join(t.TempDir(), "st")
	dir, err := KeyDir(base, "LTAI5tAAAAAAAAAAAAAAAAAA")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{base, dir} {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != DirMode {
			t.Errorf("%s mode %v, want %v", d, fi.Mode().Perm(), DirMode)
		}
	}
	for _, bad := range []string{"", ".", "..", "a/b", `a\b`} {
		if _, err := KeyDir(base, bad); err == nil {
			t.Errorf("KeyDir(%q) succeeded", bad)
		}
	}
}

func TestWriteFileAtomicMode(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sub", "f.json")
	if err := WriteJSONAtomic(p, map[string]int{"a": 1}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != FileMode {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
	var got map[string]int
	if err := ReadJSON(p, &got); err != nil || got["a"] != 1 {
		t.Fatalf("ReadJSON = %v, %v", got, err)
	}
	if err := ReadJSON(filepath.Join(t.TempDir(), "missing"), &got); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file error = %v", err)
	}
	if err := os.WriteFile(p, []byte("{nope"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := ReadJSON(p, &got); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("corrupt file error = %v", err)
	}
}

func TestLockKeyExcludesSecondHolder(t *testing.T) {
	base := t.TempDir()
	now := time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)
	l1, err := LockKey(base, "LTAI5tAAAAAAAAAAAAAAAAAA", "contain", now)
	if err != nil {
		t.Fatal(err)
	}
	_, err = LockKey(base, "LTAI5tAAAAAAAAAAAAAAAAAA", "rotate", now)
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("second lock: %v, want *LockedError", err)
	}
	if le.Holder.Command != "contain" || le.Holder.PID != os.Getpid() || le.ExitCode() != 4 {
		t.Errorf("holder = %+v", le.Holder)
	}
	if !strings.Contains(le.Error(), "contain") || !strings.Contains(le.Error(), "pid") {
		t.Errorf("message %q does not name the holder", le.Error())
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
	l3, err := LockKey(base, "LTAI5tAAAAAAAAAAAAAAAAAA", "rotate", now)
	if err != nil {
		t.Fatalf("relock after unlock: %v", err)
	}
	_ = l2.Unlock()
	_ = l3.Unlock()
}
