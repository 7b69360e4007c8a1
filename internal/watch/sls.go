package watch

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/akresp/akresp/internal/lazyre"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/akresp/akresp/internal/audit"
	"github.com/akresp/akresp/internal/cloud/slsq"
	"github.com/akresp/akresp/internal/safetext"
)

// The SLS push-down (docs/watch.md "--sls"). The trail delivered to an SLS
// logstore is evaluated with the same rules, state and alerts as the
// LookupEvents path, but SLS does the filtering and counting:
//
//	W1 ak_frequency: one grouped count per AccessKey and 10-minute bucket
//	   over the window (akresp's own calls excluded in SQL). Only for a key
//	   an earlier alert covered part of the window is its count asked again
//	   from the covered mark on (W1.k), and only for a key that fires are
//	   its first five events, its last event and its source IPs asked (W2).
//	W3 the event rules: search-only queries for the matching events alone
//	   (root-account identities; StopLogging/DeleteTrail; the persistence
//	   calls; secret-scanner user agents), paged and checked by the same
//	   Go rules as the LookupEvents path.
//
// An answer SLS cannot complete fails the run (exit 1), never a partial
// evaluation presented as complete.

// SLSSource is the logstore watch reads with --sls.
type SLSSource struct {
	Q      audit.SLSQuerier
	Target slsq.Target
	// Topic is the logstore topic of the trail; "" = audit.DefaultSLSTopic.
	Topic string
}

// Limits of the push-down queries.
const (
	slsGroupLimit = 10000 // LIMIT of grouped queries; reaching it splits the window
	slsBucket     = 600   // W1's bucket: 10 minutes, in seconds
)

var (
	slsKeyRe   = lazyre.New(`^[A-Za-z0-9.]{1,128}$`)
	slsTopicRe = lazyre.New(`^[A-Za-z0-9_]{1,128}$`)
	slsWordRe  = lazyre.New(`^[A-Za-z0-9._-]{1,64}$`)
)

// slsNeed are the event keys the search parts name: a logstore that does
// not index them is not an ActionTrail logstore.
var slsNeed = []string{"userIdentity.accessKeyId", "userIdentity.type", "eventName", "serviceName", "errorCode", "userAgent"}

type slsPlan struct {
	topic string
	index map[string]bool
	self  string // akresp's own user agent fragment
}

// col is the SQL expression of event key k: its column when indexed for
// analytics, else extracted from the event JSON.
func (p slsPlan) col(k string) string {
	if p.index == nil || p.index[k] {
		return `"event.` + k + `"`
	}
	return "json_extract_scalar(event, '$." + k + "')"
}

func sqlQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// counted is the SQL condition of an event that counts: made with a key,
// not by akresp.
func (p slsPlan) counted() string {
	like := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(p.self)
	esc := ""
	if like != p.self {
		esc = ` ESCAPE '\'`
	}
	ak := p.col("userIdentity.accessKeyId")
	return ak + ` IS NOT NULL AND ` + ak + ` <> '' AND coalesce(` + p.col("userAgent") + `, '') NOT LIKE ` + sqlQuote("%"+like+"%") + esc
}

func (p slsPlan) sel() string {
	return `__topic__: ` + p.topic + ` and event.userIdentity.accessKeyId: *`
}

func (p slsPlan) keySel(key string) string {
	return `__topic__: ` + p.topic + ` and event.userIdentity.accessKeyId: ` + key
}

func (p slsPlan) keyWhere(key string) string {
	return p.counted() + ` AND ` + p.col("userIdentity.accessKeyId") + ` = ` + sqlQuote(key)
}

// w1 counts every key's calls per 10-minute bucket.
func (p slsPlan) w1() string {
	ak := p.col("userIdentity.accessKeyId")
	b := `__time__ - __time__ % ` + strconv.Itoa(slsBucket)
	return p.sel() + ` | SELECT ` + ak + ` AS ak, ` + b + ` AS bucket, count(*) AS n FROM log WHERE ` + p.counted() +
		` GROUP BY ` + ak + `, ` + b + ` LIMIT ` + strconv.Itoa(slsGroupLimit)
}

// w1k counts one key's calls.
func (p slsPlan) w1k(key string) string {
	return p.keySel(key) + ` | SELECT count(*) AS n FROM log WHERE ` + p.keyWhere(key)
}

// eventCols are the event keys W2 reads of a key's first and last events.
var eventCols = []string{"eventId", "requestId", "eventName", "serviceName", "sourceIpAddress", "userAgent", "errorCode",
	"userIdentity.accessKeyId", "userIdentity.type", "userIdentity.userName", "userIdentity.principalId"}

func (p slsPlan) w2Events(key string, desc bool, limit int) string {
	var cols []string
	for i, k := range eventCols {
		cols = append(cols, p.col(k)+` AS c`+strconv.Itoa(i))
	}
	dir := ""
	if desc {
		dir = " DESC"
	}
	return p.keySel(key) + ` | SELECT __time__ AS t, ` + strings.Join(cols, ", ") + ` FROM log WHERE ` + p.keyWhere(key) +
		` ORDER BY __time__` + dir + `, ` + p.col("eventId") + dir + ` LIMIT ` + strconv.Itoa(limit)
}

func (p slsPlan) w2IPs(key string) string {
	ip := p.col("sourceIpAddress")
	return p.keySel(key) + ` | SELECT ` + ip + ` AS ip, count(*) AS n FROM log WHERE ` + p.keyWhere(key) + ` GROUP BY ` + ip + ` LIMIT ` + strconv.Itoa(slsGroupLimit)
}

func orTerms(key string, values []string) string {
	var t []string
	for _, v := range values {
		t = append(t, key+": "+v)
	}
	return "(" + strings.Join(t, " or ") + ")"
}

// w3 is the search part fetching the events a rule can match; the Go rule
// then decides, as on the LookupEvents path.
func (p slsPlan) w3(rule string) string {
	base := `__topic__: ` + p.topic + ` and event.userIdentity.accessKeyId: * and `
	switch rule {
	case RuleRootKey:
		return base + `event.userIdentity.type: root-account`
	case RuleTrailStopped:
		return base + `event.serviceName: Actiontrail and ` + orTerms("event.eventName", []string{"StopLogging", "DeleteTrail"}) + ` not event.errorCode: *`
	case RulePersistence:
		var names []string
		for n := range persistenceCalls {
			names = append(names, n)
		}
		slices.Sort(names)
		return base + orTerms("event.serviceName", []string{"Ram", "Ims"}) + ` and ` + orTerms("event.eventName", names) + ` not event.errorCode: *`
	case RuleScanner:
		var agents []string
		for _, a := range audit.DefaultScannerAgents {
			a = strings.ToLower(a)
			if slsWordRe.MatchString(a) && !slices.Contains(agents, a+"*") {
				agents = append(agents, a+"*")
			}
		}
		return base + orTerms("event.userAgent", agents)
	}
	panic("watch: no SLS query for rule " + rule)
}

// runSLS evaluates the rules from the logstore.
func runSLS(ctx context.Context, src *SLSSource, st, next *State, o Options, from, now time.Time, res *Result) ([]Alert, error) {
	topic := src.Topic
	if topic == "" {
		topic = audit.DefaultSLSTopic
	}
	switch {
	case src.Q == nil:
		return nil, fmt.Errorf("watch --sls: no SLS client")
	case !slsTopicRe.MatchString(topic):
		return nil, fmt.Errorf("watch --sls: topic %q: want letters, digits and _", topic)
	}
	index, err := src.Q.IndexKeys(ctx, src.Target)
	if err != nil {
		return nil, fmt.Errorf("watch --sls: read the index of %s: %w", src.Target, err)
	}
	res.SLSCalls++
	for _, k := range slsNeed {
		if !index[k] {
			return nil, fmt.Errorf("watch --sls: logstore %s does not index event.%s, which the push-down needs; is it an ActionTrail logstore (topic %s)?", src.Target, k, topic)
		}
	}
	p := slsPlan{topic: topic, index: index, self: o.SelfUserAgent}
	// [from, to) in seconds covering [from, now] inclusive, like the
	// LookupEvents window.
	win := slsq.Window{From: from.Unix(), To: now.Unix() + 1}
	query := func(name, q string, w slsq.Window, merge slsq.Merge, rowCap int) (slsq.Result, error) {
		r, err := src.Q.Query(ctx, slsq.Request{Target: src.Target, Window: w, Query: q, RowCap: rowCap}, merge)
		res.SLSCalls += r.Calls
		if err != nil {
			return r, fmt.Errorf("watch --sls: query %s: %w", name, err)
		}
		if !r.Complete {
			return r, &audit.SLSIncompleteError{Target: src.Target.String(), Query: name, Missing: r.Missing}
		}
		return r, nil
	}

	// W1: per key and 10-minute bucket.
	r, err := query("W1", p.w1(), win, mergeSum([]string{"ak", "bucket"}), slsGroupLimit)
	if err != nil {
		return nil, err
	}
	total := map[string]int{}
	for _, row := range r.Rows {
		if k := row["ak"]; k != "" && k != "null" {
			total[k] += atoi(row["n"])
		}
	}
	keys := make([]string, 0, len(total))
	for k := range total {
		keys = append(keys, k)
	}
	sort.Strings(keys)

	var alerts []Alert
	for _, k := range keys {
		// A key is placed in queries only when it is a plain key ID.
		if !slsKeyRe.MatchString(k) {
			res.Diagnostics = append(res.Diagnostics, fmt.Sprintf("AccessKey ID %q cannot be searched in SLS (want letters, digits and dots): its frequency was not evaluated", safetext.Line(clipKey(k))))
			continue
		}
		// The events after the key's covered mark: all of them unless an
		// alert covered part of this window.
		kw := win
		if mark, ok := st.Covered[RuleFrequency+"|"+k]; ok && mark.Unix() >= win.From {
			kw.From = mark.Unix() + 1
		}
		n := total[k]
		if kw.From != win.From {
			n = 0
			if kw.From < kw.To {
				r, err := query("W1.k", p.w1k(k), kw, mergeSum(nil), 0)
				if err != nil {
					return nil, err
				}
				for _, row := range r.Rows {
					n += atoi(row["n"])
				}
			}
		}
		base, fires := frequencyDecide(k, n, st, next, o, true)
		if !fires {
			continue
		}
		s, err := slsSummary(p, k, kw, n, query)
		if err != nil {
			return nil, err
		}
		alerts = append(alerts, frequencyAlert(k, s, base, next, o, now))
	}

	// W3: the event rules, on their matching events only.
	for _, rule := range eventRules {
		r, err := src.Q.Page(ctx, slsq.Request{Target: src.Target, Window: win, Query: p.w3(rule.rule)})
		res.SLSCalls += r.Calls
		if err != nil {
			return nil, fmt.Errorf("watch --sls: query W3 (%s): %w", rule.rule, err)
		}
		if !r.Complete {
			return nil, &audit.SLSIncompleteError{Target: src.Target.String(), Query: "W3 " + rule.rule, Missing: r.Missing}
		}
		var evs []audit.Event
		seen := map[string]bool{}
		for _, row := range r.Rows {
			b, _ := json.Marshal(row)
			ev, err := audit.ParseEvent(b, audit.Origin{Kind: audit.OriginSLSQuery, File: src.Target.String()})
			if err != nil || !counts(&ev, o) {
				continue
			}
			if ev.ID != "" {
				if seen[strings.ToUpper(ev.ID)] {
					continue
				}
				seen[strings.ToUpper(ev.ID)] = true
			}
			evs = append(evs, ev)
		}
		sortEvents(evs)
		byKey, ks := groupByKey(evs)
		for _, k := range ks {
			if a, ok := rule.eval(k, byKey[k], st, next, now, o.Window); ok {
				alerts = append(alerts, a)
			}
		}
	}
	return alerts, nil
}

// slsSummary asks SLS what the frequency alert of key says of its n calls
// in w: the first five and the last event, and the source IPs (W2).
func slsSummary(p slsPlan, key string, w slsq.Window, n int, query func(string, string, slsq.Window, slsq.Merge, int) (slsq.Result, error)) (summary, error) {
	s := summary{n: n}
	first, err := query("W2.first", p.w2Events(key, false, 5), w, mergeOrdered(false, 5), 0)
	if err != nil {
		return s, err
	}
	last, err := query("W2.last", p.w2Events(key, true, 1), w, mergeOrdered(true, 1), 0)
	if err != nil {
		return s, err
	}
	if len(first.Rows) == 0 || len(last.Rows) == 0 {
		return s, fmt.Errorf("watch --sls: SLS counted %d calls of %s but returned none of them; the answer is inconsistent", n, key)
	}
	parse := func(row map[string]string) (audit.Event, error) {
		obj := map[string]string{"__time__": row["t"]}
		for i, k := range eventCols {
			if v, ok := row["c"+strconv.Itoa(i)]; ok && v != "null" && v != "" {
				obj["event."+k] = v
			}
		}
		b, _ := json.Marshal(obj)
		return audit.ParseEvent(b, audit.Origin{Kind: audit.OriginSLSQuery})
	}
	for i, row := range sortedRows(first.Rows, false) {
		ev, err := parse(row)
		if err != nil {
			return s, fmt.Errorf("watch --sls: SLS returned an unreadable event: %w", err)
		}
		if i == 0 {
			s.first = ev
		}
		s.ids = append(s.ids, ev.ID)
	}
	if s.last, err = parse(sortedRows(last.Rows, true)[0]); err != nil {
		return s, fmt.Errorf("watch --sls: SLS returned an unreadable event: %w", err)
	}
	ips, err := query("W2.ips", p.w2IPs(key), w, mergeSum([]string{"ip"}), slsGroupLimit)
	if err != nil {
		return s, err
	}
	for _, row := range ips.Rows {
		if ip := row["ip"]; ip != "" && ip != "null" && !slices.Contains(s.ips, ip) {
			s.ips = append(s.ips, ip)
		}
	}
	sort.Strings(s.ips)
	return s, nil
}

func clipKey(k string) string {
	if len(k) > 64 {
		return k[:64] + "..."
	}
	return k
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// mergeSum merges grouped counts of two windows: rows with the same key
// columns add their n.
func mergeSum(keys []string) slsq.Merge {
	return func(a, b slsq.Result) slsq.Result {
		keyOf := func(r map[string]string) string {
			var k []string
			for _, c := range keys {
				k = append(k, r[c])
			}
			return strings.Join(k, "\x00")
		}
		idx := map[string]int{}
		out := a
		out.Rows = nil
		for _, r := range append(slices.Clone(a.Rows), b.Rows...) {
			k := keyOf(r)
			i, ok := idx[k]
			if !ok {
				idx[k] = len(out.Rows)
				out.Rows = append(out.Rows, r)
				continue
			}
			m := map[string]string{}
			for c, v := range out.Rows[i] {
				m[c] = v
			}
			m["n"] = strconv.Itoa(atoi(m["n"]) + atoi(r["n"]))
			out.Rows[i] = m
		}
		if len(out.Columns) == 0 {
			out.Columns = b.Columns
		}
		return out
	}
}

// sortedRows orders W2 rows by time, then event ID (c0), descending when
// desc.
func sortedRows(rows []map[string]string, desc bool) []map[string]string {
	rows = slices.Clone(rows)
	sort.SliceStable(rows, func(i, j int) bool {
		ti, tj := atoi(rows[i]["t"]), atoi(rows[j]["t"])
		less := ti < tj || (ti == tj && rows[i]["c0"] < rows[j]["c0"])
		if desc {
			less = ti > tj || (ti == tj && rows[i]["c0"] > rows[j]["c0"])
		}
		return less
	})
	return rows
}

// mergeOrdered merges the ordered, limited W2 answers of two windows.
func mergeOrdered(desc bool, limit int) slsq.Merge {
	return func(a, b slsq.Result) slsq.Result {
		rows := sortedRows(append(slices.Clone(a.Rows), b.Rows...), desc)
		a.Rows = rows[:min(limit, len(rows))]
		if len(a.Columns) == 0 {
			a.Columns = b.Columns
		}
		return a
	}
}
