package lab

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"

	ram "github.com/alibabacloud-go/ram-20150501/v2/client"
	"github.com/alibabacloud-go/tea/tea"
)

func TestAccessKeyNetworkPolicyByTCPSource(t *testing.T) {
	f := newFixture(t, Options{})
	admin := f.addUser("admin", "AdministratorAccess")
	leaked := f.addUser("leaky", "AdministratorAccess")
	upnLeaky := "leaky@" + defaultAccountAlias + ".onaliyun.com"

	set := func(doc, from string) error {
		_, err := f.rpc(admin, "2019-08-15", "SetAccessKeyPolicy", map[string]string{
			"UserAccessKeyId": leaked.id, "UserPrincipalName": upnLeaky, "AccessKeyPolicy": doc,
		}, from)
		return err
	}
	call := func(from string) error {
		_, err := f.rpc(leaked, "2019-08-15", "GetUser", map[string]string{"UserPrincipalName": upnLeaky}, from)
		return err
	}
	mustOK(t, call("127.0.0.66"))
	mustOK(t, set(`{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":["127.0.0.10"]}]}`, ""))

	se := wantCode(t, call("127.0.0.66"), "Forbidden.AccessKeyPolicy", http.StatusForbidden)
	if !strings.Contains(tea.StringValue(se.Message), "127.0.0.66") {
		t.Fatalf("denial message does not name the source IP: %s", tea.StringValue(se.Message))
	}
	mustOK(t, call("127.0.0.10"))

	got, err := f.rpc(admin, "2019-08-15", "GetAccessKeyPolicy", map[string]string{"UserAccessKeyId": leaked.id, "UserPrincipalName": upnLeaky}, "")
	mustOK(t, err)
	if !strings.Contains(got["AccessKeyPolicy"].(string), "127.0.0.10") || got["AccessKeyId"] != leaked.id {
		t.Fatalf("GetAccessKeyPolicy = %v", got)
	}

	// The denial is recorded against the leaked key with the attacker's IP.
	var denied bool
	for _, e := range f.srv.Events() {
		if e.UserIdentity.AccessKeyID == leaked.id && e.ErrorCode == "Forbidden.AccessKeyPolicy" && e.SourceIPAddress == "127.0.0.66" {
			denied = true
		}
	}
	if !denied {
		t.Fatal("the ACL denial was not recorded with sourceIpAddress 127.0.0.66")
	}

	// Inactive policies are stored but not enforced; the admin's own key is
	// never affected.
	mustOK(t, set(`{"Version":"1","Status":"Inactive","Statements":[{"Type":"ClassicWhiteList","IPList":["127.0.0.10"]}]}`, ""))
	mustOK(t, call("127.0.0.66"))

	// Account-level policy applies to keys without their own active policy.
	_, err = f.rpc(admin, "2019-08-15", "SetAccessKeyPolicyForAccount", map[string]string{
		"AccessKeyPolicy": `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":["127.0.0.0/30"]}]}`,
	}, "127.0.0.1")
	mustOK(t, err)
	wantCode(t, call("127.0.0.66"), "Forbidden.AccessKeyPolicy", http.StatusForbidden)
	mustOK(t, call("127.0.0.2"))
}

func TestACLDenyCodeIsConfigurable(t *testing.T) {
	f := newFixture(t, Options{ACLDenyCode: "Forbidden.AccessKeyDisabled"})
	u := f.addUser("u1", "AdministratorAccess")
	f.srv.Update(func(w *World) {
		pol, aerr := parseAKPolicy(`{"Version":1,"Status":"Active","Statements":[{"Type":"VPCWhiteList","Value":"vpc-1","IPList":["0.0.0.0/0"]}]}`)
		if aerr != nil {
			t.Fatal(aerr)
		}
		w.AccessKeys[u.id].Policy = pol
	})
	// A VPC-only policy has no ClassicWhiteList statement: public calls pass.
	_, err := f.ram(u).ListUsers(&ram.ListUsersRequest{})
	mustOK(t, err)
	f.srv.Update(func(w *World) {
		pol, _ := parseAKPolicy(`{"Version":1,"Status":"Active","Statements":[{"Type":"VPCWhiteList","Value":"vpc-1","IPList":["0.0.0.0/0"]},{"Type":"ClassicWhiteList","IPList":["10.0.0.1"]}]}`)
		w.AccessKeys[u.id].Policy = pol
	})
	_, err = f.ram(u).ListUsers(&ram.ListUsersRequest{})
	wantCode(t, err, "Forbidden.AccessKeyDisabled", http.StatusForbidden)
}

func TestACLAdmits(t *testing.T) {
	classic := func(ips ...string) *AKPolicy {
		return &AKPolicy{Status: "Active", Statements: []AKStatement{{Type: "ClassicWhiteList", IPList: ips}}}
	}
	tests := []struct {
		name string
		pol  *AKPolicy
		ip   string
		want bool
	}{
		{"exact v4", classic("127.0.0.10"), "127.0.0.10", true},
		{"other v4", classic("127.0.0.10"), "127.0.0.66", false},
		{"cidr v4", classic("127.0.0.0/24"), "127.0.0.66", true},
		{"cidr v4 outside", classic("127.0.1.0/24"), "127.0.0.66", false},
		{"unmasked cidr", classic("127.0.0.77/24"), "127.0.0.66", true},
		{"v6 exact", classic("::1"), "::1", true},
		{"v6 cidr", classic("2001:db8::/32"), "2001:db8::5", true},
		{"v4-mapped source", classic("127.0.0.10"), "::ffff:127.0.0.10", true},
		{"garbage entry matches nothing", classic("not-an-ip", "300.1.1.1/8"), "127.0.0.1", false},
		{"no classic statement allows all", &AKPolicy{Status: "Active", Statements: []AKStatement{{Type: "VPCWhiteList", Value: "vpc-1", IPList: []string{"0.0.0.0/0"}}}}, "1.2.3.4", true},
		{"empty statements allow all", &AKPolicy{Status: "Active", Statements: []AKStatement{}}, "1.2.3.4", true},
		{"vpc statement never admits public", &AKPolicy{Status: "Active", Statements: []AKStatement{
			{Type: "VPCWhiteList", Value: "vpc-1", IPList: []string{"0.0.0.0/0"}},
			{Type: "ClassicWhiteList", IPList: []string{"10.0.0.1"}}}}, "127.0.0.1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := aclAdmits(tt.pol, netip.MustParseAddr(tt.ip)); got != tt.want {
				t.Fatalf("aclAdmits(%s) = %v, want %v", tt.ip, got, tt.want)
			}
		})
	}
}

func TestParseAKPolicy(t *testing.T) {
	many := `"` + strings.Repeat(`1.1.1.1","`, 50) + `1.1.1.2"`
	tests := []struct {
		name, doc, code string
	}{
		{"valid int version", `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":["1.2.3.4","10.0.0.0/8","::1"]}]}`, ""},
		{"valid string version", `{"Version":"1","Status":"Inactive","Statements":[]}`, ""},
		{"valid without version", `{"Status":"Active","Statements":[{"Type":"VPCWhiteList","Value":"vpc-abc","IPList":["0.0.0.0/0"]}]}`, ""},
		{"not json", `{"Version":1`, "InvalidParameter.AccessKeyPolicy"},
		{"version 2", `{"Version":2,"Status":"Active","Statements":[]}`, "InvalidParameter.AccessKeyPolicy"},
		{"bad status", `{"Version":1,"Status":"On","Statements":[]}`, "InvalidParameter.AccessKeyPolicy"},
		{"null statements", `{"Version":1,"Status":"Active","Statements":null}`, "InvalidParameter.AccessKeyPolicy"},
		{"missing statements", `{"Version":1,"Status":"Active"}`, "InvalidParameter.AccessKeyPolicy"},
		{"wrong key case", `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IpList":["1.2.3.4"]}]}`, "InvalidParameter.AccessKeyPolicy"},
		{"singular Statement", `{"Version":1,"Status":"Active","Statement":[]}`, "InvalidParameter.AccessKeyPolicy"},
		{"bad type", `{"Version":1,"Status":"Active","Statements":[{"Type":"Allow","IPList":["1.2.3.4"]}]}`, "InvalidParameter.AccessKeyPolicy"},
		{"bad ip", `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":["1.2.3.400"]}]}`, "InvalidParameter.AccessKeyPolicy"},
		{"bad cidr", `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":["1.2.3.4/33"]}]}`, "InvalidParameter.AccessKeyPolicy"},
		{"classic without ips", `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":[]}]}`, "InvalidParameter.AccessKeyPolicy"},
		{"vpc without id", `{"Version":1,"Status":"Active","Statements":[{"Type":"VPCWhiteList","IPList":["1.2.3.4"]}]}`, "InvalidParameter.AccessKeyPolicy"},
		{"too many ips", `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":[` + many + `]}]}`, "InvalidParameter.AccessKeyPolicy.IPList.Length"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol, aerr := parseAKPolicy(tt.doc)
			switch {
			case tt.code == "" && aerr != nil:
				t.Fatalf("rejected a valid policy: %v", aerr)
			case tt.code == "" && pol.Raw != tt.doc:
				t.Fatalf("Raw = %q, want the document as set", pol.Raw)
			case tt.code != "" && aerr == nil:
				t.Fatalf("accepted an invalid policy")
			case tt.code != "" && (aerr.Code != tt.code || aerr.Status != http.StatusBadRequest):
				t.Fatalf("error = %d %s, want 400 %s", aerr.Status, aerr.Code, tt.code)
			}
		})
	}
}

func TestExplicitDenyBeatsAdministratorAccess(t *testing.T) {
	f := newFixture(t, Options{})
	mallory := f.addUser("mallory", "AdministratorAccess")
	f.addUser("victim")
	root := f.ram(f.root)
	deny := `{"Version":"1","Statement":[{"Effect":"Deny","Action":["ram:CreateAccessKey","ram:CreateUser"],"Resource":"*"}]}`
	_, err := root.CreatePolicy(&ram.CreatePolicyRequest{PolicyName: tea.String("deny-high-risk"), PolicyDocument: tea.String(deny)})
	mustOK(t, err)

	c := f.ram(mallory)
	_, err = c.CreateAccessKey(&ram.CreateAccessKeyRequest{UserName: tea.String("victim")})
	mustOK(t, err)

	_, err = root.AttachPolicyToUser(&ram.AttachPolicyToUserRequest{PolicyName: tea.String("deny-high-risk"), PolicyType: tea.String("Custom"), UserName: tea.String("mallory")})
	mustOK(t, err)
	_, err = c.CreateAccessKey(&ram.CreateAccessKeyRequest{UserName: tea.String("victim")})
	se := wantCode(t, err, "NoPermission", http.StatusForbidden)
	d := se.AccessDeniedDetail
	if d["NoPermissionType"] != "ExplicitDeny" || d["AuthAction"] != "ram:CreateAccessKey" || d["AuthPrincipalDisplayName"] != "mallory" || d["AuthPrincipalType"] != "SubUser" {
		t.Fatalf("AccessDeniedDetail = %v", d)
	}
	// Other actions are still allowed by AdministratorAccess.
	_, err = c.ListUsers(&ram.ListUsersRequest{})
	mustOK(t, err)

	// The group path: a deny attached to a group applies to its members.
	_, err = root.DetachPolicyFromUser(&ram.DetachPolicyFromUserRequest{PolicyName: tea.String("deny-high-risk"), PolicyType: tea.String("Custom"), UserName: tea.String("mallory")})
	mustOK(t, err)
	_, err = root.CreateGroup(&ram.CreateGroupRequest{GroupName: tea.String("quarantine")})
	mustOK(t, err)
	_, err = root.AddUserToGroup(&ram.AddUserToGroupRequest{GroupName: tea.String("quarantine"), UserName: tea.String("mallory")})
	mustOK(t, err)
	_, err = root.AttachPolicyToGroup(&ram.AttachPolicyToGroupRequest{PolicyName: tea.String("deny-high-risk"), PolicyType: tea.String("Custom"), GroupName: tea.String("quarantine")})
	mustOK(t, err)
	_, err = c.CreateUser(&ram.CreateUserRequest{UserName: tea.String("backdoor")})
	wantCode(t, err, "NoPermission", http.StatusForbidden)

	// A user with no policy is implicitly denied.
	nobody := f.addUser("nobody")
	_, err = f.ram(nobody).ListUsers(&ram.ListUsersRequest{})
	se = wantCode(t, err, "NoPermission", http.StatusForbidden)
	if se.AccessDeniedDetail["NoPermissionType"] != "ImplicitDeny" {
		t.Fatalf("implicit deny detail = %v", se.AccessDeniedDetail)
	}
	if st := f.srv.Stats(); st.Denied < 3 {
		t.Fatalf("Stats.Denied = %d, want at least 3", st.Denied)
	}
}

func TestRootCannotHavePoliciesButMayDoAnything(t *testing.T) {
	f := newFixture(t, Options{})
	root := f.ram(f.root)
	_, err := root.AttachPolicyToUser(&ram.AttachPolicyToUserRequest{PolicyName: tea.String("ReadOnlyAccess"), PolicyType: tea.String("System"), UserName: tea.String("root")})
	wantCode(t, err, "EntityNotExist.User", http.StatusNotFound)
	ck, err := root.CreateAccessKey(&ram.CreateAccessKeyRequest{})
	mustOK(t, err)
	if owner := f.srv.Snapshot().AccessKeys[tea.StringValue(ck.Body.AccessKey.AccessKeyId)].Owner; owner != "" {
		t.Fatalf("root key created for %q", owner)
	}
	_, err = root.CreateAccessKey(&ram.CreateAccessKeyRequest{})
	wantCode(t, err, "LimitExceeded.User.AccessKey", http.StatusConflict)
}

func FuzzParseAKPolicy(f *testing.F) {
	f.Add(`{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":["1.2.3.4/8"]}]}`)
	f.Add(`{"Version":"1","Status":"Inactive","Statements":[]}`)
	f.Add(`[]`)
	f.Add(`{"Statements":[null,{"Type":1}]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		pol, aerr := parseAKPolicy(doc)
		if aerr == nil {
			if pol.Raw != doc || (pol.Status != "Active" && pol.Status != "Inactive") {
				t.Fatalf("accepted policy %+v", pol)
			}
			aclAdmits(pol, netip.MustParseAddr("127.0.0.1"))
		} else if aerr.Status != http.StatusBadRequest {
			t.Fatalf("status %d", aerr.Status)
		}
	})
}

// Mutation-testing survivors of authz.go, pinned: the denial names the
// level of the policy that refused (key or account), a RAM user's calls
// are recorded with the user's principal id, and an IPv4-mapped IPv6 CIDR
// entry admits the IPv4 addresses it maps.
func TestACLDenialNamesItsLevelAndCallerIdentity(t *testing.T) {
	f := newFixture(t, Options{})
	u := f.addUser("fenced", "AdministratorAccess")
	upn := "fenced@" + defaultAccountAlias + ".onaliyun.com"
	call := func() error {
		_, err := f.rpc(u, "2019-08-15", "GetUser", map[string]string{"UserPrincipalName": upn}, "127.0.0.66")
		return err
	}
	f.srv.Update(func(w *World) {
		pol, aerr := parseAKPolicy(`{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":["127.0.0.10"]}]}`)
		if aerr != nil {
			t.Fatal(aerr)
		}
		w.AccessKeys[u.id].Policy = pol
	})
	se := wantCode(t, call(), "Forbidden.AccessKeyPolicy", http.StatusForbidden)
	if msg := tea.StringValue(se.Message); !strings.Contains(msg, "AccessKey-level") || strings.Contains(msg, "account-level") {
		t.Errorf("a key-level denial says %q, want it to name the AccessKey-level policy", msg)
	}
	f.srv.Update(func(w *World) {
		w.AccessKeys[u.id].Policy = nil
		pol, _ := parseAKPolicy(`{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":["127.0.0.10"]}]}`)
		w.AccountACL = pol
	})
	se = wantCode(t, call(), "Forbidden.AccessKeyPolicy", http.StatusForbidden)
	if msg := tea.StringValue(se.Message); !strings.Contains(msg, "account-level") {
		t.Errorf("an account-level denial says %q, want it to name the account-level policy", msg)
	}
	var userID string
	f.srv.Update(func(w *World) { userID = w.Users["fenced"].UserID })
	found := false
	for _, e := range f.srv.Events() {
		if e.UserIdentity.AccessKeyID == u.id {
			found = true
			if e.UserIdentity.Type != "ram-user" || e.UserIdentity.UserName != "fenced" || e.UserIdentity.PrincipalID != userID || userID == "" {
				t.Errorf("event of the RAM user's key has identity %+v, want ram-user fenced with principal id %q", e.UserIdentity, userID)
			}
		}
	}
	if !found {
		t.Fatal("the refused calls of the key were not recorded")
	}
}

func TestACLAdmitsIPv4MappedCIDR(t *testing.T) {
	pol := &AKPolicy{Status: "Active", Statements: []AKStatement{{Type: "ClassicWhiteList", IPList: []string{"::ffff:10.0.0.0/104"}}}}
	for ip, want := range map[string]bool{"10.1.2.3": true, "10.255.255.255": true, "11.0.0.1": false, "9.255.255.255": false} {
		if got := aclAdmits(pol, netip.MustParseAddr(ip)); got != want {
			t.Errorf("::ffff:10.0.0.0/104 admits %s = %v, want %v (it is 10.0.0.0/8)", ip, got, want)
		}
	}
}

// The AccessDenied detail names the kind of policy that decided: a
// session policy, or the account's identity-based policies.
func TestAccessDeniedDetailPolicyType(t *testing.T) {
	p := &principal{kind: "ram-user", owner: "alice", acct: defaultAccountID}
	req := AuthzRequest{Action: "ram:CreateUser", Resource: "*"}
	for _, tt := range []struct {
		dec      Decision
		wantType string
		wantNP   string
	}{
		{Decision{Effect: EffectExplicitDeny, Policy: &NamedDocument{Name: "s", Type: "Session"}}, "SessionPolicy", "ExplicitDeny"},
		{Decision{Effect: EffectExplicitDeny, Policy: &NamedDocument{Name: "deny", Type: "Custom"}}, "AccountLevelIdentityBasedPolicy", "ExplicitDeny"},
		{Decision{Effect: EffectImplicitDeny}, "AccountLevelIdentityBasedPolicy", "ImplicitDeny"},
	} {
		d := accessDeniedDetail(p, req, tt.dec)
		if d["PolicyType"] != tt.wantType || d["NoPermissionType"] != tt.wantNP || d["AuthPrincipalDisplayName"] != "alice" {
			t.Errorf("detail for %+v = %v, want PolicyType %s, NoPermissionType %s", tt.dec, d, tt.wantType, tt.wantNP)
		}
	}
}

// A key operation's resource is the key's owner, else the calling RAM
// user; a call by root on no user names "*".
func TestRAMResourceOfKeyOperations(t *testing.T) {
	w := NewWorld(Account{ID: defaultAccountID, Alias: defaultAccountAlias})
	w.AccessKeys["LTAI5tBOBKEY000000000000"] = &AccessKey{ID: "LTAI5tBOBKEY000000000000", Owner: "bob", Status: "Active"}
	w.AccessKeys["LTAI5tROOTKEY00000000000"] = &AccessKey{ID: "LTAI5tROOTKEY00000000000", Status: "Active"}
	alice := &principal{kind: "ram-user", owner: "alice", acct: defaultAccountID}
	root := &principal{kind: "root-account", acct: defaultAccountID}
	for _, tt := range []struct {
		name   string
		action string
		params map[string]string
		caller *principal
		want   string
	}{
		{"key of bob, by alice", "UpdateAccessKey", map[string]string{"UserAccessKeyId": "LTAI5tBOBKEY000000000000"}, alice, userARN(defaultAccountID, "bob")},
		{"root's key, by alice", "UpdateAccessKey", map[string]string{"UserAccessKeyId": "LTAI5tROOTKEY00000000000"}, alice, userARN(defaultAccountID, "alice")},
		{"unknown key, by alice", "UpdateAccessKey", map[string]string{"UserAccessKeyId": "LTAI5tNOSUCHKEY000000000"}, alice, userARN(defaultAccountID, "alice")},
		{"own keys, by alice", "ListAccessKeys", map[string]string{}, alice, userARN(defaultAccountID, "alice")},
		{"own keys, by root", "ListAccessKeys", map[string]string{}, root, "*"},
		{"no principal", "ListAccessKeys", map[string]string{}, nil, "*"},
	} {
		c := &call{w: w, action: tt.action, params: tt.params, principal: tt.caller}
		if got := ramResource(c); got != tt.want {
			t.Errorf("%s: resource %q, want %q", tt.name, got, tt.want)
		}
	}
}

// A header listed in SignedHeaders but absent from the request signs as an
// empty value (step 6 of the V3 recipe), never a crash.
func TestV3SignedButAbsentHeader(t *testing.T) {
	f := newFixture(t, Options{})
	rq := rawV3{version: "2015-05-01", action: "ListUsers",
		signed: []string{"host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-extra", "x-acs-signature-nonce", "x-acs-version"}}
	if st, body, _ := f.sendV3(f.root, rq); st != http.StatusOK {
		t.Fatalf("request signing an absent header = %d %v, want 200", st, body)
	}
}
