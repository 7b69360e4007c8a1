package audit

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The read path is benchmarked on gzip JSON-array trail files shaped like
// ActionTrail's OSS deliveries. Set AKRESP_BENCH_TRAILS to a directory
// written by bench/gentrail to benchmark on that instead, e.g.
//
//	go run ./bench/gentrail -n 1000000 -files 100 -out /tmp/trails
//	AKRESP_BENCH_TRAILS=/tmp/trails go test -run XXX -bench ReadTrails ./internal/audit/

const (
	benchFiles         = 8
	benchEventsPerFile = 5000
)

var (
	benchOnce sync.Once
	benchDir  string
	benchErr  error
)

// benchTrails returns the benchmark input directory, writing it once.
func benchTrails(b *testing.B) string {
	b.Helper()
	if d := os.Getenv("AKRESP_BENCH_TRAILS"); d != "" {
		return d
	}
	benchOnce.Do(func() {
		benchDir, benchErr = os.MkdirTemp("", "akresp-bench-trails")
		if benchErr != nil {
			return
		}
		r := rand.New(rand.NewPCG(1, 2))
		at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for f := range benchFiles {
			var sb strings.Builder
			sb.WriteByte('[')
			for i := range benchEventsPerFile {
				if i > 0 {
					sb.WriteString(",\n")
				}
				sb.WriteString(benchEvent(r, at))
				at = at.Add(3 * time.Second)
			}
			sb.WriteString("]\n")
			fh, err := os.Create(filepath.Join(benchDir, fmt.Sprintf("1968132000123456_Actiontrail_cn-hangzhou_%04d.json.gz", f)))
			if err != nil {
				benchErr = err
				return
			}
			zw := gzip.NewWriter(fh)
			zw.Write([]byte(sb.String()))
			zw.Close()
			fh.Close()
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchDir
}

var benchActions = []struct{ svc, name, host, params string }{
	{"Ecs", "DescribeInstances", "ecs.cn-hangzhou.aliyuncs.com", `"PageSize":"50","PageNumber":"%d","InstanceIds":"[\"i-bp1%012d\"]"`},
	{"Ecs", "DescribeInstanceStatus", "ecs.cn-shanghai.aliyuncs.com", `"PageSize":"%d"`},
	{"Rds", "DescribeDBInstances", "rds.aliyuncs.com", `"PageSize":"30","PageNumber":"%d"`},
	{"Oss", "GetBucketInfo", "oss-cn-hangzhou.aliyuncs.com", `"BucketName":"app-assets-%d"`},
	{"Sls", "GetLogStoreLogs", "cn-hangzhou.log.aliyuncs.com", `"project":"app-logs","logstore":"svc-%d","query":"* | select count(1) as pv"`},
	{"Ram", "GetUser", "ram.aliyuncs.com", `"UserName":"svc-%02d"`},
	{"Sts", "AssumeRole", "sts.aliyuncs.com", `"RoleArn":"acs:ram::1968132000123456:role/ops","RoleSessionName":"s-%d","DurationSeconds":"3600"`},
	{"Ecs", "StartInstance", "ecs.cn-hangzhou.aliyuncs.com", `"InstanceId":"i-bp1%012d"`},
}

func benchEvent(r *rand.Rand, at time.Time) string {
	a := benchActions[r.IntN(len(benchActions))]
	u := r.IntN(24)
	rw := DeriveRW(a.name)
	params := a.params
	if strings.Count(params, "%") == 2 {
		params = fmt.Sprintf(params, r.IntN(5), r.IntN(1e9))
	} else {
		params = fmt.Sprintf(params, r.IntN(30))
	}
	id := fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", r.Uint32(), r.IntN(1<<16), r.IntN(1<<16), r.IntN(1<<16), r.Int64N(1<<48))
	req := strings.ToUpper(fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", r.Uint32(), r.IntN(1<<16), r.IntN(1<<16), r.IntN(1<<16), r.Int64N(1<<48)))
	resp := `{"RequestId":"` + req + `"}`
	return fmt.Sprintf(`{"eventId":"%s","eventVersion":1,"eventName":"%s","eventType":"ApiCall","eventCategory":"Management","eventRW":"%s",`+
		`"eventSource":"%s","eventTime":"%s","serviceName":"%s","apiVersion":"2014-05-26","acsRegion":"cn-hangzhou","requestId":"%s",`+
		`"sourceIpAddress":"203.0.113.%d","userAgent":"AlibabaCloud (linux; amd64) Go/1.22.3 Core/1.63.0 TeaDSL/1",`+
		`"requestParameters":{%s,"AcsHost":"%s","AcsProduct":"%s","RequestId":"%s","RegionId":"cn-hangzhou","HostId":"%s","AcceptLanguage":"en-US","charset":"UTF-8"},`+
		`"responseElements":%s,"isGlobal":false,"recipientAccountId":"1968132000123456",`+
		`"userIdentity":{"type":"ram-user","principalId":"2%015d","accountId":"1968132000123456","accessKeyId":"LTAI5t%018d","userName":"svc-%02d"}}`,
		id, a.name, rw, a.host, at.Format(time.RFC3339), a.svc, req, u*7%250, params, a.host, a.svc, req, a.host, resp, 4711+u, 9000000+u, u)
}

func benchRead(b *testing.B, opts ReadOptions) {
	dir := benchTrails(b)
	var events, bytes int64
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		st, probs, err := ReadTrails(context.Background(), []string{dir}, opts, func(*Event) error { return nil })
		if err != nil || len(probs) > 0 {
			b.Fatalf("err %v, problems %v", err, probs)
		}
		events += st.Events + st.Filtered
		bytes += st.Bytes
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.SetBytes(bytes / int64(b.N))
}

// BenchmarkReadTrails reads, inflates and parses every event.
func BenchmarkReadTrails(b *testing.B) { benchRead(b, ReadOptions{}) }

// BenchmarkReadTrailsKeyFilter is the audit of one key: records of other
// keys are dropped before parsing.
func BenchmarkReadTrailsKeyFilter(b *testing.B) {
	benchRead(b, ReadOptions{KeyID: "LTAI5t000000000009000003"})
}

func BenchmarkParseEvent(b *testing.B) {
	raw := []byte(benchEvent(rand.New(rand.NewPCG(3, 4)), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	p := newEventParser()
	var ev Event
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if err := p.parse(&ev, raw, Origin{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOSSLine(b *testing.B) {
	p := &ossParser{in: newInterner()}
	var ev Event
	b.SetBytes(int64(len(ossLine)))
	b.ReportAllocs()
	for b.Loop() {
		if err := p.parseLine(&ev, []byte(ossLine), Origin{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInvestigateOffline is the offline audit end to end (read,
// inflate, parse, every rule, the result) of the key under audit. Point
// AKRESP_BENCH_TRAILS at `go run ./bench/gentrail -single -out DIR` output
// (and AKRESP_BENCH_KEY at its -leaked key, default
// LTAI5tLEAKEDbenchKEY0001) for the busy single-key case; the default
// input is benchTrails' 40,000 events, 1 in 24 of them the audited key's.
func BenchmarkInvestigateOffline(b *testing.B) {
	dir := benchTrails(b)
	key := os.Getenv("AKRESP_BENCH_KEY")
	switch {
	case key != "":
	case os.Getenv("AKRESP_BENCH_TRAILS") != "":
		key = "LTAI5tLEAKEDbenchKEY0001"
	default:
		key = "LTAI5t000000000009000003"
	}
	var events int64
	b.ReportAllocs()
	for b.Loop() {
		r, err := Investigate(context.Background(), nil, InvestigateOptions{
			Engine: Options{KeyID: key, Now: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)},
			Trails: []string{dir},
		})
		if err != nil {
			b.Fatal(err)
		}
		events += int64(r.Window.Events + r.Window.Filtered)
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

// The fast paths measured above must not change what is read. These tests
// pin them against a reference computed element by element.

// TestKeyFilterFastPath checks the in-place parse under a key filter
// (splitter.array with ReadOptions.KeyID) against the definition: an
// element whose bytes lack the key ID is filtered unparsed, one that holds
// it is parsed, reported if malformed, filtered if made with another key.
func TestKeyFilterFastPath(t *testing.T) {
	const key = "LTAI5tFastPathKey0000001"
	at := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	ev := func(i int, k, extra string) string {
		return fmt.Sprintf(`{"eventId":"e-%d","eventName":"GetUser","eventTime":"%s","requestId":"r-%d",%s"userIdentity":{"accessKeyId":"%s"},"requestParameters":{"RequestId":"r-%d","UserName":"u%d"}}`,
			i, at.Add(time.Duration(i)*time.Second).Format(time.RFC3339), i, extra, k, i, i)
	}
	pad := func(n int) string { return `"pad":"` + strings.Repeat("x", n) + `",` }
	escaped := `\u004cTAI5tFastPathKey0000001` // the key, but not its bytes
	type elem struct {
		raw  string
		want string // "event", "filtered" or "problem"
	}
	r := rand.New(rand.NewPCG(7, 8))
	var elems []elem
	for i := range 2000 {
		var e elem
		switch x := r.IntN(20); {
		case x < 8:
			e = elem{ev(i, key, ""), "event"}
		case x < 12:
			e = elem{ev(i, "LTAI5tSomebodyElse000001", ""), "filtered"}
		case x == 12: // the key in a parameter, another key's event
			e = elem{ev(i, "LTAI5tSomebodyElse000001", `"note":"`+key+`",`), "filtered"}
		case x == 13: // escaped: decodes to the key, bytes do not hold it
			e = elem{ev(i, escaped, ""), "filtered"}
		case x == 14: // holds the key but is not an event
			e = elem{fmt.Sprintf(`{"eventId":"e-%d","note":"%s"}`, i, key), "problem"}
		case x == 15: // not an event, no key: never parsed
			e = elem{fmt.Sprintf(`{"eventId":"e-%d"}`, i), "filtered"}
		case x == 16: // larger than the fast path's look-ahead and buffer
			e = elem{ev(i, key, pad(20_000+r.IntN(60_000))), "event"}
		case x == 17: // another key's, far from the next occurrence
			e = elem{ev(i, "LTAI5tSomebodyElse000001", pad(17_000+r.IntN(30_000))), "filtered"}
		case x == 18:
			e = elem{ev(i, key, `"resp":{"a":[1,2,{"b":null}],"c":"\"}"},`), "event"}
		default: // wrong type: holds the key, reported
			e = elem{strings.Replace(ev(i, key, ""), `"eventTime":"`, `"eventTime":["`, 1), "problem"}
			e.raw = strings.Replace(e.raw, `","requestId"`, `"],"requestId"`, 1)
		}
		elems = append(elems, e)
	}
	var want []string
	var wantFiltered, wantSkipped int64
	for i, e := range elems {
		switch e.want {
		case "event":
			want = append(want, fmt.Sprintf("e-%d", i))
		case "filtered":
			wantFiltered++
		case "problem":
			wantSkipped++
		}
	}
	var sb strings.Builder
	sb.WriteString("[")
	for i, e := range elems {
		if i > 0 {
			sb.WriteString(",\n")
		}
		sb.WriteString(e.raw)
	}
	sb.WriteString("]\n")
	dir := t.TempDir()
	for _, gz := range []bool{false, true} {
		name := filepath.Join(dir, fmt.Sprintf("trail-%v.json", gz))
		data := []byte(sb.String())
		if gz {
			var buf strings.Builder
			zw := gzip.NewWriter(&buf)
			zw.Write(data)
			zw.Close()
			name += ".gz"
			data = []byte(buf.String())
		}
		if err := os.WriteFile(name, data, 0o600); err != nil {
			t.Fatal(err)
		}
		t.Run(filepath.Base(name), func(t *testing.T) {
			var got []string
			st, probs, err := ReadTrails(context.Background(), []string{name}, ReadOptions{KeyID: key, Workers: 1}, func(e *Event) error {
				if e.AccessKeyID != key || e.RequestID != "r"+strings.TrimPrefix(e.ID, "e") || e.Params["RequestId"] != e.RequestID {
					t.Errorf("event %s: key %q, request %q, RequestId param %q", e.ID, e.AccessKeyID, e.RequestID, e.Params["RequestId"])
				}
				got = append(got, e.ID)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("got %d events, want %d; first difference at %d", len(got), len(want), firstDiff(got, want))
			}
			if st.Events != int64(len(want)) || st.Filtered != wantFiltered || st.Skipped != wantSkipped || int64(len(probs)) != wantSkipped {
				t.Errorf("stats %+v, %d problems; want %d events, %d filtered, %d skipped", st, len(probs), len(want), wantFiltered, wantSkipped)
			}
			for _, p := range probs {
				if p.Unit != "event" || p.Pos < 1 || p.Pos > int64(len(elems)) || elems[p.Pos-1].want != "problem" {
					t.Errorf("unexpected problem %s", p)
				}
			}
		})
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestParseSharedIDs checks that eventId and requestId (parsed into one
// allocation when both are plain strings) and the gateway's RequestId
// parameter decode as the fields say, in any order and with duplicates
// (the last one wins, as with encoding/json).
func TestParseSharedIDs(t *testing.T) {
	tail := `"eventName":"GetUser","eventTime":"2026-01-01T00:00:00Z"`
	for _, tc := range []struct{ name, body, id, req, param string }{
		{"id then request", `"eventId":"a-1","requestId":"R-1","requestParameters":{"RequestId":"R-1"}`, "a-1", "R-1", "R-1"},
		{"request then id", `"requestId":"R-1","eventId":"a-1"`, "a-1", "R-1", ""},
		{"id only", `"eventId":"a-1"`, "a-1", "", ""},
		{"request only", `"requestId":"R-1"`, "", "R-1", ""},
		{"escaped id", `"eventId":"a\u002d1","requestId":"R-1"`, "a-1", "R-1", ""},
		{"escaped request", `"eventId":"a-1","requestId":"R\u002d1","requestParameters":{"RequestId":"R-1"}`, "a-1", "R-1", "R-1"},
		{"numeric id", `"eventId":17,"requestId":"R-1"`, "17", "R-1", ""},
		{"null id", `"eventId":null,"requestId":"R-1"`, "", "R-1", ""},
		{"duplicate id after request", `"eventId":"a-1","requestId":"R-1","eventId":"a-2"`, "a-2", "R-1", ""},
		{"duplicate id before request", `"eventId":"a-1","eventId":"a-2","requestId":"R-1"`, "a-2", "R-1", ""},
		{"duplicate request", `"eventId":"a-1","requestId":"R-1","requestId":"R-2"`, "a-1", "R-2", ""},
		{"parameter differs", `"eventId":"a-1","requestId":"R-1","requestParameters":{"RequestId":"R-1-but-longer-than-thirty-two-bytes"}`, "a-1", "R-1", "R-1-but-longer-than-thirty-two-bytes"},
		{"long ids", `"eventId":"` + strings.Repeat("i", 100) + `","requestId":"` + strings.Repeat("r", 100) + `","requestParameters":{"RequestId":"` + strings.Repeat("r", 100) + `"}`,
			strings.Repeat("i", 100), strings.Repeat("r", 100), strings.Repeat("r", 100)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := []byte("{" + tc.body + "," + tail + "}")
			if !json.Valid(raw) {
				t.Fatalf("test input is not JSON: %s", raw)
			}
			ev, err := ParseEvent(raw, Origin{})
			if err != nil {
				t.Fatal(err)
			}
			if ev.ID != tc.id || ev.RequestID != tc.req || ev.Params["RequestId"] != tc.param {
				t.Errorf("got ID %q, RequestID %q, RequestId param %q; want %q, %q, %q", ev.ID, ev.RequestID, ev.Params["RequestId"], tc.id, tc.req, tc.param)
			}
		})
	}
}
