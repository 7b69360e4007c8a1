package lab

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	actiontrail "github.com/alibabacloud-go/actiontrail-20200706/v3/client"
	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	ram "github.com/alibabacloud-go/ram-20150501/v2/client"
	sts "github.com/alibabacloud-go/sts-20150401/v2/client"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"
)

// Shared helpers for tests that drive the lab with the real SDK clients
// over loopback HTTP.

// cred is an AccessKey pair (plus token for STS credentials).
type cred struct{ id, secret, token string }

// testClock is an adjustable lab clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock(t time.Time) *testClock { return &testClock{t: t} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixture is a running lab with a root key.
type fixture struct {
	t    *testing.T
	srv  *Server
	root cred
}

const testRootKey = "LTAI5tROOTkey00000000000"

// newFixture starts a lab on 127.0.0.1:0 with an empty world holding one
// root key, and closes it when the test ends.
func newFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	t.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
	if opts.World == nil {
		opts.World = NewWorld(Account{ID: defaultAccountID, Alias: defaultAccountAlias})
	}
	root := cred{id: testRootKey, secret: "RootSecretRootSecretRootSecret"}
	created := time.Now().Add(-24 * time.Hour)
	if opts.Clock != nil {
		created = opts.Clock().Add(-24 * time.Hour)
	}
	opts.World.AccessKeys[root.id] = &AccessKey{ID: root.id, Secret: root.secret, Status: "Active", CreateDate: created, UpdateDate: created}
	srv, err := New(opts)
	if err != nil {
		t.Fatalf("start lab: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close lab: %v", err)
		}
	})
	return &fixture{t: t, srv: srv, root: root}
}

// addUser creates a RAM user with one key and the given system policies
// attached, directly in the world.
func (f *fixture) addUser(name string, systemPolicies ...string) cred {
	f.t.Helper()
	c := cred{id: "LTAI5t" + strings.ToUpper(padName(name)), secret: "Secret" + padName(name) + "Secret0000000"}
	f.srv.Update(func(w *World) {
		now := time.Now().Add(-time.Hour)
		w.Users[name] = &User{UserID: newUserID(w), UserName: name, DisplayName: name, CreateDate: now, UpdateDate: now}
		w.AccessKeys[c.id] = &AccessKey{ID: c.id, Secret: c.secret, Owner: name, Status: "Active", CreateDate: now, UpdateDate: now}
		for _, p := range systemPolicies {
			w.Attachments = append(w.Attachments, Attachment{PolicyName: p, PolicyType: "System", PrincipalType: "User", PrincipalName: name, AttachDate: now})
		}
	})
	return c
}

// padName makes an 18-character key suffix from a user name.
func padName(name string) string {
	s := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return 'x'
	}, name)
	s += strings.Repeat("0", 18)
	return s[:18]
}

func (f *fixture) config(c cred) *openapi.Config {
	cfg := &openapi.Config{
		AccessKeyId:     tea.String(c.id),
		AccessKeySecret: tea.String(c.secret),
		Endpoint:        tea.String(f.srv.Addr()),
		Protocol:        tea.String("http"),
		RegionId:        tea.String("cn-hangzhou"),
		ReadTimeout:     tea.Int(10000),
		ConnectTimeout:  tea.Int(5000),
	}
	if c.token != "" {
		cfg.SecurityToken = tea.String(c.token)
	}
	return cfg
}

// ramFrom is a RAM client whose calls come from the loopback address ip.
func (f *fixture) ramFrom(c cred, ip string) *ram.Client {
	f.t.Helper()
	cfg := f.config(c)
	cfg.HttpClient = newLocalAddrClient(ip)
	cl, err := ram.NewClient(cfg)
	if err != nil {
		f.t.Fatalf("ram client: %v", err)
	}
	return cl
}

func (f *fixture) ram(c cred) *ram.Client {
	f.t.Helper()
	cl, err := ram.NewClient(f.config(c))
	if err != nil {
		f.t.Fatalf("ram client: %v", err)
	}
	return cl
}

func (f *fixture) actiontrail(c cred) *actiontrail.Client {
	f.t.Helper()
	cl, err := actiontrail.NewClient(f.config(c))
	if err != nil {
		f.t.Fatalf("actiontrail client: %v", err)
	}
	return cl
}

func (f *fixture) sts(c cred) *sts.Client {
	f.t.Helper()
	cl, err := sts.NewClient(f.config(c))
	if err != nil {
		f.t.Fatalf("sts client: %v", err)
	}
	return cl
}

func (f *fixture) openapi(c cred) *openapi.Client {
	f.t.Helper()
	cl, err := openapi.NewClient(f.config(c))
	if err != nil {
		f.t.Fatalf("openapi client: %v", err)
	}
	return cl
}

// rpc calls an RPC API through the generic client, the way the IMS SDK does
// (params in the query), optionally from a chosen loopback source address.
func (f *fixture) rpc(c cred, version, action string, query map[string]string, localAddr string) (map[string]any, error) {
	f.t.Helper()
	q := map[string]*string{}
	for k, v := range query {
		q[k] = tea.String(v)
	}
	params := &openapi.Params{
		Action: tea.String(action), Version: tea.String(version), Protocol: tea.String("HTTP"),
		Pathname: tea.String("/"), Method: tea.String("POST"), AuthType: tea.String("AK"),
		Style: tea.String("RPC"), ReqBodyType: tea.String("formData"), BodyType: tea.String("json"),
	}
	cl := f.openapi(c)
	if localAddr != "" {
		// darabonba-openapi v2.1.14 does not forward RuntimeOptions.LocalAddr
		// to tea's dialer (its runtime map omits "localAddr"), so the source
		// address is bound through the Config.HttpClient seam instead.
		cfg := f.config(c)
		cfg.HttpClient = newLocalAddrClient(localAddr)
		var err error
		if cl, err = openapi.NewClient(cfg); err != nil {
			f.t.Fatalf("openapi client: %v", err)
		}
	}
	resp, err := cl.CallApi(params, &openapi.OpenApiRequest{Query: q}, &dara.RuntimeOptions{})
	if err != nil {
		return nil, err
	}
	body, _ := resp["body"].(map[string]any)
	return body, nil
}

func (f *fixture) ims(c cred, action string, query map[string]string) (map[string]any, error) {
	return f.rpc(c, "2019-08-15", action, query, "")
}

// asSDKError reports whether err is the SDK's error type.
func asSDKError(err error) (*tea.SDKError, bool) {
	var se *tea.SDKError
	ok := errors.As(err, &se)
	return se, ok
}

// sdkErr unwraps the SDK's error.
func sdkErr(t *testing.T, err error) *tea.SDKError {
	t.Helper()
	var se *tea.SDKError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *tea.SDKError", err, err)
	}
	return se
}

// wantCode asserts that err is an SDK error with code and HTTP status.
func wantCode(t *testing.T, err error, code string, status int) *tea.SDKError {
	t.Helper()
	if err == nil {
		t.Fatalf("call succeeded, want error %s", code)
	}
	se := sdkErr(t, err)
	if got := tea.StringValue(se.Code); got != code {
		t.Fatalf("error code = %q, want %q (message %q)", got, code, tea.StringValue(se.Message))
	}
	if got := tea.IntValue(se.StatusCode); got != status {
		t.Fatalf("%s: HTTP status = %d, want %d", code, got, status)
	}
	return se
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("call failed: %v", err)
	}
}

// eventsFor returns the recorded events of one action, oldest first.
func eventsFor(s *Server, action string) []Event {
	var out []Event
	for _, e := range s.Events() {
		if e.EventName == action {
			out = append(out, e)
		}
	}
	return out
}

// localAddrClient is a dara.HttpClient whose connections leave from a
// fixed loopback source address.
type localAddrClient struct{ c *http.Client }

func newLocalAddrClient(ip string) *localAddrClient {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &localAddrClient{c: &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{DialContext: d.DialContext}}}
}

func (l *localAddrClient) Call(req *http.Request, _ *http.Transport) (*http.Response, error) {
	return l.c.Do(req)
}

var _ dara.HttpClient = (*localAddrClient)(nil)
