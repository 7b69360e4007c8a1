package policy

import (
	"strings"
	"testing"
)

// Lines mutation testing (docs/mutation.md) found no test executing,
// pinned at their boundaries.

func TestParseAccessKeyIDShapesAndLengths(t *testing.T) {
	tests := []struct {
		in      string
		ok      bool
		errPart string
	}{
		{"LTAI5tAPPPRODLEAKED00001", true, ""},
		{"LTAI1234567890AB", true, ""},                                              // older 16-character LTAI
		{"LTAI5tAPPPRODLEAKED0001", false, "23 characters"},                         // LTAI, neither 16 nor 24
		{"ltai5tAPPPRODLEAKED00001", false, "upper-case LTAI"},                      // 24, lower-case prefix
		{"ltAI1234567890AB", false, "upper-case LTAI"},                              // 16, mixed-case prefix
		{"A23456789012345", false, "15 characters"},                                 // legacy, one short
		{"A234567890123456", true, ""},                                              // legacy minimum 16
		{"A2345678901234567890123456789", true, ""},                                 // legacy maximum 29
		{"A23456789012345678901234567890", false, "looks like an AccessKey secret"}, // 30: a secret's shape
	}
	for _, tt := range tests {
		got, err := ParseAccessKeyID(tt.in)
		switch {
		case tt.ok && (err != nil || got != tt.in):
			t.Errorf("ParseAccessKeyID(%q) = %q, %v; want it accepted", tt.in, got, err)
		case !tt.ok && err == nil:
			t.Errorf("ParseAccessKeyID(%q) accepted, want an error containing %q", tt.in, tt.errPart)
		case !tt.ok && !strings.Contains(err.Error(), tt.errPart):
			t.Errorf("ParseAccessKeyID(%q) error %q, want it to contain %q", tt.in, err, tt.errPart)
		}
	}
}

func TestNetworkACLAllowListAndDefaultStatus(t *testing.T) {
	acl, err := NetworkACL(ACLOptions{AllowIPs: []string{"127.0.0.10/31"}})
	if err != nil {
		t.Fatal(err)
	}
	if acl.Status != ACLStatusActive || len(acl.Statements) != 1 || acl.Statements[0].Type != ACLTypeClassic ||
		strings.Join(acl.Statements[0].IPList, ",") != "127.0.0.10/31" {
		t.Fatalf("NetworkACL(allow 127.0.0.10/31) = %+v, want one Active ClassicWhiteList of it", acl)
	}
	for _, s := range []string{"", "active", "ACTIVE"} {
		acl, err := NetworkACL(ACLOptions{AllowIPs: []string{"127.0.0.10"}, Status: s})
		if err != nil || acl.Status != ACLStatusActive {
			t.Errorf("status %q: %+v, %v; want Active", s, acl, err)
		}
	}
	if acl, err := NetworkACL(ACLOptions{AllowIPs: []string{"127.0.0.10"}, Status: "inactive"}); err != nil || acl.Status != ACLStatusInactive {
		t.Errorf("status inactive: %+v, %v; want Inactive", acl, err)
	}
}

func TestParseErrorsTruncateLongValuesAt60(t *testing.T) {
	doc := func(n int) string {
		return `{"Version":"` + strings.Repeat("x", n) + `","Status":"Active","Statements":[]}`
	}
	_, err := ParseNetworkACL(doc(58)) // the raw value is 60 characters with its quotes
	if err == nil || strings.Contains(err.Error(), "…") || !strings.Contains(err.Error(), `"`+strings.Repeat("x", 58)+`"`) {
		t.Errorf("a 60-character value is shown whole: %v", err)
	}
	_, err = ParseNetworkACL(doc(59))
	if err == nil || !strings.Contains(err.Error(), "…") || strings.Contains(err.Error(), strings.Repeat("x", 59)+`"`) {
		t.Errorf("a 61-character value is cut at 60 with …: %v", err)
	}
}

func TestSemanticallyEqualResources(t *testing.T) {
	a := `{"Version":"1","Statement":[{"Effect":"Deny","Action":"ecs:*","Resource":["acs:ecs:*:*:instance/a","acs:ecs:*:*:instance/b"]}]}`
	b := `{"Version":"1","Statement":[{"Effect":"Deny","Action":"ecs:*","Resource":["acs:ecs:*:*:instance/b","acs:ecs:*:*:instance/a"]}]}`
	c := `{"Version":"1","Statement":[{"Effect":"Deny","Action":"ecs:*","NotResource":["acs:ecs:*:*:instance/a","acs:ecs:*:*:instance/b"]}]}`
	if eq, err := SemanticallyEqual(a, b); err != nil || !eq {
		t.Errorf("resource order matters: %v %v", eq, err)
	}
	if eq, err := SemanticallyEqual(a, c); err != nil || eq {
		t.Errorf("Resource and NotResource of the same list compare equal: %v %v", eq, err)
	}
}

// Survivors of the 2026-12-04 gremlins run (docs/mutation.md), pinned.
func TestPolicySurvivorsPinned(t *testing.T) {
	// An LTAI prefix glued to a 30-character run (34 in all) is a secret's
	// shape: refused without being echoed.
	if _, err := ParseAccessKeyID("LTAI" + strings.Repeat("a1", 15)); err == nil || !strings.Contains(err.Error(), "looks like an AccessKey secret") {
		t.Errorf("LTAI + 30 letters and digits: %v, want the secret-shape refusal", err)
	}
	// Values up to 40 bytes are echoed whole, longer ones cut with "…".
	v40 := "LTAI-" + strings.Repeat("bbbb-", 7)
	if _, err := ParseAccessKeyID(v40); err == nil || !strings.Contains(err.Error(), `"`+v40+`"`) {
		t.Errorf("a 40-byte bad ID is not echoed whole: %v", err)
	}
	v41 := v40 + "c"
	if _, err := ParseAccessKeyID(v41); err == nil || strings.Contains(err.Error(), v41) || !strings.Contains(err.Error(), "…") {
		t.Errorf("a 41-byte bad ID is not cut at 40: %v", err)
	}
	// "sts." alone has the STS prefix in the wrong case.
	if _, err := ParseAccessKeyID("sts."); err == nil || !strings.Contains(err.Error(), "upper-case STS.") {
		t.Errorf(`ParseAccessKeyID("sts.") = %v, want the upper-case STS. message`, err)
	}
	// An ACL entry written as an address or as its /32 is the same entry,
	// however the ACL was built.
	mk := func(entry string) ACL {
		return ACL{Version: ACLVersion, Status: ACLStatusActive, Statements: []ACLStatement{{Type: ACLTypeClassic, IPList: []string{entry}}}}
	}
	if !mk("127.0.0.10").Equivalent(mk("127.0.0.10/32")) {
		t.Error("127.0.0.10 and 127.0.0.10/32 are not equivalent")
	}
	if mk("127.0.0.10").Equivalent(mk("127.0.0.11")) {
		t.Error("127.0.0.10 and 127.0.0.11 are equivalent")
	}
	// A JSON syntax error is located at its line and column.
	_, err := ParsePolicy("{\n  \"Version\": \"1\",\n  \"Statement\": [}\n}")
	if err == nil || !strings.Contains(err.Error(), "line 3, column 17") {
		t.Errorf("syntax error location: %v, want line 3, column 17", err)
	}
}
