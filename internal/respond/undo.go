package respond

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/journal"
	"golang.org/x/sync/errgroup"
)

// undoCompleteAction marks, in a contain-undo journal, that the containment
// before it is fully reverted; later undos only look at contains after it.
const undoCompleteAction = "undo-complete"

// UndoOptions configure PlanUndo.
type UndoOptions struct {
	KeyID    string
	StateDir string
	Force    bool
	Now      func() time.Time
}

// journaledChange is one action of the containment being undone: the state
// before the first contain run touched it and after the last one did.
type journaledChange struct {
	id            string
	kind          string
	target        string
	before, after []byte
	order         int
}

// containChanges returns the contain actions since the last complete undo,
// in the order they were first attempted. Intents without an outcome count:
// the call may have taken effect.
func containChanges(recs []journal.Record) []*journaledChange {
	start := 0
	for i, r := range recs {
		if r.Command == CmdContainUndo && r.Action == undoCompleteAction {
			start = i + 1
		}
	}
	byID := map[string]*journaledChange{}
	var out []*journaledChange
	for _, r := range recs[start:] {
		if r.Command != CmdContain || r.Kind != journal.KindIntent || r.ActionID == "" {
			continue
		}
		ch, ok := byID[r.ActionID]
		if !ok {
			ch = &journaledChange{id: r.ActionID, kind: r.Action, target: r.Target, before: r.Before, order: len(out)}
			byID[r.ActionID] = ch
			out = append(out, ch)
		}
		ch.after = r.After
	}
	// Parallel runs journal intents in any order; undo goes by the plan's
	// logical order (reversed by the caller).
	rank := map[string]int{KindNetworkACL: 0, KindDenyPolicy: 1, KindAttachPolicy: 2, KindRequireMFA: 3, KindKeyStatus: 4}
	slices.SortStableFunc(out, func(a, b *journaledChange) int {
		if ra, rb := rank[a.kind], rank[b.kind]; ra != rb {
			return ra - rb
		}
		return a.order - b.order
	})
	return out
}

// PlanUndo builds the plan that reverts akresp's containment of a key from
// its journal: the exact previous ACL (or none), the deny policy detached
// and, if contain created it, deleted; MFA and created keys as they were.
func PlanUndo(ctx context.Context, c ContainCloud, o UndoOptions) (*Plan, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	recs, _, err := journal.ReadKey(o.StateDir, o.KeyID)
	if err != nil {
		return nil, fmt.Errorf("contain %s --undo: read journal: %w", o.KeyID, err)
	}
	ident, err := c.GetCallerIdentity(ctx)
	if err != nil {
		return nil, fmt.Errorf("contain %s --undo: who am I (sts:GetCallerIdentity): %w", o.KeyID, err)
	}
	p := &Plan{Command: CmdContainUndo, Key: KeyInfo{AccessKeyID: o.KeyID}, Forced: o.Force,
		Operator: OperatorInfo{AccountID: ident.AccountID, Arn: ident.Arn, IdentityType: ident.IdentityType, Endpoint: c.Endpoint()}}
	changes := containChanges(recs)
	if len(changes) == 0 {
		p.Notes = append(p.Notes, fmt.Sprintf("the journal under %s holds no containment of %s to undo", o.StateDir, o.KeyID))
		p.ObservedAt = o.Now()
		p.seal()
		return p, nil
	}
	type live struct {
		ch            *journaledChange
		res           resource
		before, after any
		cur           any
		err           error
	}
	lives := make([]*live, len(changes))
	for i, ch := range changes {
		res, b, a, err := rebuild(c, ch.kind, ch.before, ch.after)
		if err != nil {
			return nil, fmt.Errorf("contain %s --undo: journal action %s: %w", o.KeyID, ch.id, err)
		}
		lives[i] = &live{ch: ch, res: res, before: b, after: a}
	}
	var owner string
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	for _, l := range lives {
		g.Go(func() error {
			l.cur, l.err = l.res.observe(gctx)
			if l.err != nil {
				return fmt.Errorf("contain %s --undo: read %s %s: %w", o.KeyID, l.ch.kind, l.ch.target, l.err)
			}
			return nil
		})
		if l.ch.kind == KindAttachPolicy && strings.HasPrefix(l.ch.id, "attach:") {
			mu.Lock()
			if owner == "" {
				owner = l.ch.target
			}
			mu.Unlock()
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	p.ObservedAt = o.Now()
	p.Key.Owner = owner
	if owner != "" {
		if ks, err := c.ListAccessKeys(ctx, owner); err == nil {
			for _, k := range ks {
				if k.AccessKeyID == o.KeyID {
					p.Key.Status = k.Status
				}
			}
		}
	}

	var detachIDs []string
	var policyAction *Action
	for i := len(lives) - 1; i >= 0; i-- {
		l := lives[i]
		if l.ch.kind == KindKeyStatus && strings.HasPrefix(l.ch.id, "disable-key:") {
			// Keys the leaked key created are the attacker's: undo never
			// re-activates them.
			p.Notes = append(p.Notes, fmt.Sprintf("key %s, created by the leaked key, stays disabled; re-enable it deliberately with: akresp disable %s --enable", l.ch.target, l.ch.target))
			continue
		}
		a := newAction("undo-"+l.ch.id, l.res, l.cur, l.before, "restore "+l.ch.kind+" "+l.ch.target)
		if !a.Reversible {
			p.Notes = append(p.Notes, fmt.Sprintf("%s %s cannot be undone", l.ch.kind, l.ch.target))
			continue
		}
		if !a.Noop && !l.res.equal(l.cur, l.after) {
			p.Rails = append(p.Rails, &RailError{Rule: "undo-drift",
				Detail:   fmt.Sprintf("%s %s changed since contain set it (now %s, contain set %s); restoring %s would overwrite that change", l.ch.kind, l.ch.target, l.res.text(l.cur), l.res.text(l.after), l.res.text(l.before)),
				Override: "--force"})
		}
		switch l.ch.kind {
		case KindAttachPolicy:
			detachIDs = append(detachIDs, a.ID)
			if !a.Noop && strings.EqualFold(p.Key.Status, "Active") && l.ch.target == owner {
				a.Warnings = append(a.Warnings, "the key is still Active: detaching the deny policy gives high-risk permissions back to whoever holds it")
			}
		case KindDenyPolicy:
			policyAction = a
		}
		p.Actions = append(p.Actions, a)
	}
	if policyAction != nil {
		policyAction.DependsOn = slices.Clone(detachIDs)
	}
	p.seal()
	return p, nil
}

// ContainStatus is the current containment state of a key.
type ContainStatus struct {
	KeyID          string    `json:"key_id"`
	OwnerType      string    `json:"owner_type"`
	Owner          string    `json:"owner,omitempty"`
	KeyStatus      string    `json:"key_status"`
	ACL            string    `json:"network_acl,omitempty"`
	ACLSummary     string    `json:"network_acl_summary"`
	ACLEnforced    bool      `json:"network_acl_enforced"`
	PolicyName     string    `json:"deny_policy"`
	PolicyAttached bool      `json:"deny_policy_attached"`
	State          string    `json:"state"`
	LastRun        string    `json:"last_run,omitempty"`
	LastRunAt      time.Time `json:"last_run_at,omitzero"`
	Pending        []string  `json:"pending,omitempty"`
	Notes          []string  `json:"notes,omitempty"`
}

// Status reads a key's containment state: its network ACL, whether the deny
// policy is attached to its owner, and what the journal says.
func Status(ctx context.Context, c ContainCloud, stateDir, keyID, policyName string) (*ContainStatus, error) {
	if policyName == "" {
		policyName = DefaultPolicyName
	}
	st := &ContainStatus{KeyID: keyID, PolicyName: policyName}
	if recs, warns, err := journal.ReadKey(stateDir, keyID); err == nil {
		st.Notes = append(st.Notes, warns...)
		for _, r := range recs {
			if r.Command == CmdContain || r.Command == CmdContainUndo {
				st.LastRun, st.LastRunAt = r.RunID, r.Time
			}
		}
		for _, r := range journal.Pending(recs) {
			st.Pending = append(st.Pending, fmt.Sprintf("%s %s %s (run %s)", r.Command, r.Action, r.Target, r.RunID))
		}
	}
	ident, err := c.GetCallerIdentity(ctx)
	if err != nil {
		return nil, fmt.Errorf("contain %s --status: who am I (sts:GetCallerIdentity): %w", keyID, err)
	}
	owner, err := c.GetUserByAccessKey(ctx, keyID)
	switch {
	case err == nil:
		st.OwnerType, st.Owner = OwnerRAMUser, owner.UserName
	case errors.Is(err, cloud.ErrNotFound):
		root, rerr := isRootKey(ctx, c, ident, keyID, nil)
		if rerr != nil {
			return nil, rerr
		}
		if !root {
			return nil, fmt.Errorf("contain %s --status: no RAM user owns this AccessKey and it is not a root-account key of the caller (%w); check the key ID and that --profile is in the key's account", keyID, err)
		}
		st.OwnerType = OwnerRoot
	default:
		return nil, fmt.Errorf("contain %s --status: find the key's owner: %w", keyID, err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		ks, err := c.ListAccessKeys(gctx, st.Owner)
		if err != nil {
			return fmt.Errorf("contain %s --status: list keys: %w", keyID, err)
		}
		st.KeyStatus = StatusDeleted
		for _, k := range ks {
			if k.AccessKeyID == keyID {
				st.KeyStatus = k.Status
			}
		}
		return nil
	})
	aclKnown := st.OwnerType == OwnerRAMUser || ident.IdentityType == "Account"
	if aclKnown {
		g.Go(func() error {
			doc, err := c.GetAccessKeyPolicy(gctx, keyID, owner.UserPrincipalName)
			if err != nil {
				return fmt.Errorf("contain %s --status: read network ACL: %w", keyID, err)
			}
			st.ACL = doc
			return nil
		})
	}
	if st.OwnerType == OwnerRAMUser {
		g.Go(func() error {
			ps, err := c.ListPoliciesForUser(gctx, st.Owner)
			if err != nil {
				return fmt.Errorf("contain %s --status: list policies of %s: %w", keyID, st.Owner, err)
			}
			st.PolicyAttached = hasCustomPolicy(ps, policyName)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	st.ACLSummary = describeACL(st.ACL)
	if !aclKnown {
		st.ACLSummary = "unknown (only the root account can read a root key's network ACL)"
	}
	if c, ok := parseCanonACL(st.ACL); ok && strings.EqualFold(c.Status, "Active") && len(c.Statements) > 0 {
		st.ACLEnforced = true
	}
	switch {
	case st.OwnerType == OwnerRoot && st.ACLEnforced, st.ACLEnforced && st.PolicyAttached:
		st.State = StateContained
	case st.ACLEnforced || st.PolicyAttached:
		st.State = StatePartiallyContained
	default:
		st.State = StateNotContained
	}
	if strings.EqualFold(st.KeyStatus, "Inactive") {
		st.Notes = append(st.Notes, "the key is disabled (Inactive)")
	}
	return st, nil
}
