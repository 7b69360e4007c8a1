package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// binary is the akresp binary built once for the whole package.
var binary string

func TestMain(m *testing.M) {
	os.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
	dir, err := os.MkdirTemp("", "akresp-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "akresp")
	if runtime.GOOS == "windows" {
		binary += ".exe"
	}
	build := exec.Command("go", "build", "-o", binary, "../cmd/akresp")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build akresp:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// labInfo is the part of `akresp lab serve`'s JSON the tests read.
type labInfo struct {
	SchemaVersion string `json:"schema_version"`
	Endpoint      string `json:"endpoint"`
	Region        string `json:"region"`
	AccountID     string `json:"account_id"`
	Credentials   map[string]struct {
		AccessKeyID     string `json:"access_key_id"`
		AccessKeySecret string `json:"access_key_secret"`
	} `json:"credentials"`
	LeakedKeyID string            `json:"leaked_key_id"`
	AttackerIP  string            `json:"attacker_ip"`
	OfficeIP    string            `json:"office_ip"`
	Notes       map[string]string `json:"notes"`
}

// runningLab is an `akresp lab serve` subprocess.
type runningLab struct {
	cmd    *exec.Cmd
	info   labInfo
	stderr *bytes.Buffer
	done   chan error
}

// startLab runs `akresp lab serve args...` and waits for its JSON.
func startLab(t *testing.T, args ...string) *runningLab {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"lab", "serve"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	l := &runningLab{cmd: cmd, stderr: &bytes.Buffer{}, done: make(chan error, 1)}
	cmd.Stderr = l.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { l.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-l.done
	})
	dec := json.NewDecoder(bufio.NewReader(stdout))
	got := make(chan error, 1)
	go func() { got <- dec.Decode(&l.info) }()
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("lab serve printed no JSON: %v; stderr: %s", err, l.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("lab serve printed nothing in 30s; stderr: %s", l.stderr)
	}
	go io.Copy(io.Discard, stdout)
	return l
}

// stop interrupts the lab like Ctrl-C and returns its exit error.
func (l *runningLab) stop(t *testing.T) error {
	t.Helper()
	_ = l.cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-l.done:
		l.done <- err
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("lab did not stop within 10s of SIGINT")
		return nil
	}
}
