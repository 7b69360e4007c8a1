package cloud

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/redact"
)

func TestUserAgentAndVersionHeaders(t *testing.T) {
	f := newFakeCloud(t)
	f.handle("GetUser", func(call) reply { return reply{Body: map[string]any{"User": map[string]any{"UserName": "a"}}} })
	f.handle("GetCallerIdentity", func(call) reply { return reply{Body: map[string]any{"AccountId": "1"}} })
	f.handle("LookupEvents", func(call) reply { return reply{Body: map[string]any{"Events": []any{}}} })
	f.handle("GetAccessKeyPolicy", func(call) reply { return reply{Body: map[string]any{"AccessKeyPolicy": ""}} })
	c := newTestClients(t, testConfig(f.addr()))
	ctx := context.Background()
	if _, err := c.GetUser(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetCallerIdentity(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.LookupEvents(ctx, LookupQuery{}, func([]json.RawMessage) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetAccessKeyPolicy(ctx, leakedKey, ""); err != nil {
		t.Fatal(err)
	}
	wantVersion := map[string]string{"GetUser": ramVersion, "GetCallerIdentity": stsVersion, "LookupEvents": actionTrailVersion, "GetAccessKeyPolicy": imsVersion}
	for action, version := range wantVersion {
		calls := f.callsFor(action)
		if len(calls) != 1 {
			t.Fatalf("%s: %d calls", action, len(calls))
		}
		got := calls[0]
		if ua := got.Header.Get("User-Agent"); !strings.HasSuffix(ua, " akresp/1.2.3") {
			t.Errorf("%s User-Agent = %q, want suffix akresp/1.2.3", action, ua)
		}
		if got.Version != version {
			t.Errorf("%s version = %q, want %q", action, got.Version, version)
		}
	}
	// STS keeps V1 RPC signing: parameters in the query, no Authorization.
	sts := f.callsFor("GetCallerIdentity")[0]
	if sts.Query.Get("SignatureVersion") != "1.0" || sts.Query.Get("AccessKeyId") != testKeyID || sts.Header.Get("Authorization") != "" {
		t.Errorf("STS is not V1-signed: query %v", sts.Query)
	}
	ram := f.callsFor("GetUser")[0]
	if !strings.HasPrefix(ram.Header.Get("Authorization"), "ACS3-HMAC-SHA256 Credential="+testKeyID+",") {
		t.Errorf("RAM is not V3-signed: %q", ram.Header.Get("Authorization"))
	}
}

func TestSecurityTokenTravels(t *testing.T) {
	f := newFakeCloud(t)
	f.handle("GetUser", func(call) reply { return reply{Body: map[string]any{"User": map[string]any{"UserName": "a"}}} })
	f.handle("GetCallerIdentity", func(call) reply { return reply{Body: map[string]any{"AccountId": "1"}} })
	cfg := testConfig(f.addr())
	cfg.Credential.SecurityToken = redact.Secret(testToken)
	c := newTestClients(t, cfg)
	if _, err := c.GetUser(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetCallerIdentity(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := f.callsFor("GetUser")[0].Header.Get("x-acs-security-token"); got != testToken {
		t.Errorf("V3 x-acs-security-token = %q", got)
	}
	if got := f.callsFor("GetCallerIdentity")[0].Query.Get("SecurityToken"); got != testToken {
		t.Errorf("V1 SecurityToken = %q", got)
	}
}

func TestLocalAddrBinding(t *testing.T) {
	// The whole 127.0.0.0/8 is loopback on Linux; elsewhere only 127.0.0.1
	// may be configured.
	probe, err := net.Listen("tcp", "127.0.0.66:0")
	if err != nil {
		t.Skipf("cannot bind 127.0.0.66 on this host: %v", err)
	}
	probe.Close()
	f := newFakeCloud(t)
	f.handle("GetUser", func(call) reply { return reply{Body: map[string]any{"User": map[string]any{"UserName": "a"}}} })
	for _, ip := range []string{"127.0.0.66", "127.0.0.10"} {
		t.Run(ip, func(t *testing.T) {
			cfg := testConfig(f.addr())
			cfg.LocalAddr = ip
			c := newTestClients(t, cfg)
			if _, err := c.GetUser(context.Background(), "a"); err != nil {
				t.Fatal(err)
			}
			calls := f.callsFor("GetUser")
			host, _, _ := net.SplitHostPort(calls[len(calls)-1].Remote)
			if host != ip {
				t.Errorf("server saw source %s, want %s", host, ip)
			}
		})
	}
}

func TestHTTPDebugScrubs(t *testing.T) {
	f := newFakeCloud(t)
	f.handle("GetCallerIdentity", func(call) reply {
		return reply{Body: map[string]any{"AccountId": "1"}, Header: map[string]string{"x-acs-request-id": "DBG-REQ-1"}}
	})
	f.handle("UpdateAccessKey", func(call) reply { return reply{Body: map[string]any{"RequestId": "X"}} })
	var logs logBuffer
	cfg := testConfig(f.addr())
	cfg.Credential.SecurityToken = redact.Secret(testToken)
	cfg.Logger = debugLogger(&logs)
	cfg.HTTPDebug = true
	c := newTestClients(t, cfg)
	if _, err := c.GetCallerIdentity(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateAccessKeyStatus(context.Background(), "alice", leakedKey, "Inactive"); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	signature := f.callsFor("GetCallerIdentity")[0].Query.Get("Signature")
	v3sig := f.callsFor("UpdateAccessKey")[0].Header.Get("Authorization")
	for _, leak := range []string{testToken, testSecret, signature, v3sig, testKeyID, leakedKey} {
		if leak != "" && strings.Contains(out, leak) {
			t.Errorf("debug log leaks %q:\n%s", leak, out)
		}
	}
	for _, want := range []string{`"action":"GetCallerIdentity"`, `"version":"2015-04-01"`, `"status":200`, `"request_id":"DBG-REQ-1"`,
		`"action":"UpdateAccessKey"`, `"duration":`, `"endpoint":"http://` + f.addr() + `"`, "Status=Inactive", "UserAccessKeyId=LTAI5t…0000"} {
		if !strings.Contains(out, want) {
			t.Errorf("debug log lacks %s:\n%s", want, out)
		}
	}
	if n := strings.Count(out, `"msg":"http exchange"`); n != 2 {
		t.Errorf("%d exchanges logged, want 2", n)
	}
}

func TestHTTPDebugOffLogsNothing(t *testing.T) {
	f := newFakeCloud(t)
	f.handle("GetCallerIdentity", func(call) reply { return reply{Body: map[string]any{"AccountId": "1"}} })
	var logs logBuffer
	cfg := testConfig(f.addr())
	cfg.Logger = debugLogger(&logs)
	c := newTestClients(t, cfg)
	if _, err := c.GetCallerIdentity(context.Background()); err != nil {
		t.Fatal(err)
	}
	if logs.String() != "" {
		t.Errorf("logged without HTTPDebug: %s", logs.String())
	}
}

func TestScrubQueryAndHeaders(t *testing.T) {
	q := scrubQuery("AccessKeyId=" + testKeyID + "&Signature=abc%2B&SecurityToken=" + testToken + "&Action=X&PolicyDocument=" + strings.Repeat("a", 300))
	for _, leak := range []string{testKeyID, "abc+", testToken} {
		if strings.Contains(q, leak) {
			t.Errorf("query leaks %q: %s", leak, q)
		}
	}
	if !strings.Contains(q, "Action=X") || !strings.Contains(q, "(300 bytes)") {
		t.Errorf("query = %s", q)
	}
	h := scrubHeaders(http.Header{
		"Authorization":        {"ACS3-HMAC-SHA256 Credential=" + testKeyID + ",Signature=ff"},
		"X-Acs-Security-Token": {testToken},
		"X-Acs-Accesskey-Id":   {testKeyID},
		"X-Acs-Action":         {"GetUser"},
	})
	if h["authorization"] != redact.Placeholder || h["x-acs-security-token"] != redact.Placeholder ||
		h["x-acs-accesskey-id"] != "LTAI5t…0000" || h["x-acs-action"] != "GetUser" {
		t.Errorf("headers = %v", h)
	}
}

func TestThrottleTimeLeft(t *testing.T) {
	tests := []struct {
		header, value string
		want          time.Duration
	}{
		{"x-ratelimit-user-api", "Limit:100,Remain:0,TimeLeft:250,Reset:1", 250 * time.Millisecond},
		{"x-ratelimit-user", "TimeLeft: 40", 40 * time.Millisecond},
		{"x-ratelimit-user", "Limit:1", 0},
		{"x-ratelimit-user", "TimeLeft:abc", 0},
		{"other", "TimeLeft:9", 0},
	}
	for _, tt := range tests {
		h := http.Header{}
		h.Set(tt.header, tt.value)
		if got := throttleTimeLeft(h); got != tt.want {
			t.Errorf("%s: %q -> %s, want %s", tt.header, tt.value, got, tt.want)
		}
	}
}

func TestRateLimiterSharedAcrossGoroutines(t *testing.T) {
	f := newFakeCloud(t)
	f.handle("GetUser", func(call) reply { return reply{Body: map[string]any{"User": map[string]any{"UserName": "a"}}} })
	cfg := testConfig(f.addr())
	cfg.Limits = map[string]float64{"RAM.GetUser": 20} // one request per 50ms
	c := newTestClients(t, cfg)

	const n = 5
	start := time.Now()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if _, err := c.GetUser(context.Background(), "a"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	// A lower bound only: five requests at 20/s with burst 1 need at least
	// four 50ms gaps however fast the machine is.
	if elapsed := time.Since(start); elapsed < 4*50*time.Millisecond-10*time.Millisecond {
		t.Errorf("%d calls took %s; the shared limiter did not space them", n, elapsed)
	}
	if c.limits.get("RAM", "GetUser") != c.limits.get("RAM", "GetUser") {
		t.Error("limiter not shared")
	}
}

func TestRateLimitWaitHonoursContext(t *testing.T) {
	l := newLimiters(settings{Config: Config{RateScale: 1, Limits: map[string]float64{"ActionTrail.LookupEvents": 0.001}}})
	ctx := context.Background()
	if err := l.wait(ctx, "ActionTrail", "LookupEvents"); err != nil {
		t.Fatal(err) // the first token is free
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := l.wait(ctx, "ActionTrail", "LookupEvents"); err != context.DeadlineExceeded {
		t.Fatalf("wait = %v, want deadline exceeded", err)
	}
}

func TestDefaultRates(t *testing.T) {
	tests := []struct {
		service, action string
		want            float64
	}{
		{"RAM", "GetUser", 100},
		{"RAM", "ListUsers", 100},
		{"RAM", "GetAccessKeyLastUsed", 100},
		{"RAM", "UpdateAccessKey", 20},
		{"RAM", "CreateAccessKey", 20},
		{"RAM", "DeleteAccessKey", 20},
		{"RAM", "AttachPolicyToUser", 10},
		{"RAM", "DetachPolicyFromUser", 10},
		{"RAM", "AddUserToGroup", 10},
		{"IMS", "GetAccessKeyPolicy", 100},
		{"IMS", "SetAccessKeyPolicy", 20},
		{"ActionTrail", "LookupEvents", 2},
		{"ActionTrail", "GetAccessKeyLastUsedIps", 50},
		{"ActionTrail", "DescribeTrails", 100},
		{"STS", "AssumeRole", 100},
		{"STS", "GetCallerIdentity", 100},
	}
	for _, tt := range tests {
		if got := defaultRate(tt.service, tt.action); got != tt.want {
			t.Errorf("defaultRate(%s.%s) = %v, want %v", tt.service, tt.action, got, tt.want)
		}
	}
	l := newLimiters(settings{Config: Config{RateScale: 0.5, Limits: map[string]float64{"RAM.GetUser": 7}}})
	if got := float64(l.get("ActionTrail", "LookupEvents").Limit()); got != 1 {
		t.Errorf("scaled LookupEvents = %v, want 1", got)
	}
	if got := float64(l.get("RAM", "GetUser").Limit()); got != 7 {
		t.Errorf("override = %v, want 7 (not scaled)", got)
	}
}

func TestRedactionOfReturnedSecrets(t *testing.T) {
	values := []any{
		StaticCredential{AccessKeyID: testKeyID, AccessKeySecret: testSecret, SecurityToken: testToken},
		&StaticCredential{AccessKeyID: testKeyID, AccessKeySecret: testSecret, SecurityToken: testToken},
		NewAccessKey{AccessKeyID: testKeyID, Secret: testSecret, Status: "Active"},
		STSCredentials{AccessKeyID: "STS.abc", AccessKeySecret: testSecret, SecurityToken: testToken},
		Config{Credential: &StaticCredential{AccessKeyID: testKeyID, AccessKeySecret: testSecret}},
		struct{ K *NewAccessKey }{&NewAccessKey{Secret: testSecret}},
		struct{ C *STSCredentials }{&STSCredentials{SecurityToken: testToken}},
	}
	for i, v := range values {
		t.Run(fmt.Sprintf("%d-%T", i, v), func(t *testing.T) {
			var outs []string
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%q", "%x"} {
				outs = append(outs, fmt.Sprintf(verb, v))
			}
			b, err := json.Marshal(v)
			if err != nil && !strings.Contains(err.Error(), "unsupported type") {
				t.Fatal(err)
			}
			outs = append(outs, string(b))
			var logs logBuffer
			slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "v", v)
			slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "v", v)
			outs = append(outs, logs.String())
			for _, o := range outs {
				if strings.Contains(o, testSecret) || strings.Contains(o, testToken) {
					t.Errorf("secret leaked: %s", o)
				}
			}
		})
	}
}

// TestConcurrentCallsAreRaceFree runs every client kind from many
// goroutines; under -race it guards the per-call SDK client copies.
func TestConcurrentCallsAreRaceFree(t *testing.T) {
	f := newFakeCloud(t)
	f.handle("GetUser", func(c call) reply {
		return reply{Body: map[string]any{"User": map[string]any{"UserName": "a", "UserId": "1"}}}
	})
	f.handle("GetCallerIdentity", func(call) reply { return reply{Body: map[string]any{"AccountId": "1"}} })
	f.handle("GetAccessKeyPolicy", func(call) reply { return reply{Body: map[string]any{"AccessKeyPolicy": "{}"}} })
	f.handle("GetAccessKeyLastUsedInfo", func(call) reply { return reply{Body: map[string]any{"UsedTimestamp": 1}} })
	c := newTestClients(t, testConfig(f.addr()))
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := c.GetUser(ctx, "a"); err != nil {
				t.Error(err)
			}
			if _, err := c.GetUserByAccessKey(ctx, leakedKey); err != nil {
				t.Error(err)
			}
			if _, err := c.GetCallerIdentity(ctx); err != nil {
				t.Error(err)
			}
			if _, err := c.GetAccessKeyPolicy(ctx, leakedKey, ""); err != nil {
				t.Error(err)
			}
			if _, err := c.AccessKeyLastUsedInfo(ctx, leakedKey); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

func TestClientsNeverPrintCredentials(t *testing.T) {
	c := newTestClients(t, testConfig("127.0.0.1:9"))
	for _, out := range []string{fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%s", c), fmt.Sprintf("%v", c.cred)} {
		if strings.Contains(out, testSecret) {
			t.Errorf("leak: %s", out)
		}
	}
	if got := c.String(); got != "cloud.Clients(127.0.0.1:9)" {
		t.Errorf("String() = %q", got)
	}
}
