package respond

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/akresp/akresp/internal/policy"
	"golang.org/x/sync/errgroup"
)

// KindNetworkACL sets the key-level AccessKey network ACL (IMS
// SetAccessKeyPolicy); undo sets the previous document back.
const KindNetworkACL = "set-network-acl"

type aclState struct {
	KeyID  string `json:"key_id"`
	UPN    string `json:"user_principal_name,omitempty"`
	Policy string `json:"policy"` // "" = no key-level policy
	// Account is the account-level policy read alongside (it applies when
	// the key has no Active policy of its own); AccountError says why it
	// could not be read. Neither is part of the comparison: contain sets
	// only the key level.
	Account      string `json:"account_policy,omitempty"`
	AccountError string `json:"account_policy_error,omitempty"`
}

// aclCloud is what the network-ACL kind calls.
type aclCloud interface {
	ACLReader
	AccountACLReader
	ACLSetter
}

type aclResource struct {
	c     aclCloud
	keyID string
	upn   string
}

func (r *aclResource) kind() string     { return KindNetworkACL }
func (r *aclResource) target() string   { return r.keyID }
func (r *aclResource) reversible() bool { return true }
func (r *aclResource) observe(ctx context.Context) (any, error) {
	// The account level is read with every key-level read (in parallel):
	// the two together decide what applies. It is informational, so a
	// failure to read it does not fail the key-level read.
	acct := make(chan aclState, 1)
	go func() {
		doc, err := r.c.GetAccessKeyPolicyForAccount(ctx)
		st := aclState{Account: doc}
		if err != nil {
			st = aclState{AccountError: err.Error()}
		}
		acct <- st
	}()
	doc, err := r.c.GetAccessKeyPolicy(ctx, r.keyID, r.upn)
	a := <-acct
	if err != nil {
		return nil, err
	}
	return aclState{KeyID: r.keyID, UPN: r.upn, Policy: doc, Account: a.Account, AccountError: a.AccountError}, nil
}

// effective is the policy that applies to the key in this state.
func (s aclState) effective() EffectiveACL {
	var err error
	if s.AccountError != "" {
		err = errors.New(s.AccountError)
	}
	return EffectivePolicy(s.Policy, s.Account, err)
}
func (r *aclResource) set(ctx context.Context, _, to any) (string, error) {
	s := to.(aclState)
	doc := s.Policy
	if doc == "" {
		// There is no delete call; "removed" is an Inactive policy with no
		// statements (alibaba-cloud-api.md section 15).
		doc = inactiveACL
	}
	return r.c.SetAccessKeyPolicy(ctx, r.keyID, r.upn, doc)
}
func (r *aclResource) equal(a, b any) bool {
	return aclEquivalent(a.(aclState).Policy, b.(aclState).Policy)
}
func (r *aclResource) text(s any) string { return describeACL(s.(aclState).Policy) }

func init() {
	registerKind(KindNetworkACL, func(c any, b, a []byte) (resource, any, any, error) {
		var x, y aclState
		if err := decodeStates(b, a, &x, &y); err != nil {
			return nil, nil, nil, err
		}
		cc, err := cloudAs[aclCloud](c, KindNetworkACL)
		if err != nil {
			return nil, nil, nil, err
		}
		return &aclResource{c: cc, keyID: x.KeyID, upn: x.UPN}, x, y, nil
	})
}

// networkACLKind is contain's network ACL: what applies is the key's own
// Active policy, else the account-level one; the requested sources are
// added to (or, with --replace, replace) the key-level policy in effect.
type networkACLKind struct {
	acl       ACLRequest
	targetACL string // rendered request, "" = none requested
	res       *aclResource
	st        any // aclState read, nil = not read
	read      bool
	acctDoc   string
	acctErr   error
}

func (k *networkACLKind) prepare(s *containScan) error {
	o := s.o
	k.acl = o.ACL
	if o.TrustedFromAudit {
		if err := s.awaitEvidence(); err != nil {
			return err
		}
		if len(s.ev.SuggestedTrusted) == 0 {
			// The audit suggests none when no unflagged source used the
			// key before the onset, when more did than a network ACL
			// holds, or when they would admit every address.
			return &InputError{Msg: fmt.Sprintf("contain %s: --trusted-from-audit: the audit suggests no trusted source IPs (none unflagged before the leak time, more than a network ACL's %d entries, or a list that admits every address: akresp audit %s says which); pass --allow-ip or --allow-vpc with your own networks, or --deny-public, instead", o.KeyID, policy.MaxACLEntries, o.KeyID)}
		}
		seen := map[string]bool{}
		for _, s := range k.acl.AllowIPs {
			if p, err := policy.ParseCIDR(s); err == nil {
				seen[p.Masked().String()] = true
			}
		}
		k.acl.AllowIPs = slices.Clone(k.acl.AllowIPs)
		for _, p := range s.ev.SuggestedTrusted {
			if !seen[p.Masked().String()] {
				seen[p.Masked().String()] = true
				k.acl.AllowIPs = append(k.acl.AllowIPs, p.String())
			}
		}
	}
	if !k.acl.empty() {
		doc, err := renderACL(k.acl)
		if err != nil {
			return &InputError{Msg: fmt.Sprintf("contain %s: network ACL: %v; nothing was changed", o.KeyID, err)}
		}
		if err := checkAllowList(doc); err != nil {
			return &InputError{Msg: fmt.Sprintf("contain %s: refused: %v; nothing was changed", o.KeyID, err)}
		}
		k.targetACL = doc
	}
	return nil
}

// readACL adds the read of the key-level ACL (with the account level).
func (k *networkACLKind) readACL(s *containScan, g *errgroup.Group, gctx context.Context, r *aclResource) {
	k.read = true
	g.Go(func() error {
		st, err := r.observe(gctx)
		if err != nil {
			return fmt.Errorf("contain %s: read the AccessKey network ACL: %w", s.o.KeyID, err)
		}
		s.mu.Lock()
		k.st = st
		s.mu.Unlock()
		return nil
	})
}

func (k *networkACLKind) lookup(round int, s *containScan, g *errgroup.Group, gctx context.Context) error {
	switch round {
	case 1:
		g.Go(func() error { k.acctDoc, k.acctErr = s.c.GetAccessKeyPolicyForAccount(gctx); return nil })
		if s.knownName != "" && s.knownUPN != "" {
			k.readACL(s, g, gctx, &aclResource{c: s.c, keyID: s.o.KeyID, upn: s.knownUPN})
		}
	case 2:
		if st, ok := k.st.(aclState); ok {
			st.UPN = s.p.Key.UserPrincipalName // IMS's spelling, not the flag's
			k.st = st
		}
		k.res = &aclResource{c: s.c, keyID: s.o.KeyID, upn: s.p.Key.UserPrincipalName}
		// The ACL is read when it will be set (the action's observed
		// state) or shown; a --user UPN read it in round 1 already.
		if s.aclReachable && !k.read {
			k.readACL(s, g, gctx, k.res)
		}
	}
	return nil
}

func (k *networkACLKind) observed(s *containScan) {
	if k.st != nil {
		s.p.Key.ACL = policy.DocText(k.st.(aclState).Policy)
	}
}

func (k *networkACLKind) plan(s *containScan) error {
	p, o, ev := s.p, s.o, s.ev
	acctDoc, acctErr := k.acctDoc, k.acctErr
	if acctErr != nil {
		p.Diagnostics = append(p.Diagnostics, Diagnostic{Severity: "warning", Target: "account-level network policy",
			Summary: "could not read the account-level AccessKey network policy (IMS GetAccessKeyPolicyForAccount); the effective policy is unknown where the key has none of its own", Detail: acctErr.Error()})
	}
	keyLevel := string(p.Key.ACL)
	if !s.aclReachable {
		keyLevel = "" // unknown; shown as such
	}
	eff := EffectivePolicy(keyLevel, acctDoc, acctErr)
	if !s.aclReachable {
		eff.Source, eff.PublicOpen = ACLSourceUnknown, true
		eff.PublicReason = "the key-level policy of a root-account key can only be read by the root account"
		eff.Summary = "unknown (only the root account can read a root key's network ACL); account-level: " + describeACL(acctDoc)
	}
	p.Effective, p.EffectiveAfter = &eff, &eff
	switch {
	case k.targetACL == "":
		p.Notes = append(p.Notes, "no network ACL requested (--allow-ip, --allow-vpc, --deny-public or --trusted-from-audit)")
	case !s.aclReachable:
		p.Notes = append(p.Notes, fmt.Sprintf("the network ACL of a root-account key can only be set by the root account itself; akresp runs as %s", s.ident.Arn))
	default:
		before := k.st.(aclState)
		target := k.targetACL
		if aclActive(before.Policy) && !o.Replace {
			// Never narrow silently: keep every source the ACL in effect
			// trusts and add the requested ones.
			merged, kept, err := mergeACL(before.Policy, k.acl)
			if err != nil {
				return &InputError{Msg: fmt.Sprintf("contain %s: the ACL in effect plus the requested sources: %v; nothing was changed (pass --replace to set only the requested sources)", o.KeyID, err)}
			}
			target = merged
			if len(kept) > 0 {
				p.Notes = append(p.Notes, fmt.Sprintf("kept %d source(s) the ACL in effect already trusts: %s (a re-run only adds; pass --replace to remove them)", len(kept), strings.Join(kept, ", ")))
			}
		}
		if err := checkAllowList(target); err != nil {
			return &InputError{Msg: fmt.Sprintf("contain %s: refused: the resulting ACL %v; nothing was changed (pass --replace to replace the ACL in effect)", o.KeyID, err)}
		}
		hist, err := fenceHistoryNotes(o.StateDir, o.KeyID, before.Policy)
		if err != nil {
			return err
		}
		p.Notes = append(p.Notes, hist...)
		after := aclState{KeyID: o.KeyID, UPN: p.Key.UserPrincipalName, Policy: target, Account: before.Account, AccountError: before.AccountError}
		a := newAction("network-acl", k.res, before, after, "AccessKey network ACL of "+o.KeyID)
		p.Actions = append(p.Actions, a)
		if o.Replace && aclActive(before.Policy) {
			p.Removals = aclRemovals(before.Policy, target, ev.Callers, o.Now())
			for _, r := range p.Removals {
				w := fmt.Sprintf("--replace removes %s %s", r.Scope, r.Entry)
				if len(r.Callers) > 0 {
					ips := make([]string, len(r.Callers))
					for i, c := range r.Callers {
						ips[i] = c.IP.String()
					}
					w += fmt.Sprintf(": %d recent legitimate caller(s) lose access (%s)", len(r.Callers), strings.Join(ips, ", "))
				} else {
					w += ": no legitimate caller of the last 24h uses it"
				}
				a.Warnings = append(a.Warnings, w)
			}
		}
		p.Blast = blastRadius(ev.Callers, target, o.Now())
		if p.Blast.CutOff > 0 {
			a.Warnings = append(a.Warnings, fmt.Sprintf("%d recent caller(s) would be cut off", p.Blast.CutOff))
		}
		effAfter := EffectivePolicy(target, acctDoc, acctErr)
		p.EffectiveAfter = &effAfter
		if acctErr == nil && !a.Noop && !(aclActive(before.Policy) && len(aclWidens(target, before.Policy)) == 0) {
			if wider := aclWidens(target, acctDoc); len(wider) > 0 {
				s.rail(rankWidens, &RailError{Rule: "widens-account-policy",
					Detail: fmt.Sprintf("the account-level network policy (%s) does not allow %s; a key-level policy replaces the account-level one for this key, so the new ACL would let those sources in",
						describeACL(acctDoc), strings.Join(wider, "; ")),
					Override: "--force"})
			}
		}
		if b := p.Blast; b.Recent > 0 && b.RecentCutOff == b.Recent && !a.Noop {
			s.rail(rankCutsOff, &RailError{Rule: "acl-cuts-off-production",
				Detail:   fmt.Sprintf("the ACL would cut off every one of the %d legitimate caller(s) seen in the last 24h: the key is in production use", b.Recent),
				Override: "--force"})
		}
	}
	if p.EffectiveAfter.PublicOpen {
		p.Notes = append(p.Notes, fmt.Sprintf("public access stays open (%s): the key is not contained until its network policy restricts public sources (--allow-ip or --deny-public)", p.EffectiveAfter.PublicReason))
	}
	return nil
}
