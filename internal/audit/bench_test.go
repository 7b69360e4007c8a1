package audit

import (
	"compress/gzip"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
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
