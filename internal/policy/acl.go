package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strings"
)

// AccessKey network ACL vocabulary (IMS SetAccessKeyPolicy, 2019-08-15;
// shared/reference/alibaba-cloud-api.md §15).
const (
	ACLVersion        = 1 // an INTEGER here; RAM policies use the string "1"
	ACLStatusActive   = "Active"
	ACLStatusInactive = "Inactive"
	ACLTypeClassic    = "ClassicWhiteList" // public-network source addresses
	ACLTypeVPC        = "VPCWhiteList"     // calls through VPC endpoints
	// ACLAllowAllVPC is the Value Alibaba's SDK example uses in a
	// VPCWhiteList statement; its meaning ("any VPC") is inferred, so akresp
	// accepts it when parsing but never generates it.
	ACLAllowAllVPC = "AllowAllVPC"
	// MaxACLEntries is the quota on IP entries across all statements
	// (GetAccountSummary examples; marked uncertain in the reference).
	MaxACLEntries = 50
	// DenyPublicAddress is the documented trick for "no public access at
	// all": a ClassicWhiteList holding only an address no public caller can
	// have. An ACL with no ClassicWhiteList allows every public address.
	DenyPublicAddress = "127.0.0.1"
)

var vpcIDPattern = regexp.MustCompile(`^vpc-[a-z0-9]+$`)

// ACL is an AccessKey network access policy document. It marshals to
// {"Version":1,"Status":"Active","Statements":[...]}.
type ACL struct {
	Version    int            `json:"Version"`
	Status     string         `json:"Status"`
	Statements []ACLStatement `json:"Statements"`
}

// ACLStatement is one allow list: Type ClassicWhiteList with an empty Value,
// or Type VPCWhiteList with a VPC ID as Value.
type ACLStatement struct {
	Type   string   `json:"Type"`
	Value  string   `json:"Value"`
	IPList []string `json:"IPList"`
}

// ACLOptions describes the ACL NetworkACL renders.
type ACLOptions struct {
	// AllowIPs are the public addresses or CIDRs allowed to use the key.
	AllowIPs []string
	// AllowVPCs are "vpc-id:CIDR[,CIDR...]" allow lists for calls through
	// VPC endpoints. The same VPC given twice is merged.
	AllowVPCs []string
	// DenyPublic blocks every public address (a ClassicWhiteList of only
	// 127.0.0.1). It contradicts AllowIPs.
	DenyPublic bool
	// Status is Active (enforced; the default) or Inactive (stored only).
	Status string
	// KeepAllowAllVPC accepts ACLAllowAllVPC as a VPC ID in AllowVPCs: a
	// merge with an ACL already in effect keeps a statement someone else
	// set. akresp never writes one of its own (a user's --allow-vpc
	// AllowAllVPC:... is still refused).
	KeepAllowAllVPC bool
}

// ACLInactive returns the document that switches a key's network ACL off:
// Alibaba has no delete call, so "remove" is Inactive with no statements.
func ACLInactive() ACL {
	return ACL{Version: ACLVersion, Status: ACLStatusInactive, Statements: []ACLStatement{}}
}

// NetworkACL renders an AccessKey network ACL. The ClassicWhiteList comes
// first (from AllowIPs, or 127.0.0.1 for DenyPublic), then one VPCWhiteList
// per VPC in the order given. Every entry is validated with ParseCIDR;
// duplicates are refused by name, as are empty lists, malformed VPC IDs and
// more than MaxACLEntries entries in total. With Status Inactive and nothing
// to allow it returns ACLInactive(). Errors wrap ErrInvalidACL.
func NetworkACL(opts ACLOptions) (ACL, error) {
	status, err := normaliseStatus(opts.Status)
	if err != nil {
		return ACL{}, err
	}
	if opts.DenyPublic && len(opts.AllowIPs) > 0 {
		return ACL{}, aclErr("cannot both deny all public access and allow public addresses; choose one")
	}
	if !opts.DenyPublic && len(opts.AllowIPs) == 0 && len(opts.AllowVPCs) == 0 {
		if status == ACLStatusInactive {
			return ACLInactive(), nil
		}
		return ACL{}, aclErr("the ACL allows nothing: give public addresses or CIDRs to allow, VPC allow lists, or deny all public access")
	}

	acl := ACL{Version: ACLVersion, Status: status, Statements: []ACLStatement{}}
	switch {
	case opts.DenyPublic:
		acl.Statements = append(acl.Statements, ACLStatement{Type: ACLTypeClassic, IPList: []string{DenyPublicAddress}})
	case len(opts.AllowIPs) > 0:
		list, err := entryList(opts.AllowIPs, "public allow list")
		if err != nil {
			return ACL{}, err
		}
		acl.Statements = append(acl.Statements, ACLStatement{Type: ACLTypeClassic, IPList: list})
	}

	vpcIndex := map[string]int{}
	var vpcRaw [][]string
	for _, spec := range opts.AllowVPCs {
		id, cidrs, err := splitVPCSpec(spec, opts.KeepAllowAllVPC)
		if err != nil {
			return ACL{}, err
		}
		i, seen := vpcIndex[id]
		if !seen {
			i = len(vpcRaw)
			vpcIndex[id] = i
			vpcRaw = append(vpcRaw, nil)
			acl.Statements = append(acl.Statements, ACLStatement{Type: ACLTypeVPC, Value: id})
		}
		vpcRaw[i] = append(vpcRaw[i], cidrs...)
	}
	first := len(acl.Statements) - len(vpcRaw)
	for i, raw := range vpcRaw {
		st := &acl.Statements[first+i]
		list, err := entryList(raw, "allow list of "+st.Value)
		if err != nil {
			return ACL{}, err
		}
		st.IPList = list
	}
	if err := checkEntryCount(acl); err != nil {
		return ACL{}, err
	}
	return acl, nil
}

// splitVPCSpec parses "vpc-id:CIDR[,CIDR...]" (allowAll: AllowAllVPC may
// stand for the VPC ID).
func splitVPCSpec(spec string, allowAll bool) (string, []string, error) {
	s := strings.TrimSpace(spec)
	id, list, ok := strings.Cut(s, ":")
	id = strings.TrimSpace(id)
	if !ok {
		return "", nil, aclErr(fmt.Sprintf("VPC allow list %q has no CIDRs; write vpc-id:CIDR[,CIDR] (use vpc-id:0.0.0.0/0 for the whole VPC)", s))
	}
	if !vpcIDPattern.MatchString(id) && !(allowAll && id == ACLAllowAllVPC) {
		return "", nil, aclErr(fmt.Sprintf("VPC ID %q is not valid; a VPC ID looks like vpc-bp1a2b3c4d5e6f7g8h9i0 (vpc- then lower-case letters and digits)", id))
	}
	var cidrs []string
	for _, c := range strings.Split(list, ",") {
		if c = strings.TrimSpace(c); c != "" {
			cidrs = append(cidrs, c)
		}
	}
	if len(cidrs) == 0 {
		return "", nil, aclErr(fmt.Sprintf("VPC allow list for %s is empty; use %s:0.0.0.0/0 for the whole VPC", id, id))
	}
	return id, cidrs, nil
}

// entryList validates and normalises one IP list, refusing duplicates.
func entryList(raw []string, what string) ([]string, error) {
	if len(raw) == 0 {
		return nil, aclErr(what + " is empty")
	}
	seen := map[netip.Prefix]string{}
	out := make([]string, 0, len(raw))
	for _, r := range raw {
		p, err := ParseCIDR(r)
		if err != nil {
			return nil, aclErr(fmt.Sprintf("%s: %v", what, err))
		}
		if prev, dup := seen[p]; dup {
			r = strings.TrimSpace(r)
			if prev == r {
				return nil, aclErr(fmt.Sprintf("%s: duplicate entry %q", what, r))
			}
			return nil, aclErr(fmt.Sprintf("%s: duplicate entry %q (same as %q)", what, r, prev))
		}
		seen[p] = strings.TrimSpace(r)
		out = append(out, formatPrefix(p))
	}
	return out, nil
}

func checkEntryCount(acl ACL) error {
	n := acl.EntryCount()
	if n > MaxACLEntries {
		return aclErr(fmt.Sprintf("the ACL has %d IP entries; the limit is %d (use wider CIDRs)", n, MaxACLEntries))
	}
	return nil
}

func normaliseStatus(s string) (string, error) {
	switch {
	case s == "" || strings.EqualFold(s, ACLStatusActive):
		return ACLStatusActive, nil
	case strings.EqualFold(s, ACLStatusInactive):
		return ACLStatusInactive, nil
	}
	return "", aclErr(fmt.Sprintf("ACL status %q is not Active or Inactive", s))
}

// EntryCount is the number of IP entries across all statements.
func (a ACL) EntryCount() int {
	n := 0
	for _, s := range a.Statements {
		n += len(s.IPList)
	}
	return n
}

// JSON returns the compact document, the form SetAccessKeyPolicy takes.
func (a ACL) JSON() string {
	if a.Statements == nil {
		a.Statements = []ACLStatement{} // "may be [], must not be null"
	}
	for i := range a.Statements {
		if a.Statements[i].IPList == nil {
			a.Statements[i].IPList = []string{}
		}
	}
	// ACL holds only ints, strings and string slices: marshalling cannot fail.
	b, _ := marshalNoEscape(a)
	return string(b)
}

// Indent returns the document indented by two spaces, without a trailing
// newline.
func (a ACL) Indent() string {
	var buf bytes.Buffer
	_ = json.Indent(&buf, []byte(a.JSON()), "", "  ") // JSON() is always valid
	return buf.String()
}

// Allows reports whether a call from the public address ip would pass the
// ACL: an ACL that is not Active allows everything; with no ClassicWhiteList
// statement every public address is allowed; otherwise ip must fall in one
// of the ClassicWhiteList entries. VPC statements only govern calls through
// VPC endpoints and are not consulted. An invalid ip is allowed only when
// nothing restricts public access.
func (a ACL) Allows(ip netip.Addr) bool {
	if a.Status != ACLStatusActive {
		return true
	}
	ip = ip.Unmap()
	restricted := false
	for _, s := range a.Statements {
		if s.Type != ACLTypeClassic {
			continue
		}
		restricted = true
		for _, e := range s.IPList {
			if p, err := ParseCIDR(e); err == nil && ip.IsValid() && p.Contains(ip) {
				return true
			}
		}
	}
	return !restricted
}

// Equivalent reports whether a and b enforce the same thing: same status,
// and per (Type, Value) the same set of networks, whatever the order or the
// spelling of the entries ("1.2.3.4" and "1.2.3.4/32" are the same).
func (a ACL) Equivalent(b ACL) bool {
	return a.canonical() == b.canonical()
}

func (a ACL) canonical() string {
	sets := map[string][]string{}
	for _, s := range a.Statements {
		key := s.Type + "\x00" + s.Value
		for _, e := range s.IPList {
			if p, err := ParseCIDR(e); err == nil {
				e = p.String()
			}
			sets[key] = append(sets[key], e)
		}
		if _, ok := sets[key]; !ok {
			sets[key] = nil
		}
	}
	var parts []string
	for k, v := range sets {
		slices.Sort(v)
		parts = append(parts, k+"="+strings.Join(slices.Compact(v), ","))
	}
	slices.Sort(parts)
	return a.Status + "|" + strings.Join(parts, "|")
}

var (
	aclTopKeys       = []string{"Version", "Status", "Statements"}
	aclStatementKeys = []string{"Type", "Value", "IPList"}
)

// ParseNetworkACL parses and validates an AccessKey network ACL document as
// SetAccessKeyPolicy takes it and GetAccessKeyPolicy returns it. Version may
// be 1, "1" or absent (Alibaba's SDK examples omit it); Status must be Active
// or Inactive; Statements must be present (it may be []). Each statement
// needs a known Type, an empty Value (ClassicWhiteList) or a VPC ID
// (VPCWhiteList; AllowAllVPC is accepted), and a non-empty IPList of valid,
// distinct entries; at most MaxACLEntries entries in all. Key names are
// matched exactly. The result has normalised entries and Version 1. Errors
// wrap ErrInvalidACL.
func ParseNetworkACL(doc string) (ACL, error) { return parseNetworkACL(doc, true) }

// ReadNetworkACL is ParseNetworkACL for a document read back from the
// cloud (GetAccessKeyPolicy, GetAccessKeyPolicyForAccount, a journal of
// what was read): keys it does not know are ignored rather than refused,
// so a document the API extends still reads as what its known keys say
// instead of failing to parse (which callers would have to treat as "no
// policy", i.e. allow all). Unknown statement Types are still refused: a
// statement akresp cannot evaluate is never guessed at.
func ReadNetworkACL(doc string) (ACL, error) { return parseNetworkACL(doc, false) }

func parseNetworkACL(doc string, strict bool) (ACL, error) {
	top, err := decodeObject([]byte(doc), "network ACL")
	if err != nil {
		return ACL{}, aclErr(err.Error())
	}
	if err := onlyKeys(top, aclTopKeys); err != nil && strict {
		return ACL{}, aclErr("network ACL has " + err.Error())
	}
	acl := ACL{Version: ACLVersion}
	if raw, ok := top["Version"]; ok {
		var v any
		_ = json.Unmarshal(raw, &v)
		if v != float64(ACLVersion) && v != "1" {
			return ACL{}, aclErr(fmt.Sprintf("network ACL Version is %s; it must be 1", compactRaw(raw)))
		}
	}
	rawStatus, ok := top["Status"]
	if !ok {
		return ACL{}, aclErr(`network ACL has no Status; want "Active" or "Inactive"`)
	}
	if err := json.Unmarshal(rawStatus, &acl.Status); err != nil || (acl.Status != ACLStatusActive && acl.Status != ACLStatusInactive) {
		return ACL{}, aclErr(fmt.Sprintf(`network ACL Status %s must be "Active" or "Inactive"`, compactRaw(rawStatus)))
	}
	rawStatements, ok := top["Statements"]
	if !ok {
		return ACL{}, aclErr("network ACL has no Statements (use [] for none)")
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(rawStatements, &raws); err != nil || raws == nil {
		return ACL{}, aclErr("network ACL Statements must be an array (use [] for none), not " + compactRaw(rawStatements))
	}
	acl.Statements = []ACLStatement{}
	for i, raw := range raws {
		st, err := parseACLStatement(raw, strict)
		if err != nil {
			return ACL{}, aclErr(fmt.Sprintf("statement %d: %v", i+1, err))
		}
		acl.Statements = append(acl.Statements, st)
	}
	if err := checkEntryCount(acl); err != nil {
		return ACL{}, err
	}
	return acl, nil
}

func parseACLStatement(raw json.RawMessage, strict bool) (ACLStatement, error) {
	obj, err := decodeObject(raw, "statement")
	if err != nil {
		return ACLStatement{}, err
	}
	if err := onlyKeys(obj, aclStatementKeys); err != nil && strict {
		return ACLStatement{}, err
	}
	var st ACLStatement
	rawType, ok := obj["Type"]
	if !ok {
		return ACLStatement{}, fmt.Errorf("no Type; want %s or %s", ACLTypeClassic, ACLTypeVPC)
	}
	if err := json.Unmarshal(rawType, &st.Type); err != nil || (st.Type != ACLTypeClassic && st.Type != ACLTypeVPC) {
		return ACLStatement{}, fmt.Errorf("Type %s must be %s or %s", compactRaw(rawType), ACLTypeClassic, ACLTypeVPC)
	}
	if rawValue, ok := obj["Value"]; ok {
		if err := json.Unmarshal(rawValue, &st.Value); err != nil {
			return ACLStatement{}, fmt.Errorf("Value must be a string")
		}
	}
	switch st.Type {
	case ACLTypeClassic:
		if st.Value != "" {
			return ACLStatement{}, fmt.Errorf("a %s statement must have an empty Value, not %q", ACLTypeClassic, st.Value)
		}
	case ACLTypeVPC:
		if st.Value != ACLAllowAllVPC && !vpcIDPattern.MatchString(st.Value) {
			return ACLStatement{}, fmt.Errorf("VPC ID %q is not valid; a VPC ID looks like vpc- then lower-case letters and digits", st.Value)
		}
	}
	rawList, ok := obj["IPList"]
	if !ok {
		return ACLStatement{}, fmt.Errorf("no IPList")
	}
	var list []string
	if err := json.Unmarshal(rawList, &list); err != nil {
		return ACLStatement{}, fmt.Errorf("IPList must be an array of strings")
	}
	what := "IPList"
	if st.Value != "" {
		what = "IPList of " + st.Value
	}
	if st.IPList, err = entryList(list, what); err != nil {
		return ACLStatement{}, err
	}
	return st, nil
}

func onlyKeys(obj map[string]json.RawMessage, allowed []string) error {
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		if !slices.Contains(allowed, k) {
			return fmt.Errorf("unknown key %q (keys are case-sensitive: %s)", k, strings.Join(allowed, ", "))
		}
	}
	return nil
}

func aclErr(msg string) error { return &inputError{msg: msg, kind: ErrInvalidACL} }
