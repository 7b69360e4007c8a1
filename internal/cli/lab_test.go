package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The info file of a lab that has exited says so, and lab env and lab call
// on it say "lab not running (stopped at ...)" and exit 1, instead of
// handing out credentials for a dead endpoint.
func TestLabInfoFileSaysStopped(t *testing.T) {
	clearAkrespEnv(t)
	info := filepath.Join(t.TempDir(), "lab.json")
	te := newTestFactory(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, te.f, []string{"lab", "serve", "--scenario", "builtin:leak", "--addr", "127.0.0.1:0", "--info-file", info})
	}()
	var li LabInfo
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, err := os.ReadFile(info)
		if err == nil && json.Unmarshal(b, &li) == nil {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("lab serve wrote no info file: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if li.Status != LabRunning || li.StoppedAt != nil {
		t.Errorf("running lab: status %q, stopped_at %v", li.Status, li.StoppedAt)
	}
	// While it runs, lab env works.
	te2 := newTestFactory(t)
	if code := Run(context.Background(), te2.f, []string{"lab", "env", "--info", info, "--as", "admin"}); code != 0 || !strings.Contains(te2.out.String(), "ALIBABA_CLOUD_ACCESS_KEY_ID") {
		t.Fatalf("lab env on a running lab: exit %d\n%s%s", code, te2.out, te2.errOut)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("lab serve exit %d: %s", code, te.errOut)
	}

	b, err := os.ReadFile(info)
	if err != nil {
		t.Fatalf("the info file vanished on exit: %v", err)
	}
	var stopped LabInfo
	if err := json.Unmarshal(b, &stopped); err != nil {
		t.Fatal(err)
	}
	if stopped.Status != LabStopped || stopped.StoppedAt == nil || !stopped.StoppedAt.Equal(fixedNow.UTC()) {
		t.Errorf("after exit: status %q, stopped_at %v", stopped.Status, stopped.StoppedAt)
	}
	if fi, err := os.Stat(info); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("info file mode: %v %v", fi.Mode(), err)
	}

	for _, args := range [][]string{
		{"lab", "env", "--info", info, "--as", "admin"},
		{"lab", "call", "--info", info, "--as", "admin", "sts", "GetCallerIdentity"},
	} {
		te3 := newTestFactory(t)
		code := Run(context.Background(), te3.f, args)
		want := "lab not running (stopped at " + fixedNow.UTC().Format(time.RFC3339)
		if code != ExitRuntime || !strings.Contains(te3.errOut.String(), want) {
			t.Errorf("%v: exit %d, stderr %q; want 1 and %q", args[1], code, te3.errOut, want)
		}
		if te3.out.Len() != 0 {
			t.Errorf("%v printed on stdout for a stopped lab: %q", args[1], te3.out)
		}
		if !strings.Contains(te3.errOut.String(), "hint: start it again with 'akresp lab serve") {
			t.Errorf("%v: no restart hint: %q", args[1], te3.errOut)
		}
	}
}
