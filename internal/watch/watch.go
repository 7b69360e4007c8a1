// Package watch evaluates akresp's built-in alert rules over the recent
// ActionTrail history, the way ActionTrail's built-in alerts run (every 15
// minutes over the past 30): abnormal AccessKey use frequency, root-account
// AccessKey used, and streaming forms of the audit's critical rules (trail
// stopped, persistence created, secret-scanner user agent), plus the
// account's ActionTrail Insights events. Every event counts towards at most
// one alert of a rule and key: the state remembers, per rule and key, the
// last event an alert covered, so consecutive runs over overlapping windows
// alert once.
//
// The trail is read with LookupEvents in every ActionTrail region
// (regions.go), or from the SLS logstore it is delivered to by push-down
// queries (sls.go); slsalerts.go writes the rules as SLS alert rules.
package watch

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/akresp/akresp/internal/audit"
	"github.com/akresp/akresp/internal/cloud"
)

// AlertSchema versions one alert line.
const AlertSchema = "akresp.watch-alert/v1"

// Rules.
const (
	RuleFrequency    = "ak_frequency"
	RuleRootKey      = "root_key_used"
	RuleTrailStopped = "trail_stopped"
	RulePersistence  = "persistence"
	RuleScanner      = "scanner_user_agent"
	RuleInsight      = "insight"
)

// Defaults.
const (
	DefaultInterval  = 15 * time.Minute
	DefaultWindow    = 30 * time.Minute
	DefaultThreshold = 100
	DefaultFactor    = 5.0
	// baselineRuns is how many past runs' per-key counts make a key's
	// baseline.
	baselineRuns = 96
)

// Cloud is what watch reads (satisfied by *cloud.Clients).
type Cloud interface {
	LookupEvents(ctx context.Context, q cloud.LookupQuery, page func(events []json.RawMessage) error) error
	LookupInsightEvents(ctx context.Context, q cloud.InsightQuery) ([]cloud.InsightEvent, error)
}

// Options configure one evaluation.
type Options struct {
	Now    time.Time
	Window time.Duration
	// Threshold is the number of calls of one key within the window above
	// which the frequency rule fires; Factor is how many times the key's
	// own baseline (its average calls per window in past runs) the count
	// must also reach, when a baseline exists.
	Threshold int
	Factor    float64
	// SelfUserAgent marks akresp's own calls, which never count (default
	// "akresp/").
	SelfUserAgent string
	// Insights reads LookupInsightEvents too.
	Insights bool
	// Regions are the ActionTrail regions LookupEvents reads: nil or
	// ["all"] = the configured region and every region DescribeRegions
	// lists, else exactly the regions listed.
	Regions []string
	// SLS, when set, reads the trail from the SLS logstore it is delivered
	// to, by push-down queries, instead of LookupEvents.
	SLS *SLSSource
}

// Alert is one alert, printed as one JSON line or posted to a webhook.
type Alert struct {
	SchemaVersion  string    `json:"schema_version"`
	ID             string    `json:"id"`
	Rule           string    `json:"rule"`
	Severity       string    `json:"severity"`
	AccessKeyID    string    `json:"access_key_id,omitempty"`
	UserName       string    `json:"user_name,omitempty"`
	IdentityType   string    `json:"identity_type,omitempty"`
	Summary        string    `json:"summary"`
	Count          int       `json:"count"`
	Baseline       *float64  `json:"baseline,omitempty"`
	Threshold      int       `json:"threshold,omitempty"`
	First          time.Time `json:"first"`
	Last           time.Time `json:"last"`
	SourceIPs      []string  `json:"source_ips,omitempty"`
	EventIDs       []string  `json:"event_ids,omitempty"`
	InsightEventID string    `json:"insight_event_id,omitempty"`
	InsightType    string    `json:"insight_type,omitempty"`
	InsightObject  string    `json:"insight_object,omitempty"`
	Investigate    string    `json:"investigate"`
	DetectedAt     time.Time `json:"detected_at"`
}

// State is what watch remembers between runs.
type State struct {
	SchemaVersion string `json:"schema_version"`
	// Covered is, per "rule|key", the time of the last event an alert
	// covered: later runs count only events after it.
	Covered map[string]time.Time `json:"covered"`
	// Insights are the Insights event IDs already alerted, with their time.
	Insights map[string]time.Time `json:"insights"`
	// Counts are, per key, its call counts in past runs' windows (newest
	// last), the frequency rule's baseline.
	Counts  map[string][]int `json:"counts"`
	LastRun time.Time        `json:"last_run"`
}

// StateSchema versions the state file.
const StateSchema = "akresp.watch-state/v1"

// NewState returns an empty state.
func NewState() *State {
	return &State{SchemaVersion: StateSchema, Covered: map[string]time.Time{}, Insights: map[string]time.Time{}, Counts: map[string][]int{}}
}

func (s *State) init() {
	if s.Covered == nil {
		s.Covered = map[string]time.Time{}
	}
	if s.Insights == nil {
		s.Insights = map[string]time.Time{}
	}
	if s.Counts == nil {
		s.Counts = map[string][]int{}
	}
	s.SchemaVersion = StateSchema
}

// Result is one evaluation: the new alerts (oldest first), the state to
// keep once they are delivered, and how the trail was read.
type Result struct {
	Alerts []Alert
	State  *State
	// Source is "actiontrail" (LookupEvents) or "sls" (push-down).
	Source string
	// Regions are the ActionTrail regions read (nil when the clients are
	// not regional, or with --sls); Failed those that could not be.
	Regions []string
	Failed  []audit.RegionFailure
	// LookupPages are the LookupEvents answers read (one request each);
	// SLSCalls the GetLogs requests made.
	LookupPages int
	SLSCalls    int
	// Diagnostics say what made this run less complete (a region that
	// failed, DescribeRegions failing), one line each.
	Diagnostics []string
}

// Run evaluates the rules over [now-window, now] and returns the new
// alerts and the state to keep once they are delivered; st itself is not
// changed. Without o.SLS it reads the window with one LookupEvents query
// per ActionTrail region for every key at once (regions.go), so the cost
// is the regions' events / 50 requests at the client's shared LookupEvents
// quota (2/s), however many keys there are. With o.SLS it pushes the
// filtering and counting down to the logstore (sls.go).
func Run(ctx context.Context, c Cloud, st *State, o Options) (*Result, error) {
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.Threshold <= 0 {
		o.Threshold = DefaultThreshold
	}
	if o.Factor <= 0 {
		o.Factor = DefaultFactor
	}
	if o.SelfUserAgent == "" {
		o.SelfUserAgent = "akresp/"
	}
	now := o.Now.UTC().Truncate(time.Second)
	from := now.Add(-o.Window)
	next := clone(st)
	res := &Result{State: next}

	var alerts []Alert
	if o.SLS != nil {
		res.Source = SourceSLS
		a, err := runSLS(ctx, o.SLS, st, next, o, from, now, res)
		if err != nil {
			return nil, err
		}
		alerts = a
	} else {
		res.Source = SourceActionTrail
		if c == nil {
			return nil, fmt.Errorf("watch: no ActionTrail clients")
		}
		var events []audit.Event
		err := readRegions(ctx, c, o.Regions, cloud.LookupQuery{Start: from, End: now}, res, func(page []json.RawMessage) error {
			res.LookupPages++
			for _, raw := range page {
				ev, err := audit.ParseEvent(raw, audit.Origin{})
				if err != nil || !counts(&ev, o) {
					continue
				}
				events = append(events, ev)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sortEvents(events)
		byKey, keys := groupByKey(events)
		// A run that missed a region does not feed the baselines: its
		// counts are short.
		quiet := len(res.Diagnostics) == 0
		for _, k := range keys {
			evs := byKey[k]
			fresh := after(evs, st, RuleFrequency, k)
			base, fires := frequencyDecide(k, len(fresh), st, next, o, quiet)
			if fires {
				alerts = append(alerts, frequencyAlert(k, summarize(fresh), base, next, o, now))
			}
			for _, r := range eventRules {
				if a, ok := r.eval(k, evs, st, next, now, o.Window); ok {
					alerts = append(alerts, a)
				}
			}
		}
	}
	if o.Insights && c != nil {
		ins, err := c.LookupInsightEvents(ctx, cloud.InsightQuery{Start: from, End: now})
		if err != nil {
			return nil, err
		}
		for _, ie := range ins {
			if _, seen := st.Insights[ie.EventID]; seen {
				continue
			}
			next.Insights[ie.EventID] = ie.Time
			alerts = append(alerts, insightAlert(ie, now, o.Window))
		}
	}
	// Forget what no window can reach again.
	for id, t := range next.Insights {
		if now.Sub(t) > 7*24*time.Hour {
			delete(next.Insights, id)
		}
	}
	for k, t := range next.Covered {
		if now.Sub(t) > 7*24*time.Hour {
			delete(next.Covered, k)
		}
	}
	next.LastRun = now
	sort.SliceStable(alerts, func(i, j int) bool {
		if !alerts[i].First.Equal(alerts[j].First) {
			return alerts[i].First.Before(alerts[j].First)
		}
		return alerts[i].ID < alerts[j].ID
	})
	res.Alerts = alerts
	return res, nil
}

// Sources of the trail.
const (
	SourceActionTrail = "actiontrail"
	SourceSLS         = "sls"
)

// counts reports whether an event counts at all: it was made with an
// AccessKey, and not by akresp itself.
func counts(ev *audit.Event, o Options) bool {
	return ev.AccessKeyID != "" && !strings.Contains(ev.UserAgent, o.SelfUserAgent)
}

// sortEvents orders events by time, then event ID, so that the events an
// alert names do not depend on the order the pages came in.
func sortEvents(evs []audit.Event) {
	sort.SliceStable(evs, func(i, j int) bool {
		if !evs[i].Time.Equal(evs[j].Time) {
			return evs[i].Time.Before(evs[j].Time)
		}
		return evs[i].ID < evs[j].ID
	})
}

// groupByKey splits sorted events by AccessKey, keys sorted.
func groupByKey(events []audit.Event) (map[string][]audit.Event, []string) {
	byKey := map[string][]audit.Event{}
	var keys []string
	for _, ev := range events {
		if _, ok := byKey[ev.AccessKeyID]; !ok {
			keys = append(keys, ev.AccessKeyID)
		}
		byKey[ev.AccessKeyID] = append(byKey[ev.AccessKeyID], ev)
	}
	sort.Strings(keys)
	return byKey, keys
}

func clone(st *State) *State {
	n := NewState()
	if st == nil {
		return n
	}
	for k, v := range st.Covered {
		n.Covered[k] = v
	}
	for k, v := range st.Insights {
		n.Insights[k] = v
	}
	for k, v := range st.Counts {
		n.Counts[k] = append([]int(nil), v...)
	}
	n.LastRun = st.LastRun
	return n
}

// after returns the events after the rule's covered mark for key.
func after(evs []audit.Event, st *State, rule, key string) []audit.Event {
	mark, ok := st.Covered[rule+"|"+key]
	if !ok {
		return evs
	}
	i := sort.Search(len(evs), func(i int) bool { return evs[i].Time.After(mark) })
	return evs[i:]
}

// frequencyDecide says whether n fresh calls of key make the frequency
// rule fire, against the threshold and the key's own baseline; a quiet
// count joins the baseline when feed is set.
func frequencyDecide(key string, n int, st, next *State, o Options, feed bool) (*float64, bool) {
	past := st.Counts[key]
	var base *float64
	if len(past) > 0 {
		sum := 0
		for _, n := range past {
			sum += n
		}
		b := float64(sum) / float64(len(past))
		base = &b
	}
	fires := n > 0 && n >= o.Threshold && (base == nil || float64(n) >= o.Factor*max(*base, 1))
	if !fires && feed {
		// Only quiet windows make the baseline, and events an alert
		// already covered are not the key's normal rate.
		next.Counts[key] = appendCapped(past, n)
	}
	return base, fires
}

// frequencyAlert is the alert of a key whose fresh calls s fired the rule;
// it marks them covered in the state.
func frequencyAlert(key string, s summary, base *float64, next *State, o Options, now time.Time) Alert {
	next.Covered[RuleFrequency+"|"+key] = s.last.Time
	why := fmt.Sprintf("%d calls in %s (threshold %d", s.n, o.Window, o.Threshold)
	if base != nil {
		why += fmt.Sprintf(", baseline %.1f per window", *base)
	}
	why += ")"
	a := alertOf(RuleFrequency, "high", key, s, now)
	a.Summary = fmt.Sprintf("abnormal use frequency of AccessKey %s: %s", key, why)
	a.Baseline, a.Threshold = base, o.Threshold
	return a
}

func appendCapped(s []int, n int) []int {
	s = append(append([]int(nil), s...), n)
	if len(s) > baselineRuns {
		s = s[len(s)-baselineRuns:]
	}
	return s
}

// eventRule fires on individual events of a key.
type eventRule struct {
	rule, severity string
	match          func(ev *audit.Event) bool
	summary        func(key string, evs []audit.Event) string
}

var persistenceCalls = map[string]bool{"CreateUser": true, "CreateAccessKey": true, "CreateLoginProfile": true, "AttachPolicyToUser": true, "AttachPolicyToRole": true, "AttachPolicyToGroup": true, "CreateRole": true, "UpdateRole": true, "AddUserToGroup": true}

var eventRules = []eventRule{
	{RuleRootKey, "critical", func(ev *audit.Event) bool { return ev.UserType == "root-account" }, func(key string, evs []audit.Event) string {
		return fmt.Sprintf("root-account AccessKey %s used %d time(s) (%s): the root account should have no AccessKey", key, len(evs), names(evs))
	}},
	{RuleTrailStopped, "critical", func(ev *audit.Event) bool {
		return ev.ErrorCode == "" && ev.Service == "Actiontrail" && (ev.Name == "StopLogging" || ev.Name == "DeleteTrail")
	}, func(key string, evs []audit.Event) string {
		return fmt.Sprintf("AccessKey %s stopped or deleted a trail (%s)", key, names(evs))
	}},
	{RulePersistence, "critical", func(ev *audit.Event) bool {
		return ev.ErrorCode == "" && (ev.Service == "Ram" || ev.Service == "Ims") && persistenceCalls[ev.Name]
	}, func(key string, evs []audit.Event) string {
		return fmt.Sprintf("AccessKey %s created identities or granted permissions (%s)", key, names(evs))
	}},
	{RuleScanner, "high", func(ev *audit.Event) bool {
		ua := strings.ToLower(ev.UserAgent)
		for _, s := range audit.DefaultScannerAgents {
			if strings.Contains(ua, strings.ToLower(s)) {
				return true
			}
		}
		return false
	}, func(key string, evs []audit.Event) string {
		return fmt.Sprintf("AccessKey %s called by a secret scanner's user agent %q: the key is probably public", key, evs[0].UserAgent)
	}},
}

func (r eventRule) eval(key string, evs []audit.Event, st, next *State, now time.Time, window time.Duration) (Alert, bool) {
	var hits []audit.Event
	for _, ev := range after(evs, st, r.rule, key) {
		if r.match(&ev) {
			hits = append(hits, ev)
		}
	}
	if len(hits) == 0 {
		return Alert{}, false
	}
	next.Covered[r.rule+"|"+key] = hits[len(hits)-1].Time
	a := newAlert(r.rule, r.severity, key, hits, now, window)
	a.Summary = r.summary(key, hits)
	return a, true
}

func names(evs []audit.Event) string {
	seen := map[string]bool{}
	var out []string
	for _, ev := range evs {
		n := ev.Service + ":" + ev.Name
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
		if len(out) == 5 {
			break
		}
	}
	return strings.Join(out, ", ")
}

// summary is what an alert says of the events it covers: their number,
// the first and last (by time, then event ID), the first five event IDs
// and the distinct source IPs (sorted).
type summary struct {
	n           int
	first, last audit.Event
	ids         []string
	ips         []string
}

func summarize(evs []audit.Event) summary {
	s := summary{n: len(evs), first: evs[0], last: evs[len(evs)-1]}
	seen := map[string]bool{}
	for _, ev := range evs {
		if ev.SourceIP != "" && !seen[ev.SourceIP] {
			seen[ev.SourceIP] = true
			s.ips = append(s.ips, ev.SourceIP)
		}
		if len(s.ids) < 5 {
			s.ids = append(s.ids, ev.ID)
		}
	}
	sort.Strings(s.ips)
	return s
}

func newAlert(rule, severity, key string, evs []audit.Event, now time.Time, window time.Duration) Alert {
	return alertOf(rule, severity, key, summarize(evs), now)
}

func alertOf(rule, severity, key string, s summary, now time.Time) Alert {
	a := Alert{SchemaVersion: AlertSchema, Rule: rule, Severity: severity, AccessKeyID: key,
		UserName: s.last.UserName, IdentityType: s.last.UserType, Count: s.n,
		First: s.first.Time.UTC(), Last: s.last.Time.UTC(), DetectedAt: now,
		SourceIPs: s.ips, EventIDs: s.ids}
	a.ID = rule + ":" + key + ":" + a.First.Format("20060102T150405Z")
	a.Investigate = investigate(key, a.First, now)
	return a
}

// investigate is the audit command that looks into an alert: the key's
// events since a day before the first one.
func investigate(key string, first, now time.Time) string {
	days := int(now.Sub(first)/(24*time.Hour)) + 1
	return fmt.Sprintf("akresp audit %s --since %dd", key, max(days, 1))
}

func insightAlert(ie cloud.InsightEvent, now time.Time, window time.Duration) Alert {
	a := Alert{SchemaVersion: AlertSchema, ID: RuleInsight + ":" + ie.EventID, Rule: RuleInsight, Severity: "high",
		InsightEventID: ie.EventID, InsightType: ie.Type, InsightObject: ie.Object, Count: ie.InsightCount,
		First: ie.Time, Last: ie.Time, DetectedAt: now}
	switch ie.Type {
	case "AkInsight", "ApiErrorRateInsight":
		a.AccessKeyID = ie.Object
	case "IpInsight":
		a.SourceIPs = []string{ie.Object}
	}
	if ie.Baseline > 0 || ie.Insight > 0 {
		b := ie.Baseline
		a.Baseline = &b
	}
	a.Summary = fmt.Sprintf("ActionTrail Insights %s on %s: %d calls against a baseline of %.1f (Insights event %s)", ie.Type, ie.Object, ie.InsightCount, ie.Baseline, ie.EventID)
	if a.AccessKeyID != "" {
		a.Investigate = investigate(a.AccessKeyID, ie.Time, now)
	} else {
		a.Investigate = "akresp audit <AK-ID> (the key behind " + ie.Object + ": see the Insights event)"
	}
	return a
}
