package respond

import (
	"slices"
	"strings"
	"testing"

	"github.com/akresp/akresp/internal/policy"
)

// A contain re-run on a key whose ACL in effect has Alibaba's AllowAllVPC
// statement (set in the console or by another tool; akresp never writes
// one): the merge keeps that statement as it is and adds the request,
// instead of failing with "VPC ID \"AllowAllVPC\" is not valid", an ID the
// responder never typed.
func TestMergeACLKeepsAllowAllVPC(t *testing.T) {
	old := `{"Version":1,"Status":"Active","Statements":[` +
		`{"Type":"ClassicWhiteList","Value":"","IPList":["198.51.100.7"]},` +
		`{"Type":"VPCWhiteList","Value":"AllowAllVPC","IPList":["10.0.0.0/8"]}]}`
	doc, kept, err := mergeACL(old, ACLRequest{AllowIPs: []string{"127.0.0.10/32"}})
	if err != nil {
		t.Fatalf("merge with an AllowAllVPC statement in effect: %v", err)
	}
	pub, _, vpcs := pdACL(t, doc)
	if !slices.Equal(pub, []string{"127.0.0.10", "198.51.100.7"}) {
		t.Errorf("public list %v, want the old source and the requested one: %s", pub, doc)
	}
	if !slices.Equal(vpcs[policy.ACLAllowAllVPC], []string{"10.0.0.0/8"}) {
		t.Errorf("AllowAllVPC statement not kept as it was: %v (%s)", vpcs, doc)
	}
	if !slices.Contains(kept, "vpc AllowAllVPC 10.0.0.0/8") || !slices.Contains(kept, "public 198.51.100.7") {
		t.Errorf("kept %v: the sources left in place must be named", kept)
	}
	// The responder's own --allow-vpc never writes one.
	if _, err := renderACL(ACLRequest{AllowVPCs: []string{"AllowAllVPC:10.0.0.0/8"}}); err == nil || !strings.Contains(err.Error(), "AllowAllVPC") {
		t.Errorf("--allow-vpc AllowAllVPC:... accepted (err %v)", err)
	}
}
