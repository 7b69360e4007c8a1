package lab

import (
	"net/http"
	"net/netip"
	"strings"
)

// principal is the identity behind an AccessKey: the root account, a RAM
// user or an assumed-role session.
type principal struct {
	kind  string // root-account | ram-user | assumed-role
	keyID string
	acct  string
	key   *AccessKey // permanent key; nil for STS credentials
	user  *User      // RAM user (nil for root and roles, or when the owner vanished)
	owner string     // RAM user name owning key ("" for root)
	token *STSToken  // STS credentials
	role  *Role      // the assumed role; nil if it was deleted since
}

func (p *principal) secret() string {
	if p.token != nil {
		return p.token.Secret
	}
	return p.key.Secret
}

func (p *principal) isRoot() bool { return p.kind == "root-account" }

// caller is the identity as ActionTrail records it (section 14).
func (p *principal) caller() Caller {
	c := Caller{Type: p.kind, AccessKeyID: p.keyID}
	switch p.kind {
	case "root-account":
		c.PrincipalID, c.UserName = p.acct, "root"
	case "ram-user":
		c.UserName = p.owner
		if p.user != nil {
			c.PrincipalID = p.user.UserID
		}
	case "assumed-role":
		roleID := ""
		if p.role != nil {
			roleID = p.role.RoleID
		}
		c.PrincipalID = roleID + ":" + p.token.SessionName
		c.UserName = p.token.RoleName + ":" + p.token.SessionName
	}
	return c
}

// arn is the caller's ARN as STS GetCallerIdentity reports it.
func (p *principal) arn() string {
	switch p.kind {
	case "root-account":
		return "acs:ram::" + p.acct + ":root"
	case "ram-user":
		return "acs:ram::" + p.acct + ":user/" + p.owner
	default:
		return "acs:ram::" + p.acct + ":assumed-role/" + p.token.RoleName + "/" + p.token.SessionName
	}
}

// principalForKey resolves an AccessKey id (permanent LTAI... or STS....)
// to its principal; nil when the lab does not know the key. Keys in the
// recycle bin are unknown. The caller holds s.mu.
func (s *Server) principalForKey(id string) *principal {
	w := s.world
	if k, ok := w.AccessKeys[id]; ok {
		p := &principal{keyID: id, acct: w.Account.ID, key: k, owner: k.Owner}
		if k.Owner == "" {
			p.kind = "root-account"
		} else {
			p.kind = "ram-user"
			p.user = w.Users[k.Owner]
		}
		return p
	}
	if t, ok := w.STSTokens[id]; ok {
		return &principal{kind: "assumed-role", keyID: id, acct: w.Account.ID, token: t, role: w.Roles[t.RoleName]}
	}
	return nil
}

// effectiveACL is the AccessKey network policy that applies to a permanent
// key: its own policy when present and Active, else the account-level one
// when Active, else none. STS credentials are never restricted.
func effectiveACL(w *World, p *principal) *AKPolicy {
	if p.key == nil {
		return nil
	}
	if p.key.Policy != nil && p.key.Policy.Status == "Active" {
		return p.key.Policy
	}
	if w.AccountACL != nil && w.AccountACL.Status == "Active" {
		return w.AccountACL
	}
	return nil
}

// aclAdmits reports whether pol lets a public-network call from ip through.
// The lab has no VPC endpoints, so VPCWhiteList statements never admit a
// lab call; without any ClassicWhiteList statement every public source is
// allowed (alibaba-cloud-api.md section 15).
func aclAdmits(pol *AKPolicy, ip netip.Addr) bool {
	classic := false
	for _, st := range pol.Statements {
		if st.Type != "ClassicWhiteList" {
			continue
		}
		classic = true
		for _, entry := range st.IPList {
			if ipEntryContains(entry, ip) {
				return true
			}
		}
	}
	return !classic
}

// ipEntryContains matches one IPList entry (an address or a CIDR, v4 or v6)
// against ip. Malformed entries match nothing.
func ipEntryContains(entry string, ip netip.Addr) bool {
	entry = strings.TrimSpace(entry)
	ip = ip.Unmap()
	if strings.Contains(entry, "/") {
		pfx, err := netip.ParsePrefix(entry)
		if err != nil {
			return false
		}
		if pfx.Addr().Is4In6() {
			pfx = netip.PrefixFrom(pfx.Addr().Unmap(), pfx.Bits()-96)
		}
		return pfx.Masked().Contains(ip)
	}
	a, err := netip.ParseAddr(entry)
	if err != nil {
		return false
	}
	return a.Unmap() == ip
}

// checkACL applies the AccessKey network policy to the caller's TCP peer
// address.
func (s *Server) checkACL(p *principal, sourceIP string) *apiError {
	pol := effectiveACL(s.world, p)
	if pol == nil {
		return nil
	}
	ip, err := netip.ParseAddr(sourceIP)
	if err == nil && aclAdmits(pol, ip) {
		return nil
	}
	scope := "AccessKey"
	if pol == s.world.AccountACL {
		scope = "account"
	}
	return newError(http.StatusForbidden, s.opts.ACLDenyCode,
		"The request from source IP %s is denied by the %s-level network access policy of AccessKey %s.", sourceIP, scope, p.keyID)
}

// policyDocuments returns the documents of the policies attached to a
// principal (and, for users, to their groups): system ones from
// SystemPolicies, custom ones at their default version.
func policyDocuments(w *World, principalType, name string) []NamedDocument {
	var docs []NamedDocument
	add := func(a Attachment) {
		if d, ok := attachedDocument(w, a.PolicyType, a.PolicyName); ok {
			docs = append(docs, d)
		}
	}
	for _, a := range w.Attachments {
		if a.PrincipalType == principalType && a.PrincipalName == name {
			add(a)
		}
	}
	if principalType == "User" {
		for _, g := range groupsOfUser(w, name) {
			for _, a := range w.Attachments {
				if a.PrincipalType == "Group" && a.PrincipalName == g.GroupName {
					add(a)
				}
			}
		}
	}
	return docs
}

func attachedDocument(w *World, policyType, name string) (NamedDocument, bool) {
	if policyType == "System" {
		sp, ok := SystemPolicies[name]
		if !ok {
			return NamedDocument{}, false
		}
		return NamedDocument{Name: name, Type: "System", Document: sp.Document}, true
	}
	pol, ok := w.Policies[name]
	if !ok {
		return NamedDocument{}, false
	}
	v := pol.version(pol.DefaultVersion)
	if v == nil {
		return NamedDocument{}, false
	}
	return NamedDocument{Name: name, Type: "Custom", Document: v.Document}, true
}

// authorize runs RAM policy evaluation for an authenticated, ACL-admitted
// call. Root-account keys may do everything; GetCallerIdentity needs no
// permission.
func (s *Server) authorize(c *call, rt route) *apiError {
	p := c.principal
	if p.isRoot() || rt.noAuthz {
		return nil
	}
	svc := Services[c.version]
	req := AuthzRequest{
		Action:          svc.Product + ":" + c.action,
		Resource:        "*",
		SourceIP:        c.sourceIP,
		MFAPresent:      false,
		SecureTransport: false,
		CurrentTime:     c.now,
	}
	if rt.ramAction != "" {
		req.Action = rt.ramAction
	}
	if rt.resource != nil {
		req.Resource = rt.resource(c)
	}
	var dec Decision
	switch p.kind {
	case "ram-user":
		dec = Evaluate(policyDocuments(s.world, "User", p.owner), req)
	case "assumed-role":
		var docs []NamedDocument
		if p.role != nil {
			docs = policyDocuments(s.world, "Role", p.role.RoleName)
		}
		if p.token.SessionPolicy != "" {
			// Evaluate intersects session documents with the others.
			docs = append(docs, NamedDocument{Name: "SessionPolicy", Type: "Session", Document: p.token.SessionPolicy})
		}
		dec = Evaluate(docs, req)
	}
	if dec.Effect == "Allow" {
		return nil
	}
	return errNoPermission(accessDeniedDetail(p, req, dec))
}

// accessDeniedDetail builds the AccessDeniedDetail object of a NoPermission
// answer (alibaba-cloud-api.md section 8.3).
func accessDeniedDetail(p *principal, req AuthzRequest, dec Decision) map[string]any {
	principalType, display := "SubUser", p.owner
	if p.kind == "assumed-role" {
		principalType, display = "AssumedRoleUser", p.token.RoleName+":"+p.token.SessionName
	}
	noPerm := "ImplicitDeny"
	if dec.Effect == "ExplicitDeny" {
		noPerm = "ExplicitDeny"
	}
	policyType := "AccountLevelIdentityBasedPolicy"
	if dec.Policy != nil && dec.Policy.Type == "Session" {
		policyType = "SessionPolicy"
	}
	d := map[string]any{
		"AuthAction":               req.Action,
		"AuthResource":             req.Resource,
		"AuthPrincipalType":        principalType,
		"AuthPrincipalDisplayName": display,
		"AuthPrincipalOwnerId":     p.acct,
		"NoPermissionType":         noPerm,
		"PolicyType":               policyType,
	}
	if dec.Policy != nil {
		d["PolicyName"] = dec.Policy.Name
	}
	return d
}

// RAM resource ARNs in the form policies name them (section 17).
func userARN(acct, name string) string   { return "acs:ram:*:" + acct + ":user/" + name }
func groupARN(acct, name string) string  { return "acs:ram:*:" + acct + ":group/" + name }
func roleARN(acct, name string) string   { return "acs:ram:*:" + acct + ":role/" + name }
func policyARN(acct, name string) string { return "acs:ram:*:" + acct + ":policy/" + name }

// ramResource derives the resource of a RAM or IMS call from its parameters:
// the user (UserName, or the user part of UserPrincipalName, or the caller
// when a key operation omits both), group, role or policy it names; "*"
// otherwise.
func ramResource(c *call) string {
	acct := c.w.Account.ID
	p := c.params
	switch {
	case p["UserName"] != "":
		return userARN(acct, p["UserName"])
	case p["UserPrincipalName"] != "":
		name, _, _ := strings.Cut(p["UserPrincipalName"], "@")
		return userARN(acct, name)
	case p["GroupName"] != "":
		return groupARN(acct, p["GroupName"])
	case p["RoleName"] != "":
		return roleARN(acct, p["RoleName"])
	case p["PolicyName"] != "":
		return policyARN(acct, p["PolicyName"])
	case p["UserAccessKeyId"] != "" || strings.Contains(c.action, "AccessKey") || strings.Contains(c.action, "LoginProfile") || strings.Contains(c.action, "MFA"):
		if k, ok := c.w.AccessKeys[p["UserAccessKeyId"]]; ok && k.Owner != "" {
			return userARN(acct, k.Owner)
		}
		if c.principal != nil && c.principal.kind == "ram-user" {
			return userARN(acct, c.principal.owner)
		}
	}
	return "*"
}
