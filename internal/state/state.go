package state

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

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

// KeyDir returns <base>/<keyID>. Missing directories are created with mode
// 0700; existing ones are used only if the current user owns them and no
// one else can write to them (a *DirError, exit 2, otherwise). An existing
// directory's mode is never changed.
func KeyDir(base, keyID string) (string, error) {
	if err := safeName(keyID); err != nil {
		return "", err
	}
	if err := ensureDir(stateDirKind, base); err != nil {
		return "", err
	}
	dir := filepath.Join(base, keyID)
	if err := ensureDir(stateDirKind, dir); err != nil {
		return "", err
	}
	return dir, nil
}

// WriteFileAtomic writes data to path through a temporary file in the same
// directory, fsyncs it and renames it into place, with mode 0600. Missing
// parent directories are created 0700; existing ones are left as they are.
func WriteFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), DirMode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := renameio.WriteFile(path, data, FileMode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// writePlainJSON and readPlainJSON handle informational files that nothing
// acts on (the lock holder): not sealed.
func writePlainJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return WriteFileAtomic(path, append(b, '\n'))
}

func readPlainJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
