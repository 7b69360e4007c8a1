package e2e

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	ram "github.com/alibabacloud-go/ram-20150501/v2/client"
	sts "github.com/alibabacloud-go/sts-20150401/v2/client"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"
)

// sourceClient is a dara.HttpClient that dials from a chosen loopback
// address: the SDK's own RuntimeOptions.LocalAddr is not passed to the
// dialer by darabonba-openapi v2.1.14.
type sourceClient struct{ c *http.Client }

func newSourceClient(ip string) *sourceClient {
	d := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &sourceClient{c: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: d.DialContext}}}
}

var _ dara.HttpClient = (*sourceClient)(nil)

func (s *sourceClient) Call(req *http.Request, _ *http.Transport) (*http.Response, error) {
	return s.c.Do(req)
}

func sdkConfig(l *runningLab, principal, from string) *openapi.Config {
	c := l.info.Credentials[principal]
	cfg := &openapi.Config{
		AccessKeyId:     tea.String(c.AccessKeyID),
		AccessKeySecret: tea.String(c.AccessKeySecret),
		Endpoint:        tea.String(l.info.Endpoint),
		Protocol:        tea.String("http"),
		RegionId:        tea.String(l.info.Region),
		ReadTimeout:     tea.Int(10000),
		ConnectTimeout:  tea.Int(5000),
	}
	if from != "" {
		cfg.HttpClient = newSourceClient(from)
	}
	return cfg
}

// `akresp lab serve --scenario builtin:leak` works with a client that is
// not akresp: the official SDKs, configured only from the printed JSON.
func TestLabServeWithOfficialSDKs(t *testing.T) {
	l := startLab(t, "--scenario", "builtin:leak")
	if l.info.SchemaVersion != "akresp.lab/v1" || l.info.AccountID == "" || l.info.LeakedKeyID == "" ||
		l.info.AttackerIP != "127.0.0.66" || l.info.OfficeIP == "" {
		t.Fatalf("lab info = %+v", l.info)
	}
	for _, p := range []string{"admin", "app-prod"} {
		if c := l.info.Credentials[p]; c.AccessKeyID == "" || c.AccessKeySecret == "" {
			t.Fatalf("no credentials for %s in %+v", p, l.info.Credentials)
		}
	}

	admin, err := ram.NewClient(sdkConfig(l, "admin", ""))
	if err != nil {
		t.Fatal(err)
	}
	users, err := admin.ListUsers(&ram.ListUsersRequest{MaxItems: tea.Int32(100)})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, u := range users.Body.Users.User {
		names = append(names, tea.StringValue(u.UserName))
	}
	if !strings.Contains(strings.Join(names, ","), "app-prod") {
		t.Errorf("ListUsers = %v", names)
	}

	stsc, err := sts.NewClient(sdkConfig(l, "app-prod", l.info.AttackerIP))
	if err != nil {
		t.Fatal(err)
	}
	id, err := stsc.GetCallerIdentity()
	if err != nil {
		t.Fatal(err)
	}
	if got := tea.StringValue(id.Body.Arn); !strings.HasSuffix(got, ":user/app-prod") {
		t.Errorf("GetCallerIdentity Arn = %q", got)
	}

	// A wrong secret is refused with the real error code.
	bad := sdkConfig(l, "admin", "")
	bad.AccessKeySecret = tea.String(strings.Repeat("A", 30))
	badc, err := ram.NewClient(bad)
	if err != nil {
		t.Fatal(err)
	}
	_, err = badc.ListUsers(&ram.ListUsersRequest{})
	var se *tea.SDKError
	if !errors.As(err, &se) || tea.StringValue(se.Code) != "SignatureDoesNotMatch" {
		t.Errorf("wrong secret: %v", err)
	}
	if err := l.stop(t); err != nil {
		t.Errorf("lab exited with %v after SIGINT; stderr: %s", err, l.stderr)
	}
	if !strings.Contains(l.stderr.String(), "lab stopped after") {
		t.Errorf("stderr = %q", l.stderr)
	}
}

func TestLabServeRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--addr", "0.0.0.0:0"},
		{"--fault-rate", "2"},
		{"--scenario", "builtin:nope"},
	} {
		out, err := runAkresp(t, nil, append([]string{"lab", "serve"}, args...)...)
		if code := exitCode(err); code != 2 {
			t.Errorf("lab serve %v: exit %d, want 2; output %s", args, code, out)
		}
	}
}
