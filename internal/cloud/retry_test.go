package cloud

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestRetryThenSuccess(t *testing.T) {
	tests := []struct {
		name    string
		replies []reply
		calls   int
	}{
		{"503 twice", []reply{
			{Status: 503, Body: errBody("ServiceUnavailable", "The request has failed due to a temporary failure of the server.", "R-1")},
			{Status: 503, Body: errBody("ServiceUnavailable", "again", "R-2")},
			{Body: map[string]any{"RequestId": "R-3", "User": map[string]any{"UserName": "alice", "UserId": "200"}}},
		}, 3},
		{"throttled once", []reply{
			{Status: 400, Body: errBody("Throttling.User", "Request was denied due to user flow control.", "R-1"),
				Header: map[string]string{"x-ratelimit-user-api": "Limit:100,Remain:0,TimeLeft:3,Reset:1"}},
			{Body: map[string]any{"RequestId": "R-2", "User": map[string]any{"UserName": "alice"}}},
		}, 2},
		{"500 internal error on a read", []reply{
			{Status: 500, Body: errBody("InternalError", "An internal error occurred.", "R-1")},
			{Body: map[string]any{"RequestId": "R-2", "User": map[string]any{"UserName": "alice"}}},
		}, 2},
		{"html 502 from a proxy", []reply{
			{Status: 502, Body: "<html>bad gateway</html>"},
			{Body: map[string]any{"RequestId": "R-2", "User": map[string]any{"UserName": "alice"}}},
		}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeCloud(t)
			f.sequence("GetUser", tt.replies...)
			var logs logBuffer
			cfg := testConfig(f.addr())
			cfg.Logger = debugLogger(&logs)
			c := newTestClients(t, cfg)
			u, err := c.GetUser(context.Background(), "alice")
			if err != nil {
				t.Fatalf("GetUser: %v", err)
			}
			if u.UserName != "alice" {
				t.Errorf("user = %+v", u)
			}
			if n := len(f.callsFor("GetUser")); n != tt.calls {
				t.Errorf("server saw %d calls, want %d", n, tt.calls)
			}
			if got := strings.Count(logs.String(), `"msg":"retrying cloud call"`); got != tt.calls-1 {
				t.Errorf("logged %d retries, want %d:\n%s", got, tt.calls-1, logs.String())
			}
			if tt.calls > 1 && !strings.Contains(logs.String(), `"api":"ram:GetUser"`) {
				t.Errorf("retry log lacks the api: %s", logs.String())
			}
		})
	}
}

func TestRetryLogCarriesRequestID(t *testing.T) {
	f := newFakeCloud(t)
	f.sequence("GetUser",
		reply{Status: 503, Body: errBody("ServiceUnavailable", "busy", "REQ-503-XYZ")},
		reply{Body: map[string]any{"User": map[string]any{"UserName": "bob"}}})
	var logs logBuffer
	cfg := testConfig(f.addr())
	cfg.Logger = debugLogger(&logs)
	c := newTestClients(t, cfg)
	if _, err := c.GetUser(context.Background(), "bob"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"request_id":"REQ-503-XYZ"`, `"code":"ServiceUnavailable"`, `"attempt":1`, `"wait":`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("retry log lacks %s:\n%s", want, logs.String())
		}
	}
}

func TestNoRetry(t *testing.T) {
	tests := []struct {
		name   string
		reply  reply
		class  error
		code   string
		status int
	}{
		{"403 no permission", reply{Status: 403, Body: errBody("NoPermission", "You are not authorized to do this action.", "R-403")}, ErrNoPermission, "NoPermission", 403},
		{"404 not found", reply{Status: 404, Body: errBody("EntityNotExist.User", "The user does not exist.", "R-404")}, ErrNotFound, "EntityNotExist.User", 404},
		{"400 invalid", reply{Status: 400, Body: errBody("InvalidParameter.UserName.InvalidChars", "bad", "R-400")}, ErrInvalidParameter, "InvalidParameter.UserName.InvalidChars", 400},
		{"403 acl", reply{Status: 403, Body: errBody("Forbidden.AccessKeyPolicy", "source ip denied", "R-ACL")}, ErrNetworkPolicy, "Forbidden.AccessKeyPolicy", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeCloud(t)
			f.sequence("GetUser", tt.reply)
			c := newTestClients(t, testConfig(f.addr()))
			_, err := c.GetUser(context.Background(), "alice")
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("error %T %v is not *APIError", err, err)
			}
			if n := len(f.callsFor("GetUser")); n != 1 {
				t.Errorf("server saw %d calls, want 1", n)
			}
			if !errors.Is(err, tt.class) {
				t.Errorf("errors.Is(%v) false; class %v", tt.class, ae.Class())
			}
			if ae.Code != tt.code || ae.HTTPStatus != tt.status || ae.API != "ram:GetUser" || ae.Target != "alice" || ae.Attempts != 1 {
				t.Errorf("APIError = %+v", ae)
			}
			if ae.RequestID == "" || !strings.Contains(ae.Error(), ae.RequestID) {
				t.Errorf("request id missing: %q", ae.Error())
			}
		})
	}
}

func TestRetriesExhausted(t *testing.T) {
	f := newFakeCloud(t)
	f.sequence("GetUser", reply{Status: 400, Body: errBody("Throttling.User", "Request was denied due to user flow control.", "R-T")})
	cfg := testConfig(f.addr())
	cfg.MaxAttempts = 4
	c := newTestClients(t, cfg)
	_, err := c.GetUser(context.Background(), "alice")
	var ae *APIError
	if !errors.As(err, &ae) || !errors.Is(err, ErrThrottled) {
		t.Fatalf("err = %v", err)
	}
	if ae.Attempts != 4 || len(f.callsFor("GetUser")) != 4 {
		t.Errorf("attempts %d, calls %d, want 4", ae.Attempts, len(f.callsFor("GetUser")))
	}
	if !strings.Contains(ae.Hint(), "throttled after 4 attempts") {
		t.Errorf("hint %q", ae.Hint())
	}
}

func TestMaxAttemptsOneDisablesRetry(t *testing.T) {
	f := newFakeCloud(t)
	f.sequence("GetUser", reply{Status: 503, Body: errBody("ServiceUnavailable", "busy", "R")})
	cfg := testConfig(f.addr())
	cfg.MaxAttempts = 1
	c := newTestClients(t, cfg)
	if _, err := c.GetUser(context.Background(), "alice"); !errors.Is(err, ErrTransient) {
		t.Fatalf("err = %v", err)
	}
	if n := len(f.callsFor("GetUser")); n != 1 {
		t.Errorf("calls = %d", n)
	}
}

func TestBackoffHonoursCancellation(t *testing.T) {
	f := newFakeCloud(t)
	f.sequence("GetUser", reply{Status: 503, Body: errBody("ServiceUnavailable", "busy", "R-LAST")})
	cfg := testConfig(f.addr())
	cfg.MaxAttempts = 10
	cfg.RetryBase = time.Hour // would sleep "forever" without the context
	c := newTestClients(t, cfg)
	var once sync.Once
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.sleep = func(ctx context.Context, d time.Duration) error {
		if d > retryCap {
			t.Errorf("backoff %s exceeds cap %s", d, retryCap)
		}
		once.Do(cancel)
		return sleepCtx(ctx, d)
	}
	_, err := c.GetUser(ctx, "alice")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.RequestID != "R-LAST" || ae.Class() != nil {
		t.Errorf("APIError = %+v (class %v)", ae, ae.Class())
	}
	if n := len(f.callsFor("GetUser")); n != 1 {
		t.Errorf("calls = %d, want 1", n)
	}
}

func TestBackoffBounds(t *testing.T) {
	c := &Clients{s: settings{Config: Config{RetryBase: 100 * time.Millisecond}}}
	for n := 1; n <= 12; n++ {
		ceiling := min(retryCap, 100*time.Millisecond<<(n-1))
		for range 50 {
			if d := c.backoff(n, 0); d < 0 || d > ceiling {
				t.Fatalf("backoff(%d) = %s, want within [0, %s]", n, d, ceiling)
			}
		}
	}
	if d := c.backoff(1, 2*time.Second); d != 2*time.Second {
		t.Errorf("server hint ignored: %s", d)
	}
	if d := c.backoff(1, time.Minute); d != retryCap {
		t.Errorf("server hint not capped: %s", d)
	}
}

func TestUnsafeMutationsRetryOnlyWhenUnprocessed(t *testing.T) {
	okKey := reply{Body: map[string]any{"RequestId": "R-OK", "AccessKey": map[string]any{
		"AccessKeyId": "LTAI5tNEWnew000000000000", "AccessKeySecret": testSecret, "Status": "Active", "CreateDate": "2026-01-02T03:04:05Z"}}}
	tests := []struct {
		name    string
		first   reply
		calls   int
		wantErr error
	}{
		{"500 is ambiguous: no replay", reply{Status: 500, Body: errBody("InternalError", "oops", "R-500")}, 1, ErrTransient},
		{"503 was not processed: replay", reply{Status: 503, Body: errBody("ServiceUnavailable", "busy", "R-503")}, 2, nil},
		{"throttled was not processed: replay", reply{Status: 400, Body: errBody("Throttling", "slow down", "R-T")}, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeCloud(t)
			f.sequence("CreateAccessKey", tt.first, okKey)
			c := newTestClients(t, testConfig(f.addr()))
			k, err := c.CreateAccessKey(context.Background(), "alice")
			if n := len(f.callsFor("CreateAccessKey")); n != tt.calls {
				t.Errorf("calls = %d, want %d", n, tt.calls)
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if k.AccessKeyID != "LTAI5tNEWnew000000000000" || k.Secret.Reveal() != testSecret || k.RequestID != "R-OK" {
				t.Errorf("key = %+v", k)
			}
		})
	}
}

func TestConnectionRefusedIsRetriedAndScrubbed(t *testing.T) {
	tests := []struct {
		name string
		do   func(c *Clients) error
	}{
		{"ram v3", func(c *Clients) error { _, err := c.GetUser(context.Background(), "alice"); return err }},
		{"sts v1", func(c *Clients) error { _, err := c.GetCallerIdentity(context.Background()); return err }},
		{"unsafe create (never connected)", func(c *Clients) error { _, err := c.CreateAccessKey(context.Background(), "alice"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(closedAddr(t))
			cfg.Credential.SecurityToken = testToken
			c := newTestClients(t, cfg)
			err := tt.do(c)
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err %T %v", err, err)
			}
			if !errors.Is(err, ErrTransient) {
				t.Errorf("class = %v, want transient", ae.Class())
			}
			if ae.Attempts != cfg.MaxAttempts {
				t.Errorf("attempts = %d, want %d", ae.Attempts, cfg.MaxAttempts)
			}
			for _, leak := range []string{"Signature", "SecurityToken", testToken, "AccessKeyId=", "?"} {
				if strings.Contains(ae.Error(), leak) || strings.Contains(ae.Err.Error(), leak) {
					t.Errorf("error leaks %q: %v / %v", leak, ae.Error(), ae.Err)
				}
			}
		})
	}
}

func TestInvalidAccessKeyIDNotFoundDependsOnCaller(t *testing.T) {
	tests := []struct {
		name   string
		caller reply
		want   error
	}{
		{"caller key works: the target is unknown", reply{Body: map[string]any{"AccountId": "1234567890123456", "IdentityType": "RAMUser"}}, ErrNotFound},
		{"caller key is unknown", reply{Status: 404, Body: errBody("InvalidAccessKeyId.NotFound", "Specified access key is not found.", "R")}, ErrInvalidCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeCloud(t)
			f.sequence("UpdateAccessKey", reply{Status: 404, Body: errBody("InvalidAccessKeyId.NotFound", "Specified access key is not found.", "R")})
			f.sequence("GetCallerIdentity", tt.caller)
			c := newTestClients(t, testConfig(f.addr()))
			_, err := c.UpdateAccessKeyStatus(context.Background(), "alice", leakedKey, "Inactive")
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			// A second failure needs no second probe once the caller is proven.
			_, _ = c.UpdateAccessKeyStatus(context.Background(), "alice", leakedKey, "Inactive")
			wantProbes := 1
			if tt.want == ErrInvalidCredentials {
				wantProbes = 2
			}
			if n := len(f.callsFor("GetCallerIdentity")); n != wantProbes {
				t.Errorf("identity probes = %d, want %d", n, wantProbes)
			}
			// The caller's own credential problem is never about STS itself.
			if _, err := c.GetCallerIdentity(context.Background()); tt.want == ErrInvalidCredentials && !errors.Is(err, ErrInvalidCredentials) {
				t.Errorf("GetCallerIdentity err = %v", err)
			}
		})
	}
}

func TestReadTimeoutIsRetried(t *testing.T) {
	f := newFakeCloud(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	var n int
	var mu sync.Mutex
	f.handle("GetUser", func(call) reply {
		mu.Lock()
		n++
		first := n == 1
		mu.Unlock()
		if first {
			select { // stall past the client's read timeout
			case <-release:
			case <-time.After(2 * time.Second):
			}
		}
		return reply{Body: map[string]any{"User": map[string]any{"UserName": "alice"}}}
	})
	cfg := testConfig(f.addr())
	cfg.Timeout = 100 * time.Millisecond
	c := newTestClients(t, cfg)
	u, err := c.GetUser(context.Background(), "alice")
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	if u.UserName != "alice" || len(f.callsFor("GetUser")) != 2 {
		t.Errorf("user %+v after %d calls", u, len(f.callsFor("GetUser")))
	}
}

// When the last attempt gets no answer (a dropped connection), the error
// still quotes the request ID of the last attempt that was answered.
func TestDroppedLastAttemptKeepsEarlierRequestID(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.WriteHeader(503)
			fmt.Fprint(w, `{"RequestId":"R-503-EARLIER","Code":"ServiceUnavailable","Message":"The request has failed due to a temporary failure of the server."}`)
			return
		}
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	defer srv.Close()
	cfg := testConfig(strings.TrimPrefix(srv.URL, "http://"))
	cfg.MaxAttempts = 3
	c := newTestClients(t, cfg)
	_, err := c.GetUser(context.Background(), "alice")
	var ae *APIError
	if !errors.As(err, &ae) || !errors.Is(err, ErrTransient) {
		t.Fatalf("err = %v", err)
	}
	if ae.RequestID != "" || ae.EarlierRequestID != "R-503-EARLIER" || ae.EarlierCode != "ServiceUnavailable" {
		t.Errorf("request id %q, earlier %q %q", ae.RequestID, ae.EarlierCode, ae.EarlierRequestID)
	}
	if !strings.Contains(ae.Error(), "R-503-EARLIER") {
		t.Errorf("message %q does not quote the earlier request id", ae.Error())
	}
}
