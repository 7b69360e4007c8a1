package lab

import (
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	actiontrail "github.com/alibabacloud-go/actiontrail-20200706/v3/client"
	ram "github.com/alibabacloud-go/ram-20150501/v2/client"
	"github.com/alibabacloud-go/tea/tea"
)

func TestFaultRateOneFailsEveryRequest(t *testing.T) {
	f := newFixture(t, Options{FaultRate: 1, FaultSeed: 7})
	c := f.ram(f.root)
	var unavailable, dropped int
	for i := 0; i < 20; i++ {
		_, err := c.ListUsers(&ram.ListUsersRequest{})
		if err == nil {
			t.Fatal("a request succeeded with FaultRate 1")
		}
		se, ok := asSDKError(err)
		if ok && tea.StringValue(se.Code) == "ServiceUnavailable" && tea.IntValue(se.StatusCode) == http.StatusServiceUnavailable {
			unavailable++
		} else {
			dropped++
		}
	}
	if unavailable == 0 || dropped == 0 {
		t.Fatalf("faults: %d 503s and %d drops, want both kinds", unavailable, dropped)
	}
	st := f.srv.Stats()
	if st.Faults != 20 || len(f.srv.Events()) != 0 {
		t.Fatalf("Stats.Faults = %d, events = %d; want 20 faults and nothing recorded", st.Faults, len(f.srv.Events()))
	}
	f.srv.SetFaultRate(0)
	_, err := c.ListUsers(&ram.ListUsersRequest{})
	mustOK(t, err)
}

func TestFaultSequenceIsDeterministic(t *testing.T) {
	seq := func(seed int64) []faultKind {
		s, err := New(Options{FaultRate: 0.5, FaultSeed: seed})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var out []faultKind
		for i := 0; i < 64; i++ {
			out = append(out, s.drawFault())
		}
		return out
	}
	a, b, c := seq(1), seq(1), seq(2)
	counts := map[faultKind]int{}
	same, differ := true, false
	for i := range a {
		counts[a[i]]++
		same = same && a[i] == b[i]
		differ = differ || a[i] != c[i]
	}
	if !same || !differ {
		t.Fatalf("fault sequences: same seed equal=%v, other seed differs=%v", same, differ)
	}
	if counts[faultNone] == 0 || counts[faultUnavailable] == 0 || counts[faultDrop] == 0 {
		t.Fatalf("rate 0.5 drew %v", counts)
	}
}

func TestLatencyIsApplied(t *testing.T) {
	f := newFixture(t, Options{Latency: 150 * time.Millisecond})
	c := f.ram(f.root)
	start := time.Now()
	_, err := c.ListUsers(&ram.ListUsersRequest{})
	mustOK(t, err)
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("call took %v, want at least the 150ms latency", d)
	}
	f.srv.SetLatency(0)
	if got := f.srv.currentLatency(); got != 0 {
		t.Fatalf("latency after SetLatency(0) = %v", got)
	}
}

var rateHeader = regexp.MustCompile(`^Limit:(\d+),Remain:0,TimeLeft:(\d+),Reset:(\d+)$`)

func TestLookupEventsThrottling(t *testing.T) {
	f := newFixture(t, Options{QuotaScale: 1})
	// Look at the raw answer to see the header the SDK reads.
	var throttled *map[string]any
	var header http.Header
	for i := 0; i < 6; i++ {
		st, body, h := f.sendV3(f.root, rawV3{version: "2020-07-06", action: "LookupEvents"})
		if st == http.StatusBadRequest && body["Code"] == "Throttling.User" {
			throttled, header = &body, h
			break
		}
		if st != http.StatusOK {
			t.Fatalf("call %d: %d %v", i, st, body)
		}
	}
	if throttled == nil {
		t.Fatal("a burst of 6 LookupEvents under a 2/s quota was never throttled")
	}
	if (*throttled)["Message"] != msgThrottlingUser {
		t.Fatalf("throttling message = %v", (*throttled)["Message"])
	}
	m := rateHeader.FindStringSubmatch(header.Get("x-ratelimit-user-api"))
	if m == nil || m[1] != "2" {
		t.Fatalf("x-ratelimit-user-api = %q", header.Get("x-ratelimit-user-api"))
	}
	if left, _ := strconv.Atoi(m[2]); left < 1 || left > 1000 {
		t.Fatalf("TimeLeft = %s ms, want 1..1000", m[2])
	}
	// Through the SDK the error carries the code; other APIs are unaffected.
	_, err := f.actiontrail(f.root).LookupEvents(&actiontrail.LookupEventsRequest{})
	wantCode(t, err, "Throttling.User", http.StatusBadRequest)
	_, err = f.ram(f.root).ListUsers(&ram.ListUsersRequest{})
	mustOK(t, err)
	if f.srv.Stats().Throttled < 2 {
		t.Fatalf("Stats.Throttled = %d", f.srv.Stats().Throttled)
	}
	var recorded bool
	for _, e := range eventsFor(f.srv, "LookupEvents") {
		recorded = recorded || e.ErrorCode == "Throttling.User"
	}
	if !recorded {
		t.Fatal("the throttled call was not recorded")
	}
	// Scale 0 disables throttling.
	f.srv.SetQuotaScale(0)
	for i := 0; i < 5; i++ {
		_, err := f.actiontrail(f.root).LookupEvents(&actiontrail.LookupEventsRequest{})
		mustOK(t, err)
	}
}

func TestQuotaFor(t *testing.T) {
	tests := []struct {
		version, action string
		want            float64
	}{
		{"2015-05-01", "ListUsers", 100},
		{"2015-05-01", "GetAccessKeyLastUsed", 100},
		{"2015-05-01", "CreateAccessKey", 20},
		{"2015-05-01", "AttachPolicyToUser", 10},
		{"2015-05-01", "AddUserToGroup", 10},
		{"2019-08-15", "SetAccessKeyPolicy", 20},
		{"2020-07-06", "LookupEvents", 2},
		{"2020-07-06", "GetAccessKeyLastUsedIps", 50},
		{"2020-07-06", "DescribeTrails", 100},
		{"2020-07-06", "CreateTrail", 5},
		{"2015-04-01", "AssumeRole", 100},
		{"2014-05-26", "RunInstances", 100},
	}
	for _, tt := range tests {
		if got := quotaFor(tt.version, tt.action); got != tt.want {
			t.Errorf("quotaFor(%s, %s) = %v, want %v", tt.version, tt.action, got, tt.want)
		}
	}
}

func TestGenericECSCall(t *testing.T) {
	f := newFixture(t, Options{})
	ops := f.addUser("ops", "AliyunECSFullAccess")
	body, err := f.rpc(ops, "2014-05-26", "RunInstances", map[string]string{"RegionId": "cn-shanghai", "Amount": "3", "InstanceType": "ecs.g7.large"}, "")
	mustOK(t, err)
	sets, _ := body["InstanceIdSets"].(map[string]any)
	ids, _ := sets["InstanceIdSet"].([]any)
	if len(ids) != 3 || body["RequestId"] == nil {
		t.Fatalf("RunInstances body = %v", body)
	}
	evs := eventsFor(f.srv, "RunInstances")
	if len(evs) != 1 || evs[0].AcsRegion != "cn-shanghai" || evs[0].ServiceName != "Ecs" || evs[0].EventSource != "ecs.cn-shanghai.aliyuncs.com" || evs[0].ErrorCode != "" {
		t.Fatalf("RunInstances event = %+v", evs)
	}
	if _, ok := evs[0].ResponseElements["InstanceIdSets"]; !ok {
		t.Fatalf("write event lacks the created ids: %v", evs[0].ResponseElements)
	}
	// Not authorised for RDS.
	_, err = f.rpc(ops, "2014-08-15", "DescribeDBInstances", nil, "")
	wantCode(t, err, "NoPermission", http.StatusForbidden)

	// An explicit Deny on ecs:RunInstances stops it.
	deny := `{"Version":"1","Statement":[{"Effect":"Deny","Action":"ecs:RunInstances","Resource":"*"}]}`
	root := f.ram(f.root)
	_, err = root.CreatePolicy(&ram.CreatePolicyRequest{PolicyName: tea.String("no-run"), PolicyDocument: tea.String(deny)})
	mustOK(t, err)
	_, err = root.AttachPolicyToUser(&ram.AttachPolicyToUserRequest{PolicyName: tea.String("no-run"), PolicyType: tea.String("Custom"), UserName: tea.String("ops")})
	mustOK(t, err)
	_, err = f.rpc(ops, "2014-05-26", "RunInstances", map[string]string{"RegionId": "cn-shanghai"}, "")
	se := wantCode(t, err, "NoPermission", http.StatusForbidden)
	if se.AccessDeniedDetail["AuthAction"] != "ecs:RunInstances" || se.AccessDeniedDetail["NoPermissionType"] != "ExplicitDeny" {
		t.Fatalf("AccessDeniedDetail = %v", se.AccessDeniedDetail)
	}
	_, err = f.rpc(ops, "2014-05-26", "DescribeRegions", nil, "")
	mustOK(t, err)
	sms, err := f.rpc(f.root, "2017-05-25", "SendSms", map[string]string{"PhoneNumbers": "13800000000", "SignName": "x", "TemplateCode": "SMS_1"}, "")
	mustOK(t, err)
	if sms["Code"] != "OK" || sms["BizId"] == "" {
		t.Fatalf("SendSms = %v", sms)
	}
}
