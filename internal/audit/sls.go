package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/akresp/akresp/internal/cloud/slsq"
	"github.com/akresp/akresp/internal/safetext"
)

// The SLS push-down audit (docs/sls.md). The key's events stay in Simple
// Log Service; akresp sends a fixed set of queries, each a search part that
// selects the key and, for the aggregates, an SQL part:
//
//	Q1 per source IP, Q2 per service and event name, Q3 hourly buckets,
//	Q4 error bursts, Q5 summary: computed by SLS, fetched as aggregates,
//	shown as the push-down summary and used to check that what the
//	engine was fed is complete (Q5's count must equal it).
//	E1 writes, E2 failed calls, E3 reads named by a detection rule: fetched
//	as whole events (search only, paged), because rules read their
//	parameters and responses.
//	E4 every other read: grouped by SLS per minute and per value of every
//	field the rules read, fetched as one row per group plus the time,
//	event ID and request ID of each event in it, so that the findings
//	engine sees exactly the events the other sources give it, without
//	their bodies.
//
// Every query goes through slsq's Incomplete loop and window splitting;
// an answer that stays incomplete fails the audit with the missing windows
// named, never a partial result presented as complete.

// SLSQuerier is the part of *slsq.Client the SLS audit needs.
type SLSQuerier interface {
	Query(ctx context.Context, req slsq.Request, merge slsq.Merge) (slsq.Result, error)
	Page(ctx context.Context, req slsq.Request) (slsq.Result, error)
	IndexKeys(ctx context.Context, t slsq.Target) (map[string]bool, error)
}

// OriginSLSQuery marks events read from an SLS logstore by query.
const OriginSLSQuery = "sls-query"

// DefaultSLSTopic is the topic ActionTrail writes to its SLS logstore.
const DefaultSLSTopic = "actiontrail_audit_event"

// Limits of the push-down queries.
const (
	slsGroupLimit  = 10000 // LIMIT of grouped queries; reaching it splits the window
	slsNameChunk   = 20    // event names per E3 query (SLS allows 30 conditions)
	slsBurstMin    = 5     // Q4: errors of one code in one minute
	slsMaxIDsGroup = 5000  // E4 groups are per minute; more events than this in one group split further
)

// SLSOptions configure InvestigateSLS.
type SLSOptions struct {
	// Investigate holds the engine options, the window (Since, Until) and
	// Progress; Online adds the key's facts from the cloud (c non-nil).
	Investigate InvestigateOptions
	Target      slsq.Target
	// Topic is the logstore topic of the trail; "" = DefaultSLSTopic.
	Topic string
}

// SLSQueryStat is the provenance of one push-down query.
type SLSQueryStat struct {
	Name          string `json:"name"`
	Purpose       string `json:"purpose"`
	Rows          int    `json:"rows"`
	Calls         int    `json:"calls"`
	Splits        int    `json:"splits"`
	ProcessedRows int64  `json:"processed_rows"`
}

// SLSIP is one source IP as SLS aggregated it (Q1).
type SLSIP struct {
	IP        string    `json:"ip"`
	Calls     int64     `json:"calls"`
	Errors    int64     `json:"errors"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Network   string    `json:"network"` // ip_to_domain: intranet | internet
}

// SLSName is one API as SLS aggregated it (Q2).
type SLSName struct {
	Service   string    `json:"service"`
	Name      string    `json:"name"`
	Calls     int64     `json:"calls"`
	Errors    int64     `json:"errors"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// SLSBucket is an hour (Q3) or an error burst minute (Q4).
type SLSBucket struct {
	Start  time.Time `json:"start"`
	Code   string    `json:"code,omitempty"`
	Calls  int64     `json:"calls"`
	Errors int64     `json:"errors"`
}

// SLSReport is what the push-down computed and how (the provenance of an
// SLS audit).
type SLSReport struct {
	Target        string           `json:"target"`
	Endpoint      string           `json:"endpoint,omitempty"`
	Topic         string           `json:"topic"`
	Since         time.Time        `json:"since"`
	Until         time.Time        `json:"until"`
	Events        int64            `json:"events"`
	DistinctIPs   int              `json:"distinct_ips"`
	IdentityTypes map[string]int64 `json:"identity_types"`
	FirstSeen     time.Time        `json:"first_seen,omitzero"`
	LastSeen      time.Time        `json:"last_seen,omitzero"`
	IPs           []SLSIP          `json:"ips"`
	Names         []SLSName        `json:"names"`
	Hours         []SLSBucket      `json:"hours"`
	Bursts        []SLSBucket      `json:"bursts"`
	// RawEvents are the whole events fetched (E1-E3); GroupedEvents the
	// reads fetched as groups (E4) in GroupRows rows.
	RawEvents     int            `json:"raw_events"`
	GroupedEvents int            `json:"grouped_events"`
	GroupRows     int            `json:"group_rows"`
	Queries       []SLSQueryStat `json:"queries"`
	// Calls are the GetLogs requests made, ProcessedRows the rows SLS
	// scanned for them, BytesReceived the response bytes as transferred
	// (0 when the querier does not count them), Elapsed the audit's wall
	// time from the first query to the last answer.
	Calls         int           `json:"calls"`
	ProcessedRows int64         `json:"processed_rows"`
	BytesReceived int64         `json:"bytes_received"`
	Elapsed       time.Duration `json:"elapsed_ns"`
}

// SLSIncompleteError says which windows of which query SLS could not
// answer completely even at the narrowest split. Adjacent windows are
// joined, so each window is one stretch of time the audit cannot see.
type SLSIncompleteError struct {
	Target  string
	Query   string
	Missing []slsq.Window
}

func (e *SLSIncompleteError) Error() string {
	var ws []string
	for _, w := range e.Missing {
		ws = append(ws, w.String())
	}
	return fmt.Sprintf("sls %s: query %s stayed incomplete for %d window(s): %s; the audit would miss events there, so no findings are reported", e.Target, e.Query, len(e.Missing), strings.Join(ws, "; "))
}

// joinWindows sorts windows and joins those that touch or overlap.
func joinWindows(ws []slsq.Window) []slsq.Window {
	ws = slices.Clone(ws)
	slices.SortFunc(ws, func(a, b slsq.Window) int { return cmpInt64(a.From, b.From) })
	var out []slsq.Window
	for _, w := range ws {
		if n := len(out); n > 0 && w.From <= out[n-1].To {
			out[n-1].To = max(out[n-1].To, w.To)
			continue
		}
		out = append(out, w)
	}
	return out
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Hint says what to do about it.
func (e *SLSIncompleteError) Hint() string {
	return "narrow --since/--until around the missing windows, retry later, or audit those days with --trail"
}

var slsKeyIDRe = regexp.MustCompile(`^[A-Za-z0-9.]{1,128}$`)

// slsFields are the event sub-keys the findings engine reads from a read
// call (E4 groups by them).
var slsFields = []string{
	"eventName", "serviceName", "eventSource", "eventType", "eventRW", "acsRegion", "sourceIpAddress",
	"userAgent", "vpcId", "resourceType", "resourceName", "referencedResources",
	"userIdentity.type", "userIdentity.userName", "userIdentity.principalId", "userIdentity.accountId",
	"userIdentity.accessKeyId",
}

// slsPlan holds the query texts of one audit.
type slsPlan struct {
	sel   string // search part selecting the key
	index map[string]bool
}

func (p slsPlan) col(key string) string {
	if p.index == nil || p.index[key] {
		return `"event.` + key + `"`
	}
	return "json_extract_scalar(event, '$." + key + "')"
}

const errExpr = `%[1]s IS NOT NULL AND %[1]s <> ''`

func (p slsPlan) errCond() string { return fmt.Sprintf(errExpr, p.col("errorCode")) }

func (p slsPlan) q1() string {
	ip := p.col("sourceIpAddress")
	return p.sel + ` | SELECT ` + ip + ` AS ip, count(*) AS calls, count_if(` + p.errCond() + `) AS errors, min(__time__) AS first_seen, max(__time__) AS last_seen, ip_to_domain(` + ip + `) AS net FROM log GROUP BY ` + ip + ` ORDER BY calls DESC LIMIT ` + strconv.Itoa(slsGroupLimit)
}

func (p slsPlan) q2() string {
	s, n := p.col("serviceName"), p.col("eventName")
	return p.sel + ` | SELECT ` + s + ` AS service, ` + n + ` AS name, count(*) AS calls, count_if(` + p.errCond() + `) AS errors, min(__time__) AS first_seen, max(__time__) AS last_seen FROM log GROUP BY ` + s + `, ` + n + ` ORDER BY calls DESC LIMIT ` + strconv.Itoa(slsGroupLimit)
}

func (p slsPlan) q3() string {
	return p.sel + ` | SELECT __time__ - __time__ % 3600 AS hour, count(*) AS calls, count_if(` + p.errCond() + `) AS errors FROM log GROUP BY __time__ - __time__ % 3600 ORDER BY hour LIMIT ` + strconv.Itoa(slsGroupLimit)
}

func (p slsPlan) q4() string {
	c := p.col("errorCode")
	return p.sel + ` and event.errorCode: * | SELECT __time__ - __time__ % 60 AS minute, ` + c + ` AS code, count(*) AS n FROM log GROUP BY __time__ - __time__ % 60, ` + c + ` HAVING count(*) >= ` + strconv.Itoa(slsBurstMin) + ` ORDER BY minute LIMIT ` + strconv.Itoa(slsGroupLimit)
}

func (p slsPlan) q5() string {
	return p.sel + ` | SELECT count(*) AS events, approx_distinct(` + p.col("sourceIpAddress") + `) AS ips, min(__time__) AS first_seen, max(__time__) AS last_seen, histogram(` + p.col("userIdentity.type") + `) AS identity_types FROM log`
}

// ruleNames are the event names a detection rule inspects in detail.
func ruleNames() []string {
	seen := map[string]bool{}
	for k := range ruleIndex {
		seen[k.name] = true
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		if slsKeyIDRe.MatchString(n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

func (p slsPlan) okRead() string { return p.sel + ` and event.eventRW: Read not event.errorCode: *` }

func (p slsPlan) e1() string { return p.sel + ` not event.eventRW: Read` }
func (p slsPlan) e2() string { return p.sel + ` and event.eventRW: Read and event.errorCode: *` }
func (p slsPlan) e3(names []string) string {
	var terms []string
	for _, n := range names {
		terms = append(terms, "event.eventName: "+n)
	}
	return p.okRead() + ` and (` + strings.Join(terms, " or ") + `)`
}

func (p slsPlan) e4(names []string) string {
	var cols []string
	for _, f := range slsFields {
		cols = append(cols, p.col(f))
	}
	var sel []string
	for i, c := range cols {
		sel = append(sel, c+` AS "`+slsFields[i]+`"`)
	}
	var quoted []string
	for _, n := range names {
		quoted = append(quoted, "'"+strings.ToLower(n)+"'")
	}
	ids := `array_agg(cast(__time__ AS varchar) || ' ' || coalesce(` + p.col("eventId") + `, '') || ' ' || coalesce(` + p.col("requestId") + `, ''))`
	return p.okRead() + ` | SELECT ` + strings.Join(sel, ", ") + `, __time__ - __time__ % 60 AS minute, count(*) AS n, ` + ids + ` AS ids FROM log WHERE lower(` + p.col("eventName") + `) NOT IN (` + strings.Join(quoted, ", ") + `) GROUP BY ` + strings.Join(cols, ", ") + `, __time__ - __time__ % 60 LIMIT ` + strconv.Itoa(slsGroupLimit)
}

// InvestigateSLS audits one AccessKey from the ActionTrail logstore in SLS
// with push-down queries, running the same findings engine as Investigate.
// c may be nil unless opts.Investigate.Online (key facts) is set.
func InvestigateSLS(ctx context.Context, c Cloud, q SLSQuerier, opts SLSOptions) (*Result, *SLSReport, error) {
	io := opts.Investigate
	eo := io.Engine
	if eo.Now.IsZero() {
		eo.Now = time.Now()
	}
	now := eo.Now
	keyID := strings.TrimSpace(eo.KeyID)
	eo.KeyID = keyID
	shown := safetext.Line(keyID)
	switch {
	case q == nil:
		return nil, nil, fmt.Errorf("audit %s: the SLS audit needs an SLS client", shown)
	case !slsKeyIDRe.MatchString(keyID):
		return nil, nil, fmt.Errorf("audit: AccessKey ID %q cannot be searched in SLS (want letters, digits and dots)", shown)
	case io.Online && c == nil:
		return nil, nil, fmt.Errorf("audit %s: reading the key's facts needs cloud clients", shown)
	case !io.Since.IsZero() && !io.Until.IsZero() && !io.Until.After(io.Since):
		return nil, nil, fmt.Errorf("audit %s: --until %s is not after --since %s", shown, io.Until.UTC().Format(time.RFC3339), io.Since.UTC().Format(time.RFC3339))
	}
	topic := opts.Topic
	if topic == "" {
		topic = DefaultSLSTopic
	}
	if !slsKeyIDRe.MatchString(strings.ReplaceAll(topic, "_", ".")) {
		return nil, nil, fmt.Errorf("audit %s: SLS topic %q: want letters, digits and _", shown, topic)
	}
	progress := io.Progress
	if progress == nil {
		progress = func(string) {}
	}
	since, until := io.Since, io.Until
	if until.IsZero() || until.After(now) {
		until = now
	}
	if since.IsZero() {
		since = until.Add(-DefaultLookback)
	}
	// [from, to) in seconds covering [since, until] inclusive.
	win := slsq.Window{From: since.Unix(), To: until.Unix() + 1}
	rep := &SLSReport{Target: opts.Target.String(), Topic: topic, Since: since.UTC(), Until: until.UTC(), IdentityTypes: map[string]int64{}}

	var extraResources []ResourceSummary
	var diags []Diagnostic
	var ff *factFinder
	if io.Online {
		progress("reading the key's facts")
		f := &factFinder{c: c, keyID: keyID, now: now}
		ff = f
		f.run(ctx)
		if err := ctx.Err(); err != nil {
			return nil, nil, fmt.Errorf("audit %s: %w", shown, err)
		}
		eo.Facts = mergeFacts(eo.Facts, f.facts)
		diags = append(diags, f.diags...)
		extraResources = f.resources
	} else if eo.Facts.AccessKeyID == "" {
		eo.Facts.AccessKeyID = keyID
	}

	started := time.Now()
	var bytes0 int64
	counter, _ := q.(interface{ BytesReceived() int64 })
	if counter != nil {
		bytes0 = counter.BytesReceived()
	}
	if ep, ok := q.(interface{ Endpoint() string }); ok {
		rep.Endpoint = ep.Endpoint()
	}
	progress("reading the logstore index")
	index, err := q.IndexKeys(ctx, opts.Target)
	if err != nil {
		return nil, nil, fmt.Errorf("audit %s: read the index of %s: %w", shown, opts.Target, err)
	}
	for _, need := range []string{"userIdentity.accessKeyId", "eventRW", "errorCode", "eventName"} {
		if !index[need] {
			return nil, nil, fmt.Errorf("audit %s: logstore %s does not index event.%s, which the push-down search needs; is it an ActionTrail logstore (topic %s)?", shown, opts.Target, need, topic)
		}
	}
	plan := slsPlan{sel: `__topic__: ` + topic + ` and event.userIdentity.accessKeyId: ` + keyID, index: index}

	run := func(name, purpose, query string, merge slsq.Merge, rowCap int) (slsq.Result, error) {
		progress("SLS " + name + ": " + purpose)
		r, err := q.Query(ctx, slsq.Request{Target: opts.Target, Window: win, Query: query, RowCap: rowCap}, merge)
		if err != nil {
			return r, fmt.Errorf("audit %s: SLS query %s (%s): %w", shown, name, purpose, err)
		}
		if !r.Complete {
			return r, &SLSIncompleteError{Target: opts.Target.String(), Query: name, Missing: joinWindows(r.Missing)}
		}
		rep.Queries = append(rep.Queries, SLSQueryStat{Name: name, Purpose: purpose, Rows: len(r.Rows), Calls: r.Calls, Splits: r.Splits, ProcessedRows: r.ProcessedRows})
		rep.Calls += r.Calls
		rep.ProcessedRows += r.ProcessedRows
		return r, nil
	}
	page := func(name, purpose, query string) (slsq.Result, error) {
		progress("SLS " + name + ": " + purpose)
		r, err := q.Page(ctx, slsq.Request{Target: opts.Target, Window: win, Query: query})
		if err != nil {
			return r, fmt.Errorf("audit %s: SLS query %s (%s): %w", shown, name, purpose, err)
		}
		if !r.Complete {
			return r, &SLSIncompleteError{Target: opts.Target.String(), Query: name, Missing: joinWindows(r.Missing)}
		}
		rep.Queries = append(rep.Queries, SLSQueryStat{Name: name, Purpose: purpose, Rows: len(r.Rows), Calls: r.Calls, Splits: r.Splits, ProcessedRows: r.ProcessedRows})
		rep.Calls += r.Calls
		rep.ProcessedRows += r.ProcessedRows
		return r, nil
	}

	// Aggregates.
	r5, err := run("Q5", "summary", plan.q5(), mergeSummary, 0)
	if err != nil {
		return nil, nil, err
	}
	r1, err := run("Q1", "per source IP", plan.q1(), mergeBy([]string{"ip"}, []string{"calls", "errors"}, "first_seen", "last_seen"), slsGroupLimit)
	if err != nil {
		return nil, nil, err
	}
	r2, err := run("Q2", "per service and event name", plan.q2(), mergeBy([]string{"service", "name"}, []string{"calls", "errors"}, "first_seen", "last_seen"), slsGroupLimit)
	if err != nil {
		return nil, nil, err
	}
	r3, err := run("Q3", "hourly buckets", plan.q3(), mergeBy([]string{"hour"}, []string{"calls", "errors"}, "", ""), slsGroupLimit)
	if err != nil {
		return nil, nil, err
	}
	r4, err := run("Q4", "error bursts", plan.q4(), slsq.Concat, slsGroupLimit)
	if err != nil {
		return nil, nil, err
	}
	fillReport(rep, r5, r1, r2, r3, r4)

	// Evidence.
	eo = withIncidentTrust(eo, io.Incident)
	filter := newIncidentFilter(io.Incident, keyID)
	eng := NewEngine(eo)
	for _, d := range diags {
		eng.AddDiagnostic(d)
	}
	origin := Origin{Kind: OriginSLSQuery, File: opts.Target.String()}
	seen := map[string]bool{}
	var fed int64
	addRaw := func(rows []map[string]string) error {
		for i, row := range rows {
			b, _ := json.Marshal(row)
			o := origin
			o.Pos = int64(i)
			ev, err := ParseEvent(b, o)
			if err != nil {
				return fmt.Errorf("audit %s: SLS returned an unreadable event: %w", shown, err)
			}
			if ev.ID != "" {
				if seen[ev.ID] {
					continue
				}
				seen[ev.ID] = true
			}
			if filter.keep(&ev) {
				eng.Add(&ev)
			}
			fed++
			rep.RawEvents++
		}
		return nil
	}
	names := ruleNames()
	raw := []struct{ name, purpose, query string }{
		{"E1", "write events", plan.e1()},
		{"E2", "failed reads", plan.e2()},
	}
	for i := 0; i < len(names); i += slsNameChunk {
		raw = append(raw, struct{ name, purpose, query string }{fmt.Sprintf("E3.%d", i/slsNameChunk+1), "reads named by detection rules", plan.e3(names[i:min(i+slsNameChunk, len(names))])})
	}
	for _, e := range raw {
		r, err := page(e.name, e.purpose, e.query)
		if err != nil {
			return nil, nil, err
		}
		if err := addRaw(r.Rows); err != nil {
			return nil, nil, err
		}
	}
	r, err := run("E4", "other reads, grouped per minute", plan.e4(names), slsq.Concat, slsGroupLimit)
	if err != nil {
		return nil, nil, err
	}
	rep.GroupRows = len(r.Rows)
	for _, row := range r.Rows {
		n, err := expandGroup(row, origin, func(ev *Event) {
			if filter.keep(ev) {
				eng.Add(ev)
			}
		})
		if err != nil {
			return nil, nil, fmt.Errorf("audit %s: SLS query E4 returned an unreadable group: %w", shown, err)
		}
		fed += int64(n)
		rep.GroupedEvents += n
	}
	if fed != rep.Events {
		return nil, nil, fmt.Errorf("audit %s: SLS counted %d events of the key (Q5) but the evidence queries returned %d; the answer is inconsistent, so no findings are reported", shown, rep.Events, fed)
	}

	rep.Elapsed = time.Since(started)
	if counter != nil {
		rep.BytesReceived = counter.BytesReceived() - bytes0
	}

	if ff != nil {
		if err := ff.unknownKey(int(rep.Events), io.Incident); err != nil {
			return nil, nil, err
		}
	}
	progress("running the rules")
	after := func() {}
	if io.RulesMemory != nil {
		after = io.RulesMemory()
	}
	res := eng.Result()
	eng.release() // slab.go: the rules' records are not needed past here
	after()
	res.Window.Since = minTime(res.Window.Since, since.UTC())
	res.Window.Until = maxTime(res.Window.Until, until.UTC())
	res.Resources = mergeResources(res.Resources, extraResources)
	res.Incident = filter.summary()
	finishSteps(ctx, c, io.Online, res, io.Incident)
	return res, rep, nil
}

// expandGroup turns one E4 row into its events: the group's fields with
// each event's own time, ID and request ID.
func expandGroup(row map[string]string, origin Origin, add func(*Event)) (int, error) {
	var ids []string
	if err := json.Unmarshal([]byte(row["ids"]), &ids); err != nil {
		return 0, fmt.Errorf("ids %q: %w", clip(row["ids"]), err)
	}
	n, err := strconv.Atoi(row["n"])
	if err != nil || n != len(ids) {
		return 0, fmt.Errorf("group of %q events lists %d", row["n"], len(ids))
	}
	obj := map[string]string{}
	for _, f := range slsFields {
		if v, ok := row[f]; ok && v != "null" && v != "" {
			obj["event."+f] = v
		}
	}
	slices.Sort(ids)
	for i, s := range ids {
		parts := strings.SplitN(s, " ", 3)
		if len(parts) != 3 {
			return 0, fmt.Errorf("event reference %q: want time, id and request id", s)
		}
		obj["__time__"] = parts[0]
		obj["event.eventId"] = parts[1]
		obj["event.requestId"] = parts[2]
		b, _ := json.Marshal(obj)
		o := origin
		o.Pos = int64(i)
		ev, err := ParseEvent(b, o)
		if err != nil {
			return 0, err
		}
		add(&ev)
	}
	return len(ids), nil
}

func atoi64(s string) int64 {
	v, _ := strconv.ParseInt(s, 10, 64)
	return v
}

func unixOrZero(s string) time.Time {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || s == "null" {
		return time.Time{}
	}
	return time.Unix(v, 0).UTC()
}

// mergeBy merges grouped rows of two windows: rows with the same key
// columns add their sum columns and fold first/last seen.
func mergeBy(keys, sums []string, minCol, maxCol string) slsq.Merge {
	return func(a, b slsq.Result) slsq.Result {
		idx := map[string]int{}
		keyOf := func(r map[string]string) string {
			var k []string
			for _, c := range keys {
				k = append(k, r[c])
			}
			return strings.Join(k, "\x00")
		}
		out := a
		out.Rows = slices.Clone(a.Rows)
		for i, r := range out.Rows {
			idx[keyOf(r)] = i
		}
		for _, r := range b.Rows {
			i, ok := idx[keyOf(r)]
			if !ok {
				idx[keyOf(r)] = len(out.Rows)
				out.Rows = append(out.Rows, r)
				continue
			}
			m := make(map[string]string, len(out.Rows[i]))
			for k, v := range out.Rows[i] {
				m[k] = v
			}
			for _, c := range sums {
				m[c] = strconv.FormatInt(atoi64(m[c])+atoi64(r[c]), 10)
			}
			if minCol != "" && atoi64(r[minCol]) < atoi64(m[minCol]) {
				m[minCol] = r[minCol]
			}
			if maxCol != "" && atoi64(r[maxCol]) > atoi64(m[maxCol]) {
				m[maxCol] = r[maxCol]
			}
			out.Rows[i] = m
		}
		if len(out.Columns) == 0 {
			out.Columns = b.Columns
		}
		return out
	}
}

// mergeSummary merges Q5 answers: counts add, first/last fold, the
// identity histograms add; distinct IPs (approx_distinct) cannot be merged
// and are recounted from Q1.
func mergeSummary(a, b slsq.Result) slsq.Result {
	if len(a.Rows) == 0 {
		return b
	}
	if len(b.Rows) == 0 {
		return a
	}
	x, y := a.Rows[0], b.Rows[0]
	m := map[string]string{"events": strconv.FormatInt(atoi64(x["events"])+atoi64(y["events"]), 10), "ips": "null"}
	m["first_seen"], m["last_seen"] = x["first_seen"], x["last_seen"]
	if x["first_seen"] == "null" || (y["first_seen"] != "null" && atoi64(y["first_seen"]) < atoi64(x["first_seen"])) {
		m["first_seen"] = y["first_seen"]
	}
	if x["last_seen"] == "null" || (y["last_seen"] != "null" && atoi64(y["last_seen"]) > atoi64(x["last_seen"])) {
		m["last_seen"] = y["last_seen"]
	}
	h := map[string]int64{}
	for _, s := range []string{x["identity_types"], y["identity_types"]} {
		var part map[string]int64
		if json.Unmarshal([]byte(s), &part) == nil {
			for k, v := range part {
				h[k] += v
			}
		}
	}
	hb, _ := json.Marshal(h)
	m["identity_types"] = string(hb)
	a.Rows = []map[string]string{m}
	return a
}

func fillReport(rep *SLSReport, r5, r1, r2, r3, r4 slsq.Result) {
	if len(r5.Rows) == 1 {
		s := r5.Rows[0]
		rep.Events = atoi64(s["events"])
		rep.FirstSeen, rep.LastSeen = unixOrZero(s["first_seen"]), unixOrZero(s["last_seen"])
		var h map[string]int64
		if json.Unmarshal([]byte(s["identity_types"]), &h) == nil {
			for k, v := range h {
				rep.IdentityTypes[k] = v
			}
		}
	}
	for _, r := range r1.Rows {
		rep.IPs = append(rep.IPs, SLSIP{IP: r["ip"], Calls: atoi64(r["calls"]), Errors: atoi64(r["errors"]), FirstSeen: unixOrZero(r["first_seen"]), LastSeen: unixOrZero(r["last_seen"]), Network: r["net"]})
	}
	slices.SortFunc(rep.IPs, func(a, b SLSIP) int {
		if a.Calls != b.Calls {
			return int(b.Calls - a.Calls)
		}
		return strings.Compare(a.IP, b.IP)
	})
	rep.DistinctIPs = len(rep.IPs)
	for _, r := range r2.Rows {
		rep.Names = append(rep.Names, SLSName{Service: r["service"], Name: r["name"], Calls: atoi64(r["calls"]), Errors: atoi64(r["errors"]), FirstSeen: unixOrZero(r["first_seen"]), LastSeen: unixOrZero(r["last_seen"])})
	}
	slices.SortFunc(rep.Names, func(a, b SLSName) int {
		if a.Calls != b.Calls {
			return int(b.Calls - a.Calls)
		}
		return strings.Compare(a.Service+a.Name, b.Service+b.Name)
	})
	for _, r := range r3.Rows {
		rep.Hours = append(rep.Hours, SLSBucket{Start: unixOrZero(r["hour"]), Calls: atoi64(r["calls"]), Errors: atoi64(r["errors"])})
	}
	slices.SortFunc(rep.Hours, func(a, b SLSBucket) int { return a.Start.Compare(b.Start) })
	for _, r := range r4.Rows {
		rep.Bursts = append(rep.Bursts, SLSBucket{Start: unixOrZero(r["minute"]), Code: r["code"], Errors: atoi64(r["n"]), Calls: atoi64(r["n"])})
	}
	slices.SortFunc(rep.Bursts, func(a, b SLSBucket) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.Code, b.Code)
	})
}
