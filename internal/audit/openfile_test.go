package audit

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// shortReader returns at most max bytes a read and counts the reads.
type shortReader struct {
	data  []byte
	max   int
	reads int
	err   error // returned once the data is gone (io.EOF if nil)
}

func (r *shortReader) Read(p []byte) (int, error) {
	r.reads++
	if len(r.data) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.max)], r.data)
	r.data = r.data[n:]
	return n, nil
}

// TestReadWholeAsReadFull: readWhole reports what io.ReadFull would (all of
// a file, a file grown since its stat, a read error), and leaves out only
// the read that finds the end after a read that stopped short at the size.
func TestReadWholeAsReadFull(t *testing.T) {
	data := []byte("0123456789")
	boom := errors.New("boom")
	for _, tc := range []struct {
		name      string
		file      []byte // what the reads return
		size      int    // what the stat said
		max       int    // bytes per read
		err       error
		wantN     int
		wantErr   error
		wantReads int
	}{
		{"whole in one read", data, 10, 64, nil, 10, io.ErrUnexpectedEOF, 1},
		{"whole in short reads", data, 10, 3, nil, 10, io.ErrUnexpectedEOF, 4},
		{"shrunk since the stat", data[:6], 10, 64, nil, 6, io.ErrUnexpectedEOF, 2},
		{"grown since the stat", data, 8, 64, nil, 9, nil, 1},
		{"empty", nil, 0, 64, nil, 0, io.EOF, 1},
		{"error before the size", data[:4], 10, 64, boom, 4, boom, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &shortReader{data: bytes.Clone(tc.file), max: tc.max, err: tc.err}
			b := make([]byte, tc.size+1)
			n, err := readWhole(r, b, tc.size)
			if n != tc.wantN || err != tc.wantErr {
				t.Fatalf("readWhole = %d, %v; want %d, %v", n, err, tc.wantN, tc.wantErr)
			}
			if r.reads != tc.wantReads {
				t.Errorf("%d reads, want %d", r.reads, tc.wantReads)
			}
			if !bytes.Equal(b[:n], tc.file[:n]) {
				t.Errorf("read %q, want %q", b[:n], tc.file[:n])
			}
			// io.ReadFull's verdict on the same input, where the
			// difference is only the read left out.
			fr := &shortReader{data: bytes.Clone(tc.file), max: tc.max, err: tc.err}
			fn, ferr := io.ReadFull(fr, make([]byte, tc.size+1))
			if fn != n || ferr != err {
				t.Errorf("io.ReadFull = %d, %v; readWhole %d, %v", fn, ferr, n, err)
			}
		})
	}
}

// TestOpenRegular: the opened file reads as the file, its size and time
// are the stat's, and anything but a regular file is refused by type.
func TestOpenRegular(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.json")
	if err := os.WriteFile(p, []byte(`[{"eventId":"x"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	mod := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	if err := os.Chtimes(p, mod, mod); err != nil {
		t.Fatal(err)
	}
	var f trailFile
	size, got, err := openRegular(p, &f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(&f)
	if err != nil || string(b) != `[{"eventId":"x"}]` {
		t.Fatalf("read %q, %v", b, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if size != int64(len(b)) || !got.Equal(mod) {
		t.Errorf("size %d, time %v; want %d, %v", size, got, len(b), mod)
	}
	if _, _, err := openRegular(dir, &f); err == nil || err.Error() != "a directory, not a regular file; not read" {
		t.Errorf("directory: %v", err)
	}
	if _, _, err := openRegular(filepath.Join(dir, "missing"), &f); err == nil || err.Error() != "cannot open: no such file or directory" {
		t.Errorf("missing file: %v", err)
	}
}
