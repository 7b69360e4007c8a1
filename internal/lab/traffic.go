package lab

// Event generation for scenarios: explicit events and traffic patterns
// (schedules and bursts) become ActionTrail events through World.NewEvent,
// so seeded history looks exactly like what the server records live.

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"
)

// scPending is an event waiting to be built; order breaks ties between
// events of the same second so the sort is deterministic.
type scPending struct {
	spec  EventSpec
	order int
	rng   *rand.Rand
}

// generateEvents builds the scenario's history, oldest first, and reports
// inconsistencies (events before their key existed, in the future, too many).
func (s *Scenario) generateEvents(w *World, clk *scClock, zones *scZones) ([]Event, []string) {
	var p scProblems
	var pending []scPending
	add := func(path string, spec EventSpec, rng *rand.Rand) bool {
		if len(pending) >= scMaxEvents {
			p.add(path, "the scenario generates more than %d events", scMaxEvents)
			return false
		}
		if spec.Time.After(clk.now) {
			p.add(path, "event at %s is after now (%s)", spec.Time.Format(time.RFC3339), clk.now.Format(time.RFC3339))
			return false
		}
		if k, ok := w.AccessKeys[spec.Caller.AccessKeyID]; ok && spec.Time.Before(k.CreateDate) {
			p.add(path, "event at %s is before access key %s was created (%s)", spec.Time.Format(time.RFC3339), k.ID, k.CreateDate.Format(time.RFC3339))
			return false
		}
		pending = append(pending, scPending{spec: spec, order: len(pending), rng: rng})
		return true
	}

	explicitRNG := rand.New(rand.NewPCG(s.seed(), 0xe7))
	for i, e := range s.Events {
		path := fmt.Sprintf("events[%d]", i)
		t := clk.resolve(e.Time)
		var caller Caller
		if e.AccessKey != "" {
			caller = s.callerForKey(w, e.AccessKey)
		} else {
			caller = s.callerForUser(w, e.User)
		}
		region := scFirst(e.Region, s.region())
		spec := EventSpec{
			Time: t, Version: e.Version, Action: e.Action, Region: region,
			SourceIP: e.SourceIP, UserAgent: scFirst(e.UserAgent, scDefaultUserAgent), Caller: caller,
			Params: scExpandParams(e.Params, t, region), Response: scExpandResponse(e.Response, t, region),
			ErrorCode: e.ErrorCode, ErrorMessage: e.ErrorMessage, EventType: e.EventType,
		}
		if !add(path, spec, explicitRNG) {
			break
		}
	}

	for i := range s.Traffic {
		tr := &s.Traffic[i]
		path := fmt.Sprintf("traffic[%d]", i)
		// Each pattern has its own random stream, so editing one pattern
		// leaves the others' events unchanged.
		rng := rand.New(rand.NewPCG(s.seed(), 0x1000+uint64(i)))
		caller := s.callerForKey(w, tr.AccessKey)
		base := func(c *ScenarioCall, t time.Time, region, ip string) EventSpec {
			return EventSpec{
				Time: t, Version: c.Version, Action: c.Action, Region: region,
				SourceIP: ip, UserAgent: scFirst(c.UserAgent, tr.UserAgent, scDefaultUserAgent), Caller: caller,
				Params: scExpandParams(c.Params, t, region), Response: scExpandResponse(c.Response, t, region),
				ErrorCode: c.ErrorCode, ErrorMessage: c.ErrorMessage,
			}
		}
		if tr.Burst != nil {
			bound := 0
			for j := range tr.Calls {
				bound += max(tr.Calls[j].Repeat, 1) * max(len(tr.Calls[j].Regions), 1)
			}
			if len(pending)+bound > scMaxEvents {
				p.add(path, "the scenario generates more than %d events", scMaxEvents)
				break
			}
			start := clk.resolve(tr.Burst.Start)
			spacing := 10 * time.Second
			if tr.Burst.Spacing != "" {
				spacing, _ = scParseDuration(tr.Burst.Spacing)
			}
			slot := 0
		burst:
			for j := range tr.Calls {
				c := &tr.Calls[j]
				regions := c.Regions
				if len(regions) == 0 {
					regions = []string{scFirst(c.Region, tr.Region, s.region())}
				}
				repeat := max(c.Repeat, 1)
				for r := 0; r < repeat; r++ {
					for _, region := range regions {
						ip := scFirst(c.SourceIP, tr.SourceIPs[slot%len(tr.SourceIPs)])
						t := start.Add(time.Duration(slot) * spacing)
						if !add(fmt.Sprintf("%s.calls[%d]", path, j), base(c, t, region, ip), rng) {
							break burst
						}
						slot++
					}
				}
			}
			continue
		}

		sc := tr.Schedule
		from := clk.resolve(sc.From)
		to := clk.now
		if sc.To != "" {
			to = clk.resolve(sc.To)
		}
		if !to.After(from) {
			p.add(path+".schedule", "from (%s) is not before to (%s)", from.Format(time.RFC3339), to.Format(time.RFC3339))
			continue
		}
		if to.Sub(from) > scMaxSpanDays*24*time.Hour {
			p.add(path+".schedule", "spans more than %d days", scMaxSpanDays)
			continue
		}
		// Refuse before generating when even the upper bound is too much.
		if bound := (int(to.Sub(from)/(24*time.Hour)) + 2) * sc.CallsPerDay.Max; len(pending)+bound > scMaxEvents {
			p.add(path, "the scenario may generate more than %d events (%d days of up to %d calls)", scMaxEvents, int(to.Sub(from)/(24*time.Hour))+1, sc.CallsPerDay.Max)
			break
		}
		days, _ := scParseDays(sc.Days)
		hFrom, hTo, _ := scParseHours(sc.Hours)
		prob := 1.0
		if sc.DayProbability != nil {
			prob = *sc.DayProbability
		}
		weights := make([]float64, len(tr.Calls))
		total := 0.0
		for j, c := range tr.Calls {
			weights[j] = 1
			if c.Weight != nil {
				weights[j] = *c.Weight
			}
			total += weights[j]
		}
		loc := zones.schedules[i]
		if loc == nil {
			loc = clk.loc
		}
		fl := from.In(loc)
		day := time.Date(fl.Year(), fl.Month(), fl.Day(), 0, 0, 0, 0, loc)
	days:
		for ; day.Before(to); day = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc) {
			// Draw for every day, active or not, so the stream does not
			// depend on which days match.
			active := rng.Float64() < prob && days[day.Weekday()]
			n := sc.CallsPerDay.Min
			if span := sc.CallsPerDay.Max - sc.CallsPerDay.Min; span > 0 {
				n += rng.IntN(span + 1)
			}
			if !active || n == 0 {
				continue
			}
			// Wall-clock bounds, so daylight-saving days keep their hours.
			start, startOK := scWallClock(day, hFrom)
			end, _ := scWallClock(day, hTo)
			window := end.Sub(start)
			if !startOK || window <= 0 { // the hours start in a daylight-saving gap
				continue
			}
			offsets := make([]time.Duration, n)
			for k := range offsets {
				offsets[k] = time.Duration(rng.Int64N(int64(window)))
			}
			sort.Slice(offsets, func(a, b int) bool { return offsets[a] < offsets[b] })
			for _, off := range offsets {
				t := start.Add(off).UTC().Truncate(time.Second)
				j := scPick(rng, weights, total)
				c := &tr.Calls[j]
				region := scFirst(c.Region, tr.Region, s.region())
				if len(c.Regions) > 0 {
					region = c.Regions[rng.IntN(len(c.Regions))]
				}
				ip := c.SourceIP
				if ip == "" {
					ip = tr.SourceIPs[rng.IntN(len(tr.SourceIPs))]
				}
				if t.Before(from) || !t.Before(to) {
					continue
				}
				if !add(fmt.Sprintf("%s.calls[%d]", path, j), base(c, t, region, ip), rng) {
					break days
				}
			}
		}
	}

	if len(p.list) > 0 {
		return nil, p.list
	}
	slices.SortFunc(pending, func(a, b scPending) int {
		if c := a.spec.Time.Compare(b.spec.Time); c != 0 {
			return c
		}
		return cmp.Compare(a.order, b.order)
	})
	events := make([]Event, 0, len(pending))
	for i := range pending {
		pe := &pending[i]
		pe.spec.RequestID = scUUID(pe.rng, true)
		if pe.spec.Response != nil {
			if _, ok := pe.spec.Response["RequestId"]; !ok {
				pe.spec.Response["RequestId"] = pe.spec.RequestID
			}
		}
		events = append(events, w.NewEvent(pe.spec)) // eventId = requestId, as ActionTrail writes it
	}
	return events, nil
}

// scWallClock is the instant at time-of-day d (up to 24h) on day's date in
// day's zone; ok is false when that wall-clock time does not exist that day
// (a daylight-saving gap) and the instant was normalised past it.
func scWallClock(day time.Time, d time.Duration) (t time.Time, ok bool) {
	h, m, sec := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	t = time.Date(day.Year(), day.Month(), day.Day(), h, m, sec, 0, day.Location())
	if h == 24 {
		return t, true
	}
	return t, t.Hour() == h && t.Minute() == m
}

// callerForKey resolves the identity behind a scenario key.
func (s *Scenario) callerForKey(w *World, keyID string) Caller {
	k := w.AccessKeys[keyID]
	if k == nil || k.Owner == "" {
		return Caller{Type: "root-account", PrincipalID: s.Account.ID, UserName: "root", AccessKeyID: keyID}
	}
	c := Caller{Type: "ram-user", UserName: k.Owner, AccessKeyID: keyID}
	if u := w.Users[k.Owner]; u != nil {
		c.PrincipalID = u.UserID
	}
	return c
}

// callerForUser resolves a keyless caller (console events).
func (s *Scenario) callerForUser(w *World, name string) Caller {
	if name == "root" {
		return Caller{Type: "root-account", PrincipalID: s.Account.ID, UserName: "root"}
	}
	c := Caller{Type: "ram-user", UserName: name}
	if u := w.Users[name]; u != nil {
		c.PrincipalID = u.UserID
	}
	return c
}

// scPick draws an index with probability proportional to its weight.
func scPick(r *rand.Rand, weights []float64, total float64) int {
	x := r.Float64() * total
	for i, wt := range weights {
		if x < wt {
			return i
		}
		x -= wt
	}
	for i := len(weights) - 1; i >= 0; i-- { // rounding: last non-zero weight
		if weights[i] > 0 {
			return i
		}
	}
	return 0
}

// scUUID returns a UUID-shaped id from r, upper-case when upper (the shape
// NewRequestID uses; events take their request id as eventId).
func scUUID(r *rand.Rand, upper bool) string {
	a, b := r.Uint64(), r.Uint64()
	s := fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
	if upper {
		return strings.ToUpper(s)
	}
	return s
}

// scExpand replaces the placeholders ${time} (the event time, ActionTrail
// layout) and ${region} in a scenario string.
func scExpand(s string, t time.Time, region string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	return strings.NewReplacer("${time}", t.UTC().Format(EventTimeLayout), "${region}", region).Replace(s)
}

func scExpandParams(in ParamMap, t time.Time, region string) map[string]string {
	if len(in) == 0 {
		return map[string]string{}
	}
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[k] = scExpand(v, t, region)
	}
	return out
}

// scExpandResponse deep-copies a response, expanding placeholders, so no two
// events share a map.
func scExpandResponse(in map[string]any, t time.Time, region string) map[string]any {
	if in == nil {
		return nil
	}
	var cp func(v any) any
	cp = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			m := make(map[string]any, len(x))
			for k, e := range x {
				m[k] = cp(e)
			}
			return m
		case []any:
			l := make([]any, len(x))
			for i, e := range x {
				l[i] = cp(e)
			}
			return l
		case string:
			return scExpand(x, t, region)
		}
		return v
	}
	return cp(in).(map[string]any)
}

func scFirst(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
