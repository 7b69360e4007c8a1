package audit

import (
	"fmt"
	"iter"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure one audit of one AccessKey.
type Options struct {
	KeyID string // the key under audit; "" = every event given belongs to it
	Now   time.Time
	// Since and Until bound the analysis window (inclusive); zero = every
	// event given.
	Since, Until time.Time
	// LeakTime, when known, splits history: events at or after it are
	// "after the leak" (rule USE-AFTER-LEAK) and the baseline is what came
	// before it.
	LeakTime     time.Time
	TrustedCIDRs []netip.Prefix // --trusted-cidr
	// FenceCIDRs are trusted like TrustedCIDRs (never new, suggested as
	// trusted) but do not make every other source "untrusted": they come
	// from the incident record (the fence's allow-list), not the user.
	FenceCIDRs []netip.Prefix
	// KnownAttackers are sources another incident flags as the attacker:
	// those of the key that created this one (incident.Record.Inherited).
	// They are untrusted whatever the key's own history says; CreatedBy
	// names that key for the verdict.
	KnownAttackers []netip.Addr
	CreatedBy      string
	BusinessHours  BusinessHours  // zero value = DefaultBusinessHours()
	TZ             *time.Location // zone of BusinessHours; nil = Asia/Shanghai
	// SelfUserAgent marks akresp's own calls: events whose userAgent
	// contains it are counted in Window.Excluded and never analysed.
	// Default "akresp/".
	SelfUserAgent string
	// ScannerAgents are user-agent substrings of secret scanners that
	// verify found keys (rule CTX-05). Default DefaultScannerAgents.
	ScannerAgents []string
	BaselineDays  int      // default 14
	MinSeverity   Severity // findings below are dropped; default Info
	// Facts are the caller's online facts about the key (owner, status,
	// last use). They are copied to Result.Key and feed the verdict: an
	// idle key is one with no events and no recent last use.
	Facts KeyFacts
	// IdleDays is how long without use makes a key idle; default 90.
	IdleDays int
	// MaxKeyAgeDays is the age past which an in-use key should be rotated;
	// default 90.
	MaxKeyAgeDays int
}

// Defaults of Options.
const (
	DefaultSelfUserAgent = "akresp/"
	DefaultBaselineDays  = 14
	DefaultIdleDays      = 90
	DefaultMaxKeyAgeDays = 90
	DefaultTimeZone      = "Asia/Shanghai"
)

// DefaultScannerAgents are user-agent fragments of tools that verify leaked
// keys (TruffleHog calls ECS DescribeRegions, others STS GetCallerIdentity).
var DefaultScannerAgents = []string{"TruffleHog", "trufflehog", "gitleaks", "ghost-ak", "GitGuardian", "ggshield", "noseyparker", "AKSK-Scanner", "aksk_tool"}

// BusinessHours are the working days and hours of the key's owners, in
// Options.TZ. Start and End are minutes since midnight; End may be smaller
// than Start for a shift that runs past midnight (it then belongs to the
// day it starts on). The zero value means "unset" (DefaultBusinessHours).
type BusinessHours struct {
	Days       [7]bool // indexed by time.Weekday (Sunday = 0)
	Start, End int
}

// DefaultBusinessHours is Mon-Fri 09:00-19:00 (detection catalogue
// section 2).
func DefaultBusinessHours() BusinessHours {
	return BusinessHours{Days: [7]bool{false, true, true, true, true, true, false}, Start: 9 * 60, End: 19 * 60}
}

// AlwaysBusinessHours has no off-hours at all ("always").
func AlwaysBusinessHours() BusinessHours {
	return BusinessHours{Days: [7]bool{true, true, true, true, true, true, true}, Start: 0, End: 24 * 60}
}

func (b BusinessHours) isZero() bool { return b == BusinessHours{} }

// Contains reports whether local time t (already in the business-hours
// zone) falls inside business hours.
func (b BusinessHours) Contains(t time.Time) bool {
	return b.containsAt(t.Weekday(), t.Hour()*60+t.Minute())
}

func (b BusinessHours) containsAt(wd time.Weekday, m int) bool {
	if b.Start < b.End {
		return b.Days[wd] && m >= b.Start && m < b.End
	}
	// Overnight shift: the evening part belongs to today, the morning part
	// to yesterday.
	return (b.Days[wd] && m >= b.Start) || (b.Days[(wd+6)%7] && m < b.End)
}

var weekdayNames = [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

// String renders the hours in the form ParseBusinessHours reads.
func (b BusinessHours) String() string {
	if b == AlwaysBusinessHours() {
		return "always"
	}
	var parts []string
	// Emit runs of consecutive days starting from Monday.
	order := [7]int{1, 2, 3, 4, 5, 6, 0}
	for i := 0; i < 7; {
		if !b.Days[order[i]] {
			i++
			continue
		}
		j := i
		for j+1 < 7 && b.Days[order[j+1]] {
			j++
		}
		switch {
		case j == i:
			parts = append(parts, weekdayNames[order[i]])
		default:
			parts = append(parts, weekdayNames[order[i]]+"-"+weekdayNames[order[j]])
		}
		i = j + 1
	}
	days := strings.Join(parts, ",")
	if days == "" {
		days = "none"
	}
	return fmt.Sprintf("%s %02d:%02d-%02d:%02d", days, b.Start/60, b.Start%60, b.End/60, b.End%60)
}

// ParseBusinessHours reads "Mon-Fri 09:00-19:00", "Mon,Wed 08:30-18:00",
// "Sat-Sun 22:00-06:00" (an overnight shift) or "always". Day names are the
// English three-letter or full names, case-insensitive; a range may wrap
// ("Fri-Mon"). Times are HH:MM, 00:00 to 24:00.
func ParseBusinessHours(s string) (BusinessHours, error) {
	in := strings.TrimSpace(s)
	if strings.EqualFold(in, "always") || strings.EqualFold(in, "24/7") {
		return AlwaysBusinessHours(), nil
	}
	fail := func(why string) (BusinessHours, error) {
		return BusinessHours{}, fmt.Errorf("business hours %q: %s (for example \"Mon-Fri 09:00-19:00\" or \"always\")", s, why)
	}
	fields := strings.Fields(in)
	if len(fields) != 2 {
		return fail("want days and a time range separated by a space")
	}
	var b BusinessHours
	for part := range strings.SplitSeq(fields[0], ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		from, ok := parseWeekday(lo)
		if !ok {
			return fail(fmt.Sprintf("%q is not a day name", lo))
		}
		to := from
		if isRange {
			if to, ok = parseWeekday(hi); !ok {
				return fail(fmt.Sprintf("%q is not a day name", hi))
			}
		}
		for d := from; ; d = (d + 1) % 7 {
			b.Days[d] = true
			if d == to {
				break
			}
		}
	}
	lo, hi, ok := strings.Cut(fields[1], "-")
	if !ok {
		return fail("want a time range like 09:00-19:00")
	}
	var err error
	if b.Start, err = parseClock(lo); err != nil {
		return fail(err.Error())
	}
	if b.End, err = parseClock(hi); err != nil {
		return fail(err.Error())
	}
	if b.Start == b.End {
		return fail("the range is empty (start equals end)")
	}
	if b.Start == 24*60 {
		return fail("a range cannot start at 24:00")
	}
	return b, nil
}

func parseWeekday(s string) (time.Weekday, bool) {
	v := strings.ToLower(strings.TrimSpace(s))
	if len(v) < 3 {
		return 0, false
	}
	for i, n := range weekdayNames {
		full := strings.ToLower(time.Weekday(i).String())
		if v == strings.ToLower(n) || v == full {
			return time.Weekday(i), true
		}
	}
	return 0, false
}

func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("%q is not a time of day HH:MM", s)
	}
	return hh*60 + mm, nil
}

// defaultZone is Asia/Shanghai, or a fixed UTC+8 zone when the system has
// no zone database (China has kept UTC+8 without daylight saving since 1991).
func defaultZone() *time.Location {
	if loc, err := time.LoadLocation(DefaultTimeZone); err == nil {
		return loc
	}
	return time.FixedZone(DefaultTimeZone, 8*3600)
}

func (o Options) withDefaults() Options {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.TZ == nil {
		o.TZ = defaultZone()
	}
	if o.BusinessHours.isZero() {
		o.BusinessHours = DefaultBusinessHours()
	}
	if o.SelfUserAgent == "" {
		o.SelfUserAgent = DefaultSelfUserAgent
	}
	if o.ScannerAgents == nil {
		o.ScannerAgents = DefaultScannerAgents
	}
	if o.BaselineDays <= 0 {
		o.BaselineDays = DefaultBaselineDays
	}
	if o.IdleDays <= 0 {
		o.IdleDays = DefaultIdleDays
	}
	if o.MaxKeyAgeDays <= 0 {
		o.MaxKeyAgeDays = DefaultMaxKeyAgeDays
	}
	o.MinSeverity = max(Info, min(o.MinSeverity, Critical))
	return o
}

// Engine limits: they bound memory on hostile or huge inputs. Reaching one
// adds a diagnostic; the audit stays valid but less detailed.
const (
	sampleK          = 20      // evidence kept per finding: the earliest and the latest sampleK
	ipSampleK        = 6       // evidence kept per source IP
	maxCells         = 4 << 20 // (source, minute) cells for the burst rules
	maxSources       = 1 << 15 // distinct sources analysed one by one; further ones as one (overflowSource)
	maxAPINames      = 1 << 15 // distinct (service, API) names analysed one by one (overflowName)
	maxServices      = 1 << 12 // distinct services analysed one by one (overflowName)
	maxRegions       = 1 << 10 // distinct regions analysed one by one (Engine.region)
	maxMatches       = 1 << 16 // (table rule, source) pairs; further ones under the overflow source (Engine.match)
	maxResources     = 50000   // distinct resources summarised
	maxPrincipals    = 50000   // other principals indexed for PERS-05
	maxCreated       = 5000    // created identities recorded
	maxUserAgents    = 20000   // user agents classified and cached
	maxOrigins       = 10000   // distinct origins listed
	maxSubjects      = 8       // distinct subjects named in a finding title
	topActions       = 10      // actions listed per service
	maxResourcesOut  = 500     // resources listed in the result
	maxDetailValueLn = 120     // longest parameter value quoted in evidence
)

// Bounds on the per-source records of the hourly, off-hours and burst
// rules: (source, hour), (source, API) of reads and refused calls, and
// (source, region) of list reads (variables: tests lower them).
var (
	maxSourceHours   = 1 << 21
	maxSourceAPIs    = 1 << 20
	maxSourceRegions = 1 << 18
)

// Engine analyses the events of one AccessKey and produces a Result. Feed it
// with Add (any order, any number of times), then call Result once. Its
// memory grows with the distinct sources, APIs, hours and minutes of
// activity, not with the number of events. An Engine is not safe for
// concurrent use.
type Engine struct {
	opts           Options
	since, until   int64
	hasSince       bool
	hasUntil       bool
	leak           int64
	hasLeak        bool
	selfUA         string
	scanners       []string
	strs           strTable
	uas            map[string]*uaInfo
	ips            map[string]*ipAgg
	ipList         []*ipAgg
	svcs           map[string]*svcAgg
	names          map[nameKey]*nameAgg
	nameList       []*nameAgg
	regions        map[string]*regionAgg
	families       map[string]*familyAgg
	hours          map[int32]*hourBucket
	ipHours        map[ipHourKey]*ipHour
	ncells         int
	ipAPIs         map[ipAPIKey]*ipAPI
	ipRegions      map[ipRegionKey]*sampleSet
	resources      map[Resource]*resourceAgg
	matches        map[matchKey]*matchAcc
	created        []createdRec
	createdOnce    sync.Once    // sortedCreated, once e.done
	createdSorted  []createdRec // sortedCreated's list
	sourcesOnce    sync.Once    // sortedSources, once e.done
	sourcesSorted  []*ipAgg     // sortedSources' list
	otherUsers     map[string]*principalAgg
	otherKeys      map[string]*principalAgg
	origins        map[Origin]uint32 // Pos always 0
	originList     []Origin
	lastUAKey      string
	lastUA         *uaInfo
	lastOrigin     Origin
	lastOriginID   uint32
	root           findingAcc // CTX-01
	protection     findingAcc // CTX-06
	events         int
	excluded       int
	filtered       int
	minT, maxT     int64
	dataPlane      int
	smsFirst       int64 // earliest Dysms send/sign/template event
	hasSMS         bool
	diags          []Diagnostic
	limitsHit      map[string]int // limit key -> index in diags + 1
	done           bool
	result         *Result
	createdDropped int
	rt             routineState // routine.go: kept evidence budget
	more           *moreState   // rules_more_events.go

	// Slabs of the aggregates made per source, hour and event (slab.go).
	hourSlab  slab[ipHour]
	matchSlab slab[matchAcc]
	resSlab   slab[resourceAgg]
	ipSlab    slab[ipAgg]
	ipAPISlab slab[ipAPI]

	overflowIP *ipAgg   // overflowSource, once maxSources is reached
	overflowNm *nameAgg // overflowName, once maxAPINames or maxServices is reached
	suggested  []string // the trusted sources verdict suggested, before any was set aside
	// refused names the rules whose every counted attempt failed (set by
	// finalise): the verdict suggests no eradicate for what was never done.
	refused map[string]bool
	// unreadFiles counts the input files not read to the end (addProblems).
	unreadFiles int
}

// NewEngine returns an engine for one audit.
func NewEngine(opts Options) *Engine {
	o := opts.withDefaults()
	e := &Engine{
		opts:       o,
		selfUA:     o.SelfUserAgent,
		scanners:   o.ScannerAgents,
		uas:        map[string]*uaInfo{},
		ips:        map[string]*ipAgg{},
		svcs:       map[string]*svcAgg{},
		names:      map[nameKey]*nameAgg{},
		regions:    map[string]*regionAgg{},
		families:   map[string]*familyAgg{},
		hours:      map[int32]*hourBucket{},
		ipHours:    map[ipHourKey]*ipHour{},
		ipAPIs:     map[ipAPIKey]*ipAPI{},
		ipRegions:  map[ipRegionKey]*sampleSet{},
		resources:  map[Resource]*resourceAgg{},
		matches:    map[matchKey]*matchAcc{},
		otherUsers: map[string]*principalAgg{},
		otherKeys:  map[string]*principalAgg{},
		origins:    map[Origin]uint32{},
		limitsHit:  map[string]int{},
	}
	e.strs.init()
	if !o.Since.IsZero() {
		e.since, e.hasSince = o.Since.UnixNano(), true
	}
	if !o.Until.IsZero() {
		e.until, e.hasUntil = o.Until.UnixNano(), true
	}
	if !o.LeakTime.IsZero() {
		e.leak, e.hasLeak = o.LeakTime.UnixNano(), true
	}
	return e
}

// AddDiagnostic records a collection or reading problem so that the result
// shows it (the online collector and the trail readers report here).
func (e *Engine) AddDiagnostic(d Diagnostic) {
	e.diags = append(e.diags, d)
}

// strTable interns strings to small ids so that aggregates and evidence
// references stay compact. Id 0 is "".
type strTable struct {
	ids  map[string]uint32
	strs []string
}

func (t *strTable) init() {
	t.ids = map[string]uint32{"": 0}
	t.strs = []string{""}
}

func (t *strTable) id(s string) uint32 {
	if v, ok := t.ids[s]; ok {
		return v
	}
	s = strings.Clone(s)
	v := uint32(len(t.strs))
	t.strs = append(t.strs, s)
	t.ids[s] = v
	return v
}

func (t *strTable) str(id uint32) string { return t.strs[id] }

// evRef is a compact reference to one event, enough to print it as
// evidence: 80 bytes, its IDs and position as evids.go keeps them (set
// them with setIDs, read them with eventID, requestID and position).
type evRef struct {
	t                             int64    // UnixNano
	id, req                       [16]byte // UUIDs (idk, reqk)
	alt                           *evAlt   // IDs and position that do not fit
	pos                           uint32
	name, svc, ip, ua, errc, orig uint32 // strTable ids (orig: originList index)
	idk, reqk                     uint8
}

// less orders references by time, then by stable identifiers, so that
// every choice of "earliest" is the same whatever the arrival order.
func (a *evRef) less(b *evRef) bool {
	if a.t != b.t {
		return a.t < b.t
	}
	if c := a.cmpIDs(b); c != 0 {
		return c < 0
	}
	if a.orig != b.orig {
		return a.orig < b.orig
	}
	return a.position() < b.position()
}

// sharedRef is the reference of the event Add is taking in: compared by
// value, and copied to the heap once, the first time an aggregate keeps it
// (ptr), so that an event no aggregate keeps costs no allocation.
type sharedRef struct {
	evRef
	p *evRef
}

// ptr returns the shared copy every aggregate that keeps the event points
// to. The value must not change after the first call.
func (s *sharedRef) ptr() *evRef {
	if s.p == nil {
		s.p = new(evRef)
		*s.p = s.evRef
	}
	return s.p
}

// evSample is an evRef with a rule-specific detail. The reference is
// shared: Add makes one per event and every aggregate that keeps the event
// points to it (a busy key's event can be a source's sample, its hour's
// first, an API sample and kept evidence at once), so a sample costs 24
// bytes, not a copy of the 72-byte reference. A shared evRef is never
// written after Add made it.
type evSample struct {
	*evRef
	detail string
}

// sampleSet keeps the k earliest and the k latest of the samples offered,
// as one ascending list of at most 2k: while fewer than 2k are kept, every
// sample offered is both among the earliest and the latest k; beyond that
// the one in the middle leaves. A set offered one or two samples (most
// (source, API) pairs of a key with thousands of sources) holds each once,
// not once as an earliest and again as a latest.
type sampleSet struct {
	n    int
	kept []evSample // ascending (cmpSample)
}

func (s *sampleSet) wants(k int, r *evRef) bool {
	return len(s.kept) < 2*k || r.less(s.kept[k-1].evRef) || s.kept[k].evRef.less(r)
}

func (s *sampleSet) add(k int, x evSample) {
	var i int
	if n := len(s.kept); n == 0 || s.kept[n-1].evRef.less(x.evRef) {
		// After every kept sample (a key's events arrive mostly in time
		// order): where the search below would put it, without the search.
		i = n
	} else {
		i, _ = slices.BinarySearchFunc(s.kept, x, cmpSample)
	}
	if len(s.kept) < 2*k {
		if len(s.kept) == cap(s.kept) {
			// Grow by doubling but never past 2k: thousands of sources x
			// APIs hold sets like these, and append's growth would leave
			// up to a third of each unused for good.
			grown := make([]evSample, len(s.kept), min(2*k, max(1, 2*len(s.kept))))
			copy(grown, s.kept)
			s.kept = grown
		}
		s.kept = slices.Insert(s.kept, i, x)
		return
	}
	// Full: x joins the earliest or the latest k and the sample in the
	// middle (the latest of the earliest, or the earliest of the latest)
	// leaves; an x that falls in the middle itself is not kept.
	switch {
	case i < k:
		copy(s.kept[i+1:k], s.kept[i:k-1])
		s.kept[i] = x
	case i > k:
		copy(s.kept[k:i-1], s.kept[k+1:i])
		s.kept[i-1] = x
	}
}

// offer counts one event and keeps it when it is among the earliest or
// latest k.
func (s *sampleSet) offer(k int, x evSample) {
	s.n++
	if s.wants(k, x.evRef) {
		s.add(k, x)
	}
}

// merge folds other into s.
func (s *sampleSet) merge(k int, o *sampleSet) {
	s.n += o.n
	m := len(o.kept)
	for i, x := range o.kept {
		// A sample that is both among o's earliest and its latest k is
		// offered twice, as when sets kept the two lists apart.
		for range 1 + b2i(i >= m-k && i < k) {
			if s.wants(k, x.evRef) {
				s.add(k, x)
			}
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// all returns the kept samples, ascending, without duplicates. Callers
// only read it: it is the set's own list when that holds none (a copy
// per call was ~2 MB of a busy key's rules, for sets of a few samples).
func (s *sampleSet) all() []evSample {
	for i := 1; i < len(s.kept); i++ {
		if sameSample(s.kept[i-1], s.kept[i]) {
			return slices.CompactFunc(slices.Clone(s.kept), sameSample)
		}
	}
	return s.kept[:len(s.kept):len(s.kept)]
}

// sameSample reports whether a and b are the same event with the same
// detail (the references compared by value).
func sameSample(a, b evSample) bool {
	return a.detail == b.detail && a.evRef.sameEvent(b.evRef)
}

func cmpSample(a, b evSample) int {
	switch {
	case a.evRef.less(b.evRef):
		return -1
	case b.evRef.less(a.evRef):
		return 1
	}
	return strings.Compare(a.detail, b.detail)
}

// uaInfo classifies one userAgent string.
type uaInfo struct {
	sid     uint32
	self    bool
	scanner bool
	family  *familyAgg
}

type familyAgg struct {
	name    string
	n       int
	first   evRef
	last    int64 // the time of the family's last event (CTX-08's range)
	hasEv   bool
	scanner bool
}

type ipAgg struct {
	idx       uint32
	sid       uint32
	text      string
	addr      netip.Addr
	isIP      bool
	n, errs   int
	vpcN      int
	first     evRef // earliest event
	last      int64
	svcs      []*svcAgg
	samples   sampleSet
	hasOnset  bool
	onset     int64 // earliest onset-class event (baseline.go)
	scanner   sampleSet
	sens      Severity // highest non-routine table rule severity matched
	hasSens   bool
	afterLeak sampleSet
	kept      keptRefs // routine.go: earliest events, complete up to evidenceCap
	// Caches of the last hour and minute touched (events of one file come
	// in time order).
	lastH    int32
	lastIH   *ipHour
	lastCell int // index of lastIH's cell, -1 for none
	// overflow marks the one source that stands for every source beyond
	// maxSources (overflowSource).
	overflow bool
	// Set when the result is computed.
	internal, isNew, trusted, untrusted, flagged bool
	isAttacker                                   bool // attacker()
}

type svcAgg struct {
	sid       uint32
	name      string
	n, writes int
	errs      int
	first     int64
	last      int64
	hasRead   bool
	firstRead int64
}

type nameKey struct{ svc, name string }

type nameAgg struct {
	idx   uint32
	svc   *svcAgg
	sid   uint32
	name  string
	n     int
	errs  int
	first evRef
	last  int64 // the time of the API's last call (ANOM-04's range)
	read  bool
	// listLike marks Describe*/List* reads (region sweep).
	listLike bool
	// objectDelete marks OSS object deletions (DEST-04 burst).
	objectDelete bool
	rules        []*tableRule
}

// isListLike reports a Describe*/List* API (the region sweep's reads).
func isListLike(name string) bool {
	return strings.HasPrefix(name, "Describe") || strings.HasPrefix(name, "List")
}

type regionAgg struct {
	sid        uint32
	n, writes  int
	first      evRef
	last       int64 // the time of the region's last event (COST-02's range)
	firstWrite evRef
	hasWrite   bool
}

// hourBucket is one clock hour of the key's activity.
type hourBucket struct {
	n, writes, fails int32
	q                [4]quarterAgg // quarter hours
	sms              int32         // SMS send calls
	first            evRef
	// firstWrite is the hour's first write (nil without), last and
	// lastWrite the times of its last event and last write: ANOM-01/02
	// count every call or write of the hour and span them.
	firstWrite      *evRef // shared (evSample)
	last, lastWrite int64
	// ips are the sources active in the hour (ipList indices, each once:
	// one per ipHours entry of the hour), so that listing an hour's
	// sources costs what the hour holds, not every (source, hour).
	ips []uint32
	// Local time at the start of the hour in the business-hours zone:
	// weekday and minute of the day.
	localDay time.Weekday
	localMin int32
}

// quarterAgg is one quarter hour of an hourBucket: its calls and failures,
// and the first and the last failure (ANOM-03 cites the first and spans
// the failures it counts).
type quarterAgg struct {
	n, fails  int32
	firstFail *evRef // shared (evSample); nil without failures
	lastFail  int64
}

// ipHourKey is one source in one clock hour.
type ipHourKey struct {
	ip uint32 // ipList index
	h  int32  // Unix hour
}

// ipHour is a source's activity in one hour; it carries the evidence of
// the hourly and off-hours rules.
type ipHour struct {
	ip             uint32 // ipList index
	h              int32  // Unix hour
	n, writes      int32
	off, offWrites int32  // events outside business hours
	first          *evRef // shared (evSample)
	firstOff       *evRef // nil when no event was off hours
	// The source's active minutes of the hour, in arrival order: cell0
	// (most sources of a busy key are seen once an hour), then more. An
	// hour has at most 60.
	cell0   minuteCell
	more    *[]minuteCell
	ncells  uint8
	offSens int8 // highest sensitive-write Severity off hours
	// lastOffSec is the second of the hour of the last event off hours
	// (CTX-02's range), lastSec and lastWriteSec those of the last event
	// and the last write (ANOM-01/02's when they judge the flagged
	// sources' share); in the struct's padding: 104 bytes either way.
	lastOffSec, lastSec, lastWriteSec uint16
}

// cell returns the hour's i-th active minute (i < ncells).
func (ih *ipHour) cell(i int) *minuteCell {
	if i == 0 {
		return &ih.cell0
	}
	return &(*ih.more)[i-1]
}

// addCell appends an active minute and returns it.
func (ih *ipHour) addCell(min uint8) *minuteCell {
	ih.ncells++
	if ih.ncells == 1 {
		ih.cell0 = minuteCell{min: min}
		return &ih.cell0
	}
	if ih.more == nil {
		ih.more = new([]minuteCell)
	}
	*ih.more = append(*ih.more, minuteCell{min: min})
	return &(*ih.more)[len(*ih.more)-1]
}

// idSet is a small set of ids: two inline (pairSet), the rest behind a
// pointer, so that the common one- or two-element set costs 16 bytes and
// no allocation.
type idSet struct {
	pairSet
	more *[]uint32
}

func (s *idSet) add(id uint32) {
	if s.pairSet.add(id) {
		return
	}
	if s.more == nil {
		s.more = new([]uint32)
	}
	addDistinct(s.more, id)
}

// reset empties s, keeping what it allocated.
func (s *idSet) reset() {
	s.pairSet = pairSet{}
	if s.more != nil {
		*s.more = (*s.more)[:0]
	}
}

func (s *idSet) each(f func(uint32)) {
	s.pairSet.each(f)
	if s.more != nil {
		eachID(*s.more, f)
	}
}

func (s *idSet) len() int {
	n := s.pairSet.len()
	if s.more != nil {
		n += len(*s.more)
	}
	return n
}

// pairSet holds up to two ids (stored id+1, 0 = empty).
type pairSet struct{ a0, a1 uint32 }

// add stores id and reports whether the pair holds it (false: both slots
// hold other ids).
func (p *pairSet) add(id uint32) bool {
	v := id + 1
	switch {
	case p.a0 == v || p.a1 == v:
	case p.a0 == 0:
		p.a0 = v
	case p.a1 == 0:
		p.a1 = v
	default:
		return false
	}
	return true
}

func (p *pairSet) each(f func(uint32)) {
	if p.a0 != 0 {
		f(p.a0 - 1)
	}
	if p.a1 != 0 {
		f(p.a1 - 1)
	}
}

func (p *pairSet) len() int {
	n := 0
	if p.a0 != 0 {
		n++
	}
	if p.a1 != 0 {
		n++
	}
	return n
}

// addDistinct appends id to *list unless it is there.
func addDistinct(list *[]uint32, id uint32) {
	if !slices.Contains(*list, id) {
		*list = append(*list, id)
	}
}

func eachID(list []uint32, f func(uint32)) {
	for _, id := range list {
		f(id)
	}
}

// minuteCell is one source in one minute: counters and the distinct APIs
// and regions the burst rules need, no evidence (that comes from the
// bounded per-(source, API) samples), so that its size does not depend on
// how busy the minute was.
//
// A cell is 48 bytes: the first two read APIs and regions sit inline (one
// of each is the common minute), the rest behind one pointer, allocated
// only when a minute holds more or refused calls. A busy key's audit keeps
// one or more cells per (source, hour) it saw, 121,000 on the delivery
// shape of issue 14.
type minuteCell struct {
	min uint8 // minute within the hour
	// firstSec and lastSec are the seconds of the minute of its first and
	// last event (CTX-04's range; in the padding after min).
	firstSec, lastSec uint8
	n, reads, auth    int32
	objDeletes        int32
	reads1            pairSet   // read APIs (nameList index)
	regions           pairSet   // regions of Describe*/List* reads (strTable id)
	more              *cellMore // the read APIs and regions beyond reads1 and regions, refused APIs
}

// cellMore is what a minute cell holds beyond its inline pairs.
type cellMore struct {
	reads, regions []uint32 // distinct, in arrival order
	authAPIs       idSet    // APIs refused for authorisation (nameList index)
}

func (c *minuteCell) ext() *cellMore {
	if c.more == nil {
		c.more = &cellMore{}
	}
	return c.more
}

// addRead, addRegion and addAuthAPI note a read API, a region read and
// a refused API of the minute.
func (c *minuteCell) addRead(id uint32) {
	if !c.reads1.add(id) {
		addDistinct(&c.ext().reads, id)
	}
}

func (c *minuteCell) addRegion(id uint32) {
	if !c.regions.add(id) {
		addDistinct(&c.ext().regions, id)
	}
}

func (c *minuteCell) addAuthAPI(id uint32) { c.ext().authAPIs.add(id) }

// eachRead, eachRegion and eachAuthAPI call f for each distinct id, the
// first ones noted first.
func (c *minuteCell) eachRead(f func(uint32)) {
	c.reads1.each(f)
	if c.more != nil {
		eachID(c.more.reads, f)
	}
}

func (c *minuteCell) eachRegion(f func(uint32)) {
	c.regions.each(f)
	if c.more != nil {
		eachID(c.more.regions, f)
	}
}

func (c *minuteCell) eachAuthAPI(f func(uint32)) {
	if c.more != nil {
		c.more.authAPIs.each(f)
	}
}

// ipAPIKey is one source calling one API.
type ipAPIKey struct {
	ip   uint32 // ipList index
	name uint32 // nameList index
}

type ipAPI struct {
	samples sampleSet // every call, the earliest and latest few
	auth    sampleSet // authorisation failures
}

type ipRegionKey struct {
	ip     uint32 // ipList index
	region uint32 // strTable id
}

const cellSampleK = 3 // evidence kept per (source, API) and (source, region)

type resourceAgg struct {
	n           int
	first, last int64
}

type matchKey struct {
	rule *tableRule
	ip   uint32
}

type matchAcc struct {
	rule     *tableRule
	ip       *ipAgg
	n, errs  int
	sev      Severity
	first    int64
	last     int64
	hours    smallSet[int32] // hours with a match
	lastHour int32
	names    smallSet[*nameAgg] // APIs matched
	lastName *nameAgg
	subjects []string
	// moreHashes are the hashes of distinct subjects beyond subjects (at
	// most maxAccSubjectHashes); moreSubj counts the rest.
	moreHashes []uint64
	moreSubj   int
	regions    map[uint32]struct{}
	amounts    map[int32]int // COST-01 instances per hour
	gpu        bool
	samples    sampleSet
	rt         matchRoutine // routine.go: per-day counts, targets, kept evidence
}

// smallSet is a set kept as a short list until it holds more than
// smallSetList elements, then as a map: most (rule, source) matches of a
// key with thousands of sources fall in one or two hours and one API, and
// two empty maps per match cost more than the matches.
type smallSet[T comparable] struct {
	list []T
	m    map[T]struct{}
}

const smallSetList = 16

func (s *smallSet[T]) add(x T) {
	switch {
	case s.m != nil:
		s.m[x] = struct{}{}
	case slices.Contains(s.list, x):
	case len(s.list) < smallSetList:
		s.list = append(s.list, x)
	default:
		s.m = make(map[T]struct{}, 2*smallSetList)
		for _, y := range s.list {
			s.m[y] = struct{}{}
		}
		s.m[x] = struct{}{}
		s.list = nil
	}
}

func (s *smallSet[T]) len() int {
	if s.m != nil {
		return len(s.m)
	}
	return len(s.list)
}

// all yields the elements in no particular order.
func (s *smallSet[T]) all() iter.Seq[T] {
	return func(yield func(T) bool) {
		if s.m != nil {
			for x := range s.m {
				if !yield(x) {
					return
				}
			}
			return
		}
		for _, x := range s.list {
			if !yield(x) {
				return
			}
		}
	}
}

type createdRec struct {
	CreatedIdentity
	ref evSample
}

type principalAgg struct {
	samples sampleSet
}

// findingAcc accumulates a key-wide rule (CTX-01, CTX-06).
type findingAcc struct {
	n       int
	ips     map[uint32]int
	hours   map[int32]struct{}
	samples sampleSet
}

func (f *findingAcc) offer(ip uint32, x evSample) {
	if f.ips == nil {
		f.ips = map[uint32]int{}
		f.hours = map[int32]struct{}{}
	}
	f.n++
	f.ips[ip]++
	f.hours[hourOf(x.t)] = struct{}{}
	f.samples.offer(sampleK, x)
}

func hourOf(t int64) int32   { return int32(floorDiv(t, int64(time.Hour))) }
func minuteOf(t int64) int32 { return int32(floorDiv(t, int64(time.Minute))) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// Add feeds one event. Events may come in any order and from several
// sources. The engine keeps no reference to ev or its maps, so a caller
// may reuse it. Events of other keys only feed rule PERS-05 (use of an
// identity this key created); akresp's own calls are only counted.
func (e *Engine) Add(ev *Event) {
	if ev == nil || e.done {
		return
	}
	ua := e.userAgent(ev.UserAgent)
	if ua.self {
		e.excluded++
		return
	}
	if e.opts.KeyID != "" && ev.AccessKeyID != e.opts.KeyID {
		e.filtered++
		e.indexPrincipal(ev, ua)
		e.observeOtherSTS(ev, ua)
		return
	}
	t := ev.Time.UnixNano()
	if e.hasSince && t < e.since || e.hasUntil && t > e.until {
		e.filtered++
		return
	}
	if e.opts.KeyID == "" {
		e.indexPrincipal(ev, ua)
	}
	if e.events == 0 || t < e.minT {
		e.minT = t
	}
	if e.events == 0 || t > e.maxT {
		e.maxT = t
	}
	e.events++
	if ev.DataPlane {
		e.dataPlane++
	}

	svc := e.service(ev.Service)
	ip := e.sourceIP(ev.SourceIP)
	nm := e.apiName(svc, ev.Name)
	ref := &sharedRef{evRef: evRef{t: t, name: nm.sid, svc: svc.sid, ip: ip.sid, ua: ua.sid, orig: e.origin(ev.Source)}}
	ref.setIDs(ev.ID, ev.RequestID, ev.Source.Pos)
	read := ev.RW == "Read"
	failed := ev.ErrorCode != ""
	auth := failed && IsAuthFailure(ev.ErrorCode)
	if failed {
		ref.errc = e.strs.id(ev.ErrorCode)
	}

	// Service.
	if svc.n == 0 || t < svc.first {
		svc.first = t
	}
	svc.last = max(svc.last, t)
	svc.n++
	if !read {
		svc.writes++
	} else if !svc.hasRead || t < svc.firstRead {
		svc.hasRead, svc.firstRead = true, t
	}
	if failed {
		svc.errs++
	}

	// API.
	if nm.n == 0 || ref.less(&nm.first) {
		nm.first = ref.evRef
	}
	nm.n++
	nm.last = max(nm.last, t)
	if failed {
		nm.errs++
	}
	nm.read = nm.read || read

	// Source IP.
	if ip.n == 0 || ref.less(&ip.first) {
		ip.first = ref.evRef
	}
	ip.last = max(ip.last, t)
	ip.n++
	if failed {
		ip.errs++
	}
	if ev.VpcID != "" {
		ip.vpcN++
	}
	if !slices.Contains(ip.svcs, svc) {
		ip.svcs = append(ip.svcs, svc)
	}
	if ip.samples.wants(ipSampleK, &ref.evRef) {
		ip.samples.add(ipSampleK, evSample{evRef: ref.ptr()})
	}
	ip.samples.n++
	e.keepSource(ip, ref)
	if e.hasLeak && t >= e.leak {
		ip.afterLeak.offer(ipSampleK, evSample{evRef: ref.ptr()})
	}
	if ua.scanner {
		if ip.scanner.wants(sampleK, &ref.evRef) {
			ip.scanner.add(sampleK, evSample{evRef: ref.ptr(), detail: "userAgent=" + clip(ev.UserAgent)})
		}
		ip.scanner.n++
	}

	// User-agent family.
	if f := ua.family; f != nil {
		if !f.hasEv || ref.less(&f.first) {
			f.first, f.hasEv = ref.evRef, true
		}
		f.last = max(f.last, t)
		f.n++
	}

	// Region.
	var rg *regionAgg
	if ev.Region != "" {
		rg = e.region(ev.Region)
		if rg.n == 0 || ref.less(&rg.first) {
			rg.first = ref.evRef
		}
		rg.last = max(rg.last, t)
		rg.n++
		if !read {
			rg.writes++
			if !rg.hasWrite || ref.less(&rg.firstWrite) {
				rg.firstWrite, rg.hasWrite = ref.evRef, true
			}
		}
	}

	// Hour bucket and the source's hour.
	h := hourOf(t)
	hb := e.hours[h]
	if hb == nil {
		hb = e.newHour(h, ref.evRef)
	} else if ref.less(&hb.first) {
		hb.first = ref.evRef
	}
	hb.n++
	hb.last = max(hb.last, t)
	within := t - int64(h)*int64(time.Hour)
	sec := within / int64(time.Second) // of the hour
	q := &hb.q[within/int64(15*time.Minute)]
	q.n++
	if !read {
		hb.writes++
		if hb.firstWrite == nil || ref.less(hb.firstWrite) {
			hb.firstWrite = ref.ptr()
		}
		hb.lastWrite = max(hb.lastWrite, t)
	}
	if failed {
		hb.fails++
		q.fails++
		if q.firstFail == nil || ref.less(q.firstFail) {
			q.firstFail = ref.ptr()
		}
		q.lastFail = max(q.lastFail, t)
	}
	off := e.offHours(hb, within)
	ih := e.sourceHour(ip, hb, h, ref)
	var cell *minuteCell
	if ih != nil {
		if ref.less(ih.first) {
			ih.first = ref.ptr()
		}
		ih.n++
		ih.lastSec = max(ih.lastSec, uint16(sec))
		if !read {
			ih.writes++
			ih.lastWriteSec = max(ih.lastWriteSec, uint16(sec))
		}
		if off {
			ih.off++
			if !read {
				ih.offWrites++
			}
			if ih.firstOff == nil || ref.less(ih.firstOff) {
				ih.firstOff = ref.ptr()
			}
			ih.lastOffSec = max(ih.lastOffSec, uint16(sec))
		}
		// Minute cell (burst rules).
		cell = e.cell(ip, ih, uint8(within/int64(time.Minute)))
	}
	if cell != nil {
		s := uint8(sec % 60)
		if cell.n == 0 || s < cell.firstSec {
			cell.firstSec = s
		}
		cell.lastSec = max(cell.lastSec, s)
		cell.n++
		if read {
			cell.reads++
			cell.addRead(nm.idx)
		}
		if auth {
			cell.auth++
			cell.addAuthAPI(nm.idx)
		}
	}
	if read || auth || nm.objectDelete {
		ia := e.ipAPIs[ipAPIKey{ip.idx, nm.idx}]
		if ia == nil {
			if len(e.ipAPIs) < maxSourceAPIs {
				ia = e.ipAPISlab.alloc()
				e.ipAPIs[ipAPIKey{ip.idx, nm.idx}] = ia
			} else {
				e.limit("source-apis", fmt.Sprintf("more than %d (source, API) pairs of reads and refused calls; the burst rules (ENUM-03, ENUM-05, DEST-04) saw only the first ones", maxSourceAPIs))
			}
		}
		if ia != nil {
			if ia.samples.wants(cellSampleK, &ref.evRef) {
				ia.samples.add(cellSampleK, evSample{evRef: ref.ptr()})
			}
			ia.samples.n++
			if auth {
				ia.auth.offer(cellSampleK, evSample{evRef: ref.ptr()})
			}
		}
	}
	listLike := nm.listLike
	if nm == e.overflowNm {
		listLike = isListLike(ev.Name)
	}
	if read && listLike && rg != nil {
		rid := rg.sid
		if cell != nil {
			cell.addRegion(rid)
		}
		ss := e.ipRegions[ipRegionKey{ip.idx, rid}]
		if ss == nil {
			if len(e.ipRegions) < maxSourceRegions {
				ss = &sampleSet{}
				e.ipRegions[ipRegionKey{ip.idx, rid}] = ss
			} else {
				e.limit("source-regions", fmt.Sprintf("more than %d (source, region) pairs of list reads; the region sweep rule (ENUM-02) saw only the first ones", maxSourceRegions))
			}
		}
		if ss != nil {
			ss.offer(cellSampleK, evSample{evRef: ref.ptr()})
		}
	}

	// Resources.
	for _, r := range ev.Resources {
		e.resource(r, t)
	}

	// Sensitive-action rules.
	for _, rule := range nm.rules {
		e.match(rule, ev, ip, nm, cell, hb, ih, off, ref)
	}
	e.observeMore(ev, ip, nm, ref) // rules_more_events.go

	// Key-wide context rules.
	if ev.UserType == "root-account" && ev.AccessKeyID != "" && (ev.Type == "" || ev.Type == "ApiCall") {
		e.root.offer(ip.idx, evSample{evRef: ref.ptr(), detail: "userIdentity.type=root-account"})
	}
	if failed && isProtectionMessage(ev.ErrorMessage) {
		e.protection.offer(ip.idx, evSample{evRef: ref.ptr(), detail: "errorMessage=" + clip(ev.ErrorMessage)})
		e.markOnset(ip, t, Critical)
	}
	if ua.scanner {
		e.markOnset(ip, t, Medium)
	}
}

// newHour creates an hour bucket and caches its local time.
func (e *Engine) newHour(h int32, first evRef) *hourBucket {
	lt := time.Unix(int64(h)*3600, 0).In(e.opts.TZ)
	hb := &hourBucket{first: first, localDay: lt.Weekday(), localMin: int32(lt.Hour()*60 + lt.Minute())}
	e.hours[h] = hb
	return hb
}

// offHours reports whether the instant `within` nanoseconds into hour hb is
// outside business hours.
func (e *Engine) offHours(hb *hourBucket, within int64) bool {
	m := hb.localMin + int32(within/int64(time.Minute))
	day := hb.localDay
	if m >= 24*60 {
		m -= 24 * 60
		day = (day + 1) % 7
	}
	return !e.opts.BusinessHours.containsAt(day, int(m))
}

// cell returns the source's cell for minute min of the hour ih, creating
// it; nil once maxCells is reached. The returned pointer is valid until the
// next call.
func (e *Engine) cell(ip *ipAgg, ih *ipHour, min uint8) *minuteCell {
	if i := ip.lastCell; i >= 0 && i < int(ih.ncells) {
		if c := ih.cell(i); c.min == min {
			return c
		}
	}
	for i := range int(ih.ncells) {
		if c := ih.cell(i); c.min == min {
			ip.lastCell = i
			return c
		}
	}
	if e.ncells >= maxCells {
		e.limit("cells", fmt.Sprintf("more than %d (source, minute) cells; burst rules (ENUM-02/03/05, DEST-04, CTX-04) saw only the first ones", maxCells))
		return nil
	}
	e.ncells++
	ip.lastCell = int(ih.ncells)
	return ih.addCell(min)
}

// sourceHour returns the record of ip in hour h, made on its first event
// (ref), or nil beyond maxSourceHours.
func (e *Engine) sourceHour(ip *ipAgg, hb *hourBucket, h int32, ref *sharedRef) *ipHour {
	if ih := ip.lastIH; ih != nil && ip.lastH == h {
		return ih
	}
	ih := e.ipHours[ipHourKey{ip.idx, h}]
	if ih == nil {
		if len(e.ipHours) >= maxSourceHours {
			e.limit("source-hours", fmt.Sprintf("more than %d (source, hour) pairs; the hourly, off-hours and burst rules (CTX-02, CTX-04, ENUM-02/03/05, DEST-04) saw only the first ones", maxSourceHours))
			return nil
		}
		ih = e.hourSlab.alloc()
		ih.ip, ih.h, ih.first = ip.idx, h, ref.ptr()
		e.ipHours[ipHourKey{ip.idx, h}] = ih
		hb.ips = append(hb.ips, ip.idx)
	}
	ip.lastH, ip.lastIH, ip.lastCell = h, ih, -1
	return ih
}

func (e *Engine) limit(key, msg string) {
	if e.limitsHit[key] > 0 {
		return
	}
	e.diags = append(e.diags, Diagnostic{Level: "warning", Source: "engine", Summary: msg})
	e.limitsHit[key] = len(e.diags)
}

func (e *Engine) userAgent(s string) *uaInfo {
	if e.lastUA != nil && s == e.lastUAKey {
		return e.lastUA
	}
	if u, ok := e.uas[s]; ok {
		e.lastUAKey, e.lastUA = s, u
		return u
	}
	u := &uaInfo{}
	if s != "" && strings.Contains(s, e.selfUA) {
		u.self = true
	} else {
		u.sid = e.strs.id(s)
		for _, a := range e.scanners {
			if a != "" && strings.Contains(s, a) {
				u.scanner = true
				break
			}
		}
		fam := userAgentFamily(s)
		if fam != "" {
			f := e.families[fam]
			if f == nil {
				f = &familyAgg{name: fam}
				e.families[fam] = f
			}
			f.scanner = f.scanner || u.scanner
			u.family = f
		}
	}
	if len(e.uas) < maxUserAgents {
		e.uas[strings.Clone(s)] = u
	} else {
		e.limit("ua", fmt.Sprintf("more than %d distinct user agents; further ones are classified without caching", maxUserAgents))
	}
	return u
}

// userAgentFamily reduces a userAgent to the tool that sent it: the first
// product token ("aliyun-cli/3.0.2 ..." -> "aliyun-cli"), qualified by the
// language for the generic SDK core ("AlibabaCloud (linux; amd64) Go/1.22
// Core/..." -> "AlibabaCloud Go"). Console host names stay whole.
func userAgentFamily(ua string) string {
	s := strings.TrimSpace(ua)
	if s == "" {
		return ""
	}
	end := strings.IndexAny(s, "/ (;")
	tok := s
	if end >= 0 {
		tok = s[:end]
	}
	if tok == "" {
		return ""
	}
	if strings.EqualFold(tok, "AlibabaCloud") || strings.EqualFold(tok, "Alibabacloud") || strings.EqualFold(tok, "aliyun-sdk") {
		for _, lang := range []string{"Go/", "Python/", "Java/", "Node/", "Node.js/", "PHP/", "TeaDSL/", ".NET/", "Ruby/", "Swift/", "C++/"} {
			if strings.Contains(s, " "+lang) || strings.Contains(s, ")"+lang) {
				return tok + " " + strings.TrimSuffix(lang, "/")
			}
		}
	}
	return tok
}

func (e *Engine) service(s string) *svcAgg {
	if v, ok := e.svcs[s]; ok {
		return v
	}
	if n := len(e.svcs); n >= maxServices && (n >= 2*maxServices || !ruleServices[s]) {
		return e.overflowName().svc
	}
	v := &svcAgg{sid: e.strs.id(s), name: e.strs.str(e.strs.id(s))}
	e.svcs[v.name] = v
	return v
}

func (e *Engine) sourceIP(s string) *ipAgg {
	if v, ok := e.ips[s]; ok {
		return v
	}
	if len(e.ipList) >= maxSources {
		e.limit("sources", fmt.Sprintf("more than %d distinct source addresses; events from further ones are analysed together as %q (always flagged; their evidence shows no address)", maxSources, overflowText))
		return e.overflowSource()
	}
	v := e.ipSlab.alloc()
	*v = ipAgg{idx: uint32(len(e.ipList)), sid: e.strs.id(s), lastCell: -1}
	v.text = e.strs.str(v.sid)
	if a, err := netip.ParseAddr(strings.TrimSpace(s)); err == nil && a.Zone() == "" {
		v.addr, v.isIP = a.Unmap(), true
	}
	e.ips[v.text] = v
	e.ipList = append(e.ipList, v)
	return v
}

// overflowText names the overflow source in the result.
const overflowText = "(further sources)"

// overflowSource is the source every event from beyond the first
// maxSources distinct sources is counted under (and the (rule, source)
// pairs beyond maxMatches, Engine.match). Each source costs a few KB
// (its hours, APIs, samples): without the bound, a key called from a
// million addresses (an IPv6 host can use a new one for every call from
// its /64; a trail written by whoever holds the key can say anything) took
// gigabytes. The events are still analysed, as one source that is always
// flagged (new and untrusted, never routine, roaming or suggested as
// trusted), so that flooding the audit with addresses cannot hide what
// comes after. The evidence of events from beyond maxSources names the
// overflow source, not the address; that of pairs beyond maxMatches still
// names each event's address.
func (e *Engine) overflowSource() *ipAgg {
	if e.overflowIP == nil {
		v := e.ipSlab.alloc()
		*v = ipAgg{idx: uint32(len(e.ipList)), sid: e.strs.id(overflowText), lastCell: -1, overflow: true}
		v.text = e.strs.str(v.sid)
		e.ips[v.text] = v
		e.ipList = append(e.ipList, v)
		e.overflowIP = v
	}
	return e.overflowIP
}

// overflowNameText names the overflow API and service in the result.
const overflowNameText = "(further APIs)"

// overflowName is the API (of its own service) that every call of an API
// beyond the first maxAPINames distinct (service, API) names, or of a
// service beyond the first maxServices, is counted under. ActionTrail
// only records Alibaba Cloud's own APIs, so only a written trail gets
// there; each name cost ~1 KB (500,000 names: 520 MB). The APIs and
// services the rule tables name are kept one by one up to twice the
// limits, so that such a flood does not hide a sensitive call after it.
func (e *Engine) overflowName() *nameAgg {
	if e.overflowNm == nil {
		e.limit("apis", fmt.Sprintf("more than %d distinct APIs or %d services; calls of further ones are counted together as %q", maxAPINames, maxServices, overflowNameText))
		sid := e.strs.id(overflowNameText)
		svc := &svcAgg{sid: sid, name: e.strs.str(sid)}
		e.svcs[svc.name] = svc
		v := &nameAgg{idx: uint32(len(e.nameList)), svc: svc, sid: sid, name: svc.name}
		e.nameList = append(e.nameList, v)
		e.overflowNm = v
	}
	return e.overflowNm
}

func (e *Engine) apiName(svc *svcAgg, name string) *nameAgg {
	k := nameKey{svc.name, name}
	if v, ok := e.names[k]; ok {
		return v
	}
	if e.overflowNm != nil && svc == e.overflowNm.svc {
		return e.overflowNm
	}
	if n := len(e.nameList); n >= maxAPINames && (n >= 2*maxAPINames || len(rulesFor(svc.name, name)) == 0) {
		return e.overflowName()
	}
	v := &nameAgg{idx: uint32(len(e.nameList)), svc: svc, sid: e.strs.id(name)}
	v.name = e.strs.str(v.sid)
	v.listLike = isListLike(name)
	v.rules = rulesFor(svc.name, v.name)
	v.objectDelete = svc.name == "Oss" && (v.name == "DeleteObject" || v.name == "DeleteMultipleObjects")
	e.names[nameKey{svc.name, v.name}] = v
	e.nameList = append(e.nameList, v)
	return v
}

// overflowRegionText names the region every region beyond maxRegions is
// counted under (Alibaba Cloud has a few dozen; only a written trail names
// more).
const overflowRegionText = "(further regions)"

func (e *Engine) region(s string) *regionAgg {
	if v, ok := e.regions[s]; ok {
		return v
	}
	if len(e.regions) >= maxRegions {
		if v, ok := e.regions[overflowRegionText]; ok {
			return v
		}
		e.limit("regions", fmt.Sprintf("more than %d distinct regions; calls in further ones are counted together as %q", maxRegions, overflowRegionText))
		s = overflowRegionText
	}
	v := &regionAgg{sid: e.strs.id(s)}
	e.regions[e.strs.str(v.sid)] = v
	return v
}

func (e *Engine) origin(o Origin) uint32 {
	k := Origin{Kind: o.Kind, File: o.File}
	if k == e.lastOrigin && len(e.originList) > 0 {
		return e.lastOriginID
	}
	id, ok := e.origins[k]
	if !ok {
		if len(e.originList) >= maxOrigins {
			e.limit("origins", fmt.Sprintf("more than %d event sources; evidence from further sources shows no file", maxOrigins))
			return 0
		}
		id = uint32(len(e.originList))
		e.originList = append(e.originList, Origin{Kind: strings.Clone(k.Kind), File: strings.Clone(k.File)})
		e.origins[e.originList[id]] = id
	}
	e.lastOrigin, e.lastOriginID = k, id
	return id
}

func (e *Engine) resource(r Resource, t int64) {
	if r.Name == "" {
		return
	}
	v, ok := e.resources[r]
	if !ok {
		if len(e.resources) >= maxResources {
			e.limit("resources", fmt.Sprintf("more than %d distinct resources; further ones are not summarised", maxResources))
			return
		}
		v = e.resSlab.alloc()
		*v = resourceAgg{first: t, last: t}
		// Types are few (interned), names many.
		e.resources[Resource{Type: e.strs.str(e.strs.id(r.Type)), Name: strings.Clone(r.Name)}] = v
	}
	v.n++
	v.first = min(v.first, t)
	v.last = max(v.last, t)
}

// indexPrincipal remembers events of other principals by user name and key
// id, for rule PERS-05 (an identity this key created, in use).
func (e *Engine) indexPrincipal(ev *Event, ua *uaInfo) {
	if ev.UserName == "" && ev.AccessKeyID == "" {
		return
	}
	t := ev.Time.UnixNano()
	mk := func() evSample {
		ip := e.strs.id(ev.SourceIP) // other principals' sources are not the key's
		nm := e.strs.id(ev.Name)
		r := &evRef{t: t, name: nm, svc: e.strs.id(ev.Service), ip: ip, ua: ua.sid, orig: e.origin(ev.Source)}
		r.setIDs(ev.ID, ev.RequestID, ev.Source.Pos)
		if ev.ErrorCode != "" {
			r.errc = e.strs.id(ev.ErrorCode)
		}
		return evSample{evRef: r, detail: "userName=" + ev.UserName + ", accessKeyId=" + ev.AccessKeyID}
	}
	for _, idx := range [2]struct {
		m   map[string]*principalAgg
		key string
	}{{e.otherUsers, ev.UserName}, {e.otherKeys, ev.AccessKeyID}} {
		if idx.key == "" {
			continue
		}
		p := idx.m[idx.key]
		if p == nil {
			if len(e.otherUsers)+len(e.otherKeys) >= maxPrincipals {
				e.limit("principals", fmt.Sprintf("more than %d other principals in the input; PERS-05 may miss some", maxPrincipals))
				continue
			}
			p = &principalAgg{}
			idx.m[strings.Clone(idx.key)] = p
		}
		r := evRef{t: t}
		r.setIDs(ev.ID, ev.RequestID, 0)
		if p.samples.wants(sampleK, &r) {
			p.samples.add(sampleK, mk())
		}
		p.samples.n++
	}
}

func isProtectionMessage(msg string) bool {
	return msg != "" && (strings.Contains(msg, "risk of leakage") || strings.Contains(msg, "泄露"))
}

// clip shortens a value quoted in evidence.
func clip(s string) string {
	if len(s) <= maxDetailValueLn {
		return s
	}
	cut := maxDetailValueLn
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
