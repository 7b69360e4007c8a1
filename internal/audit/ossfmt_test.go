package audit

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const ossLine = `45.146.164.110 - - [01/Mar/2026:17:21:02 +0800] "GET /hr/salaries%202026.xlsx HTTP/1.1" 200 1048576 80 "-" "python-requests/2.31.0" "corp-data.oss-cn-hangzhou.aliyuncs.com" "65E1A0B1C2D3E4F5A6B7C8DB" "true" "2768141870000001" "GetObject" "corp-data" "hr%2Fsalaries%202026.xlsx" 1048576 60 "-" 300 "1968132000123456" - "-" "standard" "-" "-" "LTAI5tSampLeakedKey00001"`

func TestOSSLine(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 21, 2, 0, time.UTC)
	o := Origin{Kind: OriginOSSLog, File: "f", Pos: 7}
	full := Event{
		ID: "65E1A0B1C2D3E4F5A6B7C8DB", RequestID: "65E1A0B1C2D3E4F5A6B7C8DB", Time: at, Name: "GetObject", Service: "Oss",
		Type: "ApiCall", RW: "Read", Region: "cn-hangzhou", SourceIP: "45.146.164.110", UserAgent: "python-requests/2.31.0",
		AccessKeyID: "LTAI5tSampLeakedKey00001", PrincipalID: "2768141870000001",
		Params: map[string]string{
			"bucket": "corp-data", "object": "hr/salaries 2026.xlsx", "http_status": "200",
			"request_uri": "GET /hr/salaries%202026.xlsx HTTP/1.1", "host": "corp-data.oss-cn-hangzhou.aliyuncs.com",
			"object_size": "1048576", "response_body_length": "1048576", "request_length": "300", "owner_id": "1968132000123456", "storage_class": "standard",
		},
		Resources: []Resource{{"ACS::OSS::Bucket", "corp-data"}, {"ACS::OSS::Object", "corp-data/hr/salaries 2026.xlsx"}},
		Source:    o,
		DataPlane: true,
	}
	tests := []struct {
		name string
		line string
		want func() Event
		err  string
	}{
		{name: "full line", line: ossLine, want: func() Event { return full }},
		{name: "old layout (24 fields), error code, write", line: `45.146.164.110 - - [01/Mar/2026:17:22:10 +0800] "PUT /backup/dump.tar.gz HTTP/1.1" 403 312 4 "-" "curl/8.0" "b.oss-ap-southeast-1-internal.aliyuncs.com" "RID" "true" "2768141870000001" "PutObject" "b" "backup%2Fdump.tar.gz" - 2 "AccessDenied" 512 "1968132000123456" - "-"`,
			want: func() Event {
				return Event{ID: "RID", RequestID: "RID", Time: time.Date(2026, 3, 1, 9, 22, 10, 0, time.UTC), Name: "PutObject", Service: "Oss", Type: "ApiCall",
					RW: "Write", Region: "ap-southeast-1", SourceIP: "45.146.164.110", UserAgent: "curl/8.0", PrincipalID: "2768141870000001", ErrorCode: "AccessDenied",
					Params: map[string]string{"bucket": "b", "object": "backup/dump.tar.gz", "http_status": "403", "request_uri": "PUT /backup/dump.tar.gz HTTP/1.1",
						"host": "b.oss-ap-southeast-1-internal.aliyuncs.com", "response_body_length": "312", "request_length": "512", "owner_id": "1968132000123456"},
					Resources: []Resource{{"ACS::OSS::Bucket", "b"}, {"ACS::OSS::Object", "b/backup/dump.tar.gz"}}, Source: o, DataPlane: true}
			}},
		{name: "escaped quote in user agent", line: strings.Replace(ossLine, `"python-requests/2.31.0"`, `"evil \"agent\" 1.0"`, 1),
			want: func() Event { e := full; e.UserAgent = `evil "agent" 1.0`; return e }},
		{name: "too few fields", line: `1.2.3.4 - - [01/Mar/2026:17:22:10 +0800] "GET / HTTP/1.1" 200`, err: "OSS access log line has 6 fields, want at least 17"},
		{name: "bad time", line: strings.Replace(ossLine, "01/Mar/2026:17:21:02 +0800", "yesterday", 1), err: `time "yesterday"`},
		{name: "unterminated quote", line: `1.2.3.4 - - [01/Mar/2026:17:22:10 +0800] "GET / HTTP/1.1`, err: "field 5: unterminated quoted field"},
		{name: "binary", line: "\x00\x01\x02", err: "control byte 0x00"},
		{name: "no operation falls back to the method", line: strings.Replace(ossLine, `"GetObject"`, `"-"`, 1),
			want: func() Event { e := full; e.Name = "GET"; e.RW = "Write"; return e }},
		{name: "json row on a line", line: `{"__time__":"1772356862","client_ip":"45.146.164.110","operation":"GetObject","bucket":"corp-data","object":"a%2Fb","access_id":"LTAI5tSampLeakedKey00001","request_id":"R","http_status":"200","user_agent":"ua","region":"oss-cn-hangzhou"}`,
			want: func() Event {
				return Event{ID: "R", RequestID: "R", Time: time.Unix(1772356862, 0).UTC(), Name: "GetObject", Service: "Oss", Type: "ApiCall", RW: "Read",
					Region: "cn-hangzhou", SourceIP: "45.146.164.110", UserAgent: "ua", AccessKeyID: "LTAI5tSampLeakedKey00001",
					Params:    map[string]string{"bucket": "corp-data", "object": "a/b", "http_status": "200"},
					Resources: []Resource{{"ACS::OSS::Bucket", "corp-data"}, {"ACS::OSS::Object", "corp-data/a/b"}}, Source: o, DataPlane: true}
			}},
		{name: "json row without time", line: `{"operation":"GetObject"}`, err: "has no __time__ or time"},
	}
	p := &ossParser{in: newInterner()}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev Event
			err := p.parseLine(&ev, []byte(tt.line), o)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want()
			for k, v := range want.Params {
				if v == "" {
					delete(want.Params, k)
				}
			}
			if diff := cmp.Diff(want, ev); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadOSSLogs(t *testing.T) {
	dir := t.TempDir()
	lines := []string{
		ossLine,
		strings.Replace(ossLine, "LTAI5tSampLeakedKey00001", sampleOther, 1),
		`broken line`,
		"",
		strings.Replace(ossLine, "GetObject", "HeadObject", 1),
	}
	writeFile(t, dir, "MyLog-corp-data2026-03-01-09-00-00-0001", []byte(strings.Join(lines, "\n")))
	writeFile(t, dir, "logs.gz", gz(t, ossLine+"\n"))
	writeFile(t, dir, "sls.json", []byte(`[{"__time__":1772356862,"client_ip":"1.2.3.4","operation":"DeleteObject","bucket":"b","access_id":"`+sampleKey+`"}]`))
	c := readAll(t, ReadOSSLogs, []string{dir}, ReadOptions{KeyID: sampleKey, Workers: 1})
	if c.err != nil {
		t.Fatal(c.err)
	}
	var names []string
	for _, e := range c.events {
		names = append(names, e.Name)
		if !e.DataPlane || e.Service != "Oss" || e.Source.Kind != OriginOSSLog {
			t.Errorf("event %+v", e)
		}
	}
	if diff := cmp.Diff([]string{"GetObject", "HeadObject", "GetObject", "DeleteObject"}, names); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	// The broken line holds no key, so the pre-filter drops it; without a
	// key filter it is a problem.
	if c.stats.Filtered != 2 || len(c.probs) != 0 {
		t.Errorf("stats %+v problems %v", c.stats, c.problemStrings())
	}
	all := readAll(t, ReadOSSLogs, []string{dir}, ReadOptions{Workers: 1})
	if len(all.probs) != 1 || !strings.Contains(all.probs[0].String(), "MyLog-corp-data2026-03-01-09-00-00-0001: line 3: OSS access log line has 2 fields") {
		t.Errorf("problems %q", all.problemStrings())
	}
}
