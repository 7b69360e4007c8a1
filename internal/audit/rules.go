package audit

import (
	"cmp"
	"fmt"
	"hash/maphash"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// RuleInfo documents one rule: docs/rules.md is generated from these, and
// findings take their title, why and ATT&CK ids from here.
type RuleInfo struct {
	ID       string
	Title    string
	Severity Severity // the rule's base severity
	// SeverityText explains how the severity varies ("high; critical when
	// ...").
	SeverityText string
	Logic        string // what matches, in one paragraph
	Parameters   string // tunables and constants ("" if none)
	Why          string // why it matters, shown with every finding
	Attack       []string
}

// findingBuilder accumulates one rule's finding during finalisation.
type findingBuilder struct {
	id       string
	sev      Severity
	n        int
	first    int64
	last     int64
	hasTime  bool
	ips      map[string]int
	hours    map[int32]struct{}
	samples  sampleSet
	subjects []string
	// subjectSet holds the hash of every distinct subject seen (built on
	// first use, at most maxSubjectHashes); subjects keeps the first
	// maxBuilderSubjects by name; moreSubj counts subjects beyond the set.
	subjectSet map[uint64]struct{}
	moreSubj   int
	notes      []string // appended to Why
	// failedAt is where the note on failed attempts goes in notes, plus
	// one (0: no attempt failed); failedN counts the events of sources whose every match
	// failed. When they are all the finding's events, nothing the rule
	// looks for was done, and the note says so.
	failedAt int
	failedN  int
	noteSet  map[string]struct{} // notes, once there are many
	// routineN counts matching events from routine activity or sources
	// that are not flagged: not evidence (Finding.RoutineCount).
	routineN int
	// cited is evidence kept complete (up to evidenceCap), next to the
	// bounded samples: the candidates for the finding's evidence list, in
	// no order, pruned to the first citedKeep distinct events of that
	// list's order whenever it doubles (cite).
	cited []citedSample
	// citedWorst is the last of the cited kept at the latest pruning (the
	// citedKeep-th distinct one in the evidence order), once there was
	// one: a later citation after it could never be listed and is not
	// kept (a rule citing every event of thousands of sources, mostly in
	// time order, pruned and sorted again and again).
	citedWorst    citedSample
	hasCitedWorst bool
}

// citedSample is cited evidence and whether its source is flagged, the
// first key of the evidence order (toFinding).
type citedSample struct {
	s       evSample
	flagged bool
}

// citedKeep is how many distinct cited events a builder keeps: a finding
// lists at most evidenceCap, and its 2 x sampleK samples may repeat as
// many of the cited ones, so the first citedKeep distinct cited events in
// the evidence order hold every cited event the list can show.
const citedKeep = evidenceCap + 2*sampleK

// cmpCited is the evidence order: flagged sources first, then time
// (cmpSample).
func cmpCited(a, b citedSample) int {
	if a.flagged != b.flagged {
		if a.flagged {
			return -1
		}
		return 1
	}
	return cmpSample(a.s, b.s)
}

// firstDistinct sorts xs in the evidence order and keeps the first
// occurrence of each event (a later one, with another detail, cannot be
// listed), at most limit of them.
func firstDistinct(xs []citedSample, limit int) []citedSample {
	slices.SortFunc(xs, cmpCited)
	// The occurrences of one event are neighbours in this order (one
	// source, so one flag; then the event; then the detail).
	out := xs[:0]
	for i, x := range xs {
		if len(out) == limit {
			break
		}
		if i > 0 && *x.s.evRef == *xs[i-1].s.evRef {
			continue
		}
		out = append(out, x)
	}
	clear(xs[len(out):])
	return out
}

func newBuilder(id string, sev Severity) *findingBuilder {
	if ruleByID[id] == nil {
		panic("audit: no RuleInfo for rule " + id) // programming error, caught by tests
	}
	return &findingBuilder{id: id, sev: sev, ips: map[string]int{}, hours: map[int32]struct{}{}}
}

// refused reports that every event the finding counts failed.
func (b *findingBuilder) refused() bool { return b.failedAt > 0 && b.failedN >= b.n }

// span widens the time range.
func (b *findingBuilder) span(first, last int64) {
	if !b.hasTime {
		b.first, b.last, b.hasTime = first, last, true
		return
	}
	b.first = min(b.first, first)
	b.last = max(b.last, last)
}

// subject names one more subject of the finding. Every distinct subject
// is kept (up to maxBuilderSubjects), not only the maxSubjects a title
// names: a rule that sorts its subjects (CTX-04, the window rules) then
// names the same ones, and counts the same "and N more", whatever order
// the events arrived in (online, LookupEvents pages come region by region).
func (b *findingBuilder) subject(s string) {
	if s == "" {
		return
	}
	if !b.subjectHash(subjectKey(s)) {
		return
	}
	if len(b.subjects) < maxBuilderSubjects {
		b.subjects = append(b.subjects, s)
	}
}

// subjectHash records one subject by its hash and reports whether it is
// new. Beyond maxSubjectHashes distinct subjects the rest are counted
// without de-duplication (moreSubj): an attacker's new name per event
// cannot make the set grow without bound.
func (b *findingBuilder) subjectHash(h uint64) bool {
	if b.subjectSet == nil {
		b.subjectSet = map[uint64]struct{}{}
	}
	if _, dup := b.subjectSet[h]; dup {
		return false
	}
	if len(b.subjectSet) >= maxSubjectHashes {
		b.moreSubj++
		return false
	}
	b.subjectSet[h] = struct{}{}
	return true
}

// subjectKey is the hash subjects are de-duplicated by (the seed is per
// process; 64 bits make a collision between a finding's subjects
// negligible).
func subjectKey(s string) uint64 { return maphash.String(subjectSeed, s) }

var subjectSeed = maphash.MakeSeed()

const (
	// maxBuilderSubjects bounds the distinct subjects a finding keeps by
	// name; beyond it they are only counted (by hash, exactly).
	maxBuilderSubjects = 4096
	// maxSubjectHashes bounds the distinct subjects counted exactly.
	maxSubjectHashes = 1 << 17
)

// titleSubjects are the subjects a title names (the first maxSubjects, in
// the rule's order) and how many more it counts: every other distinct
// subject, whether its name was kept or not.
func (b *findingBuilder) titleSubjects() ([]string, int) {
	shown := b.subjects
	if len(shown) > maxSubjects {
		shown = shown[:maxSubjects]
	}
	return shown, len(b.subjectSet) - len(shown) + b.moreSubj
}

// event adds one piece of evidence that is also one counted event.
func (b *findingBuilder) event(e *Engine, x evSample) {
	b.n++
	b.span(x.t, x.t)
	b.ips[e.strs.str(x.ip)]++
	b.hours[hourOf(x.t)] = struct{}{}
	if b.samples.wants(sampleK, x.evRef) {
		b.samples.add(sampleK, x)
	}
	b.samples.n++
}

// evidence adds a sample without counting it (the count comes separately).
func (b *findingBuilder) evidence(x evSample) {
	if b.samples.wants(sampleK, x.evRef) {
		b.samples.add(sampleK, x)
	}
	b.span(x.t, x.t)
	b.hours[hourOf(x.t)] = struct{}{}
}

// evidenceWith is evidence with a detail that is only worth formatting
// when the sample is kept (a rule offering one per source and hour).
func (b *findingBuilder) evidenceWith(r *evRef, detail func() string) {
	if b.samples.wants(sampleK, r) {
		b.samples.add(sampleK, evSample{evRef: r, detail: detail()})
	}
	b.span(r.t, r.t)
	b.hours[hourOf(r.t)] = struct{}{}
}

// cite adds complete evidence without counting it. A rule may cite every
// kept event of thousands of sources; the builder keeps those the
// finding's evidence list can show (citedKeep), so memory and time follow
// that list, not the sources.
func (b *findingBuilder) cite(e *Engine, x evSample) {
	c := citedSample{x, e.sourceFlagged(x.ip)}
	if !b.hasCitedWorst || cmpCited(c, b.citedWorst) < 0 {
		if len(b.cited) >= 2*citedKeep {
			b.cited = firstDistinct(b.cited, citedKeep)
			if len(b.cited) == citedKeep {
				b.citedWorst, b.hasCitedWorst = b.cited[citedKeep-1], true
			}
		}
		b.cited = append(b.cited, c)
	}
	b.span(x.t, x.t)
	b.hours[hourOf(x.t)] = struct{}{}
}

func (b *findingBuilder) note(s string) {
	if b.noteSet != nil {
		if _, dup := b.noteSet[s]; dup {
			return
		}
		b.noteSet[s] = struct{}{}
	} else if slices.Contains(b.notes, s) {
		return
	} else if len(b.notes) >= 16 {
		// A note per source (CTX-03) must not cost a scan per note.
		b.noteSet = make(map[string]struct{}, 2*len(b.notes))
		for _, n := range b.notes {
			b.noteSet[n] = struct{}{}
		}
		b.noteSet[s] = struct{}{}
	}
	b.notes = append(b.notes, s)
}

// concurrently runs fs side by side, as many at a time as there are
// processors, and returns their results in the order of fs. The functions
// must not write what another reads (Result's rules only read the
// engine's aggregates). More at a time would not finish sooner, and each
// rule in progress holds its working memory: a busy key's rules all
// started at once held ~40 MB more at the peak.
func concurrently[T any](fs ...func() T) []T {
	out := make([]T, len(fs))
	var next atomic.Int32
	var wg sync.WaitGroup
	for range min(len(fs), runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(fs); i = int(next.Add(1)) - 1 {
				out[i] = fs[i]()
			}
		})
	}
	wg.Wait()
	return out
}

// finalise runs every rule over the aggregates and returns the findings,
// escalated, filtered by MinSeverity and sorted.
func (e *Engine) finalise(bl *baselineInfo, src [][]minuteEntry) []Finding {
	e.rt.roaming = e.roamingSources(bl)
	var bs []*findingBuilder
	add := func(b *findingBuilder) {
		if b != nil && (b.n > 0 || b.samples.n > 0 || len(b.cited) > 0) {
			bs = append(bs, b)
		}
	}
	// The rule groups only read the aggregates (each builds its own
	// findings), so they run side by side; their findings are taken in
	// this order whatever order they finish in.
	groups := concurrently(
		func() []*findingBuilder { return e.tableFindings(bl) },
		func() []*findingBuilder { return e.contextFindings(bl, src) },
		func() []*findingBuilder { return e.windowFindings(bl, src) },
		e.chainFindings,
		func() []*findingBuilder { return e.anomalyFindings(bl) },
		func() []*findingBuilder { return e.moreFindings(bl) }, // rules_more_findings.go
		func() []*findingBuilder { return []*findingBuilder{e.useAfterLeak()} },
	)
	for _, g := range groups {
		for _, b := range g {
			add(b)
		}
	}

	escalated := e.escalate(bs)
	out := make([]Finding, 0, len(bs))
	e.refused = map[string]bool{}
	for _, b := range bs {
		prev, seen := e.refused[b.id]
		e.refused[b.id] = b.refused() && (prev || !seen) // every builder of the rule
	}
	for _, b := range bs {
		f := e.toFinding(b)
		if why, ok := escalated[b]; ok {
			f.Escalated = why
		}
		if f.Severity < e.opts.MinSeverity {
			continue
		}
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(b.Severity, a.Severity),
			cmp.Compare(ruleByID[b.ID].Severity, ruleByID[a.ID].Severity),
			a.First.Compare(b.First),
			strings.Compare(a.ID, b.ID),
			strings.Compare(a.Title, b.Title),
		)
	})
	return out
}

// escalate applies the catalogue's section 0 rule: a finding is raised one
// level when the same key also has a CTX-02, CTX-03 or CTX-04 hit within an
// hour of it (same or adjacent clock hour), or when its evidence comes from
// a source CTX-03 flagged. Context findings themselves are not raised, nor
// the rules that only restate novelty CTX-03 already counts (ANOM-04 new
// API, COST-02 new region).
func (e *Engine) escalate(bs []*findingBuilder) map[*findingBuilder]string {
	ctxHours := map[int32]string{}
	ctxIPs := map[string]bool{}
	for _, b := range bs {
		switch b.id {
		case "CTX-02", "CTX-04":
			for h := range b.hours {
				for _, d := range []int32{-1, 0, 1} {
					if _, ok := ctxHours[h+d]; !ok || b.id < ctxHours[h+d] {
						ctxHours[h+d] = b.id
					}
				}
			}
		case "CTX-03":
			for ip := range b.ips {
				if v := e.ips[ip]; v == nil || !e.rt.roaming[v] {
					ctxIPs[ip] = true
				}
			}
		}
	}
	out := map[*findingBuilder]string{}
	for _, b := range bs {
		if strings.HasPrefix(b.id, "CTX-") || noEscalation[b.id] || b.sev == Critical {
			continue
		}
		why := ""
		for ip := range b.ips {
			if ctxIPs[ip] {
				why = "activity from a source flagged by CTX-03"
				break
			}
		}
		if why == "" {
			hs := make([]int32, 0, len(b.hours))
			for h := range b.hours {
				hs = append(hs, h)
			}
			slices.Sort(hs)
			for _, h := range hs {
				if id, ok := ctxHours[h]; ok {
					why = "within an hour of a " + id + " hit on the same key"
					break
				}
			}
		}
		if why != "" {
			b.sev = b.sev.raise()
			out[b] = why
		}
	}
	return out
}

var noEscalation = map[string]bool{"USE-AFTER-LEAK": true, "ANOM-04": true, "COST-02": true}

func (e *Engine) toFinding(b *findingBuilder) Finding {
	info := ruleByID[b.id]
	f := Finding{
		ID:       b.id,
		Severity: b.sev,
		Title:    info.Title,
		Why:      info.Why,
		Count:    b.n,
		Attack:   slices.Clone(info.Attack),
		IPs:      []string{},
		Evidence: []EvidenceRef{},
	}
	if f.Count == 0 {
		f.Count = b.samples.n
	}
	if named, more := b.titleSubjects(); len(named) > 0 {
		f.Title += ": " + strings.Join(named, ", ")
		if more > 0 {
			f.Title += fmt.Sprintf(" and %d more", more)
		}
	}
	if i := b.failedAt - 1; i >= 0 && i < len(b.notes) {
		b.notes[i] = "Some attempts failed (error codes in the evidence); a failed attempt still shows intent."
		if b.refused() {
			b.notes[i] = "Every attempt failed (error codes in the evidence): the calls were refused, but a failed attempt still shows intent."
		}
	}
	if len(b.notes) > 0 {
		f.Why += " " + strings.Join(b.notes, " ")
	}
	if b.hasTime {
		f.First = time.Unix(0, b.first).UTC()
		f.Last = time.Unix(0, b.last).UTC()
	}
	type ipn struct {
		ip string
		n  int
	}
	ips := make([]ipn, 0, len(b.ips)) // a finding can name thousands of sources
	for ip, n := range b.ips {
		ips = append(ips, ipn{ip, n})
	}
	slices.SortFunc(ips, func(a, b ipn) int { return cmp.Or(cmp.Compare(b.n, a.n), strings.Compare(a.ip, b.ip)) })
	f.IPs = make([]string, 0, len(ips))
	for _, x := range ips {
		f.IPs = append(f.IPs, x.ip)
	}
	f.RoutineCount = b.routineN
	// Evidence: events from flagged sources first, each part in time
	// order, up to evidenceCap.
	samples := b.samples.all()
	items := make([]citedSample, 0, len(samples)+len(b.cited))
	for _, s := range samples {
		items = append(items, citedSample{s, e.sourceFlagged(s.ip)})
	}
	items = append(items, b.cited...)
	for _, it := range firstDistinct(items, evidenceCap) {
		f.Evidence = append(f.Evidence, e.evidenceRef(it.s))
	}
	f.EvidenceOmitted = max(0, f.Count-len(f.Evidence))
	return f
}

func (e *Engine) evidenceRef(s evSample) EvidenceRef {
	r := EvidenceRef{
		EventID:   s.eventID(),
		RequestID: s.requestID(),
		Time:      time.Unix(0, s.t).UTC(),
		Name:      e.strs.str(s.name),
		Service:   e.strs.str(s.svc),
		SourceIP:  e.strs.str(s.ip),
		UserAgent: e.strs.str(s.ua),
		ErrorCode: e.strs.str(s.errc),
		Detail:    s.detail,
	}
	if int(s.orig) < len(e.originList) {
		r.Origin = e.originList[s.orig]
		r.Origin.Pos = s.position()
	}
	return r
}

// tableFindings folds the per-(rule, source) matches of the table rules
// into one finding per rule, dropping routine evidence (see tableRule) and
// applying the rules' baseline conditions (ENUM-01, ENUM-04, COST-01,
// COST-03).
func (e *Engine) tableFindings(bl *baselineInfo) []*findingBuilder {
	builders := map[string]*findingBuilder{}
	keys := make([]matchKey, 0, len(e.matches))
	for k := range e.matches {
		keys = append(keys, k)
	}
	// Deterministic merge order.
	slices.SortFunc(keys, func(a, b matchKey) int {
		return cmp.Or(strings.Compare(a.rule.id, b.rule.id), strings.Compare(e.ipList[a.ip].text, e.ipList[b.ip].text))
	})
	ramBaseline := e.serviceReadBefore(bl.end, "Ram") || e.serviceReadBefore(bl.end, "Ims")
	smsBaseline := e.hasSMS && e.smsFirst < bl.end
	smsBurstHours, smsCeiling := e.smsBursts(bl)
	routineN := map[string]int{}
	for _, k := range keys {
		acc := e.matches[k]
		rule, ip := acc.rule, acc.ip
		sev := acc.sev
		if rule.routine && (e.routine(acc, bl) || e.rt.roaming[ip]) {
			routineN[rule.id] += acc.n
			continue
		}
		switch rule.id {
		case "ENUM-01":
			if ip.isNew && e.strs.str(ip.first.name) == "GetCallerIdentity" {
				sev = Medium
			}
		case "ENUM-04":
			if ramBaseline {
				continue
			}
		case "COST-01":
			if acc.gpu {
				sev = Critical
			}
			for _, n := range acc.amounts {
				if n >= cost01Burst {
					sev = Critical
				}
			}
			for r := range acc.regions {
				if rg := e.regions[e.strs.str(r)]; rg != nil && bl.hasHistory && rg.first.t >= bl.end {
					sev = Critical
				}
			}
		case "COST-03":
			burst := false
			for h := range acc.hours.all() {
				if smsBurstHours[h] {
					burst = true
				}
			}
			switch {
			case burst:
				sev = Critical
			case !smsBaseline || ip.isNew || ip.untrusted:
				sev = High
			default:
				routineN[rule.id] += acc.n // the key sends SMS as usual, at a usual rate
				continue
			}
		}
		// Routine days are counted, not cited; departing days are judged
		// like any other activity (routine.go).
		n, daySev := 0, Info
		var cited []evSample
		for _, bk := range acc.rt.days {
			if acc.rt.routine && !bk.departs {
				routineN[rule.id] += int(bk.n)
				continue
			}
			n += int(bk.n)
			daySev = max(daySev, bk.sev)
			cited = append(cited, bk.kept.refs...)
		}
		if n == 0 {
			continue
		}
		if acc.rt.routine {
			// A routine group's departing days weigh what happened on
			// them (a GPU launch or the hour's fifth instance is critical
			// there too: rules_table.go match), not what the routine does.
			sev = min(sev, max(daySev, Low))
		}
		b := builders[rule.id]
		if b == nil {
			b = newBuilder(rule.id, sev)
			builders[rule.id] = b
		}
		b.sev = max(b.sev, sev)
		b.n += n
		b.ips[ip.text] += n
		if !acc.rt.routine {
			b.span(acc.first, acc.last)
			for h := range acc.hours.all() {
				b.hours[h] = struct{}{}
			}
		}
		for _, x := range cited {
			b.cite(e, x)
		}
		for _, s := range acc.subjects {
			b.subject(s)
		}
		for _, h := range acc.moreHashes {
			b.subjectHash(h)
		}
		b.moreSubj += acc.moreSubj
		if acc.errs > 0 {
			if b.failedAt == 0 {
				b.notes = append(b.notes, "")
				b.failedAt = len(b.notes)
			}
			if acc.errs == acc.n {
				b.failedN += n
			}
		}
		switch rule.id {
		case "COST-01":
			if acc.gpu {
				b.note("GPU instance types were requested.")
			}
		case "COST-03":
			if sev == Critical {
				b.note(fmt.Sprintf("Send rate reached %d per hour or more.", smsCeiling))
			}
		}
	}
	for id, n := range routineN {
		if b := builders[id]; b != nil {
			b.routineN += n
		}
	}
	out := make([]*findingBuilder, 0, len(builders))
	for _, b := range builders {
		out = append(out, b)
	}
	return out
}

// routine reports whether a read-like rule's matches from one source are
// the key's normal use: a known (not new), trusted source calling only APIs
// the key had already called before the baseline end.
func (e *Engine) routine(acc *matchAcc, bl *baselineInfo) bool {
	ip := acc.ip
	if ip.isNew || ip.untrusted || !bl.hasHistory {
		return false
	}
	for nm := range acc.names.all() {
		if nm.first.t >= bl.end {
			return false
		}
	}
	return true
}

// serviceReadBefore reports whether the key read from service before t.
func (e *Engine) serviceReadBefore(t int64, service string) bool {
	s := e.svcs[service]
	return s != nil && s.hasRead && s.firstRead < t
}

// smsBursts returns the hours whose SMS send count reached the burst
// ceiling max(100, 5 x the baseline's busiest SMS hour), and the ceiling.
func (e *Engine) smsBursts(bl *baselineInfo) (map[int32]bool, int) {
	var peak int32
	for h, hb := range e.hours {
		if int64(h+1)*int64(time.Hour) <= bl.end {
			peak = max(peak, hb.sms)
		}
	}
	ceiling := max(100, 5*int(peak))
	out := map[int32]bool{}
	for h, hb := range e.hours {
		if int(hb.sms) >= ceiling {
			out[h] = true
		}
	}
	return out, ceiling
}
