package audit

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Routine vs new.
//
// A sensitive operation is only alarming when it is new for the key. A
// backup job that deletes yesterday's snapshot every night from the same
// private address, a CI pipeline that starts its build instances every day,
// an operations key that runs the same Cloud Assistant commands: these are
// the key's routine, and an alert on each of them teaches the on-call
// engineer to stop reading.
//
// The table rules (rules_table.go) therefore judge each rule's matches per
// routine group: one rule, one source network (the address's /24, /64 for
// IPv6, or "VPC" for internal sources). A group is routine when it matched
// on at least routineMinDays distinct days spanning at least
// routineMinSpanDays days: a cadence, not a burst. Its events are routine,
// counted in the finding's routine_count and described in Result.Routine,
// never cited as evidence and never high or critical, except on the days
// where the group departs from its routine:
//
//   - volume: more matches in the day than max(3 x the median active day,
//     the median + 5);
//   - target set: a target (API and subject, for example
//     "RunCommand|i-ops1" or "RunInstances|ecs.c6.large") first seen after
//     the routine was established (its routineMinDays-th active day), when
//     the group's targets are stable (no more than a third of its active
//     days, at least 2).
//
// Departing days are judged like any other activity. Sources outside
// --trusted-cidr and scanner sources are never routine. The judgement uses
// the whole window, not the baseline split: it runs before the baseline is
// chosen, so that a routine operation does not mark the incident's onset.
//
// The other rules follow the same idea with their own aggregates: CTX-02
// skips sources that worked off hours on habitMinDays days before; CTX-04 and
// ANOM-01/02 count the events of sources that are not flagged separately
// and do not cite them; a new source that only repeats the key's known
// reads with a known tool ("roaming") is no CTX-04 suspect and, next to a
// real suspect, is counted separately by CTX-03.
const (
	routineMinDays      = 5
	routineMinSpanDays  = 7
	routineVolumeFactor = 3
	routineVolumeSlack  = 5
	maxRoutineTargets   = 64
	habitMinDays        = 4   // CTX-02: days a source worked off hours
	burstRoutineFactor  = 1.5 // ANOM-01/02: x the busiest baseline hour

	// evidenceCap bounds the events cited per finding (and kept per source
	// and per rule, source and day): evidence is complete for flagged
	// sources up to it, with the count beyond it in evidence_omitted.
	evidenceCap = 500
	// maxKeptRefs bounds all the kept evidence together (about 90 bytes
	// each).
	maxKeptRefs = 256 << 10
)

const dayNs = int64(24 * time.Hour)

// routineState is the engine-wide budget of kept evidence.
type routineState struct {
	kept    int
	groups  []*routineGroup
	roaming map[*ipAgg]bool // new sources repeating known reads (roamingSources)
}

// keptRefs keeps the earliest evidenceCap events offered, complete until
// then.
type keptRefs struct {
	refs []evSample
	maxI int // index of the latest kept, once full
	n    int // events offered
}

func (k *keptRefs) wants(r *evRef) bool {
	return len(k.refs) < evidenceCap || r.less(k.refs[k.maxI].evRef)
}

// keep offers x to k within the engine's budget.
func (e *Engine) keep(k *keptRefs, x evSample) {
	k.n++
	if len(k.refs) < evidenceCap {
		if e.rt.kept >= maxKeptRefs {
			e.limit("kept", fmt.Sprintf("more than %d events kept as evidence; further findings cite samples only", maxKeptRefs))
			return
		}
		e.rt.kept++
		k.refs = append(k.refs, x)
		if len(k.refs) == evidenceCap {
			k.findMax()
		}
		return
	}
	if x.evRef.less(k.refs[k.maxI].evRef) {
		k.refs[k.maxI] = x
		k.findMax()
	}
}

func (k *keptRefs) findMax() {
	k.maxI = 0
	for i := range k.refs {
		if k.refs[k.maxI].evRef.less(k.refs[i].evRef) {
			k.maxI = i
		}
	}
}

// keepSource keeps a source's earliest events: CTX-03 and USE-AFTER-LEAK
// cite them.
func (e *Engine) keepSource(ip *ipAgg, ref *sharedRef) {
	if ip.kept.wants(&ref.evRef) {
		e.keep(&ip.kept, evSample{evRef: ref.ptr()})
	} else {
		ip.kept.n++
	}
}

// matchRoutine is the routine view of one rule's matches from one source.
type matchRoutine struct {
	days       []*dayBucket // ascending day
	lastDay    int32
	last       *dayBucket
	targets    []routineTarget // at most maxRoutineTargets
	lastTarget string
	hours      [24]int32 // matches per local hour of the day
	routine    bool      // set by judgeRoutine
}

// routineTarget is one API and subject a rule matched, with the first day
// it did: a few per match, so a list, not a map.
type routineTarget struct {
	target string // API|subject
	d      int32
}

// target returns the entry of target, or nil.
func (rt *matchRoutine) target(target string) *routineTarget {
	for i := range rt.targets {
		if rt.targets[i].target == target {
			return &rt.targets[i]
		}
	}
	return nil
}

// day returns the bucket of day d, creating it (first at t, sev) if new.
func (rt *matchRoutine) day(d int32, t int64, sev Severity) *dayBucket {
	i, found := slices.BinarySearchFunc(rt.days, d, func(b *dayBucket, d int32) int { return cmp.Compare(b.d, d) })
	if found {
		return rt.days[i]
	}
	b := &dayBucket{d: d, first: t, sev: sev}
	rt.days = slices.Insert(rt.days, i, b)
	return b
}

// dayBucket is one rule's matches from one source in one UTC day.
type dayBucket struct {
	n       int32
	d       int32 // UTC day (days since the epoch)
	first   int64
	sev     Severity
	kept    keptRefs
	departs bool // set by judgeRoutine
}

// record notes one match for the routine judgement and keeps its evidence.
func (e *Engine) recordRoutine(acc *matchAcc, ev *Event, rule *tableRule, nm *nameAgg, hb *hourBucket, ref *sharedRef, sev Severity, subject string) {
	rt := &acc.rt
	d := int32(floorDiv(ref.t, dayNs))
	b := rt.last
	if b == nil || rt.lastDay != d {
		b = rt.day(d, ref.t, sev)
		rt.last, rt.lastDay = b, d
	}
	b.n++
	b.first = min(b.first, ref.t)
	b.sev = max(b.sev, sev)
	if b.kept.wants(&ref.evRef) {
		e.keep(&b.kept, evSample{evRef: ref.ptr(), detail: paramDetail(ev, rule.params)})
	} else {
		b.kept.n++
	}
	rt.hours[(hb.localMin/60)%24]++
	target := nm.name + "|" + subject
	if target != rt.lastTarget {
		// target is a fresh string (the concatenation), not the event's.
		if x := rt.target(target); x != nil {
			x.d = min(x.d, d)
		} else if len(rt.targets) < maxRoutineTargets {
			rt.targets = append(rt.targets, routineTarget{target, d})
		}
		rt.lastTarget = target
	} else if x := rt.target(target); x != nil {
		x.d = min(x.d, d)
	}
}

// routineGroup is one rule's matches from one source network.
type routineGroup struct {
	rule    *tableRule
	net     string
	accs    []*matchAcc
	days    map[int32]int32
	targets map[string]int32
	hours   [24]int32
	routine bool
	depart  map[int32]bool
}

// netOf names a source's network for the routine groups.
func netOf(ip *ipAgg) string {
	switch {
	case ip.internal:
		return "VPC"
	case ip.addr.Is4():
		p, _ := ip.addr.Prefix(24)
		return p.String()
	case ip.isIP:
		p, _ := ip.addr.Prefix(64)
		return p.String()
	}
	return ip.text
}

// judgeRoutine decides which table-rule matches are routine, then marks
// the onset and sensitive-write facts of the sources from the rest. It runs
// after classifySources and before computeBaseline.
func (e *Engine) judgeRoutine() {
	keys := make([]matchKey, 0, len(e.matches))
	for k := range e.matches {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b matchKey) int {
		return cmp.Or(strings.Compare(a.rule.id, b.rule.id), strings.Compare(e.ipList[a.ip].text, e.ipList[b.ip].text))
	})
	groups := map[string]*routineGroup{}
	var order []*routineGroup
	for _, k := range keys {
		acc := e.matches[k]
		ip := acc.ip
		// Read-like rules keep their own, per-address routine test
		// (Engine.routine).
		if acc.rule.routine || ip.untrusted || ip.scanner.n > 0 || len(acc.rt.days) == 0 {
			continue
		}
		gk := acc.rule.id + " " + netOf(ip)
		g := groups[gk]
		if g == nil {
			g = &routineGroup{rule: acc.rule, net: netOf(ip), days: map[int32]int32{}, targets: map[string]int32{}, depart: map[int32]bool{}}
			groups[gk] = g
			order = append(order, g)
		}
		g.accs = append(g.accs, acc)
		for _, b := range acc.rt.days {
			g.days[b.d] += b.n
		}
		for _, x := range acc.rt.targets {
			if f, ok := g.targets[x.target]; !ok || x.d < f {
				g.targets[x.target] = x.d
			}
		}
		for h, n := range acc.rt.hours {
			g.hours[h] += n
		}
	}
	for _, g := range order {
		g.judge()
		if !g.routine {
			continue
		}
		e.rt.groups = append(e.rt.groups, g)
		for _, acc := range g.accs {
			acc.rt.routine = true
			for _, b := range acc.rt.days {
				b.departs = g.depart[b.d]
			}
		}
	}
	// Onset and sensitive writes, from what is not routine.
	for _, k := range keys {
		acc := e.matches[k]
		rule, ip := acc.rule, acc.ip
		if !rule.onset && (rule.routine || acc.sev < High) {
			continue
		}
		for _, b := range acc.rt.days {
			if acc.rt.routine && !b.departs {
				continue
			}
			if rule.onset {
				e.markOnset(ip, b.first, b.sev)
			}
			if !rule.routine && b.sev >= High {
				ip.sens, ip.hasSens = max(ip.sens, b.sev), true
			}
		}
	}
}

func (g *routineGroup) judge() {
	days := make([]int32, 0, len(g.days))
	counts := make([]float64, 0, len(g.days))
	for d, n := range g.days {
		days = append(days, d)
		counts = append(counts, float64(n))
	}
	slices.Sort(days)
	if len(days) < routineMinDays || days[len(days)-1]-days[0] < routineMinSpanDays-1 {
		return
	}
	slices.Sort(counts)
	m := medianSorted(counts)
	limit := max(routineVolumeFactor*m, m+routineVolumeSlack)
	for _, d := range days {
		if float64(g.days[d]) > limit {
			g.depart[d] = true
		}
	}
	established := days[routineMinDays-1]
	if len(g.targets) <= max(2, len(days)/3) {
		for _, d := range g.targets {
			if d > established {
				g.depart[d] = true
			}
		}
	}
	g.routine = len(days)-len(g.depart) >= routineMinDays
}

// RoutineActivity is a sensitive operation the key performs as a matter of
// routine: the same rule from the same source network, day after day, at
// a usual volume. Its events are not evidence (findings count them in
// routine_count); days that departed from it are judged as new.
type RoutineActivity struct {
	RuleID string   `json:"rule_id"`
	APIs   []string `json:"apis"`
	// Source is the address when one did it all, else its /24 (/64) or
	// "VPC" for internal sources.
	Source string    `json:"source"`
	Days   int       `json:"days"`   // distinct UTC days with matches
	Events int       `json:"events"` // routine events (departing days excluded)
	First  time.Time `json:"first"`
	Last   time.Time `json:"last"`
	// Cadence is "daily" (on at least 80 % of the days it spans),
	// "weekdays" (every active day a Monday to Friday) or "recurring".
	Cadence string `json:"cadence"`
	// LocalHour is the hour of the day (Options.TZ) with the most matches.
	LocalHour int `json:"local_hour"`
	// Departures are the days (UTC dates) judged new: more volume or a new
	// target. Their events are evidence.
	Departures []string `json:"departures,omitempty"`
}

// String describes the routine in one line: "DeleteSnapshot daily at
// 02:00 from 10.1.2.3 for 30 days: routine".
func (a RoutineActivity) String() string {
	s := fmt.Sprintf("%s %s %s at %02d:00 from %s for %d days: routine (%s)", a.RuleID, strings.Join(a.APIs, "/"), a.Cadence, a.LocalHour, a.Source, a.Days, plural(a.Events, "event"))
	if len(a.Departures) > 0 {
		s += "; departed on " + strings.Join(a.Departures, ", ")
	}
	return s
}

func plural(n int, w string) string {
	if n == 1 {
		return "1 " + w
	}
	return fmt.Sprintf("%d %ss", n, w)
}

// routineActivities describes the routine groups for Result.Routine.
func (e *Engine) routineActivities() []RoutineActivity {
	out := []RoutineActivity{}
	for _, g := range e.rt.groups {
		a := RoutineActivity{RuleID: g.rule.id, Source: g.net, Cadence: "recurring"}
		var ips []string
		names := map[string]bool{}
		var first, last int64
		has := false
		for _, acc := range g.accs {
			if !slices.Contains(ips, acc.ip.text) {
				ips = append(ips, acc.ip.text)
			}
			for nm := range acc.names.all() {
				names[nm.name] = true
			}
			for _, b := range acc.rt.days {
				if b.departs {
					continue
				}
				a.Events += int(b.n)
				for _, x := range b.kept.refs {
					if !has || x.t < first {
						first = x.t
					}
					if !has || x.t > last {
						last = x.t
					}
					has = true
				}
			}
		}
		if len(ips) == 1 {
			a.Source = ips[0]
		}
		for n := range names {
			a.APIs = append(a.APIs, n)
		}
		slices.Sort(a.APIs)
		days := make([]int32, 0, len(g.days))
		weekdays := true
		for d := range g.days {
			days = append(days, d)
			wd := time.Unix(int64(d)*86400, 0).In(e.opts.TZ).Add(12 * time.Hour).Weekday()
			weekdays = weekdays && wd != time.Saturday && wd != time.Sunday
		}
		slices.Sort(days)
		a.Days = len(days)
		span := int(days[len(days)-1]-days[0]) + 1
		switch {
		case a.Days*5 >= span*4:
			a.Cadence = "daily"
		case weekdays:
			a.Cadence = "weekdays"
		}
		for h, n := range g.hours {
			if n > g.hours[a.LocalHour] {
				a.LocalHour = h
			}
		}
		for _, d := range days {
			if g.depart[d] {
				a.Departures = append(a.Departures, time.Unix(int64(d)*86400, 0).UTC().Format("2006-01-02"))
			}
		}
		if has {
			a.First, a.Last = time.Unix(0, first).UTC().Truncate(time.Second), time.Unix(0, last).UTC().Truncate(time.Second)
		}
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b RoutineActivity) int {
		return cmp.Or(strings.Compare(a.RuleID, b.RuleID), strings.Compare(a.Source, b.Source))
	})
	return out
}

// roaming reports whether a new source only repeated what the key already
// did: reads of APIs known before the baseline end, with a user-agent
// family known then, without writes, failures or sensitive matches, and
// not starting with a key check. An office user on the move looks like
// this: CTX-04 does not count it as a suspect, and CTX-03 counts it
// separately when a real suspect is there too.
func (e *Engine) roamingSources(bl *baselineInfo) map[*ipAgg]bool {
	out := map[*ipAgg]bool{}
	if !bl.hasHistory {
		return out
	}
	for _, ip := range e.ipList {
		if ip.n == 0 || ip.internal || !ip.isNew || ip.untrusted || ip.hasOnset || ip.scanner.n > 0 || ip.errs > 0 {
			continue
		}
		// A first call that is the classic key check is a finder's, not a
		// user's (CTX-05).
		if name := e.strs.str(ip.first.name); name == "GetCallerIdentity" || name == "DescribeRegions" {
			continue
		}
		u := e.uas[e.strs.str(ip.first.ua)]
		if u == nil || u.family == nil || u.family.first.t >= bl.end {
			continue
		}
		out[ip] = true
	}
	if len(out) == 0 {
		return out
	}
	for _, chunk := range e.hourSlab.used() {
		for j := range chunk {
			ih := &chunk[j]
			if ip := e.ipList[ih.ip]; out[ip] && ih.writes > 0 {
				delete(out, ip)
			}
		}
	}
	for k := range e.ipAPIs {
		ip := e.ipList[k.ip]
		if out[ip] && e.nameList[k.name].first.t >= bl.end {
			delete(out, ip)
		}
	}
	for k := range e.matches {
		if !k.rule.routine { // read-like rules: the API check above decides
			delete(out, e.ipList[k.ip])
		}
	}
	return out
}

// habitualOff returns the sources that worked outside business hours on
// at least habitMinDays distinct days before the baseline end: a nightly
// job or a server, whose off-hours activity CTX-02 does not flag (unless
// the source is flagged).
func (e *Engine) habitualOff(bl *baselineInfo) map[uint32]bool {
	days := map[uint32]map[int32]bool{}
	for _, chunk := range e.hourSlab.used() {
		for j := range chunk {
			ih := &chunk[j]
			if ih.firstOff == nil || int64(ih.h+1)*int64(time.Hour) > bl.end {
				continue
			}
			if days[ih.ip] == nil {
				days[ih.ip] = map[int32]bool{}
			}
			days[ih.ip][ih.h/24] = true
		}
	}
	out := map[uint32]bool{}
	for ip, ds := range days {
		if len(ds) >= habitMinDays {
			out[ip] = true
		}
	}
	return out
}

// sourceFlagged reports whether the source with strTable id sid is
// flagged (evidence from it is listed first).
func (e *Engine) sourceFlagged(sid uint32) bool {
	ip := e.ips[e.strs.str(sid)]
	return ip != nil && ip.flagged
}
