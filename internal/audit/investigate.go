package audit

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/incident"
	"github.com/akresp/akresp/internal/safetext"
)

// Limits of the online collection.
const (
	// LookupRetention is how far back ActionTrail LookupEvents reaches.
	LookupRetention = 90 * 24 * time.Hour
	// DefaultLookback is the online window when Since is not given.
	DefaultLookback = 30 * 24 * time.Hour
	// maxLastUsedProducts bounds the per-service GetAccessKeyLastUsed*
	// calls (IPs, resources) made for one key.
	maxLastUsedProducts = 20
	// lastUsedConcurrency bounds the services whose IPs and resources are
	// read at once (two calls each; the clients keep to each API's quota).
	lastUsedConcurrency = 8
	// maxProblemDiagnostics bounds the per-record reading problems copied
	// into Result.Diagnostics; the rest are summarised in one more.
	maxProblemDiagnostics = 50
	// lookupPageSize is LookupEvents' largest page.
	lookupPageSize = 50
)

// ErrWindowTooLong is returned (wrapped) when an online audit asks for
// events older than ActionTrail keeps.
var ErrWindowTooLong = errors.New("ActionTrail keeps 90 days; use --trail for older exports")

// InvestigateOptions configure one audit of one AccessKey.
type InvestigateOptions struct {
	// Engine configures the findings engine. Engine.KeyID is the key under
	// audit (required online); Engine.Now defaults to time.Now. Engine.Since
	// and Engine.Until are ignored: Since and Until below decide.
	Engine Options
	// Since and Until bound the events analysed. Online, zero Since means
	// Now-30d (at most Now-90d: older is an error wrapping
	// ErrWindowTooLong) and zero Until means Now. Offline inputs are
	// analysed over their own time range unless Since/Until are set.
	Since, Until time.Time
	// Online collects facts (owner, status, last use) and LookupEvents from
	// the cloud. It needs a non-nil Cloud.
	Online bool
	// Trails, OSSLogs and SLSLogs are offline inputs: ActionTrail files
	// (ReadTrails), OSS access logs and SLS operation logs.
	Trails, OSSLogs, SLSLogs []string
	// Strict makes the first malformed record (or LookupEvents item) fatal,
	// as a *ProblemError naming file and position.
	Strict bool
	// Progress, when set, receives one short line per stage ("lookup: 350
	// events"), for a spinner or a status line on stderr.
	Progress func(msg string)
	// RulesMemory, when set, is called once the inputs are read, just
	// before the rules run; the function it returns is called once they
	// ran and their records were released. The CLI's offline memory policy
	// uses it to collect the reading's garbage and give the rules room
	// (cli/memlimit.go).
	RulesMemory func() (after func())
	// OfflineEvent, when set, sees every event read from the offline inputs
	// that reaches the engine (after de-duplication), in delivery order and
	// from one goroutine, so callers that keep events (the report's chart
	// and evidence) need not read the files a second time. The event (its
	// maps and slices included) must not be retained beyond the call: the
	// readers reuse its storage (ReadOptions.ReuseEvents); copy strings.
	OfflineEvent func(*Event)
	// ReadWorkers is passed to the offline readers (0 = GOMAXPROCS).
	ReadWorkers int
	// Regions are the ActionTrail regions read online (see regions.go):
	// nil or RegionsAll = every region (DescribeRegions) plus the regions
	// the key used, RegionsUsed = the configured region plus the regions
	// the key used, else the listed regions.
	Regions []string
	// Incident is the key's incident record (incident.Load of the state
	// directory), or nil. Each event of the key is classified against it
	// before the engine: akresp's own calls, the responder's calls after
	// containment and the calls the fence refused never reach the rules,
	// the onset, the new-source logic or the evidence; they are counted in
	// Result.Incident. Its trusted CIDRs join Engine.FenceCIDRs.
	Incident *incident.Record
	// NoFollow turns off following the attacker (follow.go): the
	// identities the key created or minted from a flagged source are then
	// listed (Result.Created) but not audited.
	NoFollow bool
}

// Investigate audits one AccessKey: its facts (owner, status, age, last
// use, from IMS, RAM and ActionTrail's GetAccessKeyLastUsed*), its
// ActionTrail events (online from LookupEvents over the window, offline from
// trail files) and data-plane logs, then runs the findings engine. c may be
// nil when opts.Online is false.
//
// Reading problems never vanish: each becomes a Diagnostic naming the file
// and position (or, with Strict, the error). Failures of the fact-finding
// calls are diagnostics too; a failure of LookupEvents itself is an error,
// because the audit would silently miss the key's events.
func Investigate(ctx context.Context, c Cloud, opts InvestigateOptions) (*Result, error) {
	eo := opts.Engine
	if eo.Now.IsZero() {
		eo.Now = time.Now()
	}
	now := eo.Now
	keyID := strings.TrimSpace(eo.KeyID)
	eo.KeyID = keyID
	offline := len(opts.Trails)+len(opts.OSSLogs)+len(opts.SLSLogs) > 0
	shown := safetext.Line(keyID)

	switch {
	case opts.Online && c == nil:
		return nil, fmt.Errorf("audit %s: online audit needs cloud clients", shown)
	case opts.Online && keyID == "":
		return nil, errors.New("audit: an online audit needs the AccessKey ID")
	case !opts.Online && !offline:
		return nil, fmt.Errorf("audit %s: nothing to read: no online lookup and no --trail, --oss-log or --sls-log input", shown)
	case !opts.Since.IsZero() && !opts.Until.IsZero() && opts.Until.Before(opts.Since):
		return nil, fmt.Errorf("audit %s: --until %s is before --since %s", shown, opts.Until.UTC().Format(time.RFC3339), opts.Since.UTC().Format(time.RFC3339))
	}

	// The online query window.
	lookSince, lookUntil := opts.Since, opts.Until
	if opts.Online {
		if lookUntil.IsZero() || lookUntil.After(now) {
			lookUntil = now
		}
		if lookSince.IsZero() {
			lookSince = lookUntil.Add(-DefaultLookback)
		}
		// A minute of slack: "--since 90d" computed a moment before Now.
		if lookSince.Before(now.Add(-LookupRetention - time.Minute)) {
			return nil, fmt.Errorf("audit %s: --since %s is %d days ago: %w", shown, lookSince.UTC().Format(time.RFC3339), int(now.Sub(lookSince)/(24*time.Hour)), ErrWindowTooLong)
		}
		if lookSince.Before(now.Add(-LookupRetention)) {
			lookSince = now.Add(-LookupRetention)
		}
	}
	// The engine window: explicit bounds only. Lookup results are already
	// inside the query window; offline inputs keep their own range.
	eo.Since, eo.Until = opts.Since, opts.Until

	progress := opts.Progress
	if progress == nil {
		progress = func(string) {}
	}

	if !opts.Online && eo.Facts.AccessKeyID == "" {
		eo.Facts.AccessKeyID = keyID
	}
	eo = withIncidentTrust(eo, opts.Incident)
	filter := newIncidentFilter(opts.Incident, keyID)
	eng := NewEngine(eo)

	// Online, the key's facts are read while LookupEvents pages through
	// the events: neither waits for the other (a contain run awaits this
	// audit, so every sequential round trip here is one there).
	var (
		facts          *factFinder
		factsDone      chan struct{}
		extraResources []ResourceSummary
	)
	if opts.Online {
		progress("reading the key's facts")
		facts = &factFinder{c: c, keyID: keyID, now: now}
		factsDone = make(chan struct{})
		go func() {
			defer close(factsDone)
			facts.run(ctx)
		}()
	}
	// awaitFacts merges the facts into the engine's options (facts the
	// caller set win over what the cloud says) and records the fact-finding
	// diagnostics ahead of any reading problem.
	awaitFacts := func() {
		if facts == nil {
			return
		}
		<-factsDone
		eng.opts.Facts = mergeFacts(eng.opts.Facts, facts.facts)
		extraResources = facts.resources
		for _, d := range facts.diags {
			eng.AddDiagnostic(d)
		}
		facts = nil
	}
	defer func() {
		if factsDone != nil {
			<-factsDone // never leave the fact finder running past the call
		}
	}()

	// Online events first; offline records of the same events (an OSS
	// trail delivery of the same days) are skipped by event ID.
	var seen map[string]struct{}
	var regionsRead *RegionsRead // the regions LookupEvents read
	if opts.Online {
		if offline {
			seen = map[string]struct{}{}
		}
		n, items := 0, 0
		eventOwnerType := "" // userIdentity.type of the key's own events
		var pageProblems []Problem
		q := cloud.LookupQuery{AttributeKey: "EventAccessKeyId", AttributeValue: keyID, Start: lookSince, End: lookUntil, PageSize: lookupPageSize}
		var err error
		regionsRead, err = lookupRegions(ctx, c, opts.Regions, keyID, q, func(page []json.RawMessage) error {
			perr := ReadLookupPage(page, func(ev *Event) error {
				if seen != nil && ev.ID != "" {
					seen[ev.ID] = struct{}{}
				}
				if ev.AccessKeyID == keyID && (ev.UserType == "root-account" || ev.UserType == "ram-user") {
					eventOwnerType = ev.UserType
				}
				if !filter.keep(ev) {
					n++
					return nil
				}
				eng.Add(ev)
				n++
				return nil
			})
			before := items
			items += len(page)
			var pe *PageError
			if errors.As(perr, &pe) {
				for i := range pe.Problems {
					pe.Problems[i].Pos += int64(before) // position in the whole lookup, not the page
				}
				if opts.Strict {
					return &ProblemError{Problem: pe.Problems[0]}
				}
				pageProblems = append(pageProblems, pe.Problems...)
				return nil
			}
			progress(fmt.Sprintf("LookupEvents: %d events", n))
			return perr
		})
		if err != nil {
			var pe *ProblemError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("audit %s: LookupEvents returned an unreadable event (strict): %w", shown, err)
			}
			if cerr := ctx.Err(); cerr != nil {
				return nil, fmt.Errorf("audit %s: %w", shown, cerr)
			}
			return nil, fmt.Errorf("audit %s: read the key's events from ActionTrail (LookupEvents %s to %s): %w",
				shown, lookSince.UTC().Format(time.RFC3339), lookUntil.UTC().Format(time.RFC3339), err)
		}
		ff := facts
		awaitFacts()
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("audit %s: %w", shown, err)
		}
		if err := ff.unknownKey(n, opts.Incident); err != nil {
			return nil, err
		}
		// When neither IMS nor the AccessKey audit could tell who owns the
		// key, its own events can: userIdentity.type names the account type.
		if f := &eng.opts.Facts; (f.OwnerType == "" || f.OwnerType == "unknown") && eventOwnerType != "" {
			f.OwnerType = eventOwnerType
		}
		// A key akresp deleted (rotate --delete, disable --delete) is gone
		// from IMS: say so rather than leave its status blank.
		if f := &eng.opts.Facts; f.Status == "" && opts.Incident != nil && !opts.Incident.DeletedAt.IsZero() {
			f.Status = "Deleted"
		}
		addProblems(eng, pageProblems, 0)
	}

	ro := ReadOptions{Strict: opts.Strict, KeyID: keyID, Since: opts.Since, Workers: opts.ReadWorkers, ReuseEvents: true}
	if !opts.Until.IsZero() {
		// The readers' Until is exclusive, the engine's inclusive.
		ro.Until = opts.Until.Add(time.Nanosecond)
	}
	sink := func(ev *Event) error {
		if seen != nil && ev.ID != "" {
			if _, dup := seen[ev.ID]; dup {
				return nil
			}
		}
		if !filter.keep(ev) {
			return nil
		}
		eng.Add(ev)
		if opts.OfflineEvent != nil {
			opts.OfflineEvent(ev)
		}
		return nil
	}
	var readFiltered int64
	// The trail files' note of who their records name lets the follow
	// passes read only the files they need (trailindex.go).
	var trailIndex *TrailIndex
	if !opts.NoFollow && len(opts.Trails) > 0 && !noTrailIndex {
		trailIndex = NewTrailIndex()
	}
	inputs := []struct {
		name  string
		paths []string
		read  func(context.Context, []string, ReadOptions, Sink) (Stats, []Problem, error)
		index *TrailIndex
	}{
		{"trail", opts.Trails, ReadTrails, trailIndex},
		{"OSS access log", opts.OSSLogs, ReadOSSLogs, nil},
		{"SLS operation log", opts.SLSLogs, ReadSLSLogs, nil},
	}
	for _, in := range inputs {
		if len(in.paths) == 0 {
			continue
		}
		progress(fmt.Sprintf("reading %s files", in.name))
		o := ro
		o.Index = in.index
		st, probs, err := in.read(ctx, in.paths, o, sink)
		if err != nil {
			var pe *ProblemError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("audit %s: %s input (strict): %w", shown, in.name, err)
			}
			return nil, fmt.Errorf("audit %s: read %s files: %w", shown, in.name, err)
		}
		if err := nothingRead(in.name, in.paths, st, probs); err != nil {
			// No verdict from inputs that could not be read: "idle" would
			// tell the responder to disable a key nobody looked at.
			return nil, fmt.Errorf("audit %s: %w", shown, err)
		}
		readFiltered += st.Filtered
		addProblems(eng, probs, st.Skipped-int64(len(probs)))
		if st.Ignored > 0 {
			eng.AddDiagnostic(Diagnostic{Level: "warning", Source: in.name,
				Summary: fmt.Sprintf("%s in the given directories not read (unknown extension)", plural(int(st.Ignored), "file"))})
		}
		progress(fmt.Sprintf("%s files: %d files, %d events of the key", in.name, st.Files, st.Events))
	}

	progress("running the rules")
	after := func() {}
	if opts.RulesMemory != nil {
		after = opts.RulesMemory()
	}
	r := eng.Result()
	eng.release() // slab.go: the rules' records are not needed past here
	after()
	r.Window.Filtered += int(readFiltered)
	r.Window.Regions = regionsRead
	if opts.Online && r.Window.Since.IsZero() {
		r.Window.Since = lookSince.UTC()
	}
	if opts.Online && r.Window.Until.IsZero() {
		r.Window.Until = lookUntil.UTC()
	}
	if opts.Online && eo.Since.IsZero() {
		// The window analysed is the lookup window (plus any offline
		// range), not just the span of the events found.
		r.Window.Since = minTime(r.Window.Since, lookSince.UTC())
	}
	if opts.Online && eo.Until.IsZero() {
		r.Window.Until = maxTime(r.Window.Until, lookUntil.UTC())
	}
	// Machine output carries whole seconds (docs/json.md).
	r.Window.Since, r.Window.Until = r.Window.Since.Truncate(time.Second), r.Window.Until.Truncate(time.Second)
	r.Resources = mergeResources(r.Resources, extraResources)
	r.Incident = filter.summary()
	if !opts.NoFollow {
		// Follow what the attacker created: online by LookupEvents, offline
		// by further passes over the trail files (only when there is
		// something to follow).
		fw := newFollower(eng.opts)
		fw.account = r.Key.AccountID
		fw.discover(eng, nil, keyID, r.Key.Owner, 1)
		if len(fw.ids) > 0 {
			progress(fmt.Sprintf("following %d identities the key created", len(fw.ids)))
			if opts.Online {
				if err := fw.followOnline(ctx, c, lookupRegionsOf(regionsRead), lookSince, lookUntil); err != nil {
					return nil, fmt.Errorf("audit %s: follow the identities the key created: %w", shown, err)
				}
			}
			if len(opts.Trails) > 0 {
				o := ro
				o.Index = trailIndex
				if err := fw.followOffline(ctx, opts.Trails, o, progress); err != nil {
					return nil, fmt.Errorf("audit %s: follow the identities the key created through the trail files: %w", shown, err)
				}
			}
		}
		fw.results(eng, r)
	}
	finishSteps(ctx, c, opts.Online, r, opts.Incident)
	addInsightFindings(ctx, c, opts.Online, r) // insights.go
	return r, nil
}

// noTrailIndex makes the follow passes read every trail file again, as
// before the index (tests compare the two).
var noTrailIndex bool

func minTime(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// addProblems turns reading problems into diagnostics, at most
// maxProblemDiagnostics of them plus a summary of the rest; uncounted is a
// number of further skipped records without a Problem of their own. The
// problems that ended a file come first: what was not read matters more
// than which records were skipped.
func addProblems(eng *Engine, probs []Problem, uncounted int64) {
	ordered := slices.Clone(probs)
	slices.SortStableFunc(ordered, func(a, b Problem) int {
		switch {
		case a.Stop == b.Stop:
			return 0
		case a.Stop:
			return -1
		}
		return 1
	})
	stops := 0 // problems that ended a file: they lead ordered
	for stops < len(ordered) && ordered[stops].Stop {
		stops++
	}
	for i, p := range ordered {
		if i == maxProblemDiagnostics {
			moreStops, moreRecs := max(0, stops-i), len(ordered)-max(i, stops)
			msg := fmt.Sprintf("%d more unreadable records were skipped (use --strict to stop at the first)", moreRecs)
			if moreStops > 0 {
				msg = fmt.Sprintf("%d more files were not read to the end and %d more unreadable records were skipped (use --strict to stop at the first)", moreStops, moreRecs)
			}
			eng.AddDiagnostic(Diagnostic{Level: "warning", Source: "input", Summary: msg})
			break
		}
		src := p.File
		if p.Unit != "" {
			src += ":" + p.Unit + " " + strconv.FormatInt(p.Pos, 10)
		}
		sum := "skipped: " + p.Msg
		if p.Stop {
			sum = "not read to the end: " + p.Msg
		}
		eng.AddDiagnostic(Diagnostic{Level: "warning", Source: src, Summary: sum})
	}
	if stops > 0 {
		eng.unreadFiles += stops
		eng.AddDiagnostic(Diagnostic{Level: "warning", Source: "input",
			Summary: fmt.Sprintf("%s not read to the end: the events after the problem that stopped each were neither read nor analysed; repair or re-export them", plural(stops, "file"))})
	}
	if uncounted > 0 {
		eng.AddDiagnostic(Diagnostic{Level: "warning", Source: "input",
			Summary: fmt.Sprintf("%d further records were skipped after too many problems in their file", uncounted)})
	}
}

// mergeFacts fills the zero fields of set from found.
func mergeFacts(set, found KeyFacts) KeyFacts {
	out := set
	out.AccessKeyID = cmp.Or(set.AccessKeyID, found.AccessKeyID)
	out.Owner = cmp.Or(set.Owner, found.Owner)
	out.OwnerType = cmp.Or(set.OwnerType, found.OwnerType)
	out.AccountID = cmp.Or(set.AccountID, found.AccountID)
	out.Status = cmp.Or(set.Status, found.Status)
	if out.Created.IsZero() {
		out.Created = found.Created
		out.AgeDays = found.AgeDays
	}
	if out.LastUsed.IsZero() {
		out.LastUsed = found.LastUsed
		out.LastUsedService = cmp.Or(set.LastUsedService, found.LastUsedService)
	}
	if out.LastUsedIPs == nil {
		out.LastUsedIPs = found.LastUsedIPs
	}
	if out.UsedServices == nil {
		out.UsedServices = found.UsedServices
	}
	return out
}

// mergeResources adds the resources GetAccessKeyLastUsedResources knows of
// that no analysed event touched, with Count 0 (used, but outside the
// events analysed) and LastSeen their last use.
func mergeResources(have []ResourceSummary, extra []ResourceSummary) []ResourceSummary {
	if len(extra) == 0 {
		return have
	}
	known := map[Resource]bool{}
	for _, r := range have {
		known[Resource{r.Type, r.Name}] = true
	}
	for _, r := range extra {
		if len(have) >= maxResourcesOut {
			break
		}
		if !known[Resource{r.Type, r.Name}] {
			known[Resource{r.Type, r.Name}] = true
			have = append(have, r)
		}
	}
	return have
}

// factFinder collects the online facts about one key. Each failed call
// becomes a diagnostic; none stops the audit.
type factFinder struct {
	c     Cloud
	keyID string
	now   time.Time

	mu        sync.Mutex
	facts     KeyFacts
	diags     []Diagnostic
	resources []ResourceSummary
	// notFoundRID is the request ID of the IMS answer that no RAM user
	// owns the key ("" when IMS found one or did not answer that).
	notFoundRID string
	notFound    bool
}

func (f *factFinder) diag(level, source, summary string, err error) {
	d := Diagnostic{Level: level, Source: source, Summary: summary}
	if err != nil {
		d.Detail = err.Error()
	}
	f.mu.Lock()
	f.diags = append(f.diags, d)
	f.mu.Unlock()
}

func (f *factFinder) run(ctx context.Context) {
	f.facts.AccessKeyID = f.keyID
	var wg sync.WaitGroup
	var info cloud.LastUsedInfo
	var infoErr error
	// Three independent chains: the owner (IMS, STS, RAM), the last use,
	// and the services used with their source IPs and resources.
	wg.Go(func() { f.owner(ctx) })
	wg.Go(func() { info, infoErr = f.c.AccessKeyLastUsedInfo(ctx, f.keyID) })
	wg.Go(func() { f.usage(ctx) })
	wg.Wait()

	switch {
	case infoErr != nil:
		f.diag("warning", "actiontrail:GetAccessKeyLastUsedInfo", "could not read the key's last use", infoErr)
	case info.Found:
		f.facts.LastUsed = info.UsedAt.UTC()
		f.facts.LastUsedService = CanonicalService(info.ServiceName)
		f.facts.AccountID = cmp.Or(f.facts.AccountID, info.AccountID)
		if f.facts.OwnerType == "" || f.facts.OwnerType == "unknown" {
			switch info.AccountType {
			case "root-account":
				f.facts.OwnerType = "root-account"
				f.facts.Owner = cmp.Or(f.facts.Owner, "root account "+info.AccountID)
			case "ram-user":
				f.facts.OwnerType = "ram-user"
				f.facts.Owner = cmp.Or(f.facts.Owner, info.UserName)
			}
		}
	}
	if f.facts.OwnerType == "" {
		f.facts.OwnerType = "unknown"
	}
	// RAM's own last-used date, when ActionTrail has none (it only reaches
	// back to 2022-02-01 and 400 days).
	if f.facts.LastUsed.IsZero() && f.facts.OwnerType == "ram-user" && f.facts.Owner != "" {
		t, err := f.c.GetAccessKeyLastUsed(ctx, f.facts.Owner, f.keyID)
		switch {
		case err != nil:
			f.diag("warning", "ram:GetAccessKeyLastUsed", "could not read the key's last-used date from RAM", err)
		case !t.IsZero():
			f.facts.LastUsed = t.UTC()
		}
	}
}

// usage reads the services the key used (GetAccessKeyLastUsedProducts),
// then each service's source IPs and resources, the most recent first.
func (f *factFinder) usage(ctx context.Context) {
	products, prodErr := f.c.AccessKeyLastUsedProducts(ctx, f.keyID)
	if prodErr != nil {
		f.diag("warning", "actiontrail:GetAccessKeyLastUsedProducts", "could not list the services the key used", prodErr)
		return
	}
	slices.SortFunc(products, func(a, b cloud.LastUsedProduct) int { return b.UsedAt.Compare(a.UsedAt) })
	var services []string
	for _, p := range products {
		if s := CanonicalService(p.ServiceName); s != "" && !slices.Contains(services, s) {
			services = append(services, s)
		}
	}
	f.facts.UsedServices = services
	if len(services) > maxLastUsedProducts {
		f.diag("warning", "actiontrail:GetAccessKeyLastUsedProducts",
			fmt.Sprintf("the key used %d services; source IPs and resources are read for the %d used most recently", len(services), maxLastUsedProducts), nil)
		services = services[:maxLastUsedProducts]
	}

	// Source IPs and resources per service (ServiceName is required in
	// practice: alibaba-cloud-api.md section 13).
	type ipUse struct {
		ip string
		at time.Time
	}
	var ips []ipUse
	var wg sync.WaitGroup
	sem := make(chan struct{}, lastUsedConcurrency)
	for _, svc := range services {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			// The service's IPs and resources are independent reads.
			var (
				res  []cloud.LastUsedResource
				rerr error
				rw   sync.WaitGroup
			)
			rw.Go(func() { res, rerr = f.c.AccessKeyLastUsedResources(ctx, f.keyID, svc) })
			list, err := f.c.AccessKeyLastUsedIPs(ctx, f.keyID, svc)
			rw.Wait()
			if err != nil {
				f.diag("warning", "actiontrail:GetAccessKeyLastUsedIps", "could not list the source IPs of service "+svc, err)
			}
			if rerr != nil {
				f.diag("warning", "actiontrail:GetAccessKeyLastUsedResources", "could not list the resources of service "+svc, rerr)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			for _, x := range list {
				if x.IP != "" {
					ips = append(ips, ipUse{x.IP, x.UsedAt})
				}
			}
			for _, x := range res {
				if x.ResourceName == "" {
					continue
				}
				f.resources = append(f.resources, ResourceSummary{Type: x.ResourceType, Name: x.ResourceName, LastSeen: x.UsedAt.UTC()})
			}
		})
	}
	wg.Wait()
	slices.SortFunc(ips, func(a, b ipUse) int { return cmp.Or(b.at.Compare(a.at), strings.Compare(a.ip, b.ip)) })
	for _, x := range ips {
		if !slices.Contains(f.facts.LastUsedIPs, x.ip) {
			f.facts.LastUsedIPs = append(f.facts.LastUsedIPs, x.ip)
		}
	}
	slices.SortFunc(f.resources, func(a, b ResourceSummary) int {
		return cmp.Or(b.LastSeen.Compare(a.LastSeen), strings.Compare(a.Type, b.Type), strings.Compare(a.Name, b.Name))
	})
	f.resources = slices.CompactFunc(f.resources, func(a, b ResourceSummary) bool { return a.Type == b.Type && a.Name == b.Name })
}

// owner resolves the key's owner, status and creation date: IMS GetUser by
// key for a RAM user's key; for a key IMS does not know (root-account keys),
// STS GetCallerIdentity and, when the caller is the root account, its own
// key list.
func (f *factFinder) owner(ctx context.Context) {
	// Both branches need the caller's identity (the account ID; whether
	// akresp runs as the root account): ask for it alongside IMS.
	var (
		id   cloud.CallerIdentity
		cerr error
		wg   sync.WaitGroup
	)
	wg.Go(func() { id, cerr = f.c.GetCallerIdentity(ctx) })
	u, err := f.c.GetUserByAccessKey(ctx, f.keyID)
	if err == nil && u.UserName != "" {
		f.mu.Lock()
		f.facts.Owner, f.facts.OwnerType = u.UserName, "ram-user"
		f.mu.Unlock()
		keys, kerr := f.c.ListAccessKeys(ctx, u.UserName)
		wg.Wait()
		if cerr == nil {
			f.mu.Lock()
			f.facts.AccountID = cmp.Or(f.facts.AccountID, id.AccountID)
			f.mu.Unlock()
		}
		if kerr != nil {
			f.diag("warning", "ram:ListAccessKeys", "could not read the key's status and creation date", kerr)
			return
		}
		if !f.setKey(keys) {
			f.diag("warning", "ram:ListAccessKeys", "user "+u.UserName+" does not list the key (deleted since?)", nil)
		}
		return
	}
	if err != nil && !errors.Is(err, cloud.ErrNotFound) {
		f.diag("warning", "ims:GetUser", "could not find the key's owner", err)
	}
	if err == nil || errors.Is(err, cloud.ErrNotFound) {
		var ae *cloud.APIError
		f.mu.Lock()
		f.notFound = true
		if errors.As(err, &ae) {
			f.notFoundRID = ae.RequestID
		}
		f.mu.Unlock()
	}
	wg.Wait()
	if cerr != nil {
		f.diag("warning", "sts:GetCallerIdentity", "could not tell whether the key belongs to the root account", cerr)
		return
	}
	f.mu.Lock()
	f.facts.AccountID = id.AccountID
	f.mu.Unlock()
	if id.IdentityType == "Account" {
		keys, kerr := f.c.ListAccessKeys(ctx, "")
		if kerr != nil {
			f.diag("warning", "ram:ListAccessKeys", "could not list the root account's keys", kerr)
			return
		}
		if f.setKey(keys) {
			f.mu.Lock()
			f.facts.Owner, f.facts.OwnerType = "root account "+id.AccountID, "root-account"
			f.mu.Unlock()
			return
		}
		if err == nil || errors.Is(err, cloud.ErrNotFound) {
			f.diag("warning", "ims:GetUser", "no RAM user and not the root account owns the key: it may be deleted or belong to another account", nil)
		}
		return
	}
	f.diag("warning", "ims:GetUser",
		"no RAM user owns the key: it is a root-account key, a deleted key or another account's key (run as the root account, or see the last-used facts, to tell)", nil)
}

// unknownKey returns *cloud.UnknownKeyError when the key does not exist in
// the account: IMS knows no user of it, it is not one of the root
// account's keys, ActionTrail has no last use and no event of it, and
// akresp never acted on it (a key akresp deleted is known, not a typo).
func (f *factFinder) unknownKey(events int, rec *incident.Record) error {
	k := f.facts
	switch {
	case !f.notFound, k.OwnerType != "" && k.OwnerType != "unknown", k.Status != "",
		!k.LastUsed.IsZero(), len(k.LastUsedIPs) > 0, len(k.UsedServices) > 0, events > 0:
		return nil
	case rec != nil && (len(rec.Actions) > 0 || !rec.DeletedAt.IsZero() || rec.Rotation != nil):
		return nil
	}
	return &cloud.UnknownKeyError{KeyID: f.keyID, AccountID: k.AccountID, RequestID: f.notFoundRID}
}

// setKey copies the status and creation date of the key under audit from a
// key list; false when the list does not hold it.
func (f *factFinder) setKey(keys []cloud.AccessKey) bool {
	for _, k := range keys {
		if k.AccessKeyID != f.keyID {
			continue
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		f.facts.Status = k.Status
		if !k.CreateDate.IsZero() {
			f.facts.Created = k.CreateDate.UTC()
			f.facts.AgeDays = max(0, int(f.now.Sub(k.CreateDate)/(24*time.Hour)))
		}
		return true
	}
	return false
}

// nothingRead is the error of an input that yielded no record because no
// file could be read: none found, or every one skipped. Files that were
// read and hold no record (an empty array) are an input like any other.
func nothingRead(kind string, paths []string, st Stats, probs []Problem) error {
	if st.Events+st.Filtered > 0 || st.Files > 0 && st.Skipped == 0 {
		return nil
	}
	var why string
	switch {
	case len(probs) > 0:
		why = fmt.Sprintf("%s skipped, the first: %s", plural(int(st.Skipped), "file"), probs[0])
	case st.Skipped > 0:
		why = fmt.Sprintf("%s skipped", plural(int(st.Skipped), "file"))
	case st.Ignored > 0:
		why = fmt.Sprintf("no readable file: %s ignored for their extension", plural(int(st.Ignored), "file"))
	default:
		why = "no file found"
	}
	return fmt.Errorf("no %s record read from %s (%s); nothing was audited: name the directories or files that hold the records (.json, .json.gz, .jsonl, .log; 'akresp audit --help')",
		kind, strings.Join(paths, ", "), why)
}
