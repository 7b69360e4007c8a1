package respond

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/policy"
	"golang.org/x/sync/errgroup"
)

// DefaultPolicyName is the name of the deny-high-risk custom policy.
const DefaultPolicyName = "akresp-deny-high-risk"

// policyDescription marks the policy as akresp's.
const policyDescription = "akresp contain: deny high-risk actions to a user whose AccessKey leaked"

// RecentWindow is how far back a caller counts as current production use.
const RecentWindow = 24 * time.Hour

// ContainOptions is what the engineer asked contain to do.
type ContainOptions struct {
	KeyID string
	ACL   ACLRequest
	// TrustedFromAudit allows the source IPs the audit saw before the leak
	// time that it did not flag (Evidence.SuggestedTrusted).
	TrustedFromAudit bool
	// NoDenyPolicy skips the deny-high-risk policy.
	NoDenyPolicy   bool
	PolicyName     string
	ExtraActions   []string
	RequireMFA     bool
	ContainCreated bool
	Force          bool
	Evidence       *Evidence
	// EvidenceFunc, when set, fetches the evidence (the key's event audit)
	// concurrently with the lookups; it replaces Evidence.
	EvidenceFunc func(ctx context.Context) (*Evidence, error)
	// User is the owner the engineer already knows (--user): a RAM user's
	// name or UserPrincipalName (name@alias.onaliyun.com). The owner's
	// state (keys, policies, console login) is then read in the first
	// lookup round, and with the UserPrincipalName the key's network ACL
	// too, so the plan takes one round trip instead of two. IMS's owner
	// lookup still runs alongside and must confirm it: a key of another
	// user, or of the root account, is refused.
	User string
	// Replace sets exactly the requested ACL: sources the ACL in effect
	// trusts that the request does not name are removed (shown in the
	// plan with who loses access). Without it a re-run only adds.
	Replace bool
	// StateDir holds the journal the ACL in effect is matched against.
	StateDir string
	Now      func() time.Time
}

// splitUser splits --user into the user name and, when given, the
// UserPrincipalName.
func splitUser(u string) (name, upn string) {
	u = strings.TrimSpace(u)
	if n, _, ok := strings.Cut(u, "@"); ok {
		return n, u
	}
	return u, ""
}

// PlanContain resolves the key and builds the containment plan. Lookups run
// in two parallel rounds: (caller identity, owner, policy) then (key status,
// ACL, attachments, login profile, created identities); with o.User the
// owner's reads join the first round.
func PlanContain(ctx context.Context, c ContainCloud, o ContainOptions) (*Plan, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PolicyName == "" {
		o.PolicyName = DefaultPolicyName
	}
	// The audit of the key's events runs alongside the lookups; it is
	// awaited only where the plan needs it.
	evCh := make(chan error, 1)
	ev := o.Evidence
	if o.EvidenceFunc != nil {
		ectx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			e, err := o.EvidenceFunc(ectx)
			ev = e
			evCh <- err
		}()
	} else {
		evCh <- nil
	}
	evReady := false
	awaitEvidence := func() error {
		if evReady {
			return nil
		}
		evReady = true
		if err := <-evCh; err != nil {
			return err
		}
		if ev == nil {
			ev = &Evidence{}
		}
		return nil
	}
	acl := o.ACL
	if o.TrustedFromAudit {
		if err := awaitEvidence(); err != nil {
			return nil, err
		}
		if len(ev.SuggestedTrusted) == 0 {
			return nil, &InputError{Msg: fmt.Sprintf("contain %s: --trusted-from-audit: the audit found no unflagged source IPs before the leak time; pass --allow-ip or --allow-vpc instead", o.KeyID)}
		}
		seen := map[string]bool{}
		for _, s := range acl.AllowIPs {
			if p, err := policy.ParseCIDR(s); err == nil {
				seen[p.Masked().String()] = true
			}
		}
		acl.AllowIPs = slices.Clone(acl.AllowIPs)
		for _, p := range ev.SuggestedTrusted {
			if !seen[p.Masked().String()] {
				seen[p.Masked().String()] = true
				acl.AllowIPs = append(acl.AllowIPs, p.String())
			}
		}
	}
	var targetACL string
	if !acl.empty() {
		doc, err := renderACL(acl)
		if err != nil {
			return nil, &InputError{Msg: fmt.Sprintf("contain %s: network ACL: %v; nothing was changed", o.KeyID, err)}
		}
		if err := checkAllowList(doc); err != nil {
			return nil, &InputError{Msg: fmt.Sprintf("contain %s: refused: %v; nothing was changed", o.KeyID, err)}
		}
		targetACL = doc
	}
	var denyDoc string
	if !o.NoDenyPolicy {
		doc, err := denyDocument(o.ExtraActions)
		if err != nil {
			return nil, &InputError{Msg: fmt.Sprintf("contain %s: deny policy: %v", o.KeyID, err)}
		}
		denyDoc = doc
	}

	p := &Plan{Command: CmdContain, Key: KeyInfo{AccessKeyID: o.KeyID}, Forced: o.Force}

	// Round 1: who akresp runs as, the key's owner, the deny policy; with
	// --user also every read of the owner's state (and, given the owner's
	// UserPrincipalName, its key's ACL), to be confirmed by IMS below.
	var (
		ident    cloud.CallerIdentity
		selfKey  string
		owner    cloud.User
		ownerErr error
		polSt    any
		polErr   error
	)
	knownName, knownUPN := splitUser(o.User)
	pol := &policyResource{c: c, name: o.PolicyName, description: policyDescription}
	var (
		mu       sync.Mutex
		aclSt    any
		attSt    any
		mfaSt    any
		hasLogin bool
		aclRead  bool
	)
	// ownerReads adds the reads of a RAM user owner's state to g.
	ownerReads := func(g *errgroup.Group, gctx context.Context, user string) {
		g.Go(func() error {
			ks, err := c.ListAccessKeys(gctx, user)
			if err != nil {
				return fmt.Errorf("contain %s: list the keys of user %s: %w", o.KeyID, user, err)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, k := range ks {
				if k.AccessKeyID == o.KeyID {
					p.Key.Status, p.Key.Created = k.Status, k.CreateDate
				}
			}
			return nil
		})
		g.Go(func() error {
			ps, err := c.ListPoliciesForUser(gctx, user)
			if err != nil {
				return fmt.Errorf("contain %s: list policies of user %s: %w", o.KeyID, user, err)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, x := range ps {
				p.Key.AttachedPolicies = append(p.Key.AttachedPolicies, x.PolicyType+":"+x.PolicyName)
			}
			attSt = attachState{Policy: o.PolicyName, User: user, Attached: hasCustomPolicy(ps, o.PolicyName)}
			return nil
		})
		if o.RequireMFA {
			g.Go(func() error {
				lp, ok, err := c.GetLoginProfile(gctx, user)
				if err != nil {
					return fmt.Errorf("contain %s: read the console login of %s: %w", o.KeyID, user, err)
				}
				mu.Lock()
				defer mu.Unlock()
				hasLogin = ok
				mfaSt = mfaState{User: user, Required: lp.MFABindRequired}
				return nil
			})
		}
	}
	readACL := func(g *errgroup.Group, gctx context.Context, r *aclResource) {
		aclRead = true
		g.Go(func() error {
			st, err := r.observe(gctx)
			if err != nil {
				return fmt.Errorf("contain %s: read the AccessKey network ACL: %w", o.KeyID, err)
			}
			mu.Lock()
			aclSt = st
			mu.Unlock()
			return nil
		})
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		ident, err = c.GetCallerIdentity(gctx)
		if err != nil {
			return fmt.Errorf("contain %s: who am I (sts:GetCallerIdentity): %w", o.KeyID, err)
		}
		return nil
	})
	g.Go(func() (err error) {
		selfKey, err = c.CredentialKeyID(gctx)
		if err != nil {
			return fmt.Errorf("contain %s: resolve akresp's own AccessKey: %w", o.KeyID, err)
		}
		return nil
	})
	g.Go(func() error { owner, ownerErr = c.GetUserByAccessKey(gctx, o.KeyID); return nil })
	var (
		acctDoc string
		acctErr error
	)
	g.Go(func() error { acctDoc, acctErr = c.GetAccessKeyPolicyForAccount(gctx); return nil })
	if denyDoc != "" {
		g.Go(func() error { polSt, polErr = pol.observe(gctx); return nil })
	}
	if knownName != "" {
		ownerReads(g, gctx, knownName)
		if knownUPN != "" {
			readACL(g, gctx, &aclResource{c: c, keyID: o.KeyID, upn: knownUPN})
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	p.Operator = OperatorInfo{AccountID: ident.AccountID, Arn: ident.Arn, IdentityType: ident.IdentityType, Endpoint: c.Endpoint(), KeyID: selfKey}

	switch {
	case knownName != "" && ownerErr != nil:
		// --user is a promise about the owner that IMS must confirm.
		if errors.Is(ownerErr, cloud.ErrNotFound) {
			if err := awaitEvidence(); err != nil {
				return nil, err
			}
			root, err := isRootKey(ctx, c, ident, o.KeyID, ev)
			if err != nil {
				return nil, err
			}
			if !root {
				return nil, unknownKey(o.KeyID, ident, ownerErr)
			}
			return nil, &InputError{Msg: fmt.Sprintf("contain %s: --user %s: no RAM user owns this AccessKey (%v); drop --user for a root-account key", o.KeyID, o.User, ownerErr)}
		}
		return nil, fmt.Errorf("contain %s: confirm the key's owner: %w", o.KeyID, ownerErr)
	case knownName != "" && !strings.EqualFold(owner.UserName, knownName):
		// (The UPN's domain may be the alias or the account ID; a wrong one
		// failed the round-1 ACL read already.)
		return nil, &InputError{Msg: fmt.Sprintf("contain %s: --user %s: the key belongs to %s (%s), not to the user given; nothing was changed", o.KeyID, o.User, owner.UserName, owner.UserPrincipalName)}
	case ownerErr == nil:
		p.Key.OwnerType, p.Key.Owner = OwnerRAMUser, owner.UserName
		p.Key.UserPrincipalName, p.Key.UserID = owner.UserPrincipalName, owner.UserID
	case errors.Is(ownerErr, cloud.ErrNotFound):
		if err := awaitEvidence(); err != nil {
			return nil, err
		}
		root, err := isRootKey(ctx, c, ident, o.KeyID, ev)
		if err != nil {
			return nil, err
		}
		if !root {
			return nil, unknownKey(o.KeyID, ident, ownerErr)
		}
		p.Key.OwnerType = OwnerRoot
	default:
		return nil, fmt.Errorf("contain %s: find the key's owner: %w", o.KeyID, ownerErr)
	}
	if st, ok := aclSt.(aclState); ok {
		st.UPN = p.Key.UserPrincipalName // IMS's spelling, not the flag's
		aclSt = st
	}
	isRoot := p.Key.OwnerType == OwnerRoot
	// The root account's key-level ACL can only be read and set by the root
	// account itself (empty UserPrincipalName = the caller's own key).
	aclReachable := !isRoot || ident.IdentityType == "Account"

	// Round 2: what round 1 could not read without knowing the owner, and
	// the current state of the identities the key created (from the audit).
	aclRes := &aclResource{c: c, keyID: o.KeyID, upn: p.Key.UserPrincipalName}
	att := &attachResource{c: c, policy: o.PolicyName, user: p.Key.Owner}
	mfa := &mfaResource{c: c, user: p.Key.Owner}
	g, gctx = errgroup.WithContext(ctx)
	switch {
	case knownName == "" && isRoot:
		g.Go(func() error {
			ks, err := c.ListAccessKeys(gctx, "")
			if err != nil {
				return fmt.Errorf("contain %s: list the root account's keys: %w", o.KeyID, err)
			}
			for _, k := range ks {
				if k.AccessKeyID == o.KeyID {
					p.Key.Status, p.Key.Created = k.Status, k.CreateDate
				}
			}
			return nil
		})
	case knownName == "":
		ownerReads(g, gctx, p.Key.Owner)
	}
	// The ACL is read when it will be set (the action's observed state) or
	// shown; a --user UPN read it in round 1 already.
	if aclReachable && !aclRead {
		readACL(g, gctx, aclRes)
	}
	if err := awaitEvidence(); err != nil {
		return nil, err
	}
	created := slices.Clone(ev.Created)
	createdAttached := map[string]bool{} // created user -> our policy attached
	for i := range created {
		g.Go(func() error {
			cur := currentState(gctx, c, created[i])
			var attached, known bool
			if o.ContainCreated && created[i].Kind == "user" && cur == "exists" {
				if ps, err := c.ListPoliciesForUser(gctx, created[i].Name); err == nil {
					attached, known = hasCustomPolicy(ps, o.PolicyName), true
				} else {
					cur = "unknown: " + err.Error()
				}
			}
			mu.Lock()
			created[i].Current = cur
			if known {
				createdAttached[created[i].Name] = attached
			}
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	p.ObservedAt = o.Now()
	if aclSt != nil {
		p.Key.ACL = aclSt.(aclState).Policy
	}
	p.Created = created
	for _, id := range created {
		if strings.HasPrefix(id.Current, "unknown: ") {
			p.Diagnostics = append(p.Diagnostics, Diagnostic{Severity: "warning", Target: id.Kind + " " + id.Name,
				Summary: "could not read the current state of an identity the key created", Detail: strings.TrimPrefix(id.Current, "unknown: ")})
		}
	}
	if p.Key.Status == "" {
		p.Key.Status = "unknown"
	}
	if strings.EqualFold(p.Key.Status, "Inactive") {
		p.Notes = append(p.Notes, "the key is already disabled (Inactive); containment still limits it if someone re-enables it")
	}

	p.Evidence = planEvidence(ev)

	// 1. Network ACL. What applies is the key's own Active policy, else
	// the account-level one (the plan's troubleshooting note).
	if acctErr != nil {
		p.Diagnostics = append(p.Diagnostics, Diagnostic{Severity: "warning", Target: "account-level network policy",
			Summary: "could not read the account-level AccessKey network policy (IMS GetAccessKeyPolicyForAccount); the effective policy is unknown where the key has none of its own", Detail: acctErr.Error()})
	}
	keyLevel := p.Key.ACL
	if !aclReachable {
		keyLevel = "" // unknown; shown as such
	}
	eff := EffectivePolicy(keyLevel, acctDoc, acctErr)
	if !aclReachable {
		eff.Source, eff.PublicOpen = ACLSourceUnknown, true
		eff.PublicReason = "the key-level policy of a root-account key can only be read by the root account"
		eff.Summary = "unknown (only the root account can read a root key's network ACL); account-level: " + describeACL(acctDoc)
	}
	p.Effective, p.EffectiveAfter = &eff, &eff
	switch {
	case targetACL == "":
		p.Notes = append(p.Notes, "no network ACL requested (--allow-ip, --allow-vpc, --deny-public or --trusted-from-audit)")
	case !aclReachable:
		p.Notes = append(p.Notes, fmt.Sprintf("the network ACL of a root-account key can only be set by the root account itself; akresp runs as %s", ident.Arn))
	default:
		before := aclSt.(aclState)
		target := targetACL
		if aclActive(before.Policy) && !o.Replace {
			// Never narrow silently: keep every source the ACL in effect
			// trusts and add the requested ones.
			merged, kept, err := mergeACL(before.Policy, acl)
			if err != nil {
				return nil, &InputError{Msg: fmt.Sprintf("contain %s: the ACL in effect plus the requested sources: %v; nothing was changed (pass --replace to set only the requested sources)", o.KeyID, err)}
			}
			target = merged
			if len(kept) > 0 {
				p.Notes = append(p.Notes, fmt.Sprintf("kept %d source(s) the ACL in effect already trusts: %s (a re-run only adds; pass --replace to remove them)", len(kept), strings.Join(kept, ", ")))
			}
		}
		if err := checkAllowList(target); err != nil {
			return nil, &InputError{Msg: fmt.Sprintf("contain %s: refused: the resulting ACL %v; nothing was changed (pass --replace to replace the ACL in effect)", o.KeyID, err)}
		}
		hist, err := fenceHistoryNotes(o.StateDir, o.KeyID, before.Policy)
		if err != nil {
			return nil, err
		}
		p.Notes = append(p.Notes, hist...)
		after := aclState{KeyID: o.KeyID, UPN: p.Key.UserPrincipalName, Policy: target, Account: before.Account, AccountError: before.AccountError}
		a := newAction("network-acl", aclRes, before, after, "AccessKey network ACL of "+o.KeyID)
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
				p.Rails = append(p.Rails, &RailError{Rule: "widens-account-policy",
					Detail: fmt.Sprintf("the account-level network policy (%s) does not allow %s; a key-level policy replaces the account-level one for this key, so the new ACL would let those sources in",
						describeACL(acctDoc), strings.Join(wider, "; ")),
					Override: "--force"})
			}
		}
	}
	if p.EffectiveAfter.PublicOpen {
		p.Notes = append(p.Notes, fmt.Sprintf("public access stays open (%s): the key is not contained until its network policy restricts public sources (--allow-ip or --deny-public)", p.EffectiveAfter.PublicReason))
	}

	// 2. Deny high-risk permissions.
	switch {
	case denyDoc == "":
	case isRoot:
		p.Notes = append(p.Notes, "root-account key: RAM policies attach only to users, groups and roles, so no deny policy is possible; use the network ACL, then rotate or disable the key (akresp rotate / akresp disable)")
	default:
		if polErr != nil {
			return nil, fmt.Errorf("contain %s: read policy %s: %w", o.KeyID, o.PolicyName, polErr)
		}
		before := polSt.(policyState)
		after := policyState{Name: o.PolicyName, Exists: true, Document: denyDoc}
		pa := newAction("deny-policy", pol, before, after, "deny-high-risk policy "+o.PolicyName)
		if before.Exists && !pa.Noop {
			pa.Warnings = append(pa.Warnings, "the policy exists with different content; a new default version will replace it (older versions are pruned within RAM's limit of 5)")
		}
		p.Actions = append(p.Actions, pa)
		aa := newAction("attach:"+p.Key.Owner, att, attSt, attachState{Policy: o.PolicyName, User: p.Key.Owner, Attached: true},
			fmt.Sprintf("attach %s to user %s", o.PolicyName, p.Key.Owner))
		aa.DependsOn = []string{pa.ID}
		p.Actions = append(p.Actions, aa)
	}

	// 3. Console hardening.
	if o.RequireMFA {
		switch {
		case isRoot:
			p.Notes = append(p.Notes, "--require-mfa: the root account's console MFA is managed in the account security settings, not through RAM")
		case !hasLogin:
			p.Notes = append(p.Notes, fmt.Sprintf("--require-mfa: user %s has no console login; nothing to harden", p.Key.Owner))
		default:
			p.Actions = append(p.Actions, newAction("mfa:"+p.Key.Owner, mfa, mfaSt, mfaState{User: p.Key.Owner, Required: true},
				"require MFA at next console login of "+p.Key.Owner))
		}
	}

	// 4. Identities the key created.
	if o.ContainCreated {
		addCreatedActions(c, p, o, createdAttached)
	} else if len(p.Created) > 0 {
		if n := containable(p); n > 0 {
			p.Notes = append(p.Notes, fmt.Sprintf("the key created or changed %d identit(ies), %d of them still active; --contain-created adds actions for them", len(p.Created), n))
		} else {
			p.Notes = append(p.Notes, fmt.Sprintf("the key created or changed %d identit(ies); none is left to contain (deleted, disabled or the owner itself)", len(p.Created)))
		}
	}

	// Safety rails.
	if selfKey != "" && selfKey == o.KeyID {
		p.Rails = append(p.Rails, &RailError{Rule: "self-key",
			Detail:   fmt.Sprintf("%s is the AccessKey akresp is running with; containing it can cut off this very session", o.KeyID),
			Override: "--force"})
	}
	if p.Action("attach:"+p.Key.Owner) != nil && ident.IdentityType == "RAMUser" && strings.HasSuffix(ident.Arn, ":user/"+p.Key.Owner) {
		p.Rails = append(p.Rails, &RailError{Rule: "self-user",
			Detail:   fmt.Sprintf("akresp runs as %s, the owner of %s: the deny policy would bind akresp too (it denies ram:DetachPolicyFromUser, so --undo would need another identity)", ident.Arn, o.KeyID),
			Override: "--force"})
	}
	if b := p.Blast; b != nil && b.Recent > 0 && b.RecentCutOff == b.Recent && !p.Action("network-acl").Noop {
		p.Rails = append(p.Rails, &RailError{Rule: "acl-cuts-off-production",
			Detail:   fmt.Sprintf("the ACL would cut off every one of the %d legitimate caller(s) seen in the last 24h: the key is in production use", b.Recent),
			Override: "--force"})
	}
	p.seal()
	return p, nil
}

// isRootKey decides whether a key IMS does not map to a user belongs to the
// root account: the audit saw root-account events for it, ActionTrail's
// AccessKey audit says so (when c can ask it), or akresp runs as root and
// the key is one of its own.
func isRootKey(ctx context.Context, c KeyLister, ident cloud.CallerIdentity, keyID string, ev *Evidence) (bool, error) {
	if ev != nil && ev.OwnerType == OwnerRoot {
		return true, nil
	}
	if lu, ok := c.(LastUsedReader); ok {
		if info, err := lu.AccessKeyLastUsedInfo(ctx, keyID); err == nil && info.Found && info.AccountType == OwnerRoot &&
			(info.AccountID == "" || info.AccountID == ident.AccountID) {
			return true, nil
		}
	}
	if ident.IdentityType != "Account" {
		return false, nil
	}
	ks, err := c.ListAccessKeys(ctx, "")
	if err != nil {
		return false, fmt.Errorf("contain %s: list the root account's keys: %w", keyID, err)
	}
	return slices.ContainsFunc(ks, func(k cloud.AccessKey) bool { return k.AccessKeyID == keyID }), nil
}

// currentState describes an identity the key created, as it is now.
func currentState(ctx context.Context, c ContainCloud, id CreatedIdentity) string {
	switch id.Kind {
	case "user":
		if _, err := c.GetUser(ctx, id.Name); err != nil {
			if errors.Is(err, cloud.ErrNotFound) {
				return "deleted"
			}
			return "unknown: " + err.Error()
		}
		return "exists"
	case "access_key":
		ks, err := c.ListAccessKeys(ctx, id.User)
		if err != nil {
			if errors.Is(err, cloud.ErrNotFound) {
				return "deleted"
			}
			return "unknown: " + err.Error()
		}
		for _, k := range ks {
			if k.AccessKeyID == id.Name {
				return k.Status
			}
		}
		return "deleted"
	case "login_profile":
		user := id.User
		if user == "" {
			user = id.Name
		}
		lp, ok, err := c.GetLoginProfile(ctx, user)
		switch {
		case err != nil:
			return "unknown: " + err.Error()
		case !ok:
			return "deleted"
		case lp.MFABindRequired:
			return "exists (MFA required)"
		}
		return "exists"
	case "policy_attachment":
		if id.User == "" {
			return "see event"
		}
		ps, err := c.ListPoliciesForUser(ctx, id.User)
		if err != nil {
			return "unknown: " + err.Error()
		}
		if slices.ContainsFunc(ps, func(p cloud.AttachedPolicy) bool { return strings.EqualFold(p.PolicyName, id.Name) }) {
			return "attached"
		}
		return "detached"
	}
	return "not checked"
}

// addCreatedActions adds --contain-created actions: the deny policy on users
// the key created, and disabling keys it created.
func addCreatedActions(c ContainCloud, p *Plan, o ContainOptions, attached map[string]bool) {
	seen := map[string]bool{}
	for _, id := range p.Created {
		switch id.Kind {
		case "user":
			if id.Current != "exists" || id.Name == p.Key.Owner || seen["u"+id.Name] {
				continue
			}
			seen["u"+id.Name] = true
			if p.Action("deny-policy") == nil {
				p.Notes = append(p.Notes, "created user "+id.Name+": no deny policy in this plan to attach")
				continue
			}
			r := &attachResource{c: c, policy: o.PolicyName, user: id.Name}
			a := newAction("attach:"+id.Name, r, attachState{Policy: o.PolicyName, User: id.Name, Attached: attached[id.Name]}, attachState{Policy: o.PolicyName, User: id.Name, Attached: true},
				fmt.Sprintf("attach %s to created user %s", o.PolicyName, id.Name))
			a.DependsOn = []string{"deny-policy"}
			p.Actions = append(p.Actions, a)
		case "access_key":
			if !strings.EqualFold(id.Current, "Active") || id.Name == p.Key.AccessKeyID || seen["k"+id.Name] {
				continue
			}
			seen["k"+id.Name] = true
			r := &keyResource{c: c, keyID: id.Name, user: id.User}
			p.Actions = append(p.Actions, newAction("disable-key:"+id.Name, r,
				keyState{KeyID: id.Name, User: id.User, Status: "Active"}, keyState{KeyID: id.Name, User: id.User, Status: "Inactive"},
				fmt.Sprintf("disable created key %s of %s", id.Name, id.User)))
		}
	}
}

// blastRadius replays recent callers against the proposed ACL.
func blastRadius(callers []Caller, doc string, now time.Time) *BlastRadius {
	b := &BlastRadius{}
	for _, cl := range callers {
		ci := CallerImpact{Caller: cl, CutOff: cl.IP.IsValid() && !aclAllows(doc, cl.IP)}
		b.Callers = append(b.Callers, ci)
		if ci.CutOff {
			b.CutOff++
		}
		if !cl.Flagged && !cl.LastSeen.IsZero() && now.Sub(cl.LastSeen) <= RecentWindow {
			b.Recent++
			if ci.CutOff {
				b.RecentCutOff++
			}
		}
	}
	sort.SliceStable(b.Callers, func(i, j int) bool { return b.Callers[i].LastSeen.After(b.Callers[j].LastSeen) })
	return b
}

// unknownKey is the one answer to a key that does not exist: the same words
// from every command (cloud.UnknownKeyError, exit 1).
func unknownKey(keyID string, ident cloud.CallerIdentity, err error) error {
	e := &cloud.UnknownKeyError{KeyID: keyID, AccountID: ident.AccountID}
	var ae *cloud.APIError
	if errors.As(err, &ae) {
		e.RequestID = ae.RequestID
	}
	return e
}

// containable counts the identities the key created that --contain-created
// would still act on: users that exist (other than the owner) and Active
// keys (other than the leaked one).
func containable(p *Plan) int {
	n := 0
	for _, id := range p.Created {
		switch {
		case id.Kind == "user" && id.Current == "exists" && id.Name != p.Key.Owner:
			n++
		case id.Kind == "access_key" && strings.EqualFold(id.Current, "Active") && id.Name != p.Key.AccessKeyID:
			n++
		}
	}
	return n
}
