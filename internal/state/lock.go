package state

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gofrs/flock"
)

// Holder describes who holds a key lock.
type Holder struct {
	PID      int       `json:"pid"`
	Command  string    `json:"command"`
	Host     string    `json:"host"`
	Since    time.Time `json:"since"`
	StateDir string    `json:"state_dir,omitempty"`
}

// LockedError is returned when another process holds the key's lock.
type LockedError struct {
	KeyID  string
	Holder Holder
	Path   string
}

func (e *LockedError) Error() string {
	h := e.Holder
	if h.PID == 0 {
		return fmt.Sprintf("%s is locked by another akresp process (lock %s); wait for it to finish", e.KeyID, e.Path)
	}
	where := ""
	if h.StateDir != "" {
		where = ", state dir " + h.StateDir
	}
	return fmt.Sprintf("%s is locked by akresp %s (pid %d on %s since %s%s); wait for it to finish (the lock %s is released when that process exits)",
		e.KeyID, h.Command, h.PID, h.Host, h.Since.UTC().Format(time.RFC3339), where, e.Path)
}

// ExitCode makes a lock conflict a safety-rail refusal (exit 4).
func (e *LockedError) ExitCode() int { return 4 }

// Lock is an exclusive per-key lock held for the life of a mutating command.
type Lock struct {
	locks   []*flock.Flock
	holders []string
}

// LockDirEnv overrides the per-user lock directory.
const LockDirEnv = "AKRESP_LOCK_DIR"

// UserLockDir returns the per-user lock directory, the same whatever
// --state-dir says: $AKRESP_LOCK_DIR if set, else
// $XDG_RUNTIME_DIR/akresp/locks when $XDG_RUNTIME_DIR is an existing
// directory, else <os.TempDir()>/akresp-<uid>/locks. It is created 0700 if
// missing and refused (a *DirError) if another user owns it or can write to
// it; the same goes for its akresp parent.
func UserLockDir() (string, error) {
	if d := os.Getenv(LockDirEnv); d != "" {
		d = filepath.Clean(d)
		return d, ensureDir(lockDirKind, d)
	}
	parent := ""
	if x := os.Getenv("XDG_RUNTIME_DIR"); x != "" && filepath.IsAbs(x) {
		if fi, err := os.Stat(x); err == nil && fi.IsDir() {
			parent = filepath.Join(x, "akresp")
		}
	}
	if parent == "" {
		parent = filepath.Join(os.TempDir(), "akresp-"+strconv.Itoa(os.Geteuid()))
	}
	if err := ensureDir(lockDirKind, parent); err != nil {
		return "", err
	}
	d := filepath.Join(parent, "locks")
	return d, ensureDir(lockDirKind, d)
}

// LockKey takes two exclusive locks on keyID without waiting: the state
// directory's <base>/<keyID>/.lock, and <UserLockDir>/<keyID>.lock, which
// two runs with different --state-dir share. A holder file beside each
// names the process so a second run can say who is in the way; the kernel
// releases both if the process dies.
//
// The per-user lock does not cover another user or another machine working
// on the same key: the journal and live-state drift checks must catch those.
func LockKey(base, keyID, command string, now time.Time) (*Lock, error) {
	dir, err := KeyDir(base, keyID)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	abs, _ := filepath.Abs(base)
	h := Holder{PID: os.Getpid(), Command: command, Host: host, Since: now.UTC(), StateDir: abs}
	l := &Lock{}
	if err := l.take(keyID, filepath.Join(dir, ".lock"), filepath.Join(dir, ".lock-holder.json"), h); err != nil {
		return nil, err
	}
	udir, err := UserLockDir()
	if err != nil {
		_ = l.Unlock()
		return nil, err
	}
	if err := l.take(keyID, filepath.Join(udir, keyID+".lock"), filepath.Join(udir, keyID+".holder.json"), h); err != nil {
		_ = l.Unlock()
		return nil, err
	}
	return l, nil
}

func (l *Lock) take(keyID, path, holderPath string, h Holder) error {
	fl := flock.New(path, flock.SetPermissions(FileMode))
	ok, err := fl.TryLock()
	if err != nil {
		return fmt.Errorf("lock %s: %w", path, err)
	}
	if !ok {
		var other Holder
		_ = readPlainJSON(holderPath, &other)
		return &LockedError{KeyID: keyID, Holder: other, Path: path}
	}
	if err := writePlainJSON(holderPath, h); err != nil {
		_ = fl.Unlock()
		return err
	}
	l.locks = append(l.locks, fl)
	l.holders = append(l.holders, holderPath)
	return nil
}

// Unlock releases the locks. It is safe to call more than once.
func (l *Lock) Unlock() error {
	if l == nil {
		return nil
	}
	var first error
	for i := len(l.locks) - 1; i >= 0; i-- {
		_ = os.Remove(l.holders[i])
		if err := l.locks[i].Unlock(); err != nil && !errors.Is(err, os.ErrClosed) && first == nil {
			first = fmt.Errorf("unlock: %w", err)
		}
	}
	l.locks, l.holders = nil, nil
	return first
}
