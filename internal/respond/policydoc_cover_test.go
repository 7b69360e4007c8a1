package respond

// Behaviour of policydoc.go that no test of the package executed when
// go-gremlins measured it (mutants reported NOT COVERED): the order in
// which describeACL lists statements, its wording for an Active ACL with
// no statements and for a statement type it does not know, the
// "unknown" source of EffectivePolicy when the account level could not
// be read, the policy that does not parse, and mergeACL's per-VPC merge
// of --allow-vpc into the VPC lists of the ACL in effect.

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/akresp/akresp/internal/policy"
)

// describeACL is a canonical description: whatever order the statements
// come back in from IMS, the public allow list comes first, then the VPC
// lists by VPC ID (so the same ACL reads the same in the plan, --status
// and the undo notes that show "that run set: ...; in effect now: ...").
func TestDescribeACLCanonicalStatementOrder(t *testing.T) {
	const want = "Active: public 203.0.113.0/24; vpc vpc-a 10.0.0.0/8; vpc vpc-b 172.16.0.0/12"
	docs := []string{
		// VPCs out of order, the public list last.
		`{"Version":1,"Status":"Active","Statements":[` +
			`{"Type":"VPCWhiteList","Value":"vpc-b","IPList":["172.16.0.0/12"]},` +
			`{"Type":"VPCWhiteList","Value":"vpc-a","IPList":["10.0.0.0/8"]},` +
			`{"Type":"ClassicWhiteList","Value":"","IPList":["203.0.113.0/24"]}]}`,
		// The public list between the VPCs.
		`{"Version":1,"Status":"Active","Statements":[` +
			`{"Type":"VPCWhiteList","Value":"vpc-b","IPList":["172.16.0.0/12"]},` +
			`{"Type":"ClassicWhiteList","Value":"","IPList":["203.0.113.0/24"]},` +
			`{"Type":"VPCWhiteList","Value":"vpc-a","IPList":["10.0.0.0/8"]}]}`,
		// Already in canonical order.
		`{"Version":1,"Status":"Active","Statements":[` +
			`{"Type":"ClassicWhiteList","Value":"","IPList":["203.0.113.0/24"]},` +
			`{"Type":"VPCWhiteList","Value":"vpc-a","IPList":["10.0.0.0/8"]},` +
			`{"Type":"VPCWhiteList","Value":"vpc-b","IPList":["172.16.0.0/12"]}]}`,
	}
	for i, doc := range docs {
		if got := describeACL(doc); got != want {
			t.Errorf("doc %d: describeACL = %q, want %q", i, got, want)
		}
	}
	// The same through EffectivePolicy's summary (--status, report, rotate).
	if e := EffectivePolicy(docs[0], "", nil); e.Summary != "key-level: "+want {
		t.Errorf("summary %q, want %q", e.Summary, "key-level: "+want)
	}
}

// An Active ACL without statements restricts nothing (policy.ACL.Allows:
// no ClassicWhiteList, every public address passes): describeACL says so
// with its status, and EffectivePolicy reports the key's own policy as
// the one in effect with public access open.
func TestDescribeACLActiveWithoutStatements(t *testing.T) {
	const doc = `{"Version":1,"Status":"Active","Statements":[]}`
	if got := describeACL(doc); got != "Active: no restriction" {
		t.Errorf("describeACL = %q, want %q", got, "Active: no restriction")
	}
	e := EffectivePolicy(doc, pdOffice, nil)
	if e.Source != ACLSourceKey || !e.PublicOpen || !strings.HasPrefix(e.Summary, "key-level: Active: no restriction") {
		t.Errorf("EffectivePolicy = %+v, want the key's own policy, public access open", e)
	}
}

// A statement of a type akresp does not know is still shown, as its Type
// and its (normalised) entries, never dropped from the description; and
// since akresp never guesses at a statement it cannot evaluate
// (policy.ReadNetworkACL), the policy in effect counts as not parsing:
// public access is reported open, with the parse error as the reason.
func TestDescribeACLUnknownStatementType(t *testing.T) {
	const doc = `{"Version":1,"Status":"Active","Statements":[{"Type":"FutureWhiteList","Value":"x","IPList":["198.51.100.7"]}]}`
	if got, want := describeACL(doc), "Active: FutureWhiteList 198.51.100.7/32"; got != want {
		t.Errorf("describeACL = %q, want %q", got, want)
	}
	e := EffectivePolicy(doc, "", nil)
	if e.Source != ACLSourceKey || string(e.Document) != doc {
		t.Fatalf("EffectivePolicy source %q document %q, want the key's own document", e.Source, e.Document)
	}
	if !e.PublicOpen || !strings.HasPrefix(e.PublicReason, "the policy does not parse: ") || !strings.Contains(e.PublicReason, "FutureWhiteList") {
		t.Errorf("PublicOpen %v reason %q, want open because the policy does not parse (naming the Type)", e.PublicOpen, e.PublicReason)
	}
}

// EffectivePolicy: an Active policy that does not parse (an entry that is
// no address) is still the one in effect, at key or account level, but it
// is not trusted to fence anything: public access is reported open and
// the reason carries the parse error.
func TestEffectivePolicyUnparsableActivePolicy(t *testing.T) {
	const bad = `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["not-an-address"]}]}`
	for _, tt := range []struct {
		name, key, acct, source string
	}{
		{"key level", bad, pdOffice, ACLSourceKey},
		{"account level", "", bad, ACLSourceAccount},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := EffectivePolicy(tt.key, tt.acct, nil)
			if e.Source != tt.source || string(e.Document) != bad {
				t.Fatalf("source %q document %q, want %q and the unparsable document", e.Source, e.Document, tt.source)
			}
			if !e.PublicOpen || !strings.HasPrefix(e.PublicReason, "the policy does not parse: ") || !strings.Contains(e.PublicReason, "not-an-address") {
				t.Errorf("PublicOpen %v reason %q, want open: the policy does not parse (naming the entry)", e.PublicOpen, e.PublicReason)
			}
		})
	}
}

// EffectivePolicy without an Active key-level policy: when the account
// level could not be read the answer is "unknown" (never the account
// document passed alongside the error, never "none"), public access is
// taken as open and the summary carries the read error; when it was read,
// an Active account policy applies.
func TestEffectivePolicyAccountUnreadable(t *testing.T) {
	readErr := errors.New("NoPermission: ims:GetAccessKeyPolicyForAccount")
	for _, key := range []string{"", inactiveACL} {
		e := EffectivePolicy(key, pdOffice, readErr)
		if e.Source != ACLSourceUnknown || e.Document != "" || !e.PublicOpen {
			t.Errorf("key %q, account unreadable: %+v, want source unknown, no document, public open", key, e)
		}
		if e.AccountLevel != "" || e.AccountError != readErr.Error() || !strings.Contains(e.Summary, readErr.Error()) {
			t.Errorf("key %q, account unreadable: account level %q error %q summary %q", key, e.AccountLevel, e.AccountError, e.Summary)
		}
		e = EffectivePolicy(key, pdOffice, nil)
		if e.Source != ACLSourceAccount || string(e.Document) != pdOffice || e.PublicOpen || e.AccountError != "" {
			t.Errorf("key %q, account readable: %+v, want the account policy, public access fenced", key, e)
		}
	}
}

// mergeACL (a re-run without --replace) extends the VPC lists of the ACL
// in effect per VPC: --allow-vpc VPC-ID:CIDR[,CIDR] is read as a
// comma-separated list with blanks ignored; a VPC already in the ACL keeps
// all its entries and gains the new ones; a VPC the request does not name
// is kept whole; a new VPC comes after the old ones. kept lists exactly the
// old VPC entries the request did not name (an entry the request repeats,
// however spelled, is not "kept": it was asked for).
func TestMergeACLExtendsVPCListsPerVPC(t *testing.T) {
	old := `{"Version":1,"Status":"Active","Statements":[` +
		`{"Type":"ClassicWhiteList","Value":"","IPList":["203.0.113.0/24"]},` +
		`{"Type":"VPCWhiteList","Value":"vpc-abc","IPList":["10.0.0.0/8","172.16.0.0/12"]},` +
		`{"Type":"VPCWhiteList","Value":"vpc-def","IPList":["192.168.0.0/16"]}]}`
	req := ACLRequest{AllowVPCs: []string{
		"vpc-abc: 10.0.0.0/8 , 100.64.0.0/10,",
		"vpc-new:192.0.2.0/24, ,198.51.100.0/24",
	}}
	if err := ValidateACL(req); err != nil {
		t.Fatalf("the request is a valid --allow-vpc: %v", err)
	}
	doc, kept, err := mergeACL(old, req)
	if err != nil {
		t.Fatal(err)
	}
	pub, _, vpcs := pdACL(t, doc)
	if !slices.Equal(pub, []string{"203.0.113.0/24"}) {
		t.Errorf("public list %v, want the old one kept", pub)
	}
	want := map[string][]string{
		"vpc-abc": {"10.0.0.0/8", "172.16.0.0/12", "100.64.0.0/10"},
		"vpc-def": {"192.168.0.0/16"},
		"vpc-new": {"192.0.2.0/24", "198.51.100.0/24"},
	}
	for id, list := range want {
		if !slices.Equal(vpcs[id], list) {
			t.Errorf("%s allow list %v, want %v", id, vpcs[id], list)
		}
	}
	if len(vpcs) != len(want) {
		t.Errorf("VPC lists %v, want exactly %v", vpcs, want)
	}
	acl, _ := policy.ParseNetworkACL(doc)
	var order []string
	for _, s := range acl.Statements {
		if s.Type == policy.ACLTypeVPC {
			order = append(order, s.Value)
		}
	}
	if !slices.Equal(order, []string{"vpc-abc", "vpc-def", "vpc-new"}) {
		t.Errorf("VPC statement order %v, want the old VPCs first, then the new one", order)
	}
	if wantKept := []string{"public 203.0.113.0/24", "vpc vpc-abc 172.16.0.0/12", "vpc vpc-def 192.168.0.0/16"}; !slices.Equal(kept, wantKept) {
		t.Errorf("kept %v, want %v", kept, wantKept)
	}

	// The request repeats an old entry in another spelling (a bare
	// address for its /32): it is neither duplicated nor reported kept.
	old = `{"Version":1,"Status":"Active","Statements":[{"Type":"VPCWhiteList","Value":"vpc-abc","IPList":["10.1.2.3/32","10.9.0.0/16"]}]}`
	doc, kept, err = mergeACL(old, ACLRequest{AllowVPCs: []string{"vpc-abc:10.1.2.3"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, vpcs = pdACL(t, doc); !slices.Equal(vpcs["vpc-abc"], []string{"10.1.2.3", "10.9.0.0/16"}) {
		t.Errorf("vpc-abc allow list %v, want [10.1.2.3 10.9.0.0/16]", vpcs["vpc-abc"])
	}
	if !slices.Equal(kept, []string{"vpc vpc-abc 10.9.0.0/16"}) {
		t.Errorf("kept %v, want [vpc vpc-abc 10.9.0.0/16]", kept)
	}
}
