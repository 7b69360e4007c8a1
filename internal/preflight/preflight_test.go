package preflight

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/cloud"
)

type fake struct {
	trails   []cloud.Trail
	status   map[string]cloud.TrailStatus
	insights map[string]bool
	rows     []cloud.CredentialReportRow
	acl      string
	id       cloud.CallerIdentity
	policies map[string]string // name -> document
	leaksErr error
	enabled  []string
}

func (f *fake) Trails(context.Context) ([]cloud.Trail, error) { return f.trails, nil }
func (f *fake) GetTrailStatus(_ context.Context, n string) (cloud.TrailStatus, error) {
	return f.status[n], nil
}
func (f *fake) EnabledInsightTypes(context.Context) (map[string]bool, error) { return f.insights, nil }
func (f *fake) CredentialReport(context.Context) ([]cloud.CredentialReportRow, error) {
	return f.rows, nil
}
func (f *fake) GetAccessKeyPolicyForAccount(context.Context) (string, error) { return f.acl, nil }
func (f *fake) GetCallerIdentity(context.Context) (cloud.CallerIdentity, error) {
	return f.id, nil
}
func (f *fake) ListPoliciesForUser(context.Context, string) ([]cloud.AttachedPolicy, error) {
	var out []cloud.AttachedPolicy
	for n := range f.policies {
		out = append(out, cloud.AttachedPolicy{PolicyName: n, PolicyType: "Custom"})
	}
	return out, nil
}
func (f *fake) ListGroupsForUser(context.Context, string) ([]cloud.Group, error) { return nil, nil }
func (f *fake) ListPoliciesForGroup(context.Context, string) ([]cloud.AttachedPolicy, error) {
	return nil, nil
}
func (f *fake) GetPolicy(_ context.Context, n, _ string) (cloud.Policy, error) {
	return cloud.Policy{PolicyName: n, Document: f.policies[n]}, nil
}
func (f *fake) AccessKeyLeaks(context.Context, cloud.LeakQuery) ([]cloud.LeakRecord, error) {
	return nil, f.leaksErr
}
func (f *fake) EnableInsight(_ context.Context, t string) (string, error) {
	f.enabled = append(f.enabled, t)
	return "req", nil
}

// TestChecks: a stopped, regional, write-only trail without destination
// fails and warns with the fixes; a user whose policy denies SetAccessKeyPolicy
// learns that contain would fail and why; an unreadable Security Center
// warns; an active account-level policy passes; --fix enables exactly the
// missing Insights types.
func TestChecks(t *testing.T) {
	f := &fake{
		trails:   []cloud.Trail{{Name: "trail-one", TrailRegion: "cn-hangzhou", EventRW: "Write"}},
		status:   map[string]cloud.TrailStatus{"trail-one": {IsLogging: false}},
		insights: map[string]bool{"AkInsight": true, "IpInsight": true},
		rows: []cloud.CredentialReportRow{{User: "<root>", Keys: []cloud.CredentialReportKey{{Exist: false}}},
			{User: "dev@acme.onaliyun.com", PasswordExist: true, MFAActive: true}},
		acl: `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IpList":["10.0.0.0/8"]}]}`,
		id:  cloud.CallerIdentity{IdentityType: "RAMUser", AccountID: "1", Arn: "acs:ram::1:user/responder"},
		policies: map[string]string{
			"all":  `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
			"deny": `{"Version":"1","Statement":[{"Effect":"Deny","Action":["ram:SetAccessKeyPolicy"],"Resource":"*"}]}`,
		},
		leaksErr: &cloud.APIError{Code: "NoPermission", Message: "denied"},
	}
	r, err := Run(context.Background(), f, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{CheckTrailExists: Pass, CheckTrailLogging: Fail, CheckTrailRegions: Warn, CheckTrailEvents: Warn,
		CheckTrailDelivery: Fail, CheckInsights: Warn, CheckRootKey: Pass, CheckConsoleMFA: Pass, CheckAccountACL: Pass,
		CheckPermissions: Fail, CheckSecurityCenter: Warn}
	for id, st := range want {
		if c := r.Check(id); c == nil || c.Status != st {
			t.Errorf("%s = %+v, want %s", id, c, st)
		}
	}
	perm := r.Check(CheckPermissions)
	if !slices.Contains(perm.Items, "contain") || !slices.Contains(perm.Items, "rotate") || slices.Contains(perm.Items, "audit") ||
		!strings.Contains(perm.Detail, "ram:SetAccessKeyPolicy (denied by deny)") {
		t.Errorf("permissions = %+v", perm)
	}
	if r.Summary.Fail != 3 || r.Summary.Worst != Fail || r.AtLeast(Warn) != 7 {
		t.Errorf("summary = %+v, at least warn %d", r.Summary, r.AtLeast(Warn))
	}
	missing := r.MissingInsights()
	if !slices.Equal(missing, []string{"ApiErrorRateInsight", "TrailConcealmentInsight"}) {
		t.Fatalf("missing insights = %v", missing)
	}
	if err := Fix(context.Background(), f, r, missing); err != nil || !slices.Equal(f.enabled, missing) {
		t.Fatalf("fix enabled %v (%v)", f.enabled, err)
	}
	if !errors.As(f.leaksErr, new(*cloud.APIError)) {
		t.Fatal("fake")
	}
}
