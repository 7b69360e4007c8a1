//go:build unix

package audit

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Hostile inputs: a FIFO without a writer, /dev/zero, dangling links and
// FIFOs inside a directory, and reads that must stop when ctx ends.

// within runs f and fails the test if it takes longer than d (the reader
// would otherwise hang the test binary until its own timeout).
func within[T any](t *testing.T, d time.Duration, f func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- f() }()
	select {
	case v := <-done:
		return v
	case <-time.After(d):
		t.Fatalf("still running after %s", d)
		panic("unreachable")
	}
}

func TestReadRefusesNonRegularPaths(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "trail.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	tests := []struct {
		name, path, typ string
		read            func(context.Context, []string, ReadOptions, Sink) (Stats, []Problem, error)
	}{
		{"FIFO without a writer as --trail", fifo, "FIFO", ReadTrails},
		{"/dev/zero as --oss-log", "/dev/zero", "character device", ReadOSSLogs},
		{"/dev/null as --sls-log", "/dev/null", "character device", ReadSLSLogs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := os.Stat(tt.path); err != nil {
				t.Skip(err)
			}
			c := within(t, 2*time.Second, func() collected { return readAll(t, tt.read, []string{tt.path}, ReadOptions{}) })
			var nr *NotRegularError
			if !errors.As(c.err, &nr) || nr.Path != tt.path || nr.Type != tt.typ {
				t.Fatalf("err = %v, want a NotRegularError for the %s %s", c.err, tt.typ, tt.path)
			}
			if !strings.Contains(c.err.Error(), tt.path+" is a "+tt.typ) || !strings.Contains(c.err.Error(), "pass - to read standard input") {
				t.Errorf("message %q does not name the path, its type and the way out", c.err)
			}
		})
	}
}

func TestReadDirectoryReportsOddEntries(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "a.json", []byte("["+events(1)[0]+"]"))
	fifo := filepath.Join(dir, "b.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	dangling := filepath.Join(dir, "c.json")
	if err := os.Symlink(filepath.Join(dir, "gone.json"), dangling); err != nil {
		t.Fatal(err)
	}
	toFifo := filepath.Join(dir, "d.json")
	if err := os.Symlink(fifo, toFifo); err != nil {
		t.Fatal(err)
	}
	toDev := filepath.Join(dir, "e.log")
	if err := os.Symlink("/dev/zero", toDev); err != nil {
		t.Fatal(err)
	}
	c := within(t, 2*time.Second, func() collected { return readAll(t, ReadTrails, []string{dir}, ReadOptions{}) })
	if c.err != nil {
		t.Fatal(c.err)
	}
	if len(c.events) != 1 || c.events[0].Source.File != good {
		t.Errorf("events %v, want the one of %s", c.ids(), good)
	}
	want := map[string]string{
		fifo:     "a FIFO, not a regular file; not read",
		dangling: "dangling symbolic link",
		toFifo:   "symbolic link to a FIFO",
		toDev:    "symbolic link to a character device",
	}
	for _, p := range c.probs {
		if w, ok := want[p.File]; ok && strings.Contains(p.Msg, w) {
			delete(want, p.File)
		}
	}
	if len(want) > 0 {
		t.Errorf("not reported: %v; problems %q", want, c.problemStrings())
	}
	if c.stats.Skipped != 4 {
		t.Errorf("stats %+v, want the 4 odd entries skipped", c.stats)
	}
	// Strict mode stops at the first of them.
	s := within(t, 2*time.Second, func() collected { return readAll(t, ReadTrails, []string{dir}, ReadOptions{Strict: true}) })
	var pe *ProblemError
	if !errors.As(s.err, &pe) {
		t.Errorf("strict: err = %v, want a ProblemError", s.err)
	}
}

func TestReadStdin(t *testing.T) {
	ev := events(3)
	c := readAll(t, ReadTrails, []string{"-"}, ReadOptions{Stdin: strings.NewReader(ev[0] + "\n" + ev[2] + "\n")})
	if c.err != nil || len(c.events) != 2 || c.events[1].Source.File != StdinName || c.events[1].Source.Pos != 2 {
		t.Fatalf("err %v, events %+v", c.err, c.events)
	}
}

// bombGzip writes a small file that inflates to about members MiB: one
// gzip member holding a MiB of events of another key, repeated. Every
// record is filtered out by the key filter, so the readers never hand the
// deliverer a batch: only their own ctx checks can stop them.
func bombGzip(t *testing.T, members int) string {
	t.Helper()
	var chunk strings.Builder
	other := mkEvent(1, sampleOther, t0)
	for chunk.Len() < 1<<20 {
		chunk.WriteString("," + other)
	}
	var first, rest bytes.Buffer
	for _, m := range []struct {
		buf  *bytes.Buffer
		text string
	}{{&first, "[" + other + chunk.String()}, {&rest, chunk.String()}} {
		zw, _ := gzip.NewWriterLevel(m.buf, gzip.BestCompression)
		io.WriteString(zw, m.text)
		zw.Close()
	}
	p := filepath.Join(t.TempDir(), "bomb.json.gz")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(first.Bytes())
	for range members {
		f.Write(rest.Bytes())
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadStopsPromptlyOnCancel(t *testing.T) {
	// ~20 GiB inflated: minutes of work without the ctx checks.
	p := bombGzip(t, 20<<10)
	pipeR, pipeW := io.Pipe() // an explicit "-" whose writer never writes
	defer pipeW.Close()
	tests := []struct {
		name  string
		paths []string
		opts  ReadOptions
	}{
		{"gzip bomb, key filter drops everything", []string{p}, ReadOptions{KeyID: sampleKey}},
		{"gzip bomb, window drops everything", []string{p}, ReadOptions{Since: t0.Add(time.Hour)}},
		{"stdin that never sends", []string{"-"}, ReadOptions{Stdin: pipeR}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(300*time.Millisecond, cancel)
			start := time.Now()
			err := within(t, 5*time.Second, func() error {
				_, _, err := ReadTrails(ctx, tt.paths, tt.opts, func(*Event) error { return nil })
				return err
			})
			if d := time.Since(start); d > 1300*time.Millisecond {
				t.Errorf("read ended %s after start, %s after the cancel; want within 1 s", d, d-300*time.Millisecond)
			}
			if !errors.Is(err, context.Canceled) {
				t.Errorf("err = %v, want context.Canceled", err)
			}
		})
	}
}

// A directory named through a symbolic link is read (as find -H does);
// links to directories inside it are still not followed.
func TestReadSymlinkedRootDirectory(t *testing.T) {
	base := t.TempDir()
	real := filepath.Join(base, "exports")
	if err := os.Mkdir(real, 0o700); err != nil {
		t.Fatal(err)
	}
	ev := events(2)
	writeFile(t, real, "a.json", []byte("["+ev[0]+"]"))
	sub := filepath.Join(base, "elsewhere")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, sub, "b.json", []byte("["+ev[1]+"]"))
	if err := os.Symlink(sub, filepath.Join(real, "more")); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(base, "trails")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	c := readAll(t, ReadTrails, []string{link}, ReadOptions{})
	if c.err != nil {
		t.Fatal(c.err)
	}
	if len(c.events) != 1 || c.events[0].Source.File != filepath.Join(link, "a.json") {
		t.Fatalf("events %v from %v, want the one of %s read through the link", c.ids(), c.events, filepath.Join(link, "a.json"))
	}
	if len(c.probs) != 1 || !strings.Contains(c.probs[0].Msg, "symbolic link to a directory; not followed") {
		t.Errorf("problems %q, want the inner link to a directory reported", c.problemStrings())
	}
}
