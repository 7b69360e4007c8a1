package audit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/incident"
)

// SweepSchemaVersion names the JSON schema of SweepResult. Field names
// under it are stable: the weekly cron parses them.
const SweepSchemaVersion = "akresp.sweep/v2"

// Key classes of the sweep.
const (
	ClassNeverUsed         = "never_used"         // active, no recorded use
	ClassIdle              = "idle"               // active, last used more than IdleDays ago
	ClassUnrotated         = "unrotated"          // active, older than MaxAgeDays
	ClassMultipleActive    = "multiple_active"    // the owner has more than one active key
	ClassDisabledLingering = "disabled_lingering" // Inactive but not deleted
	ClassRootKey           = "root_key"           // the root account has a key
	ClassRootKeyUsed       = "root_key_used"      // ... and used it within IdleDays
	// ClassAttackerKey: an incident's journaled evidence lists the key
	// among those its attacker created (incident.Creators).
	ClassAttackerKey = "attacker_key"
	// ClassOpenIncident: the key's own journal holds an open incident:
	// its last journaled verdict is a suspected leak, or akresp contained
	// it (and no undo took the fence down).
	ClassOpenIncident = "open_incident"
)

// User findings of the sweep.
const (
	UserConsoleWithoutMFA = "console_without_mfa"
	UserMultipleActive    = "multiple_active_keys"
)

// Credential report modes (SweepOptions.UseCredentialReport).
const (
	ReportAuto   = "auto"
	ReportAlways = "always"
	ReportNever  = "never"
)

// Sweep defaults.
const (
	// DefaultSweepParallelism is the users examined at once: enough to keep
	// every API at its quota at tens of milliseconds of latency (16 left
	// the per-user sweep at 1.6-1.7x the quota floor, 32 and 64 at
	// 1.1-1.3x; bench/README.md).
	DefaultSweepParallelism = 32
	// CredentialReportMaxUsers is the account size up to which "auto"
	// uses the credential report; larger accounts are swept per user (the
	// report is generated and paged as one CSV).
	CredentialReportMaxUsers = 5000
	// RootLabel is how tables, CSV, markdown and diagnostics name the
	// root account. In JSON a root-account key or user row has
	// identity_type "root-account" and no user_name (docs/json.md); the
	// credential report's own spelling ("<root>", isRootRow) is display
	// text and never leaves the sweep.
	RootLabel = "root account"
)

// The identity_type of a sweep row, in docs/json.md's words.
var (
	identityRAMUser = cloud.IdentityTypeName("RAMUser")
	identityRoot    = cloud.IdentityTypeName("Account")
)

// SweepOptions configure Sweep.
type SweepOptions struct {
	Now        time.Time // default time.Now
	IdleDays   int       // unused for longer than this is idle; default 90
	MaxAgeDays int       // older than this is unrotated; default 90
	// Parallelism bounds the users examined at once (default 16). Every
	// call still waits for its API's client-side quota, so this only needs
	// to be high enough to hide latency.
	Parallelism int
	// UseCredentialReport is auto (the IMS credential report when it can
	// be generated and the account has at most CredentialReportMaxUsers
	// users, per-user calls otherwise), always (fail without it) or never.
	UseCredentialReport string
	// Progress, when set, is called after each user with the users done
	// and the total.
	Progress func(done, total int)
	// StateDir, when set, is akresp's state directory: a key with a
	// rotation in progress or finished there gets the rotation's next step
	// instead of a disable that would fight it, and a key an incident
	// there says its attacker created is classed attacker_key.
	StateDir string

	creators map[string]string    // incident.Creators(StateDir), read once
	disabled map[string]time.Time // incident.DisabledTimes(StateDir), read once
}

// SweepResult is the answer of the idle sweep (-o json).
type SweepResult struct {
	SchemaVersion string    `json:"schema_version"`
	GeneratedAt   time.Time `json:"generated_at"`
	AccountID     string    `json:"account_id,omitempty"`
	// Source says where the usage facts came from: "credential_report" or
	// "per_user" (RAM GetAccessKeyLastUsed, GetLoginProfile, GetUserMFAInfo).
	Source      string       `json:"source"`
	IdleDays    int          `json:"idle_days"`
	MaxAgeDays  int          `json:"max_age_days"`
	Keys        []KeyStatus  `json:"keys"`
	Users       []UserStatus `json:"users"`
	Diagnostics []Diagnostic `json:"diagnostics"`
	Summary     SweepSummary `json:"summary"`
}

// KeyStatus is one AccessKey of the account.
type KeyStatus struct {
	// IdentityType is ram-user or root-account; User is the RAM user's
	// name, "" for the root account.
	IdentityType string `json:"identity_type"`
	User         string `json:"user_name,omitempty"`
	// AccessKeyID is "" for a root-account key known only from the
	// credential report (the report names slots, not IDs).
	AccessKeyID string    `json:"access_key_id"`
	Slot        string    `json:"slot,omitempty"` // credential report slot, when the ID is unknown
	Status      string    `json:"status"`         // Active | Inactive
	Created     time.Time `json:"created,omitzero"`
	AgeDays     int       `json:"age_days"`
	LastUsed    time.Time `json:"last_used,omitzero"`
	// DaysUnused is the days since LastUsed, or since Created when the key
	// was never used.
	DaysUnused     int      `json:"days_unused"`
	Classes        []string `json:"classes"`
	Severity       Severity `json:"severity"`
	Recommendation string   `json:"recommendation,omitempty"`
}

// UserStatus is one RAM user (and the root account when its keys were
// seen).
type UserStatus struct {
	IdentityType string    `json:"identity_type"`       // ram-user | root-account
	User         string    `json:"user_name,omitempty"` // "" for the root account
	ConsoleLogin bool      `json:"console_login"`
	MFA          bool      `json:"mfa"`
	LastLogin    time.Time `json:"last_login,omitzero"`
	ActiveKeys   int       `json:"active_keys"`
	Keys         int       `json:"keys"`
	Findings     []string  `json:"findings"`
	Severity     Severity  `json:"severity"`
	// Complete is false when some of the user's facts could not be read
	// (see Diagnostics).
	Complete bool `json:"complete"`
}

// SweepSummary counts what the sweep found.
type SweepSummary struct {
	Users             int `json:"users"`
	Keys              int `json:"keys"`
	ActiveKeys        int `json:"active_keys"`
	NeverUsed         int `json:"never_used"`
	Idle              int `json:"idle"`
	Unrotated         int `json:"unrotated"`
	MultipleActive    int `json:"multiple_active"`
	DisabledLingering int `json:"disabled_lingering"`
	AttackerKeys      int `json:"attacker_keys"`
	OpenIncidents     int `json:"open_incidents"`
	RootKeys          int `json:"root_keys"`
	RootKeysUsed      int `json:"root_keys_used"`
	ConsoleWithoutMFA int `json:"console_without_mfa"`
	Diagnostics       int `json:"diagnostics"`
	// MaxSeverity is the worst severity of any key or user (info when
	// nothing was found).
	MaxSeverity Severity `json:"max_severity"`
}

// HasAtLeast reports whether a key or user is at severity s or above
// (--fail-on).
func (r *SweepResult) HasAtLeast(s Severity) bool { return r.CountAtLeast(s) > 0 }

// CountAtLeast counts the keys and users at severity s or above.
func (r *SweepResult) CountAtLeast(s Severity) int {
	n := 0
	for _, k := range r.Keys {
		if len(k.Classes) > 0 && k.Severity >= s {
			n++
		}
	}
	for _, u := range r.Users {
		if len(u.Findings) > 0 && u.Severity >= s {
			n++
		}
	}
	return n
}

// sweepUser is one user's raw facts.
type sweepUser struct {
	name      string
	keys      []cloud.AccessKey
	lastUsed  map[string]time.Time
	console   bool
	mfa       bool
	lastLogin time.Time
	complete  bool
	listed    bool // the key list was read
}

// Sweep examines every AccessKey and console user of the account: never
// used, idle and unrotated keys, users with more than one active key,
// disabled keys left in place, root-account keys (and their use) and
// console users without MFA. Failures for one user become diagnostics;
// only a failure to list the users at all is an error.
func Sweep(ctx context.Context, c SweepCloud, opts SweepOptions) (*SweepResult, error) {
	if c == nil {
		return nil, errors.New("idle sweep: no cloud clients")
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if opts.IdleDays < 0 || opts.MaxAgeDays < 0 || opts.Parallelism < 0 {
		return nil, fmt.Errorf("idle sweep: idle days (%d), max age days (%d) and parallelism (%d) must not be negative", opts.IdleDays, opts.MaxAgeDays, opts.Parallelism)
	}
	opts.IdleDays = cmp.Or(opts.IdleDays, DefaultIdleDays)
	opts.MaxAgeDays = cmp.Or(opts.MaxAgeDays, DefaultMaxKeyAgeDays)
	opts.Parallelism = cmp.Or(opts.Parallelism, DefaultSweepParallelism)
	if opts.StateDir != "" {
		opts.creators = incident.Creators(opts.StateDir)
		opts.disabled = incident.DisabledTimes(opts.StateDir)
	}
	mode := strings.ToLower(cmp.Or(opts.UseCredentialReport, ReportAuto))
	if mode != ReportAuto && mode != ReportAlways && mode != ReportNever {
		return nil, fmt.Errorf("idle sweep: credential report mode %q is not one of auto, always, never", opts.UseCredentialReport)
	}

	res := &SweepResult{
		SchemaVersion: SweepSchemaVersion,
		GeneratedAt:   opts.Now.UTC().Truncate(time.Second),
		Source:        "per_user",
		IdleDays:      opts.IdleDays,
		MaxAgeDays:    opts.MaxAgeDays,
		Keys:          []KeyStatus{},
		Users:         []UserStatus{},
		Diagnostics:   []Diagnostic{},
	}
	var dmu sync.Mutex
	diag := func(level, source, summary string, err error) {
		d := Diagnostic{Level: level, Source: source, Summary: summary}
		if err != nil {
			d.Detail = err.Error()
		}
		dmu.Lock()
		res.Diagnostics = append(res.Diagnostics, d)
		dmu.Unlock()
	}

	caller, callerErr := c.GetCallerIdentity(ctx)
	if callerErr != nil {
		diag("warning", "sts:GetCallerIdentity", "could not identify the caller; root-account keys are checked only through the credential report", callerErr)
	} else {
		res.AccountID = caller.AccountID
	}
	users, err := c.ListUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("idle sweep: list the account's RAM users: %w", err)
	}
	slices.SortFunc(users, func(a, b cloud.User) int { return strings.Compare(a.UserName, b.UserName) })

	// The credential report, when wanted and available.
	var report map[string]*cloud.CredentialReportRow
	var rootRow *cloud.CredentialReportRow
	switch {
	case mode == ReportNever:
	case mode == ReportAuto && len(users) > CredentialReportMaxUsers:
		diag("warning", "ims:GenerateCredentialReport",
			fmt.Sprintf("%d users is more than %d: swept per user instead of through the credential report", len(users), CredentialReportMaxUsers), nil)
	default:
		rows, rerr := c.CredentialReport(ctx)
		if rerr != nil {
			if mode == ReportAlways {
				return nil, fmt.Errorf("idle sweep: credential report (--credential-report always): %w", rerr)
			}
			if ctx.Err() != nil {
				return nil, fmt.Errorf("idle sweep: %w", ctx.Err())
			}
			diag("warning", "ims:GetCredentialReport", "credential report unavailable: falling back to per-user calls", rerr)
			break
		}
		report = make(map[string]*cloud.CredentialReportRow, len(rows))
		for i := range rows {
			row := &rows[i]
			if isRootRow(row.User) {
				rootRow = row
				continue
			}
			report[row.User] = row
			if name, _, ok := strings.Cut(row.User, "@"); ok {
				if _, dup := report[name]; !dup {
					report[name] = row
				}
			}
		}
		res.Source = "credential_report"
	}

	// Per-user facts, Parallelism users at a time.
	facts := make([]sweepUser, len(users))
	var done int
	var pmu sync.Mutex
	sem := make(chan struct{}, opts.Parallelism)
	var wg sync.WaitGroup
	for i, u := range users {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			facts[i] = sweepOne(ctx, c, u.UserName, report[u.UserName], diag)
			if opts.Progress != nil {
				pmu.Lock()
				done++
				opts.Progress(done, len(users))
				pmu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("idle sweep: %w", err)
	}

	for i := range facts {
		res.addUser(&facts[i], opts)
	}
	res.addRoot(ctx, c, caller, callerErr == nil, rootRow, opts, diag)
	res.finish()
	return res, nil
}

// sweepOne reads one user's keys, their last use and the user's console
// access.
func sweepOne(ctx context.Context, c SweepCloud, name string, row *cloud.CredentialReportRow, diag func(level, source, summary string, err error)) sweepUser {
	su := sweepUser{name: name, lastUsed: map[string]time.Time{}, complete: true}
	keys, err := c.ListAccessKeys(ctx, name)
	if err != nil {
		diag("error", "user "+name, "could not list the user's AccessKeys", err)
		su.complete = false
	} else {
		su.keys, su.listed = keys, true
	}

	var unmatched []cloud.AccessKey
	if row != nil {
		su.console = row.PasswordExist && row.PasswordActive
		su.mfa = row.MFAActive
		su.lastLogin = row.LastLogon
		unmatched = matchSlots(su.keys, row.Keys, su.lastUsed)
	} else {
		unmatched = su.keys
	}

	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, k := range unmatched {
		wg.Go(func() {
			t, err := c.GetAccessKeyLastUsed(ctx, name, k.AccessKeyID)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				diag("error", "user "+name, "could not read the last use of key "+k.AccessKeyID, err)
				su.complete = false
				return
			}
			su.lastUsed[k.AccessKeyID] = t
		})
	}
	if row == nil {
		wg.Go(func() {
			lp, ok, err := c.GetLoginProfile(ctx, name)
			if err != nil {
				diag("error", "user "+name, "could not read the user's console login profile", err)
				mu.Lock()
				su.complete = false
				mu.Unlock()
				return
			}
			if !ok || strings.EqualFold(lp.Status, "Inactive") {
				return
			}
			mfa, err := c.GetUserMFAInfo(ctx, name)
			mu.Lock()
			defer mu.Unlock()
			su.console = true
			if err != nil {
				diag("error", "user "+name, "could not read the user's MFA device", err)
				su.complete = false
				su.mfa = true // unknown: not reported as missing
				return
			}
			su.mfa = mfa.Enabled
		})
	}
	wg.Wait()
	return su
}

// matchSlots copies the credential report's last-use times to the keys
// whose creation time equals a slot's last-rotated time (to the minute),
// and returns the keys it could not match (to be asked per key).
func matchSlots(keys []cloud.AccessKey, slots []cloud.CredentialReportKey, lastUsed map[string]time.Time) []cloud.AccessKey {
	used := make([]bool, len(slots))
	var rest []cloud.AccessKey
	for _, k := range keys {
		match := -1
		for i, s := range slots {
			if used[i] || !s.Exist || s.LastRotated.IsZero() || k.CreateDate.IsZero() {
				continue
			}
			d := k.CreateDate.Sub(s.LastRotated)
			if d < time.Minute && d > -time.Minute {
				if match >= 0 { // ambiguous: ask per key
					match = -2
					break
				}
				match = i
			}
		}
		if match < 0 {
			rest = append(rest, k)
			continue
		}
		used[match] = true
		lastUsed[k.AccessKeyID] = slots[match].LastUsed
	}
	return rest
}

func daysBetween(a, b time.Time) int {
	return max(0, int(b.Sub(a)/(24*time.Hour)))
}

// classify fills a key's classes, severity and recommendation.
func classify(k *KeyStatus, root bool, activeOfOwner int, o SweepOptions) {
	now := o.Now
	active := strings.EqualFold(k.Status, "Active")
	if !k.Created.IsZero() {
		k.AgeDays = daysBetween(k.Created, now)
	}
	switch {
	case !k.LastUsed.IsZero():
		k.DaysUnused = daysBetween(k.LastUsed, now)
	case !k.Created.IsZero():
		k.DaysUnused = k.AgeDays
	}
	k.Classes = []string{}
	sev := Info
	var recs []string
	add := func(class string, s Severity) {
		k.Classes = append(k.Classes, class)
		sev = max(sev, s)
	}
	id := cmp.Or(k.AccessKeyID, "<AK-ID>")
	if root {
		add(ClassRootKey, High)
		if !k.LastUsed.IsZero() && k.DaysUnused <= o.IdleDays {
			add(ClassRootKeyUsed, Critical)
		}
		if k.AccessKeyID != "" {
			recs = append(recs, "replace the root-account key with a RAM user's key, then akresp disable "+id)
		} else {
			// The credential report does not name the root key: no
			// command that would run, but where to do it.
			recs = append(recs, "replace the root-account key with a RAM user's key, then disable it signed in as root (console: AccessKey management)")
		}
	}
	if !active {
		add(ClassDisabledLingering, Low)
		if !root {
			recs = append(recs, "akresp disable "+id+" --delete ("+deleteWhen(k, o)+"disabled keys still count against the limit and can be re-enabled)")
		}
	} else {
		switch {
		case k.LastUsed.IsZero():
			add(ClassNeverUsed, Medium)
			if !root {
				recs = append(recs, "akresp disable "+id+" (never used)")
			}
		case k.DaysUnused > o.IdleDays:
			add(ClassIdle, Medium)
			if !root {
				recs = append(recs, fmt.Sprintf("akresp disable %s (unused for %d days)", id, k.DaysUnused))
			}
		}
		if k.AgeDays > o.MaxAgeDays {
			add(ClassUnrotated, Low)
			if !root && (!k.LastUsed.IsZero() && k.DaysUnused <= o.IdleDays) {
				recs = append(recs, fmt.Sprintf("akresp rotate %s (%d days old)", id, k.AgeDays))
			}
		}
		if activeOfOwner > 1 && !root {
			add(ClassMultipleActive, Low)
			if len(recs) == 0 {
				recs = append(recs, "the owner has more than one active key: finish the rotation and disable the unused one")
			}
		}
	}
	if by := o.creators[k.AccessKeyID]; by != "" && k.AccessKeyID != "" {
		// The attacker's own key: never rotated, never kept for its use.
		if active {
			add(ClassAttackerKey, Critical)
			recs = []string{"akresp disable " + id + " (the attacker of the incident of " + by + " created it; then akresp eradicate " + by + ")"}
		} else {
			add(ClassAttackerKey, Low)
			recs = append([]string{"akresp eradicate " + by + " (the attacker of its incident created this key: eradicate removes it with the attacker's other footholds)"}, recs...)
		}
	}
	var rec *incident.Record
	if o.StateDir != "" && k.AccessKeyID != "" {
		// Its own journal only (the rotation, the incident).
		if r, err := incident.LoadOwn(o.StateDir, k.AccessKeyID); err == nil {
			rec = r
		}
	}
	if rec != nil && (rec.Verdict == StatusSuspectedLeak || !rec.ContainedAt.IsZero()) {
		// The weekly sweep is the account's overview: the key of an open
		// incident is not "unrotated, low".
		switch {
		case !active:
			add(ClassOpenIncident, Low)
		case !rec.ContainedAt.IsZero():
			add(ClassOpenIncident, High)
			recs = slices.DeleteFunc(recs, func(r string) bool { return strings.HasPrefix(r, "akresp rotate "+id) })
			recs = append([]string{"akresp rotate " + id + " (open incident: contained since " + rec.ContainedAt.UTC().Format(time.RFC3339) +
				", but the secret is still valid: replace the key and retire it)"}, recs...)
		default:
			add(ClassOpenIncident, Critical)
			recs = slices.DeleteFunc(recs, func(r string) bool {
				return strings.HasPrefix(r, "akresp rotate "+id) || strings.HasPrefix(r, "akresp disable "+id)
			})
			recs = append([]string{"akresp contain " + id + " (open incident: akresp's last audit of the key says suspected leak, and it is not contained)"}, recs...)
		}
	}
	k.Severity = sev
	recs = rotationRecs(recs, k, rec)
	k.Recommendation = strings.Join(recs, "; ")
}

// deleteWhen says, for an Inactive key, from when `akresp disable --delete`
// takes it without --force ("" when it does now): the observation period
// from when akresp disabled it (its journal, or the journal of the leaked
// key that created it), or without a record from its last use. The sweep's
// advice names a command that runs, or says when it will.
func deleteWhen(k *KeyStatus, o SweepOptions) string {
	var from time.Time
	why := "after its last use"
	if at, ok := o.disabled[k.AccessKeyID]; ok && k.AccessKeyID != "" {
		from, why = at, "after akresp disabled it"
	}
	if from.IsZero() {
		from = k.LastUsed
	}
	until := from.Add(incident.DefaultDisableObserve)
	if from.IsZero() || !o.Now.Before(until) {
		return ""
	}
	return fmt.Sprintf("from %s, the end of the %s observation period %s; ", until.UTC().Format(time.RFC3339), incident.DefaultDisableObserve, why)
}

// rotationRecs replaces the disable and rotate advice of a key that an
// akresp rotation is working on (per the state directory) with the
// rotation's own next step: disabling it by hand would fight the rotation,
// rotating it again would be refused.
func rotationRecs(recs []string, k *KeyStatus, rec *incident.Record) []string {
	if rec == nil || rec.Rotation == nil || rec.Rotation.RolledBack {
		return recs
	}
	rot := rec.Rotation
	var next string
	switch {
	case rot.Step == "verified":
		next = "akresp rotate " + k.AccessKeyID + " --delete (rotation verified: delete the old key)"
	case rot.InProgress():
		next = "akresp rotate " + k.AccessKeyID + " (rotation in progress at step " + rot.Step + ": resume it)"
	default:
		return recs
	}
	out := []string{}
	for _, r := range recs {
		if !strings.HasPrefix(r, "akresp disable "+k.AccessKeyID) && !strings.HasPrefix(r, "akresp rotate "+k.AccessKeyID) {
			out = append(out, r)
		}
	}
	return append(out, next)
}

func (r *SweepResult) addUser(su *sweepUser, o SweepOptions) {
	us := UserStatus{IdentityType: identityRAMUser, User: su.name, ConsoleLogin: su.console, MFA: su.mfa, LastLogin: su.lastLogin, Findings: []string{}, Complete: su.complete}
	for _, k := range su.keys {
		us.Keys++
		if strings.EqualFold(k.Status, "Active") {
			us.ActiveKeys++
		}
	}
	for _, k := range su.keys {
		ks := KeyStatus{IdentityType: identityRAMUser, User: su.name, AccessKeyID: k.AccessKeyID, Status: k.Status, LastUsed: su.lastUsed[k.AccessKeyID].UTC()}
		if !k.CreateDate.IsZero() {
			ks.Created = k.CreateDate.UTC()
		}
		classify(&ks, false, us.ActiveKeys, o)
		r.Keys = append(r.Keys, ks)
	}
	if us.ConsoleLogin && !us.MFA {
		us.Findings = append(us.Findings, UserConsoleWithoutMFA)
		us.Severity = max(us.Severity, High)
	}
	if us.ActiveKeys > 1 {
		us.Findings = append(us.Findings, UserMultipleActive)
		us.Severity = max(us.Severity, Low)
	}
	r.Users = append(r.Users, us)
}

// addRoot checks the root account's keys: by ID when the caller is the
// root account, else from the credential report's root row.
func (r *SweepResult) addRoot(ctx context.Context, c SweepCloud, caller cloud.CallerIdentity, known bool, row *cloud.CredentialReportRow, o SweepOptions, diag func(level, source, summary string, err error)) {
	var keys []KeyStatus
	switch {
	case known && caller.IdentityType == "Account":
		list, err := c.ListAccessKeys(ctx, "")
		if err != nil {
			diag("error", RootLabel, "could not list the root account's AccessKeys", err)
			return
		}
		var lastUsed map[string]time.Time
		var rest []cloud.AccessKey
		if row != nil {
			lastUsed = map[string]time.Time{}
			rest = matchSlots(list, row.Keys, lastUsed)
		} else {
			rest = list
		}
		for _, k := range rest {
			info, err := c.AccessKeyLastUsedInfo(ctx, k.AccessKeyID)
			if err != nil {
				diag("error", RootLabel, "could not read the last use of root key "+k.AccessKeyID, err)
				continue
			}
			if lastUsed == nil {
				lastUsed = map[string]time.Time{}
			}
			if info.Found {
				lastUsed[k.AccessKeyID] = info.UsedAt
			}
		}
		for _, k := range list {
			ks := KeyStatus{IdentityType: identityRoot, AccessKeyID: k.AccessKeyID, Status: k.Status, Created: k.CreateDate.UTC(), LastUsed: lastUsed[k.AccessKeyID].UTC()}
			keys = append(keys, ks)
		}
	case row != nil:
		for _, s := range row.Keys {
			if !s.Exist {
				continue
			}
			status := "Inactive"
			if s.Active {
				status = "Active"
			}
			keys = append(keys, KeyStatus{IdentityType: identityRoot, Slot: s.Slot, Status: status, Created: s.LastRotated.UTC(), LastUsed: s.LastUsed.UTC()})
		}
	default:
		diag("warning", RootLabel, "root-account keys were not checked: run the sweep as the root account or allow the credential report (ims:GenerateCredentialReport, ims:GetCredentialReport)", nil)
		return
	}
	active := 0
	for _, k := range keys {
		if strings.EqualFold(k.Status, "Active") {
			active++
		}
	}
	for _, k := range keys {
		classify(&k, true, active, o)
		r.Keys = append(r.Keys, k)
	}
	if len(keys) > 0 {
		us := UserStatus{IdentityType: identityRoot, Keys: len(keys), ActiveKeys: active, Findings: []string{}, Severity: High, Complete: true}
		if row != nil {
			us.ConsoleLogin, us.MFA, us.LastLogin = true, row.MFAActive, row.LastLogon
		}
		us.Findings = append(us.Findings, ClassRootKey)
		r.Users = append(r.Users, us)
	}
}

// finish sorts the keys (worst first) and counts the summary.
func (r *SweepResult) finish() {
	slices.SortStableFunc(r.Keys, func(a, b KeyStatus) int {
		return cmp.Or(cmp.Compare(b.Severity, a.Severity), strings.Compare(a.User, b.User), strings.Compare(a.AccessKeyID, b.AccessKeyID), strings.Compare(a.Slot, b.Slot))
	})
	s := SweepSummary{Diagnostics: len(r.Diagnostics)}
	for _, k := range r.Keys {
		s.Keys++
		if strings.EqualFold(k.Status, "Active") {
			s.ActiveKeys++
		}
		for _, c := range k.Classes {
			switch c {
			case ClassNeverUsed:
				s.NeverUsed++
			case ClassIdle:
				s.Idle++
			case ClassUnrotated:
				s.Unrotated++
			case ClassMultipleActive:
				s.MultipleActive++
			case ClassDisabledLingering:
				s.DisabledLingering++
			case ClassAttackerKey:
				s.AttackerKeys++
			case ClassOpenIncident:
				s.OpenIncidents++
			case ClassRootKey:
				s.RootKeys++
			case ClassRootKeyUsed:
				s.RootKeysUsed++
			}
		}
		if len(k.Classes) > 0 {
			s.MaxSeverity = max(s.MaxSeverity, k.Severity)
		}
	}
	for _, u := range r.Users {
		if !u.IsRoot() {
			s.Users++
		}
		if slices.Contains(u.Findings, UserConsoleWithoutMFA) {
			s.ConsoleWithoutMFA++
		}
		if len(u.Findings) > 0 {
			s.MaxSeverity = max(s.MaxSeverity, u.Severity)
		}
	}
	r.Summary = s
}

// Columns and Rows give the sweep's tabular form (table, csv, markdown):
// one row per key, then one row per user with a finding.
func (r *SweepResult) Columns() []string {
	return []string{"kind", "user", "access_key_id", "status", "created", "age_days", "last_used", "days_unused", "classes", "severity", "recommendation"}
}

// Rows implements the tabular form; see Columns.
func (r *SweepResult) Rows() [][]any {
	rows := make([][]any, 0, len(r.Keys)+len(r.Users))
	for _, k := range r.Keys {
		id := k.AccessKeyID
		if id == "" {
			id = "(" + k.Slot + ")"
		}
		var created, used any
		if !k.Created.IsZero() {
			created = k.Created
		}
		if !k.LastUsed.IsZero() {
			used = k.LastUsed
		} else {
			used = "never"
		}
		rows = append(rows, []any{"key", k.Who(), id, k.Status, created, k.AgeDays, used, k.DaysUnused, strings.Join(k.Classes, " "), k.Severity, k.Recommendation})
	}
	for _, u := range r.Users {
		if len(u.Findings) == 0 {
			continue
		}
		status := "no console"
		if u.ConsoleLogin {
			status = "console, no MFA"
			if u.MFA {
				status = "console, MFA"
			}
		}
		rec := ""
		if slices.Contains(u.Findings, UserConsoleWithoutMFA) {
			rec = "bind an MFA device to the user, or require one at the next console login"
		} else if u.IsRoot() {
			rec = "delete the root-account keys; use RAM users' keys"
		}
		rows = append(rows, []any{"user", u.Who(), "", status, nil, nil, nil, nil, strings.Join(u.Findings, " "), u.Severity, rec})
	}
	return rows
}

// IsRoot reports whether the key is the root account's.
func (k KeyStatus) IsRoot() bool { return k.IdentityType == identityRoot }

// Who names the key's owner for people: the RAM user, or RootLabel.
func (k KeyStatus) Who() string { return who(k.IdentityType, k.User) }

// IsRoot reports whether the row is the root account's.
func (u UserStatus) IsRoot() bool { return u.IdentityType == identityRoot }

// Who names the row for people: the RAM user, or RootLabel.
func (u UserStatus) Who() string { return who(u.IdentityType, u.User) }

func who(identityType, user string) string {
	if identityType == identityRoot {
		return RootLabel
	}
	return user
}

// isRootRow reports whether a credential-report user cell names the root
// account: "<root>" as documented, or "<root_account>" as earlier material
// (and earlier versions of the lab) spell it.
func isRootRow(user string) bool {
	return user == "<root>" || user == "<root_account>"
}
