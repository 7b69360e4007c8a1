package lab

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ActionTrail Insights (issue 18): EnableInsight, DisableInsight,
// GetInsightTypes, Get/PutInsightSelectors and LookupInsightEvents.
//
// The real service derives Insights events from a mathematical model of
// each account's history that is not published. The lab's model is simple
// and documented (doc.go): for every enabled type and every analysis
// object, a sliding window of insightWindow over the events recorded since
// the type was enabled (the whole history for types a scenario enables)
// fires once when it holds at least insightMinCalls events and at least
// insightFactor times the object's own baseline, the average number of
// events per insightWindow over the insightBaselineSpan before the window.
// The next Insights event of the same object can only start after that
// window. Objects: the AccessKey ID for AkInsight, the source IP for
// IpInsight, failed calls per AccessKey for ApiErrorRateInsight. A
// successful StopLogging, DeleteTrail or UpdateTrail is one
// TrailConcealmentInsight. Insights events are computed when asked for,
// from World.Events, so they follow the recorded traffic exactly and their
// ids are stable (a hash of type, object and window start).

const (
	insightWindow       = 10 * time.Minute
	insightMinCalls     = 30
	insightFactor       = 5.0
	insightBaselineSpan = 7 * 24 * time.Hour
	insightRetention    = 93 * 24 * time.Hour
)

// labInsightTypes are the types EnableInsight accepts (the EnableInsight
// reference page's list).
var labInsightTypes = []string{"AkInsight", "ApiCallRateInsight", "ApiErrorRateInsight", "IpInsight", "PasswordChangeInsight", "PolicyChangeInsight", "TrailConcealmentInsight"}

func labInsightType(t string) bool {
	for _, x := range labInsightTypes {
		if x == t {
			return true
		}
	}
	return false
}

// insightState is the account's Insights configuration.
type insightState struct {
	enabled   map[string]time.Time // type -> enabled at (zero: from the scenario, the whole history)
	selectors map[string][]string  // trail -> types it delivers
}

// insightsOf returns the server's Insights state, built from the world on
// first use. The caller holds s.mu.
func (s *Server) insightsOf(w *World) *insightState {
	if s.insights == nil {
		s.insights = &insightState{enabled: map[string]time.Time{}, selectors: map[string][]string{}}
		for _, t := range w.InsightTypes {
			s.insights.enabled[t] = time.Time{}
		}
	}
	return s.insights
}

func insightRoutes(m map[string]route) {
	// The reference pages list a RAM action for EnableInsight only
	// ("actiontrail:EnableInsight"); the others say "no authorization for
	// this operation", so the lab authorises none of them.
	m["EnableInsight"] = route{handler: atEnableInsight}
	m["DisableInsight"] = route{handler: atDisableInsight}
	m["GetInsightTypes"] = route{handler: atGetInsightTypes, noAuthz: true}
	m["GetInsightSelectors"] = route{handler: atGetInsightSelectors, noAuthz: true}
	m["PutInsightSelectors"] = route{handler: atPutInsightSelectors, noAuthz: true}
	m["LookupInsightEvents"] = route{handler: atLookupInsightEvents, noAuthz: true}
}

func errInsightType(t string) *apiError {
	return newError(http.StatusBadRequest, "InsightTypeNotAvailable", "The input insightType is not available: %q.", t)
}

// insightTypesParam reads InsightType; empty means every type (a guess:
// the parameter is optional and its absence is not described).
func insightTypesParam(c *call) ([]string, *apiError) {
	t := c.param("InsightType")
	if t == "" {
		return labInsightTypes, nil
	}
	if !labInsightType(t) {
		return nil, errInsightType(t)
	}
	return []string{t}, nil
}

func atEnableInsight(c *call) (jobj, *apiError) {
	types, aerr := insightTypesParam(c)
	if aerr != nil {
		return nil, aerr
	}
	st := c.s.insightsOf(c.w)
	for _, t := range types {
		if _, ok := st.enabled[t]; !ok {
			st.enabled[t] = c.now.Truncate(time.Second) // events carry whole seconds
		}
	}
	return jobj{}, nil
}

func atDisableInsight(c *call) (jobj, *apiError) {
	types, aerr := insightTypesParam(c)
	if aerr != nil {
		return nil, aerr
	}
	st := c.s.insightsOf(c.w)
	for _, t := range types {
		delete(st.enabled, t)
	}
	return jobj{}, nil
}

func atGetInsightTypes(c *call) (jobj, *apiError) {
	st := c.s.insightsOf(c.w)
	types := jobj{}
	for _, t := range labInsightTypes {
		v := "Disable"
		if _, ok := st.enabled[t]; ok {
			v = "Enable"
		}
		types[t] = v
	}
	return jobj{"InsightTypes": types}, nil
}

func (c *call) insightTrail() (*trail, *apiError) {
	name, aerr := c.require("TrailName")
	if aerr != nil {
		return nil, aerr
	}
	t, ok := c.s.trails[name]
	if !ok {
		return nil, errNotExist("TrailNotFoundException", "The trail %s does not exist.", name)
	}
	return t, nil
}

func selectorsAnswer(c *call, t *trail, types []string) jobj {
	list := []string{}
	for _, x := range types {
		b, _ := json.Marshal(map[string]string{"insightType": x})
		list = append(list, string(b))
	}
	return jobj{"InsightSelectors": list, "TrailArn": "acs:actiontrail:" + t.HomeRegion + ":" + c.w.Account.ID + ":trail/" + t.Name}
}

func atGetInsightSelectors(c *call) (jobj, *apiError) {
	t, aerr := c.insightTrail()
	if aerr != nil {
		return nil, aerr
	}
	return selectorsAnswer(c, t, c.s.insightsOf(c.w).selectors[t.Name]), nil
}

func atPutInsightSelectors(c *call) (jobj, *apiError) {
	t, aerr := c.insightTrail()
	if aerr != nil {
		return nil, aerr
	}
	var sels []struct {
		InsightType string `json:"insightType"`
	}
	if v := c.param("InsightSelectors"); v != "" {
		if err := json.Unmarshal([]byte(v), &sels); err != nil {
			return nil, atInvalid("Specified parameter InsightSelectors is not a JSON array of {\"insightType\": ...} objects.")
		}
	}
	var types []string
	for _, s := range sels {
		if !labInsightType(s.InsightType) {
			return nil, newError(http.StatusNotFound, "InsightSelectorDoesNotExistException", "The special Selector is not existed: %q.", s.InsightType)
		}
		types = append(types, s.InsightType)
	}
	sort.Strings(types)
	c.s.insightsOf(c.w).selectors[t.Name] = types
	return selectorsAnswer(c, t, types), nil
}

// labInsight is one computed Insights event.
type labInsight struct {
	typ, object   string
	start, at     time.Time
	count         int
	baseline      float64
	sharedEventID string
	region        string
	keyID, ip     string // the dominant AccessKey and source IP of the window
}

func (li *labInsight) id() string {
	sum := sha256.Sum256([]byte(li.typ + "\x00" + li.object + "\x00" + strconv.FormatInt(li.start.Unix(), 10)))
	h := fmt.Sprintf("%X", sum[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func (li *labInsight) jobj(acct string) jobj {
	return jobj{
		"eventId": li.id(), "eventVersion": "1", "eventType": "ActionTrailInsight", "eventCategory": "Insight",
		"eventTime": fmtTime(li.at), "acsRegion": li.region, "recipientAccountId": acct, "sharedEventId": li.sharedEventID,
		"insightDetails": jobj{
			"state": "Start", "insightType": li.typ, "insightObject": li.object,
			"insightContext": jobj{
				"statistics": jobj{"insight": li.count, "insightDuration": int(insightWindow / time.Minute),
					"baseline": li.baseline, "baselineDuration": int(insightBaselineSpan / time.Minute), "insightCount": li.count},
				"attributions": []jobj{
					{"attribute": "accessKeyId", "insight": []jobj{{"value": li.keyID, "average": li.count}}},
					{"attribute": "sourceIpAddress", "insight": []jobj{{"value": li.ip, "average": li.count}}},
				},
			},
		},
	}
}

// computeInsights derives the Insights events of the enabled types from
// the recorded history, oldest first.
func computeInsights(w *World, st *insightState, now time.Time) []*labInsight {
	var out []*labInsight
	type series struct{ idx []int }
	for _, typ := range []string{"AkInsight", "IpInsight", "ApiErrorRateInsight"} {
		since, ok := st.enabled[typ]
		if !ok {
			continue
		}
		by := map[string]*series{}
		var objs []string
		for i := range w.Events {
			e := &w.Events[i]
			var obj string
			switch typ {
			case "AkInsight":
				obj = e.UserIdentity.AccessKeyID
			case "IpInsight":
				obj = e.SourceIPAddress
			case "ApiErrorRateInsight":
				if e.ErrorCode != "" {
					obj = e.UserIdentity.AccessKeyID
				}
			}
			if obj == "" {
				continue
			}
			sr := by[obj]
			if sr == nil {
				sr = &series{}
				by[obj] = sr
				objs = append(objs, obj)
			}
			sr.idx = append(sr.idx, i)
		}
		sort.Strings(objs)
		for _, obj := range objs {
			idx := by[obj].idx
			at := func(k int) time.Time { return w.Events[idx[k]].Time }
			i := sort.Search(len(idx), func(k int) bool { return !at(k).Before(since) })
			for j := i; j < len(idx); j++ {
				for at(j).Sub(at(i)) >= insightWindow {
					i++
				}
				n := j - i + 1
				if n < insightMinCalls {
					continue
				}
				start := at(i)
				lo := sort.Search(len(idx), func(k int) bool { return !at(k).Before(start.Add(-insightBaselineSpan)) })
				base := float64(i-lo) / float64(insightBaselineSpan/insightWindow)
				if float64(n) < insightFactor*base {
					continue
				}
				end := sort.Search(len(idx), func(k int) bool { return !at(k).Before(start.Add(insightWindow)) })
				first := &w.Events[idx[i]]
				li := &labInsight{typ: typ, object: obj, start: start, at: at(j), count: end - i, baseline: base,
					sharedEventID: first.EventID, region: scFirst(first.AcsRegion, DefaultRegion)}
				li.keyID, li.ip = dominant(w, idx[i:end])
				out = append(out, li)
				// The next Insights event of this object starts after this window.
				i, j = end, end-1
			}
		}
	}
	// Trail concealment: each successful StopLogging, DeleteTrail or
	// UpdateTrail after the type was enabled.
	if since, ok := st.enabled["TrailConcealmentInsight"]; ok {
		for i := range w.Events {
			e := &w.Events[i]
			if e.Time.Before(since) || e.ErrorCode != "" || !strings.EqualFold(e.ServiceName, "Actiontrail") {
				continue
			}
			switch e.EventName {
			case "StopLogging", "DeleteTrail", "UpdateTrail":
				out = append(out, &labInsight{typ: "TrailConcealmentInsight", object: "Actiontrail", start: e.Time, at: e.Time, count: 1,
					sharedEventID: e.EventID, region: scFirst(e.AcsRegion, DefaultRegion), keyID: e.UserIdentity.AccessKeyID, ip: e.SourceIPAddress})
			}
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].at.Before(out[b].at) })
	_ = now
	return out
}

// dominant returns the most frequent AccessKey and source IP of events.
func dominant(w *World, idx []int) (key, ip string) {
	keys, ips := map[string]int{}, map[string]int{}
	for _, k := range idx {
		e := &w.Events[k]
		keys[e.UserIdentity.AccessKeyID]++
		ips[e.SourceIPAddress]++
	}
	best := func(m map[string]int) string {
		var b string
		for v, n := range m {
			if v != "" && (n > m[b] || (n == m[b] && v < b)) {
				b = v
			}
		}
		return b
	}
	return best(keys), best(ips)
}

var insightLookupKeys = map[string]func(li *labInsight, v string) bool{
	"InsightType":     func(li *labInsight, v string) bool { return li.typ == v },
	"InsightObject":   func(li *labInsight, v string) bool { return li.object == v },
	"EventId":         func(li *labInsight, v string) bool { return li.id() == v },
	"AccessKeyId":     func(li *labInsight, v string) bool { return li.keyID == v },
	"SourceIpAddress": func(li *labInsight, v string) bool { return li.ip == v },
	"ServiceName":     func(li *labInsight, v string) bool { return false },
	"EventName":       func(li *labInsight, v string) bool { return false },
}

func atLookupInsightEvents(c *call) (jobj, *apiError) {
	start, end := c.now.Add(-defaultLookback), c.now
	var aerr *apiError
	if c.param("StartTime") != "" {
		if start, aerr = parseLookupTime(c, "StartTime"); aerr != nil {
			return nil, aerr
		}
	}
	if c.param("EndTime") != "" {
		if end, aerr = parseLookupTime(c, "EndTime"); aerr != nil {
			return nil, aerr
		}
	}
	if start.After(end) {
		return nil, atInvalid("StartTime %s is after EndTime %s.", fmtTime(start), fmtTime(end))
	}
	if floor := c.now.Add(-insightRetention); start.Before(floor) {
		start = floor
	}
	max := 20
	if v := c.param("MaxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 50 {
			return nil, atInvalid("Specified parameter MaxResults %q is not an integer in 1..50.", v)
		}
		max = n
	}
	type cond struct {
		match func(*labInsight, string) bool
		v     string
	}
	var conds []cond
	binding := []string{"LookupInsightEvents", fmtTime(start), fmtTime(end)}
	for i := 1; i <= 2; i++ {
		k, v := c.param(fmt.Sprintf("LookupAttribute.%d.Key", i)), c.param(fmt.Sprintf("LookupAttribute.%d.Value", i))
		if k == "" && v == "" {
			continue
		}
		m, ok := insightLookupKeys[k]
		if !ok || v == "" {
			return nil, atInvalid("LookupAttribute.%d (%q=%q) is not valid; keys: InsightType, InsightObject, EventId, AccessKeyId, SourceIpAddress, ServiceName, EventName.", i, k, v)
		}
		conds = append(conds, cond{m, v})
		binding = append(binding, k, v)
	}
	all := computeInsights(c.w, c.s.insightsOf(c.w), c.now)
	var hits []jobj
	for i := len(all) - 1; i >= 0; i-- { // newest first
		li := all[i]
		if at := li.at.Truncate(time.Second); at.Before(start) || at.After(end) { // eventTime has whole seconds
			continue
		}
		ok := true
		for _, cd := range conds {
			ok = ok && cd.match(li, cd.v)
		}
		if ok {
			hits = append(hits, li.jobj(c.w.Account.ID))
		}
	}
	from := 0
	if tok := c.param("NextToken"); tok != "" {
		cur, ok := readToken(tok, binding)
		n, err := strconv.Atoi(cur)
		if !ok || err != nil || n < 0 || n > len(hits) {
			return nil, atInvalid("Specified parameter NextToken is not valid for this query.")
		}
		from = n
	}
	to := min(from+max, len(hits))
	page := hits[from:to]
	if page == nil {
		page = []jobj{}
	}
	res := jobj{"Events": page, "StartTime": fmtTime(start), "EndTime": fmtTime(end)}
	if to < len(hits) {
		res["NextToken"] = bindToken(binding, strconv.Itoa(to))
	}
	return res, nil
}
