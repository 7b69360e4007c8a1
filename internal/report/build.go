package report

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/akresp/akresp/internal/audit"
	"github.com/akresp/akresp/internal/incident"
	"github.com/akresp/akresp/internal/journal"
	"github.com/akresp/akresp/internal/policy"
	"github.com/akresp/akresp/internal/rotate"
)

// The journal vocabulary of internal/respond (its Cmd* and Kind*
// constants). They are repeated here, not imported: report reads journals
// as data and must build while respond is being changed; the tests pin the
// values against real journals.
const (
	cmdContain     = "contain"
	cmdContainUndo = "contain-undo"
	cmdDisable     = "disable"
	cmdEnable      = "enable"
	cmdDelete      = "delete"
	cmdRotate      = "rotate"

	actNetworkACL   = "set-network-acl"
	actAttachPolicy = "attach-deny-policy"
	actKeyStatus    = "set-key-status"
	actDeleteKey    = "delete-key"
	actVerify       = "verify"
	actUndoComplete = "undo-complete"
	actStep         = "step"
	actReconcile    = "reconcile"

	// DefaultDenyPolicyName is the deny-high-risk policy contain attaches
	// (respond.DefaultPolicyName).
	DefaultDenyPolicyName = "akresp-deny-high-risk"
)

// Input is everything Build needs, as plain values.
type Input struct {
	// Audit is the audit of the key (required).
	Audit *audit.Result
	// Events are the key's events the audit analysed; they feed the chart,
	// the sensitive-event counts, the resource-creating calls and the
	// evidence. Events outside the audit window, of another key or made by
	// akresp itself are ignored. nil: those parts fall back to the audit's
	// summaries.
	Events []Event
	// Collected, when set, holds the events instead of Events: Build and
	// WriteUsedEvidence stream them from it (sorted runs merged from its
	// scratch file), so the report's memory does not grow with them.
	Collected *Collector
	// Journal is every journal record of the key (journal.ReadKey), and
	// JournalWarnings its warnings.
	Journal         []journal.Record
	JournalWarnings []string
	// JournalHead is the verified hash-chain head over the key's journals
	// (journal.Head): the incident record the report rests on; "" none.
	JournalHead string
	// Rotation is the key's rotation state (rotate.LoadState); nil when
	// the key was never rotated.
	Rotation *rotate.State
	// Live are facts read from the cloud now; nil offline.
	Live *Live
	// Now is the report time.
	Now time.Time
	// Generator names the tool, e.g. "akresp 1.2.0".
	Generator string
	// SelfUserAgent marks akresp's own calls (default "akresp/").
	SelfUserAgent string
	// Diagnostics are problems the caller met gathering the inputs.
	Diagnostics []Diagnostic
	// Cost is the attacker's spend read by the CLI (online), or nil.
	Cost *Cost
	// Eradicate is what `akresp eradicate` would do now (the CLI planned
	// it online without applying); nil when not planned.
	Eradicate *EradicatePlan
	// Incident is the key's incident record (incident.Load), or nil. With
	// it, akresp's own calls, the responder's calls after containment and
	// the calls the fence refused are left out of the chart, the counts
	// and the evidence (as the audit left them out of its findings); the
	// attacker IPs are the flagged sources only, never a trusted source;
	// the onset and the containment time come from it.
	Incident *incident.Record
}

// Live are the facts the CLI reads from the cloud when the report is made.
// Zero values mean "not known"; every field the CLI could not read leaves a
// Diagnostic in Problems.
type Live struct {
	CheckedAt time.Time
	// KeyStatus is Active, Inactive or Deleted (the owner no longer lists
	// the key); "" unknown.
	KeyStatus string
	// ACLKnown says ACL was read; ACL is the key's network ACL document
	// ("" = none).
	ACLKnown bool
	ACL      string
	// DenyPolicyName is the deny policy looked for; DenyPolicyAttached is
	// nil when the owner's policies could not be read.
	DenyPolicyName     string
	DenyPolicyAttached *bool
	// AttachedPolicies are the owner's directly attached policies.
	AttachedPolicies []AttachedPolicy
	// OtherKeys are the owner's other AccessKeys; OtherKeysKnown says the
	// list was read.
	OtherKeysKnown bool
	OtherKeys      []OtherKey
	// Console is the owner's console access.
	Console *Console
	// EffectiveACL is the network policy that applies to the key (account
	// and key level, and which wins); nil when it was not read.
	EffectiveACL *NetworkPolicy
	// AccountACLKnown says the account-level policy was read; AccountACL
	// is its document ("" = none).
	AccountACLKnown bool
	AccountACL      string
	// Created is the current state of each identity the key created,
	// matched to the audit's created identities by Kind and Name.
	Created []CreatedState
	// LeakRecords are the key's Security Center leak records (SAS);
	// nil when there is none or they could not be read (a Problem says so).
	LeakRecords []LeakRecord
	Problems    []Diagnostic
}

// AttachedPolicy is one policy attached to the owner.
type AttachedPolicy struct {
	Name string `json:"name"`
	Type string `json:"type"` // System | Custom
}

// OtherKey is another key of the owner.
type OtherKey struct {
	AccessKeyID string    `json:"access_key_id"`
	Status      string    `json:"status"`
	Created     time.Time `json:"created,omitzero"`
	LastUsed    time.Time `json:"last_used,omitzero"`
}

// Console is the owner's console login.
type Console struct {
	HasLogin        bool
	MFAEnabled      bool
	MFABindRequired bool
}

// CreatedState is the live state of one created identity.
type CreatedState struct {
	Kind   string
	Name   string
	State  string // active | inactive | deleted | detached | unknown
	Detail string
}

// EradicatePlan is the outcome of planning `akresp eradicate` now.
type EradicatePlan struct {
	Changes       int // changes the plan would make
	Unrecoverable int // changes it lists as unrecoverable
	// ByHand names what the attacker created that eradicate does not
	// remove itself ("Rds CreateDBInstance DBInstanceId=rm-1 in
	// cn-hangzhou"); ByHandOmitted counts those beyond the list.
	ByHand        []string
	ByHandOmitted int
	// Stopped counts the attacker's instances the plan found stopped, not
	// released (eradicate stops them; --release releases them).
	Stopped int
	// ReleaseFrom is when the first of them may be released (akresp
	// stopped it that --observe, default 24h, before); zero when no
	// journal says when akresp stopped one.
	ReleaseFrom time.Time
	// DeleteFrom is when a re-run deletes the last of the users the
	// attacker created that eradicate stripped (their keys disabled that
	// --observe, default 24h, before); zero when none waits or no journal
	// says when.
	DeleteFrom time.Time
}

// Build assembles the report. It is pure and deterministic for the same
// input; it errors only when the input cannot make a report.
func Build(in Input) (*Document, error) {
	if in.Audit == nil {
		return nil, errors.New("report: no audit result to build from")
	}
	r := in.Audit
	keyID := r.Key.AccessKeyID
	if keyID == "" {
		return nil, errors.New("report: the audit result names no AccessKey")
	}
	if in.Now.IsZero() {
		return nil, errors.New("report: no report time")
	}
	b := &builder{in: in, r: r, keyID: keyID}
	if err := b.scan(); err != nil {
		return nil, fmt.Errorf("report: read the events: %w", err)
	}
	doc := &Document{
		SchemaVersion:   SchemaVersion,
		GeneratedAt:     in.Now.UTC().Truncate(time.Second),
		Generator:       in.Generator,
		Mode:            "offline",
		Timeline:        []TimelineEntry{},
		Sources:         []Source{},
		Services:        []Service{},
		Sensitive:       []SensitiveCategory{},
		Findings:        []Finding{},
		Created:         []CreatedIdentity{},
		Actions:         []Action{},
		Risks:           []Risk{},
		Recommendations: []Recommendation{},
		Caveats:         slices.Clone(r.Caveats),
		Diagnostics:     []Diagnostic{},
	}
	doc.Incident = r.Incident
	if in.Cost != nil {
		c := *in.Cost
		c.Cycles = slices.Clone(c.Cycles)
		if c.Cycles == nil {
			c.Cycles = []string{}
		}
		doc.Cost = &c
	}
	if doc.Caveats == nil {
		doc.Caveats = []string{}
	}
	if in.Live != nil {
		doc.Mode = "online"
	}
	b.doc = doc
	b.sources()
	b.services()
	b.findings()
	b.sensitive()
	b.created()
	b.actions()
	b.summary()
	b.timeline()
	if err := b.chart(); err != nil {
		return nil, fmt.Errorf("report: read the events: %w", err)
	}
	b.risks()
	b.recommendations()
	b.diagnostics()
	if b.apiUsesDropped > 0 {
		doc.Diagnostics = append(doc.Diagnostics, Diagnostic{Level: "warning", Source: "report",
			Summary: fmt.Sprintf("%d calls of more than %d distinct APIs are left out of the resource-creation and destruction counts", b.apiUsesDropped, 2*maxAPIUses)})
	}
	doc.Summary.OpenRiskCount = len(doc.Risks)
	if len(doc.Risks) > 0 {
		doc.Summary.HighestRiskRank = doc.Risks[0].Level
	}
	return doc, nil
}

type builder struct {
	in    Input
	r     *audit.Result
	keyID string
	doc   *Document

	// Aggregates of the events used (scan): bounded by the distinct APIs,
	// regions and sources, not by the events.
	nEvents        int
	firstEv        time.Time
	lastEv         time.Time
	sens           map[audit.Category]*sensAgg
	apiUses        map[apiUse]int
	apiUsesDropped int
	// anyFlagged: the audit or the incident record names an attacker
	// source, so resource and destruction counts leave the key's own
	// sources out.
	anyFlagged bool

	// Derived from the journal.
	containedAt   time.Time
	containedBy   string
	containState  string // latest contain verification not undone since
	containAt     time.Time
	journalStatus string // Active | Inactive | Deleted from disable/enable/delete outcomes
	journalStatAt time.Time
	pending       []journal.Record
}

// eachEvent yields the events the audit analysed, in time order (then
// event ID): the key's, inside the window, not akresp's own, not the
// responder's or refused by the fence (incident record); an event repeated
// with the same ID and time (the same record in two files) once. The
// events come from in.Collected (streamed) or in.Events (sorted copy).
func (b *builder) eachEvent(yield func(*Event) bool) error {
	self := cmp.Or(b.in.SelfUserAgent, audit.DefaultSelfUserAgent)
	w := b.r.Window
	var lastID string
	var lastT time.Time
	keep := func(ev *Event) bool {
		switch {
		case ev.AccessKeyID != "" && ev.AccessKeyID != b.keyID,
			!w.Since.IsZero() && ev.Time.Before(w.Since),
			!w.Until.IsZero() && ev.Time.After(w.Until),
			self != "" && strings.Contains(ev.UserAgent, self):
			return true
		}
		if ev.ID != "" {
			if ev.ID == lastID && ev.Time.Equal(lastT) {
				return true
			}
			lastID, lastT = ev.ID, ev.Time
		}
		if rec := b.in.Incident; rec != nil && (ev.AccessKeyID == "" || ev.AccessKeyID == b.keyID) {
			ip, _ := netip.ParseAddr(strings.TrimSpace(ev.SourceIP))
			if rec.Classify(incident.Call{Time: ev.Time, SourceIP: ip, ErrorCode: ev.ErrorCode, RequestID: ev.RequestID}) != incident.Ordinary {
				return true // the responder's or akresp's own, or refused by the fence: not evidence
			}
		}
		return yield(ev)
	}
	if c := b.in.Collected; c != nil {
		return c.Each(keep)
	}
	evs := slices.Clone(b.in.Events)
	slices.SortStableFunc(evs, cmpEventV)
	return sliceSeq(evs)(keep)
}

// UsedEvents returns the events of in that Build uses and the evidence
// file holds: the key's, inside the audit window, not akresp's own, in
// time order. It holds them all in memory (tests, small inputs); the
// report streams them (WriteUsedEvidence).
func UsedEvents(in Input) []Event {
	if in.Audit == nil {
		return nil
	}
	b := &builder{in: in, r: in.Audit, keyID: in.Audit.Key.AccessKeyID}
	var out []Event
	_ = b.eachEvent(func(e *Event) bool { out = append(out, *e); return true })
	return out
}

// apiUse is one kind of call in the digest of the events: resource
// creation and destruction are counted from it.
type apiUse struct {
	Service, Name, Region, RW string
	Failed                    bool
	// Own is true for calls from a source that is the key's own (trusted
	// or known, never flagged): the application's routine, not the
	// attacker's doing.
	Own bool
}

// Bounds of the per-event aggregates (hostile inputs: a new API name or
// source address in every event).
const (
	maxAPIUses      = 1 << 14 // distinct (service, API, region, rw, failed); beyond, the region is folded, then calls dropped
	maxCategoryIPs  = 1000    // source addresses listed per sensitive category
	maxCategoryAPIs = 1000    // APIs listed per sensitive category
)

// sensAgg accumulates one sensitive category.
type sensAgg struct {
	sc   SensitiveCategory
	apis map[[2]string]*APICount
	ips  map[string]bool
}

// scan reads the events once and keeps their aggregates: the count, the
// first and last time, the sensitive categories and the API digest.
func (b *builder) scan() error {
	b.sens = map[audit.Category]*sensAgg{}
	b.apiUses = map[apiUse]int{}
	own := map[string]bool{}
	for _, s := range b.r.Sources {
		if s.Attacker {
			b.anyFlagged = true
		} else if classOf(s) == ClassTrusted || b.trustedNotFlagged(s.IP) {
			own[s.IP] = true
		}
	}
	if rec := b.in.Incident; rec != nil && len(rec.Flagged) > 0 {
		b.anyFlagged = true
	}
	return b.eachEvent(func(ev *Event) bool {
		if b.nEvents == 0 {
			b.firstEv = ev.Time.UTC()
		}
		b.lastEv = ev.Time.UTC()
		b.nEvents++
		failed := ev.ErrorCode != ""
		u := apiUse{Service: ev.Service, Name: ev.Name, Region: ev.Region, RW: ev.RW, Failed: failed,
			Own: own[ev.SourceIP] || b.trustedNotFlagged(ev.SourceIP)}
		if _, ok := b.apiUses[u]; !ok && len(b.apiUses) >= maxAPIUses {
			u.Region = ""
			if _, ok := b.apiUses[u]; !ok && len(b.apiUses) >= 2*maxAPIUses {
				b.apiUsesDropped++
				u = apiUse{}
			}
		}
		if u != (apiUse{}) {
			b.apiUses[u]++
		}
		for _, c := range audit.SensitiveCategories(ev.Service, ev.Name) {
			a := b.sensGet(c, "events")
			a.sc.Count++
			if failed {
				a.sc.Errors++
			}
			if a.sc.First.IsZero() || ev.Time.Before(a.sc.First) {
				a.sc.First = ev.Time
			}
			if ev.Time.After(a.sc.Last) {
				a.sc.Last = ev.Time
			}
			k := [2]string{ev.Service, ev.Name}
			ac := a.apis[k]
			if ac == nil && len(a.apis) < maxCategoryAPIs {
				ac = &APICount{Service: ev.Service, Name: ev.Name}
				a.apis[k] = ac
			}
			if ac != nil {
				ac.Count++
				if failed {
					ac.Errors++
				}
			} else {
				a.sc.APIsTruncated = true
			}
			if ev.SourceIP != "" && !a.ips[ev.SourceIP] {
				if len(a.ips) < maxCategoryIPs {
					a.ips[ev.SourceIP] = true
				} else {
					a.sc.IPsTruncated = true
				}
			}
			if len(a.sc.Examples) < maxCategoryExamples {
				a.sc.Examples = append(a.sc.Examples, brief(ev))
			}
		}
		return true
	})
}

func (b *builder) sensGet(c audit.Category, basis string) *sensAgg {
	a := b.sens[c]
	if a == nil {
		a = &sensAgg{sc: SensitiveCategory{Category: string(c), Label: categoryLabels[c], Basis: basis, APIs: []APICount{}, IPs: []string{}},
			apis: map[[2]string]*APICount{}, ips: map[string]bool{}}
		b.sens[c] = a
	}
	return a
}

// classOf classes a source for the report: flagged means the attacker's
// (audit.IPSummary.Attacker); a known source the audit flagged only for a
// sensitive write is the owners' (its reasons still say "sensitive").
func classOf(s audit.IPSummary) string {
	switch {
	case s.Attacker:
		return ClassFlagged
	case s.Trusted || !s.New:
		return ClassTrusted
	}
	return ClassUntrustedNew
}

// ClassLabel is the human name of an IP class.
func ClassLabel(class string) string {
	switch class {
	case ClassTrusted:
		return "trusted or known"
	case ClassUntrustedNew:
		return "new, untrusted"
	case ClassFlagged:
		return "flagged"
	}
	return class
}

func (b *builder) acl() (policy.ACL, bool) {
	l := b.in.Live
	if l == nil || !l.ACLKnown {
		return policy.ACL{}, false
	}
	if strings.TrimSpace(l.ACL) == "" {
		return policy.ACLInactive(), true
	}
	a, err := policy.ReadNetworkACL(l.ACL)
	if err != nil {
		return policy.ACL{}, false
	}
	return a, true
}

func (b *builder) sources() {
	acl, aclOK := b.acl()
	for _, s := range b.r.Sources {
		src := Source{IP: s.IP, Class: classOf(s), Trusted: s.Trusted, New: s.New, Flagged: s.Attacker,
			Reasons: slices.Clone(s.Reasons), FirstSeen: s.FirstSeen, LastSeen: s.LastSeen, Count: s.Count,
			Errors: s.Errors, Services: slices.Clone(s.Services)}
		if src.Services == nil {
			src.Services = []string{}
		}
		if ip, err := netip.ParseAddr(s.IP); err == nil && aclOK {
			blocked := !acl.Allows(ip)
			src.BlockedNow = &blocked
		}
		if s.Attacker && !b.trustedNotFlagged(s.IP) {
			b.doc.Summary.AttackerIPs = append(b.doc.Summary.AttackerIPs, s.IP)
		}
		b.doc.Sources = append(b.doc.Sources, src)
	}
	// Sources an earlier audit or contain flagged stay attackers, even when
	// this window no longer shows them.
	if rec := b.in.Incident; rec != nil {
		for _, a := range rec.Flagged {
			if ip := a.String(); !slices.Contains(b.doc.Summary.AttackerIPs, ip) {
				b.doc.Summary.AttackerIPs = append(b.doc.Summary.AttackerIPs, ip)
			}
		}
	}
	// Flagged first, then by count.
	rank := map[string]int{ClassFlagged: 0, ClassUntrustedNew: 1, ClassTrusted: 2}
	slices.SortStableFunc(b.doc.Sources, func(x, y Source) int {
		return cmp.Or(cmp.Compare(rank[x.Class], rank[y.Class]), cmp.Compare(y.Count, x.Count), strings.Compare(x.IP, y.IP))
	})
	if b.doc.Summary.AttackerIPs == nil {
		b.doc.Summary.AttackerIPs = []string{}
	}
	slices.Sort(b.doc.Summary.AttackerIPs)
}

// trustedNotFlagged reports whether ip is inside the incident's trusted
// CIDRs (the fence's allow-list) and was never journaled as the attacker:
// such a source is the responder's or the application's, not an attacker.
func (b *builder) trustedNotFlagged(s string) bool {
	rec := b.in.Incident
	if rec == nil {
		return false
	}
	ip, err := netip.ParseAddr(s)
	return err == nil && rec.IsTrusted(ip) && !rec.IsFlagged(ip)
}

func (b *builder) services() {
	for _, s := range b.r.Services {
		acts := slices.Clone(s.Actions)
		if acts == nil {
			acts = []audit.ActionCount{}
		}
		b.doc.Services = append(b.doc.Services, Service{Service: s.Service, Count: s.Count, Writes: s.Writes,
			Errors: s.Errors, FirstSeen: s.FirstSeen, LastSeen: s.LastSeen, Actions: acts})
	}
}

func (b *builder) findings() {
	for _, f := range b.r.Findings {
		ips := slices.Clone(f.IPs)
		if ips == nil {
			ips = []string{}
		}
		b.doc.Findings = append(b.doc.Findings, Finding{ID: f.ID, Severity: f.Severity, Title: f.Title, Why: f.Why,
			Count: f.Count, First: f.First, Last: f.Last, IPs: ips})
	}
	slices.SortStableFunc(b.doc.Findings, func(x, y Finding) int {
		return cmp.Or(cmp.Compare(y.Severity, x.Severity), x.First.Compare(y.First), strings.Compare(x.ID, y.ID))
	})
}

// categoryOrder ranks the catalogue's categories by how urgently a
// responder must look at them.
var categoryOrder = []audit.Category{audit.CategoryPers, audit.CategoryPriv, audit.CategoryEvade, audit.CategoryDest,
	audit.CategoryExfil, audit.CategoryExec, audit.CategoryCost, audit.CategoryEnum}

var categoryLabels = map[audit.Category]string{
	audit.CategoryEnum:  "Enumeration / discovery",
	audit.CategoryPers:  "Persistence",
	audit.CategoryPriv:  "Privilege change",
	audit.CategoryExec:  "Code execution",
	audit.CategoryExfil: "Collection / exfiltration",
	audit.CategoryCost:  "Cost abuse (resource hijacking)",
	audit.CategoryDest:  "Destruction / lock-out",
	audit.CategoryEvade: "Defence evasion",
}

const maxCategoryExamples = 5

func (b *builder) sensitive() {
	if b.nEvents == 0 {
		b.sens = map[audit.Category]*sensAgg{}
		for _, s := range b.r.Services {
			for _, act := range s.Actions {
				for _, c := range audit.SensitiveCategories(s.Service, act.Name) {
					a := b.sensGet(c, "summary")
					a.sc.Count += act.Count
					a.sc.Errors += act.Errors
					a.apis[[2]string{s.Service, act.Name}] = &APICount{Service: s.Service, Name: act.Name, Count: act.Count, Errors: act.Errors}
				}
			}
		}
	}
	for _, c := range categoryOrder {
		a := b.sens[c]
		if a == nil {
			continue
		}
		for _, ac := range a.apis {
			a.sc.APIs = append(a.sc.APIs, *ac)
		}
		slices.SortFunc(a.sc.APIs, func(x, y APICount) int {
			return cmp.Or(cmp.Compare(y.Count, x.Count), strings.Compare(x.Service, y.Service), strings.Compare(x.Name, y.Name))
		})
		for ip := range a.ips {
			a.sc.IPs = append(a.sc.IPs, ip)
		}
		slices.Sort(a.sc.IPs)
		b.doc.Sensitive = append(b.doc.Sensitive, a.sc)
	}
}

func brief(ev *Event) EventBrief {
	return EventBrief{Time: ev.Time, EventID: ev.ID, Name: ev.Name, Service: ev.Service, SourceIP: ev.SourceIP,
		ErrorCode: ev.ErrorCode, Region: ev.Region}
}

func (b *builder) created() {
	live := map[[2]string]CreatedState{}
	if b.in.Live != nil {
		for _, c := range b.in.Live.Created {
			live[[2]string{c.Kind, c.Name}] = c
		}
	}
	for _, c := range b.r.Created {
		ci := CreatedIdentity{Kind: c.Kind, Name: c.Name, User: c.User, PrincipalType: c.PrincipalType, Action: c.Action,
			CreatedAt: c.Event.Time, SourceIP: c.Event.SourceIP, EventID: c.Event.EventID, Attacker: c.Attacker, State: "unknown"}
		if s, ok := live[[2]string{c.Kind, c.Name}]; ok {
			ci.State, ci.StateDetail = cmp.Or(s.State, "unknown"), s.Detail
		} else if b.in.Live == nil {
			ci.StateDetail = "offline: not checked"
		} else {
			ci.StateDetail = "not checked"
		}
		b.doc.Created = append(b.doc.Created, ci)
	}
}

// containmentOutcome reports whether an ok outcome fences the key in, and
// names the action.
func (b *builder) containmentOutcome(r journal.Record) (string, bool) {
	if r.Kind != journal.KindOutcome || r.Result != journal.ResultOK {
		return "", false
	}
	switch {
	case r.Command == cmdContain && (r.Action == actNetworkACL || r.Action == actAttachPolicy),
		r.Command == cmdContain && r.Action == actKeyStatus && r.Target == b.keyID,
		r.Command == cmdDisable && r.Action == actKeyStatus,
		r.Command == cmdDelete && r.Action == actDeleteKey,
		r.Command == cmdRotate && (r.Action == rotate.ActionDisableOldKey || r.Action == rotate.ActionDeleteOldKey):
		return r.Command + " " + r.Action, true
	}
	return "", false
}

func (b *builder) actions() {
	recs := slices.Clone(b.in.Journal)
	slices.SortStableFunc(recs, func(x, y journal.Record) int { return x.Time.Compare(y.Time) })
	for _, r := range recs {
		if by, ok := b.containmentOutcome(r); ok && b.containedAt.IsZero() {
			b.containedAt, b.containedBy = r.Time.UTC(), by
		}
		switch {
		case r.Command == cmdContain && r.Action == actVerify:
			var v struct {
				State string `json:"state"`
			}
			if json.Unmarshal(r.After, &v) == nil && v.State != "" {
				b.containState, b.containAt = v.State, r.Time.UTC()
			}
		case r.Command == cmdContainUndo && r.Action == actUndoComplete:
			b.containState, b.containAt = "", r.Time.UTC()
		}
		if r.Kind == journal.KindOutcome && r.Result == journal.ResultOK {
			switch {
			case r.Command == cmdDisable && r.Action == actKeyStatus,
				r.Command == cmdContain && r.Action == actKeyStatus && r.Target == b.keyID:
				b.journalStatus, b.journalStatAt = "Inactive", r.Time.UTC()
			case r.Command == cmdEnable && r.Action == actKeyStatus:
				b.journalStatus, b.journalStatAt = "Active", r.Time.UTC()
			case r.Command == cmdDelete && r.Action == actDeleteKey,
				r.Command == cmdRotate && r.Action == rotate.ActionDeleteOldKey:
				b.journalStatus, b.journalStatAt = "Deleted", r.Time.UTC()
			case r.Command == cmdRotate && r.Action == rotate.ActionDisableOldKey:
				b.journalStatus, b.journalStatAt = "Inactive", r.Time.UTC()
			case r.Command == cmdRotate && r.Action == rotate.ActionEnableOldKey:
				b.journalStatus, b.journalStatAt = "Active", r.Time.UTC()
			}
		}
		isAction := r.ActionID != "" && (r.Kind == journal.KindOutcome || (r.Kind == journal.KindNote && r.Result != ""))
		if !isAction {
			continue
		}
		b.doc.Actions = append(b.doc.Actions, Action{Time: r.Time.UTC(), Command: r.Command, Action: r.Action, Target: r.Target,
			Result: r.Result, RequestID: r.RequestID, ErrorCode: r.ErrorCode, Error: r.Error, Operator: r.Operator,
			Run: r.RunID, Journal: baseName(r.File), Item: actionItem(r.ActionID, r.Target)})
	}
	b.linkEradications()
	b.pending = journal.Pending(recs)
	for _, r := range b.pending {
		b.doc.Actions = append(b.doc.Actions, Action{Time: r.Time.UTC(), Command: r.Command, Action: r.Action, Target: r.Target,
			Result: "pending", Operator: r.Operator, Run: r.RunID, Journal: baseName(r.File), Item: actionItem(r.ActionID, r.Target)})
	}
	slices.SortStableFunc(b.doc.Actions, func(x, y Action) int { return x.Time.Compare(y.Time) })
}

// actionItem is what an action ID names after its target
// ("detach-policy:svc-backup:AdministratorAccess" -> "AdministratorAccess",
// "revoke-rule:sg-1:tcp:22/22:0.0.0.0/0" -> "tcp:22/22:0.0.0.0/0"), or ""
// when it names nothing more (one action per target).
func actionItem(id, target string) string {
	if target == "" {
		return ""
	}
	if _, rest, ok := strings.Cut(id, ":"+target+":"); ok {
		return rest
	}
	return ""
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

// keyStatus is the key's status now: live, else the journal's last word,
// else what the audit saw.
func (b *builder) keyStatus() (status, basis string) {
	if l := b.in.Live; l != nil && l.KeyStatus != "" {
		return l.KeyStatus, "live"
	}
	if b.journalStatus != "" {
		return b.journalStatus, "journal"
	}
	if b.r.Key.Status != "" {
		return b.r.Key.Status, "audit"
	}
	return "", ""
}

func (b *builder) rotationDone() bool {
	st := b.in.Rotation
	if st == nil {
		return false
	}
	switch st.Step {
	case rotate.StepDisabled, rotate.StepVerified, rotate.StepDeleted:
		return true
	}
	return false
}

func (b *builder) summary() {
	r := b.r
	s := &b.doc.Summary
	s.AccessKeyID = b.keyID
	s.Owner, s.OwnerType, s.AccountID = r.Key.Owner, r.Key.OwnerType, r.Key.AccountID
	s.Verdict, s.Severity, s.VerdictSummary = r.Verdict.Status, r.Verdict.Severity, r.Verdict.Summary
	s.Reasons, s.MoreFindings = slices.Clone(r.Verdict.Reasons), r.Verdict.MoreFindings
	if s.Reasons == nil {
		s.Reasons = []string{}
	}
	s.WindowSince, s.WindowUntil, s.LeakTime, s.Events = r.Window.Since, r.Window.Until, r.Window.LeakTime, r.Window.Events
	status, basis := b.keyStatus()
	s.KeyStatus = status
	s.JournalHead = b.in.JournalHead

	if l := b.in.Live; l != nil {
		s.LiveCheckedAt = l.CheckedAt.UTC().Truncate(time.Second)
		if l.ACLKnown {
			s.NetworkACL = describeACL(l.ACL)
		}
		if l.EffectiveACL != nil {
			p := *l.EffectiveACL
			s.EffectiveNetworkPolicy = &p
		}
		s.LeakRecords = slices.Clone(l.LeakRecords)
		if l.DenyPolicyAttached != nil {
			s.DenyPolicy = &DenyPolicyState{PolicyName: cmp.Or(l.DenyPolicyName, DefaultDenyPolicyName), Attached: *l.DenyPolicyAttached}
		}
	}

	// First suspicious event: the attacker's first call, else the first
	// high finding (the audit's own definition), else the leak time; or
	// the onset journaled by an earlier audit or contain run.
	s.FirstSuspicious, s.FirstSuspiciousBasis = r.FirstSuspiciousExcept(b.trustedNotFlagged)
	if s.FirstSuspicious.IsZero() && !r.Window.LeakTime.IsZero() {
		s.FirstSuspicious, s.FirstSuspiciousBasis = r.Window.LeakTime.UTC(), "leak time"
	}
	if rec := b.in.Incident; rec != nil && !rec.Onset.IsZero() && (s.FirstSuspicious.IsZero() || rec.Onset.Before(s.FirstSuspicious)) {
		s.FirstSuspicious, s.FirstSuspiciousBasis = rec.Onset.UTC(), "onset journaled by an earlier audit or contain run"
	}
	s.ContainedAt, s.ContainedBy = b.containedAt, b.containedBy
	if rec := b.in.Incident; rec != nil && !rec.ContainedAt.IsZero() {
		// The containment in effect (since the last complete undo).
		s.ContainedAt, s.ContainedBy = rec.ContainedAt.UTC(), "contain (network ACL / deny policy)"
		for _, a := range rec.Actions {
			if a.Time.Equal(rec.ContainedAt) && a.Command == cmdContain {
				s.ContainedBy = a.Command + " " + a.Action
				break
			}
		}
		if !b.containedAt.IsZero() && b.containedAt.Before(s.ContainedAt) && b.containedBy != "" && !strings.HasPrefix(b.containedBy, cmdContain+" ") {
			s.ContainedAt, s.ContainedBy = b.containedAt, b.containedBy // disabled before the fence went up
		}
	}
	if !s.FirstSuspicious.IsZero() && !s.ContainedAt.IsZero() && !s.ContainedAt.Before(s.FirstSuspicious) {
		d := s.ContainedAt.Sub(s.FirstSuspicious)
		s.TimeToContain, s.TimeToContainS = FormatDuration(d), int64(d/time.Second)
	}

	// State.
	rot := b.in.Rotation
	switch {
	case b.rotationDone() && status != "Active":
		s.State = StateRotated
		s.StateDetail = fmt.Sprintf("rotation reached %q", rot.Step)
		if rot.NewKeyID != "" {
			s.StateDetail = fmt.Sprintf("replaced by %s; rotation reached %q", rot.NewKeyID, rot.Step)
		}
	case status == "Deleted":
		s.State, s.StateDetail = StateDeleted, "the key no longer exists ("+basis+")"
	case status == "Inactive":
		s.State, s.StateDetail = StateDisabled, "the key is Inactive ("+basis+")"
	case b.containState == StateContained || b.containState == StatePartiallyContained:
		s.State = b.containState
		s.StateDetail = "contain verification at " + b.containAt.Format(time.RFC3339)
		if l := b.in.Live; l != nil && b.containState == StateContained {
			acl, ok := b.acl()
			aclOff := ok && (acl.Status != "Active" || len(acl.Statements) == 0)
			policyOff := l.DenyPolicyAttached != nil && !*l.DenyPolicyAttached && r.Key.OwnerType != "root-account"
			if aclOff || policyOff {
				s.State = StatePartiallyContained
				var gone []string
				if aclOff {
					gone = append(gone, "the network ACL is no longer enforced")
				}
				if policyOff {
					gone = append(gone, "the deny policy is no longer attached")
				}
				s.StateDetail += "; but now " + strings.Join(gone, " and ")
			}
		}
	default:
		s.State = StateOpen
		s.StateDetail = "no containment, disable or rotation in effect"
		if b.containState == "" && !b.containAt.IsZero() {
			s.StateDetail = "containment was undone at " + b.containAt.Format(time.RFC3339)
		}
	}
}

// describeACL summarises a network ACL document for people.
func describeACL(doc string) string {
	if strings.TrimSpace(doc) == "" {
		return "none (every source allowed)"
	}
	a, err := policy.ReadNetworkACL(doc)
	if err != nil {
		return "unreadable document"
	}
	if a.Status != "Active" {
		return "inactive (every source allowed)"
	}
	var parts []string
	for _, st := range a.Statements {
		switch {
		case st.Value == "":
			parts = append(parts, "public: "+strings.Join(st.IPList, ", "))
		default:
			parts = append(parts, st.Value+": "+strings.Join(st.IPList, ", "))
		}
	}
	if len(parts) == 0 {
		return "active, no statements (every source allowed)"
	}
	return "enforced; allows " + strings.Join(parts, "; ")
}

// FormatDuration prints d for people: "1d 2h 5m", "3h 12m", "45s".
func FormatDuration(d time.Duration) string {
	if d < time.Minute {
		return d.Round(time.Second).String()
	}
	d = d.Round(time.Minute)
	days := int(d / (24 * time.Hour))
	h := int(d % (24 * time.Hour) / time.Hour)
	m := int(d % time.Hour / time.Minute)
	var parts []string
	if days > 0 {
		parts = append(parts, fmt.Sprintf("%dd", days))
	}
	if h > 0 {
		parts = append(parts, fmt.Sprintf("%dh", h))
	}
	if m > 0 || len(parts) == 0 {
		parts = append(parts, fmt.Sprintf("%dm", m))
	}
	return strings.Join(parts, " ")
}

var kindRank = map[string]int{EntryEvent: 0, EntryAction: 1, EntryNote: 2}

func (b *builder) timeline() {
	type evEntry struct {
		e   TimelineEntry
		sev audit.Severity
	}
	byID := map[string]*evEntry{}
	var order []string
	add := func(ref audit.EvidenceRef, f *audit.Finding) {
		id := ref.EventID
		if id == "" {
			id = fmt.Sprintf("%s|%s|%s", ref.Time.Format(time.RFC3339Nano), ref.Name, ref.SourceIP)
		}
		x := byID[id]
		if x == nil {
			detail := ref.Detail
			if ref.ErrorCode != "" {
				detail = strings.TrimSpace(detail + " failed: " + ref.ErrorCode)
			}
			x = &evEntry{e: TimelineEntry{Time: ref.Time.UTC(), Kind: EntryEvent, Title: ref.Service + " " + ref.Name, Detail: detail,
				SourceIP: ref.SourceIP, EventID: ref.EventID, RequestID: ref.RequestID, Findings: []string{}}, sev: -1}
			byID[id] = x
			order = append(order, id)
		}
		if f != nil {
			if !slices.Contains(x.e.Findings, f.ID) {
				x.e.Findings = append(x.e.Findings, f.ID)
			}
			x.sev = max(x.sev, f.Severity)
		}
	}
	for i := range b.r.Findings {
		f := &b.r.Findings[i]
		for _, ref := range f.Evidence {
			add(ref, f)
		}
	}
	for _, c := range b.r.Created {
		add(c.Event, nil)
		id := cmp.Or(c.Event.EventID, fmt.Sprintf("%s|%s|%s", c.Event.Time.Format(time.RFC3339Nano), c.Event.Name, c.Event.SourceIP))
		if x := byID[id]; x != nil && !strings.Contains(x.e.Detail, "created ") {
			x.e.Detail = strings.TrimSpace(x.e.Detail + " created " + strings.ReplaceAll(c.Kind, "_", " ") + " " + c.Name)
		}
	}
	for _, id := range order {
		x := byID[id]
		if x.sev >= 0 {
			x.e.Severity = x.sev.String()
		}
		slices.Sort(x.e.Findings)
		if len(x.e.Findings) == 0 {
			x.e.Findings = nil // omitted in JSON
		}
		b.doc.Timeline = append(b.doc.Timeline, x.e)
	}
	for _, a := range b.doc.Actions {
		title := a.Command + ": " + a.Action
		if a.Target != "" {
			title += " " + a.Target
		}
		if a.Item != "" {
			title += " (" + a.Item + ")"
		}
		detail := a.Error
		if a.Result == "pending" {
			detail = "started but no outcome recorded (the process stopped); re-run the command to reconcile"
		}
		b.doc.Timeline = append(b.doc.Timeline, TimelineEntry{Time: a.Time, Kind: EntryAction, Title: title, Detail: detail,
			Result: a.Result, RequestID: a.RequestID, Run: a.Run})
	}
	for _, r := range b.in.Journal {
		var title string
		switch {
		case r.Action == actVerify:
			title = r.Command + ": verification"
		case r.Action == actUndoComplete:
			title = r.Command + ": containment reverted"
		case r.Command == cmdRotate && r.Action == actStep:
			var v struct {
				Step string `json:"step"`
			}
			_ = json.Unmarshal(r.After, &v)
			title = "rotate: step " + cmp.Or(v.Step, "?")
		case r.Action == actReconcile:
			title = r.Command + ": reconciled an interrupted run"
		default:
			continue
		}
		b.doc.Timeline = append(b.doc.Timeline, TimelineEntry{Time: r.Time.UTC(), Kind: EntryNote, Title: title,
			Detail: r.Message, Result: r.Result, Run: r.RunID})
	}
	slices.SortStableFunc(b.doc.Timeline, func(x, y TimelineEntry) int {
		return cmp.Or(x.Time.Compare(y.Time), cmp.Compare(kindRank[x.Kind], kindRank[y.Kind]))
	})
}

// journaledEvidence reads eradicate's evidence notes: run, action kind and
// target -> the IDs of the events that called for the action.
func journaledEvidence(recs []journal.Record) map[string][]string {
	out := map[string][]string{}
	for _, r := range recs {
		if r.Kind != journal.KindNote || r.Action != "evidence" || r.Command != incident.CmdEradicate {
			continue
		}
		var doc struct {
			EventIDs []string `json:"event_ids"`
			Action   string   `json:"action"`
		}
		if json.Unmarshal(r.After, &doc) == nil && len(doc.EventIDs) > 0 {
			out[r.RunID+"\x00"+doc.Action+"\x00"+r.Target] = doc.EventIDs
		}
	}
	return out
}

// linkEradications names, for each eradicate / eradicate-undo action, the
// attacker's event that called for it: the audit's event that created the
// target identity, else the first suspicious event whose detail names the
// target (an instance, a security group).
func (b *builder) linkEradications() {
	journaled := journaledEvidence(b.in.Journal)
	for i := range b.doc.Actions {
		a := &b.doc.Actions[i]
		if (a.Command != incident.CmdEradicate && a.Command != incident.CmdEradicateUndo) || a.Target == "" {
			continue
		}
		var ref *audit.EvidenceRef
		for j := range b.r.Created {
			c := &b.r.Created[j]
			if c.Name == a.Target || (c.Kind == audit.KindUser && strings.HasPrefix(a.Target, c.Name+"/")) ||
				(c.User == a.Target && c.Kind != audit.KindAccessKey) {
				ref = &c.Event
				break
			}
		}
		if ref == nil {
		findings:
			for j := range b.r.Findings {
				for k := range b.r.Findings[j].Evidence {
					e := &b.r.Findings[j].Evidence[k]
					if strings.Contains(e.Detail, a.Target) || e.EventID == a.Target {
						ref = e
						break findings
					}
				}
			}
		}
		// eradicate journals the events that called for each action (an
		// "evidence" note): they win over the audit's guess.
		if ids := journaled[a.Run+"\x00"+a.Action+"\x00"+a.Target]; len(ids) > 0 && (ref == nil || !slices.Contains(ids, ref.EventID)) {
			a.EvidenceEventID = ids[0]
			a.Evidence = "event(s) " + strings.Join(ids, ", ") + " journaled with the action"
			continue
		}
		if ref == nil {
			continue
		}
		a.EvidenceEventID = ref.EventID
		a.Evidence = strings.TrimSpace(fmt.Sprintf("%s %s from %s at %s", ref.Service, ref.Name, cmp.Or(ref.SourceIP, "?"), ref.Time.UTC().Format(time.RFC3339)))
	}
}
