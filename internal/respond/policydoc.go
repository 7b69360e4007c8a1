package respond

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/akresp/akresp/internal/policy"
)

// This file is the only place respond touches internal/policy.

// inactiveACL is how a key-level AccessKey network policy is "removed":
// there is no delete API (alibaba-cloud-api.md section 15).
const inactiveACL = `{"Version":1,"Status":"Inactive","Statements":[]}`

// ACLRequest is the network ACL the engineer asked for, as given on the
// command line (validated by policy.NetworkACL).
type ACLRequest struct {
	AllowIPs   []string // CIDRs or addresses
	AllowVPCs  []string // "vpc-id:CIDR[,CIDR...]"
	DenyPublic bool
}

func (r ACLRequest) empty() bool {
	return len(r.AllowIPs) == 0 && len(r.AllowVPCs) == 0 && !r.DenyPublic
}

// renderACL renders the requested ACL as an Active key-level policy.
func renderACL(r ACLRequest) (string, error) {
	acl, err := policy.NetworkACL(policy.ACLOptions{AllowIPs: r.AllowIPs, AllowVPCs: r.AllowVPCs, DenyPublic: r.DenyPublic, Status: "Active"})
	if err != nil {
		return "", err
	}
	return acl.JSON(), nil
}

// ValidateACL checks an ACL request without any I/O (for flag validation).
func ValidateACL(r ACLRequest) error {
	if r.empty() {
		return nil
	}
	doc, err := renderACL(r)
	if err != nil {
		return err
	}
	if err := checkAllowList(doc); err != nil {
		return fmt.Errorf("refused: %w; nothing was changed", err)
	}
	return nil
}

// aclAllows reports whether the ACL document lets a public-endpoint call from
// ip through. An empty or unparsable document allows everything.
func aclAllows(doc string, ip netip.Addr) bool {
	if doc == "" {
		return true
	}
	acl, err := policy.ReadNetworkACL(doc)
	if err != nil {
		return true
	}
	return acl.Allows(ip)
}

// denyDocument renders the deny-high-risk policy with extra actions.
func denyDocument(extra []string) (string, error) {
	doc, err := policy.DenyHighRisk(policy.DenyOptions{Add: extra})
	if err != nil {
		return "", err
	}
	return doc.JSON(), nil
}

// documentsEqual compares two RAM policy documents by meaning.
func documentsEqual(a, b string) bool {
	if a == b {
		return true
	}
	eq, err := policy.SemanticallyEqual(a, b)
	return err == nil && eq
}

// canonACL is a parsed ACL for comparison and display.
type canonACL struct {
	Status     string
	Statements []canonStmt
}

type canonStmt struct {
	Type   string
	Value  string
	IPList []string
}

func parseCanonACL(doc string) (canonACL, bool) {
	var raw struct {
		Status     string `json:"Status"`
		Statements []struct {
			Type   string   `json:"Type"`
			Value  string   `json:"Value"`
			IPList []string `json:"IPList"`
		} `json:"Statements"`
	}
	if err := json.Unmarshal([]byte(doc), &raw); err != nil {
		return canonACL{}, false
	}
	c := canonACL{Status: raw.Status}
	for _, s := range raw.Statements {
		ips := append([]string(nil), s.IPList...)
		for i, ip := range ips {
			if p, err := netip.ParsePrefix(ip); err == nil {
				ips[i] = p.Masked().String()
			} else if a, err := netip.ParseAddr(ip); err == nil {
				ips[i] = netip.PrefixFrom(a, a.BitLen()).String()
			}
		}
		sort.Strings(ips)
		c.Statements = append(c.Statements, canonStmt{Type: s.Type, Value: s.Value, IPList: ips})
	}
	sort.Slice(c.Statements, func(i, j int) bool {
		if c.Statements[i].Type != c.Statements[j].Type {
			return c.Statements[i].Type < c.Statements[j].Type
		}
		return c.Statements[i].Value < c.Statements[j].Value
	})
	return c, true
}

// aclIsNone reports whether a document means "no key-level restriction":
// absent, or Inactive with no statements.
func aclIsNone(doc string) bool {
	if strings.TrimSpace(doc) == "" {
		return true
	}
	c, ok := parseCanonACL(doc)
	return ok && strings.EqualFold(c.Status, "Inactive") && len(c.Statements) == 0
}

// aclEquivalent compares two ACL documents by meaning.
func aclEquivalent(a, b string) bool {
	if aclIsNone(a) || aclIsNone(b) {
		return aclIsNone(a) && aclIsNone(b)
	}
	if a == b {
		return true
	}
	x, err1 := policy.ReadNetworkACL(a)
	y, err2 := policy.ReadNetworkACL(b)
	if err1 != nil || err2 != nil {
		return false
	}
	return x.Equivalent(y)
}

// describeACL is a short human description of an ACL document.
func describeACL(doc string) string {
	if strings.TrimSpace(doc) == "" {
		return "none"
	}
	c, ok := parseCanonACL(doc)
	if !ok {
		return "unparsable policy"
	}
	if len(c.Statements) == 0 {
		if strings.EqualFold(c.Status, "Inactive") {
			return "none (Inactive)"
		}
		return c.Status + ": no restriction"
	}
	var parts []string
	for _, s := range c.Statements {
		switch s.Type {
		case "ClassicWhiteList":
			parts = append(parts, "public "+strings.Join(s.IPList, ","))
		case "VPCWhiteList":
			parts = append(parts, fmt.Sprintf("vpc %s %s", s.Value, strings.Join(s.IPList, ",")))
		default:
			parts = append(parts, s.Type+" "+strings.Join(s.IPList, ","))
		}
	}
	return c.Status + ": " + strings.Join(parts, "; ")
}

// ---- the effective network policy (key level and account level) ----

// Where the effective network policy of a key comes from.
const (
	ACLSourceKey     = "key"     // the key's own Active policy
	ACLSourceAccount = "account" // the account-level Active policy
	ACLSourceNone    = "none"    // neither is Active: nothing restricts the key
	ACLSourceUnknown = "unknown" // no Active key-level policy and the account level could not be read
)

// aclPrecedence is the leak-response plan's troubleshooting note, in short.
const aclPrecedence = "an Active AccessKey-level policy has the higher priority and replaces the account-level policy for that key; without one, the account-level policy applies"

// EffectiveACL is the AccessKey network policy that applies to a key, with
// both levels it was decided from.
type EffectiveACL struct {
	KeyLevel     policy.DocText `json:"key_level,omitempty"`           // the key's own document, "" = none
	AccountLevel policy.DocText `json:"account_level,omitempty"`       // the account's document, "" = none
	AccountError string         `json:"account_level_error,omitempty"` // the account level could not be read
	Source       string         `json:"source"`                        // key | account | none | unknown
	Document     policy.DocText `json:"document,omitempty"`            // the policy that applies
	Summary      string         `json:"summary"`
	// PublicOpen: every attacker address still passes for public-endpoint
	// calls (no policy, a VPC-only policy, or an allow list covering all
	// of IPv4 or IPv6).
	PublicOpen   bool   `json:"public_open"`
	PublicReason string `json:"public_open_reason,omitempty"`
	Precedence   string `json:"precedence"`
}

// aclActive reports whether a document is an Active policy (any content).
func aclActive(doc string) bool {
	if aclIsNone(doc) {
		return false
	}
	c, ok := parseCanonACL(doc)
	return ok && strings.EqualFold(c.Status, "Active")
}

// EffectivePolicy decides which network policy applies to a key from its
// key-level document and the account-level one (accountErr: the account
// level could not be read). Other packages (report, rotate) call it to
// show the same answer as contain --status.
func EffectivePolicy(keyDoc, accountDoc string, accountErr error) EffectiveACL {
	e := EffectiveACL{KeyLevel: policy.DocText(keyDoc), AccountLevel: policy.DocText(accountDoc), Precedence: aclPrecedence}
	if accountErr != nil {
		e.AccountLevel, e.AccountError = "", accountErr.Error()
	}
	switch {
	case aclActive(keyDoc):
		e.Source, e.Document = ACLSourceKey, policy.DocText(keyDoc)
	case accountErr != nil:
		e.Source = ACLSourceUnknown
	case aclActive(accountDoc):
		e.Source, e.Document = ACLSourceAccount, policy.DocText(accountDoc)
	default:
		e.Source = ACLSourceNone
	}
	switch e.Source {
	case ACLSourceUnknown:
		e.Summary = "unknown: the key has no Active policy of its own and the account-level policy could not be read (" + e.AccountError + ")"
		e.PublicOpen, e.PublicReason = true, "the account-level policy could not be read"
		return e
	case ACLSourceNone:
		e.Summary = "none: neither the key nor the account has an Active network policy"
		e.PublicOpen, e.PublicReason = true, "no network policy: every public address is allowed"
		return e
	}
	e.Summary = e.Source + "-level: " + describeACL(string(e.Document))
	if e.Source == ACLSourceKey && aclActive(accountDoc) {
		e.Summary += " (replaces the account-level policy " + describeACL(accountDoc) + ")"
	}
	acl, err := policy.ReadNetworkACL(string(e.Document))
	if err != nil {
		e.PublicOpen, e.PublicReason = true, "the policy does not parse: "+err.Error()
		return e
	}
	pa := acl.PublicAccess()
	e.PublicOpen, e.PublicReason = pa.Open(), pa.Reason()
	return e
}

// checkAllowList refuses an ACL whose public allow list covers a whole
// address family (exit 2 through the caller's InputError).
func checkAllowList(doc string) error {
	acl, err := policy.ReadNetworkACL(doc)
	if err != nil {
		return err
	}
	for _, s := range acl.Statements {
		if s.Type == policy.ACLTypeClassic {
			if err := policy.CheckAllowList(s.IPList); err != nil {
				return err
			}
		}
	}
	return nil
}

// aclWidens lists what doc admits beyond base ("" documents and unparsable
// ones: nothing is reported).
func aclWidens(doc, base string) []string {
	if !aclActive(base) {
		return nil
	}
	a, err1 := policy.ReadNetworkACL(doc)
	b, err2 := policy.ReadNetworkACL(base)
	if err1 != nil || err2 != nil {
		return nil
	}
	if aclIsNone(doc) {
		a = policy.ACLInactive()
	}
	return a.AllowedBeyond(b)
}

// ACLRemoval is an allow-list entry of the ACL in effect that a --replace
// run drops, with the recent legitimate callers that lose access with it.
type ACLRemoval struct {
	Scope   string   `json:"scope"` // "public" or the VPC ID
	Entry   string   `json:"entry"`
	Callers []Caller `json:"recent_legitimate_callers,omitempty"`
}

// mergeACL is contain's "never narrow silently": the target is the ACL in
// effect (old, an Active key-level document) with every source the request
// adds. A public allow list of old is kept whole (its 127.0.0.1 deny-public
// placeholder is dropped once real sources are allowed); old's VPC lists are
// kept and extended per VPC. kept lists old sources the request did not
// name.
func mergeACL(old string, req ACLRequest) (doc string, kept []string, err error) {
	o, err := policy.ReadNetworkACL(old)
	if err != nil {
		return "", nil, err
	}
	var pub []string
	hasPub := false
	vpcs := map[string][]string{}
	var vpcOrder []string
	for _, s := range o.Statements {
		switch s.Type {
		case policy.ACLTypeClassic:
			hasPub = true
			pub = append(pub, s.IPList...)
		case policy.ACLTypeVPC:
			if _, ok := vpcs[s.Value]; !ok {
				vpcOrder = append(vpcOrder, s.Value)
			}
			vpcs[s.Value] = append(vpcs[s.Value], s.IPList...)
		}
	}
	reqPub := map[netip.Prefix]bool{}
	for _, ip := range req.AllowIPs {
		if p, err := policy.ParseCIDR(ip); err == nil {
			reqPub[p] = true
		}
	}
	denyOnly := hasPub && len(pub) == 1 && pub[0] == policy.DenyPublicAddress
	var outPub []string
	seen := map[netip.Prefix]bool{}
	add := func(list *[]string, seen map[netip.Prefix]bool, e string) {
		p, err := policy.ParseCIDR(e)
		if err != nil || seen[p] {
			return
		}
		seen[p] = true
		*list = append(*list, e)
	}
	if hasPub {
		for _, e := range pub {
			if denyOnly && len(req.AllowIPs) > 0 {
				continue
			}
			p, _ := policy.ParseCIDR(e)
			if !reqPub[p] && !(e == policy.DenyPublicAddress) {
				kept = append(kept, "public "+e)
			}
			add(&outPub, seen, e)
		}
	}
	for _, e := range req.AllowIPs {
		add(&outPub, seen, e)
	}
	if req.DenyPublic && len(outPub) == 0 {
		outPub = []string{policy.DenyPublicAddress}
	}
	// VPC lists: old first, then the request's.
	reqVPC := map[string][]string{}
	for _, spec := range req.AllowVPCs {
		id, list, _ := strings.Cut(spec, ":")
		id = strings.TrimSpace(id)
		if _, ok := vpcs[id]; !ok {
			if _, ok2 := reqVPC[id]; !ok2 {
				vpcOrder = append(vpcOrder, id)
			}
		}
		for _, c := range strings.Split(list, ",") {
			if c = strings.TrimSpace(c); c != "" {
				reqVPC[id] = append(reqVPC[id], c)
			}
		}
	}
	var vpcSpecs []string
	for _, id := range vpcOrder {
		vs := map[netip.Prefix]bool{}
		var list []string
		inReq := map[netip.Prefix]bool{}
		for _, e := range reqVPC[id] {
			if p, err := policy.ParseCIDR(e); err == nil {
				inReq[p] = true
			}
		}
		for _, e := range vpcs[id] {
			if p, err := policy.ParseCIDR(e); err == nil && !inReq[p] {
				kept = append(kept, "vpc "+id+" "+e)
			}
			add(&list, vs, e)
		}
		for _, e := range reqVPC[id] {
			add(&list, vs, e)
		}
		if len(list) > 0 {
			vpcSpecs = append(vpcSpecs, id+":"+strings.Join(list, ","))
		}
	}
	// (The deny-public placeholder is an ordinary allow-list entry to
	// NetworkACL: a merged list holding it renders as DenyPublic would. An
	// AllowAllVPC statement in effect is kept as it is.)
	acl, err := policy.NetworkACL(policy.ACLOptions{AllowIPs: outPub, AllowVPCs: vpcSpecs, Status: policy.ACLStatusActive, KeepAllowAllVPC: true})
	if err != nil {
		return "", nil, err
	}
	return acl.JSON(), kept, nil
}

// aclRemovals lists the entries of old that target does not cover any more,
// each with the recent legitimate callers inside it (public entries only:
// the audit's callers are public sources).
func aclRemovals(old, target string, callers []Caller, now time.Time) []ACLRemoval {
	o, err1 := policy.ReadNetworkACL(old)
	t, err2 := policy.ReadNetworkACL(target)
	if err1 != nil || err2 != nil || !aclActive(old) {
		return nil
	}
	collect := func(a policy.ACL, typ, value string) ([]netip.Prefix, bool) {
		var ps []netip.Prefix
		found := false
		for _, s := range a.Statements {
			if s.Type == typ && (typ == policy.ACLTypeClassic || s.Value == value) {
				found = true
				ps = append(ps, policy.Prefixes(s.IPList)...)
			}
		}
		return ps, found
	}
	var out []ACLRemoval
	for _, s := range o.Statements {
		scope := "public"
		if s.Type == policy.ACLTypeVPC {
			scope = s.Value
		}
		if s.Type == policy.ACLTypeClassic && len(s.IPList) == 1 && s.IPList[0] == policy.DenyPublicAddress {
			continue
		}
		tp, found := collect(t, s.Type, s.Value)
		if !found && s.Type == policy.ACLTypeClassic {
			continue // the target has no public list: public access opens, nothing is removed
		}
		for _, u := range policy.Uncovered(tp, policy.Prefixes(s.IPList)) {
			r := ACLRemoval{Scope: scope, Entry: prefixText(u)}
			if s.Type == policy.ACLTypeClassic {
				for _, c := range callers {
					if !c.Flagged && c.IP.IsValid() && u.Contains(c.IP.Unmap()) && !c.LastSeen.IsZero() && now.Sub(c.LastSeen) <= RecentWindow {
						r.Callers = append(r.Callers, c)
					}
				}
			}
			out = append(out, r)
		}
	}
	return out
}

func prefixText(p netip.Prefix) string {
	if p.IsSingleIP() {
		return p.Addr().String()
	}
	return p.String()
}
