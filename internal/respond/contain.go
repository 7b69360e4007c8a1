package respond

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/akresp/akresp/internal/cloud"
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

// PlanContain resolves the key and builds the containment plan from
// contain's kinds (containKinds: network ACL, deny policy, console MFA,
// identities the key created). Lookups run in two parallel rounds:
// (caller identity, owner, and the kinds' first reads) then (key status
// and the kinds' reads that need the owner); with o.User the owner's reads
// join the first round.
func PlanContain(ctx context.Context, c ContainCloud, o ContainOptions) (*Plan, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PolicyName == "" {
		o.PolicyName = DefaultPolicyName
	}
	p := &Plan{Command: CmdContain, Key: KeyInfo{AccessKeyID: o.KeyID}, Forced: o.Force}
	s := &containScan{c: c, o: o, p: p}
	// The audit of the key's events runs alongside the lookups; it is
	// awaited only where the plan needs it.
	evCh := make(chan error, 1)
	s.ev = o.Evidence
	if o.EvidenceFunc != nil {
		ectx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			e, err := o.EvidenceFunc(ectx)
			s.ev = e
			evCh <- err
		}()
	} else {
		evCh <- nil
	}
	evReady := false
	s.awaitEvidence = func() error {
		if evReady {
			return nil
		}
		evReady = true
		if err := <-evCh; err != nil {
			return err
		}
		if s.ev == nil {
			s.ev = &Evidence{}
		}
		return nil
	}
	kinds := make([]containKind, len(containKinds))
	for i, k := range containKinds {
		kinds[i] = k()
		if err := kinds[i].prepare(s); err != nil {
			return nil, err
		}
	}

	// Round 1: who akresp runs as, the key's owner and the kinds' reads;
	// with --user also every read of the owner's state, to be confirmed by
	// IMS below.
	var (
		owner    cloud.User
		ownerErr error
	)
	s.knownName, s.knownUPN = splitUser(o.User)
	// ownerReads adds the reads of a RAM user owner's state to g.
	ownerReads := func(g *errgroup.Group, gctx context.Context, user string) {
		g.Go(func() error {
			ks, err := c.ListAccessKeys(gctx, user)
			if err != nil {
				return fmt.Errorf("contain %s: list the keys of user %s: %w", o.KeyID, user, err)
			}
			s.mu.Lock()
			defer s.mu.Unlock()
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
			s.mu.Lock()
			defer s.mu.Unlock()
			for _, x := range ps {
				p.Key.AttachedPolicies = append(p.Key.AttachedPolicies, x.PolicyType+":"+x.PolicyName)
			}
			s.ownerPolicies = ps
			return nil
		})
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		s.ident, err = c.GetCallerIdentity(gctx)
		if err != nil {
			return fmt.Errorf("contain %s: who am I (sts:GetCallerIdentity): %w", o.KeyID, err)
		}
		return nil
	})
	g.Go(func() (err error) {
		s.selfKey, err = c.CredentialKeyID(gctx)
		if err != nil {
			return fmt.Errorf("contain %s: resolve akresp's own AccessKey: %w", o.KeyID, err)
		}
		return nil
	})
	g.Go(func() error { owner, ownerErr = c.GetUserByAccessKey(gctx, o.KeyID); return nil })
	if u := s.ownerReadUser(1); u != "" {
		ownerReads(g, gctx, u)
	}
	for _, k := range kinds {
		if err := k.lookup(1, s, g, gctx); err != nil {
			return nil, err
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	ident := s.ident
	p.Operator = OperatorInfo{AccountID: ident.AccountID, Arn: ident.Arn, IdentityType: cloud.IdentityTypeName(ident.IdentityType), Endpoint: c.Endpoint(), KeyID: s.selfKey}

	switch {
	case s.knownName != "" && ownerErr != nil:
		// --user is a promise about the owner that IMS must confirm.
		if errors.Is(ownerErr, cloud.ErrNotFound) {
			if err := s.awaitEvidence(); err != nil {
				return nil, err
			}
			root, err := isRootKey(ctx, c, ident, o.KeyID, s.ev)
			if err != nil {
				return nil, err
			}
			if !root {
				return nil, unknownKey(o.KeyID, ident, ownerErr)
			}
			return nil, &InputError{Msg: fmt.Sprintf("contain %s: --user %s: no RAM user owns this AccessKey (%v); drop --user for a root-account key", o.KeyID, o.User, ownerErr)}
		}
		return nil, fmt.Errorf("contain %s: confirm the key's owner: %w", o.KeyID, ownerErr)
	case s.knownName != "" && !strings.EqualFold(owner.UserName, s.knownName):
		// (The UPN's domain may be the alias or the account ID; a wrong one
		// failed the round-1 ACL read already.)
		return nil, &InputError{Msg: fmt.Sprintf("contain %s: --user %s: the key belongs to %s (%s), not to the user given; nothing was changed", o.KeyID, o.User, owner.UserName, owner.UserPrincipalName)}
	case ownerErr == nil:
		p.Key.OwnerType, p.Key.Owner = OwnerRAMUser, owner.UserName
		p.Key.UserPrincipalName, p.Key.UserID = owner.UserPrincipalName, owner.UserID
	case errors.Is(ownerErr, cloud.ErrNotFound):
		if err := s.awaitEvidence(); err != nil {
			return nil, err
		}
		root, err := isRootKey(ctx, c, ident, o.KeyID, s.ev)
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
	s.isRoot = p.Key.OwnerType == OwnerRoot
	// The root account's key-level ACL can only be read and set by the root
	// account itself (empty UserPrincipalName = the caller's own key).
	s.aclReachable = !s.isRoot || ident.IdentityType == "Account"

	// Round 2: what round 1 could not read without knowing the owner, and
	// the kinds' reads that need it.
	g, gctx = errgroup.WithContext(ctx)
	switch {
	case s.knownName == "" && s.isRoot:
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
	case s.ownerReadUser(2) != "":
		ownerReads(g, gctx, s.ownerReadUser(2))
	}
	for _, k := range kinds {
		if err := k.lookup(2, s, g, gctx); err != nil {
			return nil, err
		}
	}
	if err := s.awaitEvidence(); err != nil {
		return nil, err
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	p.ObservedAt = o.Now().UTC().Truncate(time.Second)
	for _, k := range kinds {
		k.observed(s)
	}
	if p.Key.Status == "" {
		p.Key.Status = "unknown"
	}
	if strings.EqualFold(p.Key.Status, "Inactive") {
		p.Notes = append(p.Notes, "the key is already disabled (Inactive); containment still limits it if someone re-enables it")
	}
	p.Evidence = planEvidence(s.ev)

	for _, k := range kinds {
		if err := k.plan(s); err != nil {
			return nil, err
		}
	}
	if s.selfKey != "" && s.selfKey == o.KeyID {
		s.rail(rankSelfKey, &RailError{Rule: "self-key",
			Detail:   fmt.Sprintf("%s is the AccessKey akresp is running with; containing it can cut off this very session", o.KeyID),
			Override: "--force"})
	}
	p.Rails = s.sortedRails()
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
