package respond

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strings"

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
	_, err := renderACL(r)
	return err
}

// aclAllows reports whether the ACL document lets a public-endpoint call from
// ip through. An empty or unparsable document allows everything.
func aclAllows(doc string, ip netip.Addr) bool {
	if doc == "" {
		return true
	}
	acl, err := policy.ParseNetworkACL(doc)
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
	x, err1 := policy.ParseNetworkACL(a)
	y, err2 := policy.ParseNetworkACL(b)
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
