package respond

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/akresp/akresp/internal/cloud"
)

// KindAttachPolicy attaches contain's deny policy to a user (the key's
// owner, or a user the key created); undo detaches it.
const KindAttachPolicy = "attach-deny-policy"

type attachState struct {
	Policy   string `json:"policy"`
	User     string `json:"user"`
	Attached bool   `json:"attached"`
}

type attachResource struct {
	c      PolicyAttacher
	policy string
	user   string
}

func (r *attachResource) kind() string     { return KindAttachPolicy }
func (r *attachResource) target() string   { return r.user }
func (r *attachResource) reversible() bool { return true }
func (r *attachResource) observe(ctx context.Context) (any, error) {
	ps, err := r.c.ListPoliciesForUser(ctx, r.user)
	if errors.Is(err, cloud.ErrNotFound) {
		// The user is gone (eradicate deleted the attacker's user after
		// contain --contain-created denied it), and the attachment with
		// it: nothing is attached, nothing to detach.
		return attachState{Policy: r.policy, User: r.user}, nil
	}
	if err != nil {
		return nil, err
	}
	return attachState{Policy: r.policy, User: r.user, Attached: hasCustomPolicy(ps, r.policy)}, nil
}
func (r *attachResource) set(ctx context.Context, _, to any) (string, error) {
	if to.(attachState).Attached {
		rid, err := r.c.AttachPolicyToUser(ctx, "Custom", r.policy, r.user)
		if errors.Is(err, cloud.ErrAlreadyExists) {
			return rid, nil
		}
		return rid, err
	}
	rid, err := r.c.DetachPolicyFromUser(ctx, "Custom", r.policy, r.user)
	if errors.Is(err, cloud.ErrNotFound) {
		return rid, nil
	}
	return rid, err
}
func (r *attachResource) equal(a, b any) bool {
	return a.(attachState).Attached == b.(attachState).Attached
}
func (r *attachResource) text(s any) string {
	if s.(attachState).Attached {
		return "attached"
	}
	return "not attached"
}

// planAttachDeny plans attaching the deny policy to user, after the
// policy itself (action deny-policy).
func planAttachDeny(c PolicyAttacher, policyName, user string, attached bool, summary string) *Action {
	r := &attachResource{c: c, policy: policyName, user: user}
	a := newAction("attach:"+user, r, attachState{Policy: policyName, User: user, Attached: attached},
		attachState{Policy: policyName, User: user, Attached: true}, summary)
	a.DependsOn = []string{"deny-policy"}
	return a
}

func hasCustomPolicy(ps []cloud.AttachedPolicy, name string) bool {
	return slices.ContainsFunc(ps, func(p cloud.AttachedPolicy) bool {
		return strings.EqualFold(p.PolicyName, name) && !strings.EqualFold(p.PolicyType, "System")
	})
}

func init() {
	registerKind(KindAttachPolicy, func(c any, b, a []byte) (resource, any, any, error) {
		var x, y attachState
		if err := decodeStates(b, a, &x, &y); err != nil {
			return nil, nil, nil, err
		}
		cc, err := cloudAs[PolicyAttacher](c, KindAttachPolicy)
		if err != nil {
			return nil, nil, nil, err
		}
		return &attachResource{c: cc, policy: x.Policy, user: x.User}, x, y, nil
	})
}
