package cloud

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/redact"
)

// TestMain keeps credentials-go away from the real world: no ECS metadata
// probe (100.100.100.200), no CLI or credentials-file profiles from the
// developer's home, no credentials from the environment.
func TestMain(m *testing.M) {
	home, err := os.MkdirTemp("", "akresp-cloud-test-home")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
	os.Setenv("HOME", home)
	for _, k := range []string{
		"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN",
		"ALIBABA_CLOUD_ROLE_ARN", "ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
		"ALIBABA_CLOUD_CONFIG_FILE", "ALIBABA_CLOUD_PROFILE", "ALIBABA_CLOUD_CREDENTIALS_FILE",
		"ALIBABA_CLOUD_CREDENTIALS_URI", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy",
	} {
		os.Unsetenv(k)
	}
	code := m.Run()
	os.RemoveAll(home)
	os.Exit(code)
}

const (
	testKeyID  = "LTAI5tEXAMPLEexample0000"
	testSecret = "ExampleSecretExampleSecret0000"
	testToken  = "CAIStokenSECRETtokenSECRET0000"
	leakedKey  = "LTAI5tLEAKEDleaked000000"
)

// call is one request the fake saw.
type call struct {
	Action  string
	Version string
	Query   url.Values
	Header  http.Header
	Remote  string
}

// reply is what a handler answers.
type reply struct {
	Status int
	Body   any               // marshalled to JSON unless it is a string
	Header map[string]string // extra response headers
}

// fakeCloud is an httptest server answering by x-acs-action. It does not
// verify signatures; the lab-backed tests do.
type fakeCloud struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	handlers map[string]func(call) reply
	calls    []call
}

func newFakeCloud(t *testing.T) *fakeCloud {
	t.Helper()
	f := &fakeCloud{t: t, handlers: map[string]func(call) reply{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeCloud) handle(action string, h func(call) reply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handlers[action] = h
}

// sequence answers the replies in order, repeating the last one.
func (f *fakeCloud) sequence(action string, replies ...reply) {
	var n int
	var mu sync.Mutex
	f.handle(action, func(call) reply {
		mu.Lock()
		defer mu.Unlock()
		r := replies[min(n, len(replies)-1)]
		n++
		return r
	})
}

func (f *fakeCloud) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	c := call{
		Action:  r.Header.Get("x-acs-action"),
		Version: r.Header.Get("x-acs-version"),
		Query:   q,
		Header:  r.Header.Clone(),
		Remote:  r.RemoteAddr,
	}
	f.mu.Lock()
	f.calls = append(f.calls, c)
	h := f.handlers[c.Action]
	f.mu.Unlock()
	if h == nil {
		w.WriteHeader(404)
		fmt.Fprintf(w, `{"RequestId":"NOHANDLER","Code":"InvalidApi.NotFound","Message":"no handler for %s"}`, c.Action)
		return
	}
	rep := h(c)
	for k, v := range rep.Header {
		w.Header().Set(k, v)
	}
	status := rep.Status
	if status == 0 {
		status = 200
	}
	var body []byte
	switch b := rep.Body.(type) {
	case string:
		body = []byte(b)
	case nil:
		body = []byte(`{"RequestId":"OK-REQUEST"}`)
	default:
		var err error
		if body, err = json.Marshal(b); err != nil {
			f.t.Errorf("marshal reply: %v", err)
		}
	}
	if _, ok := rep.Body.(string); !ok {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (f *fakeCloud) callsFor(action string) []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []call
	for _, c := range f.calls {
		if c.Action == action {
			out = append(out, c)
		}
	}
	return out
}

// addr is the bare host:port of the fake.
func (f *fakeCloud) addr() string { return f.srv.Listener.Addr().String() }

// errBody is an Alibaba-style JSON error body.
func errBody(code, msg, reqID string) map[string]any {
	return map[string]any{"RequestId": reqID, "HostId": "ram.aliyuncs.com", "Code": code, "Message": msg}
}

// testConfig points at the fake with static credentials and fast retries.
func testConfig(endpoint string) Config {
	return Config{
		Endpoint:    endpoint,
		Credential:  &StaticCredential{AccessKeyID: testKeyID, AccessKeySecret: redact.Secret(testSecret)},
		RetryBase:   time.Millisecond,
		MaxAttempts: 3,
		Timeout:     5 * time.Second,
		RateScale:   1000, // keep unit tests from waiting on quotas
		Version:     "1.2.3",
	}
}

func newTestClients(t *testing.T, cfg Config) *Clients {
	t.Helper()
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// logBuffer is a concurrency-safe slog sink.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func debugLogger(w *logBuffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
