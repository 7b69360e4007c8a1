//go:build unix

package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runWithin runs the command line and fails if it takes longer than d.
func runWithin(t *testing.T, d time.Duration, ctx context.Context, te *testEnv, args []string) int {
	t.Helper()
	done := make(chan int, 1)
	go func() { done <- Run(ctx, te.f, args) }()
	select {
	case code := <-done:
		return code
	case <-time.After(d):
		t.Fatalf("akresp %s still running after %s", strings.Join(args, " "), d)
		return 0
	}
}

func TestNonRegularInputsAreUsageErrors(t *testing.T) {
	clearAkrespEnv(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "trail.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"FIFO without a writer", []string{"audit", auditKey, "--trail", fifo}, "--trail " + fifo + " is a FIFO, not a regular file or directory"},
		{"/dev/zero as OSS log", []string{"audit", auditKey, "--oss-log", "/dev/zero"}, "--oss-log /dev/zero is a character device"},
		{"/dev/zero as SLS log of a report", []string{"report", auditKey, "--sls-log", "/dev/zero"}, "--sls-log /dev/zero is a character device"},
		{"stdin twice", []string{"audit", auditKey, "--trail", "-", "--oss-log", "-"}, "standard input is already read by --trail -"},
		{"policy validate of a FIFO", []string{"policy", "validate", fifo}, fifo + " is a FIFO"},
		{"policy validate of /dev/zero", []string{"policy", "validate", "/dev/zero"}, "/dev/zero is a character device"},
		{"lab env --info of a FIFO", []string{"lab", "env", "--info", fifo}, fifo + " is a FIFO"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			te := newTestFactory(t)
			code := runWithin(t, 3*time.Second, context.Background(), te, append([]string{"--state-dir", t.TempDir()}, tt.args...))
			if code != ExitUsage || !strings.Contains(te.errOut.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q", code, te.errOut.String(), tt.want)
			}
			if te.cloudCalls != 0 {
				t.Errorf("cloud called %d times", te.cloudCalls)
			}
		})
	}
}

func TestTrailDirectoryReportsFIFOAndDanglingLink(t *testing.T) {
	clearAkrespEnv(t)
	dir := t.TempDir()
	trail := hostileTrail(t, auditKey, fixedNow.Add(-time.Hour))
	if err := os.Rename(trail, filepath.Join(dir, "ok.jsonl")); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "pipe.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	link := filepath.Join(dir, "gone.json")
	if err := os.Symlink(filepath.Join(dir, "missing.json"), link); err != nil {
		t.Fatal(err)
	}
	te := newTestFactory(t)
	code := runWithin(t, 5*time.Second, context.Background(), te, []string{"--state-dir", t.TempDir(), "audit", auditKey, "--trail", dir, "-o", "json"})
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, te.errOut)
	}
	var doc struct {
		Diagnostics []struct{ Source, Summary string }
	}
	if err := json.Unmarshal(te.out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{fifo: "a FIFO, not a regular file; not read", link: "dangling symbolic link"}
	for _, d := range doc.Diagnostics {
		if w, ok := want[d.Source]; ok && strings.Contains(d.Summary, w) {
			delete(want, d.Source)
		}
	}
	if len(want) > 0 {
		t.Errorf("no diagnostic for %v among %+v", want, doc.Diagnostics)
	}
}

// writeBomb writes a small gzip file that inflates to members MiB of
// events of another key: the audit filters all of them, so only the
// readers' own checks of ctx can stop it early.
func writeBomb(t *testing.T, members int) string {
	t.Helper()
	ev := fmt.Sprintf(`{"eventId":"x","eventName":"DescribeInstances","serviceName":"Ecs","eventTime":"%s","userIdentity":{"accessKeyId":"LTAI5tSomeOtherKey000001"}}`,
		fixedNow.Add(-time.Hour).Format(time.RFC3339))
	var chunk strings.Builder
	for chunk.Len() < 1<<20 {
		chunk.WriteString("," + ev)
	}
	var first, rest bytes.Buffer
	for _, m := range []struct {
		buf  *bytes.Buffer
		text string
	}{{&first, "[" + ev + chunk.String()}, {&rest, chunk.String()}} {
		zw, _ := gzip.NewWriterLevel(m.buf, gzip.BestCompression)
		io.WriteString(zw, m.text)
		zw.Close()
	}
	p := filepath.Join(t.TempDir(), "big.json.gz")
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

// The first interrupt (main turns SIGINT/SIGTERM into ctx's end) stops an
// audit or report in the middle of a read of a huge file within a second.
func TestInterruptStopsReadsPromptly(t *testing.T) {
	clearAkrespEnv(t)
	bomb := writeBomb(t, 20<<10) // ~20 GiB inflated
	for _, cmd := range []string{"audit", "report"} {
		t.Run(cmd, func(t *testing.T) {
			te := newTestFactory(t)
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(500*time.Millisecond, cancel)
			start := time.Now()
			code := runWithin(t, 10*time.Second, ctx, te, []string{"--state-dir", t.TempDir(), cmd, auditKey, "--trail", bomb})
			if d := time.Since(start); d > 1500*time.Millisecond {
				t.Errorf("%s ended %s after the interrupt, want within 1 s", cmd, d-500*time.Millisecond)
			}
			if code == ExitOK {
				t.Errorf("interrupted %s exited 0", cmd)
			}
		})
	}
}
