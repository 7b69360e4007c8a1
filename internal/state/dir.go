package state

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// DirError is a state or lock directory akresp refuses to use: owned by
// someone else, writable by other users, or not a directory. It is a usage
// error (exit 2): the fix is a different --state-dir or a chmod the user
// decides on; akresp never changes the mode of a directory it did not
// create.
type DirError struct {
	Kind    string // "state directory" or "lock directory"
	Path    string
	Problem string // what is wrong, e.g. "is writable by other users (mode drwxrwxrwt)"
	Fix     string // what to do next
}

func (e *DirError) Error() string {
	return fmt.Sprintf("%s %s %s; %s", e.Kind, e.Path, e.Problem, e.Fix)
}

// ExitCode makes an unusable directory a usage error (exit 2).
func (e *DirError) ExitCode() int { return 2 }

// ensureDir makes path a private directory: a missing one is created with
// mode 0700 (its missing parents too); an existing one is accepted only if
// checkDir passes. An existing directory is never chmod-ed.
func ensureDir(kind, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), DirMode); err != nil {
		return fmt.Errorf("%s: create %s: %w", kind, filepath.Dir(path), err)
	}
	switch err := os.Mkdir(path, DirMode); {
	case err == nil:
		// Ours, just created: the umask may have taken bits away, never
		// added any; make it exactly 0700.
		if err := os.Chmod(path, DirMode); err != nil {
			return fmt.Errorf("%s: chmod %s: %w", kind, path, err)
		}
		return nil
	case errors.Is(err, os.ErrExist):
		return checkDir(kind, path)
	default:
		return fmt.Errorf("%s: create %s: %w", kind, path, err)
	}
}

// checkDir accepts an existing directory only if the current user owns it
// and neither its group nor other users can write to it. A missing
// directory is no error (there is nothing in it to trust).
func checkDir(kind, path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", kind, err)
	}
	fix := "pass --state-dir to a directory you own"
	if kind == lockDirKind {
		fix = "set AKRESP_LOCK_DIR to a directory you own"
	}
	if !fi.IsDir() {
		return &DirError{Kind: kind, Path: path, Problem: "is not a directory", Fix: fix}
	}
	if uid, ok := ownerUID(fi); ok && uid != os.Geteuid() {
		return &DirError{Kind: kind, Path: path,
			Problem: fmt.Sprintf("is owned by uid %d, not by you (uid %d): its owner could change the journals and state akresp acts on", uid, os.Geteuid()),
			Fix:     fix}
	}
	if checkPerms && fi.Mode().Perm()&0o022 != 0 && fi.Mode()&os.ModeSticky != 0 {
		// A sticky shared directory such as /tmp: never suggest a chmod.
		return &DirError{Kind: kind, Path: path,
			Problem: fmt.Sprintf("is a directory shared with other users (mode %v): they could change the journals and state akresp acts on", fi.Mode()),
			Fix:     fix}
	}
	if checkPerms && fi.Mode().Perm()&0o022 != 0 {
		return &DirError{Kind: kind, Path: path,
			Problem: fmt.Sprintf("is writable by other users (mode %v): they could change the journals and state akresp acts on", fi.Mode()),
			Fix:     fmt.Sprintf("run 'chmod 700 %s' if the directory is yours alone, or %s", path, fix)}
	}
	return nil
}

// CheckBase checks an existing state directory (and keyID's directory in
// it, when keyID is not empty) without creating anything: readers call it
// before trusting what the directories hold.
func CheckBase(base, keyID string) error {
	if err := checkDir(stateDirKind, base); err != nil {
		return err
	}
	if keyID == "" {
		return nil
	}
	if err := safeName(keyID); err != nil {
		return err
	}
	return checkDir(stateDirKind, filepath.Join(base, keyID))
}

const (
	stateDirKind = "state directory"
	lockDirKind  = "lock directory"
)
