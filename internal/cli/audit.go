package cli

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/akresp/akresp/internal/audit"
	"github.com/akresp/akresp/internal/cloud/slsq"
	"github.com/akresp/akresp/internal/incident"
	"github.com/akresp/akresp/internal/leaks"
	"github.com/akresp/akresp/internal/policy"
	"github.com/akresp/akresp/internal/safetext"
)

// AuditOptions holds the dependencies and flags of `akresp audit`.
type AuditOptions struct {
	IO       *IOStreams
	Now      func() time.Time
	Logger   *slog.Logger
	Settings func() (*Settings, error)
	// Backend and SweepBackend return the cloud to talk to; tests replace
	// them. Neither is called for an offline audit.
	Backend      func(ctx context.Context) (audit.Cloud, error)
	SweepBackend func(ctx context.Context) (audit.SweepCloud, error)
	// SLSBackend returns the SLS client for --sls, signing with the same
	// credentials as Backend; it is called only for --sls.
	SLSBackend func(ctx context.Context, endpoint string) (*slsq.Client, error)

	KeyID string

	// Single-key audit.
	EventInputs
	// SLS push-down: --sls PROJECT/LOGSTORE, --sls-endpoint, --sls-topic.
	SLS           string
	SLSEndpoint   string
	SLSTopic      string
	slsTarget     slsq.Target
	slsEndpoint   string
	BusinessHours string
	hours         audit.BusinessHours
	BHTZ          string
	bhTZ          *time.Location
	MinSeverity   string
	minSeverity   audit.Severity
	// NoFollow: do not audit the identities the attacker created
	// (offline, following reads again the files that name them).
	NoFollow bool

	// Idle sweep.
	Idle             bool
	IdleDays         int
	MaxAgeDays       int
	Parallelism      int
	CredentialReport string

	FailOn string
	failOn audit.Severity
	failOK bool
}

func newCmdAudit(f *Factory, runF func(context.Context, *AuditOptions) error) *cobra.Command {
	opts := &AuditOptions{IO: f.IO, Now: f.Now, Settings: f.Settings}
	cmd := &cobra.Command{
		Use:   "audit <AK-ID> | audit --idle",
		Short: "Investigate one AccessKey (facts, events, findings, verdict), or sweep every key for idle and risky ones",
		Long: `Investigate one AccessKey, or sweep the whole account.

audit <AK-ID> shows who owns the key, its status, age and last use (ActionTrail
GetAccessKeyLastUsed*: refreshed hourly, up to 400 days back, management
events only), reads the key's events, runs the detection rules and gives a
verdict (idle, in use, suspected leak) with the next commands to run and the
trusted CIDRs to contain the key to.

Where the events come from:
  - online (default): ActionTrail LookupEvents over --since (default 30d, at
    most 90d, ActionTrail's retention), paged within its 2 requests/s quota;
  - offline: --trail (ActionTrail deliveries to OSS, SLS exports, LookupEvents
    documents; files or directories, gzip or not), --oss-log (OSS access
    logs), --sls-log (SLS operation logs). Offline inputs are analysed over
    their own time range unless --since/--until narrow them;
  - SLS push-down: --sls PROJECT/LOGSTORE queries the logstore ActionTrail
    delivers to (--sls-endpoint, default <region>.log.aliyuncs.com) and
    fetches aggregates plus the events the rules need, not every event;
    --since reaches as far back as the logstore keeps events (default 30d).
    An answer SLS cannot complete even for a one-minute window fails the
    audit (exit 1) and names the missing windows.
When any offline input is given the audit is offline and needs no credentials
and no network, unless --online asks for both. Malformed records are reported
with file and position and skipped; --strict stops at the first one.

audit --idle sweeps every key of the account: never used, idle (--idle-days),
unrotated (--max-age-days), more than one active key per user, disabled keys
left in place, root-account keys and their use, and console users without
MFA. It uses the IMS credential report when available and per-user calls
otherwise (--credential-report); failures for one user are diagnostics.

--fail-on SEVERITY exits 3 after printing when a finding (or, with --idle, a
key or user) is at or above SEVERITY: the weekly cron branches on it.

Times: machine output is UTC; people's output uses --tz. Business hours
(--business-hours, default "Mon-Fri 09:00-19:00") are in --bh-tz (default
Asia/Shanghai).`,
		Example: `  akresp audit LTAI5tExampleKey00000001
  akresp audit LTAI5tExampleKey00000001 --since 7d --leak-time 2026-11-20T03:00:00Z -o json
  akresp audit LTAI5tExampleKey00000001 --trail ./trails/ --oss-log ./oss-logs/ --strict
  akresp audit LTAI5tExampleKey00000001 --sls trail-proj/actiontrail_main --since 180d
  akresp audit --idle --fail-on high -o json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.KeyID = strings.TrimSpace(args[0])
			}
			if f.Logger != nil {
				opts.Logger = f.Logger()
			}
			if opts.Backend == nil {
				opts.Backend = func(ctx context.Context) (audit.Cloud, error) { return f.Cloud(ctx) }
			}
			if opts.SweepBackend == nil {
				opts.SweepBackend = func(ctx context.Context) (audit.SweepCloud, error) { return f.Cloud(ctx) }
			}
			if opts.SLSBackend == nil {
				opts.SLSBackend = func(ctx context.Context, endpoint string) (*slsq.Client, error) {
					return newSLSClient(ctx, f, endpoint)
				}
			}
			if err := validateAudit(cmd, opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runAudit(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	opts.registerEventFlags(fl)
	fl.StringVar(&opts.SLS, "sls", "", "audit by push-down queries to the SLS logstore ActionTrail delivers to (`PROJECT/LOGSTORE`)")
	fl.StringVar(&opts.SLSEndpoint, "sls-endpoint", "", "SLS region endpoint `HOST[:PORT]` or http(s)://HOST[:PORT] (default <region>.log.aliyuncs.com; HTTPS unless loopback)")
	fl.StringVar(&opts.SLSTopic, "sls-topic", audit.DefaultSLSTopic, "logstore topic of the trail's events (actiontrail_event for the older layout)")
	fl.StringVar(&opts.BusinessHours, "business-hours", "", `working days and hours, e.g. "Mon-Fri 09:00-19:00" (the default) or "always"`)
	fl.StringVar(&opts.BHTZ, "bh-tz", audit.DefaultTimeZone, "time zone of --business-hours")
	fl.StringVar(&opts.MinSeverity, "min-severity", "info", "leave out findings below this severity")
	fl.BoolVar(&opts.NoFollow, "no-follow", false, "do not audit the identities the attacker created with the key (users, keys, roles, STS sessions); offline, following reads again the trail files that name them, once per generation")
	fl.BoolVar(&opts.Idle, "idle", false, "sweep every key of the account instead of auditing one")
	fl.IntVar(&opts.IdleDays, "idle-days", audit.DefaultIdleDays, "a key unused for longer than this many days is idle")
	fl.IntVar(&opts.MaxAgeDays, "max-age-days", audit.DefaultMaxKeyAgeDays, "an active key older than this many days is unrotated")
	fl.IntVar(&opts.Parallelism, "parallelism", audit.DefaultSweepParallelism, "users examined at once by --idle (calls still keep to each API's quota)")
	fl.StringVar(&opts.CredentialReport, "credential-report", audit.ReportAuto, "use the IMS credential report for --idle: auto|always|never")
	fl.StringVar(&opts.FailOn, "fail-on", "", "exit 3 when a finding is at or above this severity: low|medium|high|critical")
	_ = cmd.RegisterFlagCompletionFunc("fail-on", fixedCompletion("low", "medium", "high", "critical"))
	_ = cmd.RegisterFlagCompletionFunc("min-severity", fixedCompletion("info", "low", "medium", "high", "critical"))
	_ = cmd.RegisterFlagCompletionFunc("credential-report", fixedCompletion(audit.ReportAuto, audit.ReportAlways, audit.ReportNever))
	setOutputFormats(cmd, FormatTable, FormatJSON, FormatCSV, FormatMarkdown)
	return cmd
}

func fixedCompletion(values ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

func validateAudit(cmd *cobra.Command, o *AuditOptions) error {
	now := o.Now()
	if o.FailOn != "" {
		s, err := audit.ParseSeverity(o.FailOn)
		if err != nil || s == audit.Info {
			return UsageErrorf("--fail-on %q: want low, medium, high or critical", o.FailOn)
		}
		o.failOn, o.failOK = s, true
	}
	if o.Idle {
		if o.KeyID != "" {
			return UsageErrorf("audit --idle sweeps every key: drop the AccessKey ID %s, or drop --idle", safetext.Line(o.KeyID))
		}
		for _, name := range []string{"since", "until", "trail", "oss-log", "sls-log", "sls", "sls-endpoint", "sls-topic", "strict", "online", "offline", "no-follow", "leak-time", "trusted-cidr", "business-hours", "bh-tz", "min-severity"} {
			if cmd.Flags().Changed(name) {
				return UsageErrorf("--%s applies to the audit of one key, not to --idle", name)
			}
		}
		if o.IdleDays < 1 || o.MaxAgeDays < 1 {
			return UsageErrorf("--idle-days (%d) and --max-age-days (%d) must be at least 1", o.IdleDays, o.MaxAgeDays)
		}
		if o.Parallelism < 1 || o.Parallelism > 256 {
			return UsageErrorf("--parallelism %d: want 1 to 256", o.Parallelism)
		}
		switch o.CredentialReport {
		case audit.ReportAuto, audit.ReportAlways, audit.ReportNever:
		default:
			return UsageErrorf("--credential-report %q: want auto, always or never", o.CredentialReport)
		}
		return nil
	}
	for _, name := range []string{"idle-days", "max-age-days", "parallelism", "credential-report"} {
		if cmd.Flags().Changed(name) {
			return UsageErrorf("--%s applies only to audit --idle", name)
		}
	}
	if o.KeyID == "" {
		return UsageErrorf("audit needs an AccessKey ID (akresp audit <AK-ID>), or --idle to sweep every key")
	}
	id, err := policy.ParseAccessKeyID(o.KeyID)
	if err != nil {
		return NewUsageError(err)
	}
	o.KeyID = id
	if err := validateSLS(cmd, o); err != nil {
		return err
	}
	if err := o.validateModes(); err != nil {
		return err
	}
	// LookupEvents reaches 90 days back; SLS keeps what the logstore's TTL
	// keeps.
	if err := o.validateWindow(now, o.SLS == ""); err != nil {
		return err
	}
	if o.BusinessHours != "" {
		if o.hours, err = audit.ParseBusinessHours(o.BusinessHours); err != nil {
			return NewUsageError(fmt.Errorf("--business-hours: %w", err))
		}
	}
	if o.bhTZ, err = time.LoadLocation(o.BHTZ); err != nil {
		if o.BHTZ != audit.DefaultTimeZone {
			return UsageErrorf("--bh-tz %q is not a time zone name such as Asia/Shanghai or UTC", o.BHTZ)
		}
		o.bhTZ = nil // the engine falls back to a fixed UTC+8
	}
	if o.minSeverity, err = audit.ParseSeverity(o.MinSeverity); err != nil {
		return NewUsageError(fmt.Errorf("--min-severity: %w", err))
	}
	return nil
}

var slsTopicRe = regexp.MustCompile(`^[A-Za-z0-9_]{1,128}$`)

// validateSLS checks --sls, --sls-endpoint and --sls-topic. The push-down
// is its own source of events: it does not combine with files, and it
// needs the cloud (so not --offline).
func validateSLS(cmd *cobra.Command, o *AuditOptions) error {
	if o.SLS == "" {
		for _, name := range []string{"sls-endpoint", "sls-topic"} {
			if cmd.Flags().Changed(name) {
				return UsageErrorf("--%s applies only with --sls PROJECT/LOGSTORE", name)
			}
		}
		return nil
	}
	t, err := slsq.ParseTarget(o.SLS)
	if err != nil {
		return NewUsageError(fmt.Errorf("--sls: %w", err))
	}
	o.slsTarget = t
	for _, name := range []string{"trail", "oss-log", "sls-log", "offline", "online"} {
		if cmd.Flags().Changed(name) {
			return UsageErrorf("--sls queries the logstore instead of reading files and always reads the key's facts from the cloud: drop --%s, or audit the files without --sls", name)
		}
	}
	o.slsEndpoint = ""
	if o.SLSEndpoint != "" {
		if o.slsEndpoint, err = slsq.NormalizeEndpoint(o.SLSEndpoint); err != nil {
			return NewUsageError(fmt.Errorf("--sls-endpoint: %w", err))
		}
	}
	if !slsTopicRe.MatchString(o.SLSTopic) {
		return UsageErrorf("--sls-topic %q: want letters, digits and _ such as %s", o.SLSTopic, audit.DefaultSLSTopic)
	}
	return nil
}

// newSLSClient builds the SLS client for --sls from the global settings:
// the endpoint defaults to the region's public SLS endpoint, and requests
// are signed with the credentials of the cloud clients (profile, default
// chain, STS), handed over without leaving internal/cloud's control.
func newSLSClient(ctx context.Context, f *Factory, endpoint string) (*slsq.Client, error) {
	s, err := f.Settings()
	if err != nil {
		return nil, err
	}
	c, err := f.Cloud(ctx)
	if err != nil {
		return nil, err
	}
	if endpoint == "" {
		endpoint = c.Region() + ".log.aliyuncs.com"
	}
	v := f.Version
	if v == "" {
		v = "dev"
	}
	return slsq.New(slsq.Config{
		Endpoint:  endpoint,
		Refresh:   c.CredentialFunc(ctx),
		UserAgent: "akresp/" + v,
		// One SLS analytic query may run 55 s on the server.
		Timeout: max(s.Timeout, slsq.DefaultTimeout),
	})
}

// parseWhen reads --since/--until: "" (unset), a duration back from now
// ("30d", "2w", "12h", "90m") or an RFC 3339 time or date.
func parseWhen(flag, v string, now time.Time) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02", v); err == nil {
		return t.UTC(), nil
	}
	d, err := parseDuration(v)
	if err != nil || d < 0 {
		return time.Time{}, UsageErrorf("--%s %q: want a duration back from now (30d, 2w, 12h) or an RFC 3339 time such as 2026-11-20T03:00:00Z", flag, v)
	}
	return now.Add(-d).UTC(), nil
}

// parseDuration reads a duration in the forms every akresp flag takes:
// whole days or weeks ("30d", "2w") or a Go duration ("12h", "90m",
// "1h30m", "-1s"; the flags' own checks refuse what they cannot use).
func parseDuration(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if strings.HasSuffix(v, "d") || strings.HasSuffix(v, "w") {
		n, err := strconv.Atoi(v[:len(v)-1])
		if err != nil || n < -100000 || n > 100000 {
			return 0, fmt.Errorf("want whole days or weeks (30d, 2w) or a duration such as 12h or 90m")
		}
		d := time.Duration(n) * 24 * time.Hour
		if strings.HasSuffix(v, "w") {
			d *= 7
		}
		return d, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("want whole days or weeks (30d, 2w) or a duration such as 12h or 90m")
	}
	return d, nil
}

// durationFlag is a time.Duration flag that also takes days and weeks, so
// --lookback 30d works like --since 30d.
type durationFlag struct{ p *time.Duration }

// newDurationFlag sets *p to def and returns the flag value writing it.
func newDurationFlag(p *time.Duration, def time.Duration) *durationFlag {
	*p = def
	return &durationFlag{p}
}

func (f *durationFlag) Set(v string) error {
	d, err := parseDuration(v)
	if err != nil {
		return err
	}
	*f.p = d
	return nil
}
func (f *durationFlag) String() string { return f.p.String() }
func (f *durationFlag) Type() string   { return "duration" }

func runAudit(ctx context.Context, o *AuditOptions) error {
	s, err := o.Settings()
	if err != nil {
		return err
	}
	if o.Idle {
		return runSweep(ctx, o, s)
	}
	var rulesMemory func() (after func())
	if o.offlineInputs() {
		restore, rules := offlineMemory() // memlimit.go
		defer restore()
		rulesMemory = rules
	}
	eo := audit.Options{
		KeyID:         o.KeyID,
		Now:           o.Now(),
		LeakTime:      o.leakTime,
		TrustedCIDRs:  o.trusted,
		BusinessHours: o.hours,
		TZ:            o.bhTZ,
		MinSeverity:   o.minSeverity,
	}
	in := audit.InvestigateOptions{
		Engine:   eo,
		Since:    o.since,
		Until:    o.until,
		Online:   !o.offline(),
		Trails:   o.Trails,
		OSSLogs:  o.OSSLogs,
		SLSLogs:  o.SLSLogs,
		Strict:   o.Strict,
		Regions:  o.regions,
		NoFollow: o.NoFollow,

		RulesMemory: rulesMemory,
	}
	in.Incident = loadIncident(o.IO.ErrOut, s.StateDir, o.KeyID)
	var c audit.Cloud
	if in.Online {
		if c, err = o.Backend(ctx); err != nil {
			return err
		}
	}
	var (
		r   *audit.Result
		rep *audit.SLSReport
	)
	stop := o.spinner(s.Output, &in)
	start := time.Now()
	o.logStages(&in, start)
	if o.SLS != "" {
		r, rep, err = o.investigateSLS(ctx, c, in)
	} else {
		r, err = audit.Investigate(ctx, c, in)
	}
	stop()
	if err != nil {
		return err
	}
	if lr, ok := c.(leaks.Reader); ok && in.Online {
		recs, d := leakRecords(ctx, lr, o.KeyID) // report.go: the same line the report shows
		for _, l := range recs {
			r.Key.LeakRecords = append(r.Key.LeakRecords, l.Line)
		}
		if d != nil {
			r.Diagnostics = append(r.Diagnostics, audit.Diagnostic{Level: d.Level, Source: d.Source, Summary: d.Summary, Detail: d.Detail})
		}
	}
	if in.Online && !s.DryRun {
		journalEvidence(o.IO.ErrOut, s.StateDir, o.KeyID, r, in.Incident, o.Now)
	}
	po := printOptions(&Factory{IO: o.IO, Now: o.Now}, s)
	switch s.Output {
	case FormatJSON:
		p, _ := NewPrinter(FormatJSON, po)
		if rep != nil {
			err = p.Print(o.IO.Out, slsAuditDoc{Result: r, SLS: rep})
		} else {
			err = p.Print(o.IO.Out, r)
		}
	case FormatCSV:
		err = renderCSV(o.IO.Out, auditFindingsTable{r})
	case FormatMarkdown:
		if err = renderAuditMarkdown(o.IO.Out, r, po); err == nil && rep != nil {
			err = renderSLSMarkdown(o.IO.Out, rep)
		}
	default:
		if err = renderAuditTable(o.IO.Out, r, po); err == nil && rep != nil {
			err = renderSLSTable(o.IO.Out, rep)
		}
	}
	if err != nil {
		return err
	}
	if o.Logger != nil {
		o.Logger.Debug("audit output written", "key", o.KeyID, "elapsed", time.Since(start).Round(time.Millisecond))
	}
	if o.failOK && r.HasAtLeast(o.failOn) {
		n := 0
		for _, f := range r.Findings {
			if f.Severity >= o.failOn {
				n++
			}
		}
		return &FindingsError{Count: n, Threshold: o.failOn.String()}
	}
	return nil
}

// incidentFacts are the incident record's lines of the audit output.
func incidentFacts(inc *audit.IncidentSummary) []kv {
	contained := "no (per the journal)"
	if !inc.ContainedAt.IsZero() {
		var by []string
		if inc.FenceACL {
			by = append(by, "network ACL")
		}
		if inc.DenyAttached {
			by = append(by, "deny-high-risk policy")
		}
		contained = "since " + inc.ContainedAt.UTC().Format(time.RFC3339)
		if len(by) > 0 {
			contained += " (" + strings.Join(by, " + ") + ")"
		}
	}
	lines := []kv{{"Contained", contained}}
	if !inc.Onset.IsZero() {
		lines = append(lines, kv{"Journaled onset", inc.Onset})
	}
	if len(inc.Flagged) > 0 {
		lines = append(lines, kv{"Flagged sources", strings.Join(inc.Flagged, ", ")})
	}
	if len(inc.Trusted) > 0 {
		lines = append(lines, kv{"Trusted (fence, audits)", strings.Join(inc.Trusted, ", ")})
	}
	if !inc.DisabledAt.IsZero() {
		lines = append(lines, kv{"Disabled by akresp", inc.DisabledAt})
	}
	if !inc.DeletedAt.IsZero() {
		lines = append(lines, kv{"Deleted by akresp", inc.DeletedAt})
	}
	if inc.Rotation != "" {
		lines = append(lines, kv{"Rotation", strings.TrimSpace(inc.Rotation + " " + paren(inc.RotationNewKey))})
	}
	var refused int
	for _, x := range inc.AttackerTrying {
		refused += x.Refused
	}
	var resp int
	for _, x := range inc.Responder {
		resp += x.Calls
	}
	lines = append(lines, kv{"Left out of the evidence", fmt.Sprintf("%d own call(s), %d responder call(s) after containment, %d refused attacker call(s)", inc.OwnCalls, resp, refused)})
	for _, w := range inc.Warnings {
		lines = append(lines, kv{"Warning", w})
	}
	return lines
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return "(new key " + s + ")"
}

// loadIncident reads the key's incident record from the state directory.
// An unusable state directory or journal is a warning, never a failure:
// the audit then classifies nothing.
func loadIncident(errOut io.Writer, stateDir, keyID string) *incident.Record {
	if stateDir == "" {
		return nil
	}
	rec, err := incident.Load(stateDir, keyID)
	if err != nil {
		fmt.Fprintf(errOut, "warning: %s: the incident record could not be read (%v); akresp's own and the responder's calls are not told apart from the attacker's\n", keyID, err)
		return nil
	}
	return rec
}

// journalEvidence records the audit's conclusion (onset, flagged sources,
// suggested trusted CIDRs, verdict) in the key's journal for contain,
// rotate and report, when there is an incident to speak of: a suspected
// leak, flagged sources, or an incident record already. A state directory
// that cannot be written is a warning.
func journalEvidence(errOut io.Writer, stateDir, keyID string, r *audit.Result, rec *incident.Record, now func() time.Time) {
	if stateDir == "" {
		return
	}
	ev := r.IncidentEvidence()
	// A source inside the fence's allow-list is the responder's or the
	// application's: journaling it as flagged would make every later
	// command treat the office as the attacker.
	if rec != nil {
		ev.Flagged = slices.DeleteFunc(ev.Flagged, func(a netip.Addr) bool { return rec.IsTrusted(a) && !rec.IsFlagged(a) })
	}
	if r.Verdict.Status != audit.StatusSuspectedLeak && len(ev.Flagged) == 0 && r.Incident == nil {
		return
	}
	if err := incident.AppendEvidence(stateDir, keyID, "audit", ev, now); err != nil {
		fmt.Fprintf(errOut, "warning: %s: the audit's evidence was not journaled (%v); later commands will not know its onset and flagged sources\n", keyID, err)
	}
}

// investigateSLS runs the push-down audit of --sls.
func (o *AuditOptions) investigateSLS(ctx context.Context, c audit.Cloud, in audit.InvestigateOptions) (*audit.Result, *audit.SLSReport, error) {
	q, err := o.SLSBackend(ctx, o.slsEndpoint)
	if err != nil {
		return nil, nil, err
	}
	defer q.Close()
	return audit.InvestigateSLS(ctx, c, q, audit.SLSOptions{Investigate: in, Target: o.slsTarget, Topic: o.SLSTopic})
}

// slsAuditDoc is the JSON document of an SLS audit: the audit result with
// the push-down's provenance (queries, rows scanned, bytes) under "sls".
type slsAuditDoc struct {
	*audit.Result
	SLS *audit.SLSReport `json:"sls"`
}

func slsProvenance(rep *audit.SLSReport) []kv {
	return []kv{
		{"Logstore", rep.Target + " (topic " + rep.Topic + ")"},
		{"Endpoint", cmpOr(rep.Endpoint, "unknown")},
		{"Events", fmt.Sprintf("%d counted by SLS: %d fetched whole, %d as %d per-minute groups", rep.Events, rep.RawEvents, rep.GroupedEvents, rep.GroupRows)},
		{"Requests", fmt.Sprintf("%d GetLogs over %d queries, %d rows scanned by SLS", rep.Calls, len(rep.Queries), rep.ProcessedRows)},
		{"Transferred", fmt.Sprintf("%d bytes in %s", rep.BytesReceived, rep.Elapsed.Round(time.Millisecond))},
	}
}

func renderSLSTable(w io.Writer, rep *audit.SLSReport) error {
	var b strings.Builder
	b.WriteString("\nSLS PUSH-DOWN\n")
	lines := slsProvenance(rep)
	width := 0
	for _, l := range lines {
		width = max(width, len(l.k)+1)
	}
	for _, l := range lines {
		fmt.Fprintf(&b, "  %-*s  %v\n", width, l.k+":", l.v)
	}
	for _, q := range rep.Queries {
		fmt.Fprintf(&b, "  %-5s %-34s %6d rows %4d calls %3d splits %9d scanned\n", q.Name, q.Purpose, q.Rows, q.Calls, q.Splits, q.ProcessedRows)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func renderSLSMarkdown(w io.Writer, rep *audit.SLSReport) error {
	var b strings.Builder
	b.WriteString("\n## SLS push-down\n\n| fact | value |\n| --- | --- |\n")
	for _, l := range slsProvenance(rep) {
		fmt.Fprintf(&b, "| %s | %s |\n", mdEscape(l.k), mdEscape(fmt.Sprint(l.v)))
	}
	b.WriteString("\n| query | purpose | rows | calls | splits | rows scanned |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, q := range rep.Queries {
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %d |\n", q.Name, mdEscape(q.Purpose), q.Rows, q.Calls, q.Splits, q.ProcessedRows)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// logStages logs each stage of the audit at debug level with the time
// since start (--log-level debug: where a long audit's time goes), after
// whatever in.Progress already does.
func (o *AuditOptions) logStages(in *audit.InvestigateOptions, start time.Time) {
	if o.Logger == nil || !o.Logger.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	prev := in.Progress
	in.Progress = func(msg string) {
		if prev != nil {
			prev(msg)
		}
		o.Logger.Debug("audit stage", "key", o.KeyID, "stage", msg, "elapsed", time.Since(start).Round(time.Millisecond))
	}
}

// spinner shows the audit's stages on stderr when it is a terminal and
// the output is not JSON; it returns the function that clears it.
func (o *AuditOptions) spinner(output string, in *audit.InvestigateOptions) func() {
	if !o.IO.IsStderrTTY() || output == FormatJSON {
		return func() {}
	}
	bar := progressbar.NewOptions(-1,
		progressbar.OptionSetWriter(safetext.Raw(o.IO.ErrOut)), // its own \r and erase codes
		progressbar.OptionSpinnerType(14),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetDescription("auditing "+safetext.Line(o.KeyID)),
		progressbar.OptionThrottle(100*time.Millisecond),
	)
	var mu sync.Mutex
	in.Progress = func(msg string) {
		mu.Lock()
		defer mu.Unlock()
		bar.Describe(msg)
		_ = bar.Add(1)
	}
	return func() {
		mu.Lock()
		defer mu.Unlock()
		_ = bar.Finish()
	}
}

func runSweep(ctx context.Context, o *AuditOptions, s *Settings) error {
	c, err := o.SweepBackend(ctx)
	if err != nil {
		return err
	}
	so := audit.SweepOptions{
		Now:                 o.Now(),
		IdleDays:            o.IdleDays,
		MaxAgeDays:          o.MaxAgeDays,
		Parallelism:         o.Parallelism,
		UseCredentialReport: o.CredentialReport,
		StateDir:            s.StateDir,
	}
	var bar *progressbar.ProgressBar
	if o.IO.IsStderrTTY() && s.Output != FormatJSON {
		var mu sync.Mutex
		so.Progress = func(done, total int) {
			mu.Lock()
			defer mu.Unlock()
			if bar == nil {
				bar = progressbar.NewOptions(total,
					progressbar.OptionSetWriter(safetext.Raw(o.IO.ErrOut)),
					progressbar.OptionSetDescription("users"),
					progressbar.OptionShowCount(),
					progressbar.OptionClearOnFinish(),
					progressbar.OptionThrottle(100*time.Millisecond),
				)
			}
			_ = bar.Set(done)
		}
	}
	r, err := audit.Sweep(ctx, c, so)
	if bar != nil {
		_ = bar.Finish()
	}
	if err != nil {
		return err
	}
	po := printOptions(&Factory{IO: o.IO, Now: o.Now}, s)
	switch s.Output {
	case FormatJSON:
		p, _ := NewPrinter(FormatJSON, po)
		err = p.Print(o.IO.Out, r)
	case FormatCSV:
		err = renderCSV(o.IO.Out, r)
	case FormatMarkdown:
		err = renderSweepMarkdown(o.IO.Out, r)
	default:
		err = renderSweepTable(o.IO.Out, r, po)
	}
	if err != nil {
		return err
	}
	if o.failOK && r.HasAtLeast(o.failOn) {
		return &FindingsError{Count: r.CountAtLeast(o.failOn), Threshold: o.failOn.String()}
	}
	return nil
}

// --- rendering: the audit of one key -----------------------------------------

// auditFindingsTable is the CSV form of an audit: one row per finding.
type auditFindingsTable struct{ r *audit.Result }

func (auditFindingsTable) Columns() []string {
	return []string{"id", "severity", "title", "count", "first", "last", "ips", "evidence_event_ids", "why"}
}

func (t auditFindingsTable) Rows() [][]any {
	var rows [][]any
	for _, f := range t.r.Findings {
		var ids []string
		for _, e := range f.Evidence {
			ids = append(ids, e.EventID)
		}
		rows = append(rows, []any{f.ID, f.Severity, f.Title, f.Count, f.First, f.Last, strings.Join(f.IPs, " "), strings.Join(ids, " "), f.Why})
	}
	return rows
}

var statusLabel = map[string]string{
	audit.StatusIdle:          "IDLE",
	audit.StatusInUse:         "IN USE",
	audit.StatusSuspectedLeak: "SUSPECTED LEAK",
}

// kv is one "label: value" line of a section.
type kv struct {
	k string
	v any
}

func keyFacts(r *audit.Result) []kv {
	k := r.Key
	owner := k.Owner
	if owner == "" {
		owner = "unknown"
	}
	if k.OwnerType != "" && k.OwnerType != "unknown" {
		owner += " (" + k.OwnerType + ")"
	}
	if k.AccountID != "" {
		owner += ", account " + k.AccountID
	}
	lines := []kv{{"AccessKey", k.AccessKeyID}, {"Owner", owner}}
	if k.Status != "" {
		lines = append(lines, kv{"Status", k.Status})
	}
	if !k.Created.IsZero() {
		lines = append(lines, kv{"Created", k.Created}, kv{"Age", fmt.Sprintf("%d days", k.AgeDays)})
	}
	if !k.LastUsed.IsZero() {
		lines = append(lines, kv{"Last used", k.LastUsed})
		if k.LastUsedService != "" {
			lines = append(lines, kv{"Last service", k.LastUsedService})
		}
	} else {
		lines = append(lines, kv{"Last used", "no record"})
	}
	if len(k.UsedServices) > 0 {
		lines = append(lines, kv{"Services used", strings.Join(k.UsedServices, ", ")})
	}
	if len(k.LastUsedIPs) > 0 {
		lines = append(lines, kv{"Source IPs used", strings.Join(k.LastUsedIPs, ", ")})
	}
	for _, l := range k.LeakRecords {
		lines = append(lines, kv{"Leak record", l})
	}
	return lines
}

// maxReadFrom is how many inputs "Read from" names: a 90-day OSS delivery
// is tens of thousands of files. -o json lists every one.
const maxReadFrom = 5

func readFrom(sources []string) string {
	if len(sources) <= maxReadFrom {
		return strings.Join(sources, ", ")
	}
	return fmt.Sprintf("%s and %d more (-o json lists every input)", strings.Join(sources[:maxReadFrom], ", "), len(sources)-maxReadFrom)
}

func windowFacts(r *audit.Result) []kv {
	w := r.Window
	lines := []kv{{"From", w.Since}, {"To", w.Until},
		{"Events", fmt.Sprintf("%d analysed, %d of akresp's own left out, %d filtered (other keys or outside the window)", w.Events, w.Excluded, w.Filtered)}}
	if len(w.Sources) > 0 {
		lines = append(lines, kv{"Read from", readFrom(w.Sources)})
	}
	if w.Regions != nil {
		// Which regions an online audit read, and which failed: events
		// in a failed region are missing from everything below.
		lines = append(lines, kv{"Regions", w.Regions.Summary()})
	}
	if !w.LeakTime.IsZero() {
		lines = append(lines, kv{"Leak time", w.LeakTime})
	}
	base := w.BaselineBasis
	if !w.BaselineEnd.IsZero() {
		lines = append(lines, kv{"Baseline", fmt.Sprintf("%d events before the split (%s)", w.BaselineEvents, base)}, kv{"Baseline end", w.BaselineEnd})
	} else {
		lines = append(lines, kv{"Baseline", base})
	}
	return lines
}

func renderAuditTable(w io.Writer, r *audit.Result, po PrintOptions) error {
	tty := po.IO != nil && po.IO.IsStdoutTTY()
	now := time.Now()
	if po.Now != nil {
		now = po.Now()
	}
	// Text written to b is escaped as it goes in; tables and the palette's
	// colour codes go in raw (b.Raw), already escaped.
	var b styledText
	pal := po.IO.Palette()
	cell := func(v any) string { return formatCell(v, tty, po.TZ, now) }
	section := func(title string) { b.WriteString("\n"); b.Raw(pal.Bold(safetext.Escape(title)) + "\n") }
	pairs := func(lines []kv) {
		width := 0
		for _, l := range lines {
			width = max(width, len(l.k)+1)
		}
		for _, l := range lines {
			fmt.Fprintf(&b, "  %-*s  %s\n", width, l.k+":", oneLine(cell(l.v)))
		}
	}
	// Prose lines (reasons, evidence, caveats) wrap like the tables: to
	// the terminal, or to 100 columns when piped; nothing is cut. Tables
	// are fitted by Table itself and go out as they are: wrapping their
	// lines again would split a row (a piped table with two time columns
	// can be wider than 100) across lines that no longer line up.
	width := pipedWidth
	if tty {
		width = po.IO.TerminalWidth()
	}
	var out strings.Builder
	flush := func() {
		out.WriteString(wrapLines(b.String(), width))
		b = styledText{}
	}
	table := func(cols []string, rows [][]any) error {
		t := NewTable(po, cols...)
		t.SetIndent("  ")
		for _, row := range rows {
			t.AddRow(row...)
		}
		var tb strings.Builder
		if err := t.Render(&tb); err != nil {
			return err
		}
		flush()
		out.WriteString(tb.String())
		return nil
	}

	v := r.Verdict
	b.Raw(pal.Verdict(v.Status, "VERDICT: "+statusLabel[v.Status]) + " (" + pal.Severity(v.Severity.String()) + ")\n")
	b.WriteString("  " + localTimes(v.Summary, tty, po.TZ, now) + "\n")
	for _, reason := range v.Reasons {
		b.WriteString("  - " + reason + "\n")
	}
	if m := moreFindings(v); m != "" {
		b.WriteString("  - " + m + "\n")
	}
	if len(v.SuggestedTrustedCIDRs) > 0 {
		b.WriteString("  Suggested trusted CIDRs: " + strings.Join(v.SuggestedTrustedCIDRs, ", ") + "\n")
	}
	if len(v.NextSteps) > 0 {
		b.WriteString("  Next steps:\n")
		for _, s := range v.NextSteps {
			fmt.Fprintf(&b, "    %s\n        %s\n", s.Command, s.Why)
		}
	}

	section("KEY")
	pairs(keyFacts(r))
	section("WINDOW")
	pairs(windowFacts(r))
	if len(r.Routine) > 0 {
		// The key's routine sensitive operations (a nightly backup job):
		// context for the findings, not evidence.
		section(fmt.Sprintf("ROUTINE (%d; context, not evidence)", len(r.Routine)))
		shown := tableRoutine(r.Routine)
		for _, a := range shown {
			b.WriteString("  - " + oneLine(a.String()) + "\n")
		}
		if more := len(r.Routine) - len(shown); more > 0 {
			fmt.Fprintf(&b, "  ... %d more in -o json (shown: the %d with the most events)\n", more, len(shown))
		}
	}

	section(fmt.Sprintf("FINDINGS (%d)", len(r.Findings)))
	if len(r.Findings) == 0 {
		b.WriteString("  none\n")
	} else {
		var rows [][]any
		for _, f := range r.Findings {
			rows = append(rows, []any{f.Severity, f.ID, f.Title, f.Count, f.First, f.Last, someIPs(f.IPs)})
		}
		if err := table([]string{"severity", "id", "title", "count", "first", "last", "ips"}, rows); err != nil {
			return err
		}
		b.WriteString("\n  Evidence (earliest first, up to 3 per finding):\n")
		for _, f := range r.Findings {
			b.Raw("  " + safetext.Escape(f.ID) + " " + pal.Severity(f.Severity.String()) + ": ")
			why := f.Why
			if f.Escalated != "" {
				why += " Severity raised one level: " + f.Escalated + "."
			}
			b.WriteString(clipText(oneLine(why), maxWhyText) + "\n")
			for i, e := range f.Evidence {
				if i == 3 {
					fmt.Fprintf(&b, "      ... %d more in -o json\n", len(f.Evidence)-3)
					break
				}
				line := fmt.Sprintf("%s  %s:%s from %s", cell(e.Time), e.Service, e.Name, e.SourceIP)
				if e.ErrorCode != "" {
					line += " [" + e.ErrorCode + "]"
				}
				if e.Detail != "" {
					line += "  " + e.Detail
				}
				line += "  event " + e.EventID
				b.WriteString("      " + oneLine(line) + "\n")
			}
		}
	}

	if len(r.Created) > 0 {
		section("CREATED BY THE KEY")
		var rows [][]any
		for _, c := range head(r.Created, maxTableRows) {
			rows = append(rows, []any{c.Kind, c.Name, createdFor(c), c.Action, c.Event.Time, c.Event.SourceIP})
		}
		if err := table([]string{"kind", "name", "user", "action", "time", "source ip"}, rows); err != nil {
			return err
		}
		if len(r.Created) > maxTableRows {
			fmt.Fprintf(&b, "  ... %d more in -o json\n", len(r.Created)-maxTableRows)
		}
	}

	if len(r.Followed) > 0 || r.FollowedOmitted > 0 {
		// What the attacker's identities did next (audit's follow.go); b
		// escapes the event-derived names and chains as they go in.
		section(fmt.Sprintf("FOLLOWED IDENTITIES (%d)", len(r.Followed)))
		var rows [][]any
		byKeys := followedKeyEvents(r.Followed)
		for _, f := range r.Followed {
			rows = append(rows, []any{f.Kind, f.Name, followedEvents(f, byKeys), f.FirstSeen, followedIPs(f), followedSeverity(f)})
		}
		if err := table([]string{"kind", "name", "events", "first", "ips", "severity"}, rows); err != nil {
			return err
		}
		b.WriteString("\n")
		for _, f := range r.Followed {
			b.WriteString("  " + oneLine(f.Kind+" "+f.Name+": "+audit.ViaText(f.Via)) + "\n")
			for _, x := range f.Findings {
				if x.Severity < audit.Medium {
					continue
				}
				b.Raw("      " + pal.Severity(x.Severity.String()) + " ")
				b.WriteString(oneLine(x.ID+" "+x.Title) + "\n")
			}
		}
		if r.FollowedOmitted > 0 {
			fmt.Fprintf(&b, "  ... %d more identities not followed (at most %d are)\n", r.FollowedOmitted, audit.MaxFollowed)
		}
	}

	section(fmt.Sprintf("SOURCE IPS (%d)", len(r.Sources)))
	if len(r.Sources) == 0 {
		b.WriteString("  none\n")
	} else {
		var rows [][]any
		shown, flagged := tableSources(r.Sources)
		for _, s := range shown {
			flag := strings.Join(s.Reasons, ",")
			if s.Trusted {
				flag = strings.TrimPrefix(flag+",trusted", ",")
			}
			rows = append(rows, []any{s.IP, s.Count, s.Errors, s.FirstSeen, s.LastSeen, flag, strings.Join(s.Services, " ")})
		}
		if err := table([]string{"ip", "events", "errors", "first", "last", "flags", "services"}, rows); err != nil {
			return err
		}
		if more := len(r.Sources) - len(shown); more > 0 {
			fmt.Fprintf(&b, "  ... %d more in -o json (shown: flagged for the most reasons first, then the busiest; %d flagged in all)\n", more, flagged)
		}
	}

	if inc := r.Incident; inc != nil {
		section("INCIDENT (akresp's journal of this key)")
		pairs(incidentFacts(inc))
		if len(inc.Responder) > 0 {
			section(fmt.Sprintf("RESPONDER ACTIVITY AFTER CONTAINMENT (%s; not evidence)", countSources(len(inc.Responder))))
			var rows [][]any
			for _, x := range inc.Responder {
				rows = append(rows, []any{x.IP, x.Calls, x.Refused, x.First, x.Last})
			}
			if err := table([]string{"ip", "calls", "refused", "first", "last"}, rows); err != nil {
				return err
			}
		}
		if len(inc.AttackerTrying) > 0 {
			section(fmt.Sprintf("ATTACKER STILL TRYING (%s refused by the fence; not evidence)", countSources(len(inc.AttackerTrying))))
			var rows [][]any
			for _, x := range inc.AttackerTrying {
				rows = append(rows, []any{x.IP, x.Refused, x.First, x.Last, x.Flagged})
			}
			if err := table([]string{"ip", "refused calls", "first", "last", "flagged"}, rows); err != nil {
				return err
			}
		}
	}

	section(fmt.Sprintf("SERVICES (%d)", len(r.Services)))
	if len(r.Services) == 0 {
		b.WriteString("  none\n")
	} else {
		var rows [][]any
		for _, s := range r.Services {
			var acts []string
			for i, a := range s.Actions {
				if i == 5 {
					break
				}
				acts = append(acts, fmt.Sprintf("%s×%d", a.Name, a.Count))
			}
			rows = append(rows, []any{s.Service, s.Count, s.Writes, s.Errors, strings.Join(acts, " ")})
		}
		if err := table([]string{"service", "events", "writes", "errors", "top actions"}, rows); err != nil {
			return err
		}
	}

	if len(r.Resources) > 0 {
		section(fmt.Sprintf("RESOURCES (%d)", len(r.Resources)))
		var rows [][]any
		for _, x := range head(r.Resources, 20) {
			rows = append(rows, []any{x.Type, x.Name, x.Count, x.LastSeen})
		}
		if err := table([]string{"type", "name", "events", "last"}, rows); err != nil {
			return err
		}
		if len(r.Resources) > 20 {
			fmt.Fprintf(&b, "  ... %d more in -o json\n", len(r.Resources)-20)
		}
	}

	if len(r.Caveats) > 0 {
		section("CAVEATS")
		for _, c := range r.Caveats {
			b.WriteString("  - " + c + "\n")
		}
	}
	if len(r.Diagnostics) > 0 {
		section(fmt.Sprintf("DIAGNOSTICS (%d)", len(r.Diagnostics)))
		for _, d := range r.Diagnostics {
			line := fmt.Sprintf("  %s: %s: %s", d.Level, d.Source, d.Summary)
			if d.Detail != "" {
				line += " (" + oneLine(d.Detail) + ")"
			}
			b.WriteString(line + "\n")
		}
	}
	flush()
	_, err := io.WriteString(safetext.Raw(w), out.String())
	return err
}

// followedIPs lists a followed identity's source IPs, busiest first.
func followedIPs(f audit.FollowedIdentity) string {
	ips := make([]string, 0, len(f.Sources))
	for _, s := range f.Sources {
		ips = append(ips, s.IP)
	}
	return strings.Join(ips, " ")
}

// followedKeyEvents sums, per user name, the events of the followed
// AccessKeys that user owns.
func followedKeyEvents(fs []audit.FollowedIdentity) map[string]int {
	n := map[string]int{}
	for _, f := range fs {
		if f.Kind == audit.FollowAccessKey && f.UserName != "" {
			n[f.UserName] += f.Events
		}
	}
	return n
}

// followedEvents is a followed identity's events column. A user's row
// counts what it did without one of its followed keys (console sign-ins);
// what those keys did is on their rows, and said here too, so that "0"
// does not read as "did nothing".
func followedEvents(f audit.FollowedIdentity, byKeys map[string]int) string {
	s := strconv.Itoa(f.Events)
	if n := byKeys[f.Name]; f.Kind == audit.FollowUser && n > 0 {
		s += fmt.Sprintf(" (keys: %d)", n)
	}
	return s
}

// followedSeverity is the highest severity of a followed identity's
// findings, "-" without any.
func followedSeverity(f audit.FollowedIdentity) string {
	if len(f.Findings) == 0 {
		return "-"
	}
	return f.MaxSeverity().String()
}

// moreFindings is the verdict's line for the findings its reasons leave
// out, "" when there are none.
func moreFindings(v audit.Verdict) string {
	if v.MoreFindings <= 0 {
		return ""
	}
	return fmt.Sprintf("and %d more findings (listed under FINDINGS)", v.MoreFindings)
}

// createdFor is the principal a created identity or grant concerns, with
// its type when it is not a user (a policy attached to a role or group).
func createdFor(c audit.CreatedIdentity) string {
	if c.PrincipalType != "" && c.PrincipalType != "User" && c.User != "" {
		return strings.ToLower(c.PrincipalType) + " " + c.User
	}
	return c.User
}

// codeSpan quotes s as markdown inline code, with a fence longer than any
// backtick run inside it; control characters are escaped.
func codeSpan(s string) string {
	s = safetext.Line(s)
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

func renderAuditMarkdown(w io.Writer, r *audit.Result, po PrintOptions) error {
	var b strings.Builder
	cell := func(v any) string { return formatCell(v, false, time.UTC, time.Time{}) }
	mdTable := func(cols []string, rows [][]any) {
		b.WriteString("|")
		for _, c := range cols {
			b.WriteString(" " + mdEscape(c) + " |")
		}
		b.WriteString("\n|" + strings.Repeat(" --- |", len(cols)) + "\n")
		for _, row := range rows {
			b.WriteString("|")
			for i := range cols {
				v := ""
				if i < len(row) {
					v = cell(row[i])
				}
				b.WriteString(" " + mdEscape(v) + " |")
			}
			b.WriteString("\n")
		}
	}
	v := r.Verdict
	fmt.Fprintf(&b, "# AccessKey audit: %s\n\n", mdEscape(r.Key.AccessKeyID))
	fmt.Fprintf(&b, "## Verdict: %s (%s)\n\n%s\n\n", statusLabel[v.Status], v.Severity, mdEscape(v.Summary))
	for _, reason := range v.Reasons {
		b.WriteString("- " + mdEscape(reason) + "\n")
	}
	if m := moreFindings(v); m != "" {
		b.WriteString("- " + mdEscape(m) + "\n")
	}
	if len(v.SuggestedTrustedCIDRs) > 0 {
		b.WriteString("\nSuggested trusted CIDRs: `" + strings.Join(v.SuggestedTrustedCIDRs, ", ") + "`\n")
	}
	if len(v.NextSteps) > 0 {
		b.WriteString("\n### Next steps\n\n")
		for _, s := range v.NextSteps {
			fmt.Fprintf(&b, "- %s: %s\n", codeSpan(s.Command), mdEscape(s.Why))
		}
	}
	b.WriteString("\n## Key\n\n")
	var rows [][]any
	for _, l := range keyFacts(r) {
		rows = append(rows, []any{l.k, l.v})
	}
	mdTable([]string{"fact", "value"}, rows)
	b.WriteString("\n## Window\n\n")
	rows = nil
	for _, l := range windowFacts(r) {
		rows = append(rows, []any{l.k, l.v})
	}
	mdTable([]string{"fact", "value"}, rows)
	if len(r.Routine) > 0 {
		fmt.Fprintf(&b, "\n## Routine (%d; context, not evidence)\n\n", len(r.Routine))
		for _, a := range r.Routine {
			b.WriteString("- " + mdEscape(a.String()) + "\n")
		}
	}
	fmt.Fprintf(&b, "\n## Findings (%d)\n\n", len(r.Findings))
	if len(r.Findings) == 0 {
		b.WriteString("None.\n")
	} else {
		rows = nil
		for _, f := range r.Findings {
			rows = append(rows, []any{f.Severity, f.ID, f.Title, f.Count, f.First, f.Last, someIPs(f.IPs)})
		}
		mdTable([]string{"severity", "id", "title", "count", "first", "last", "ips"}, rows)
		for _, f := range r.Findings {
			fmt.Fprintf(&b, "\n### %s %s\n\n%s\n\n", f.ID, mdEscape(f.Title), mdEscape(clipText(f.Why, maxWhyText)))
			if f.Escalated != "" {
				fmt.Fprintf(&b, "Severity raised one level: %s.\n\n", mdEscape(f.Escalated))
			}
			if len(f.Attack) > 0 {
				fmt.Fprintf(&b, "ATT&CK: %s\n\n", mdEscape(strings.Join(f.Attack, ", ")))
			}
			rows = nil
			for _, e := range head(f.Evidence, maxTableRows) {
				rows = append(rows, []any{e.Time, e.Service + ":" + e.Name, e.SourceIP, e.ErrorCode, e.Detail, e.EventID})
			}
			mdTable([]string{"time", "call", "source ip", "error", "detail", "event id"}, rows)
			switch {
			case len(f.Evidence) > maxTableRows:
				fmt.Fprintf(&b, "\n%d events, %d shown (-o json lists %d).\n", f.Count, maxTableRows, len(f.Evidence))
			case len(f.Evidence) < f.Count:
				fmt.Fprintf(&b, "\n%d events, %d shown.\n", f.Count, len(f.Evidence))
			}
		}
	}
	if inc := r.Incident; inc != nil {
		b.WriteString("\n## Incident (akresp's journal of this key)\n\n")
		rows = nil
		for _, l := range incidentFacts(inc) {
			rows = append(rows, []any{l.k, l.v})
		}
		mdTable([]string{"fact", "value"}, rows)
		if len(inc.Responder) > 0 {
			b.WriteString("\n### Responder activity after containment (not evidence)\n\n")
			rows = nil
			for _, x := range inc.Responder {
				rows = append(rows, []any{x.IP, x.Calls, x.Refused, x.First, x.Last})
			}
			mdTable([]string{"ip", "calls", "refused", "first", "last"}, rows)
		}
		if len(inc.AttackerTrying) > 0 {
			b.WriteString("\n### Attacker still trying: calls refused by the fence (not evidence)\n\n")
			rows = nil
			for _, x := range inc.AttackerTrying {
				rows = append(rows, []any{x.IP, x.Refused, x.First, x.Last, x.Flagged})
			}
			mdTable([]string{"ip", "refused calls", "first", "last", "flagged"}, rows)
		}
	}
	if len(r.Created) > 0 {
		b.WriteString("\n## Created by the key\n\n")
		rows = nil
		for _, c := range head(r.Created, maxTableRows) {
			rows = append(rows, []any{c.Kind, c.Name, createdFor(c), c.Action, c.Event.Time, c.Event.SourceIP})
		}
		mdTable([]string{"kind", "name", "user", "action", "time", "source ip"}, rows)
		if len(r.Created) > maxTableRows {
			fmt.Fprintf(&b, "\n%d more in -o json.\n", len(r.Created)-maxTableRows)
		}
	}
	if len(r.Followed) > 0 || r.FollowedOmitted > 0 {
		fmt.Fprintf(&b, "\n## Followed identities (%d)\n\n", len(r.Followed))
		rows = nil
		byKeys := followedKeyEvents(r.Followed)
		for _, f := range r.Followed {
			rows = append(rows, []any{f.Kind, f.Name, audit.ViaText(f.Via), followedEvents(f, byKeys), f.FirstSeen, f.LastSeen, followedIPs(f), followedSeverity(f)})
		}
		mdTable([]string{"kind", "name", "via", "events", "first", "last", "ips", "max severity"}, rows)
		for _, f := range r.Followed {
			if len(f.Findings) == 0 {
				continue
			}
			fmt.Fprintf(&b, "\n### Followed %s %s\n\n", mdEscape(f.Kind), mdEscape(f.Name))
			rows = nil
			for _, x := range f.Findings {
				rows = append(rows, []any{x.Severity, x.ID, x.Title, x.Count, x.First, x.Last, strings.Join(x.IPs, " ")})
			}
			mdTable([]string{"severity", "id", "title", "count", "first", "last", "ips"}, rows)
		}
		if r.FollowedOmitted > 0 {
			fmt.Fprintf(&b, "\n%d more identities were not followed (at most %d are).\n", r.FollowedOmitted, audit.MaxFollowed)
		}
	}
	fmt.Fprintf(&b, "\n## Source IPs (%d)\n\n", len(r.Sources))
	rows = nil
	shownSources, flaggedSources := tableSources(r.Sources)
	for _, s := range shownSources {
		rows = append(rows, []any{s.IP, s.Count, s.Errors, s.FirstSeen, s.LastSeen, s.Trusted, s.New, s.Flagged, strings.Join(s.Services, " ")})
	}
	mdTable([]string{"ip", "events", "errors", "first", "last", "trusted", "new", "flagged", "services"}, rows)
	if more := len(r.Sources) - len(shownSources); more > 0 {
		fmt.Fprintf(&b, "\n%d more in -o json (shown: flagged for the most reasons first, then the busiest; %d flagged in all).\n", more, flaggedSources)
	}
	fmt.Fprintf(&b, "\n## Services (%d)\n\n", len(r.Services))
	rows = nil
	for _, s := range r.Services {
		var acts []string
		for i, a := range s.Actions {
			if i == 5 {
				break
			}
			acts = append(acts, fmt.Sprintf("%s×%d", a.Name, a.Count))
		}
		rows = append(rows, []any{s.Service, s.Count, s.Writes, s.Errors, strings.Join(acts, " ")})
	}
	mdTable([]string{"service", "events", "writes", "errors", "top actions"}, rows)
	if len(r.Resources) > 0 {
		// The resources the key touched, as the table shows them.
		fmt.Fprintf(&b, "\n## Resources (%d)\n\n", len(r.Resources))
		rows = nil
		for _, x := range head(r.Resources, 20) {
			rows = append(rows, []any{x.Type, x.Name, x.Count, x.LastSeen})
		}
		mdTable([]string{"type", "name", "events", "last"}, rows)
		if len(r.Resources) > 20 {
			fmt.Fprintf(&b, "\n%d more in -o json.\n", len(r.Resources)-20)
		}
	}
	if len(r.Caveats) > 0 {
		b.WriteString("\n## Caveats\n\n")
		for _, c := range r.Caveats {
			b.WriteString("- " + mdEscape(c) + "\n")
		}
	}
	if len(r.Diagnostics) > 0 {
		b.WriteString("\n## Diagnostics\n\n")
		rows = nil
		for _, d := range r.Diagnostics {
			rows = append(rows, []any{d.Level, d.Source, d.Summary, d.Detail})
		}
		mdTable([]string{"level", "source", "summary", "detail"}, rows)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// --- rendering: the idle sweep ------------------------------------------------

func sweepSummaryLine(r *audit.SweepResult) string {
	s := r.Summary
	line := fmt.Sprintf("%d users, %d keys (%d active): %d never used, %d idle, %d unrotated, %d multiple active, %d disabled lingering, %d root keys (%d used), %d console users without MFA",
		s.Users, s.Keys, s.ActiveKeys, s.NeverUsed, s.Idle, s.Unrotated, s.MultipleActive, s.DisabledLingering, s.RootKeys, s.RootKeysUsed, s.ConsoleWithoutMFA)
	if s.OpenIncidents > 0 {
		line += fmt.Sprintf(", %d with an open incident", s.OpenIncidents)
	}
	if s.AttackerKeys > 0 {
		line += fmt.Sprintf(", %d created by an incident's attacker", s.AttackerKeys)
	}
	return line + "; worst " + s.MaxSeverity.String()
}

func renderSweepTable(w io.Writer, r *audit.SweepResult, po PrintOptions) error {
	var b strings.Builder
	fmt.Fprintf(&b, "IDLE SWEEP of account %s (facts from %s; idle after %d days, unrotated after %d days)\n", cmpOr(r.AccountID, "?"), strings.ReplaceAll(r.Source, "_", " "), r.IdleDays, r.MaxAgeDays)
	b.WriteString("  " + sweepSummaryLine(r) + "\n\nKEYS\n")
	t := NewTable(po, "user", "access key", "status", "age (days)", "last used", "classes", "severity", "recommendation")
	for _, k := range r.Keys {
		id := k.AccessKeyID
		if id == "" {
			id = "(" + k.Slot + ")"
		}
		var used any = "never"
		if !k.LastUsed.IsZero() {
			used = k.LastUsed
		}
		classes := strings.Join(k.Classes, " ")
		if classes == "" {
			classes = "ok"
		}
		t.AddRow(k.Who(), id, k.Status, k.AgeDays, used, classes, k.Severity, k.Recommendation)
	}
	if err := t.Render(&b); err != nil {
		return err
	}
	b.WriteString("\nUSERS\n")
	t = NewTable(po, "user", "console", "mfa", "last login", "keys", "active", "findings", "severity")
	for _, u := range r.Users {
		f := strings.Join(u.Findings, " ")
		if f == "" {
			f = "ok"
		}
		if !u.Complete {
			f += " (incomplete)"
		}
		t.AddRow(u.Who(), u.ConsoleLogin, u.MFA, u.LastLogin, u.Keys, u.ActiveKeys, f, u.Severity)
	}
	if err := t.Render(&b); err != nil {
		return err
	}
	if len(r.Diagnostics) > 0 {
		fmt.Fprintf(&b, "\nDIAGNOSTICS (%d)\n", len(r.Diagnostics))
		for _, d := range r.Diagnostics {
			line := fmt.Sprintf("  %s: %s: %s", d.Level, d.Source, d.Summary)
			if d.Detail != "" {
				line += " (" + oneLine(d.Detail) + ")"
			}
			b.WriteString(line + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func renderSweepMarkdown(w io.Writer, r *audit.SweepResult) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Idle sweep of account %s\n\n%s.\n\n", cmpOr(r.AccountID, "?"), sweepSummaryLine(r))
	if err := renderMarkdown(&b, r); err != nil {
		return err
	}
	if len(r.Diagnostics) > 0 {
		b.WriteString("\n## Diagnostics\n\n")
		for _, d := range r.Diagnostics {
			fmt.Fprintf(&b, "- %s: %s: %s %s\n", d.Level, mdEscape(d.Source), mdEscape(d.Summary), mdEscape(d.Detail))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// A busy key's audit has thousands of sources, created identities and
// per-source notes: the table shows the first of each and says how many
// more -o json lists.
const (
	maxTableIPs  = 5  // sources of a finding in the findings table
	maxTableRows = 50 // rows of the sources and created-identities tables
	// maxTableRoutine bounds the routine activities listed: context that
	// a key with thousands of sources can have by the hundred (one per
	// rule and network), ahead of the findings.
	maxTableRoutine = 10
	maxWhyText      = 1200 // bytes of a finding's explanation
)

// tableRoutine is the routine the table lists: all of it up to
// maxTableRoutine activities, else those with the most events, in the
// result's order.
func tableRoutine(rs []audit.RoutineActivity) []audit.RoutineActivity {
	if len(rs) <= maxTableRoutine {
		return rs
	}
	idx := make([]int, len(rs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(rs[b].Events, rs[a].Events) })
	idx = idx[:maxTableRoutine]
	slices.Sort(idx)
	out := make([]audit.RoutineActivity, 0, len(idx))
	for _, i := range idx {
		out = append(out, rs[i])
	}
	return out
}

// someIPs is a finding's sources for the table: the busiest few.
func someIPs(ips []string) string {
	out := strings.Join(head(ips, maxTableIPs), " ")
	if len(ips) > maxTableIPs {
		out += fmt.Sprintf(" +%d more", len(ips)-maxTableIPs)
	}
	return out
}

// head is the first n of xs (all of them when fewer).
func head[T any](xs []T, n int) []T { return xs[:min(n, len(xs))] }

// clipText cuts s to about n bytes (at a rune boundary) and says where the
// rest is.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf(" ... (%d more bytes in -o json)", len(s)-cut)
}

// tableSources picks the sources the table shows: all of them up to
// maxTableRows, beyond that the flagged ones with the most reasons first,
// then the busiest, in the order of the result (first seen). flagged
// counts the flagged ones.
func tableSources(all []audit.IPSummary) (shown []audit.IPSummary, flagged int) {
	for _, s := range all {
		if s.Flagged {
			flagged++
		}
	}
	if len(all) <= maxTableRows {
		return all, flagged
	}
	idx := make([]int, len(all))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		x, y := all[a], all[b]
		if x.Flagged != y.Flagged {
			if x.Flagged {
				return -1
			}
			return 1
		}
		return cmp.Or(len(y.Reasons)-len(x.Reasons), y.Count-x.Count)
	})
	idx = idx[:maxTableRows]
	slices.Sort(idx)
	for _, i := range idx {
		shown = append(shown, all[i])
	}
	return shown, flagged
}

// countSources is "1 source" or "N sources".
func countSources(n int) string {
	if n == 1 {
		return "1 source"
	}
	return fmt.Sprintf("%d sources", n)
}
