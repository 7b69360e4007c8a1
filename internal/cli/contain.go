package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/akresp/akresp/internal/audit"
	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/incident"
	"github.com/akresp/akresp/internal/policy"
	"github.com/akresp/akresp/internal/respond"
	"github.com/akresp/akresp/internal/safetext"
	"github.com/akresp/akresp/internal/state"
)

// Schema versions of contain's JSON output.
const (
	containSchema       = "akresp.contain/v3"
	containStatusSchema = "akresp.contain-status/v3"
)

// ContainCloud is what `akresp contain` needs from the cloud: respond's
// interfaces plus what the audit of the key reads (ActionTrail's events and
// the key's last-use facts), so contain and `akresp audit` see the same
// facts and findings.
type ContainCloud interface {
	respond.ContainCloud
	audit.Cloud
}

// ContainOptions holds the dependencies and flags of `akresp contain`.
type ContainOptions struct {
	IO       *IOStreams
	Now      func() time.Time
	Logger   *slog.Logger
	Settings func() (*Settings, error)
	Prompter Prompter
	// Backend returns the cloud to talk to. Tests replace it.
	Backend func(ctx context.Context) (ContainCloud, error)

	KeyID            string
	User             string
	AllowIPs         []string
	AllowVPCs        []string
	DenyPublic       bool
	TrustedFromAudit bool
	LeakTime         string
	leakTime         time.Time
	Lookback         time.Duration
	NoAudit          bool
	PolicyName       string
	DenyActions      []string
	NoDenyPolicy     bool
	RequireMFA       bool
	ContainCreated   bool
	Force            bool
	Status           bool
	Undo             bool
	UndoAll          bool
	ACLOnly          bool
	Replace          bool

	retry string
}

func newCmdContain(f *Factory, runF func(context.Context, *ContainOptions) error) *cobra.Command {
	opts := &ContainOptions{IO: f.IO, Now: f.Now, Settings: f.Settings, Prompter: f.Prompter}
	cmd := &cobra.Command{
		Use:   "contain <AK-ID>",
		Short: "Fence a leaked AccessKey in: network ACL, deny-high-risk policy, MFA; journaled and undoable",
		Long: `Contain a leaked AccessKey without breaking what legitimately uses it.

contain resolves the key (owner, status, current network ACL and policies),
replays the key's recent callers against the proposed ACL so you see who would
be cut off, prints the plan with the state each action observed and the state
it will set, asks for confirmation, applies independent actions in parallel,
journals every call under --state-dir, and verifies the result.

  1. network ACL (IMS SetAccessKeyPolicy): --allow-ip, --allow-vpc, --deny-public
     or --trusted-from-audit (the unflagged sources seen before --leak-time)
  2. the deny-high-risk custom policy, created or updated and attached to the
     owner (not possible for a root-account key: use the ACL, then rotate or
     disable)
  3. --require-mfa: MFA at the owner's next console login
  4. identities the key created; --contain-created denies created users and
     disables created keys

--user names the owner when you know it (from akresp audit): with its
UserPrincipalName every lookup runs in one round; IMS must still confirm it.

Contain never narrows silently: a re-run keeps every source the ACL in
effect already trusts and adds the requested ones. --replace sets exactly the
requested sources; the plan lists each source it removes and the recent
legitimate callers that lose access with it. Re-running with nothing new
changes nothing; a run that was interrupted is completed by running it again.

An allow list that covers all of IPv4 or all of IPv6, in any split form
(0.0.0.0/0, 0.0.0.0/1 + 128.0.0.0/1, ::/0, ...), fences nothing in and is
refused (exit 2). --allow-vpc alone only restricts calls through VPC
endpoints: public access stays open and the key is not "contained".

The account-level AccessKey network policy (GetAccessKeyPolicyForAccount) is
read with the key's own: an Active key-level policy replaces it for that key,
else it applies. The plan, --status and -o json show the effective policy.

--status shows the current containment, judged by what the effective policy
allows (state contained, partially_contained or not_contained; deleted for a
key akresp deleted, whose deny policy on the owner may remain). --undo restores the state before the last contain run from the
journal; --undo --all the state before the first run (since the last complete
undo); --undo --acl-only reverts the network ACL alone. Keys the leaked key
created stay disabled; the undo is journaled too.

Safety rails (exit 4 unless --force): containing the key akresp runs with; an
ACL that cuts off every legitimate caller of the last 24 hours; a key-level
ACL that allows sources the account-level policy does not; removing the deny
policy (--undo) from a key, or a created user, that still has an Active key
(the leak-response plan keeps it until the key is disabled and deleted);
an undo whose journaled "before" is wider than what the previous run set.`,
		Example: `  akresp contain LTAI5tExampleKey00000001 --allow-ip 203.0.113.0/24 --dry-run
  akresp contain LTAI5tExampleKey00000001 --trusted-from-audit --leak-time 2026-11-20T03:00:00Z --yes
  akresp contain LTAI5tExampleKey00000001 --allow-vpc vpc-bp1abc:10.0.0.0/8 --require-mfa --contain-created
  akresp contain LTAI5tExampleKey00000001 --status
  akresp contain LTAI5tExampleKey00000001 --allow-ip 198.51.100.7 --yes            # adds to the ACL in effect
  akresp contain LTAI5tExampleKey00000001 --allow-ip 203.0.113.0/24 --replace --yes # exactly this list
  akresp contain LTAI5tExampleKey00000001 --undo --acl-only --yes
  akresp contain LTAI5tExampleKey00000001 --undo --all --force --yes`,
		Args: exactKeyArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.KeyID = strings.TrimSpace(args[0])
			if f.Logger != nil {
				opts.Logger = f.Logger()
			}
			if opts.Backend == nil {
				opts.Backend = func(ctx context.Context) (ContainCloud, error) { return f.Cloud(ctx) }
			}
			opts.retry = retryCommand(cmd, opts.KeyID)
			if err := validateContain(opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runContain(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&opts.AllowIPs, "allow-ip", nil, "allow calls from these public `CIDR`s or addresses (repeatable, comma-separated)")
	fl.StringArrayVar(&opts.AllowVPCs, "allow-vpc", nil, "allow calls through VPC endpoints: `VPC-ID:CIDR[,CIDR]` (repeatable)")
	fl.BoolVar(&opts.DenyPublic, "deny-public", false, "block every public source (only --allow-vpc sources remain)")
	fl.BoolVar(&opts.TrustedFromAudit, "trusted-from-audit", false, "allow the source IPs that used the key before --leak-time and were not flagged")
	fl.StringVar(&opts.LeakTime, "leak-time", "", "when the key leaked (RFC 3339); splits trusted history from suspect use")
	fl.Var(newDurationFlag(&opts.Lookback, 7*24*time.Hour), "lookback", "how far back to read the key's events for callers and created identities (max 90 days)")
	fl.BoolVar(&opts.NoAudit, "no-audit", false, "skip reading the key's events: no caller replay, no created identities")
	fl.StringVar(&opts.User, "user", "", "the key's owner if you know it: RAM user `NAME` or NAME@ALIAS.onaliyun.com (its UserPrincipalName: one lookup round fewer); IMS must confirm it")
	fl.StringVar(&opts.PolicyName, "policy-name", respond.DefaultPolicyName, "name of the deny-high-risk custom policy")
	fl.StringSliceVar(&opts.DenyActions, "deny-action", nil, "extra `product:Action` patterns to deny (repeatable)")
	fl.BoolVar(&opts.NoDenyPolicy, "no-deny-policy", false, "do not create or attach the deny-high-risk policy")
	fl.BoolVar(&opts.RequireMFA, "require-mfa", false, "require MFA at the owner's next console login")
	fl.BoolVar(&opts.ContainCreated, "contain-created", false, "also deny users and disable keys the leaked key created")
	fl.BoolVar(&opts.Replace, "replace", false, "set exactly the requested ACL sources, removing others the ACL in effect trusts (shown in the plan)")
	fl.BoolVar(&opts.Force, "force", false, "proceed past safety rails (self key, ACL cutting off production, widening the account policy, undo of the deny policy on an active key, undo over later changes)")
	fl.BoolVar(&opts.Status, "status", false, "show the key's current containment state and change nothing")
	fl.BoolVar(&opts.Undo, "undo", false, "revert the last contain run of the key from the journal")
	fl.BoolVar(&opts.UndoAll, "all", false, "with --undo: revert every contain run since the last complete undo")
	fl.BoolVar(&opts.ACLOnly, "acl-only", false, "with --undo: revert only the network ACL (the deny policy stays)")
	setOutputFormats(cmd, FormatTable, FormatJSON)
	return cmd
}

// exactKeyArg requires exactly one AK-ID argument (a usage error otherwise).
func exactKeyArg(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return UsageErrorf("%s takes exactly one AccessKey ID, got %d arguments", cmd.CommandPath(), len(args))
	}
	return nil
}

func validateContain(o *ContainOptions) error {
	id, err := policy.ParseAccessKeyID(o.KeyID)
	if err != nil {
		return NewUsageError(err)
	}
	o.KeyID = id
	if policy.IsSTS(id) {
		return UsageErrorf("contain %s: STS tokens cannot be contained one by one; deny the role they came from and wait for the token to expire", safetext.Line(id))
	}
	if o.LeakTime != "" {
		t, err := time.Parse(time.RFC3339, o.LeakTime)
		if err != nil {
			return UsageErrorf("--leak-time %q: want an RFC 3339 time such as 2026-11-20T03:00:00Z", o.LeakTime)
		}
		if err := checkFlagTime("leak-time", o.LeakTime, t, o.Now()); err != nil {
			return err
		}
		o.leakTime = t
	}
	if o.Lookback <= 0 || o.Lookback > 90*24*time.Hour {
		return UsageErrorf("--lookback %s: want a positive duration of at most 2160h (ActionTrail keeps 90 days)", o.Lookback)
	}
	if o.PolicyName == "" || len(o.PolicyName) > 128 || strings.IndexFunc(o.PolicyName, func(r rune) bool {
		return !(r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) >= 0 {
		return UsageErrorf("--policy-name %q: RAM policy names are 1-128 letters, digits and hyphens", o.PolicyName)
	}
	if o.Status && o.Undo {
		return UsageErrorf("--status and --undo are separate runs; pick one")
	}
	if o.DenyPublic && (len(o.AllowIPs) > 0 || o.TrustedFromAudit) {
		return UsageErrorf("--deny-public blocks every public source; it contradicts --allow-ip and --trusted-from-audit")
	}
	if o.User != "" {
		name, dom, hasDom := strings.Cut(o.User, "@")
		if name == "" || len(name) > 64 || hasDom && (dom == "" || strings.ContainsAny(dom, "@ ")) || strings.ContainsAny(name, " /\t") {
			return UsageErrorf("--user %q: want a RAM user name or its UserPrincipalName (name@alias.onaliyun.com)", o.User)
		}
	}
	if (o.UndoAll || o.ACLOnly) && !o.Undo {
		return UsageErrorf("--all and --acl-only only apply to --undo")
	}
	if o.Status || o.Undo {
		if o.User != "" || len(o.AllowIPs)+len(o.AllowVPCs) > 0 || o.DenyPublic || o.TrustedFromAudit || o.RequireMFA || o.ContainCreated || len(o.DenyActions) > 0 || o.NoDenyPolicy || o.Replace {
			return UsageErrorf("--status and --undo take no containment flags")
		}
		return nil
	}
	if o.Replace && len(o.AllowIPs)+len(o.AllowVPCs) == 0 && !o.DenyPublic && !o.TrustedFromAudit {
		return UsageErrorf("--replace replaces the ACL with the requested one: give --allow-ip, --allow-vpc, --deny-public or --trusted-from-audit")
	}
	if o.TrustedFromAudit && o.NoAudit {
		return UsageErrorf("--trusted-from-audit needs the key's events; drop --no-audit")
	}
	if o.NoDenyPolicy && len(o.DenyActions) > 0 {
		return UsageErrorf("--deny-action adds to the deny policy; it contradicts --no-deny-policy")
	}
	acl := respond.ACLRequest{AllowIPs: o.AllowIPs, AllowVPCs: o.AllowVPCs, DenyPublic: o.DenyPublic}
	if err := respond.ValidateACL(acl); err != nil {
		return NewUsageError(fmt.Errorf("contain %s: %w", safetext.Line(o.KeyID), err))
	}
	if len(o.DenyActions) > 0 {
		if _, err := policy.DenyHighRisk(policy.DenyOptions{Add: o.DenyActions}); err != nil {
			return NewUsageError(fmt.Errorf("--deny-action: %w", err))
		}
	}
	return nil
}

// retryCommand rebuilds the command line for "retry with" messages.
func retryCommand(cmd *cobra.Command, keyID string) string {
	parts := []string{cmd.CommandPath(), keyID}
	cmd.Flags().Visit(func(f *pflag.Flag) {
		switch f.Name {
		case "yes", "dry-run", "output":
			return
		}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			for _, v := range sv.GetSlice() {
				parts = append(parts, "--"+f.Name, shellQuote(v))
			}
			return
		}
		if f.Value.Type() == "bool" {
			parts = append(parts, "--"+f.Name)
			return
		}
		parts = append(parts, "--"+f.Name, shellQuote(f.Value.String()))
	})
	return strings.Join(append(parts, "--yes"), " ")
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:,=@", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func runContain(ctx context.Context, o *ContainOptions) error {
	s, err := o.Settings()
	if err != nil {
		return err
	}
	c, err := o.Backend(ctx)
	if err != nil {
		return err
	}
	keyID := safetext.Line(o.KeyID)
	if o.Status {
		st, err := respond.Status(ctx, c, s.StateDir, o.KeyID, o.PolicyName)
		if err != nil {
			return err
		}
		return printContainStatus(o.IO, s, st)
	}
	// Mutating runs hold the key's lock from before the plan until the end.
	if !s.DryRun {
		lock, err := state.LockKey(s.StateDir, o.KeyID, "contain", o.Now())
		if err != nil {
			return err
		}
		defer lock.Unlock()
	}
	view := newRespondView(o.IO, s, containSchema)
	defer view.flush()

	var p *respond.Plan
	if o.Undo {
		p, err = respond.PlanUndo(ctx, c, respond.UndoOptions{KeyID: o.KeyID, StateDir: s.StateDir, All: o.UndoAll, ACLOnly: o.ACLOnly, Force: o.Force, Now: o.Now})
	} else {
		var evf func(context.Context) (*respond.Evidence, error)
		if !o.NoAudit {
			evf = func(ctx context.Context) (*respond.Evidence, error) { return collectEvidence(ctx, c, o, s.StateDir) }
		}
		p, err = respond.PlanContain(ctx, c, respond.ContainOptions{
			KeyID: o.KeyID, ACL: respond.ACLRequest{AllowIPs: o.AllowIPs, AllowVPCs: o.AllowVPCs, DenyPublic: o.DenyPublic},
			TrustedFromAudit: o.TrustedFromAudit, NoDenyPolicy: o.NoDenyPolicy, PolicyName: o.PolicyName,
			ExtraActions: o.DenyActions, RequireMFA: o.RequireMFA, ContainCreated: o.ContainCreated,
			Force: o.Force, EvidenceFunc: evf, User: o.User, Replace: o.Replace, StateDir: s.StateDir, Now: o.Now,
		})
	}
	if err != nil {
		return err
	}
	view.Plan(p)
	if len(p.Diagnostics) > 0 {
		view.Diagnostics(p.Diagnostics)
	}
	if r := p.Blocked(); r != nil {
		view.refused(r)
		return &SafetyRailError{Rule: r.Rule, Detail: r.Detail, Override: r.Override}
	}
	if p.Changes() == 0 {
		_, err := respond.Execute(ctx, p, respond.ExecOptions{StateDir: s.StateDir, View: view, Now: o.Now})
		return err
	}
	verb := "contain " + keyID
	if o.Undo {
		verb = "undo the containment of " + keyID
	}
	if proceed, err := ConfirmPlan(ConfirmOptions{IO: o.IO, Prompter: o.Prompter, Yes: s.Yes, DryRun: s.DryRun,
		Verb: verb, Prompt: fmt.Sprintf("Apply %d change(s) to %s at %s?", p.Changes(), keyID, p.Operator.Endpoint)},
		func() error { view.dryRun(); return nil }); !proceed {
		return err
	}
	hard, stop := secondInterrupt(ctx)
	defer stop()
	retry := o.retry
	if o.Undo {
		// The undo that failed part-way is the last in the journal: the
		// same flags retry it (its restored actions are no-ops by then).
		retry = fmt.Sprintf("akresp contain %s --undo", o.KeyID)
		if o.UndoAll {
			retry += " --all"
		}
		if o.ACLOnly {
			retry += " --acl-only"
		}
		if o.Force {
			retry += " --force"
		}
		retry += " --yes"
	}
	_, err = respond.Execute(ctx, p, respond.ExecOptions{StateDir: s.StateDir, View: view, Now: o.Now, Hard: hard,
		RecheckAfter: 5 * time.Second, Retry: retry})
	return err
}

// secondInterrupt returns a context cancelled by the second SIGINT/SIGTERM
// of this run (STYLE 15): the first one cancels the command's context and
// stops new actions; the second abandons calls in flight.
func secondInterrupt(ctx context.Context) (context.Context, func()) {
	hard, cancel := context.WithCancel(context.WithoutCancel(ctx))
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		n := 0
		for {
			select {
			case <-ch:
				n++
				if n >= 2 {
					cancel()
					return
				}
			case <-done:
				return
			}
		}
	}()
	return hard, func() { signal.Stop(ch); close(done); cancel() }
}

// collectEvidence audits the key online (audit.Investigate over --lookback,
// reaching back 14 days before --leak-time for a baseline; at most the 90
// days ActionTrail keeps): the same facts, findings, suggested trusted
// CIDRs and created identities as `akresp audit`. PlanContain runs it
// alongside its own lookups.
func collectEvidence(ctx context.Context, c ContainCloud, o *ContainOptions, stateDir string) (*respond.Evidence, error) {
	now := o.Now()
	// The incident record, as audit reads it: the same verdict and trusted
	// sources (a key the attacker created has the attacker of the key that
	// created it, never a source to trust).
	rec, err := incident.Load(stateDir, o.KeyID)
	if err != nil {
		return nil, fmt.Errorf("contain %s: read the incident record: %w", safetext.Line(o.KeyID), err)
	}
	since := now.Add(-o.Lookback)
	if !o.leakTime.IsZero() && o.leakTime.Add(-14*24*time.Hour).Before(since) {
		since = o.leakTime.Add(-14 * 24 * time.Hour) // a baseline before the leak
	}
	if min := now.Add(-audit.LookupRetention); since.Before(min) {
		since = min
	}
	r, err := audit.Investigate(ctx, c, audit.InvestigateOptions{
		Engine: audit.Options{KeyID: o.KeyID, Now: now, LeakTime: o.leakTime},
		Since:  since, Until: now, Online: true, Incident: rec,
		// Containment is time-critical: read the regions the key used
		// (configured region, last-used records, regions the events
		// name), not all of them (docs/audit.md "Regions").
		Regions: []string{audit.RegionsUsed},
	})
	var unknown *cloud.UnknownKeyError
	if errors.As(err, &unknown) {
		return nil, unknown // the same answer as every other command
	}
	if err != nil {
		return nil, fmt.Errorf("contain %s: audit the key's recent events (use --no-audit to skip): %w", safetext.Line(o.KeyID), err)
	}
	return evidenceFromAudit(r), nil
}

// evidenceFromAudit keeps what contain needs from an audit result.
func evidenceFromAudit(r *audit.Result) *respond.Evidence {
	ev := &respond.Evidence{InUse: r.Verdict.Status == "in_use", Verdict: r.Verdict.Status, Onset: auditOnset(r)}
	if r.Key.OwnerType != "unknown" {
		ev.OwnerType = r.Key.OwnerType
	}
	for _, s := range r.Sources {
		ip, err := netip.ParseAddr(s.IP)
		if err != nil || s.Internal {
			continue // service host names and VPC-internal sources are not judged by the public ACL
		}
		// Flagged here is the attacker's (IPSummary.Attacker): a known
		// source flagged only for a sensitive write is a legitimate caller
		// the fence's replay counts (and warns about cutting off).
		ev.Callers = append(ev.Callers, respond.Caller{IP: ip, FirstSeen: s.FirstSeen, LastSeen: s.LastSeen, Count: s.Count, Flagged: s.Attacker})
	}
	for _, c := range r.Verdict.SuggestedTrustedCIDRs {
		if p, err := policy.ParseCIDR(c); err == nil {
			ev.SuggestedTrusted = append(ev.SuggestedTrusted, p)
		}
	}
	attacker := slices.ContainsFunc(r.Sources, func(s audit.IPSummary) bool { return s.Attacker })
	for _, c := range r.Created {
		// Made from a source of the key's own while another is the
		// attacker's: --contain-created leaves it alone.
		ev.Created = append(ev.Created, respond.CreatedIdentity{Kind: c.Kind, Name: c.Name, User: c.User, EventName: c.Action, EventTime: c.Event.Time,
			SourceIP: c.Event.SourceIP, Owners: attacker && !c.Attacker})
	}
	ev.CreatedKeys = r.AttackerKeys()
	return ev
}

// auditOnset is when the audit saw the suspicious use begin, the onset an
// audit journals (audit.Result.FirstSuspicious: the first call of the
// attacker's source, else the first high finding; --leak-time is the
// report's fallback and its own row, not the onset); zero when nothing is
// suspicious.
func auditOnset(r *audit.Result) time.Time {
	if r.Verdict.Status != audit.StatusSuspectedLeak {
		return time.Time{}
	}
	t, _ := r.FirstSuspicious()
	return t
}

// ---- views ----

// respondView shows a contain/disable run: on a table run, the plan and the
// summary go to stdout, progress to stderr; under -o json, stdout gets one
// document at the end and stderr only progress lines.
type respondView struct {
	io     *IOStreams
	s      *Settings
	schema string
	json   bool

	plan *respond.Plan
	// disable's facts.
	lastUse    *respond.LastUse
	disabledAt *time.Time
	recycleBin string
	outcomes   []actionResult
	diags      []respond.Diagnostic
	summary    *respond.Summary
	refusal    *respond.RailError
	dry        bool
	flushed    bool
}

// respondDoc is the JSON output of contain and disable (schema
// akresp.contain/v3, akresp.disable/v3).
type respondDoc struct {
	SchemaVersion string               `json:"schema_version"`
	DryRun        bool                 `json:"dry_run"`
	Plan          *respond.Plan        `json:"plan"`
	Outcomes      []actionResult       `json:"outcomes"`
	Summary       *respond.Summary     `json:"summary,omitempty"`
	Refused       *respond.RailError   `json:"refused,omitempty"`
	Diagnostics   []respond.Diagnostic `json:"diagnostics,omitempty"`
	LastUse       *respond.LastUse     `json:"last_use,omitempty"`
	DisabledAt    *time.Time           `json:"disabled_at,omitempty"`
	RecycleBin    string               `json:"recycle_bin,omitempty"`
}

type actionResult struct {
	ID      string          `json:"id"`
	Outcome respond.Outcome `json:"outcome"`
}

func newRespondView(ios *IOStreams, s *Settings, schema string) *respondView {
	return &respondView{io: ios, s: s, schema: schema, json: s.Output == FormatJSON}
}

func (v *respondView) Plan(p *respond.Plan) {
	v.plan = p
	// The operator and endpoint go to stderr before any change, always.
	fmt.Fprintf(v.io.ErrOut, "akresp runs as %s (account %s) against %s\n", orNone(p.Operator.Arn), orNone(p.Operator.AccountID), orNone(p.Operator.Endpoint))
	if v.json {
		return
	}
	writePlan(v.io.Out, p, v.io.Palette())
}

func (v *respondView) ActionStarted(a *respond.Action) {
	fmt.Fprintf(v.io.ErrOut, "… %s\n", a.Summary)
}

func (v *respondView) ActionDone(a *respond.Action, o respond.Outcome) {
	v.outcomes = append(v.outcomes, actionResult{ID: a.ID, Outcome: o})
	mark := map[string]string{respond.OutcomeApplied: "✓", respond.OutcomeAlready: "=", respond.OutcomeNoop: "="}[o.Status]
	if mark == "" {
		mark = "✗"
	}
	line := fmt.Sprintf("%s %s: %s", mark, a.Summary, o.Status)
	if o.RequestID != "" {
		line += " (request " + o.RequestID + ")"
	}
	if o.Error != "" {
		line += ": " + o.Error
	}
	fmt.Fprintln(v.io.ErrOut, line)
}

func (v *respondView) Diagnostics(d []respond.Diagnostic) {
	v.diags = append(v.diags, d...)
	for _, x := range d {
		line := fmt.Sprintf("%s: %s: %s", x.Severity, x.Target, x.Summary)
		if x.Detail != "" {
			line += ": " + x.Detail
		}
		fmt.Fprintln(v.io.ErrOut, line)
	}
}

func (v *respondView) Summary(s *respond.Summary) {
	v.summary = s
	if v.json {
		return
	}
	w := v.io.Out
	fmt.Fprintf(w, "\nResult: %s\n", s.Message)
	for _, c := range s.Checks {
		mark := "ok "
		if !c.OK {
			mark = "NOT"
		}
		fmt.Fprintf(w, "  %s %s: %s\n", mark, c.Name, c.Detail)
	}
	if s.Retry != "" {
		fmt.Fprintf(w, "Retry: %s\n", s.Retry)
	}
	if s.Journal != "" {
		fmt.Fprintf(w, "Journal: %s\n", s.Journal)
	}
	for _, n := range s.Next {
		fmt.Fprintf(w, "Next: %s\n", n)
	}
}

func (v *respondView) refused(r *respond.RailError) { v.refusal = r }
func (v *respondView) dryRun() {
	v.dry = true
	if !v.json {
		fmt.Fprintln(v.io.Out, "\nDry run: nothing changed.")
	}
}

// flush writes the JSON document (once), whatever path the run took.
func (v *respondView) flush() {
	if !v.json || v.flushed || v.plan == nil {
		return
	}
	v.flushed = true
	doc := respondDoc{SchemaVersion: v.schema, DryRun: v.dry, Plan: v.plan, Outcomes: v.outcomes, Summary: v.summary,
		Refused: v.refusal, Diagnostics: v.diags, LastUse: v.lastUse, DisabledAt: v.disabledAt, RecycleBin: v.recycleBin}
	if doc.Outcomes == nil {
		doc.Outcomes = []actionResult{}
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		fmt.Fprintf(v.io.ErrOut, "encode JSON output: %v\n", err)
		return
	}
	v.io.Out.Write(append(b, '\n'))
}

// createdStateText is CreatedIdentity.Current for people.
func createdStateText(c respond.CreatedIdentity) string {
	switch c.Current {
	case "exists_mfa_required":
		return "exists (MFA required)"
	case "not_checked":
		return "not checked"
	case "unknown":
		if c.CurrentError != "" {
			return "unknown (" + c.CurrentError + ")"
		}
	}
	return c.Current
}

func orNone(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

// writePlan renders a plan for people, coloured like terraform's plan
// when pal is on: changes yellow, irreversible steps and what goes away
// red, what a step leaves in place green. Text is escaped as it goes into
// st; only the palette's codes are raw.
func writePlan(out io.Writer, p *respond.Plan, pal Palette) {
	var st styledText
	w := &st
	defer func() { _ = writeStyled(out, &st) }()
	k := p.Key
	fmt.Fprintf(w, "Plan: %s %s (plan %s)\n", p.Command, k.AccessKeyID, p.Hash)
	owner := k.Owner
	if k.OwnerType == respond.OwnerRoot {
		owner = "root account"
	}
	if owner != "" || k.Status != "" {
		fmt.Fprintf(w, "Key: owner %s, status %s\n", orNone(owner), orNone(k.Status))
	}
	if p.Command == respond.CmdContain {
		acl := "none"
		if k.ACL != "" {
			acl = string(k.ACL)
		}
		fmt.Fprintf(w, "Current network ACL: %s\n", acl)
		if e := p.Effective; e != nil {
			fmt.Fprintf(w, "Effective network policy: %s\n", e.Summary)
			if e.AccountLevel != "" || e.AccountError != "" {
				fmt.Fprintf(w, "  account level: %s\n", orText(string(e.AccountLevel), "unreadable: "+e.AccountError))
				fmt.Fprintf(w, "  precedence: %s\n", e.Precedence)
			}
		}
		if e := p.EffectiveAfter; e != nil && p.Effective != nil && e.Summary != p.Effective.Summary {
			fmt.Fprintf(w, "Effective after the plan: %s\n", e.Summary)
		}
		if len(k.AttachedPolicies) > 0 {
			fmt.Fprintf(w, "Attached policies: %s\n", strings.Join(k.AttachedPolicies, ", "))
		}
	}
	fmt.Fprintln(w)
	if len(p.Actions) == 0 {
		fmt.Fprintln(w, "No actions.")
	}
	for i, a := range p.Actions {
		tag := pal.Change("[change]")
		switch {
		case a.Noop:
			tag = pal.Dim("[no change]")
		case !a.Reversible:
			tag = pal.Remove("[IRREVERSIBLE]")
		}
		fmt.Fprintf(w, "%d. ", i+1)
		st.Raw(tag)
		fmt.Fprintf(w, " %s\n", a.Summary)
		if a.Noop {
			fmt.Fprintf(w, "     already: %s\n", a.AfterText)
		} else {
			st.Raw("     " + pal.Remove("now:") + "     " + pal.Remove(safetext.Escape(a.BeforeText)) + "\n")
			st.Raw("     " + pal.Add("will be:") + " " + pal.Add(safetext.Escape(a.AfterText)) + "\n")
		}
		for _, x := range a.Warnings {
			st.Raw("     " + pal.Warn("warning:") + " ")
			fmt.Fprintf(w, "%s\n", x)
		}
	}
	if b := p.Blast; b != nil && len(b.Callers) > 0 {
		// Of the callers cut off, how many are legitimate ones of the
		// last 24h: "0 of 2 legitimate callers" read as if none kept access.
		var recent string
		switch {
		case b.Recent == 0:
			recent = "no legitimate caller in the last 24h"
		case b.Recent == 1 && b.RecentCutOff == 0:
			recent = "not the legitimate caller of the last 24h"
		case b.Recent == 1:
			recent = "the legitimate caller of the last 24h among them"
		case b.RecentCutOff == 0:
			recent = fmt.Sprintf("none of the %d legitimate callers of the last 24h", b.Recent)
		default:
			recent = fmt.Sprintf("%d of the %d legitimate callers of the last 24h among them", b.RecentCutOff, b.Recent)
		}
		fmt.Fprintf(w, "\nRecent callers replayed against the new ACL (%d cut off; %s):\n", b.CutOff, recent)
		callers := append([]respond.CallerImpact(nil), b.Callers...)
		sort.SliceStable(callers, func(i, j int) bool { return callers[i].CutOff && !callers[j].CutOff })
		for _, c := range callers {
			verdict := "keeps access"
			if c.CutOff {
				verdict = "CUT OFF"
			}
			// Padded before colouring, so the columns stay aligned.
			verdict = pal.Verdict(verdict, fmt.Sprintf("%-12s", verdict))
			flag := ""
			if c.Flagged {
				flag = " [flagged by audit]"
			}
			fmt.Fprintf(w, "  %-15s ", c.IP)
			st.Raw(verdict)
			fmt.Fprintf(w, " last seen %s, %d call(s)%s\n", c.LastSeen.UTC().Format(time.RFC3339), c.Count, flag)
		}
	}
	if len(p.Removals) > 0 {
		fmt.Fprintln(w, "\nSources the ACL in effect trusts that --replace REMOVES:")
		for _, r := range p.Removals {
			who := "no legitimate caller of the last 24h"
			if len(r.Callers) > 0 {
				ips := make([]string, len(r.Callers))
				for i, c := range r.Callers {
					ips[i] = fmt.Sprintf("%s (last seen %s)", c.IP, c.LastSeen.UTC().Format(time.RFC3339))
				}
				who = "loses access: " + strings.Join(ips, ", ")
			}
			st.Raw("  " + pal.Remove("- "+safetext.Escape(r.Scope+" "+r.Entry)))
			fmt.Fprintf(w, ": %s\n", who)
		}
	}
	if len(p.Created) > 0 {
		fmt.Fprintln(w, "\nIdentities the key created or changed:")
		for _, c := range p.Created {
			who := c.Name
			if c.User != "" && c.User != c.Name {
				who += " (user " + c.User + ")"
			}
			fmt.Fprintf(w, "  %-17s %s via %s at %s: now %s\n", c.Kind, who, orNone(c.EventName), c.EventTime.UTC().Format(time.RFC3339), createdStateText(c))
		}
	}
	for _, n := range p.Notes {
		fmt.Fprintf(w, "Note: %s\n", n)
	}
	for _, r := range p.Rails {
		state := "REFUSED"
		if p.Forced && r.Override != "" {
			state = "overridden by --force"
		}
		st.Raw(pal.Error(safetext.Escape("Safety rail " + r.Rule + " (" + state + ")")))
		fmt.Fprintf(w, ": %s\n", r.Detail)
	}
}

// containStatusDoc is `contain --status -o json`.
type containStatusDoc struct {
	SchemaVersion string `json:"schema_version"`
	*respond.ContainStatus
}

func printContainStatus(ios *IOStreams, s *Settings, st *respond.ContainStatus) error {
	if s.Output == FormatJSON {
		b, err := json.MarshalIndent(containStatusDoc{containStatusSchema, st}, "", "  ")
		if err != nil {
			return err
		}
		_, err = ios.Out.Write(append(b, '\n'))
		return err
	}
	w := ios.Out
	owner := st.Owner
	if st.OwnerType == respond.OwnerRoot {
		owner = "root account"
	}
	fmt.Fprintf(w, "Key:          %s (owner %s, %s)\n", st.KeyID, orNone(owner), st.KeyStatus)
	fmt.Fprintf(w, "State:        %s\n", st.State)
	if st.State == respond.StateDeleted {
		// No policy applies to a key that no longer exists.
		fmt.Fprintf(w, "Network ACL:  %s\n", st.ACLSummary)
		printContainStatusTail(w, st)
		return nil
	}
	fmt.Fprintf(w, "Network ACL:  %s (key level)\n", st.ACLSummary)
	acct := describeDoc(string(st.Effective.AccountLevel))
	if st.Effective.AccountError != "" {
		acct = "unreadable: " + st.Effective.AccountError
	}
	fmt.Fprintf(w, "Account ACL:  %s\n", acct)
	fmt.Fprintf(w, "Effective:    %s\n", st.Effective.Summary)
	if st.Effective.PublicOpen {
		fmt.Fprintf(w, "Public:       OPEN (%s)\n", st.Effective.PublicReason)
	} else {
		fmt.Fprintf(w, "Public:       restricted\n")
	}
	fmt.Fprintf(w, "Precedence:   %s\n", st.Effective.Precedence)
	printContainStatusTail(w, st)
	return nil
}

// printContainStatusTail prints the deny policy, the journal's runs and
// what is left to do.
func printContainStatusTail(w io.Writer, st *respond.ContainStatus) {
	if st.OwnerType == respond.OwnerRAMUser {
		att := "not attached"
		if st.DenyPolicy.Attached {
			att = "attached"
		}
		fmt.Fprintf(w, "Deny policy:  %s %s\n", st.DenyPolicy.PolicyName, att)
	}
	if st.LastRun != "" {
		fmt.Fprintf(w, "Last run:     %s\n", st.LastRun)
	}
	for _, p := range st.Pending {
		fmt.Fprintf(w, "Interrupted:  %s (re-run the command to complete it)\n", p)
	}
	for _, n := range st.Notes {
		fmt.Fprintf(w, "Note:         %s\n", n)
	}
	for _, n := range st.Next {
		fmt.Fprintf(w, "Next:         %s\n", n)
	}
}

// orText returns s, or alt when s is empty.
func orText(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// describeDoc shows an account-level document ("none" when empty).
func describeDoc(doc string) string {
	if doc == "" {
		return "none"
	}
	return doc
}
