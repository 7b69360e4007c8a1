package audit

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/akresp/akresp/internal/incident"
	"github.com/akresp/akresp/internal/policy"
)

// IncidentSummary is what the incident record (the journals of akresp's
// own actions on the key) did to the audit: the responder's activity and
// the attacker's refused attempts, taken out of the evidence and counted
// here instead. It is nil when the audit had no record, or the record was
// empty.
type IncidentSummary struct {
	// ContainedAt is when akresp's containment took effect (zero: the key
	// is not contained per the journal).
	ContainedAt time.Time `json:"contained_at,omitzero"`
	// Onset is the earliest onset journaled by earlier audits and contain
	// runs (zero: none).
	Onset time.Time `json:"journaled_onset,omitzero"`
	// FenceACL says whether a network ACL set by contain is in effect per
	// the journal; DenyAttached the deny-high-risk policy.
	FenceACL     bool      `json:"fence_acl"`
	DenyAttached bool      `json:"deny_policy_attached"`
	Flagged      []string  `json:"flagged_ips"`   // sources journaled as the attacker
	Trusted      []string  `json:"trusted_cidrs"` // the fence's allow-list and journaled suggested trusted CIDRs
	DisabledAt   time.Time `json:"disabled_at,omitzero"`
	DeletedAt    time.Time `json:"deleted_at,omitzero"`
	// Rotation is the rotation's step ("" none) and its new key.
	Rotation       string `json:"rotation_step,omitempty"`
	RotationNewKey string `json:"rotation_new_key,omitempty"`
	// OwnCalls are events carrying the request ID of one of akresp's own
	// journaled calls.
	OwnCalls int `json:"own_calls"`
	// Responder is the activity after containment from trusted sources:
	// the responder's tests and the application (allowed or refused).
	Responder []ResponderSource `json:"responder_activity"`
	// AttackerTrying are the calls the fence refused after containment
	// from sources that are not trusted: the attacker still trying.
	AttackerTrying []RefusedSource `json:"attacker_still_trying"`
	Warnings       []string        `json:"warnings,omitempty"`
}

// ResponderSource is one trusted source's calls after containment.
type ResponderSource struct {
	IP      string    `json:"ip"`
	Calls   int       `json:"calls"`
	Refused int       `json:"refused"`
	First   time.Time `json:"first"`
	Last    time.Time `json:"last"`
}

// RefusedSource is one source the fence kept refusing.
type RefusedSource struct {
	IP      string    `json:"ip"`
	Refused int       `json:"refused"`
	First   time.Time `json:"first"`
	Last    time.Time `json:"last"`
	Flagged bool      `json:"flagged"` // journaled as the attacker
}

// incidentFilter classifies the key's events against the incident record
// before the engine sees them.
type incidentFilter struct {
	rec   *incident.Record
	keyID string
	sum   *IncidentSummary
	resp  map[string]*ResponderSource
	ref   map[string]*RefusedSource
}

func newIncidentFilter(rec *incident.Record, keyID string) *incidentFilter {
	if rec == nil {
		return nil
	}
	s := &IncidentSummary{ContainedAt: rec.ContainedAt.UTC(), Onset: rec.Onset.UTC(), FenceACL: rec.FenceACL != "",
		DenyAttached: rec.DenyAttached, Flagged: []string{}, Trusted: []string{}, DisabledAt: rec.DisabledAt.UTC(),
		DeletedAt: rec.DeletedAt.UTC(), Responder: []ResponderSource{}, AttackerTrying: []RefusedSource{},
		Warnings: slices.Clone(rec.Warnings)}
	if rec.ContainedAt.IsZero() {
		s.ContainedAt = time.Time{}
	}
	if rec.Onset.IsZero() {
		s.Onset = time.Time{}
	}
	if rec.DisabledAt.IsZero() {
		s.DisabledAt = time.Time{}
	}
	if rec.DeletedAt.IsZero() {
		s.DeletedAt = time.Time{}
	}
	for _, a := range rec.Flagged {
		s.Flagged = append(s.Flagged, a.String())
	}
	for _, p := range rec.Trusted {
		s.Trusted = append(s.Trusted, p.String())
	}
	if rec.Rotation != nil {
		s.Rotation, s.RotationNewKey = rec.Rotation.Step, rec.Rotation.NewKeyID
	}
	return &incidentFilter{rec: rec, keyID: keyID, sum: s, resp: map[string]*ResponderSource{}, ref: map[string]*RefusedSource{}}
}

// keep classifies ev and reports whether it is evidence (Ordinary). Events
// of another key pass through: the engine filters them.
func (f *incidentFilter) keep(ev *Event) bool {
	if f == nil || ev == nil || (f.keyID != "" && ev.AccessKeyID != "" && ev.AccessKeyID != f.keyID) {
		return true
	}
	ip, _ := netip.ParseAddr(strings.TrimSpace(ev.SourceIP))
	switch f.rec.Classify(incident.Call{Time: ev.Time, SourceIP: ip, ErrorCode: ev.ErrorCode, RequestID: ev.RequestID}) {
	case incident.Own:
		f.sum.OwnCalls++
	case incident.Responder:
		s := f.resp[ev.SourceIP]
		if s == nil {
			s = &ResponderSource{IP: ev.SourceIP, First: ev.Time.UTC()}
			f.resp[ev.SourceIP] = s
		}
		s.Calls++
		if ev.ErrorCode != "" {
			s.Refused++
		}
		s.First, s.Last = minTime(s.First, ev.Time.UTC()), maxTime(s.Last, ev.Time.UTC())
	case incident.Refused:
		s := f.ref[ev.SourceIP]
		if s == nil {
			s = &RefusedSource{IP: ev.SourceIP, First: ev.Time.UTC(), Flagged: f.rec.IsFlagged(ip)}
			f.ref[ev.SourceIP] = s
		}
		s.Refused++
		s.First, s.Last = minTime(s.First, ev.Time.UTC()), maxTime(s.Last, ev.Time.UTC())
	default:
		return true
	}
	return false
}

// summary finishes the counts; nil when the record holds nothing at all.
func (f *incidentFilter) summary() *IncidentSummary {
	if f == nil {
		return nil
	}
	s := f.sum
	for _, r := range f.resp {
		s.Responder = append(s.Responder, *r)
	}
	for _, r := range f.ref {
		s.AttackerTrying = append(s.AttackerTrying, *r)
	}
	slices.SortFunc(s.Responder, func(a, b ResponderSource) int {
		return cmp.Or(cmp.Compare(b.Calls, a.Calls), strings.Compare(a.IP, b.IP))
	})
	slices.SortFunc(s.AttackerTrying, func(a, b RefusedSource) int {
		return cmp.Or(cmp.Compare(b.Refused, a.Refused), strings.Compare(a.IP, b.IP))
	})
	rec := f.rec
	empty := rec.ContainedAt.IsZero() && rec.Onset.IsZero() && len(rec.Flagged) == 0 && len(rec.Trusted) == 0 &&
		len(rec.Actions) == 0 && rec.Rotation == nil && len(rec.Contained) == 0 && len(rec.Evidence) == 0 && len(rec.Warnings) == 0
	if empty && s.OwnCalls == 0 {
		return nil
	}
	return s
}

// withIncidentTrust adds the record's trusted CIDRs to the engine's fence
// CIDRs: the fence's allow-list stays trusted (and in the suggested trusted
// CIDRs) however little the trusted sources were seen in the window,
// without making every other source "untrusted" as --trusted-cidr does.
func withIncidentTrust(o Options, rec *incident.Record) Options {
	if rec != nil && rec.CreatedBy != "" {
		// A key the leaked key created: its attacker is that incident's.
		o.KnownAttackers = slices.Clone(rec.Inherited)
		o.CreatedBy = rec.CreatedBy
	}
	if rec == nil || len(rec.Trusted) == 0 {
		return o
	}
	out := slices.Clone(o.FenceCIDRs)
	for _, p := range rec.Trusted {
		if slices.ContainsFunc(o.KnownAttackers, p.Contains) {
			continue // trust the record gave the creating key's attacker
		}
		if !slices.Contains(out, p) && !slices.Contains(o.TrustedCIDRs, p) {
			out = append(out, p)
		}
	}
	o.FenceCIDRs = out
	return o
}

// Onset is when the suspicious activity began, as far as this audit and
// the journaled incident tell: the earlier of the journaled onset and
// FirstSuspicious. Zero when nothing is suspicious.
func (r *Result) Onset() time.Time {
	t, _ := r.FirstSuspicious()
	if r.Incident != nil && !r.Incident.Onset.IsZero() && (t.IsZero() || r.Incident.Onset.Before(t)) {
		t = r.Incident.Onset
	}
	return t.UTC()
}

// FirstSuspicious is when this audit saw the suspicious activity begin,
// and on what basis: the first call of a source that is the attacker's
// (IPSummary.Attacker) when there is one; else the first high or critical
// finding (posture findings aside). With an attacker, the findings of the
// owners' sources (an office's off-hours call at the window's start, a
// trusted host departing from its routine) say nothing about when the
// attack began. Zero when neither.
func (r *Result) FirstSuspicious() (t time.Time, basis string) {
	return r.FirstSuspiciousExcept(nil)
}

// FirstSuspiciousExcept is FirstSuspicious with the sources for which
// owned returns true not counted as the attacker's (the report: sources
// inside the incident's fence that were never journaled as flagged).
func (r *Result) FirstSuspiciousExcept(owned func(ip string) bool) (t time.Time, basis string) {
	for _, s := range r.Sources {
		if s.Attacker && (owned == nil || !owned(s.IP)) && !s.FirstSeen.IsZero() && (t.IsZero() || s.FirstSeen.Before(t)) {
			t, basis = s.FirstSeen, "first call from a flagged source ("+s.IP+")"
		}
	}
	if !t.IsZero() {
		return t.UTC(), basis
	}
	for _, f := range r.Findings {
		if f.Severity >= High && !postureRules[f.ID] && !f.First.IsZero() && (t.IsZero() || f.First.Before(t)) {
			t, basis = f.First, "first "+f.Severity.String()+" finding ("+f.ID+")"
		}
	}
	return t.UTC(), basis
}

// FlaggedIPs are the sources this audit attributes to the attacker
// (IPSummary.Attacker; valid addresses only): the incident's flagged
// sources.
func (r *Result) FlaggedIPs() []netip.Addr {
	var out []netip.Addr
	for _, s := range r.Sources {
		if !s.Attacker {
			continue
		}
		if a, err := netip.ParseAddr(s.IP); err == nil && !slices.Contains(out, a.Unmap()) {
			out = append(out, a.Unmap())
		}
	}
	return out
}

// IncidentEvidence is the evidence object an audit journals for later
// commands: its onset, flagged sources, suggested trusted CIDRs and
// verdict.
func (r *Result) IncidentEvidence() incident.Evidence {
	e := incident.Evidence{Command: "audit", Onset: r.Onset(), Flagged: r.FlaggedIPs(), Verdict: r.Verdict.Status, CreatedKeys: r.AttackerKeys()}
	for _, s := range r.Verdict.SuggestedTrustedCIDRs {
		if p, err := netip.ParsePrefix(s); err == nil && p.Bits() > 0 {
			e.SuggestedTrusted = append(e.SuggestedTrusted, p)
		}
	}
	return e
}

// AttackerKeys are the AccessKeys the key created from the attacker's
// sources (CreatedIdentity.Attacker), each once: journaled with the
// evidence, they tie those keys' incidents to this one.
func (r *Result) AttackerKeys() []string {
	var out []string
	for _, c := range r.Created {
		if c.Kind != KindAccessKey || !c.Attacker || c.Name == r.Key.AccessKeyID || slices.Contains(out, c.Name) {
			continue
		}
		if _, err := policy.ParseAccessKeyID(c.Name); err == nil { // read from events: anything
			out = append(out, c.Name)
		}
	}
	return out
}
