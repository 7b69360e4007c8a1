package audit

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Event times outside [2010-01-01, now + 1 day] are malformed: the engine
// keeps UnixNano, so a year-9999 time would otherwise wrap to 1816 and a
// far-future one would sit after every window. Every reader reports them
// with file and position and never delivers them.

// timedEvent is an ActionTrail event whose eventTime member is the JSON
// value tv (a quoted string or a number).
func timedEvent(id string, tv string) string {
	return fmt.Sprintf(`{"eventId":"%s","eventName":"DescribeInstances","serviceName":"Ecs","eventTime":%s,`+
		`"userIdentity":{"type":"ram-user","accessKeyId":"%s","userName":"u"}}`, id, tv, sampleKey)
}

func TestEventTimeRange(t *testing.T) {
	now := time.Now().UTC()
	q := func(s string) string { return `"` + s + `"` }
	ossAt := func(tm string) string {
		return strings.Replace(ossLine, "01/Mar/2026:17:21:02 +0800", tm, 1)
	}
	ossJSON := func(tv string) string {
		return `{"__time__":` + tv + `,"client_ip":"1.2.3.4","operation":"GetObject","bucket":"b","access_id":"` + sampleKey + `"}`
	}
	slsRow := func(field, tv string) string {
		return `{"` + field + `":` + tv + `,"Method":"PullLogs","AccessKeyId":"` + sampleKey + `","SourceIP":"1.1.1.1"}`
	}
	type rec struct {
		text string
		bad  bool // must be reported, not delivered
	}
	good := []rec{
		{timedEvent("in-range", q("2026-03-01T00:00:00Z")), false},
		{timedEvent("first-second", q("2010-01-01T00:00:00Z")), false},
		{timedEvent("in-23h", q(now.Add(23*time.Hour).Format(time.RFC3339))), false},
	}
	bad := []rec{
		{timedEvent("y9999", q("9999-12-31T23:59:59Z")), true}, // wrapped to 1816 before
		{timedEvent("y2263", q("2263-01-01T00:00:00Z")), true},
		{timedEvent("y1677", q("1677-01-01T00:00:00Z")), true},
		{timedEvent("y1970", q("1970-01-01T00:00:00Z")), true},
		{timedEvent("y2009", q("2009-12-31T23:59:59Z")), true},
		{timedEvent("in-2d", q(now.Add(48*time.Hour).Format(time.RFC3339))), true},
		{timedEvent("unix-secs-3000", "32503680000"), true},            // seconds: year 3000
		{timedEvent("unix-ms-1970", "1"), true},                        // seconds: 1970
		{timedEvent("unix-ns-2262", "9223372036854775807"), true},      // nanoseconds: 2262
		{timedEvent("text-9999", q("9999-12-31 23:59:59")), true},      // other layout
		{timedEvent("frac-9999", q("9999-12-31T23:59:59.999Z")), true}, // RFC 3339 with fraction
	}
	trailRecs := append(append([]rec{}, good...), bad...)

	arrayOf := func(rs []rec) string {
		var b strings.Builder
		b.WriteString("[\n")
		for i, r := range rs {
			if i > 0 {
				b.WriteString(",\n")
			}
			b.WriteString(r.text)
		}
		b.WriteString("\n]\n")
		return b.String()
	}
	linesOf := func(rs []rec) string {
		var b strings.Builder
		for _, r := range rs {
			b.WriteString(r.text + "\n")
		}
		return b.String()
	}
	ossRecs := []rec{
		{ossLine, false},
		{ossAt("31/Dec/9999:23:59:59 +0000"), true},
		{ossAt("01/Jan/1970:00:00:00 +0000"), true},
		{ossAt(now.Add(72 * time.Hour).Format("02/Jan/2006:15:04:05 -0700")), true},
		{ossJSON(`"1772356862"`), false},
		{ossJSON(`"32503680000"`), true},
		{ossJSON(`"1"`), true},
	}
	slsRecs := []rec{
		{slsRow("__time__", `"1772384400"`), false},
		{slsRow("microtime", `"1772384400654321"`), false},
		{slsRow("__time__", `"3"`), true},
		{slsRow("__time__", `"32503680000"`), true},
		{slsRow("microtime", `"99999999999999999"`), true}, // ns, still 1973
		{slsRow("Time", `"9999-12-31 23:59:59"`), true},
	}
	tests := []struct {
		name string
		read func() collected
		recs []rec
		unit string
	}{
		{"trail JSON array", func() collected {
			return readAll(t, ReadTrails, []string{writeFile(t, t.TempDir(), "a.json", []byte(arrayOf(trailRecs)))}, ReadOptions{})
		}, trailRecs, "event"},
		{"trail JSON array gzip", func() collected {
			return readAll(t, ReadTrails, []string{writeFile(t, t.TempDir(), "a.json.gz", gz(t, arrayOf(trailRecs)))}, ReadOptions{KeyID: sampleKey})
		}, trailRecs, "event"},
		{"trail JSON lines", func() collected {
			return readAll(t, ReadTrails, []string{writeFile(t, t.TempDir(), "a.jsonl", []byte(linesOf(trailRecs)))}, ReadOptions{})
		}, trailRecs, "line"},
		{"OSS access log", func() collected {
			return readAll(t, ReadOSSLogs, []string{writeFile(t, t.TempDir(), "oss.log", []byte(linesOf(ossRecs)))}, ReadOptions{})
		}, ossRecs, "line"},
		{"SLS operation log", func() collected {
			return readAll(t, ReadSLSLogs, []string{writeFile(t, t.TempDir(), "sls.jsonl", []byte(linesOf(slsRecs)))}, ReadOptions{})
		}, slsRecs, "line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.read()
			if c.err != nil {
				t.Fatal(c.err)
			}
			var wantGood, wantBad int
			badAt := map[int64]bool{}
			for i, r := range tt.recs {
				if r.bad {
					wantBad++
					badAt[int64(i+1)] = true
				} else {
					wantGood++
				}
			}
			if int(c.stats.Events) != wantGood || len(c.events) != wantGood || int(c.stats.Skipped) != wantBad {
				t.Errorf("stats %+v, %d events delivered; want %d events, %d skipped; problems %q", c.stats, len(c.events), wantGood, wantBad, c.problemStrings())
			}
			for _, e := range c.events {
				if e.Time.Before(EarliestEventTime) || e.Time.After(now.Add(MaxClockSkew+time.Minute)) {
					t.Errorf("delivered an event dated %s", e.Time)
				}
				if y := time.Unix(0, e.Time.UnixNano()).UTC(); !y.Equal(e.Time) {
					t.Errorf("event time %s does not survive UnixNano (%s)", e.Time, y)
				}
			}
			for _, p := range c.probs {
				if p.Unit != tt.unit || !badAt[p.Pos] || !strings.Contains(p.Msg, "outside the accepted range 2010-01-01 to ") {
					t.Errorf("problem %q: want a %s position of an out-of-range record and the accepted range", p.String(), tt.unit)
				}
			}
		})
	}
}

func TestEventTimeRangeStrictAndParseEvent(t *testing.T) {
	raw := timedEvent("y9999", `"9999-12-31T00:00:00Z"`)
	_, err := ParseEvent([]byte(raw), Origin{})
	if _, ok := err.(*TimeRangeError); !ok {
		t.Fatalf("ParseEvent(9999-12-31) = %v, want a *TimeRangeError", err)
	}
	p := writeFile(t, t.TempDir(), "a.json", []byte("["+timedEvent("ok", `"2026-03-01T00:00:00Z"`)+","+raw+"]"))
	c := readAll(t, ReadTrails, []string{p}, ReadOptions{Strict: true})
	if c.err == nil || !strings.Contains(c.err.Error(), "a.json: event 2: eventTime 9999-12-31T00:00:00Z is outside") {
		t.Fatalf("strict read: err %v, want event 2 named", c.err)
	}
	// A lookup page goes through the same check.
	perr := ReadLookupPage([]json.RawMessage{json.RawMessage(raw)}, func(*Event) error {
		t.Fatal("delivered a year-9999 event")
		return nil
	})
	if pe, ok := perr.(*PageError); !ok || len(pe.Problems) != 1 {
		t.Fatalf("ReadLookupPage: %v", perr)
	}
}
