package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/akresp/akresp/internal/audit"
	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/incident"
	"github.com/akresp/akresp/internal/journal"
	"github.com/akresp/akresp/internal/leaks"
	"github.com/akresp/akresp/internal/policy"
	"github.com/akresp/akresp/internal/report"
	"github.com/akresp/akresp/internal/respond"
	"github.com/akresp/akresp/internal/rotate"
	"github.com/akresp/akresp/internal/safetext"
	"github.com/akresp/akresp/internal/state"
)

// FormatHTML is report's self-contained HTML output.
const FormatHTML = "html"

// maxReportEvents bounds the events a report keeps (in its scratch file:
// memory does not grow with them) for its chart, counts and evidence;
// beyond it the report says so.
const maxReportEvents = 500_000

// ReportCloud is what `akresp report` reads from the cloud: the audit's
// needs plus the live facts (network ACL, policies, console, created
// identities).
type ReportCloud interface {
	audit.Cloud
	GetAccessKeyPolicy(ctx context.Context, keyID, userPrincipalName string) (string, error)
	ListPoliciesForUser(ctx context.Context, userName string) ([]cloud.AttachedPolicy, error)
	GetLoginProfile(ctx context.Context, userName string) (cloud.LoginProfile, bool, error)
	GetUserMFAInfo(ctx context.Context, userName string) (cloud.MFAInfo, error)
	GetUser(ctx context.Context, userName string) (cloud.User, error)
}

// ReportOptions holds the dependencies and flags of `akresp report`.
type ReportOptions struct {
	IO       *IOStreams
	Now      func() time.Time
	Logger   *slog.Logger
	Settings func() (*Settings, error)
	// Backend returns the cloud to talk to; tests replace it. It is not
	// called for an offline report.
	Backend func(ctx context.Context) (ReportCloud, error)
	Version string

	KeyID  string
	OutDir string
	EventInputs
	PolicyName string
	// Also are more formats of the same report, written next to the -o one
	// from the same document (the events are read once).
	Also []string
}

func newCmdReport(f *Factory, runF func(context.Context, *ReportOptions) error) *cobra.Command {
	opts := &ReportOptions{IO: f.IO, Now: f.Now, Settings: f.Settings, Version: f.Version}
	cmd := &cobra.Command{
		Use:   "report <AK-ID>",
		Short: "Write the incident report of a key: timeline, sources, persistence, actions taken, open risks",
		Long: `Write the incident report of an AccessKey.

report audits the key (like 'akresp audit'), reads akresp's journals and the
rotation state under --state-dir, and, online, reads the current facts: key
status, network ACL, the deny-high-risk policy, the owner's other keys and
MFA, and the state of every identity the key created. It writes:

  <out>/<AK-ID>-report.md|json|html    the report (-o markdown, json or html)
  <out>/<AK-ID>-evidence.jsonl         the events used, one per line, in time order
  <out>/<AK-ID>-evidence.jsonl.sha256  their SHA-256 (sha256sum -c verifies it)

The default <out> is <state-dir>/<AK-ID>/report-<UTC time>/, private (0700)
and next to the key's journals; --out picks another directory. Files are
written atomically with mode 0600 and their paths are printed on stderr.
With -o json the report is also printed on stdout.

Online, the summary also shows Security Center's AccessKey leak records of
the key ("found leaked at <url> on <date>; pending/handled"), and report
plans 'akresp eradicate' without applying it: the cost section ("spend
caused by the attacker so far", "spend per hour if nothing is stopped",
from the bills) and an eradicate suggestion when it would change
something. Without SAS or billing permission each is one diagnostic.
Every eradicate action in "Actions taken" names the attacker's event that
called for it. While the events are read, their evidence is kept in an
unlinked private scratch file in <out>, so memory stays bounded.

The HTML report is one self-contained file (inline CSS and SVG, no scripts,
no external assets) that reads offline in any browser. No report or evidence
file ever holds an AccessKey secret.`,
		Example: `  akresp report LTAI5tExampleKey00000001
  akresp report LTAI5tExampleKey00000001 -o html --out ./incident-42
  akresp report LTAI5tExampleKey00000001 --also html     # markdown and html, the events read once
  akresp report LTAI5tExampleKey00000001 -o json --leak-time 2026-11-20T03:00:00Z > report.json
  akresp report LTAI5tExampleKey00000001 --trail ./exported-trails/ --offline`,
		Args: exactKeyArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.KeyID = strings.TrimSpace(args[0])
			if f.Logger != nil {
				opts.Logger = f.Logger()
			}
			if opts.Backend == nil {
				opts.Backend = func(ctx context.Context) (ReportCloud, error) { return f.Cloud(ctx) }
			}
			if err := validateReport(opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runReport(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.OutDir, "out", "", "directory for the report and evidence files (default <state-dir>/<AK-ID>/report-<time>)")
	opts.registerEventFlags(fl)
	fl.StringVar(&opts.PolicyName, "policy-name", report.DefaultDenyPolicyName, "name of the deny-high-risk policy contain attached")
	fl.StringSliceVar(&opts.Also, "also", nil, "also write the report in these `FORMATS` (markdown, json, html; comma-separated) from the same document: the events are read once")
	setOutputFormats(cmd, FormatMarkdown, FormatJSON, FormatHTML)
	return cmd
}

func validateReport(o *ReportOptions) error {
	id, err := policy.ParseAccessKeyID(o.KeyID)
	if err != nil {
		return NewUsageError(err)
	}
	o.KeyID = id
	if err := o.validateModes(); err != nil {
		return err
	}
	if err := o.validateWindow(o.Now(), true); err != nil {
		return err
	}
	if strings.TrimSpace(o.PolicyName) == "" {
		return UsageErrorf("--policy-name must not be empty")
	}
	for i, f := range o.Also {
		f = strings.ToLower(strings.TrimSpace(f))
		switch f {
		case FormatMarkdown, FormatJSON, FormatHTML:
			o.Also[i] = f
		default:
			return UsageErrorf("--also %q: want markdown, json or html", safetext.Line(f))
		}
	}
	return nil
}

// captureCloud passes LookupEvents pages through to the audit and keeps a
// copy of every event, raw, for the report's chart and evidence: each
// event once, by eventId (a global service's event comes back from every
// region the audit reads).
type captureCloud struct {
	ReportCloud
	mu        sync.Mutex
	keep      *report.Collector
	seen      map[string]bool // upper-case eventIds kept
	n         int64
	truncated bool
}

func (c *captureCloud) LookupEvents(ctx context.Context, q cloud.LookupQuery, page func([]json.RawMessage) error) error {
	return c.ReportCloud.LookupEvents(ctx, q, c.capture(page))
}

// capture wraps an audit page callback: it keeps the page's new events
// (their evidence encoded, the parsed event dropped), then hands the page
// on unchanged (the audit de-duplicates on its own).
func (c *captureCloud) capture(page func([]json.RawMessage) error) func([]json.RawMessage) error {
	return func(evs []json.RawMessage) error {
		c.mu.Lock()
		for _, raw := range evs {
			ev, err := audit.ParseEvent(raw, audit.Origin{Kind: audit.OriginLookup, Pos: c.n})
			if err != nil {
				c.n++
				continue // the audit reports it as a diagnostic
			}
			if id := strings.ToUpper(ev.ID); id != "" {
				if c.seen[id] {
					continue
				}
				if c.seen == nil {
					c.seen = map[string]bool{}
				}
				c.seen[id] = true
			}
			c.n++
			if c.keep.Len() >= maxReportEvents {
				c.truncated = true
				continue
			}
			_ = c.keep.Add(&ev, raw) // an error is kept: Collector.Err
		}
		c.mu.Unlock()
		return page(evs)
	}
}

// regionalReportCloud is a ReportCloud that reads ActionTrail region by
// region (*cloud.Clients): the report then reads every region, like audit.
type regionalReportCloud interface {
	ReportCloud
	audit.RegionalEventLooker
	audit.RegionLister
	AccessKeyLastUsedEvents(ctx context.Context, keyID, service string) ([]cloud.LastUsedEvent, error)
}

// regionalCapture is a captureCloud over a regionalReportCloud: it offers
// the regional lookup to the audit and captures every region's pages.
type regionalCapture struct {
	*captureCloud
	rc regionalReportCloud
}

func (c *regionalCapture) LookupEventsIn(ctx context.Context, region string, q cloud.LookupQuery, page func([]json.RawMessage) error) error {
	return c.rc.LookupEventsIn(ctx, region, q, c.capture(page))
}

func (c *regionalCapture) Region() string { return c.rc.Region() }

func (c *regionalCapture) ActionTrailRegions(ctx context.Context) ([]string, error) {
	return c.rc.ActionTrailRegions(ctx)
}

func (c *regionalCapture) AccessKeyLastUsedEvents(ctx context.Context, keyID, service string) ([]cloud.LastUsedEvent, error) {
	return c.rc.AccessKeyLastUsedEvents(ctx, keyID, service)
}

func runReport(ctx context.Context, o *ReportOptions) error {
	s, err := o.Settings()
	if err != nil {
		return err
	}
	if s.StateDir == "" {
		return UsageErrorf("report %s: no state directory (no $XDG_STATE_HOME and no home directory); pass --state-dir", safetext.Line(o.KeyID))
	}
	now := o.Now().UTC()
	if o.offlineInputs() && !s.DryRun {
		// The audit's memory policy: the report reads the same files. Its
		// rules get no room above the limit (the audit's RulesMemory): the
		// report holds the chart and the evidence of every event of the
		// key beside the aggregates, and the room raised the delivery
		// shape's peak from ~140 to ~153 MB.
		restore, _ := offlineMemory() // memlimit.go
		defer restore()
	}
	if s.DryRun {
		// --dry-run writes nothing anywhere: no report, no evidence, no
		// scratch file, not even the state directory. It says what a run
		// would write (the plan, on stdout) and stops.
		return reportDryRun(o, s, now)
	}
	in := audit.InvestigateOptions{
		Engine:  audit.Options{KeyID: o.KeyID, Now: now, LeakTime: o.leakTime, TrustedCIDRs: o.trusted},
		Since:   o.since,
		Until:   o.until,
		Online:  !o.offline(),
		Trails:  o.Trails,
		OSSLogs: o.OSSLogs,
		SLSLogs: o.SLSLogs,
		Strict:  o.Strict,
		Regions: o.regions,
	}
	rec, err := incident.Load(s.StateDir, o.KeyID)
	if err != nil {
		return fmt.Errorf("report %s: %w", o.KeyID, err)
	}
	in.Incident = rec
	dir := o.OutDir
	if dir == "" {
		kd, err := state.KeyDir(s.StateDir, o.KeyID)
		if err != nil {
			return fmt.Errorf("report %s: %w", safetext.Line(o.KeyID), err)
		}
		dir = filepath.Join(kd, "report-"+now.Format("20060102T150405Z"))
	}
	// The events are kept slim, their evidence encoded on arrival and
	// spilled to a private scratch file beside the report: memory stays
	// bounded like the audit's however many events the key has.
	keep, err := report.NewCollector(dir)
	if err != nil {
		return fmt.Errorf("report %s: %w", safetext.Line(o.KeyID), err)
	}
	defer keep.Close()
	var c ReportCloud
	var capt *captureCloud
	var acctACL accountACLReader
	var base ReportCloud
	if in.Online {
		base, err = o.Backend(ctx)
		if err != nil {
			return err
		}
		acctACL, _ = base.(accountACLReader)
		capt = &captureCloud{ReportCloud: base, keep: keep}
		c = capt
		if rc, ok := base.(regionalReportCloud); ok {
			c = &regionalCapture{captureCloud: capt, rc: rc}
		}
	}
	progress(o, "auditing "+safetext.Line(o.KeyID))
	var ac audit.Cloud
	if c != nil {
		ac = c
	}
	// The offline events are kept as the audit reads them: the chart,
	// counts and evidence use them, and the files are read once. The
	// readers keep no raw record, so these are saved in normalised form.
	offTruncated := false
	in.OfflineEvent = func(ev *audit.Event) {
		if keep.Len() >= maxReportEvents {
			offTruncated = true
			return
		}
		_ = keep.Add(ev, nil) // an error is kept: Collector.Err
	}
	r, err := audit.Investigate(ctx, ac, in)
	var unknown *cloud.UnknownKeyError
	if errors.As(err, &unknown) {
		return unknown // the same answer as every other command
	}
	if err != nil {
		return fmt.Errorf("report %s: %w", safetext.Line(o.KeyID), err)
	}
	if err := keep.Err(); err != nil {
		return fmt.Errorf("report %s: %w", safetext.Line(o.KeyID), err)
	}

	var diags []report.Diagnostic
	if capt != nil && capt.truncated {
		diags = append(diags, report.Diagnostic{Level: "warning", Source: "report",
			Summary: fmt.Sprintf("more than %d events: the chart, counts and evidence use the first %d", maxReportEvents, maxReportEvents)})
	}
	if offTruncated {
		diags = append(diags, report.Diagnostic{Level: "warning", Source: "report",
			Summary: fmt.Sprintf("more than %d events in the offline inputs: the chart, counts and evidence use the first %d", maxReportEvents, maxReportEvents)})
	}

	recs, warns, err := journal.ReadKey(s.StateDir, o.KeyID)
	if err != nil {
		return fmt.Errorf("report %s: read journals: %w", safetext.Line(o.KeyID), err)
	}
	head, err := journal.Head(s.StateDir, o.KeyID)
	if err != nil {
		return fmt.Errorf("report %s: verify the journal chain: %w", o.KeyID, err)
	}
	rot, err := rotate.LoadState(s.StateDir, o.KeyID)
	var tampered *state.IntegrityError
	if errors.As(err, &tampered) {
		// A rotation state that fails its check is not evidence: stop
		// (exit 4) rather than report from it.
		return fmt.Errorf("report %s: %w", o.KeyID, err)
	}
	if err != nil {
		diags = append(diags, report.Diagnostic{Level: "warning", Source: "rotation state", Summary: "the rotation state could not be read", Detail: err.Error()})
		rot = nil
	}
	var live *report.Live
	var cost *report.Cost
	var erad *report.EradicatePlan
	if c != nil {
		progress(o, "reading the current state")
		live = gatherLive(ctx, c, r, o.PolicyName, o.Now)
		effectiveACL(ctx, acctACL, live)
		if ec, ok := base.(EradicateCloud); ok {
			progress(o, "planning eradication and reading the bills")
			rin0 := eradicateFacts(ctx, ec, s.StateDir, o.KeyID, o.Now)
			cost, erad = rin0.cost, rin0.erad
			if rin0.diag != nil {
				live.Problems = append(live.Problems, *rin0.diag)
			}
		}
		if lr, ok := base.(leaks.Reader); ok {
			var d *report.Diagnostic
			live.LeakRecords, d = leakRecords(ctx, lr, o.KeyID)
			if d != nil {
				live.Problems = append(live.Problems, *d)
			}
		}
	}
	gen := "akresp"
	if o.Version != "" {
		gen += " " + o.Version
	}
	rin := report.Input{Audit: r, Collected: keep, Journal: recs, JournalWarnings: warns, JournalHead: head, Rotation: rot, Live: live,
		Now: now, Generator: gen, Diagnostics: diags, Incident: rec, Cost: cost, Eradicate: erad}
	doc, err := report.Build(rin)
	if err != nil {
		return fmt.Errorf("report %s: %w", safetext.Line(o.KeyID), err)
	}

	ev, err := report.WriteUsedEvidence(dir, rin)
	if err != nil {
		return fmt.Errorf("report %s: %w", safetext.Line(o.KeyID), err)
	}
	doc.Evidence = ev

	ro := report.RenderOptions{TZ: s.TZ}
	var stdout []byte
	seen := map[string]bool{}
	for i, format := range append([]string{s.Output}, o.Also...) {
		if seen[format] {
			continue // --also names a format again
		}
		seen[format] = true
		var buf bytes.Buffer
		ext := "md"
		switch format {
		case FormatJSON:
			ext, err = "json", report.RenderJSON(safetext.NewWriter(&buf), doc) // C1/bidi as \u escapes: still JSON
		case FormatHTML:
			ext, err = "html", report.RenderHTML(safetext.NewWriter(&buf), doc, ro) // html/template passes ESC through
		default:
			err = report.RenderMarkdown(&buf, doc, ro)
		}
		if err != nil {
			return fmt.Errorf("report %s: %w", safetext.Line(o.KeyID), err)
		}
		path := filepath.Join(dir, o.KeyID+"-report."+ext)
		if err := state.WriteFileAtomic(path, buf.Bytes()); err != nil {
			return fmt.Errorf("report %s: %w", safetext.Line(o.KeyID), err)
		}
		fmt.Fprintf(o.IO.ErrOut, "report:   %s\n", path)
		if i == 0 {
			stdout = buf.Bytes() // -o json is printed too
		}
	}
	fmt.Fprintf(o.IO.ErrOut, "evidence: %s (%d events)\n", filepath.Join(dir, ev.File), ev.Events)
	fmt.Fprintf(o.IO.ErrOut, "sha256:   %s\n", filepath.Join(dir, ev.SHA256File))
	fmt.Fprintf(o.IO.ErrOut, "%s: %s; %d open risk(s)\n", o.KeyID, strings.ReplaceAll(doc.Summary.State, "_", " "), len(doc.Risks))
	if s.Output == FormatJSON {
		if _, err := o.IO.Out.Write(stdout); err != nil {
			return fmt.Errorf("report %s: write stdout: %w", safetext.Line(o.KeyID), err)
		}
	}
	return nil
}

type eradFacts struct {
	cost *report.Cost
	erad *report.EradicatePlan
	diag *report.Diagnostic
}

// eradicateFacts plans `akresp eradicate` for the key the way the command
// does (without applying anything) and reads the attacker's spend with its
// cost code: the report's cost section, and whether suggesting eradicate
// would do something now. Without billing permission the cost carries one
// warning; a plan that cannot be made is one diagnostic.
func eradicateFacts(ctx context.Context, c EradicateCloud, stateDir, keyID string, now func() time.Time) eradFacts {
	o := &EradicateOptions{KeyID: keyID, Now: now, Lookback: 7 * 24 * time.Hour}
	ev, err := eradicateEvidence(ctx, c, stateDir, o)
	var p *respond.Plan
	if err == nil {
		p, err = respond.PlanEradicate(ctx, c, respond.EradicateOptions{KeyID: keyID, Evidence: ev, StateDir: stateDir, Now: now})
	}
	if err != nil {
		return eradFacts{diag: &report.Diagnostic{Level: "warning", Source: "eradicate plan",
			Summary: "could not plan the eradication (the cost and the eradicate suggestion are left out)", Detail: err.Error()}}
	}
	f := eradFacts{erad: &report.EradicatePlan{Changes: p.Changes(), Unrecoverable: len(p.Unrecoverable), ByHandOmitted: p.ByHandOmitted, DeleteFrom: p.AwaitUntil()}}
	for _, b := range p.ByHand {
		f.erad.ByHand = append(f.erad.ByHand, b.What)
	}
	for _, in := range p.Instances {
		if in.Status == "Stopped" {
			f.erad.Stopped++
			if !in.StoppedSince.IsZero() {
				if at := in.StoppedSince.Add(respond.DefaultEradicateObserve); f.erad.ReleaseFrom.IsZero() || at.Before(f.erad.ReleaseFrom) {
					f.erad.ReleaseFrom = at
				}
			}
		}
	}
	var br respond.BillReader
	if b, ok := c.(respond.BillReader); ok {
		br = b
	}
	if rc := respond.EradicateCost(ctx, br, p, now()); rc != nil {
		f.cost = &report.Cost{SoFar: rc.SoFar, PerHour: rc.PerHour, Currency: rc.Currency, Cycles: rc.Cycles, Instances: rc.Instances,
			Planned: len(p.Instances), Warning: rc.Warning}
		if rc.Warning != "" && rc.Instances == 0 {
			f.diag = &report.Diagnostic{Level: "warning", Source: "billing", Summary: rc.Warning}
		}
	}
	return f
}

// leakRecords reads the key's Security Center AccessKey leak records (SAS)
// for audit and report: each as leaks.Summary's one line. A failed read
// (typically no SAS permission) is one diagnostic; nothing else depends on
// it.
func leakRecords(ctx context.Context, c leaks.Reader, keyID string) ([]report.LeakRecord, *report.Diagnostic) {
	rows, err := leaks.ForKey(ctx, c, keyID)
	if err != nil {
		return nil, &report.Diagnostic{Level: "warning", Source: "sas:DescribeAccesskeyLeakList",
			Summary: "could not read Security Center's AccessKey leak records (needs yundun-aegis:DescribeAccesskeyLeakList); the rest is unaffected",
			Detail:  err.Error()}
	}
	var out []report.LeakRecord
	for _, r := range rows {
		out = append(out, report.LeakRecord{ID: r.ID, Status: r.Status, URL: r.URL, Source: r.Source, FoundAt: r.FoundAt.UTC(),
			HandledAt: r.HandledAt.UTC(), SecretValidity: r.SecretValidity, Line: leaks.Summary(r)})
	}
	return out, nil
}

// accountACLReader reads the account-level AccessKey network policy.
type accountACLReader interface {
	GetAccessKeyPolicyForAccount(ctx context.Context) (string, error)
}

// effectiveACL reads the account-level network policy and says which
// policy applies to the key (respond.EffectivePolicy, as contain --status).
func effectiveACL(ctx context.Context, c accountACLReader, l *report.Live) {
	if l == nil || !l.ACLKnown {
		return
	}
	if c == nil {
		l.EffectiveACL = networkPolicy(respond.EffectivePolicy(l.ACL, "", errors.New("not read")))
		return
	}
	doc, err := c.GetAccessKeyPolicyForAccount(ctx)
	if err != nil {
		l.Problems = append(l.Problems, report.Diagnostic{Level: "warning", Source: "ims:GetAccessKeyPolicyForAccount",
			Summary: "could not read the account-level network policy", Detail: err.Error()})
	} else {
		l.AccountACLKnown, l.AccountACL = true, doc
	}
	l.EffectiveACL = networkPolicy(respond.EffectivePolicy(l.ACL, doc, err))
}

// networkPolicy is the report's form of an effective network policy: the
// documents as objects, the summary for people.
func networkPolicy(e respond.EffectiveACL) *report.NetworkPolicy {
	return &report.NetworkPolicy{
		Source: e.Source, Document: e.Document, KeyLevel: e.KeyLevel, AccountLevel: e.AccountLevel,
		AccountLevelError: e.AccountError, PublicOpen: e.PublicOpen, PublicOpenReason: e.PublicReason, Summary: e.Summary,
	}
}

func progress(o *ReportOptions, msg string) {
	if o.Logger != nil {
		o.Logger.Info(msg)
	}
}

// gatherLive reads the key's current facts. Every failed call becomes a
// diagnostic; none stops the report.
func gatherLive(ctx context.Context, c ReportCloud, r *audit.Result, policyName string, now func() time.Time) *report.Live {
	l := &report.Live{CheckedAt: now().UTC(), DenyPolicyName: policyName}
	keyID := r.Key.AccessKeyID
	problem := func(source, summary string, err error) {
		d := report.Diagnostic{Level: "warning", Source: source, Summary: summary}
		if err != nil {
			d.Detail = err.Error()
		}
		l.Problems = append(l.Problems, d)
	}
	owner := r.Key.Owner
	switch r.Key.OwnerType {
	case "ram-user":
		keys, err := c.ListAccessKeys(ctx, owner)
		if err != nil {
			problem("ram:ListAccessKeys", "could not read the keys of "+owner, err)
		} else {
			l.KeyStatus, l.OtherKeysKnown = "Deleted", true
			for _, k := range keys {
				if k.AccessKeyID == keyID {
					l.KeyStatus = k.Status
					continue
				}
				l.OtherKeys = append(l.OtherKeys, report.OtherKey{AccessKeyID: k.AccessKeyID, Status: k.Status, Created: k.CreateDate.UTC()})
			}
		}
		if u, err := c.GetUserByAccessKey(ctx, keyID); err != nil {
			if !errors.Is(err, cloud.ErrNotFound) {
				problem("ims:GetUser", "could not resolve the key's user for its network ACL", err)
			}
		} else if doc, err := c.GetAccessKeyPolicy(ctx, keyID, u.UserPrincipalName); err != nil {
			problem("ims:GetAccessKeyPolicy", "could not read the key's network ACL", err)
		} else {
			l.ACLKnown, l.ACL = true, doc
		}
		if ps, err := c.ListPoliciesForUser(ctx, owner); err != nil {
			problem("ram:ListPoliciesForUser", "could not read the policies of "+owner, err)
		} else {
			attached := false
			for _, p := range ps {
				l.AttachedPolicies = append(l.AttachedPolicies, report.AttachedPolicy{Name: p.PolicyName, Type: p.PolicyType})
				if p.PolicyName == policyName && p.PolicyType == "Custom" {
					attached = true
				}
			}
			l.DenyPolicyAttached = &attached
		}
		lp, ok, err := c.GetLoginProfile(ctx, owner)
		switch {
		case err != nil:
			problem("ram:GetLoginProfile", "could not read the console login of "+owner, err)
		case !ok:
			l.Console = &report.Console{}
		default:
			con := &report.Console{HasLogin: true, MFABindRequired: lp.MFABindRequired}
			mfa, err := c.GetUserMFAInfo(ctx, owner)
			switch {
			case err == nil:
				con.MFAEnabled = mfa.Enabled
				l.Console = con
			case errors.Is(err, cloud.ErrNotFound):
				l.Console = con // no MFA device bound
			default:
				problem("ram:GetUserMFAInfo", "could not read the MFA of "+owner, err)
			}
		}
	case "root-account":
		l.KeyStatus = r.Key.Status // read by the audit moments ago
		if doc, err := c.GetAccessKeyPolicy(ctx, keyID, ""); err != nil {
			problem("ims:GetAccessKeyPolicy", "could not read the root key's network ACL (only the root account can)", err)
		} else {
			l.ACLKnown, l.ACL = true, doc
		}
	default:
		problem("owner", "the key's owner is unknown: its status, ACL and policies were not read", nil)
	}
	l.Created = createdStates(ctx, c, r, owner, policyName, problem)
	return l
}

// createdStates checks each identity the key created, createdChecks at a
// time: a busy attacker's thousands of users took three RAM calls each,
// one after the other (minutes at 3 a.m.); the client's per-API limiters
// keep the fan-out within the account's quotas. Each user's keys and
// policies are listed once. The states come back in r.Created's order and
// the problems are reported in that order too, whatever order the checks
// finish in.
func createdStates(ctx context.Context, c ReportCloud, r *audit.Result, owner, policyName string, problem func(string, string, error)) []report.CreatedState {
	var keysOf onceEach[[]cloud.AccessKey]
	var policiesOf onceEach[[]cloud.AttachedPolicy]
	listKeys := func(user string) ([]cloud.AccessKey, error) {
		return keysOf.get(user, func() ([]cloud.AccessKey, error) { return c.ListAccessKeys(ctx, user) })
	}
	listPolicies := func(user string) ([]cloud.AttachedPolicy, error) {
		return policiesOf.get(user, func() ([]cloud.AttachedPolicy, error) { return c.ListPoliciesForUser(ctx, user) })
	}
	type reported struct {
		api, msg string
		err      error
	}
	out := make([]report.CreatedState, len(r.Created))
	probs := make([][]reported, len(r.Created))
	var g errgroup.Group
	g.SetLimit(createdChecks)
	for i, ci := range r.Created {
		g.Go(func() error {
			problem := func(api, msg string, err error) { probs[i] = append(probs[i], reported{api, msg, err}) }
			out[i] = createdState(ctx, c, ci, owner, policyName, listKeys, listPolicies, problem)
			return nil
		})
	}
	g.Wait()
	for _, ps := range probs {
		for _, p := range ps {
			problem(p.api, p.msg, p.err)
		}
	}
	return out
}

// onceEach calls a fetch once per key, however many goroutines ask, and
// gives every caller its result (error included).
type onceEach[T any] struct {
	mu sync.Mutex
	m  map[string]*onceResult[T]
}

type onceResult[T any] struct {
	once sync.Once
	v    T
	err  error
}

func (o *onceEach[T]) get(key string, fetch func() (T, error)) (T, error) {
	o.mu.Lock()
	if o.m == nil {
		o.m = map[string]*onceResult[T]{}
	}
	r := o.m[key]
	if r == nil {
		r = &onceResult[T]{}
		o.m[key] = r
	}
	o.mu.Unlock()
	r.once.Do(func() { r.v, r.err = fetch() })
	return r.v, r.err
}

// createdChecks is how many created identities a report checks at a time.
const createdChecks = 8

// createdState checks one identity the key created.
func createdState(ctx context.Context, c ReportCloud, ci audit.CreatedIdentity, owner, policyName string,
	listKeys func(string) ([]cloud.AccessKey, error), listPolicies func(string) ([]cloud.AttachedPolicy, error),
	problem func(string, string, error)) report.CreatedState {
	st := report.CreatedState{Kind: ci.Kind, Name: ci.Name, State: "unknown"}
	user := ci.User
	if user == "" {
		user = owner
	}
	switch ci.Kind {
	case audit.KindUser:
		_, err := c.GetUser(ctx, ci.Name)
		switch {
		case errors.Is(err, cloud.ErrNotFound):
			st.State, st.Detail = "deleted", "the user no longer exists"
		case err != nil:
			problem("ram:GetUser", "could not check created user "+ci.Name, err)
		default:
			st.State = "active"
			var notes []string
			if ks, err := listKeys(ci.Name); err == nil {
				n := 0
				for _, k := range ks {
					if k.Status == "Active" {
						n++
					}
				}
				notes = append(notes, fmt.Sprintf("%d active AccessKey(s)", n))
			}
			if ps, err := listPolicies(ci.Name); err == nil {
				var names []string
				denied := false
				for _, p := range ps {
					names = append(names, p.PolicyName)
					if p.PolicyName == policyName && p.PolicyType == "Custom" {
						denied = true
					}
				}
				if denied {
					st.State = "contained"
					notes = append(notes, "the deny-high-risk policy is attached")
				}
				if len(names) > 0 {
					slices.Sort(names)
					notes = append(notes, "policies: "+strings.Join(names, ", "))
				}
			}
			st.Detail = "the user exists; " + strings.Join(notes, "; ")
		}
	case audit.KindAccessKey:
		if user == "" {
			problem("ram:ListAccessKeys", "created key "+ci.Name+" names no user", nil)
			break
		}
		ks, err := listKeys(user)
		switch {
		case errors.Is(err, cloud.ErrNotFound):
			st.State, st.Detail = "deleted", "its user "+user+" no longer exists"
		case err != nil:
			problem("ram:ListAccessKeys", "could not check created key "+ci.Name, err)
		default:
			st.State, st.Detail = "deleted", "user "+user+" no longer lists it"
			for _, k := range ks {
				if k.AccessKeyID == ci.Name {
					st.State, st.Detail = strings.ToLower(k.Status), "key of "+user
				}
			}
		}
	case audit.KindLoginProfile:
		_, ok, err := c.GetLoginProfile(ctx, user)
		switch {
		case errors.Is(err, cloud.ErrNotFound):
			st.State, st.Detail = "deleted", "user "+user+" no longer exists"
		case err != nil:
			problem("ram:GetLoginProfile", "could not check the console login of "+user, err)
		case ok:
			st.State, st.Detail = "active", user+" can sign in to the console"
		default:
			st.State, st.Detail = "deleted", user+" has no console login"
		}
	case audit.KindPolicyAttachment:
		if ci.PrincipalType != "" && ci.PrincipalType != "User" {
			st.Detail = "akresp reads user attachments only; check the " + strings.ToLower(ci.PrincipalType) + " in the RAM console"
			break
		}
		ps, err := listPolicies(user)
		switch {
		case errors.Is(err, cloud.ErrNotFound):
			st.State, st.Detail = "deleted", "user "+user+" no longer exists"
		case err != nil:
			problem("ram:ListPoliciesForUser", "could not check the policies of "+user, err)
		default:
			st.State, st.Detail = "detached", "no longer attached to "+user
			for _, p := range ps {
				if p.PolicyName == ci.Name {
					st.State, st.Detail = "active", "attached to "+user
				}
			}
		}
	default:
		st.Detail = "akresp cannot read " + strings.ReplaceAll(ci.Kind, "_", " ") + "s; check it in the RAM console"
	}
	return st
}
