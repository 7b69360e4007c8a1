package rotate

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteSyncReportsEveryFailure(t *testing.T) {
	// A write that fails (a file opened read-only) is an error, not a
	// hand-over that looks complete.
	p := filepath.Join(t.TempDir(), "ro")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ro, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeSync(ro, []byte("secret document")); err == nil {
		t.Error("writeSync on a read-only file returned nil")
	}
	// A sync that fails (a pipe cannot be fsync-ed) is an error too: the
	// document is not known to be on disk.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := writeSync(w, []byte("doc")); err == nil {
		t.Error("writeSync on a pipe (fsync fails) returned nil")
	}
}
