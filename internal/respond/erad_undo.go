package respond

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/journal"
)

// eradicateUndoComplete marks, in an eradicate-undo journal, that every
// reversible eradicate change before it is reverted.
const eradicateUndoComplete = "undo-complete"

// PlanEradicateUndo restores what the eradicate runs since the last
// complete undo changed and can be reverted; the plan's notes name what
// cannot (deleted login profiles, keys and users, released instances).
func PlanEradicateUndo(ctx context.Context, c EradicateCloud, keyID, stateDir string, now func() time.Time) (*Plan, error) {
	if now == nil {
		now = time.Now
	}
	ident, err := c.GetCallerIdentity(ctx)
	if err != nil {
		return nil, fmt.Errorf("eradicate %s --undo: who am I (sts:GetCallerIdentity): %w", keyID, err)
	}
	p := &Plan{Command: CmdEradicateUndo, Key: KeyInfo{AccessKeyID: keyID},
		Operator:   OperatorInfo{AccountID: ident.AccountID, Arn: ident.Arn, IdentityType: cloud.IdentityTypeName(ident.IdentityType), Endpoint: c.Endpoint()},
		ObservedAt: now().UTC().Truncate(time.Second)}
	recs, _, err := journal.ReadKey(stateDir, keyID)
	if err != nil {
		return nil, fmt.Errorf("eradicate %s --undo: read the journal: %w", keyID, err)
	}
	type change struct {
		id, kind, target string
		before, after    []byte
	}
	var order []*change
	byID := map[string]*change{}
	for _, r := range recs {
		switch {
		case r.Command == CmdEradicateUndo && r.Action == eradicateUndoComplete:
			order, byID = nil, map[string]*change{}
		case r.Command == CmdEradicate && r.Kind == journal.KindIntent && r.ActionID != "":
			ch, ok := byID[r.ActionID]
			if !ok {
				ch = &change{id: r.ActionID, kind: r.Action, target: r.Target, before: r.Before}
				byID[r.ActionID] = ch
				order = append(order, ch)
			}
			ch.after = r.After
		}
	}
	if len(order) == 0 {
		p.Notes = append(p.Notes, "the journal has no eradicate change to undo")
	}
	// Principals and policies eradicate deleted: their attachments and
	// memberships cannot be restored either.
	deleted := map[string]string{}
	for _, ch := range order {
		switch ch.kind {
		case KindDeleteUser:
			deleted["user:"+ch.target] = "user " + ch.target
		case KindDeleteRole:
			deleted["role:"+ch.target] = "role " + ch.target
		case KindDeletePolicy:
			deleted["policy:"+ch.target] = "policy " + ch.target
		}
	}
	gone := func(ch *change) string {
		var st struct {
			User          string `json:"user"`
			PrincipalType string `json:"principal_type"`
			Principal     string `json:"principal"`
			Policy        string `json:"policy"`
		}
		if json.Unmarshal(ch.before, &st) != nil {
			return ""
		}
		switch ch.kind {
		case KindUserPolicy, KindGroupMember:
			if d, ok := deleted["user:"+st.User]; ok {
				return d
			}
		case KindPrincipalPolicy:
			if d, ok := deleted[strings.ToLower(st.PrincipalType)+":"+st.Principal]; ok {
				return d
			}
		}
		if ch.kind == KindUserPolicy || ch.kind == KindPrincipalPolicy {
			if d, ok := deleted["policy:"+st.Policy]; ok {
				return d
			}
		}
		return ""
	}
	for i := len(order) - 1; i >= 0; i-- {
		ch := order[i]
		if _, ok := kindRegistry[ch.kind]; !ok {
			p.Notes = append(p.Notes, fmt.Sprintf("cannot undo %s (%s): unknown action kind", ch.id, ch.kind))
			continue
		}
		res, before, after, err := rebuild(c, ch.kind, ch.before, ch.after)
		if err != nil {
			return nil, fmt.Errorf("eradicate %s --undo: journal record of %s: %w", keyID, ch.id, err)
		}
		if !res.reversible() {
			p.Notes = append(p.Notes, fmt.Sprintf("cannot be undone: %s %s (%s -> %s)%s", ch.kind, ch.target, res.text(before), res.text(after), irreversibleWhy(ch.kind)))
			continue
		}
		if d := gone(ch); d != "" {
			p.Notes = append(p.Notes, fmt.Sprintf("cannot be undone: %s %s: %s was deleted, which is not reversible", ch.kind, ch.id, d))
			continue
		}
		if ch.kind == KindKeyStatus {
			// Like contain's undo: the attacker's keys are never
			// re-activated by an undo.
			p.Notes = append(p.Notes, fmt.Sprintf("AccessKey %s (the attacker's) stays disabled; re-enable it deliberately with: akresp disable %s --enable", ch.target, ch.target))
			continue
		}
		cur, err := res.observe(ctx)
		if err != nil {
			return nil, fmt.Errorf("eradicate %s --undo: %s %s: %w", keyID, ch.kind, ch.target, err)
		}
		a := newAction("undo-"+ch.id, res, cur, before, "undo "+ch.id)
		if !a.Noop && !res.equal(cur, after) {
			a.Warnings = append(a.Warnings, "changed since eradicate set it to "+res.text(after))
		}
		p.Actions = append(p.Actions, a)
	}
	p.UndoComplete = true
	p.seal()
	return p, nil
}

func irreversibleWhy(kind string) string {
	switch kind {
	case KindDeleteLoginProfile:
		return ": the password is gone; create a new login profile by hand if the user needs one"
	case KindDeleteKey:
		return ": a deleted AccessKey cannot be restored after the recycle bin keeps it"
	case KindDeleteUser:
		return ": a deleted user cannot be restored"
	case KindReleaseInstance:
		return ": a released instance and its disks are gone"
	case KindDeleteRole:
		return ": a deleted role cannot be restored; create it again by hand if it was needed"
	case KindDeletePolicy:
		return ": a deleted policy and its versions cannot be restored"
	case KindMFADevice:
		return ": the device's seed is gone; the user binds a new device"
	case KindDeleteKeyPair:
		return ": the key pair is gone (import the public key again if it was needed)"
	case KindDeleteCommand:
		return ": the command is gone"
	}
	return ""
}
