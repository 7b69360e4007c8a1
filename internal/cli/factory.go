package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/akresp/akresp/internal/cloud"
)

// Factory hands commands their dependencies. Every closure builds on first
// use, so --help, usage errors and the offline policy commands never touch
// credentials or the network (cli/cli's factory, kept small on purpose).
// Tests replace any closure.
type Factory struct {
	IO  *IOStreams
	Now func() time.Time
	// Logger is slog on stderr at --log-level / --log-format. Never nil.
	Logger func() *slog.Logger
	// Settings returns the global settings resolved (flag > env > default)
	// and validated for the running command. It errors when called before
	// the root command's PersistentPreRunE has run.
	Settings func() (*Settings, error)
	// Cloud builds the Alibaba Cloud clients from the settings.
	Cloud    func(ctx context.Context) (*cloud.Clients, error)
	Prompter Prompter
	Version  string

	jq       *jqRun // --jq: stdout buffered for the filter (jq.go)
	mu       sync.Mutex
	resolved *Settings
	logger   *slog.Logger
	clients  *cloud.Clients
}

// NewFactory wires the production dependencies around streams.
func NewFactory(streams *IOStreams) *Factory {
	f := &Factory{IO: streams, Now: time.Now, Version: version}
	f.Prompter = NewPrompter(streams)
	f.Settings = func() (*Settings, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.resolved == nil {
			return nil, errors.New("settings used before the command line was parsed")
		}
		return f.resolved, nil
	}
	f.Logger = func() *slog.Logger {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.logger == nil {
			s := f.resolved
			if s == nil {
				s = &Settings{LogLevel: slog.LevelWarn, LogFormat: "text"}
			}
			f.logger = newLogger(f.IO.ErrOut, s.LogLevel, s.LogFormat)
		}
		return f.logger
	}
	f.Cloud = func(ctx context.Context) (*cloud.Clients, error) {
		s, err := f.Settings()
		if err != nil {
			return nil, err
		}
		f.mu.Lock()
		c := f.clients
		f.mu.Unlock()
		if c != nil {
			return c, nil
		}
		c, err = cloud.New(ctx, cloud.Config{
			Region:    s.Region,
			Endpoint:  s.Endpoint,
			Profile:   s.Profile,
			Timeout:   s.Timeout,
			Version:   f.Version,
			Logger:    f.Logger(),
			HTTPDebug: os.Getenv("AKRESP_DEBUG") == "http",
		})
		if err != nil {
			return nil, err
		}
		f.mu.Lock()
		f.clients = c
		f.mu.Unlock()
		return c, nil
	}
	return f
}

// setResolved records the settings of the running command.
func (f *Factory) setResolved(s *Settings) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resolved = s
	f.logger = nil
}

// Settings are the global flags, resolved once per invocation.
type Settings struct {
	Profile  string
	Region   string
	Endpoint string
	// Output is the -o format for the running command, already checked
	// against the formats it supports (its default when -o is absent).
	Output    string
	StateDir  string
	Yes       bool
	DryRun    bool
	LogLevel  slog.Level
	LogFormat string
	NoColor   bool
	// TZ is the zone for times shown to people (--tz); machine output is
	// always UTC.
	TZ      *time.Location
	Timeout time.Duration
	// JQ is the --jq expression ("" = none), checked to compile (jq.go).
	JQ string
}

// Output formats.
const (
	FormatTable    = "table"
	FormatJSON     = "json"
	FormatCSV      = "csv"
	FormatMarkdown = "markdown"
)

var allFormats = []string{FormatTable, FormatJSON, FormatCSV, FormatMarkdown}

type settingKind int

const (
	kindString settingKind = iota
	kindBool
)

// settingSpec declares one global setting, once: flag, env variable,
// default, allowed values, and how a value is checked and stored
// (precedence flag > env > default).
type settingSpec struct {
	flag, short string
	env         string
	def         string
	usage       string
	allowed     []string
	kind        settingKind
	// typ names the value in --help ("duration", "zone"); default "string".
	typ string
	// set validates v and stores it; errors say what is wrong with v.
	set func(s *Settings, v string) error
}

// settingSpecs is the table of global settings. Only data: nothing here is
// mutated after start-up.
var settingSpecs = []settingSpec{
	{flag: "profile", usage: "credentials profile (aliyun CLI config, then ~/.alibabacloud/credentials); default: the credentials-go default chain",
		set: func(s *Settings, v string) error {
			if strings.ContainsAny(v, " \t\n") {
				return errors.New("profile names have no spaces")
			}
			s.Profile = v
			return nil
		}},
	{flag: "region", env: "AKRESP_REGION", def: "cn-hangzhou", usage: "region ID for regional APIs (ActionTrail, STS)",
		set: func(s *Settings, v string) error {
			if !regionPattern.MatchString(v) {
				return errors.New("not a region ID such as cn-hangzhou or ap-southeast-1")
			}
			s.Region = v
			return nil
		}},
	{flag: "endpoint", env: "AKRESP_ENDPOINT", usage: "send every API call to this host[:port] or http(s)://host[:port] (the lab, or a private endpoint)",
		set: func(s *Settings, v string) error {
			if err := checkEndpoint(v); err != nil {
				return err
			}
			s.Endpoint = v
			return nil
		}},
	{flag: "output", short: "o", typ: "format", usage: "output format: table|json|csv|markdown (each command lists the ones it supports)",
		// Checked against the running command's own list in resolveOutput.
		set: func(s *Settings, v string) error { s.Output = v; return nil }},
	{flag: "jq", typ: "expression", usage: "filter JSON output with a jq expression, e.g. '.verdict.status' (implies -o json; strings print raw)",
		set: func(s *Settings, v string) error {
			if v == "" {
				return nil
			}
			if _, err := compileJQ(v); err != nil {
				return err
			}
			s.JQ = v
			return nil
		}},
	{flag: "state-dir", env: "AKRESP_STATE_DIR", typ: "dir", usage: "directory for journals, rotation state and evidence (default $XDG_STATE_HOME/akresp or ~/.local/state/akresp)",
		set: func(s *Settings, v string) error {
			if v == "" {
				v = defaultStateDir()
			}
			if v != "" {
				v = filepath.Clean(expandHome(v))
			}
			s.StateDir = v
			return nil
		}},
	{flag: "yes", short: "y", kind: kindBool, usage: "do not ask for confirmation before changing anything",
		set: func(s *Settings, v string) error { return setBool(&s.Yes, v) }},
	{flag: "dry-run", kind: kindBool, usage: "print the plan and change nothing",
		set: func(s *Settings, v string) error { return setBool(&s.DryRun, v) }},
	{flag: "log-level", env: "AKRESP_LOG", def: "warn", typ: "level", allowed: []string{"debug", "info", "warn", "error"}, usage: "log level on stderr: debug|info|warn|error",
		set: func(s *Settings, v string) error { return s.LogLevel.UnmarshalText([]byte(v)) }},
	{flag: "log-format", env: "AKRESP_LOG_FORMAT", def: "text", typ: "format", allowed: []string{"text", "json"}, usage: "log format on stderr: text|json",
		set: func(s *Settings, v string) error { s.LogFormat = v; return nil }},
	{flag: "no-color", env: "NO_COLOR", kind: kindBool, usage: "no ANSI colour (also when NO_COLOR is set to anything)",
		set: func(s *Settings, v string) error { return setBool(&s.NoColor, v) }},
	{flag: "tz", env: "AKRESP_TZ", def: "Local", typ: "zone", usage: "time zone for times shown to people, e.g. Asia/Shanghai or UTC (machine output is always UTC)",
		set: func(s *Settings, v string) error {
			loc, err := time.LoadLocation(v)
			if err != nil {
				return errors.New("unknown time zone; use an IANA name such as Asia/Shanghai, UTC or Local")
			}
			s.TZ = loc
			return nil
		}},
	{flag: "timeout", env: "AKRESP_TIMEOUT", def: "10s", typ: "duration", usage: "timeout of one API call",
		set: func(s *Settings, v string) error {
			d, err := time.ParseDuration(v)
			switch {
			case err != nil:
				return errors.New("not a duration such as 10s or 1m")
			case d <= 0:
				return errors.New("must be positive")
			case d > time.Hour:
				return errors.New("must be at most 1h")
			}
			s.Timeout = d
			return nil
		}},
}

var regionPattern = regexp.MustCompile(`^[a-z]{2,}(-[a-z0-9]+)+$`)

func setBool(dst *bool, v string) error {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return errors.New("want true or false")
	}
	*dst = b
	return nil
}

// registerGlobalFlags adds every setting as a persistent flag.
func registerGlobalFlags(fs *pflag.FlagSet) {
	for _, sp := range settingSpecs {
		usage := sp.usage
		if sp.env != "" {
			usage += " [$" + sp.env + "]"
		}
		switch sp.kind {
		case kindBool:
			fs.BoolP(sp.flag, sp.short, false, usage)
		default:
			typ := sp.typ
			if typ == "" {
				typ = "string"
			}
			fs.VarP(&settingValue{v: sp.def, typ: typ}, sp.flag, sp.short, usage)
		}
	}
}

// settingValue is a string flag whose --help names its kind of value.
// Values are checked in resolveSettings, after env and defaults are known.
type settingValue struct{ v, typ string }

func (s *settingValue) String() string     { return s.v }
func (s *settingValue) Set(v string) error { s.v = v; return nil }
func (s *settingValue) Type() string       { return s.typ }

// resolveSettings reads every setting (flag > env > default) and checks it,
// plus the output format against what cmd supports. Nothing here does I/O
// beyond reading the environment and the zoneinfo database.
func resolveSettings(cmd *cobra.Command) (*Settings, error) {
	s := &Settings{}
	fs := cmd.Flags()
	for _, sp := range settingSpecs {
		fl := fs.Lookup(sp.flag)
		v, source := sp.def, "default"
		switch {
		case fl != nil && fl.Changed:
			v, source = fl.Value.String(), "--"+sp.flag
		case sp.env != "" && os.Getenv(sp.env) != "":
			v, source = os.Getenv(sp.env), "$"+sp.env
			if sp.kind == kindBool && sp.env == "NO_COLOR" {
				v = "true" // https://no-color.org: any non-empty value
			}
		case sp.kind == kindBool:
			v = "false"
		}
		v = strings.TrimSpace(v)
		if len(sp.allowed) > 0 && !slices.Contains(sp.allowed, v) {
			return nil, settingErr(source, sp.flag, v, fmt.Errorf("want one of %s", strings.Join(sp.allowed, ", ")))
		}
		if err := sp.set(s, v); err != nil {
			return nil, settingErr(source, sp.flag, v, err)
		}
	}
	if s.JQ != "" {
		out, err := checkJQOutput(cmd, s.Output)
		if err != nil {
			return nil, err
		}
		s.Output = out
	}
	out, err := resolveOutput(cmd, s.Output)
	if err != nil {
		return nil, err
	}
	s.Output = out
	return s, nil
}

func settingErr(source, flag, v string, err error) error {
	if source == "default" {
		source = "--" + flag + " default"
	}
	return UsageErrorf("%s %q: %v", source, v, err)
}

// checkEndpoint accepts host[:port] or http(s)://host[:port][/].
func checkEndpoint(v string) error {
	if v == "" {
		return nil
	}
	hostport := v
	if strings.Contains(v, "://") {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return errors.New("scheme must be http:// or https://")
		}
		if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil || u.Fragment != "" {
			return errors.New("an endpoint is a host and optional port, with no path, query or credentials")
		}
		hostport = u.Host
	}
	host := hostport
	if h, port, err := net.SplitHostPort(hostport); err == nil {
		n, perr := strconv.Atoi(port)
		if perr != nil || n < 1 || n > 65535 {
			return fmt.Errorf("port %q is not a number from 1 to 65535", port)
		}
		host = h
	}
	if host == "" || strings.ContainsAny(host, "/ \t@?#") {
		return errors.New("not a host[:port] or http(s)://host[:port]")
	}
	return nil
}

func defaultStateDir() string {
	if x := os.Getenv("XDG_STATE_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "akresp")
	}
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		return filepath.Join(home, ".local", "state", "akresp")
	}
	return "" // commands that need state say so and point at --state-dir
}

func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[1:])
		}
	}
	return p
}

// newLogger builds the stderr logger. Attributes whose key names a secret
// are replaced by [REDACTED] as a last line of defence; secrets should never
// reach a log call in the first place.
func newLogger(w io.Writer, level slog.Level, format string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: redactAttr}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

var secretKeyWords = []string{"secret", "password", "securitytoken", "security_token", "signature", "authorization"}

func redactAttr(_ []string, a slog.Attr) slog.Attr {
	k := strings.ToLower(a.Key)
	for _, w := range secretKeyWords {
		if strings.Contains(k, w) {
			return slog.String(a.Key, "[REDACTED]")
		}
	}
	return a
}

// Prompter asks the person at the terminal a yes/no question.
type Prompter interface {
	Confirm(prompt string) (bool, error)
}

// NewPrompter returns a Prompter that writes the question to stderr and
// reads one line from stdin.
func NewPrompter(io *IOStreams) Prompter { return &linePrompter{io: io} }

type linePrompter struct {
	io *IOStreams
	r  *bufio.Reader
}

// Confirm asks prompt and returns true only for y or yes (any case). An
// empty answer, end of input or anything else is no.
func (p *linePrompter) Confirm(prompt string) (bool, error) {
	if p.r == nil {
		p.r = bufio.NewReader(p.io.In)
	}
	if _, err := fmt.Fprintf(p.io.ErrOut, "%s [y/N]: ", prompt); err != nil {
		return false, fmt.Errorf("write prompt: %w", err)
	}
	line, err := p.r.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("read answer: %w", err)
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

// ConfirmOptions are the inputs of RequireConfirmation.
type ConfirmOptions struct {
	IO       *IOStreams
	Prompter Prompter
	Yes      bool
	DryRun   bool
	// Verb names the change for the refusal message, e.g. "contain
	// LTAI…0000".
	Verb string
	// Prompt is the question, e.g. "Apply 3 actions to LTAI…0000?".
	Prompt string
}

// RequireConfirmation implements the SPEC's confirmation rule for mutating
// commands, after the plan has been printed:
//
//   - --dry-run: (false, nil): stop after the plan, change nothing;
//   - --yes: (true, nil);
//   - no terminal (CanPrompt false): a UsageError naming --yes and
//     --dry-run, immediately; never a hanging prompt;
//   - otherwise ask: (answer, nil).
func RequireConfirmation(o ConfirmOptions) (bool, error) {
	switch {
	case o.DryRun:
		return false, nil
	case o.Yes:
		return true, nil
	case o.IO == nil || !o.IO.CanPrompt() || o.Prompter == nil:
		return false, &UsageError{
			Err:     fmt.Errorf("refusing to %s: no terminal to confirm on, and neither --yes nor --dry-run given", o.Verb),
			HintMsg: "re-run with --yes to apply the plan shown above, or with --dry-run to only print the plan",
		}
	}
	return o.Prompter.Confirm(o.Prompt)
}

// ConfirmPlan is RequireConfirmation for a mutating command that has shown
// its plan. proceed is true when the plan should be applied; otherwise the
// run ends with err: dryRun's result on --dry-run (it shows what would have
// happened; nil for nothing more to show), else "not confirmed" (exit 1).
func ConfirmPlan(o ConfirmOptions, dryRun func() error) (proceed bool, err error) {
	ok, err := RequireConfirmation(o)
	switch {
	case err != nil:
		return false, err
	case ok:
		return true, nil
	case o.DryRun && dryRun != nil:
		return false, dryRun()
	}
	return false, &ExitError{Code: ExitRuntime, Err: fmt.Errorf("%s: not confirmed; nothing changed", o.Verb)}
}
