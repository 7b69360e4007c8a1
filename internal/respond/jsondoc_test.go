package respond

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/akresp/akresp/internal/cloud"
)

// Policy documents in action states are objects in JSON, and both that
// form and the string form of older journals decode to the same state.
func TestStateDocumentsAreObjects(t *testing.T) {
	doc := `{"Version":"1","Status":"Active","Statements":[{"Type":"SourceIp","Value":["203.0.113.0/24"]}]}`
	st := aclState{KeyID: "LTAI5tExampleKey00000001", Policy: doc, Account: "", AccountError: "denied"}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"policy":{"Version":"1"`) || strings.Contains(string(b), `account_policy"`) {
		t.Fatalf("marshal = %s", b)
	}
	var back aclState
	if err := json.Unmarshal(b, &back); err != nil || back != st {
		t.Fatalf("round trip = %+v, %v; want %+v", back, err, st)
	}
	old := `{"key_id":"LTAI5tExampleKey00000001","policy":` + strconvQuote(doc) + `,"account_policy_error":"denied"}`
	back = aclState{}
	if err := json.Unmarshal([]byte(old), &back); err != nil || back != st {
		t.Fatalf("string form = %+v, %v; want %+v", back, err, st)
	}
	ps := policyState{Name: "akresp-deny-high-risk", Exists: true, Document: `{"Version":"1","Statement":[]}`}
	b, err = json.Marshal(ps)
	if err != nil || !strings.Contains(string(b), `"document":{"Version":"1","Statement":[]}`) {
		t.Fatalf("policy state = %s, %v", b, err)
	}
	var pback policyState
	if err := json.Unmarshal(b, &pback); err != nil || pback != ps {
		t.Fatalf("round trip = %+v, %v", pback, err)
	}
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// In -o json an action's before and after use docs/json.md's names
// (access_key_id, user_name, policy_name, key_level, ...) in the journal's
// order, documents are objects, nested values keep their keys, and the
// action's journal form (Before, After) is left as it was.
func TestActionJSONNames(t *testing.T) {
	const key = "LTAI5tExampleKey00000001"
	acl := `{"Version":"1","Status":"Active","Statements":[{"Type":"SourceIp","Value":["203.0.113.0/24"]}]}`
	trust := `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":["acs:ram::1:root"]}}]}`
	for _, tc := range []struct {
		kind          string
		before, after any
		want          string // the action's "before" in -o json
	}{
		{KindNetworkACL, aclState{KeyID: key, UPN: "app@x.onaliyun.com", Account: acl, AccountError: ""}, aclState{KeyID: key, Policy: acl},
			`{"access_key_id":"` + key + `","user_principal_name":"app@x.onaliyun.com","key_level":null,"account_level":` + acl + `}`},
		{KindNetworkACL, aclState{KeyID: key, AccountError: "Forbidden"}, aclState{KeyID: key, Policy: acl},
			`{"access_key_id":"` + key + `","account_level_error":"Forbidden","key_level":null}`},
		{KindKeyStatus, keyState{KeyID: key, User: "app-prod", Status: "Active"}, keyState{KeyID: key, User: "app-prod", Status: "Inactive"},
			`{"access_key_id":"` + key + `","user_name":"app-prod","status":"Active"}`},
		{KindAttachPolicy, attachState{Policy: "akresp-deny-high-risk", User: "app-prod"}, attachState{Policy: "akresp-deny-high-risk", User: "app-prod", Attached: true},
			`{"policy_name":"akresp-deny-high-risk","user_name":"app-prod","attached":false}`},
		{KindDenyPolicy, policyState{Name: "akresp-deny-high-risk"}, policyState{Name: "akresp-deny-high-risk", Exists: true, Document: `{"Version":"1","Statement":[]}`},
			`{"policy_name":"akresp-deny-high-risk","exists":false}`},
		{KindRequireMFA, mfaState{User: "app-prod"}, mfaState{User: "app-prod", Required: true},
			`{"user_name":"app-prod","mfa_bind_required":false}`},
		{KindGroupMember, groupState{User: "svc", Group: "admins", Member: true}, groupState{User: "svc", Group: "admins"},
			`{"user_name":"svc","group_name":"admins","member":true}`},
		{KindUserPolicy, userPolicyState{User: "svc", PolicyType: "System", Policy: "AdministratorAccess", Attached: true}, userPolicyState{User: "svc", PolicyType: "System", Policy: "AdministratorAccess"},
			`{"user_name":"svc","policy_type":"System","policy_name":"AdministratorAccess","attached":true}`},
		{KindPrincipalPolicy, principalPolicyState{PrincipalType: "Role", Principal: "r", PolicyType: "Custom", Policy: "p", Attached: true}, principalPolicyState{PrincipalType: "Role", Principal: "r", PolicyType: "Custom", Policy: "p"},
			`{"principal_type":"Role","principal":"r","policy_type":"Custom","policy_name":"p","attached":true}`},
		{KindPolicyDefault, policyDefaultState{Policy: "p", DefaultVersion: "v2"}, policyDefaultState{Policy: "p", DefaultVersion: "v1"},
			`{"policy_name":"p","default_version":"v2"}`},
		{KindDeleteRole, roleState{Role: "backdoor", Exists: true}, roleState{Role: "backdoor"},
			`{"role_name":"backdoor","exists":true}`},
		{KindRoleTrust, trustState{Role: "backdoor", Document: trust}, trustState{Role: "backdoor", Document: trust},
			`{"role_name":"backdoor","document":` + trust + `}`},
		{KindSecurityGroupRule, sgRuleState{Group: "sg-1", Region: "cn-hangzhou", Rule: cloud.SecurityGroupRule{IPProtocol: "tcp", PortRange: "22/22", SourceCidrIP: "0.0.0.0/0", Policy: "accept"}, Present: true}, sgRuleState{Group: "sg-1", Region: "cn-hangzhou"},
			`{"security_group":"sg-1","region":"cn-hangzhou","rule":{"ip_protocol":"tcp","port_range":"22/22","source_cidr_ip":"0.0.0.0/0","policy":"accept"},"present":true}`},
	} {
		bj, _ := json.Marshal(tc.before)
		aj, _ := json.Marshal(tc.after)
		a := &Action{ID: tc.kind, Kind: tc.kind, Target: "t", Summary: "s", Before: bj, After: aj, BeforeText: "b", AfterText: "a"}
		out, err := json.Marshal([]*Action{a})
		if err != nil {
			t.Fatalf("%s: %v", tc.kind, err)
		}
		var got []struct{ Before, After json.RawMessage }
		if err := json.Unmarshal(out, &got); err != nil || len(got) != 1 {
			t.Fatalf("%s: %s: %v", tc.kind, out, err)
		}
		if string(got[0].Before) != tc.want {
			t.Errorf("%s: before =\n %s\nwant\n %s", tc.kind, got[0].Before, tc.want)
		}
		for _, old := range []string{`"key_id"`, `"user"`, `"role"`, `"group"`, `"account_policy"`, `"policy":"`, `"name"`, `"document":"`} {
			if strings.Contains(string(got[0].After), old) {
				t.Errorf("%s: after %s keeps the journal's %s", tc.kind, got[0].After, old)
			}
		}
		if string(a.Before) != string(bj) || string(a.After) != string(aj) {
			t.Errorf("%s: marshalling changed the journal form: %s / %s", tc.kind, a.Before, a.After)
		}
		// The journal form still decodes as undo reads it.
		if _, _, _, err := rebuild(nil, tc.kind, a.Before, a.After); err != nil && !strings.Contains(err.Error(), "cannot be undone by this command") {
			t.Errorf("%s: journal form no longer rebuilds: %v", tc.kind, err)
		}
	}
	// Without states (a rail refusal) before and after are null.
	out, err := json.Marshal(Action{ID: "x", Kind: KindKeyStatus})
	if err != nil || !strings.Contains(string(out), `"before":null,"after":null`) {
		t.Errorf("empty action = %s, %v", out, err)
	}
}
