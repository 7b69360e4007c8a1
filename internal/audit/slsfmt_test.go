package audit

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSLSRow(t *testing.T) {
	o := Origin{Kind: OriginSLSLog, File: "f", Pos: 1}
	tests := []struct {
		name string
		row  string
		want Event
		err  string
	}{
		{
			name: "operation log row",
			row: `{"__time__":"1772384460","__topic__":"operation_log","microtime":"1772384460654321","AccessKeyId":"LTAI5tSampLeakedKey00001",` +
				`"CallerType":"Subuser","InvokerUid":"1968132000123456","Method":"DeleteLogStore","Project":"app-logs","LogStore":"audit",` +
				`"SourceIP":"45.146.164.110","Status":"403","ErrorCode":"Unauthorized","ErrorMsg":"denied","RequestId":"RID","UserAgent":"sls-python-sdk","Latency":123,"Shard":null}`,
			want: Event{
				ID: "RID", RequestID: "RID", Time: time.UnixMicro(1772384460654321).UTC(), Name: "DeleteLogStore", Service: "Sls", Type: "ApiCall", RW: "Write",
				SourceIP: "45.146.164.110", UserAgent: "sls-python-sdk", AccessKeyID: "LTAI5tSampLeakedKey00001", UserType: "Subuser", AccountID: "1968132000123456",
				ErrorCode: "Unauthorized", ErrorMessage: "denied",
				Params:    map[string]string{"Project": "app-logs", "LogStore": "audit", "Status": "403", "Latency": "123"},
				Resources: []Resource{{"ACS::SLS::Project", "app-logs"}, {"ACS::SLS::LogStore", "app-logs/audit"}},
				Source:    o, DataPlane: true,
			},
		},
		{
			name: "audit-log aliases and seconds",
			row:  `{"__time__":1772384400,"Method":"GetLogStoreLogs","ClientIp":"10.0.0.1","AccessKeyId":"K","Project":"p","ErrorCode":"-"}`,
			want: Event{Time: time.Unix(1772384400, 0).UTC(), Name: "GetLogStoreLogs", Service: "Sls", Type: "ApiCall", RW: "Read", SourceIP: "10.0.0.1", AccessKeyID: "K",
				Params: map[string]string{"Project": "p"}, Resources: []Resource{{"ACS::SLS::Project", "p"}}, Source: o, DataPlane: true},
		},
		{name: "no method", row: `{"__time__":"1"}`, err: "SLS operation log row has no Method"},
		{name: "no time", row: `{"Method":"PullLogs"}`, err: "SLS operation log row PullLogs has no microtime, __time__ or Time"},
		{name: "bad time", row: `{"Method":"PullLogs","Time":"soon"}`, err: `Time: unrecognised time "soon"`},
		{name: "not an object", row: `"x"`, err: "record is a JSON string, want an object"},
		{name: "malformed", row: `{"Method":"PullLogs",`, err: "invalid JSON"},
	}
	p := &slsParser{in: newInterner()}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev Event
			err := p.parse(&ev, []byte(tt.row), o)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, ev); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadSLSLogs(t *testing.T) {
	rows := `{"__time__":"1772384401","Method":"PullLogs","AccessKeyId":"` + sampleKey + `","SourceIP":"1.1.1.1"}` + "\n" +
		`{"__time__":"1772384402","Method":"PullLogs","AccessKeyId":"` + sampleOther + `","SourceIP":"1.1.1.1"}` + "\n" +
		`{"__time__":"1772384403","Method":"PostLogStoreLogs","AccessKeyId":"` + sampleKey + `"` + "\n" +
		`{"__time__":"1772384404","Method":"GetCursor","AccessKeyId":"` + sampleKey + `","SourceIP":"1.1.1.1"}` + "\n"
	p := writeFile(t, t.TempDir(), "ops.jsonl.gz", gz(t, rows))
	c := readAll(t, ReadSLSLogs, []string{p}, ReadOptions{KeyID: sampleKey})
	if c.err != nil {
		t.Fatal(c.err)
	}
	var names []string
	for _, e := range c.events {
		names = append(names, e.Name)
	}
	if diff := cmp.Diff([]string{"PullLogs", "GetCursor"}, names); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if got := c.problemStrings(); len(got) != 1 || !strings.Contains(got[0], "ops.jsonl.gz: line 3: invalid JSON") {
		t.Errorf("problems %q", got)
	}
	if c.stats.Events != 2 || c.stats.Filtered != 1 || c.stats.Skipped != 1 {
		t.Errorf("stats %+v", c.stats)
	}
}
