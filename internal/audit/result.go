package audit

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// SchemaVersion names the JSON schema of Result. Field names under it are
// stable: runbooks branch on them. A breaking change bumps the version.
const SchemaVersion = "akresp.audit/v2"

// Severity ranks findings: Info < Low < Medium < High < Critical.
type Severity int

// Severities, lowest first. The zero value is Info.
const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = [...]string{"info", "low", "medium", "high", "critical"}

// String returns the lower-case name ("high").
func (s Severity) String() string {
	if s < Info || s > Critical {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity parses a severity name, case-insensitively.
func ParseSeverity(s string) (Severity, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	for i, n := range severityNames {
		if v == n {
			return Severity(i), nil
		}
	}
	return Info, fmt.Errorf("severity %q is not one of %s", s, strings.Join(severityNames[:], ", "))
}

// MarshalJSON writes the severity as its name.
func (s Severity) MarshalJSON() ([]byte, error) {
	if s < Info || s > Critical {
		return nil, fmt.Errorf("marshal severity: %d is out of range", int(s))
	}
	return json.Marshal(s.String())
}

// UnmarshalJSON reads a severity name.
func (s *Severity) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err != nil {
		return fmt.Errorf("severity: want a string, got %s", b)
	}
	v, err := ParseSeverity(name)
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// raise returns the next severity up, capped at Critical.
func (s Severity) raise() Severity { return min(s+1, Critical) }

// Verdict statuses.
const (
	StatusIdle          = "idle"
	StatusInUse         = "in_use"
	StatusSuspectedLeak = "suspected_leak"
)

// Result is the whole answer of an audit: what the key is, what it did,
// what looks wrong (findings with evidence) and what to do next (verdict).
// Its JSON form (schema SchemaVersion) is the -o json output; times are UTC.
type Result struct {
	SchemaVersion string            `json:"schema_version"`
	Key           KeyFacts          `json:"key"`
	Window        Window            `json:"window"`
	Sources       []IPSummary       `json:"source_ips"`
	Services      []ServiceSummary  `json:"services"`
	Resources     []ResourceSummary `json:"resources"`
	Findings      []Finding         `json:"findings"`
	Verdict       Verdict           `json:"verdict"`
	Caveats       []string          `json:"caveats"`
	Diagnostics   []Diagnostic      `json:"diagnostics,omitempty"`
	Created       []CreatedIdentity `json:"created_identities"`
	// Followed are the identities the key created, took over or minted
	// from a flagged source, audited in the same run (follow.go), with the
	// chain that leads to each; FollowedOmitted counts those left out
	// beyond MaxFollowed.
	Followed        []FollowedIdentity `json:"followed_identities"`
	FollowedOmitted int                `json:"followed_omitted,omitempty"`
	// Routine lists the sensitive operations the key performs as routine
	// (routine.go): context, not evidence.
	Routine []RoutineActivity `json:"routine"`
	// Incident is what the incident record (akresp's journals of the key)
	// took out of the evidence: own calls, the responder's activity after
	// containment and the attacker's refused attempts. nil without a record.
	Incident *IncidentSummary `json:"incident,omitempty"`
}

// KeyFacts are the online facts about the key (owner, status, age, last
// use from GetAccessKeyLastUsed*). The engine copies Options.Facts here and
// fills only AccessKeyID when the caller gave none.
type KeyFacts struct {
	AccessKeyID     string    `json:"access_key_id"`
	Owner           string    `json:"user_name,omitempty"`
	OwnerType       string    `json:"identity_type,omitempty"` // ram-user | root-account | unknown
	AccountID       string    `json:"account_id,omitempty"`
	Status          string    `json:"status,omitempty"` // Active | Inactive | Deleted (by akresp, per the incident record)
	Created         time.Time `json:"created,omitzero"`
	AgeDays         int       `json:"age_days,omitempty"`
	LastUsed        time.Time `json:"last_used,omitzero"`
	LastUsedService string    `json:"last_used_service,omitempty"`
	LastUsedIPs     []string  `json:"last_used_ips,omitempty"`
	UsedServices    []string  `json:"used_services,omitempty"`
	// LeakRecords are Security Center's AccessKey leak records of the key,
	// one line each ("found leaked at <url> on <date> ...; pending ...");
	// set by the CLI when it audits online.
	LeakRecords []string `json:"leak_records,omitempty"`
}

// Window describes the events analysed and the baseline they were judged
// against.
type Window struct {
	Since    time.Time `json:"since,omitzero"`
	Until    time.Time `json:"until,omitzero"`
	Sources  []string  `json:"sources"`  // where events came from: "lookup", or "<kind>:<file>"
	Events   int       `json:"events"`   // events of the key analysed
	Excluded int       `json:"excluded"` // akresp's own calls (SelfUserAgent), never evidence
	// Filtered counts events dropped before analysis: other keys' events
	// and events outside Since/Until.
	Filtered int `json:"filtered"`
	// LeakTime echoes Options.LeakTime.
	LeakTime time.Time `json:"leak_time,omitzero"`
	// BaselineEnd splits history: source IPs, APIs, regions and user agents
	// first seen at or after it are "new". BaselineBasis says how it was
	// chosen: "leak_time", "onset" (first suspicious source), "history" (the
	// first BaselineDays of the window) or "none" (no usable history).
	BaselineEnd    time.Time `json:"baseline_end,omitzero"`
	BaselineBasis  string    `json:"baseline_basis"`
	BaselineEvents int       `json:"baseline_events"`
	// Regions are the ActionTrail regions read online and those that
	// failed; nil offline or when the clients are not regional.
	Regions *RegionsRead `json:"regions,omitempty"`
}

// IPSummary is one source of calls.
type IPSummary struct {
	IP        string    `json:"ip"` // sourceIpAddress as logged (may be a service host name)
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Count     int       `json:"count"`
	Errors    int       `json:"errors"`
	Trusted   bool      `json:"trusted"` // inside Options.TrustedCIDRs or FenceCIDRs
	New       bool      `json:"new"`     // first seen at or after the baseline end
	// Internal marks sources the IP rules skip: values that are not IP
	// addresses (service host names, "Internal") and private or shared
	// (100.64.0.0/10) addresses seen with a vpcId.
	Internal bool     `json:"internal,omitempty"`
	Services []string `json:"services"`
	Flagged  bool     `json:"flagged"`
	// Reasons say why the source is flagged: "new" (first seen after the
	// baseline), "untrusted" (outside --trusted-cidr), "scanner" (a secret
	// scanner's user agent), "sensitive" (made a high-severity sensitive
	// write).
	Reasons []string `json:"reasons,omitempty"`
	// Attacker says the source's calls are the attacker's (what the
	// incident's later commands attribute: its onset, the sources it
	// journals as flagged, what eradicate reverts and the report calls the
	// attacker's): flagged as new, untrusted or a scanner. A source known
	// before the baseline end that is flagged only for a sensitive write is
	// not: the key's own office or application administering with it, as
	// the follow judges it (it stays flagged, never suggested as trusted).
	Attacker bool `json:"attacker"`
}

// ServiceSummary is the key's use of one service.
type ServiceSummary struct {
	Service   string        `json:"service"`
	Count     int           `json:"count"`
	Writes    int           `json:"writes"`
	Errors    int           `json:"errors"`
	FirstSeen time.Time     `json:"first_seen"`
	LastSeen  time.Time     `json:"last_seen"`
	Actions   []ActionCount `json:"actions"` // the most frequent APIs, most frequent first
}

// ActionCount is how often one API was called.
type ActionCount struct {
	Name   string `json:"name"`
	Count  int    `json:"count"`
	Errors int    `json:"errors"`
}

// ResourceSummary is one resource the key touched.
type ResourceSummary struct {
	Type      string    `json:"type"`
	Name      string    `json:"name"`
	Count     int       `json:"count"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// Finding is one rule that matched, with all of its evidence folded in:
// Count is every matching event, Evidence a bounded sample (the earliest
// and the latest ones).
type Finding struct {
	ID       string        `json:"id"` // catalogue rule id, e.g. "PERS-01"
	Severity Severity      `json:"severity"`
	Title    string        `json:"title"`
	Why      string        `json:"why"`
	Count    int           `json:"count"`
	First    time.Time     `json:"first"`
	Last     time.Time     `json:"last"`
	IPs      []string      `json:"ips"`
	Evidence []EvidenceRef `json:"evidence"`
	Attack   []string      `json:"attack"` // MITRE ATT&CK technique ids
	// Escalated says why the severity was raised one level above the rule's
	// own (a context hit on the same key within an hour), "" if it was not.
	Escalated string `json:"escalated,omitempty"`
	// RoutineCount counts matching events that are the key's routine (see
	// Result.Routine) or come from sources that are not flagged: they are
	// not in Count and not cited as evidence.
	RoutineCount int `json:"routine_count"`
	// EvidenceOmitted is how many of the Count events Evidence does not
	// list (it lists flagged sources first, up to 500 events).
	EvidenceOmitted int `json:"evidence_omitted,omitempty"`
}

// EvidenceRef points at one event behind a finding.
type EvidenceRef struct {
	EventID   string    `json:"event_id"`
	RequestID string    `json:"request_id,omitempty"`
	Time      time.Time `json:"time"`
	Name      string    `json:"name"`
	Service   string    `json:"service"`
	SourceIP  string    `json:"source_ip"`
	UserAgent string    `json:"user_agent,omitempty"`
	ErrorCode string    `json:"error_code,omitempty"`
	Detail    string    `json:"detail,omitempty"` // e.g. "UserName=svc-backup"
	Origin    Origin    `json:"origin"`
}

// Verdict is the answer to "what do I do with this key now".
type Verdict struct {
	Status   string   `json:"status"` // idle | in_use | suspected_leak
	Severity Severity `json:"severity"`
	Summary  string   `json:"summary"`
	Reasons  []string `json:"reasons"`
	// MoreFindings counts the findings behind the verdict that Reasons
	// leaves out (it lists the first five).
	MoreFindings int `json:"more_findings,omitempty"`
	// SuggestedTrustedCIDRs are the sources that used the key before the
	// suspicious activity (or before LeakTime) and were never flagged, one
	// /32 (/128) each, plus any --trusted-cidr given.
	SuggestedTrustedCIDRs []string   `json:"suggested_trusted_cidrs"`
	NextSteps             []NextStep `json:"next_steps"`
}

// NextStep is one command to run and why.
type NextStep struct {
	Command string `json:"command"`
	Why     string `json:"why"`
}

// Diagnostic is a problem met while collecting or reading events that makes
// the audit less complete (an unreadable file, a region that could not be
// queried, an engine limit reached).
type Diagnostic struct {
	Level   string `json:"level"`  // "warning" | "error"
	Source  string `json:"source"` // file, region or component concerned
	Summary string `json:"summary"`
	Detail  string `json:"detail,omitempty"`
}

// Created identity kinds.
const (
	KindUser             = "user"
	KindAccessKey        = "access_key"
	KindLoginProfile     = "login_profile"
	KindRole             = "role"
	KindPolicyAttachment = "policy_attachment"
)

// CreatedIdentity is an identity or grant the key created or changed
// successfully: contain hunts them down, report lists them.
type CreatedIdentity struct {
	Kind string `json:"kind"` // user | access_key | login_profile | role | policy_attachment
	// Name is the user, AccessKey id, role or policy name.
	Name string `json:"name"`
	// User is the RAM user concerned (the owner of a new key or login
	// profile, the principal a policy was attached to); "" when the key acted
	// on its own user and the event does not name it.
	User string `json:"user_name,omitempty"`
	// PrincipalType is User, Group or Role for policy attachments.
	PrincipalType string      `json:"principal_type,omitempty"`
	Action        string      `json:"action"` // the API that did it, e.g. CreateAccessKey
	Event         EvidenceRef `json:"event"`
	// Attacker: made from a source the audit counts as the attacker's
	// (IPSummary.Attacker); false for the owners' own administration
	// from a known source.
	Attacker bool `json:"attacker"`
}

// MaxSeverity returns the highest finding severity, Info when there is none.
func (r *Result) MaxSeverity() Severity {
	m := Info
	for _, f := range r.Findings {
		m = max(m, f.Severity)
	}
	return m
}

// HasAtLeast reports whether a finding of severity s or above exists
// (--fail-on).
func (r *Result) HasAtLeast(s Severity) bool {
	for _, f := range r.Findings {
		if f.Severity >= s {
			return true
		}
	}
	return false
}

// Result finalises the audit: it runs the windowed and statistical rules,
// de-duplicates and scores the findings and decides the verdict. It is
// computed once; later calls return the same Result and later Add calls
// are ignored.
func (e *Engine) Result() *Result {
	if e.done {
		return e.result
	}
	e.done = true
	// bySource only reads the (source, hour) records, which the judgements
	// do not touch: it runs beside them (10-40 ms each on a busy key).
	var src [][]minuteEntry
	var bsw sync.WaitGroup
	bsw.Go(func() { src = e.bySource() })
	e.classifySources()
	e.judgeRoutine()
	bl := e.computeBaseline()
	e.judgeSources(&bl)
	bsw.Wait()

	r := &Result{
		SchemaVersion: SchemaVersion,
		Key:           e.opts.Facts,
		Caveats:       []string{},
		Created:       []CreatedIdentity{},
		Followed:      []FollowedIdentity{},
	}
	if r.Key.AccessKeyID == "" {
		r.Key.AccessKeyID = e.opts.KeyID
	}
	r.Key.LastUsedIPs = slices.Clone(r.Key.LastUsedIPs)
	r.Key.UsedServices = slices.Clone(r.Key.UsedServices)
	// The summaries and the rules only read the aggregates: side by side.
	var wg sync.WaitGroup
	wg.Go(func() {
		r.Window = e.window(&bl)
		r.Sources = e.sourceSummaries()
		r.Services = e.serviceSummaries()
	})
	wg.Go(func() {
		r.Resources = e.resourceSummaries()
		created := e.sortedCreated()
		r.Created = make([]CreatedIdentity, 0, len(created)) // thousands for a busy attacker
		for _, c := range created {
			ci := c.CreatedIdentity
			ci.Event = e.evidenceRef(c.ref)
			if a := e.ips[e.strs.str(c.ref.ip)]; a != nil {
				ci.Attacker = a.attacker()
			}
			r.Created = append(r.Created, ci)
		}
		r.Routine = e.routineActivities()
	})
	r.Findings = e.finalise(&bl, src)
	wg.Wait()
	r.Verdict = e.verdict(r, &bl)
	r.Caveats = e.caveats(r, &bl)
	r.Diagnostics = slices.Clone(e.diags)
	if i := e.limitsHit["created"]; i > 0 && e.createdDropped > 0 {
		r.Diagnostics[i-1].Summary = fmt.Sprintf("the key created more identities than are listed: %d listed in created_identities, %d more not listed (engine limit)", maxCreated, e.createdDropped)
	}
	e.result = r
	return r
}

func (e *Engine) window(bl *baselineInfo) Window {
	w := Window{
		Since:          e.opts.Since.UTC(),
		Until:          e.opts.Until.UTC(),
		Sources:        []string{},
		Events:         e.events,
		Excluded:       e.excluded,
		Filtered:       e.filtered,
		LeakTime:       e.opts.LeakTime.UTC(),
		BaselineBasis:  bl.basis,
		BaselineEvents: bl.events,
	}
	if e.opts.Since.IsZero() {
		w.Since = time.Time{}
		if e.events > 0 {
			w.Since = time.Unix(0, e.minT).UTC()
		}
	}
	if e.opts.Until.IsZero() {
		w.Until = time.Time{}
		if e.events > 0 {
			w.Until = time.Unix(0, e.maxT).UTC()
		}
	}
	if e.opts.LeakTime.IsZero() {
		w.LeakTime = time.Time{}
	}
	if bl.hasHistory {
		w.BaselineEnd = time.Unix(0, bl.end).UTC()
	}
	w.Sources = slices.Grow(w.Sources, len(e.originList)) // one per file read
	for _, o := range e.originList {
		s := o.Kind
		if o.File != "" {
			s += ":" + o.File
		}
		if s != "" {
			w.Sources = append(w.Sources, s)
		}
	}
	// Sorted, then each once (linear in the files read, not quadratic).
	slices.Sort(w.Sources)
	w.Sources = slices.Compact(w.Sources)
	return w
}

func (e *Engine) sourceSummaries() []IPSummary {
	srcs := e.sortedSources()
	out := make([]IPSummary, 0, len(srcs)) // thousands on a busy key: no regrowth
	for _, ip := range srcs {
		s := IPSummary{
			IP:        ip.text,
			FirstSeen: time.Unix(0, ip.first.t).UTC(),
			LastSeen:  time.Unix(0, ip.last).UTC(),
			Count:     ip.n,
			Errors:    ip.errs,
			Trusted:   ip.trusted,
			New:       ip.isNew,
			Internal:  ip.internal,
			Flagged:   ip.flagged,
			Attacker:  ip.attacker(),
			Services:  make([]string, 0, len(ip.svcs)),
		}
		for _, svc := range ip.svcs {
			s.Services = append(s.Services, svc.name)
		}
		slices.Sort(s.Services)
		if ip.isNew {
			s.Reasons = append(s.Reasons, "new")
		}
		if ip.untrusted {
			s.Reasons = append(s.Reasons, "untrusted")
		}
		if ip.scanner.n > 0 {
			s.Reasons = append(s.Reasons, "scanner")
		}
		if ip.hasOnset && ip.scanner.n == 0 {
			s.Reasons = append(s.Reasons, "sensitive")
		}
		out = append(out, s)
	}
	return out
}

func (e *Engine) serviceSummaries() []ServiceSummary {
	out := []ServiceSummary{}
	actions := map[*svcAgg][]ActionCount{}
	for _, nm := range e.nameList {
		if nm.n > 0 {
			actions[nm.svc] = append(actions[nm.svc], ActionCount{Name: nm.name, Count: nm.n, Errors: nm.errs})
		}
	}
	for _, svc := range e.svcs {
		if svc.n == 0 {
			continue
		}
		acts := actions[svc]
		slices.SortFunc(acts, func(a, b ActionCount) int {
			return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Name, b.Name))
		})
		if len(acts) > topActions {
			acts = acts[:topActions]
		}
		out = append(out, ServiceSummary{
			Service: svc.name, Count: svc.n, Writes: svc.writes, Errors: svc.errs,
			FirstSeen: time.Unix(0, svc.first).UTC(), LastSeen: time.Unix(0, svc.last).UTC(),
			Actions: acts,
		})
	}
	slices.SortFunc(out, func(a, b ServiceSummary) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Service, b.Service))
	})
	return out
}

// resourceSummaries lists the maxResourcesOut most used resources. Tens of
// thousands are ranked by reference; only those listed become summaries.
func (e *Engine) resourceSummaries() []ResourceSummary {
	type ranked struct {
		r Resource
		a *resourceAgg
	}
	// Only those at or above the maxResourcesOut-th largest count can be
	// listed: the rest are not sorted (string comparisons over tens of
	// thousands were most of the time).
	floor := 0
	if len(e.resources) > maxResourcesOut {
		counts := make([]int, 0, len(e.resources))
		for _, a := range e.resources {
			counts = append(counts, a.n)
		}
		slices.Sort(counts)
		floor = counts[len(counts)-maxResourcesOut]
	}
	all := make([]ranked, 0, min(len(e.resources), 2*maxResourcesOut))
	for r, a := range e.resources {
		if a.n >= floor {
			all = append(all, ranked{r, a})
		}
	}
	slices.SortFunc(all, func(x, y ranked) int {
		return cmp.Or(cmp.Compare(y.a.n, x.a.n), strings.Compare(x.r.Type, y.r.Type), strings.Compare(x.r.Name, y.r.Name))
	})
	out := make([]ResourceSummary, 0, min(len(all), maxResourcesOut))
	for _, x := range all[:cap(out)] {
		out = append(out, ResourceSummary{Type: x.r.Type, Name: x.r.Name, Count: x.a.n,
			FirstSeen: time.Unix(0, x.a.first).UTC(), LastSeen: time.Unix(0, x.a.last).UTC()})
	}
	return out
}
