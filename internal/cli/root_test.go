package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/akresp/akresp/internal/cloud"
)

// fixedNow is the clock of every test factory.
var fixedNow = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

type testEnv struct {
	f               *Factory
	in, out, errOut *bytes.Buffer
	cloudCalls      int
}

// newTestFactory returns a production-shaped factory on buffers, with a
// fixed clock and a Cloud closure that counts calls (and fails: tests of
// offline commands assert it is never reached).
func newTestFactory(t *testing.T) *testEnv {
	t.Helper()
	ios, in, out, errOut := TestStreams()
	te := &testEnv{in: in, out: out, errOut: errOut}
	f := NewFactory(ios)
	f.Now = func() time.Time { return fixedNow }
	f.Version = "v0.0.0-test"
	f.Cloud = func(context.Context) (*cloud.Clients, error) {
		te.cloudCalls++
		return nil, errors.New("test factory: cloud access not allowed")
	}
	te.f = f
	return te
}

// clearAkrespEnv unsets every variable a setting reads, so the developer's
// environment cannot leak into tests.
func clearAkrespEnv(t *testing.T) {
	t.Helper()
	for _, sp := range settingSpecs {
		if sp.env != "" {
			t.Setenv(sp.env, "")
		}
	}
	// Each test gets its own state directory: a test that fell back to
	// $HOME/.local/state would read the journals of the user (or of any
	// other test) for the lab's fixed key IDs, and write its own there.
	t.Setenv("XDG_STATE_HOME", t.TempDir())
}

// execUnder runs cmd below a minimal root (global flags, the real settings
// hook and flag-error mapping) and parents with the given names, and
// returns the error cobra returned.
func execUnder(t *testing.T, f *Factory, parents []string, cmd *cobra.Command, args ...string) error {
	t.Helper()
	inv := &invocation{}
	root := &cobra.Command{Use: "akresp", SilenceErrors: true, SilenceUsage: true, PersistentPreRunE: settingsHook(f, inv)}
	registerGlobalFlags(root.PersistentFlags())
	root.SetFlagErrorFunc(flagError)
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	parent := root
	for _, p := range parents {
		c := &cobra.Command{Use: p}
		parent.AddCommand(c)
		parent = c
	}
	parent.AddCommand(cmd)
	root.SetArgs(append(append(parents, cmd.Name()), args...))
	_, err := root.ExecuteContextC(context.Background())
	return err
}

func TestRunExitCodesAndMessages(t *testing.T) {
	clearAkrespEnv(t)
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantCode   int
		wantStderr string // exact
		wantStdout string // substring; "" = must be empty
	}{
		{name: "no args prints help", args: nil, wantCode: 0, wantStdout: "Usage:"},
		{name: "help topic", args: []string{"help", "exit-codes"}, wantCode: 0, wantStdout: "4  refused by a safety rail"},
		{name: "version", args: []string{"version"}, wantCode: 0, wantStdout: "akresp v0.0.0-test (commit "},
		{name: "--version", args: []string{"--version"}, wantCode: 0, wantStdout: "akresp v0.0.0-test (commit "},
		{name: "unknown command with suggestion", args: []string{"polcy"}, wantCode: 2,
			wantStderr: "akresp: unknown command \"polcy\" for \"akresp\"\nhint: did you mean \"policy\"?\n"},
		{name: "unknown command", args: []string{"zzz"}, wantCode: 2,
			wantStderr: "akresp: unknown command \"zzz\" for \"akresp\"\nhint: run 'akresp --help' for usage\n"},
		{name: "unknown subcommand", args: []string{"policy", "deny"}, wantCode: 2,
			wantStderr: "akresp: unknown command \"deny\" for \"akresp policy\"\nhint: did you mean \"deny-high-risk\"?\n"},
		{name: "unknown flag", args: []string{"policy", "deny-high-risk", "--nope"}, wantCode: 2,
			wantStderr: "akresp: unknown flag: --nope\nhint: run 'akresp policy deny-high-risk --help' for usage\n"},
		{name: "flag without value", args: []string{"policy", "deny-high-risk", "--max-length"}, wantCode: 2,
			wantStderr: "akresp: flag needs an argument: --max-length\nhint: run 'akresp policy deny-high-risk --help' for usage\n"},
		{name: "bad int", args: []string{"policy", "deny-high-risk", "--max-length", "x"}, wantCode: 2,
			wantStderr: "akresp: --max-length \"x\": want a whole number\nhint: run 'akresp policy deny-high-risk --help' for usage\n"},
		{name: "extra args", args: []string{"version", "now"}, wantCode: 2,
			wantStderr: "akresp: unknown command \"now\" for \"akresp version\"\nhint: run 'akresp version --help' for usage\n"},
		{name: "unsupported output", args: []string{"policy", "deny-high-risk", "-o", "csv"}, wantCode: 2,
			wantStderr: "akresp: --output csv is not supported by akresp policy deny-high-risk; use one of: json, table\nhint: run 'akresp policy deny-high-risk --help' for usage\n"},
		{name: "output on a command without output", args: []string{"completion", "bash", "-o", "json"}, wantCode: 2,
			wantStderr: "akresp: akresp completion has no output to format; drop --output\nhint: run 'akresp completion --help' for usage\n"},
		{name: "bad env setting", args: []string{"version"}, env: map[string]string{"AKRESP_TIMEOUT": "soon"}, wantCode: 2,
			wantStderr: "akresp: $AKRESP_TIMEOUT \"soon\": not a duration such as 10s or 1m\nhint: run 'akresp version --help' for usage\n"},
		{name: "flag beats bad env", args: []string{"version", "--timeout", "5s"}, env: map[string]string{"AKRESP_TIMEOUT": "soon"}, wantCode: 0, wantStdout: "akresp v0.0.0-test"},
		{name: "invalid policy input is a usage error", args: []string{"policy", "deny-high-risk", "--group", "nope"}, wantCode: 2,
			wantStderr: "akresp: unknown deny group \"nope\"; known groups: ram, ecs, rds, oss, log, dysms, identity-extra, compute-extra, database-extra, storage-extra, log-extra, sms-extra, audit, kms\nhint: run 'akresp policy deny-high-risk --help' for usage\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			te := newTestFactory(t)
			code := Run(context.Background(), te.f, tt.args)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, tt.wantCode, te.errOut)
			}
			if tt.wantCode != 0 && te.errOut.String() != tt.wantStderr {
				t.Errorf("stderr\n got: %q\nwant: %q", te.errOut, tt.wantStderr)
			}
			if tt.wantCode == 0 && te.errOut.Len() != 0 {
				t.Errorf("stderr not empty on success: %q", te.errOut)
			}
			if tt.wantStdout == "" && te.out.Len() != 0 {
				t.Errorf("stdout not empty: %q", te.out)
			}
			if tt.wantStdout != "" && !strings.Contains(te.out.String(), tt.wantStdout) {
				t.Errorf("stdout %q lacks %q", te.out, tt.wantStdout)
			}
			if te.cloudCalls != 0 {
				t.Errorf("Cloud was called %d times", te.cloudCalls)
			}
		})
	}
}

func TestMainUsesRealFactory(t *testing.T) {
	clearAkrespEnv(t)
	ios, _, out, errOut := TestStreams()
	if code := Main(context.Background(), []string{"policy", "deny-high-risk", "--compact"}, ios); code != 0 {
		t.Fatalf("Main exit %d: %s", code, errOut)
	}
	if !strings.HasPrefix(out.String(), `{"Version":"1","Statement":[{"Effect":"Deny","Action":["ram:`) || strings.Count(out.String(), "\n") != 1 {
		t.Fatalf("unexpected output %q", out)
	}
}

// Commands that return domain errors get the code those errors carry.
func TestRunHonoursExitCoder(t *testing.T) {
	clearAkrespEnv(t)
	tests := []struct {
		err        error
		wantCode   int
		wantStderr string
	}{
		{&SafetyRailError{Rule: "recently-used", Detail: "LTAI…0000 was used 12 minutes ago", Override: "--force"}, 4,
			"akresp: refused by safety rail recently-used: LTAI…0000 was used 12 minutes ago\nhint: re-run with --force to proceed anyway\n"},
		{&FindingsError{Count: 2, Threshold: "high"}, 3, ""},
		{&ExitError{Code: 3}, 3, ""},
		{&ExitError{Code: 4, Err: errors.New("state drifted since the plan; see the journal")}, 4, "akresp: state drifted since the plan; see the journal\n"},
		{errors.New("disable LTAI…0000: ram:UpdateAccessKey: NoPermission (request 1F2E)"), 1, "akresp: disable LTAI…0000: ram:UpdateAccessKey: NoPermission (request 1F2E)\n"},
		{hintedErr{}, 1, "akresp: ram:GetUser: NoPermission\nhint: use --profile to pick an identity that has ram:GetUser\n"},
		{UsageErrorf("refusing to contain LTAI…0000 without confirmation: no terminal; re-run with --yes to proceed or --dry-run to only see the plan"), 2,
			"akresp: refusing to contain LTAI…0000 without confirmation: no terminal; re-run with --yes to proceed or --dry-run to only see the plan\nhint: run 'akresp fail --help' for usage\n"},
		{&UsageError{Err: errors.New("bad thing"), HintMsg: "do the other thing"}, 2, "akresp: bad thing\nhint: do the other thing\n"},
		{wrapped(&SafetyRailError{Rule: "root-key"}), 4, "akresp: contain: refused by safety rail root-key\n"},
	}
	for _, tt := range tests {
		t.Run(tt.err.Error(), func(t *testing.T) {
			te := newTestFactory(t)
			root, inv := newRoot(te.f)
			root.AddCommand(&cobra.Command{Use: "fail", RunE: func(*cobra.Command, []string) error { return tt.err }})
			root.SetArgs([]string{"fail"})
			cmd, err := root.ExecuteContextC(context.Background())
			code := reportError(context.Background(), te.errOut, cmd, err, inv.started)
			if code != tt.wantCode {
				t.Errorf("code = %d, want %d", code, tt.wantCode)
			}
			if te.errOut.String() != tt.wantStderr {
				t.Errorf("stderr\n got: %q\nwant: %q", te.errOut, tt.wantStderr)
			}
		})
	}
}

type hintedErr struct{}

func (hintedErr) Error() string { return "ram:GetUser: NoPermission" }
func (hintedErr) Hint() string  { return "use --profile to pick an identity that has ram:GetUser" }

func wrapped(err error) error { return fmt.Errorf("contain: %w", err) }

func TestInterruptedRunIsReportedOnce(t *testing.T) {
	clearAkrespEnv(t)
	te := newTestFactory(t)
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("interrupt signal received"))
	root, inv := newRoot(te.f)
	root.AddCommand(&cobra.Command{Use: "slow", RunE: func(cmd *cobra.Command, _ []string) error {
		if !Interrupted(cmd.Context()) {
			t.Error("Interrupted is false on a cancelled context")
		}
		inflight, done := InFlight(cmd.Context(), time.Minute)
		defer done()
		if inflight.Err() != nil {
			t.Error("InFlight context inherited the cancellation")
		}
		return cmd.Context().Err()
	}})
	root.SetArgs([]string{"slow"})
	cmd, err := root.ExecuteContextC(ctx)
	if code := reportError(ctx, te.errOut, cmd, err, inv.started); code != ExitRuntime {
		t.Errorf("code = %d, want 1", code)
	}
	if got := te.errOut.String(); got != "akresp: interrupted: interrupt signal received\n" {
		t.Errorf("stderr = %q", got)
	}
}

// Only the root may define PersistentPreRun(E); cobra runs just the nearest
// one, so a subcommand's would skip settings resolution.
func TestOnlyRootHasPersistentPreRun(t *testing.T) {
	te := newTestFactory(t)
	root := NewRootCmd(te.f)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c != root && (c.PersistentPreRunE != nil || c.PersistentPreRun != nil) {
			t.Errorf("%s defines PersistentPreRun", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// Every command path must be reachable with --help without credentials.
func TestHelpEverywhereIsOffline(t *testing.T) {
	clearAkrespEnv(t)
	te := newTestFactory(t)
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		paths = append(paths, path)
		for _, sub := range c.Commands() {
			walk(sub, append(append([]string{}, path...), sub.Name()))
		}
	}
	walk(NewRootCmd(te.f), nil)
	for _, p := range paths {
		te.out.Reset()
		if code := Run(context.Background(), te.f, append(p, "--help")); code != 0 {
			t.Errorf("akresp %s --help: exit %d: %s", strings.Join(p, " "), code, te.errOut)
		}
		if te.out.Len() == 0 {
			t.Errorf("akresp %s --help printed nothing", strings.Join(p, " "))
		}
	}
	if te.cloudCalls != 0 {
		t.Errorf("--help reached Cloud %d times", te.cloudCalls)
	}
}

func TestNewRootCmdIsFresh(t *testing.T) {
	te := newTestFactory(t)
	a, b := NewRootCmd(te.f), NewRootCmd(te.f)
	if a == b || a.Commands()[0] == b.Commands()[0] {
		t.Fatal("NewRootCmd reuses command values")
	}
}
