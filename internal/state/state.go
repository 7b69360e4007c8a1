package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
	"github.com/google/renameio/v2"
)

// DirMode and FileMode are the permissions of everything akresp writes.
const (
	DirMode  os.FileMode = 0o700
	FileMode os.FileMode = 0o600
)

// DefaultBase returns the default state directory: $XDG_STATE_HOME/akresp,
// else ~/.local/state/akresp.
func DefaultBase() (string, error) {
	if x := os.Getenv("XDG_STATE_HOME"); x != "" {
		return filepath.Join(x, "akresp"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("state dir: no $XDG_STATE_HOME and no home directory: %w; pass --state-dir", err)
	}
	return filepath.Join(home, ".local", "state", "akresp"), nil
}

// safeName rejects key ids that could escape the state directory.
func safeName(keyID string) error {
	if keyID == "" || keyID == "." || keyID == ".." || strings.ContainsAny(keyID, `/\`+"\x00") {
		return fmt.Errorf("state dir: %q is not usable as a key directory name", keyID)
	}
	return nil
}

// KeyDir returns <base>/<keyID>, creating it (and base) with mode 0700.
func KeyDir(base, keyID string) (string, error) {
	if err := safeName(keyID); err != nil {
		return "", err
	}
	dir := filepath.Join(base, keyID)
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return "", fmt.Errorf("state dir: create %s: %w", dir, err)
	}
	// MkdirAll honours umask and leaves existing directories alone; make
	// sure ours are private.
	for _, d := range []string{base, dir} {
		if err := os.Chmod(d, DirMode); err != nil {
			return "", fmt.Errorf("state dir: chmod %s: %w", d, err)
		}
	}
	return dir, nil
}

// WriteFileAtomic writes data to path through a temporary file in the same
// directory, fsyncs it and renames it into place, with mode 0600.
func WriteFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), DirMode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := renameio.WriteFile(path, data, FileMode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// WriteJSONAtomic marshals v (indented) and writes it atomically.
func WriteJSONAtomic(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return WriteFileAtomic(path, append(b, '\n'))
}

// ReadJSON reads a JSON file into v. A missing file returns an error
// satisfying errors.Is(err, os.ErrNotExist).
func ReadJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("read %s: corrupt state file: %w", path, err)
	}
	return nil
}

// Holder describes who holds a key lock.
type Holder struct {
	PID     int       `json:"pid"`
	Command string    `json:"command"`
	Host    string    `json:"host"`
	Since   time.Time `json:"since"`
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
		return fmt.Sprintf("%s is locked by another akresp process (lock %s)", e.KeyID, e.Path)
	}
	return fmt.Sprintf("%s is locked by akresp %s (pid %d on %s since %s); wait for it to finish, or remove %s if that process is gone",
		e.KeyID, h.Command, h.PID, h.Host, h.Since.UTC().Format(time.RFC3339), e.Path)
}

// ExitCode makes a lock conflict a safety-rail refusal (exit 4).
func (e *LockedError) ExitCode() int { return 4 }

// Lock is an exclusive per-key lock held for the life of a mutating command.
type Lock struct {
	fl     *flock.Flock
	holder string
}

// LockKey takes the exclusive lock <base>/<keyID>/.lock without waiting.
// The holder file beside it names the process so a second run can say who
// is in the way. The kernel releases the lock if the process dies.
func LockKey(base, keyID, command string, now time.Time) (*Lock, error) {
	dir, err := KeyDir(base, keyID)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, ".lock")
	fl := flock.New(path, flock.SetPermissions(FileMode))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	holderPath := filepath.Join(dir, ".lock-holder.json")
	if !ok {
		var h Holder
		_ = ReadJSON(holderPath, &h)
		return nil, &LockedError{KeyID: keyID, Holder: h, Path: path}
	}
	host, _ := os.Hostname()
	h := Holder{PID: os.Getpid(), Command: command, Host: host, Since: now.UTC()}
	if err := WriteJSONAtomic(holderPath, h); err != nil {
		_ = fl.Unlock()
		return nil, err
	}
	return &Lock{fl: fl, holder: holderPath}, nil
}

// Unlock releases the lock. It is safe to call more than once.
func (l *Lock) Unlock() error {
	if l == nil || l.fl == nil {
		return nil
	}
	_ = os.Remove(l.holder)
	err := l.fl.Unlock()
	l.fl = nil
	if err != nil && !errors.Is(err, os.ErrClosed) {
		return fmt.Errorf("unlock: %w", err)
	}
	return nil
}
