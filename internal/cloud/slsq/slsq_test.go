package slsq

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sls "github.com/aliyun/aliyun-log-go-sdk"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/redact"
)

func TestNormalizeEndpoint(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{in: "cn-hangzhou.log.aliyuncs.com", want: "https://cn-hangzhou.log.aliyuncs.com"},
		{in: " cn-shanghai-intranet.log.aliyuncs.com/ ", want: "https://cn-shanghai-intranet.log.aliyuncs.com"},
		{in: "http://cn-hangzhou.log.aliyuncs.com", want: "http://cn-hangzhou.log.aliyuncs.com"},
		{in: "HTTPS://10.0.0.5:8443", want: "https://10.0.0.5:8443"},
		{in: "127.0.0.1:4417", want: "http://127.0.0.1:4417"},
		{in: "localhost:80", want: "http://localhost:80"},
		{in: "[::1]:9000", want: "http://[::1]:9000"},
		{in: "", err: "empty"},
		{in: "ftp://x", err: `scheme "ftp"`},
		{in: "cn-hangzhou.log.aliyuncs.com/logstores", err: "no path"},
		{in: "user@host", err: "no path, query or user info"},
		{in: "host:0", err: "want 1-65535"},
		{in: "host:", err: "empty port"},
		{in: "http://", err: "want host[:port]"},
	} {
		got, err := NormalizeEndpoint(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("NormalizeEndpoint(%q) = %q, %v; want error containing %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("NormalizeEndpoint(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestPinnedHost(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:4417":                "127.0.0.1:4417",
		"http://localhost":                     "localhost:80",
		"https://10.0.0.5":                     "10.0.0.5:443",
		"https://[::1]:9":                      "[::1]:9",
		"https://cn-hangzhou.log.aliyuncs.com": "",
	} {
		if got := pinnedHost(in); got != want {
			t.Errorf("pinnedHost(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseTarget(t *testing.T) {
	for in, ok := range map[string]bool{
		"trail-proj/actiontrail_leak": true,
		"p1x/l_2":                     true,
		"trail-proj":                  false,
		"/store":                      false,
		"Proj/store":                  false,
		"proj/store/extra":            false,
		"pr/store":                    false,
	} {
		tg, err := ParseTarget(in)
		if (err == nil) != ok {
			t.Errorf("ParseTarget(%q) = %v, %v; want ok %v", in, tg, err, ok)
		}
		if ok && tg.String() != in {
			t.Errorf("ParseTarget(%q).String() = %q", in, tg)
		}
	}
}

// TestAddressEndpoint: an endpoint given as an address reaches that
// address although the SDK asks for <project>.<address>, over plain HTTP on
// loopback, and the bytes received are counted. SLS's errors come back as
// *Error matching the internal/cloud sentinels. The SDK writes nothing to
// stdout (its default logger would, on every credential refresh).
func TestAddressEndpoint(t *testing.T) {
	var hosts []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hosts = append(hosts, r.Host)
		w.Header().Set("x-log-requestid", "REQ1")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"errorCode":"LogStoreNotExist","errorMessage":"logstore actiontrail_x does not exist"}`))
	}))
	defer srv.Close()
	refresh := func() (string, redact.Secret, redact.Secret, time.Time, error) {
		return "LTAI5tSLSUNIT00000000001", redact.Secret("unit-secret"), "", time.Now().Add(time.Second), nil
	}
	c, err := New(Config{Endpoint: srv.Listener.Addr().String(), Refresh: refresh, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The SDK's default logger holds the stdout *os.File it saw at start-up
	// and writes debug records (each credential refresh) to it.
	if _, ok := sls.Logger.(discardLogger); !ok {
		t.Errorf("the SDK logger is %T, which writes to stdout", sls.Logger)
	}
	if !strings.HasPrefix(c.Endpoint(), "http://127.0.0.1:") {
		t.Errorf("endpoint %q", c.Endpoint())
	}
	_, err = c.IndexKeys(context.Background(), Target{Project: "proj", Logstore: "actiontrail_x"})
	var se *Error
	if !errors.As(err, &se) || se.Code != "LogStoreNotExist" || !errors.Is(err, cloud.ErrNotFound) || se.Hint() == "" {
		t.Fatalf("err = %#v", err)
	}
	if len(hosts) != 1 {
		t.Fatalf("requests %v", hosts)
	}
	if h, _, _ := net.SplitHostPort(hosts[0]); h != "proj.127.0.0.1" {
		t.Errorf("Host %q, want the project prefixed to the endpoint", hosts[0])
	}
	if c.BytesReceived() < int64(len(`{"errorCode":"LogStoreNotExist"}`)) {
		t.Errorf("bytes received %d", c.BytesReceived())
	}
	if strings.Contains(err.Error(), "unit-secret") {
		t.Error("error shows the secret")
	}
}
