package respond

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

func aclPlan(t *testing.T, f *fakeCloud, o ContainOptions) (*Plan, *Action) {
	t.Helper()
	p, err := PlanContain(context.Background(), f, o)
	if err != nil {
		t.Fatalf("PlanContain: %v", err)
	}
	a := p.Action("network-acl")
	if a == nil {
		t.Fatalf("no network-acl action: %v", actionIDs(p))
	}
	return p, a
}

// An ACL in effect that trusts only what is requested keeps nothing more
// (no "kept 0 sources" note), and with no recent caller no one is said to
// be cut off.
func TestContainACLNothingKeptNoCutOff(t *testing.T) {
	f := newFake()
	f.keys[leakedKey].acl = `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["127.0.0.10"]}]}`
	p, a := aclPlan(t, f, containOpts())
	if slices.ContainsFunc(p.Notes, func(n string) bool { return strings.HasPrefix(n, "kept ") }) {
		t.Errorf("notes %q: nothing was kept", p.Notes)
	}
	if len(a.Warnings) != 0 {
		t.Errorf("warnings %q, want none (no caller is cut off)", a.Warnings)
	}

	// A recent legitimate caller outside the ACL is counted.
	p, a = aclPlan(t, newFake(), containOpts(func(o *ContainOptions) {
		o.Evidence = &Evidence{Callers: []Caller{
			{IP: netip.MustParseAddr("127.0.0.10"), LastSeen: t0.Add(-time.Hour), Count: 40},
			{IP: netip.MustParseAddr("10.1.1.1"), LastSeen: t0.Add(-time.Hour), Count: 4},
		}}
	}))
	if !slices.Contains(a.Warnings, "1 recent caller(s) would be cut off") {
		t.Errorf("warnings %q, want one caller cut off", a.Warnings)
	}
}

// --replace names each source it removes; one no recent caller uses says
// so rather than "0 callers lose access".
func TestContainReplaceRemovalWithoutCallers(t *testing.T) {
	f := newFake()
	f.keys[leakedKey].acl = `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["127.0.0.10","203.0.113.0/24"]}]}`
	_, a := aclPlan(t, f, containOpts(func(o *ContainOptions) { o.Replace = true }))
	want := "--replace removes"
	found := false
	for _, w := range a.Warnings {
		if strings.HasPrefix(w, want) && strings.Contains(w, "203.0.113.0/24") {
			found = true
			if !strings.HasSuffix(w, ": no legitimate caller of the last 24h uses it") {
				t.Errorf("warning %q, want it to say no legitimate caller uses it", w)
			}
		}
	}
	if !found {
		t.Errorf("warnings %q, want the removal of 203.0.113.0/24", a.Warnings)
	}
}

// Narrowing an active key-level ACL is never refused for being wider than
// the account-level policy (it widens nothing); widening it is.
func TestContainNarrowingACLIsNotAWidening(t *testing.T) {
	const acct = `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["10.0.0.0/8"]}]}`
	f := newFake()
	f.account = acct
	f.keys[leakedKey].acl = `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["127.0.0.10","203.0.113.0/24"]}]}`
	p, a := aclPlan(t, f, containOpts(func(o *ContainOptions) { o.Replace = true }))
	if a.Noop || slices.Contains(railRules(p), "widens-account-policy") {
		t.Errorf("narrowing: noop %v rails %v, want a change and no widens-account-policy rail", a.Noop, railRules(p))
	}

	f = newFake()
	f.account = acct
	f.keys[leakedKey].acl = `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["203.0.113.0/24"]}]}`
	p, _ = aclPlan(t, f, containOpts())
	if !slices.Contains(railRules(p), "widens-account-policy") {
		t.Errorf("widening: rails %v, want widens-account-policy", railRules(p))
	}
}

// --contain-created reads whether a created user that exists already has
// the deny policy: attached already, its attach is a no-op.
func TestContainCreatedUserAlreadyDenied(t *testing.T) {
	f := newFake()
	f.addUser("backdoor", "LTAI5tBACKDOORBACKDOOR01")
	f.attached["backdoor"] = []string{DefaultPolicyName}
	ev := &Evidence{Created: []CreatedIdentity{{Kind: "user", Name: "backdoor"}}}
	p, err := PlanContain(context.Background(), f, containOpts(func(o *ContainOptions) { o.ContainCreated, o.Evidence = true, ev }))
	if err != nil {
		t.Fatal(err)
	}
	a := p.Action("attach:backdoor")
	if a == nil || !a.Noop {
		t.Errorf("actions %v, want attach:backdoor as a no-op (already attached)", actionIDs(p))
	}
}

// upnCheckFake answers GetAccessKeyPolicy only for the owner's real
// UserPrincipalName, as IMS does.
type upnCheckFake struct {
	*fakeCloud
	upns []string
}

func (f *upnCheckFake) GetAccessKeyPolicy(ctx context.Context, keyID, upn string) (string, error) {
	f.mu.Lock()
	f.upns = append(f.upns, upn)
	want := f.users[f.keys[keyID].user].UserPrincipalName
	f.mu.Unlock()
	if upn != want {
		return "", notFound("ims:GetAccessKeyPolicy", "EntityNotExist.User")
	}
	return f.fakeCloud.GetAccessKeyPolicy(ctx, keyID, upn)
}

// With --user NAME@DOMAIN the key's ACL is read with that UPN (in the
// first round): a wrong domain is refused, not silently replaced by IMS's.
func TestContainUserUPNIsChecked(t *testing.T) {
	f := &upnCheckFake{fakeCloud: newFake()}
	good := f.users["app-prod"].UserPrincipalName
	if _, err := PlanContain(context.Background(), f, containOpts(func(o *ContainOptions) { o.User = good })); err != nil {
		t.Fatalf("--user %s: %v", good, err)
	}
	if !slices.Equal(f.upns, []string{good}) {
		t.Errorf("ACL read with %q, want once with %q", f.upns, good)
	}
	f.upns = nil
	_, err := PlanContain(context.Background(), f, containOpts(func(o *ContainOptions) { o.User = "app-prod@wrong.onaliyun.com" }))
	if err == nil || !strings.Contains(err.Error(), "read the AccessKey network ACL") {
		t.Errorf("--user with a wrong domain: %v, want the ACL read refused", err)
	}
}

// A --user that does not own the key is refused as such (an input error)
// right after the first lookup round, without waiting for the audit: an
// audit that fails does not hide the wrong --user.
func TestContainWrongUserBeforeAudit(t *testing.T) {
	f := newFake()
	auditErr := errors.New("audit: LookupEvents failed")
	_, err := PlanContain(context.Background(), f, containOpts(func(o *ContainOptions) {
		o.User = "admin"
		o.EvidenceFunc = func(ctx context.Context) (*Evidence, error) { return nil, auditErr }
	}))
	var in *InputError
	if !errors.As(err, &in) || !strings.Contains(err.Error(), "the key belongs to app-prod") {
		t.Errorf("--user admin on app-prod's key with a failing audit: %v, want the input error naming app-prod", err)
	}
}
