package respond

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/akresp/akresp/internal/cloud"
)

// KindPrincipalPolicy attaches or detaches one policy of a role or group
// (users have KindUserPolicy); reversible.
const KindPrincipalPolicy = "principal-policy"

type principalPolicyState struct {
	PrincipalType string `json:"principal_type"` // Role | Group
	Principal     string `json:"principal"`
	PolicyType    string `json:"policy_type"`
	Policy        string `json:"policy"`
	Attached      bool   `json:"attached"`
}

type principalPolicyResource struct {
	c   PrincipalPolicyAttacher
	key principalPolicyState // addressing (Attached unused)
}

func (r *principalPolicyResource) kind() string     { return KindPrincipalPolicy }
func (r *principalPolicyResource) target() string   { return r.key.Principal }
func (r *principalPolicyResource) reversible() bool { return true }
func (r *principalPolicyResource) observe(ctx context.Context) (any, error) {
	var ps []cloud.AttachedPolicy
	var err error
	if r.key.PrincipalType == "Group" {
		ps, err = r.c.ListPoliciesForGroup(ctx, r.key.Principal)
	} else {
		ps, err = r.c.ListPoliciesForRole(ctx, r.key.Principal)
	}
	if errors.Is(err, cloud.ErrNotFound) {
		ps, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	st := r.key
	st.Attached = slices.ContainsFunc(ps, func(p cloud.AttachedPolicy) bool {
		return strings.EqualFold(p.PolicyName, r.key.Policy) && strings.EqualFold(p.PolicyType, r.key.PolicyType)
	})
	return st, nil
}
func (r *principalPolicyResource) set(ctx context.Context, _, to any) (string, error) {
	k := r.key
	if to.(principalPolicyState).Attached {
		rid, err := r.c.AttachPolicyToPrincipal(ctx, k.PrincipalType, k.Principal, k.PolicyType, k.Policy)
		if errors.Is(err, cloud.ErrAlreadyExists) {
			return rid, nil
		}
		return rid, err
	}
	rid, err := r.c.DetachPolicyFromPrincipal(ctx, k.PrincipalType, k.Principal, k.PolicyType, k.Policy)
	if errors.Is(err, cloud.ErrNotFound) {
		return rid, nil
	}
	return rid, err
}
func (r *principalPolicyResource) equal(a, b any) bool {
	return a.(principalPolicyState).Attached == b.(principalPolicyState).Attached
}
func (r *principalPolicyResource) text(s any) string {
	st := s.(principalPolicyState)
	if st.Attached {
		return st.Policy + " attached"
	}
	return st.Policy + " not attached"
}

// planDetachPrincipalPolicy plans detaching one policy from a role or
// group, given whether it is attached now.
func planDetachPrincipalPolicy(c PrincipalPolicyAttacher, ptype, principal, policyType, policy string, attached bool) *Action {
	key := principalPolicyState{PrincipalType: ptype, Principal: principal, PolicyType: policyType, Policy: policy}
	before := key
	before.Attached = attached
	return newAction("detach-policy:"+ptype+":"+principal+":"+policy, &principalPolicyResource{c: c, key: key}, before, key,
		"detach "+policy+" from "+strings.ToLower(ptype)+" "+principal)
}

func init() {
	registerEradicateKind(KindPrincipalPolicy, func(c EradicateCloud, b, a []byte) (resource, any, any, error) {
		var x, y principalPolicyState
		if err := decodeStates(b, a, &x, &y); err != nil {
			return nil, nil, nil, err
		}
		key := x
		key.Attached = false
		return &principalPolicyResource{c: c, key: key}, x, y, nil
	})
}
