package rotate

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// maxLookback is ActionTrail's event history without a trail.
const maxLookback = 90 * 24 * time.Hour

// Error codes a call made with a disabled key fails with (the gateway's
// usual code and the variant some product tables list; see
// shared/reference/alibaba-cloud-api.md section 8.3).
var disabledKeyCodes = map[string]bool{
	"InvalidAccessKeyId.Inactive": true,
	"Forbidden.AccessKeyDisabled": true,
}

// KeyUsage is the last-used fact of one key.
type KeyUsage struct {
	KeyID    string    `json:"access_key_id"`
	Status   string    `json:"status,omitempty"`
	Known    bool      `json:"known"` // false: neither ActionTrail nor RAM answered
	LastUsed time.Time `json:"last_used,omitzero"`
	Service  string    `json:"last_used_service,omitempty"`
	From     string    `json:"from,omitempty"` // actiontrail | ram: which API answered
}

// Source is one caller of the old key seen in ActionTrail: an application
// that has not switched yet.
type Source struct {
	IP        string   `json:"ip"`
	UserAgent string   `json:"user_agent,omitempty"`
	Services  []string `json:"services"`
	Events    []string `json:"events"`
	Count     int      `json:"count"`
	Errors    int      `json:"errors"`
	// Why says why a source is not counted as legitimate use: flagged (an
	// audit or contain flagged it as the attacker), refused (the fence
	// refused it) or outside-fence (the old key's network ACL would refuse
	// it). Empty for legitimate callers.
	Why   string    `json:"why,omitempty"`
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
}

// Failure is a call made with the old key after it was disabled: an
// application that was missed.
type Failure struct {
	Time      time.Time `json:"time"`
	SourceIP  string    `json:"source_ip"`
	UserAgent string    `json:"user_agent,omitempty"`
	Service   string    `json:"service,omitempty"`
	EventName string    `json:"event_name,omitempty"`
	ErrorCode string    `json:"error_code"`
	RequestID string    `json:"request_id,omitempty"`
}

// Evidence is what the machine based its last decision on.
type Evidence struct {
	CheckedAt time.Time `json:"checked_at"`
	New       *KeyUsage `json:"new_key,omitempty"`
	Old       KeyUsage  `json:"old_key"`
	// OldCallers are the old key's legitimate callers since CallersSince,
	// newest first: applications that have not switched yet. They hold the
	// cut-over.
	CallersSince time.Time `json:"callers_since,omitzero"`
	OldCallers   []Source  `json:"old_key_callers,omitempty"`
	// Attackers are the old key's other callers since CallersSince (or
	// ObserveFrom): calls the fence refused or that came from flagged
	// sources. They neither hold the cut-over nor call for a rollback.
	Attackers []Source `json:"attacker_sources,omitempty"`
	// LegitLastUsed is the old key's last legitimate use as far as the
	// events show (zero: none in the window).
	LegitLastUsed time.Time `json:"legit_last_used,omitzero"`
	// CallersUnread: the old key's events could not be read, so the
	// last-used summary (which counts every caller) decides.
	CallersUnread bool `json:"callers_unread,omitempty"`
	// Failures are calls with the old key since ObserveFrom that failed
	// because it is disabled.
	ObserveFrom time.Time `json:"observe_from,omitzero"`
	Failures    []Failure `json:"failures,omitempty"`
	Warnings    []string  `json:"warnings,omitempty"`
}

// lastActivity is the latest legitimate use of the old key: from its
// events when they could be read, else the last-used summary.
func (e *Evidence) lastActivity() time.Time {
	if e.CallersUnread {
		return e.Old.LastUsed
	}
	t := e.LegitLastUsed
	for _, s := range e.OldCallers {
		if s.Last.After(t) {
			t = s.Last
		}
	}
	return t
}

// AttackerSummary renders the non-legitimate callers in one line, e.g.
// "127.0.0.66, 37 refused calls".
func AttackerSummary(srcs []Source) string {
	var parts []string
	for _, s := range srcs {
		n := "calls"
		if s.Count == 1 {
			n = "call"
		}
		what := "refused"
		switch {
		case s.Errors == s.Count:
		case s.Why == "outside-fence":
			what = "outside-the-fence"
		default:
			what = "flagged-source"
		}
		parts = append(parts, fmt.Sprintf("%s, %d %s %s", s.IP, s.Count, what, n))
	}
	return strings.Join(parts, "; ")
}

// readLastUsed asks ActionTrail first (GetAccessKeyLastUsedInfo) and falls
// back to RAM GetAccessKeyLastUsed when ActionTrail fails or has no record.
func readLastUsed(ctx context.Context, c LastUsedReader, user, keyID string) (KeyUsage, []string) {
	u := KeyUsage{KeyID: keyID}
	var warns []string
	info, err := c.AccessKeyLastUsedInfo(ctx, keyID)
	if err == nil && info.Found && !info.UsedAt.IsZero() {
		u.Known, u.From, u.LastUsed, u.Service = true, "actiontrail", info.UsedAt.UTC(), info.ServiceName
		return u, nil
	}
	if err != nil {
		warns = append(warns, fmt.Sprintf("actiontrail GetAccessKeyLastUsedInfo %s: %v", keyID, err))
	}
	t, rerr := c.GetAccessKeyLastUsed(ctx, user, keyID)
	if rerr != nil {
		warns = append(warns, fmt.Sprintf("ram GetAccessKeyLastUsed %s: %v", keyID, rerr))
		if err == nil {
			// ActionTrail answered "no record": that is an answer.
			u.Known, u.From = true, "actiontrail"
		}
		return u, warns
	}
	u.Known, u.From = true, "ram"
	if !t.IsZero() {
		u.LastUsed = t.UTC()
	}
	return u, warns
}

// trailEvent is the part of an ActionTrail event the machine reads. Every
// field may be absent.
type trailEvent struct {
	EventName       string `json:"eventName"`
	EventTime       string `json:"eventTime"`
	ServiceName     string `json:"serviceName"`
	SourceIPAddress string `json:"sourceIpAddress"`
	UserAgent       string `json:"userAgent"`
	ErrorCode       string `json:"errorCode"`
	RequestID       string `json:"requestId"`
	time            time.Time
}

// keyEvents returns the events recorded for keyID in [since, until],
// clamped to ActionTrail's 90-day history. Events without a readable time
// are kept with the zero time.
func keyEvents(ctx context.Context, c EventLooker, keyID string, since, until time.Time) ([]trailEvent, error) {
	if floor := until.Add(-maxLookback); since.Before(floor) {
		since = floor
	}
	if !since.Before(until) {
		return nil, nil
	}
	var out []trailEvent
	q := Query{AttributeKey: "EventAccessKeyId", AttributeValue: keyID, Start: since, End: until}
	err := c.LookupEvents(ctx, q, func(page []json.RawMessage) error {
		for _, raw := range page {
			var e trailEvent
			if err := json.Unmarshal(raw, &e); err != nil {
				continue // tolerate odd events; ActionTrail's schema is free-form
			}
			if t, err := time.Parse(time.RFC3339, e.EventTime); err == nil {
				e.time = t.UTC()
			}
			// eventTime has second resolution.
			if !e.time.IsZero() && e.time.Before(since.Truncate(time.Second)) {
				continue
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("actiontrail LookupEvents for %s: %w", keyID, err)
	}
	return out, nil
}

// callers groups events by source IP and user agent, newest first.
func callers(evs []trailEvent) []Source {
	type k struct{ ip, ua string }
	idx := map[k]*Source{}
	svc := map[k]map[string]bool{}
	names := map[k]map[string]bool{}
	for _, e := range evs {
		key := k{e.SourceIPAddress, e.UserAgent}
		s := idx[key]
		if s == nil {
			s = &Source{IP: e.SourceIPAddress, UserAgent: e.UserAgent, First: e.time, Last: e.time}
			idx[key] = s
			svc[key], names[key] = map[string]bool{}, map[string]bool{}
		}
		s.Count++
		if e.ErrorCode != "" {
			s.Errors++
		}
		if !e.time.IsZero() && (s.First.IsZero() || e.time.Before(s.First)) {
			s.First = e.time
		}
		if e.time.After(s.Last) {
			s.Last = e.time
		}
		if e.ServiceName != "" {
			svc[key][e.ServiceName] = true
		}
		if e.EventName != "" {
			names[key][e.EventName] = true
		}
	}
	out := make([]Source, 0, len(idx))
	for key, s := range idx {
		s.Services, s.Events = sortedKeys(svc[key]), sortedKeys(names[key])
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Last.Equal(out[j].Last) {
			return out[i].Last.After(out[j].Last)
		}
		if out[i].IP != out[j].IP {
			return out[i].IP < out[j].IP
		}
		return out[i].UserAgent < out[j].UserAgent
	})
	return out
}

// failures picks the calls that failed because the key is disabled, oldest
// first.
func failures(evs []trailEvent) []Failure {
	var out []Failure
	for _, e := range evs {
		if !disabledKeyCodes[e.ErrorCode] {
			continue
		}
		out = append(out, Failure{
			Time: e.time, SourceIP: e.SourceIPAddress, UserAgent: e.UserAgent,
			Service: e.ServiceName, EventName: e.EventName, ErrorCode: e.ErrorCode, RequestID: e.RequestID,
		})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// cutOver decides whether the applications have switched: the new key has
// been used since it was created, and the old key has been quiet for
// quietFor. It returns what is still awaited and when waiting could end
// (zero when it depends on someone acting).
func cutOver(ev *Evidence, newCreated time.Time, quietFor time.Duration, now time.Time) (ready bool, waiting string, wakeAt time.Time) {
	var reasons []string
	switch {
	case ev.New == nil || !ev.New.Known:
		reasons = append(reasons, "the new key's last-used data could not be read")
	case ev.New.LastUsed.IsZero() || ev.New.LastUsed.Before(newCreated.Add(-time.Minute)):
		reasons = append(reasons, fmt.Sprintf("the new key %s has not been used yet: switch the applications to it", ev.New.KeyID))
	}
	if !ev.Old.Known {
		reasons = append(reasons, "the old key's last-used data could not be read")
	} else if last := ev.lastActivity(); !last.IsZero() {
		quietAt := last.Add(quietFor)
		if now.Before(quietAt) {
			who := ""
			if len(ev.OldCallers) > 0 {
				s := ev.OldCallers[0]
				who = fmt.Sprintf(" (latest caller %s", s.IP)
				if s.UserAgent != "" {
					who += ", " + s.UserAgent
				}
				who += ")"
			}
			reasons = append(reasons, fmt.Sprintf("the old key was last used at %s%s; it must stay quiet for %s, until %s",
				last.Format(time.RFC3339), who, quietFor, quietAt.Format(time.RFC3339)))
			if len(reasons) == 1 {
				wakeAt = quietAt
			}
		}
	}
	if len(reasons) == 0 {
		return true, "", time.Time{}
	}
	w := reasons[0]
	for _, r := range reasons[1:] {
		w += "; " + r
	}
	return false, w, wakeAt
}
