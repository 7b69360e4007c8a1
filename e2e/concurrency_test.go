package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/lab"
)

// Two mutating runs on the same key cannot interleave: the second is
// refused (exit 4) with a message naming the holder's command and pid, and
// the first completes untouched.
func TestSecondRunOnSameKeyIsRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		first  func(l *inprocLab, key string) []string
		second func(l *inprocLab, key string) []string
		holder string
	}{
		{
			name: "contain vs contain",
			first: func(l *inprocLab, key string) []string {
				return []string{"contain", key, "--allow-ip", l.info.Notes["office_cidr"], "--yes"}
			},
			second: func(l *inprocLab, key string) []string {
				return []string{"contain", key, "--allow-ip", l.info.Notes["office_cidr"], "--yes"}
			},
			holder: "contain",
		},
		{
			name: "rotate vs rotate",
			first: func(l *inprocLab, key string) []string {
				return []string{"rotate", key, "--secret-file", filepath.Join(l.dir, "a.json"), "--yes"}
			},
			second: func(l *inprocLab, key string) []string {
				return []string{"rotate", key, "--secret-file", filepath.Join(l.dir, "b.json"), "--yes"}
			},
			holder: "rotate",
		},
		{
			name: "contain vs rotate",
			first: func(l *inprocLab, key string) []string {
				return []string{"contain", key, "--allow-ip", l.info.Notes["office_cidr"], "--yes"}
			},
			second: func(l *inprocLab, key string) []string {
				return []string{"rotate", key, "--secret-file", filepath.Join(l.dir, "b.json"), "--yes"}
			},
			holder: "contain",
		},
		{
			name: "rotate vs disable",
			first: func(l *inprocLab, key string) []string {
				return []string{"rotate", key, "--secret-file", filepath.Join(l.dir, "a.json"), "--yes"}
			},
			second: func(l *inprocLab, key string) []string { return []string{"disable", key, "--force", "--yes"} },
			holder: "rotate",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Slow answers keep the first run inside its lock long enough.
			l := startInproc(t, "builtin:leak", lab.Options{Latency: 300 * time.Millisecond})
			key := l.note(t, "leaked_key_id")
			holderFile := filepath.Join(l.stateDir(), key, ".lock-holder.json")
			first := l.start(t, "admin", tt.first(l, key)...)
			first.waitFor(t, "lock holder file", func() bool {
				_, err := os.Stat(holderFile)
				return err == nil
			})
			r := l.run(t, "admin", tt.second(l, key)...)
			if r.code != 4 {
				t.Fatalf("second run: want exit 4 (refused), got:\n%s", r)
			}
			want := fmt.Sprintf("locked by akresp %s (pid %d", tt.holder, first.cmd.Process.Pid)
			if !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, key) {
				t.Errorf("second run's message does not name the key and holder %q:\n%s", want, r.stderr)
			}
			if r.stdout != "" && strings.Contains(r.stdout, "Result:") {
				t.Errorf("refused run reported a result:\n%s", r)
			}
			fr := first.wait(t)
			if fr.code != 0 {
				t.Fatalf("first run was disturbed:\n%s", fr)
			}
			if _, err := os.Stat(holderFile); !os.IsNotExist(err) {
				t.Errorf("lock holder file left behind after the run: %v", err)
			}
			// The lock is free again: a re-run is not refused.
			if r := l.run(t, "admin", "contain", key, "--status"); r.code != 0 {
				t.Errorf("status after the run:\n%s", r)
			}
		})
	}
}
