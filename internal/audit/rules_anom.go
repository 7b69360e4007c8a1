package audit

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"
)

// anomRules are the ANOM rules, in catalogue order (see rules_catalogue.go).
// Call-rate statistics and new APIs (ANOM), evaluated below.
var anomRules = []ruleDef{
	{
		RuleInfo: RuleInfo{ID: "ANOM-01", Title: "Call-rate anomaly", Severity: Medium, SeverityText: "medium",
			Logic:      "An hour after the baseline end whose call count has a modified z-score above 3.5 against the baseline's hourly counts and reaches max(20, 3 x median). Cold start: 100 calls in an hour.",
			Parameters: "z 3.5, floor 20, --baseline-days (default 14), cold start < 72 h or < 50 events; see Call-rate statistics.",
			Why:        "A key suddenly doing far more than it ever did is being used by someone, or something, new.",
			Attack:     []string{"T1078.004"}},
		routine: routineUnflagged,
		eval:    (*Engine).anomalyFindings,
		tests:   []string{"TestANOM01AbsoluteFloor20", "TestANOM01FloorThreeTimesMedian", "TestAnomalyRules", "TestColdStartCeilings"},
	},
	{
		RuleInfo: RuleInfo{ID: "ANOM-02", Title: "Write-rate anomaly", Severity: High, SeverityText: "high",
			Logic:      "As ANOM-01 on write calls, floor max(10, 3 x median). Cold start: 20 writes in an hour.",
			Parameters: "z 3.5, floor 10.",
			Why:        "A burst of changes is where damage happens.",
			Attack:     []string{"T1078.004"}},
		routine: routineUnflagged,
		eval:    (*Engine).anomalyFindings,
		tests:   []string{"TestANOM02WriteFloors", "TestAnomalyRules", "TestColdStartCeilings"},
	},
	{
		RuleInfo: RuleInfo{ID: "ANOM-03", Title: "Failure-rate anomaly", Severity: Medium, SeverityText: "medium",
			Logic:      "Every 15 minutes over the last 30: 10 or more failed calls and either a failure ratio of at least 50 % or a modified z-score above 3.5 against the baseline's half-hourly failures. Cold start: 10 failures in 30 minutes.",
			Parameters: "10 failures, ratio 0.5, z 3.5.",
			Why:        "A burst of refusals is someone trying what the key may not do.",
			Attack:     []string{"T1069.003"}},
		routine: routineUnflagged,
		eval:    (*Engine).anomalyFindings,
		tests:   []string{"TestANOM03FailureFloor10", "TestANOM03FailureRatioHalf", "TestAnomalyRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "ANOM-04", Title: "New API or service for the key", Severity: Low, SeverityText: "low; for APIs in the sensitive-action table, that category's severity minus one (enumeration low, persistence/privilege/execution/exfiltration/cost/evasion medium, destruction high)",
			Logic:  "APIs (and services) the key first called at or after the baseline end.",
			Why:    "Applications call the same APIs every day; an intruder calls new ones.",
			Attack: []string{"T1078.004"}},
		eval:  (*Engine).newAPIs,
		tests: []string{"TestAnomalyRules"},
	},
}

// Call-rate statistics (ANOM-01..03).
//
// The key's own history is the yardstick: the hourly counts of the
// BaselineDays before the baseline end, zero hours included (a key that
// works 09:00-19:00 has many). An hour after the baseline end is anomalous
// when its modified z-score
//
//	z = 0.6745 * (x - median) / MAD
//
// exceeds 3.5 and the count clears a floor of max(20, 3 x median) calls
// (writes: max(10, 3 x median)). The median and the median absolute
// deviation (MAD) resist the outliers an attack produces, unlike a mean and
// standard deviation. When MAD is 0 (more than half the hours equal) the
// score uses 1.253314 x the mean absolute deviation instead; when that is 0
// too (every hour the same), a Poisson tail probability below 1e-4 at the
// baseline rate decides. A cold baseline (under 72 hours or 50 events)
// gives no statistics: static ceilings apply to every hour of the window
// instead: 100 calls/h, 20 writes/h, 10 authorisation-or-other failures per
// 30 minutes.
const (
	zThreshold        = 3.5
	poissonThreshold  = 1e-4
	callFloor         = 20
	writeFloor        = 10
	staticCallCeiling = 100
	staticWriteCeil   = 20
	failureFloor      = 10
	failureRatio      = 0.5
)

// robustStats summarises a baseline series.
type robustStats struct {
	median, mad, meanAD float64
}

func newRobustStats(xs []float64) robustStats {
	if len(xs) == 0 {
		return robustStats{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	med := medianSorted(s)
	dev := make([]float64, len(s))
	sum := 0.0
	for i, x := range s {
		dev[i] = math.Abs(x - med)
		sum += dev[i]
	}
	slices.Sort(dev)
	return robustStats{median: med, mad: medianSorted(dev), meanAD: sum / float64(len(s))}
}

func medianSorted(s []float64) float64 {
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// anomalous reports whether x is far above the baseline, and a description
// of the score.
func (st robustStats) anomalous(x float64) (bool, string) {
	switch {
	case st.mad > 0:
		z := 0.6745 * (x - st.median) / st.mad
		return z > zThreshold, fmt.Sprintf("modified z %.1f (median %.1f, MAD %.1f)", z, st.median, st.mad)
	case st.meanAD > 0:
		z := (x - st.median) / (1.253314 * st.meanAD)
		return z > zThreshold, fmt.Sprintf("modified z %.1f (median %.1f, MAD 0, mean abs. deviation %.2f)", z, st.median, st.meanAD)
	default:
		p := poissonTail(x, math.Max(st.median, 0.5))
		return p < poissonThreshold, fmt.Sprintf("Poisson tail p=%.2g at the baseline rate %.1f", p, st.median)
	}
}

// poissonTail is P(X >= x) for X ~ Poisson(lambda). The terms are summed
// away from the mode, where they only shrink, until they no longer count:
// upward from x when x is above the rate, otherwise downward from x-1 for
// P(X < x), whose complement is the tail (a sum that starts far below a
// large rate would otherwise stop before the mode and call a drop rare).
func poissonTail(x, lambda float64) float64 {
	k0 := math.Ceil(x)
	if k0 <= 0 {
		return 1
	}
	pmf := func(k float64) float64 {
		lg, _ := math.Lgamma(k + 1)
		return math.Exp(k*math.Log(lambda) - lambda - lg)
	}
	sum := 0.0
	if k0 > lambda {
		for k := k0; ; k++ {
			term := pmf(k)
			sum += term
			if term <= sum*1e-12 {
				break
			}
		}
		return math.Min(sum, 1)
	}
	for k := k0 - 1; k >= 0; k-- {
		term := pmf(k)
		sum += term
		if term <= sum*1e-12 {
			break
		}
	}
	return math.Max(1-sum, 0)
}

func (e *Engine) anomalyFindings(bl *baselineInfo) []*findingBuilder {
	hourNs := int64(time.Hour)
	firstDetect := int32(floorDiv(bl.end+hourNs-1, hourNs)) // first whole hour at/after the end
	if bl.cold {
		firstDetect = math.MinInt32
	}
	var calls, writes, fails []float64
	if !bl.cold {
		for h := int32(floorDiv(bl.statStart, hourNs)); int64(h+1)*hourNs <= bl.end; h++ {
			var n, w int32
			var q [4]quarterAgg
			if hb := e.hours[h]; hb != nil {
				n, w, q = hb.n, hb.writes, hb.q
			}
			calls = append(calls, float64(n))
			writes = append(writes, float64(w))
			fails = append(fails, float64(q[0].fails+q[1].fails), float64(q[2].fails+q[3].fails))
		}
	}
	callStats, writeStats, failStats := newRobustStats(calls), newRobustStats(writes), newRobustStats(fails)

	hs := make([]int32, 0, len(e.hours))
	for h := range e.hours {
		if h >= firstDetect {
			hs = append(hs, h)
		}
	}
	slices.Sort(hs)

	// Per hour, the share of sources that are not flagged: when it stays
	// within burstRoutineFactor x the busiest hour before the baseline end,
	// it is the key's routine and only the flagged sources' calls are
	// judged (and cited).
	type split struct {
		n, writes       int32
		first           *evRef
		last, lastWrite int64 // to the second (ipHour keeps no more)
	}
	flaggedIn := map[int32]*split{}
	var maxCalls, maxWrites int32
	for h, hb := range e.hours {
		if int64(h+1)*hourNs <= bl.end {
			maxCalls, maxWrites = max(maxCalls, hb.n), max(maxWrites, hb.writes)
		}
	}
	for _, chunk := range e.hourSlab.used() {
		for j := range chunk {
			ih := &chunk[j]
			if ih.h < firstDetect || !e.ipList[ih.ip].flagged {
				continue
			}
			sp := flaggedIn[ih.h]
			if sp == nil {
				sp = &split{}
				flaggedIn[ih.h] = sp
			}
			sp.n += ih.n
			sp.writes += ih.writes
			if sp.first == nil || ih.first.less(sp.first) {
				sp.first = ih.first
			}
			start := int64(ih.h) * hourNs
			sp.last = max(sp.last, start+int64(ih.lastSec)*int64(time.Second))
			if ih.writes > 0 {
				sp.lastWrite = max(sp.lastWrite, start+int64(ih.lastWriteSec)*int64(time.Second))
			}
		}
	}
	rate := func(id string, sev Severity, get func(*hourBucket) int32, st robustStats, floor, ceiling int, what string) *findingBuilder {
		b := newBuilder(id, sev)
		writes := id == "ANOM-02" // else calls
		busiest := maxCalls
		if writes {
			busiest = maxWrites
		}
		for _, h := range hs {
			hb := e.hours[h]
			x := get(hb)
			// What the hour and its flagged share count, and the range
			// of it: from the first to the last call (write).
			first, last := &hb.first, hb.last
			if writes {
				first, last = hb.firstWrite, hb.lastWrite
			}
			sp := flaggedIn[h]
			var fx int32
			var spLast int64
			if sp != nil {
				fx, spLast = sp.n, sp.last
				if writes {
					fx, spLast = sp.writes, sp.lastWrite
				}
			}
			routine := int32(0)
			if other := x - fx; float64(other) <= burstRoutineFactor*float64(busiest) {
				routine, x = other, fx
			}
			var hit bool
			var why string
			if bl.cold {
				hit, why = int(x) >= ceiling, fmt.Sprintf("static ceiling %d/h (cold-start baseline)", ceiling)
			} else if float64(x) >= math.Max(float64(floor), 3*st.median) {
				hit, why = st.anomalous(float64(x))
			}
			if !hit {
				continue
			}
			b.n += int(x)
			b.routineN += int(routine)
			b.hours[h] = struct{}{}
			cited := ""
			if routine > 0 && sp != nil {
				// The flagged share: its writes from the hour's first write
				// when a flagged source made it; else from the flagged
				// sources' first call (ipHour keeps no first write), which
				// the detail then names.
				last = spLast
				if !writes || first == nil || !e.sourceFlagged(first.ip) {
					first = sp.first
					if writes {
						cited = "; cited: the flagged sources' first call of that hour"
					}
				}
				e.hourIPs(b, h, true)
			} else {
				e.hourIPs(b, h, false)
			}
			b.evidence(evSample{evRef: first, detail: fmt.Sprintf("%d %s in the hour from %s; %s%s", x, what, fmtUTC(int64(h)*hourNs), why, cited)})
			b.span(first.t, max(first.t, last))
		}
		return b
	}
	out := []*findingBuilder{
		rate("ANOM-01", Medium, func(hb *hourBucket) int32 { return hb.n }, callStats, callFloor, staticCallCeiling, "calls"),
		rate("ANOM-02", High, func(hb *hourBucket) int32 { return hb.writes }, writeStats, writeFloor, staticWriteCeil, "writes"),
	}

	// ANOM-03: failures over 30 minutes, every 15 minutes.
	fb := newBuilder("ANOM-03", Medium)
	type quarter struct {
		q     int64 // Unix quarter-hour
		n, fl int32
		agg   *quarterAgg
	}
	var qs []quarter
	for _, h := range hs {
		hb := e.hours[h]
		for i := range hb.q {
			if q := &hb.q[i]; q.n > 0 {
				qs = append(qs, quarter{int64(h)*4 + int64(i), q.n, q.fails, q})
			}
		}
	}
	slices.SortFunc(qs, func(a, b quarter) int { return cmp.Compare(a.q, b.q) })
	flagged := map[int64]bool{}
	fbHours := map[int32]bool{} // hours whose sources fb holds
	for i, q := range qs {
		n, fl := q.n, q.fl
		if i+1 < len(qs) && qs[i+1].q == q.q+1 {
			n += qs[i+1].n
			fl += qs[i+1].fl
		}
		if fl < failureFloor {
			continue
		}
		why := fmt.Sprintf("static ceiling %d failures/30 min (cold-start baseline)", failureFloor)
		if !bl.cold {
			ratioHit := float64(fl)/float64(n) >= failureRatio
			zHit, zWhy := failStats.anomalous(float64(fl))
			if !ratioHit && !zHit {
				continue
			}
			why = fmt.Sprintf("failure ratio %.0f%%; %s", 100*float64(fl)/float64(n), zWhy)
		}
		// The window's first failure is its evidence; the range spans
		// the failures counted.
		var firstFail *evRef
		for _, y := range qs[i:min(i+2, len(qs))] {
			if y.q > q.q+1 || y.fl == 0 {
				continue
			}
			if firstFail == nil || y.agg.firstFail.less(firstFail) {
				firstFail = y.agg.firstFail
			}
			if !flagged[y.q] {
				flagged[y.q] = true
				fb.n += int(y.fl)
				fb.span(y.agg.firstFail.t, y.agg.lastFail)
			}
		}
		// The hour's sources once, however many of its quarters are
		// flagged: their counts order the finding's sources.
		if h := int32(q.q / 4); !fbHours[h] {
			fbHours[h] = true
			e.hourIPs(fb, h, false)
		}
		fb.evidence(evSample{evRef: firstFail, detail: fmt.Sprintf("%d failures of %d calls in the 30 minutes from %s; %s", fl, n, fmtUTC(q.q*int64(15*time.Minute)), why)})
	}
	out = append(out, fb, e.newAPIs(bl))
	return out
}

// hourIPs lists the sources of an hour in a finding (only the flagged
// ones when the others are the key's routine).
func (e *Engine) hourIPs(b *findingBuilder, h int32, flaggedOnly bool) {
	hb := e.hours[h]
	if hb == nil {
		return
	}
	for _, ip := range hb.ips {
		if src := e.ipList[ip]; !flaggedOnly || src.flagged {
			b.ips[src.text] += int(e.ipHours[ipHourKey{ip, h}].n)
		}
	}
}

// categorySeverity is the base severity the catalogue gives each category's
// rules; ANOM-04 inherits it minus one level.
var categorySeverity = map[Category]Severity{
	CategoryEnum: Medium, CategoryPers: High, CategoryPriv: High, CategoryExec: High,
	CategoryExfil: High, CategoryCost: High, CategoryEvade: High, CategoryDest: Critical,
}

// newAPIs is ANOM-04: APIs (and services) the key never called before the
// baseline end.
func (e *Engine) newAPIs(bl *baselineInfo) *findingBuilder {
	b := newBuilder("ANOM-04", Low)
	if !bl.hasHistory {
		return b
	}
	var fresh []*nameAgg
	for _, nm := range e.nameList {
		if nm.n > 0 && nm.first.t >= bl.end {
			fresh = append(fresh, nm)
		}
	}
	slices.SortFunc(fresh, func(a, b *nameAgg) int {
		return cmp.Or(cmpSample(evSample{evRef: &a.first}, evSample{evRef: &b.first}), cmp.Compare(a.name, b.name))
	})
	var newSvcs []string
	for _, nm := range fresh {
		sev := Low
		for _, c := range SensitiveCategories(nm.svc.name, nm.name) {
			sev = max(sev, categorySeverity[c]-1)
		}
		b.sev = max(b.sev, sev)
		b.n += nm.n
		b.ips[e.strs.str(nm.first.ip)] += nm.n
		b.subject(nm.svc.name + ":" + nm.name)
		b.span(nm.first.t, nm.last)
		detail := "first call of this API"
		if nm.svc.first >= bl.end && !slices.Contains(newSvcs, nm.svc.name) {
			newSvcs = append(newSvcs, nm.svc.name)
			detail = "first call to service " + nm.svc.name
		}
		b.evidence(evSample{evRef: &nm.first, detail: detail})
	}
	if len(newSvcs) > 0 {
		slices.Sort(newSvcs)
		b.note(fmt.Sprintf("New services: %s.", joinAnd(newSvcs)))
	}
	return b
}
