package audit_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/audit"
	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/lab"
	"github.com/akresp/akresp/internal/redact"
)

// A console user who never signed in shows "-" as user_last_logon in the
// documented credential report; the sweep still reports the user (console
// login, no MFA) and reads no sign-in time from the "-". The root row is
// "<root>": its key is reported from the report when a RAM user sweeps.
func TestSweepReportsNeverSignedInConsoleUser(t *testing.T) {
	const scenario = `{"name":"never-signed-in","seed":3,"region":"cn-hangzhou","account":{"id":"1234567890123456","alias":"nsi"},
"users":[{"name":"admin","created":"-300d"},{"name":"newhire","created":"-3d"}],
"access_keys":[{"id":"LTAI5tNSIADMIN0000000001","secret":"nsiAdminSecret0000000000000001","owner":"admin","created":"-100d"},
 {"id":"LTAI5tNSIROOT00000000001","secret":"nsiRootSecret00000000000000001","owner":"root","created":"-200d"}],
"events":[{"time":"-1d@10:00","access_key":"LTAI5tNSIROOT00000000001","source_ip":"127.0.0.10","version":"2014-05-26","action":"DescribeInstances"}],
"login_profiles":[{"user":"newhire"}],
"attachments":[{"policy":"AdministratorAccess","user":"admin"}]}`
	sc, err := lab.ParseScenario([]byte(scenario))
	if err != nil {
		t.Fatal(err)
	}
	w, info, err := sc.Build(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := lab.New(lab.Options{World: w})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	admin := info.Credentials["admin"]
	c, err := cloud.New(context.Background(), cloud.Config{Endpoint: "http://" + srv.Addr(), RateScale: 1000, MaxAttempts: 1, Version: "test",
		Credential: &cloud.StaticCredential{AccessKeyID: admin.AccessKeyID, AccessKeySecret: redact.Secret(admin.AccessKeySecret)}})
	if err != nil {
		t.Fatal(err)
	}

	rows, err := c.CredentialReport(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var sawRoot, sawNewhire bool
	for _, row := range rows {
		switch row.User {
		case "<root>":
			sawRoot = true
		case "newhire@nsi.onaliyun.com":
			sawNewhire = row.PasswordExist && row.LastLogon.IsZero()
		}
	}
	if !sawRoot || !sawNewhire {
		t.Fatalf("credential report rows %+v: want a <root> row and newhire with a password and no sign-in", rows)
	}

	r, err := audit.Sweep(context.Background(), c, audit.SweepOptions{Now: time.Now(), UseCredentialReport: audit.ReportAlways})
	if err != nil {
		t.Fatal(err)
	}
	var newhire *audit.UserStatus
	for i := range r.Users {
		if r.Users[i].User == "newhire" || r.Users[i].User == "newhire@nsi.onaliyun.com" {
			newhire = &r.Users[i]
		}
	}
	if newhire == nil || !newhire.ConsoleLogin || newhire.MFA || !newhire.LastLogin.IsZero() ||
		!slices.Contains(newhire.Findings, audit.UserConsoleWithoutMFA) || newhire.Severity != audit.High {
		t.Fatalf("never-signed-in console user: %+v (users %+v)", newhire, r.Users)
	}
	var root *audit.KeyStatus
	for i := range r.Keys {
		if r.Keys[i].IsRoot() {
			root = &r.Keys[i]
		}
	}
	if root == nil || !slices.Contains(root.Classes, audit.ClassRootKeyUsed) {
		t.Fatalf("root key from the <root> row: %+v", r.Keys)
	}
}
