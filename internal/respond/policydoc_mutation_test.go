package respond

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/policy"
)

// Tests pinning behaviour of policydoc.go that go-gremlins found unpinned
// (mutants that LIVED). Each test names the behaviour it pins; the mutants
// are listed in the report of the mutation follow-up.

// pdACL parses an ACL document strictly (every document policydoc.go
// renders must pass ParseNetworkACL) and returns its public allow list
// (nil: no ClassicWhiteList statement) and its VPC allow lists.
func pdACL(t *testing.T, doc string) (pub []string, hasPub bool, vpcs map[string][]string) {
	t.Helper()
	acl, err := policy.ParseNetworkACL(doc)
	if err != nil {
		t.Fatalf("ACL %s: %v", doc, err)
	}
	vpcs = map[string][]string{}
	for _, s := range acl.Statements {
		switch s.Type {
		case policy.ACLTypeClassic:
			hasPub = true
			pub = append(pub, s.IPList...)
		case policy.ACLTypeVPC:
			vpcs[s.Value] = append(vpcs[s.Value], s.IPList...)
		}
	}
	slices.Sort(pub)
	return pub, hasPub, vpcs
}

const (
	pdDenyPublic = `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["127.0.0.1"]}]}`
	pdVPCOnly    = `{"Version":1,"Status":"Active","Statements":[{"Type":"VPCWhiteList","Value":"vpc-abc","IPList":["10.0.0.0/8"]}]}`
	pdOffice     = `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["203.0.113.0/24"]}]}`
)

// documentsEqual compares RAM policy documents by meaning: the deny policy
// read back from RAM with its actions reordered, a different statement
// split, string-vs-array spelling and other white space is the same policy
// (so contain does not push a new policy version on every re-run); a
// document that denies one action fewer is not; an unparsable one never
// equals anything but itself.
func TestDocumentsEqualByMeaning(t *testing.T) {
	ours := `{"Version":"1","Statement":[{"Effect":"Deny","Action":["ram:CreateUser","ecs:DeleteInstance"],"Resource":"*"}]}`
	readBack := `{
  "Statement": [
    {"Resource": ["*"], "Action": "ecs:DeleteInstance", "Effect": "Deny"},
    {"Effect": "Deny", "Resource": "*", "Action": ["ram:CreateUser"]}
  ],
  "Version": "1"
}`
	narrower := `{"Version":"1","Statement":[{"Effect":"Deny","Action":["ram:CreateUser"],"Resource":"*"}]}`
	if !documentsEqual(ours, readBack) || !documentsEqual(readBack, ours) {
		t.Errorf("documentsEqual(%s, %s) = false, want true: same grants, different spelling", ours, readBack)
	}
	if documentsEqual(ours, narrower) {
		t.Errorf("documentsEqual: a document denying one action fewer compared equal")
	}
	if documentsEqual(ours, `{"Version":"1","Statement":[`) {
		t.Errorf("documentsEqual: an unparsable document compared equal")
	}
	// denyDocument's own output, re-serialised, still compares equal.
	deny, err := denyDocument([]string{"oss:PutBucketAcl"})
	if err != nil {
		t.Fatal(err)
	}
	if !documentsEqual(deny, strings.ReplaceAll(deny, ",", ", ")) {
		t.Errorf("documentsEqual: the deny document with extra white space compared unequal")
	}
}

// EffectivePolicy's summary says "(replaces the account-level policy ...)"
// exactly when the key's own Active policy overrides an Active account
// policy (the documented precedence), and never on an account-level
// summary or when the account has no Active policy.
func TestEffectivePolicySummaryReplacesNote(t *testing.T) {
	inactiveAcct := `{"Version":1,"Status":"Inactive","Statements":[{"Type":"ClassicWhiteList","IPList":["198.51.100.1"]}]}`
	tests := []struct {
		name, key, acct string
		source          string
		replaces        bool
	}{
		{"key overrides account", pdDenyPublic, pdOffice, ACLSourceKey, true},
		{"account applies", "", pdOffice, ACLSourceAccount, false},
		{"account applies, key Inactive", inactiveACL, pdOffice, ACLSourceAccount, false},
		{"key, no account policy", pdDenyPublic, "", ACLSourceKey, false},
		{"key, Inactive account policy", pdDenyPublic, inactiveAcct, ACLSourceKey, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := EffectivePolicy(tt.key, tt.acct, nil)
			if e.Source != tt.source {
				t.Fatalf("source %q, want %q", e.Source, tt.source)
			}
			if !strings.HasPrefix(e.Summary, tt.source+"-level: ") {
				t.Errorf("summary %q does not start with %q", e.Summary, tt.source+"-level: ")
			}
			got := strings.Contains(e.Summary, "replaces the account-level policy")
			if got != tt.replaces {
				t.Errorf("summary %q: replaces note %v, want %v", e.Summary, got, tt.replaces)
			}
			if tt.replaces && !strings.Contains(e.Summary, "(replaces the account-level policy "+describeACL(tt.acct)+")") {
				t.Errorf("summary %q does not describe the replaced account policy", e.Summary)
			}
		})
	}
}

// mergeACL on a deny-public ACL (127.0.0.1 only) plus --allow-ip: the
// placeholder is dropped once real sources are allowed (doc comment of
// mergeACL), the public list is exactly the requested sources, and the
// placeholder is not reported as a kept source.
func TestMergeACLDropsDenyPlaceholderForRealSources(t *testing.T) {
	doc, kept, err := mergeACL(pdDenyPublic, ACLRequest{AllowIPs: []string{"203.0.113.0/24", "198.51.100.7"}})
	if err != nil {
		t.Fatal(err)
	}
	pub, _, vpcs := pdACL(t, doc)
	if want := []string{"198.51.100.7", "203.0.113.0/24"}; !slices.Equal(pub, want) {
		t.Errorf("public allow list %v, want %v (placeholder dropped)", pub, want)
	}
	if len(vpcs) != 0 || len(kept) != 0 {
		t.Errorf("vpcs %v kept %v, want none", vpcs, kept)
	}
	// An old list that merely contains 127.0.0.1 among real sources is not
	// the deny-public placeholder: everything is kept and extended.
	old := `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":["127.0.0.1","192.0.2.9"]}]}`
	doc, kept, err = mergeACL(old, ACLRequest{AllowIPs: []string{"203.0.113.0/24"}})
	if err != nil {
		t.Fatal(err)
	}
	pub, _, _ = pdACL(t, doc)
	if want := []string{"127.0.0.1", "192.0.2.9", "203.0.113.0/24"}; !slices.Equal(pub, want) {
		t.Errorf("public allow list %v, want %v (never narrow silently)", pub, want)
	}
	if !slices.Equal(kept, []string{"public 192.0.2.9"}) {
		t.Errorf("kept %v, want [public 192.0.2.9]", kept)
	}
}

// mergeACL on a deny-public ACL plus only --allow-vpc: public access stays
// denied (the 127.0.0.1 list is kept); the VPC list is added. Dropping the
// placeholder here would leave a VPC-only ACL, which lets every public
// address through.
func TestMergeACLKeepsDenyPublicWhenOnlyVPCsAdded(t *testing.T) {
	doc, kept, err := mergeACL(pdDenyPublic, ACLRequest{AllowVPCs: []string{"vpc-abc:10.0.0.0/8"}})
	if err != nil {
		t.Fatal(err)
	}
	pub, hasPub, vpcs := pdACL(t, doc)
	if !hasPub || !slices.Equal(pub, []string{policy.DenyPublicAddress}) {
		t.Errorf("public allow list %v (present %v), want [127.0.0.1]: %s", pub, hasPub, doc)
	}
	if !slices.Equal(vpcs["vpc-abc"], []string{"10.0.0.0/8"}) {
		t.Errorf("vpc lists %v", vpcs)
	}
	if e := EffectivePolicy(doc, "", nil); e.PublicOpen {
		t.Errorf("merged ACL leaves public access open: %s (%s)", doc, e.PublicReason)
	}
	if len(kept) != 0 {
		t.Errorf("kept %v, want none (the placeholder is not a source)", kept)
	}
}

// mergeACL with --deny-public on a VPC-only ACL: the result denies every
// public address (a ClassicWhiteList of 127.0.0.1) and keeps the VPC list.
// A public list the old ACL already has is kept as it is: --deny-public
// does not silently replace it.
func TestMergeACLDenyPublicOnVPCOnlyACL(t *testing.T) {
	doc, kept, err := mergeACL(pdVPCOnly, ACLRequest{DenyPublic: true})
	if err != nil {
		t.Fatal(err)
	}
	pub, hasPub, vpcs := pdACL(t, doc)
	if !hasPub || !slices.Equal(pub, []string{policy.DenyPublicAddress}) {
		t.Errorf("public allow list %v (present %v), want [127.0.0.1]: %s", pub, hasPub, doc)
	}
	if !slices.Equal(vpcs["vpc-abc"], []string{"10.0.0.0/8"}) || !slices.Equal(kept, []string{"vpc vpc-abc 10.0.0.0/8"}) {
		t.Errorf("vpcs %v kept %v", vpcs, kept)
	}
	if aclAllows(doc, netip.MustParseAddr("192.0.2.66")) {
		t.Errorf("merged ACL %s allows a public address", doc)
	}

	doc, _, err = mergeACL(pdOffice, ACLRequest{DenyPublic: true})
	if err != nil {
		t.Fatal(err)
	}
	if pub, _, _ := pdACL(t, doc); !slices.Equal(pub, []string{"203.0.113.0/24"}) {
		t.Errorf("--deny-public merged into an office ACL gave public list %v, want the office kept", pub)
	}
}

// mergeACL returns an error, never a partial ACL or a panic, when the ACL in
// effect plus the request is not a valid ACL: over the 50-entry quota (the
// old list is not silently reduced to deny-public), or allowing nothing.
func TestMergeACLRefusesInvalidResult(t *testing.T) {
	var many []string
	for i := range 49 {
		many = append(many, fmt.Sprintf("198.51.100.%d", i+1))
	}
	tests := []struct {
		name, old string
		req       ACLRequest
		want      string
	}{
		{"public over quota, 127.0.0.1 first",
			`{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":["127.0.0.1","192.0.2.9"]}]}`,
			ACLRequest{AllowIPs: many}, "limit is 50"},
		{"vpc over quota, no public list", pdVPCOnly,
			ACLRequest{AllowVPCs: []string{"vpc-def:" + strings.Join(vpcCIDRs(50), ",")}}, "limit is 50"},
		{"active ACL with no statements, empty request",
			`{"Version":1,"Status":"Active","Statements":[]}`, ACLRequest{}, "allows nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc string
			var err error
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("mergeACL panicked: %v", r)
					}
				}()
				doc, _, err = mergeACL(tt.old, tt.req)
			}()
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, policy.ErrInvalidACL) {
				t.Fatalf("mergeACL = %s, %v; want an ErrInvalidACL error containing %q", doc, err, tt.want)
			}
		})
	}
}

func vpcCIDRs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("10.%d.0.0/16", i)
	}
	return out
}

// aclRemovals (--replace) lists the public entries of the ACL in effect that
// the target no longer covers; entries the target still covers, however
// spelled, are not listed.
func TestACLRemovalsPublicEntries(t *testing.T) {
	old := `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":["203.0.113.0/24","198.51.100.7"]}]}`
	target := `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":["203.0.113.0/25","203.0.113.128/25"]}]}`
	got := aclRemovals(old, target, nil, time.Unix(0, 0))
	if len(got) != 1 || got[0].Scope != "public" || got[0].Entry != "198.51.100.7" {
		t.Fatalf("removals %+v, want public 198.51.100.7 only", got)
	}
}

// aclRemovals compares VPC lists per VPC ID: the same list for the same VPC
// removes nothing; moving a CIDR to another VPC removes it from the first.
func TestACLRemovalsVPCPerID(t *testing.T) {
	if got := aclRemovals(pdVPCOnly, pdVPCOnly, nil, time.Unix(0, 0)); len(got) != 0 {
		t.Errorf("same VPC list: removals %+v, want none", got)
	}
	other := `{"Version":1,"Status":"Active","Statements":[{"Type":"VPCWhiteList","Value":"vpc-def","IPList":["10.0.0.0/8"]}]}`
	got := aclRemovals(pdVPCOnly, other, nil, time.Unix(0, 0))
	if len(got) != 1 || got[0].Scope != "vpc-abc" || got[0].Entry != "10.0.0.0/8" {
		t.Errorf("VPC moved: removals %+v, want vpc-abc 10.0.0.0/8", got)
	}
}

// aclRemovals never lists the deny-public placeholder 127.0.0.1 as a removed
// source: replacing --deny-public with a real allow list removes nothing.
// A single real public address, in contrast, is listed when dropped.
func TestACLRemovalsIgnoresDenyPlaceholder(t *testing.T) {
	if got := aclRemovals(pdDenyPublic, pdOffice, nil, time.Unix(0, 0)); len(got) != 0 {
		t.Errorf("deny-public -> office: removals %+v, want none", got)
	}
	single := `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":["198.51.100.7"]}]}`
	got := aclRemovals(single, pdOffice, nil, time.Unix(0, 0))
	if len(got) != 1 || got[0].Entry != "198.51.100.7" {
		t.Errorf("single address -> office: removals %+v, want 198.51.100.7", got)
	}
}

// aclRemovals when the target has no public list: public access opens, so no
// public entry is "removed"; the VPC entries the target drops still are.
// And a target without the old VPC's list removes that VPC's entries.
func TestACLRemovalsTargetWithoutStatementType(t *testing.T) {
	old := `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":["203.0.113.0/24"]},{"Type":"VPCWhiteList","Value":"vpc-abc","IPList":["10.0.0.0/8","172.16.0.0/12"]}]}`
	target := `{"Version":1,"Status":"Active","Statements":[{"Type":"VPCWhiteList","Value":"vpc-abc","IPList":["10.0.0.0/8"]}]}`
	got := aclRemovals(old, target, nil, time.Unix(0, 0))
	if len(got) != 1 || got[0].Scope != "vpc-abc" || got[0].Entry != "172.16.0.0/12" {
		t.Errorf("target without public list: removals %+v, want only vpc-abc 172.16.0.0/12", got)
	}
	got = aclRemovals(pdVPCOnly, pdOffice, nil, time.Unix(0, 0))
	if len(got) != 1 || got[0].Scope != "vpc-abc" || got[0].Entry != "10.0.0.0/8" {
		t.Errorf("target without VPC list: removals %+v, want vpc-abc 10.0.0.0/8", got)
	}
}

// aclRemovals attaches to a removed public entry the unflagged callers inside
// it seen within RecentWindow, inclusive (a caller seen exactly 24h ago is
// still recent, as in blastRadius); older, flagged and undated callers are
// left out.
func TestACLRemovalsRecentCallersWindowInclusive(t *testing.T) {
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	old := `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","IPList":["203.0.113.0/24","198.51.100.0/24"]}]}`
	ip := func(s string) netip.Addr { return netip.MustParseAddr(s) }
	callers := []Caller{
		{IP: ip("198.51.100.1"), LastSeen: now.Add(-RecentWindow)},               // exactly at the edge: recent
		{IP: ip("198.51.100.2"), LastSeen: now.Add(-RecentWindow - time.Second)}, // too old
		{IP: ip("198.51.100.3"), LastSeen: now.Add(-time.Hour), Flagged: true},   // the attacker
		{IP: ip("198.51.100.4")},                               // never seen with a time
		{IP: ip("203.0.113.5"), LastSeen: now.Add(-time.Hour)}, // still allowed
	}
	got := aclRemovals(old, pdOffice, callers, now)
	if len(got) != 1 || got[0].Entry != "198.51.100.0/24" {
		t.Fatalf("removals %+v, want public 198.51.100.0/24", got)
	}
	var ips []string
	for _, c := range got[0].Callers {
		ips = append(ips, c.IP.String())
	}
	if !slices.Equal(ips, []string{"198.51.100.1"}) {
		t.Errorf("recent callers losing access %v, want [198.51.100.1]", ips)
	}
}
