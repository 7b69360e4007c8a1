// Package preflight checks an Alibaba Cloud account's readiness for an
// AccessKey incident, before one happens: the trail (exists, logging, all
// regions, all events, delivered to SLS and/or OSS), ActionTrail Insights,
// the root account's AccessKeys, console users' MFA, the account-level
// AccessKey network policy, akresp's own permissions per command and
// Security Center's leak records. Each check passes, warns or fails and
// carries the fix. Only --fix changes anything: it enables the Insights
// types that are off (EnableInsight), after confirmation.
package preflight

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/akresp/akresp/internal/cloud"
)

// SchemaVersion versions the JSON document of a preflight.
const SchemaVersion = "akresp.preflight/v1"

// Check statuses, in increasing order of gravity.
const (
	Pass = "pass"
	Warn = "warn"
	Fail = "fail"
)

// Rank orders statuses: pass 0, warn 1, fail 2.
func Rank(status string) int {
	switch status {
	case Fail:
		return 2
	case Warn:
		return 1
	}
	return 0
}

// Check ids, stable for scripts.
const (
	CheckTrailExists    = "trail_exists"
	CheckTrailLogging   = "trail_logging"
	CheckTrailRegions   = "trail_all_regions"
	CheckTrailEvents    = "trail_all_events"
	CheckTrailDelivery  = "trail_delivery"
	CheckInsights       = "insights_enabled"
	CheckRootKey        = "root_access_key"
	CheckConsoleMFA     = "console_users_mfa"
	CheckAccountACL     = "account_network_policy"
	CheckPermissions    = "akresp_permissions"
	CheckSecurityCenter = "security_center_leaks"
)

// Check is one readiness check.
type Check struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Status string `json:"status"`
	Detail string `json:"detail"`
	// Fix says what to do when the check does not pass; FixCommand is the
	// akresp command that fixes it, when there is one.
	Fix        string `json:"fix,omitempty"`
	FixCommand string `json:"fix_command,omitempty"`
	// Items are the names the check is about (users, commands, trails).
	Items []string `json:"items,omitempty"`
	// Commands are, for the permission check, each command's verdict.
	Commands []CommandPermission `json:"commands,omitempty"`
}

// CommandPermission says whether akresp's identity may run one command.
type CommandPermission struct {
	Command string   `json:"command"`
	Allowed bool     `json:"allowed"`
	Missing []string `json:"missing,omitempty"` // RAM actions not allowed
	Denied  []string `json:"denied,omitempty"`  // "action (policy NAME)" explicitly denied
}

// Result is a preflight run.
type Result struct {
	SchemaVersion string    `json:"schema_version"`
	CheckedAt     time.Time `json:"checked_at"`
	AccountID     string    `json:"account_id,omitempty"`
	Identity      string    `json:"identity,omitempty"` // the caller's ARN
	Checks        []Check   `json:"checks"`
	Summary       Summary   `json:"summary"`
	// Fixed lists what --fix changed, e.g. "EnableInsight AkInsight".
	Fixed []string `json:"fixed,omitempty"`
}

// Summary counts the checks by status.
type Summary struct {
	Pass  int    `json:"pass"`
	Warn  int    `json:"warn"`
	Fail  int    `json:"fail"`
	Worst string `json:"worst"`
}

// Cloud is what the checks read (satisfied by *cloud.Clients).
type Cloud interface {
	Trails(ctx context.Context) ([]cloud.Trail, error)
	GetTrailStatus(ctx context.Context, name string) (cloud.TrailStatus, error)
	EnabledInsightTypes(ctx context.Context) (map[string]bool, error)
	CredentialReport(ctx context.Context) ([]cloud.CredentialReportRow, error)
	GetAccessKeyPolicyForAccount(ctx context.Context) (string, error)
	GetCallerIdentity(ctx context.Context) (cloud.CallerIdentity, error)
	ListPoliciesForUser(ctx context.Context, userName string) ([]cloud.AttachedPolicy, error)
	ListGroupsForUser(ctx context.Context, userName string) ([]cloud.Group, error)
	ListPoliciesForGroup(ctx context.Context, groupName string) ([]cloud.AttachedPolicy, error)
	GetPolicy(ctx context.Context, name, policyType string) (cloud.Policy, error)
	AccessKeyLeaks(ctx context.Context, q cloud.LeakQuery) ([]cloud.LeakRecord, error)
}

// Fixer changes what --fix changes (satisfied by *cloud.Clients).
type Fixer interface {
	EnableInsight(ctx context.Context, insightType string) (string, error)
}

// RequiredInsights must be enabled: AkInsight is the one the leak response
// plan relies on ("Detect abnormal AccessKey calls based on historical
// behavior"); the others are what audit and watch read.
var (
	RequiredInsights    = []string{"AkInsight"}
	RecommendedInsights = []string{"IpInsight", "ApiErrorRateInsight", "TrailConcealmentInsight"}
)

// Run runs every check. It fails only when the context ends; a check that
// cannot read what it needs fails (or warns) itself, naming the error.
func Run(ctx context.Context, c Cloud, now time.Time) (*Result, error) {
	r := &Result{SchemaVersion: SchemaVersion, CheckedAt: now.UTC().Truncate(time.Second)}
	id, idErr := c.GetCallerIdentity(ctx)
	if idErr == nil {
		r.AccountID, r.Identity = id.AccountID, id.Arn
	}
	r.Checks = append(r.Checks, trailChecks(ctx, c)...)
	r.Checks = append(r.Checks, insightsCheck(ctx, c))
	r.Checks = append(r.Checks, credentialChecks(ctx, c)...)
	r.Checks = append(r.Checks, accountACLCheck(ctx, c))
	r.Checks = append(r.Checks, permissionsCheck(ctx, c, id, idErr))
	r.Checks = append(r.Checks, securityCenterCheck(ctx, c))
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.summarise()
	return r, nil
}

func (r *Result) summarise() {
	r.Summary = Summary{Worst: Pass}
	for _, ch := range r.Checks {
		switch ch.Status {
		case Pass:
			r.Summary.Pass++
		case Warn:
			r.Summary.Warn++
		case Fail:
			r.Summary.Fail++
		}
		if Rank(ch.Status) > Rank(r.Summary.Worst) {
			r.Summary.Worst = ch.Status
		}
	}
}

// AtLeast counts the checks at or above status.
func (r *Result) AtLeast(status string) int {
	n := 0
	for _, ch := range r.Checks {
		if Rank(ch.Status) >= Rank(status) {
			n++
		}
	}
	return n
}

// Check returns the check with id, or nil.
func (r *Result) Check(id string) *Check {
	for i := range r.Checks {
		if r.Checks[i].ID == id {
			return &r.Checks[i]
		}
	}
	return nil
}

// MissingInsights returns the required and recommended Insights types the
// insights check found disabled (what --fix would enable).
func (r *Result) MissingInsights() []string {
	ch := r.Check(CheckInsights)
	if ch == nil || ch.Status == Pass {
		return nil
	}
	return ch.Items
}

// Fix enables the given Insights types and records them in r.Fixed.
func Fix(ctx context.Context, f Fixer, r *Result, types []string) error {
	for _, t := range types {
		if _, err := f.EnableInsight(ctx, t); err != nil {
			return fmt.Errorf("enable ActionTrail Insights type %s: %w", t, err)
		}
		r.Fixed = append(r.Fixed, "EnableInsight "+t)
	}
	return nil
}

func errText(err error) string {
	var ae *cloud.APIError
	if errors.As(err, &ae) && ae.Code != "" {
		return ae.Code + ": " + ae.Message
	}
	return err.Error()
}

// --- trail -------------------------------------------------------------------

func trailChecks(ctx context.Context, c Cloud) []Check {
	const fixCreate = "create a trail that records all events (EventRW All) of all regions and delivers them to SLS (for watch --sls and audit --sls) and/or OSS: ActionTrail console > Trails > Create Trail, or CreateTrail + StartLogging"
	trails, err := c.Trails(ctx)
	if err != nil {
		return []Check{{ID: CheckTrailExists, Title: "An ActionTrail trail exists", Status: Fail,
			Detail: "DescribeTrails failed: " + errText(err), Fix: "grant actiontrail:DescribeTrails to akresp's identity and re-run"}}
	}
	if len(trails) == 0 {
		return []Check{{ID: CheckTrailExists, Title: "An ActionTrail trail exists", Status: Fail,
			Detail: "no trail: events are kept 90 days only, and only LookupEvents can read them", Fix: fixCreate}}
	}
	// Pick the best trail: logging first, then all regions, all events,
	// then by name.
	type scored struct {
		t      cloud.Trail
		st     cloud.TrailStatus
		stErr  error
		points int
	}
	var list []scored
	for _, t := range trails {
		s := scored{t: t}
		s.st, s.stErr = c.GetTrailStatus(ctx, t.Name)
		if s.stErr == nil && s.st.IsLogging {
			s.points += 4
		}
		if strings.EqualFold(t.TrailRegion, "All") {
			s.points += 2
		}
		if strings.EqualFold(t.EventRW, "All") {
			s.points++
		}
		list = append(list, s)
	}
	sort.SliceStable(list, func(i, j int) bool {
		if list[i].points != list[j].points {
			return list[i].points > list[j].points
		}
		return list[i].t.Name < list[j].t.Name
	})
	best := list[0]
	names := make([]string, 0, len(trails))
	for _, s := range list {
		names = append(names, s.t.Name)
	}
	out := []Check{{ID: CheckTrailExists, Title: "An ActionTrail trail exists", Status: Pass,
		Detail: fmt.Sprintf("%d trail(s); checking %s", len(trails), best.t.Name), Items: names}}

	lg := Check{ID: CheckTrailLogging, Title: "The trail is logging", Items: []string{best.t.Name}}
	switch {
	case best.stErr != nil:
		lg.Status, lg.Detail, lg.Fix = Fail, "GetTrailStatus "+best.t.Name+" failed: "+errText(best.stErr), "grant actiontrail:GetTrailStatus to akresp's identity and re-run"
	case !best.st.IsLogging:
		lg.Status, lg.Detail = Fail, best.t.Name+" is not logging: nothing is delivered beyond the 90 days LookupEvents keeps"
		if !best.st.StopLoggingTime.IsZero() {
			lg.Detail += " (stopped " + best.st.StopLoggingTime.UTC().Format(time.RFC3339) + ")"
		}
		lg.Fix = "start it: ActionTrail StartLogging Name=" + best.t.Name + "; if nobody meant to stop it, audit who did (a stopped trail is a defence-evasion step)"
	default:
		lg.Status, lg.Detail = Pass, best.t.Name+" is logging"
	}
	out = append(out, lg)

	rg := Check{ID: CheckTrailRegions, Title: "The trail covers all regions", Items: []string{best.t.Name}}
	if strings.EqualFold(best.t.TrailRegion, "All") {
		rg.Status, rg.Detail = Pass, best.t.Name+" records every region"
	} else {
		rg.Status, rg.Detail = Warn, fmt.Sprintf("%s records only %q: an attacker working in another region (cost abuse usually does) is not delivered", best.t.Name, best.t.TrailRegion)
		rg.Fix = "UpdateTrail Name=" + best.t.Name + " TrailRegion=All"
	}
	out = append(out, rg)

	ev := Check{ID: CheckTrailEvents, Title: "The trail records read and write events", Items: []string{best.t.Name}}
	if strings.EqualFold(best.t.EventRW, "All") {
		ev.Status, ev.Detail = Pass, best.t.Name+" records all events (EventRW All)"
	} else {
		ev.Status, ev.Detail = Warn, fmt.Sprintf("%s records %s events only: the enumeration that follows a leak (List*/Describe*) is not delivered", best.t.Name, cmpOr(best.t.EventRW, "Write"))
		ev.Fix = "UpdateTrail Name=" + best.t.Name + " EventRW=All"
	}
	out = append(out, ev)

	dl := Check{ID: CheckTrailDelivery, Title: "The trail delivers to SLS and/or OSS", Items: []string{best.t.Name}}
	var dest []string
	if best.t.SlsProjectArn != "" {
		dest = append(dest, "SLS "+best.t.SlsProjectArn)
	}
	if best.t.OssBucketName != "" {
		dest = append(dest, "OSS bucket "+best.t.OssBucketName)
	}
	switch {
	case len(dest) == 0:
		dl.Status, dl.Detail, dl.Fix = Fail, best.t.Name+" delivers nowhere", "UpdateTrail Name="+best.t.Name+" with SlsProjectArn (queryable: audit --sls, watch) and/or OssBucketName (archive: audit --trail)"
	case best.st.LatestDeliveryError != "" || best.st.LatestSLSDeliveryErr != "":
		dl.Status, dl.Detail = Warn, fmt.Sprintf("%s delivers to %s, but the last delivery failed: %s", best.t.Name, strings.Join(dest, " and "), strings.TrimSpace(best.st.LatestDeliveryError+" "+best.st.LatestSLSDeliveryErr))
		dl.Fix = "check the delivery role and the bucket or project"
	default:
		dl.Status, dl.Detail = Pass, best.t.Name+" delivers to "+strings.Join(dest, " and ")
		if best.t.SlsProjectArn == "" {
			dl.Detail += " (no SLS: audit --sls and SLS alert rules are not available; audit --trail reads the OSS files)"
		}
	}
	out = append(out, dl)
	return out
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// --- Insights ----------------------------------------------------------------

func insightsCheck(ctx context.Context, c Cloud) Check {
	ch := Check{ID: CheckInsights, Title: "ActionTrail Insights is enabled"}
	on, err := c.EnabledInsightTypes(ctx)
	if err != nil {
		ch.Status, ch.Detail, ch.Fix = Fail, "GetInsightTypes failed: "+errText(err), "check that ActionTrail Insights is available to the account, then re-run"
		return ch
	}
	var missingReq, missingRec []string
	for _, t := range RequiredInsights {
		if !on[t] {
			missingReq = append(missingReq, t)
		}
	}
	for _, t := range RecommendedInsights {
		if !on[t] {
			missingRec = append(missingRec, t)
		}
	}
	ch.Items = append(slices.Clone(missingReq), missingRec...)
	switch {
	case len(missingReq) > 0:
		ch.Status = Fail
		ch.Detail = "Insights disabled: " + strings.Join(ch.Items, ", ") + " off; abnormal AccessKey call rates (AkInsight) are not detected from the key's own history"
	case len(missingRec) > 0:
		ch.Status = Warn
		ch.Detail = "AkInsight is on; " + strings.Join(missingRec, ", ") + " off"
	default:
		ch.Status, ch.Detail = Pass, "AkInsight, "+strings.Join(RecommendedInsights, ", ")+" are on"
		ch.Items = nil
		return ch
	}
	ch.Fix = "enable them (ActionTrail console > Insights > Enable Insights, or EnableInsight InsightType=...)"
	ch.FixCommand = "akresp preflight --fix"
	return ch
}

// --- credentials -------------------------------------------------------------

func isRootRow(user string) bool {
	u := strings.ToLower(strings.Trim(user, "<>"))
	return u == "root" || u == "root_account"
}

func credentialChecks(ctx context.Context, c Cloud) []Check {
	rows, err := c.CredentialReport(ctx)
	if err != nil {
		d := "the IMS credential report failed: " + errText(err)
		fix := "grant ram:GenerateCredentialReport and ram:GetCredentialReport to akresp's identity and re-run"
		return []Check{
			{ID: CheckRootKey, Title: "The root account has no AccessKey", Status: Warn, Detail: d, Fix: fix},
			{ID: CheckConsoleMFA, Title: "Console users have MFA", Status: Warn, Detail: d, Fix: fix},
		}
	}
	root := Check{ID: CheckRootKey, Title: "The root account has no AccessKey", Status: Pass, Detail: "no AccessKey on the root account"}
	mfa := Check{ID: CheckConsoleMFA, Title: "Console users have MFA", Status: Pass}
	console := 0
	for _, row := range rows {
		if isRootRow(row.User) {
			n, active := 0, 0
			for _, k := range row.Keys {
				if k.Exist {
					n++
					if k.Active {
						active++
					}
				}
			}
			if n > 0 {
				root.Status = Warn
				root.Detail = fmt.Sprintf("the root account has %d AccessKey(s) (%d active): a leaked root key has every permission and no RAM policy or network ACL of a user can limit it", n, active)
				root.Fix = "move its callers to RAM users or roles, then disable and delete the root key (console: AccessKey management, signed in as root); the idle sweep shows its last use, and akresp watch alerts on every use meanwhile"
				root.FixCommand = "akresp audit --idle"
			}
			continue
		}
		if !row.PasswordExist {
			continue
		}
		console++
		if !row.MFAActive {
			mfa.Items = append(mfa.Items, userName(row.User))
		}
	}
	sort.Strings(mfa.Items)
	if len(mfa.Items) > 0 {
		mfa.Status = Warn
		mfa.Detail = fmt.Sprintf("%d of %d console users have no MFA: %s", len(mfa.Items), console, strings.Join(mfa.Items, ", "))
		mfa.Fix = "bind a virtual MFA device to each, or require it at next login (UpdateLoginProfile MFABindRequired=true); contain does this for a suspected user"
		mfa.FixCommand = "akresp audit --idle"
	} else {
		mfa.Detail = fmt.Sprintf("all %d console users have MFA", console)
	}
	return []Check{root, mfa}
}

// userName strips the UPN domain of a credential report user.
func userName(upn string) string {
	name, _, _ := strings.Cut(upn, "@")
	return name
}

// --- account-level network policy ------------------------------------------

func accountACLCheck(ctx context.Context, c Cloud) Check {
	ch := Check{ID: CheckAccountACL, Title: "Account-level AccessKey network policy"}
	doc, err := c.GetAccessKeyPolicyForAccount(ctx)
	if err != nil {
		ch.Status, ch.Detail, ch.Fix = Warn, "GetAccessKeyPolicyForAccount failed: "+errText(err), "grant ram:GetAccessKeyPolicyForAccount to akresp's identity and re-run"
		return ch
	}
	var p struct {
		Status     string `json:"Status"`
		Statements []struct {
			IPList []string `json:"IpList"`
		} `json:"Statements"`
	}
	active := false
	if doc != "" {
		if json.Unmarshal([]byte(doc), &p) == nil && strings.EqualFold(p.Status, "Active") {
			active = true
		}
	}
	if active {
		n := 0
		for _, s := range p.Statements {
			n += len(s.IPList)
		}
		ch.Status, ch.Detail = Pass, fmt.Sprintf("present and active (%d allowed entries): permanent keys without a key-level policy only work from those networks", n)
		return ch
	}
	ch.Status = Warn
	ch.Detail = "not present: a leaked key works from anywhere on the Internet until someone contains it"
	ch.Fix = "set one with your offices' and servers' egress CIDRs (IMS SetAccessKeyPolicyForAccount); akresp contain fences one key at a time"
	return ch
}

// --- Security Center ---------------------------------------------------------

func securityCenterCheck(ctx context.Context, c Cloud) Check {
	ch := Check{ID: CheckSecurityCenter, Title: "Security Center leak records are readable"}
	recs, err := c.AccessKeyLeaks(ctx, cloud.LeakQuery{Status: cloud.LeakPending})
	if err != nil {
		ch.Status, ch.Detail = Warn, "DescribeAccesskeyLeakList failed: "+errText(err)
		ch.Fix = "grant yundun-aegis:DescribeAccesskeyLeakList (and yundun-sas:ModifyAccessKeyLeakDeal for leaks resolve); akresp leaks and the report's leak record need it"
		return ch
	}
	ch.Status = Pass
	ch.Detail = fmt.Sprintf("readable: %d pending leak record(s)", len(recs))
	if len(recs) > 0 {
		ch.FixCommand = "akresp leaks"
	}
	return ch
}
