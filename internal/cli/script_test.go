package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/akresp/akresp/internal/lab"
	"github.com/akresp/akresp/internal/policy"
)

var update = flag.Bool("update", false, "rewrite golden files and the expected output in testdata/script/*.txtar")

// scriptNow is the clock every script runs at; the akresp processes and the
// script's lab share it (through AKRESP_TEST_NOW, read only by test code).
const scriptNow = "2026-03-14T09:26:53Z"

func TestMain(m *testing.M) {
	// In-process tests use fixed key IDs: keep the per-user key lock away
	// from other test binaries (scripts get their own AKRESP_LOCK_DIR).
	if os.Getenv("AKRESP_LOCK_DIR") == "" {
		os.Setenv("AKRESP_LOCK_DIR", filepath.Join(os.TempDir(), fmt.Sprintf("akresp-cli-test-locks-%d", os.Getpid())))
	}
	testscript.Main(privateState{m}, map[string]func(){
		"akresp": func() { os.Exit(scriptMain()) },
	})
}

// privateState runs the package's tests with XDG_STATE_HOME set to a
// directory of their own, removed afterwards: no test reads or writes the
// journals of the user running it (the lab's key IDs are fixed, so a
// user's drill would otherwise change what a test sees). Tests that call
// clearAkrespEnv get one each; scripts set their own.
type privateState struct{ m *testing.M }

func (p privateState) Run() int {
	dir, err := os.MkdirTemp("", "akresp-cli-test-state")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	os.Setenv("XDG_STATE_HOME", dir)
	return p.m.Run()
}

// scriptMain is the akresp main of script tests: the production factory
// except for the clock, plus an exit-code file so scripts can assert the
// exact code (testscript's "! exec" only says "non-zero").
func scriptMain() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	f := NewFactory(SystemStreams())
	if now, err := time.Parse(time.RFC3339, os.Getenv("AKRESP_TEST_NOW")); err == nil {
		f.Now = func() time.Time { return now }
	}
	code := Run(ctx, f, os.Args[1:])
	if p := os.Getenv("AKRESP_TEST_EXITFILE"); p != "" {
		_ = os.WriteFile(p, []byte(strconv.Itoa(code)), 0o600)
	}
	return code
}

// scriptSuites are the script directories, one per area, each run with the
// common setup below.
var scriptSuites = []struct {
	name     string
	dir      string
	scenario string // "" = an empty lab
}{
	{name: "core", dir: "testdata/script"},
	{name: "incident", dir: "testdata/script-incident", scenario: "builtin:leak"},
}

func TestScripts(t *testing.T) {
	plan, err := filepath.Abs("../policy/testdata/plan-example.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, suite := range scriptSuites {
		t.Run(suite.name, func(t *testing.T) {
			testscript.Run(t, testscript.Params{
				Dir:                 suite.dir,
				RequireExplicitExec: true,
				RequireUniqueNames:  true,
				UpdateScripts:       *update,
				Setup: func(env *testscript.Env) error {
					return scriptSetup(env, plan, suite.scenario)
				},
				Cmds: scriptCmds,
			})
		})
	}
}

type labKey struct{}

// scriptSetup gives every script a private home and state directory, no
// colour, no credential-chain surprises, the fixed clock, and a fresh lab
// on loopback that AKRESP_ENDPOINT points at.
//
// With a scenario, the lab serves it built at the same clock, akresp runs as
// its "admin" principal, and the scenario's notes are in the environment in
// upper case (LEAKED_KEY_ID, OFFICE_CIDR, ATTACKER_IP, ...).
func scriptSetup(env *testscript.Env, plan, scenario string) error {
	now, _ := time.Parse(time.RFC3339, scriptNow)
	opts := lab.Options{Clock: func() time.Time { return now }}
	if scenario != "" {
		sc, err := lab.LoadScenario(scenario)
		if err != nil {
			return err
		}
		w, info, err := sc.Build(now)
		if err != nil {
			return err
		}
		opts.World = w
		admin := info.Credentials["admin"]
		env.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", admin.AccessKeyID)
		env.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", admin.AccessKeySecret)
		for k, v := range info.Notes {
			env.Setenv(strings.ToUpper(k), v)
		}
	}
	srv, err := lab.New(opts)
	if err != nil {
		return fmt.Errorf("start lab: %w", err)
	}
	env.Defer(func() { _ = srv.Close() })
	env.Values[labKey{}] = srv
	for k, v := range map[string]string{
		"HOME":                                env.WorkDir,
		"AKRESP_STATE_DIR":                    filepath.Join(env.WorkDir, "state"),
		"AKRESP_LOCK_DIR":                     filepath.Join(env.WorkDir, "locks"),
		"AKRESP_ENDPOINT":                     "http://" + srv.Addr(),
		"AKRESP_TEST_NOW":                     scriptNow,
		"AKRESP_TEST_EXITFILE":                filepath.Join(env.WorkDir, ".akresp-exit"),
		"NO_COLOR":                            "1",
		"TZ":                                  "UTC",
		"ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
		"ALIBABA_CLOUD_CLI_PROFILE_DISABLED":  "true",
		"PLAN_EXAMPLE":                        plan,
	} {
		env.Setenv(k, v)
	}
	return nil
}

var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	// exitcode N: the last akresp run exited with N.
	"exitcode": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 1 {
			ts.Fatalf("usage: exitcode N")
		}
		got := strings.TrimSpace(ts.ReadFile(ts.Getenv("AKRESP_TEST_EXITFILE")))
		if (got == args[0]) == neg {
			ts.Fatalf("akresp exit code is %s, want %s%s", got, map[bool]string{true: "not ", false: ""}[neg], args[0])
		}
	},
	// lab-requests N: the script's lab has received exactly N requests.
	"lab-requests": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 1 {
			ts.Fatalf("usage: lab-requests N")
		}
		want, err := strconv.ParseInt(args[0], 10, 64)
		ts.Check(err)
		got := ts.Value(labKey{}).(*lab.Server).Stats().Requests
		if (got == want) == neg {
			ts.Fatalf("lab received %d requests, want %d", got, want)
		}
	},
	// stdout-json: the last stdout is exactly one JSON document and a newline.
	"stdout-json": func(ts *testscript.TestScript, neg bool, args []string) {
		out := ts.ReadFile("stdout")
		dec := json.NewDecoder(strings.NewReader(out))
		var v any
		err := dec.Decode(&v)
		ok := err == nil && !dec.More() && strings.HasSuffix(out, "\n") && !strings.HasSuffix(out, "\n\n")
		if ok == neg {
			ts.Fatalf("stdout one JSON document: %v (decode error %v)\n%s", ok, err, out)
		}
	},
	// policy-equal A B: two files hold semantically equal RAM policies.
	"policy-equal": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: policy-equal FILE FILE")
		}
		eq, err := policy.SemanticallyEqual(ts.ReadFile(args[0]), ts.ReadFile(args[1]))
		ts.Check(err)
		if eq == neg {
			ts.Fatalf("policies %s and %s semantically equal: %v", args[0], args[1], eq)
		}
	},
	// lab-state save NAME | lab-state cmp NAME: remember the lab's canonical
	// state, or compare the current state with a remembered one.
	"lab-state": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 || (args[0] != "save" && args[0] != "cmp") {
			ts.Fatalf("usage: lab-state save|cmp NAME")
		}
		cur := string(ts.Value(labKey{}).(*lab.Server).StateJSON())
		file := filepath.Join(ts.Getenv("WORK"), ".lab-state-"+args[1])
		if args[0] == "save" {
			ts.Check(os.WriteFile(file, []byte(cur), 0o600))
			return
		}
		saved, err := os.ReadFile(file)
		ts.Check(err)
		if (string(saved) == cur) == neg {
			ts.Fatalf("lab state equals %s: %v", args[1], !neg)
		}
	},
	// stdout2env NAME: set $NAME to the last stdout, trimmed (cli/cli).
	"stdout2env": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: stdout2env NAME")
		}
		ts.Setenv(args[0], strings.TrimSpace(ts.ReadFile("stdout")))
	},
}
