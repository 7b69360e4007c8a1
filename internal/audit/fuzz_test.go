package audit

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The fuzz targets check that no input panics or hangs the readers, and
// that what they accept is sane. Seed corpora live in testdata/fuzz.

func FuzzParseEvent(f *testing.F) {
	f.Add([]byte(realEvent))
	f.Add([]byte(mkEvent(1, sampleKey, t0)))
	f.Add([]byte(`{"event":"{\"eventName\":\"X\",\"eventTime\":\"2026-01-01T00:00:00Z\"}","__time__":"1"}`))
	f.Add([]byte(`{"eventName":"CreateX","eventTime":1,"responseElements":"{\"a\":[1,2,{\"b\":null}]}"}`))
	f.Add([]byte(timedEvent("y9999", `"9999-12-31T23:59:59Z"`)))
	f.Add([]byte(timedEvent("y2262", `"2262-04-11T23:47:17Z"`)))
	f.Add([]byte(timedEvent("ns", `9223372036854775807`)))
	f.Add([]byte(`{"eventName":"X","__time__":"32503680000"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		ev, err := ParseEvent(raw, Origin{})
		if err != nil {
			return
		}
		// Differential check: the hand-written parser accepts only JSON.
		if !json.Valid(raw) {
			t.Fatalf("ParseEvent accepted invalid JSON %q", raw)
		}
		if ev.Name == "" || ev.Time.Location() != time.UTC || (ev.RW != "Read" && ev.RW != "Write") {
			t.Fatalf("accepted event lacks name, UTC time or RW: %+v", ev)
		}
		if ev.Response != nil && ev.RW != "Write" {
			t.Fatalf("response kept for a read: %+v", ev)
		}
		checkFuzzTime(t, ev.Time)
	})
}

func FuzzReadTrail(f *testing.F) {
	ev := events(3)
	f.Add([]byte("[" + ev[0] + "," + ev[1] + "]"))
	f.Add([]byte(ev[0] + "\n" + ev[1] + "\n"))
	f.Add([]byte(`{"RequestId":"x","Events":[` + ev[2] + `]}`))
	f.Add(gz(f, "["+ev[0]+"]", "["+ev[1]+"]"))
	f.Add([]byte("[" + ev[0] + "," + timedEvent("y9999", `"9999-12-31T23:59:59Z"`) + "]"))
	f.Add([]byte("[" + ev[0] + ",\"\\"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "trail")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		var n int64
		st, probs, err := ReadTrails(context.Background(), []string{p}, ReadOptions{MaxLineBytes: 2048, Workers: 1}, func(e *Event) error {
			n++
			if e.Name == "" || e.Time.IsZero() || e.Source.File != p {
				t.Fatalf("delivered a bad event: %+v", e)
			}
			checkFuzzTime(t, e.Time)
			return nil
		})
		if err != nil {
			t.Fatalf("ReadTrails: %v", err)
		}
		if st.Events != n || st.Files != 1 || st.Skipped != int64(len(probs)) {
			t.Fatalf("stats %+v do not match %d events, %d problems", st, n, len(probs))
		}
		for _, pr := range probs {
			if pr.File != p || pr.Msg == "" {
				t.Fatalf("problem without file or message: %+v", pr)
			}
		}
	})
}

func FuzzOSSLogLine(f *testing.F) {
	f.Add(ossLine)
	f.Add(`1.2.3.4 - - [01/Mar/2026:17:22:10 +0800] "GET / HTTP/1.1" 200 1 1 "-" "a \"b\"" "h" "r" "true" "-" "GetService" "-" "-" - 1 "-" 1 "1" - "-"`)
	f.Add(`{"__time__":"1772356862","operation":"GetObject","object":"%zz"}`)
	f.Add(strings.Replace(ossLine, "01/Mar/2026:17:21:02 +0800", "31/Dec/9999:23:59:59 +0000", 1))
	f.Add(`{"__time__":"32503680000","operation":"GetObject"}`)
	f.Fuzz(func(t *testing.T, line string) {
		p := &ossParser{in: newInterner()}
		var ev Event
		if err := p.parseLine(&ev, []byte(line), Origin{}); err != nil {
			return
		}
		if ev.Service != "Oss" || !ev.DataPlane || ev.Name == "" {
			t.Fatalf("accepted a bad record: %+v", ev)
		}
		checkFuzzTime(t, ev.Time)
	})
}

func FuzzSLSLogLine(f *testing.F) {
	f.Add(`{"__time__":"1772384460","microtime":"1772384460654321","Method":"GetLogStoreLogs","Project":"p","LogStore":"l","SourceIP":"1.2.3.4","AccessKeyId":"K"}`)
	f.Add(`{"Method":"PullLogs","Time":"2026-01-01 00:00:00","x":{"y":[1]}}`)
	f.Add(`{"Method":"PullLogs","microtime":"99999999999999999"}`)
	f.Add(`{"Method":"PullLogs","Time":"9999-12-31 23:59:59"}`)
	f.Fuzz(func(t *testing.T, row string) {
		p := &slsParser{in: newInterner()}
		var ev Event
		if err := p.parse(&ev, []byte(row), Origin{}); err != nil {
			return
		}
		if ev.Service != "Sls" || !ev.DataPlane || ev.Name == "" || ev.Time.Location() != time.UTC {
			t.Fatalf("accepted a bad record: %+v", ev)
		}
		checkFuzzTime(t, ev.Time)
	})
}

// checkFuzzTime fails when an accepted time is outside the range the
// readers promise (and so could wrap in the engine's UnixNano).
func checkFuzzTime(t *testing.T, tm time.Time) {
	t.Helper()
	if tm.Before(EarliestEventTime) || tm.After(time.Now().Add(MaxClockSkew+time.Minute)) {
		t.Fatalf("accepted an event dated %s", tm)
	}
}
