package policy

import (
	"errors"
	"strings"
	"testing"
)

// splitList turns one fuzzed string into a list: entries separated by '\n'.
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// FuzzDenyHighRisk: any Add/Drop/Groups input either renders a document
// that parses back as a policy, or fails with ErrInvalidPolicy; never a
// panic.
func FuzzDenyHighRisk(f *testing.F) {
	f.Add("", "", "", false)
	f.Add("", "ecs:StopInstance\nkms:*", "", false)
	f.Add("ram", "", "ram:CreateUser", true)
	f.Add("", "oss:*\n*:*\n:\n", "sms\nnot-a-group", false)
	f.Add("nope", "ecs:Delete?nstance", "ecs:DeleteInstance", false)
	f.Add("", strings.Repeat("ecs:ABCDEFGHIJ\n", 2000), "", true)
	f.Fuzz(func(t *testing.T, groups, add, drop string, extended bool) {
		doc, err := DenyHighRisk(DenyOptions{Groups: splitList(groups), Add: splitList(add), Drop: splitList(drop), Extended: extended})
		if err != nil {
			if !errors.Is(err, ErrInvalidPolicy) {
				t.Fatalf("error does not wrap ErrInvalidPolicy: %v", err)
			}
			return
		}
		js := doc.JSON()
		if _, err := ParsePolicy(js); err != nil {
			t.Fatalf("rendered policy does not parse: %v\n%s", err, js)
		}
		if err := CheckLength(doc, 0); err != nil {
			t.Fatalf("rendered policy breaks the length limit it was built under: %v", err)
		}
	})
}

// FuzzNetworkACL: any allow lists either render an ACL that parses back
// equivalent, or fail with ErrInvalidACL; never a panic.
func FuzzNetworkACL(f *testing.F) {
	f.Add("203.0.113.0/24", "", false, "")
	f.Add("", "vpc-bp1abc:10.0.0.0/8,192.168.0.0/16", true, "")
	f.Add("1.2.3.4\n1.2.3.4", "", false, "Inactive")
	f.Add("::1/128\n0.0.0.0/0", "vpc-:\nvpc-x:10.0.0.0/33", false, "Active")
	f.Add(strings.Repeat("10.0.0.1\n", 500), "", false, "bogus")
	f.Fuzz(func(t *testing.T, ips, vpcs string, denyPublic bool, status string) {
		acl, err := NetworkACL(ACLOptions{AllowIPs: splitList(ips), AllowVPCs: splitList(vpcs), DenyPublic: denyPublic, Status: status})
		if err != nil {
			if !errors.Is(err, ErrInvalidACL) {
				t.Fatalf("error does not wrap ErrInvalidACL: %v", err)
			}
			return
		}
		back, err := ParseNetworkACL(acl.JSON())
		if err != nil {
			t.Fatalf("rendered ACL does not parse: %v\n%s", err, acl.JSON())
		}
		if !acl.Equivalent(back) {
			t.Fatalf("round trip changed the ACL: %s vs %s", acl.JSON(), back.JSON())
		}
	})
}
