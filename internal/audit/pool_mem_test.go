package audit

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"strings"
	"testing"
)

// newSource reads a regular file under memReadMax whole (flate then reads
// from memory). The file's stat can be stale: one that grew since is read to
// its end, one whose read fails part way reports the error where the stream
// reaches it, one that shrank is read as it is; the offsets and byte counts
// are those of what was read.
func TestNewSourceReadsSmallFilesWhole(t *testing.T) {
	data := "[" + strings.Repeat(`{"eventName":"X"},`, 200) + `{"eventName":"Y"}]`
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(data))
	zw.Close()
	readAll := func(t *testing.T, s *source) (string, error) {
		var out []byte
		for s.fill() {
		}
		out = append(out, s.buf[:s.end]...)
		if s.rerr != nil {
			return string(out), s.rerr
		}
		return string(out), nil
	}
	for _, tc := range []struct {
		name    string
		in      []byte
		size    int64
		mem     bool
		wantErr error
	}{
		{name: "plain, size as stat", in: []byte(data), size: int64(len(data)), mem: true},
		{name: "gzip, size as stat", in: gz.Bytes(), size: int64(gz.Len()), mem: true},
		{name: "plain, grew since stat", in: []byte(data), size: int64(len(data)) - 100},
		{name: "gzip, grew since stat", in: gz.Bytes(), size: int64(gz.Len()) / 2},
		{name: "plain, shrank since stat", in: []byte(data), size: int64(len(data)) + 50, mem: true},
		{name: "plain, unknown size (stdin)", in: []byte(data), size: -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws := &workerState{}
			s, err := ws.newSource(bytes.NewReader(tc.in), tc.size, DefaultMaxLineBytes)
			if err != nil {
				t.Fatal(err)
			}
			if (s.mem != nil) != tc.mem {
				t.Errorf("read whole = %v, want %v", s.mem != nil, tc.mem)
			}
			got, err := readAll(t, s)
			if err != nil || got != data {
				t.Fatalf("read %d bytes (err %v), want the whole %d", len(got), err, len(data))
			}
			if s.stored() != int64(len(tc.in)) {
				t.Errorf("stored %d, want %d", s.stored(), len(tc.in))
			}
		})
	}
	t.Run("read error part way", func(t *testing.T) {
		boom := errors.New("input/output error")
		in := io.MultiReader(strings.NewReader(data[:300]), errAfter{boom})
		ws := &workerState{}
		s, err := ws.newSource(in, int64(len(data)), DefaultMaxLineBytes)
		if err != nil {
			t.Fatal(err)
		}
		got, err := readAll(t, s)
		if !errors.Is(err, boom) || got != data[:300] {
			t.Fatalf("read %q, err %v; want the first 300 bytes, then the error", got, err)
		}
	})
	t.Run("a large buffer is not kept", func(t *testing.T) {
		ws := &workerState{}
		big := make([]byte, memKeep+10)
		copy(big, data)
		if _, err := ws.newSource(bytes.NewReader(big), int64(len(big)), DefaultMaxLineBytes); err != nil {
			t.Fatal(err)
		}
		if _, err := ws.newSource(bytes.NewReader([]byte(data)), int64(len(data)), DefaultMaxLineBytes); err != nil {
			t.Fatal(err)
		}
		if cap(ws.mem) > memKeep {
			t.Errorf("worker keeps a %d-byte buffer after a small file", cap(ws.mem))
		}
	})
}
