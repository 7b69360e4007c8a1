package cli

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/spf13/cobra"

	"github.com/akresp/akresp/internal/lab"
)

// settingsFor runs a capturing command with args and env and returns the
// resolved settings or the error.
func settingsFor(t *testing.T, env map[string]string, args ...string) (*Settings, error) {
	t.Helper()
	clearAkrespEnv(t)
	// The defaults under test: no XDG_STATE_HOME, a home that does not
	// exist (settings only name the directory; nothing here writes it).
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("HOME", "/home/tester")
	for k, v := range env {
		t.Setenv(k, v)
	}
	te := newTestFactory(t)
	var got *Settings
	cmd := &cobra.Command{Use: "probe", RunE: func(*cobra.Command, []string) error {
		s, err := te.f.Settings()
		got = s
		return err
	}}
	setOutputFormats(cmd, FormatTable, FormatJSON)
	err := execUnder(t, te.f, nil, cmd, args...)
	return got, err
}

func TestSettingsPrecedence(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	defaults := Settings{
		Region: "cn-hangzhou", Output: FormatTable, StateDir: "/home/tester/.local/state/akresp",
		LogLevel: slog.LevelWarn, LogFormat: "text", TZ: time.Local, Timeout: 10 * time.Second,
	}
	with := func(change func(*Settings)) Settings {
		s := defaults
		change(&s)
		return s
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want Settings
	}{
		{name: "defaults", want: defaults},
		{name: "env", env: map[string]string{
			"AKRESP_REGION": "ap-southeast-1", "AKRESP_ENDPOINT": "127.0.0.1:8080", "AKRESP_STATE_DIR": "/var/lib/akresp/",
			"AKRESP_LOG": "debug", "AKRESP_LOG_FORMAT": "json", "NO_COLOR": "0", "AKRESP_TZ": "Asia/Shanghai", "AKRESP_TIMEOUT": "3s",
		}, want: with(func(s *Settings) {
			s.Region, s.Endpoint, s.StateDir = "ap-southeast-1", "127.0.0.1:8080", "/var/lib/akresp"
			s.LogLevel, s.LogFormat, s.NoColor, s.TZ, s.Timeout = slog.LevelDebug, "json", true, shanghai, 3*time.Second
		})},
		{name: "flags beat env", env: map[string]string{"AKRESP_REGION": "ap-southeast-1", "AKRESP_LOG": "debug", "AKRESP_TIMEOUT": "3s"},
			args: []string{"--region", "cn-beijing", "--log-level", "error", "--timeout", "30s", "--profile", "ir", "-o", "json", "-y", "--dry-run", "--tz", "UTC", "--no-color", "--endpoint", "http://127.0.0.1:9"},
			want: with(func(s *Settings) {
				s.Region, s.LogLevel, s.Timeout, s.Profile, s.Output = "cn-beijing", slog.LevelError, 30*time.Second, "ir", FormatJSON
				s.Yes, s.DryRun, s.TZ, s.NoColor, s.Endpoint = true, true, time.UTC, true, "http://127.0.0.1:9"
			})},
		{name: "xdg state home", env: map[string]string{"XDG_STATE_HOME": "/xdg/state"}, want: with(func(s *Settings) { s.StateDir = "/xdg/state/akresp" })},
		{name: "relative xdg ignored", env: map[string]string{"XDG_STATE_HOME": "rel"}, want: defaults},
		{name: "state dir tilde", args: []string{"--state-dir", "~/ir"}, want: with(func(s *Settings) { s.StateDir = "/home/tester/ir" })},
		{name: "empty env is unset", env: map[string]string{"AKRESP_REGION": ""}, want: defaults},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := settingsFor(t, tt.env, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			opt := cmp.Comparer(func(a, b *time.Location) bool { return a.String() == b.String() })
			if diff := cmp.Diff(tt.want, *got, opt, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("settings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSettingsValidation(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr string
	}{
		{"region", nil, []string{"--region", "Hangzhou"}, `--region "Hangzhou": not a region ID such as cn-hangzhou or ap-southeast-1`},
		{"region env", map[string]string{"AKRESP_REGION": "cn_hangzhou"}, nil, `$AKRESP_REGION "cn_hangzhou": not a region ID such as cn-hangzhou or ap-southeast-1`},
		{"endpoint path", nil, []string{"--endpoint", "http://127.0.0.1:9/api"}, `--endpoint "http://127.0.0.1:9/api": an endpoint is a host and optional port, with no path, query or credentials`},
		{"endpoint scheme", nil, []string{"--endpoint", "ftp://x"}, `--endpoint "ftp://x": scheme must be http:// or https://`},
		{"endpoint port", nil, []string{"--endpoint", "127.0.0.1:99999"}, `--endpoint "127.0.0.1:99999": port "99999" is not a number from 1 to 65535`},
		{"endpoint junk", map[string]string{"AKRESP_ENDPOINT": "a b"}, nil, `$AKRESP_ENDPOINT "a b": not a host[:port] or http(s)://host[:port]`},
		{"output", nil, []string{"-o", "yaml"}, "--output yaml is not supported by akresp probe; use one of: table, json"},
		{"log level", nil, []string{"--log-level", "trace"}, `--log-level "trace": want one of debug, info, warn, error`},
		{"log level env", map[string]string{"AKRESP_LOG": "loud"}, nil, `$AKRESP_LOG "loud": want one of debug, info, warn, error`},
		{"log format", nil, []string{"--log-format", "xml"}, `--log-format "xml": want one of text, json`},
		{"tz", nil, []string{"--tz", "Mars/Olympus"}, `--tz "Mars/Olympus": unknown time zone; use an IANA name such as Asia/Shanghai, UTC or Local`},
		{"timeout syntax", nil, []string{"--timeout", "10"}, `--timeout "10": not a duration such as 10s or 1m`},
		{"timeout zero", nil, []string{"--timeout", "0s"}, `--timeout "0s": must be positive`},
		{"timeout huge", map[string]string{"AKRESP_TIMEOUT": "2h"}, nil, `$AKRESP_TIMEOUT "2h": must be at most 1h`},
		{"profile", nil, []string{"--profile", "a b"}, `--profile "a b": profile names have no spaces`},
		{"yes value", nil, []string{"--yes=maybe"}, `--yes "maybe": want true or false`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := settingsFor(t, tt.env, tt.args...)
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("error = %v\nwant    %s", err, tt.wantErr)
			}
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("error %T is not a UsageError", err)
			}
		})
	}
}

func TestSettingsBeforeParse(t *testing.T) {
	te := newTestFactory(t)
	if _, err := te.f.Settings(); err == nil {
		t.Fatal("Settings before parsing must fail")
	}
	// The logger still works (warn, text) before parsing.
	te.f.Logger().Warn("early", "k", "v")
	if !strings.Contains(te.errOut.String(), "level=WARN msg=early k=v") {
		t.Fatalf("early log = %q", te.errOut)
	}
}

func TestNoColorTurnsColourOff(t *testing.T) {
	clearAkrespEnv(t)
	te := newTestFactory(t)
	te.f.IO.SetColorEnabled(true)
	if code := Run(context.Background(), te.f, []string{"version", "--no-color"}); code != 0 {
		t.Fatal(te.errOut)
	}
	if te.f.IO.ColorEnabled() {
		t.Fatal("--no-color left colour on")
	}
}

func TestLoggerFollowsSettingsAndRedacts(t *testing.T) {
	tests := []struct {
		args    []string
		want    string
		notWant string
	}{
		{[]string{"--log-level", "debug"}, "level=DEBUG msg=probe", ""},
		{[]string{"--log-level", "debug", "--log-format", "json"}, `"level":"DEBUG","msg":"probe"`, ""},
		{nil, "", "probe"}, // default warn drops debug
	}
	for _, tt := range tests {
		clearAkrespEnv(t)
		te := newTestFactory(t)
		cmd := &cobra.Command{Use: "probe", RunE: func(*cobra.Command, []string) error {
			te.f.Logger().Debug("probe", "AccessKeySecret", "s3cr3tvalue", "security_token", "tok", "key_id", "LTAI…0000")
			return nil
		}}
		if err := execUnder(t, te.f, nil, cmd, tt.args...); err != nil {
			t.Fatal(err)
		}
		got := te.errOut.String()
		if tt.want != "" && !strings.Contains(got, tt.want) {
			t.Errorf("log %q lacks %q", got, tt.want)
		}
		if tt.notWant != "" && strings.Contains(got, tt.notWant) {
			t.Errorf("log %q has %q", got, tt.notWant)
		}
		if strings.Contains(got, "s3cr3tvalue") || strings.Contains(got, "tok\"") || strings.Contains(got, "=tok") {
			t.Errorf("log leaked a secret: %q", got)
		}
	}
}

type fakePrompter struct {
	answer bool
	err    error
	asked  []string
}

func (p *fakePrompter) Confirm(prompt string) (bool, error) {
	p.asked = append(p.asked, prompt)
	return p.answer, p.err
}

func TestRequireConfirmation(t *testing.T) {
	tests := []struct {
		name      string
		tty       bool
		yes, dry  bool
		answer    bool
		want      bool
		wantErr   string
		wantAsked bool
	}{
		{name: "dry run stops after the plan", tty: true, dry: true, yes: true, want: false},
		{name: "yes proceeds without a terminal", yes: true, want: true},
		{name: "no terminal refuses", wantErr: "refusing to contain LTAI…0000: no terminal to confirm on, and neither --yes nor --dry-run given"},
		{name: "terminal yes", tty: true, answer: true, want: true, wantAsked: true},
		{name: "terminal no", tty: true, answer: false, want: false, wantAsked: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := TestStreams()
			ios.SetStdinTTY(tt.tty)
			ios.SetStdoutTTY(tt.tty)
			p := &fakePrompter{answer: tt.answer}
			got, err := RequireConfirmation(ConfirmOptions{IO: ios, Prompter: p, Yes: tt.yes, DryRun: tt.dry, Verb: "contain LTAI…0000", Prompt: "Apply 3 actions?"})
			if tt.wantErr != "" {
				var ue *UsageError
				if err == nil || err.Error() != tt.wantErr || !errors.As(err, &ue) {
					t.Fatalf("err = %v, want usage error %q", err, tt.wantErr)
				}
				// The hint names the two ways on, not a generic --help.
				if h := ue.Hint(); !strings.Contains(h, "--yes") || !strings.Contains(h, "--dry-run") {
					t.Errorf("hint = %q, want --yes and --dry-run", h)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
			if asked := len(p.asked) > 0; asked != tt.wantAsked {
				t.Fatalf("asked = %v, want %v", asked, tt.wantAsked)
			}
		})
	}
	// Only stdin as a terminal is not enough (stdout piped).
	ios, _, _, _ := TestStreams()
	ios.SetStdinTTY(true)
	if _, err := RequireConfirmation(ConfirmOptions{IO: ios, Prompter: &fakePrompter{}, Verb: "disable x"}); err == nil {
		t.Fatal("prompted with stdout piped")
	}
}

func TestLinePrompter(t *testing.T) {
	tests := []struct {
		input string
		want  []bool
	}{
		{"y\n", []bool{true}},
		{"YES\n", []bool{true}},
		{" yes \r\n", []bool{true}},
		{"n\n", []bool{false}},
		{"\n", []bool{false}},
		{"sure\n", []bool{false}},
		{"", []bool{false}},             // EOF is no
		{"y", []bool{true}},             // last line without newline
		{"y\nn\n", []bool{true, false}}, // one reader across questions
	}
	for _, tt := range tests {
		ios, in, _, errOut := TestStreams()
		in.WriteString(tt.input)
		p := NewPrompter(ios)
		for i, want := range tt.want {
			got, err := p.Confirm("Proceed?")
			if err != nil || got != want {
				t.Errorf("input %q answer %d = %v, %v; want %v", tt.input, i, got, err, want)
			}
		}
		if !strings.HasPrefix(errOut.String(), "Proceed? [y/N]: ") {
			t.Errorf("prompt written as %q", errOut)
		}
	}
	ios := &IOStreams{In: errReader{}, Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}
	if _, err := NewPrompter(ios).Confirm("x"); err == nil || !strings.Contains(err.Error(), "read answer") {
		t.Errorf("read error = %v", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("boom") }

func TestDefaultStateDirWithoutHome(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("HOME", "")
	if got := defaultStateDir(); got != "" && !filepath.IsAbs(got) {
		t.Fatalf("defaultStateDir() = %q", got)
	}
}

// The production Cloud closure builds clients from the resolved settings:
// the endpoint, region and timeout reach internal/cloud, the clients are
// built once, and a call lands on the lab named by --endpoint.
func TestFactoryCloudUsesSettings(t *testing.T) {
	clearAkrespEnv(t)
	t.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
	t.Setenv("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")
	t.Setenv("ALIBABA_CLOUD_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI5tAbCdEfGhIjKlMnOpQr")
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "notARealSecretButThirtyChars00")
	srv, err := lab.New(lab.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	ios, _, _, _ := TestStreams()
	f := NewFactory(ios)
	if _, err := f.Cloud(context.Background()); err == nil {
		t.Fatal("Cloud before the command line was parsed must fail")
	}
	var first, second any
	cmd := &cobra.Command{Use: "probe", RunE: func(cmd *cobra.Command, _ []string) error {
		c1, err := f.Cloud(cmd.Context())
		if err != nil {
			return err
		}
		c2, err := f.Cloud(cmd.Context())
		if err != nil {
			return err
		}
		first, second = c1, c2
		if c1.Endpoint() != srv.Addr() || c1.Region() != "ap-southeast-1" {
			t.Errorf("clients endpoint %q region %q", c1.Endpoint(), c1.Region())
		}
		_, callErr := c1.GetCallerIdentity(cmd.Context())
		if callErr == nil {
			t.Error("the empty lab accepted an unknown key")
		}
		return nil
	}}
	if err := execUnder(t, f, nil, cmd, "--endpoint", "http://"+srv.Addr(), "--region", "ap-southeast-1", "--timeout", "5s"); err != nil {
		t.Fatal(err)
	}
	if first != second {
		t.Error("Cloud built the clients twice")
	}
	if n := srv.Stats().Requests; n != 1 {
		t.Errorf("lab received %d requests, want 1", n)
	}
}
