package cloud_test

// Lab-backed conformance tests: every method of *cloud.Clients that akresp
// uses, through the real SDKs, against internal/lab on loopback. The lab
// verifies signatures written from the spec, not from the SDK, so these
// catch signing, paging, decoding and error-classification mistakes.

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/lab"
	"github.com/akresp/akresp/internal/redact"
)

type leakLab struct {
	srv  *lab.Server
	info *lab.ScenarioInfo
	now  time.Time
}

func startLeakLab(t *testing.T, opts lab.Options) *leakLab {
	t.Helper()
	sc, err := lab.LoadScenario("builtin:leak")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	w, info, err := sc.Build(now)
	if err != nil {
		t.Fatal(err)
	}
	opts.World = w
	srv, err := lab.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return &leakLab{srv: srv, info: info, now: now}
}

func (l *leakLab) clients(t *testing.T, principal, localAddr string, mod func(*cloud.Config)) *cloud.Clients {
	t.Helper()
	cred, ok := l.info.Credentials[principal]
	if !ok {
		t.Fatalf("scenario has no credentials for %q", principal)
	}
	cfg := cloud.Config{
		Endpoint:   l.srv.Addr(),
		Credential: &cloud.StaticCredential{AccessKeyID: cred.AccessKeyID, AccessKeySecret: redact.Secret(cred.AccessKeySecret)},
		Timeout:    5 * time.Second,
		RetryBase:  10 * time.Millisecond,
		LocalAddr:  localAddr,
		Version:    "test",
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := cloud.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLabRAMAndIMSReads(t *testing.T) {
	l := startLeakLab(t, lab.Options{})
	ctx := context.Background()
	admin := l.clients(t, "admin", "", nil)
	leaked := l.info.Notes["leaked_key_id"]

	users, err := admin.ListUsers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, u := range users {
		names[u.UserName] = true
	}
	for _, want := range []string{"admin", "app-prod", "reporting", "svc-backup", "alice"} {
		if !names[want] {
			t.Errorf("ListUsers lacks %s (got %v)", want, names)
		}
	}

	owner, err := admin.GetUserByAccessKey(ctx, leaked)
	if err != nil {
		t.Fatal(err)
	}
	if owner.UserName != "app-prod" || !strings.HasPrefix(owner.UserPrincipalName, "app-prod@") {
		t.Errorf("owner = %+v", owner)
	}
	keys, err := admin.ListAccessKeys(ctx, "app-prod")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, k := range keys {
		if k.AccessKeyID == leaked && k.Status == "Active" && !k.CreateDate.IsZero() {
			found = true
		}
	}
	if !found {
		t.Errorf("ListAccessKeys(app-prod) = %+v, want the leaked key active", keys)
	}
	pols, err := admin.ListPoliciesForUser(ctx, "app-prod")
	if err != nil || len(pols) == 0 {
		t.Fatalf("ListPoliciesForUser = %v, %v", pols, err)
	}
	sys, err := admin.GetPolicy(ctx, "AdministratorAccess", "System")
	if err != nil || !strings.Contains(sys.Document, "Allow") {
		t.Fatalf("GetPolicy(AdministratorAccess) = %+v, %v", sys, err)
	}
	if _, err := admin.GetUser(ctx, "no-such-user"); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("GetUser(missing) err = %v, want ErrNotFound", err)
	}
	if _, ok, err := admin.GetLoginProfile(ctx, "alice"); err != nil || !ok {
		t.Errorf("GetLoginProfile(alice) = %v, %v", ok, err)
	}
	if _, ok, err := admin.GetLoginProfile(ctx, "app-prod"); err != nil || ok {
		t.Errorf("GetLoginProfile(app-prod) = %v, %v; want none", ok, err)
	}
	if mfa, err := admin.GetUserMFAInfo(ctx, "alice"); err != nil || mfa.Enabled {
		t.Errorf("alice MFA = %+v, %v; want none", mfa, err)
	}
	if mfa, err := admin.GetUserMFAInfo(ctx, "bob"); err != nil || !mfa.Enabled {
		t.Errorf("bob MFA = %+v, %v; want enabled", mfa, err)
	}
	last, err := admin.GetAccessKeyLastUsed(ctx, "app-prod", leaked)
	if err != nil || last.IsZero() {
		t.Errorf("GetAccessKeyLastUsed = %v, %v", last, err)
	}

	rows, err := admin.CredentialReport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var sawAlice, sawRoot bool
	for _, r := range rows {
		if strings.HasPrefix(r.User, "alice@") {
			sawAlice = true
			if !r.PasswordExist || r.MFAActive {
				t.Errorf("alice row = %+v", r)
			}
		}
		if r.User == "<root>" {
			sawRoot = true
		}
	}
	if !sawAlice || !sawRoot {
		t.Errorf("credential report rows lack alice (%v) or root (%v): %d rows", sawAlice, sawRoot, len(rows))
	}

	id, err := admin.GetCallerIdentity(ctx)
	if err != nil || id.IdentityType != "RAMUser" || !strings.HasSuffix(id.Arn, ":user/admin") {
		t.Errorf("GetCallerIdentity = %+v, %v", id, err)
	}
	root := l.clients(t, "root", "", nil)
	rid, err := root.GetCallerIdentity(ctx)
	if err != nil || rid.IdentityType != "Account" {
		t.Errorf("root GetCallerIdentity = %+v, %v", rid, err)
	}
}

func TestLabPolicyLifecycleAndAttachments(t *testing.T) {
	l := startLeakLab(t, lab.Options{})
	ctx := context.Background()
	admin := l.clients(t, "admin", "", nil)
	doc := `{"Version":"1","Statement":[{"Effect":"Deny","Action":["ram:CreateUser"],"Resource":"*"}]}`
	if _, err := admin.CreatePolicy(ctx, "akresp-test", doc, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreatePolicy(ctx, "akresp-test", doc, "test"); !errors.Is(err, cloud.ErrAlreadyExists) {
		t.Errorf("second CreatePolicy err = %v, want ErrAlreadyExists", err)
	}
	doc2 := strings.Replace(doc, "ram:CreateUser", "ram:CreateAccessKey", 1)
	v, _, err := admin.CreatePolicyVersion(ctx, "akresp-test", doc2, true)
	if err != nil || v.VersionID != "v2" {
		t.Fatalf("CreatePolicyVersion = %+v, %v", v, err)
	}
	got, err := admin.GetPolicy(ctx, "akresp-test", "Custom")
	if err != nil || got.DefaultVersion != "v2" || !strings.Contains(got.Document, "CreateAccessKey") {
		t.Fatalf("GetPolicy = %+v, %v", got, err)
	}
	vers, err := admin.ListPolicyVersions(ctx, "akresp-test", "Custom")
	if err != nil || len(vers) != 2 {
		t.Fatalf("ListPolicyVersions = %+v, %v", vers, err)
	}
	if _, err := admin.DeletePolicyVersion(ctx, "akresp-test", "v1"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AttachPolicyToUser(ctx, "Custom", "akresp-test", "reporting"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AttachPolicyToUser(ctx, "Custom", "akresp-test", "reporting"); !errors.Is(err, cloud.ErrAlreadyExists) {
		t.Errorf("double attach err = %v", err)
	}
	if _, err := admin.DeletePolicy(ctx, "akresp-test"); !errors.Is(err, cloud.ErrConflict) {
		t.Errorf("DeletePolicy while attached err = %v, want ErrConflict", err)
	}
	if _, err := admin.DetachPolicyFromUser(ctx, "Custom", "akresp-test", "reporting"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.DeletePolicy(ctx, "akresp-test"); err != nil {
		t.Fatal(err)
	}
}

func TestLabKeysACLAndErrors(t *testing.T) {
	l := startLeakLab(t, lab.Options{})
	ctx := context.Background()
	admin := l.clients(t, "admin", "", nil)
	leaked := l.info.Notes["leaked_key_id"]
	office := l.info.Notes["office_ip"]
	attacker := l.info.Notes["attacker_ip"]

	// The third key for one user fails with the limit error.
	n, err := admin.CreateAccessKey(ctx, "reporting")
	if err != nil {
		t.Fatal(err)
	}
	if n.Secret.IsZero() || n.AccessKeyID == "" {
		t.Fatalf("CreateAccessKey = %+v", n)
	}
	if _, err := admin.CreateAccessKey(ctx, "reporting"); !errors.Is(err, cloud.ErrLimitExceeded) {
		t.Errorf("third key err = %v, want ErrLimitExceeded", err)
	}

	// Disable the new key: it can no longer sign.
	if _, err := admin.UpdateAccessKeyStatus(ctx, "reporting", n.AccessKeyID, "Inactive"); err != nil {
		t.Fatal(err)
	}
	disabled, err := cloud.New(ctx, cloud.Config{Endpoint: l.srv.Addr(), Version: "test", MaxAttempts: 1,
		Credential: &cloud.StaticCredential{AccessKeyID: n.AccessKeyID, AccessKeySecret: n.Secret}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := disabled.GetCallerIdentity(ctx); !errors.Is(err, cloud.ErrInvalidCredentials) {
		t.Errorf("disabled key err = %v, want ErrInvalidCredentials", err)
	}

	// A wrong secret is rejected.
	wrong := l.clients(t, "reporting", "", func(c *cloud.Config) {
		c.Credential.AccessKeySecret = redact.Secret(strings.Repeat("x", 30))
		c.MaxAttempts = 1
	})
	var ae *cloud.APIError
	if _, err := wrong.ListUsers(ctx); !errors.As(err, &ae) || ae.Code != "SignatureDoesNotMatch" || ae.RequestID == "" {
		t.Errorf("wrong secret err = %v", err)
	}

	// Network ACL on the leaked key: office allowed, attacker refused.
	owner, err := admin.GetUserByAccessKey(ctx, leaked)
	if err != nil {
		t.Fatal(err)
	}
	acl := `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["` + office + `"]}]}`
	if _, err := admin.SetAccessKeyPolicy(ctx, leaked, owner.UserPrincipalName, acl); err != nil {
		t.Fatal(err)
	}
	got, err := admin.GetAccessKeyPolicy(ctx, leaked, owner.UserPrincipalName)
	if err != nil || !strings.Contains(got, office) {
		t.Fatalf("GetAccessKeyPolicy = %q, %v", got, err)
	}
	fromAttacker := l.clients(t, "app-prod", attacker, func(c *cloud.Config) { c.MaxAttempts = 1 })
	_, err = fromAttacker.ListUsers(ctx)
	if !errors.Is(err, cloud.ErrNetworkPolicy) || !errors.As(err, &ae) || ae.HTTPStatus != 403 {
		t.Errorf("attacker call err = %v, want ErrNetworkPolicy", err)
	} else if !strings.Contains(ae.Hint(), "network") {
		t.Errorf("hint %q does not mention the network policy", ae.Hint())
	}
	fromOffice := l.clients(t, "app-prod", office, nil)
	if _, err := fromOffice.ListUsers(ctx); err != nil {
		t.Errorf("office call err = %v", err)
	}

	// Generic drill call: an ECS action, authorised and recorded.
	out, err := fromOffice.CallRPC(ctx, "ecs", "DescribeInstances", map[string]string{"RegionId": "cn-hangzhou"})
	if err != nil || out["RequestId"] == nil {
		t.Errorf("CallRPC = %v, %v", out, err)
	}
	if _, err := fromOffice.CallRPC(ctx, "nosuch", "X", nil); err == nil {
		t.Error("CallRPC accepted an unknown product")
	}
}

func TestLabLookupEventsAndLastUsed(t *testing.T) {
	l := startLeakLab(t, lab.Options{})
	ctx := context.Background()
	admin := l.clients(t, "admin", "", nil)
	leaked := l.info.Notes["leaked_key_id"]
	attacker := l.info.Notes["attacker_ip"]

	var events []map[string]any
	pages := 0
	q := cloud.LookupQuery{AttributeKey: "EventAccessKeyId", AttributeValue: leaked, Start: l.now.Add(-30 * 24 * time.Hour), End: l.now.Add(time.Minute), PageSize: 50}
	err := admin.LookupEvents(ctx, q, func(page []json.RawMessage) error {
		pages++
		for _, raw := range page {
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				return err
			}
			events = append(events, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if pages < 2 || len(events) < 60 {
		t.Fatalf("LookupEvents gave %d events in %d pages", len(events), pages)
	}
	ids := map[string]bool{}
	sawAttacker := false
	for _, e := range events {
		id, _ := e["eventId"].(string)
		if ids[id] {
			t.Fatalf("event %s returned twice across pages", id)
		}
		ids[id] = true
		ui, _ := e["userIdentity"].(map[string]any)
		if ui["accessKeyId"] != leaked {
			t.Fatalf("filter leak: %v", ui)
		}
		if e["sourceIpAddress"] == attacker {
			sawAttacker = true
		}
	}
	if !sawAttacker {
		t.Error("no attacker events in the leaked key's last 30 days")
	}

	info, err := admin.AccessKeyLastUsedInfo(ctx, leaked)
	if err != nil || !info.Found || info.UsedAt.IsZero() || info.UserName != "app-prod" {
		t.Errorf("AccessKeyLastUsedInfo = %+v, %v", info, err)
	}
	prods, err := admin.AccessKeyLastUsedProducts(ctx, leaked)
	if err != nil || len(prods) < 2 {
		t.Errorf("AccessKeyLastUsedProducts = %+v, %v", prods, err)
	}
	ips, err := admin.AccessKeyLastUsedIPs(ctx, leaked, "Ecs")
	if err != nil || len(ips) == 0 {
		t.Errorf("AccessKeyLastUsedIPs = %+v, %v", ips, err)
	}
	evs, err := admin.AccessKeyLastUsedEvents(ctx, leaked, "Ecs")
	if err != nil || len(evs) == 0 {
		t.Errorf("AccessKeyLastUsedEvents = %+v, %v", evs, err)
	}
	if _, err := admin.AccessKeyLastUsedResources(ctx, leaked, "Ecs"); err != nil {
		t.Errorf("AccessKeyLastUsedResources: %v", err)
	}

	// Our own calls carry the akresp User-Agent in the trail.
	var sawUA bool
	for _, e := range l.srv.Events() {
		if e.UserIdentity.UserName == "admin" && strings.Contains(e.UserAgent, "akresp/test") {
			sawUA = true
		}
	}
	if !sawUA {
		t.Error("no lab event carries the akresp/test User-Agent")
	}
}

// Throttled calls are retried by internal/cloud and succeed: the lab
// enforces ActionTrail's real 2/s LookupEvents quota while the client's own
// limiter is loosened so that it outruns the lab on purpose.
func TestLabThrottlingIsRetried(t *testing.T) {
	l := startLeakLab(t, lab.Options{QuotaScale: 1})
	ctx := context.Background()
	admin := l.clients(t, "admin", "", func(c *cloud.Config) {
		c.Limits = map[string]float64{"ActionTrail.LookupEvents": 1000}
		c.MaxAttempts = 8
		c.RetryBase = 50 * time.Millisecond
	})
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q := cloud.LookupQuery{AttributeKey: "EventAccessKeyId", AttributeValue: l.info.Notes["leaked_key_id"],
				Start: l.now.Add(-30 * 24 * time.Hour), End: l.now.Add(time.Minute), PageSize: 1}
			errs <- admin.LookupEvents(ctx, q, func([]json.RawMessage) error { return errors.New("stop") })
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err == nil || err.Error() != "stop" {
			t.Errorf("LookupEvents = %v, want the page callback's error after a successful page", err)
		}
	}
	if st := l.srv.Stats(); st.Throttled == 0 {
		t.Errorf("the lab throttled nothing (stats %+v): the test did not exercise retries", st)
	}
}
