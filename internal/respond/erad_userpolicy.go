package respond

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/akresp/akresp/internal/cloud"
)

// KindUserPolicy attaches or detaches one policy (System or Custom) of a
// user; reversible.
const KindUserPolicy = "user-policy"

type userPolicyState struct {
	User       string `json:"user"`
	PolicyType string `json:"policy_type"`
	Policy     string `json:"policy"`
	Attached   bool   `json:"attached"`
}

type userPolicyResource struct {
	c                  EradicateCloud
	user, ptype, pname string
}

func (r *userPolicyResource) kind() string     { return KindUserPolicy }
func (r *userPolicyResource) target() string   { return r.user }
func (r *userPolicyResource) reversible() bool { return true }
func (r *userPolicyResource) observe(ctx context.Context) (any, error) {
	ps, err := r.c.ListPoliciesForUser(ctx, r.user)
	if errors.Is(err, cloud.ErrNotFound) {
		ps, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	on := slices.ContainsFunc(ps, func(p cloud.AttachedPolicy) bool {
		return strings.EqualFold(p.PolicyName, r.pname) && strings.EqualFold(p.PolicyType, r.ptype)
	})
	return userPolicyState{User: r.user, PolicyType: r.ptype, Policy: r.pname, Attached: on}, nil
}
func (r *userPolicyResource) set(ctx context.Context, _, to any) (string, error) {
	if to.(userPolicyState).Attached {
		rid, err := r.c.AttachPolicyToUser(ctx, r.ptype, r.pname, r.user)
		if errors.Is(err, cloud.ErrAlreadyExists) {
			return rid, nil
		}
		return rid, err
	}
	rid, err := r.c.DetachPolicyFromUser(ctx, r.ptype, r.pname, r.user)
	if errors.Is(err, cloud.ErrNotFound) {
		return rid, nil
	}
	return rid, err
}
func (r *userPolicyResource) equal(a, b any) bool {
	return a.(userPolicyState).Attached == b.(userPolicyState).Attached
}
func (r *userPolicyResource) text(s any) string {
	st := s.(userPolicyState)
	if st.Attached {
		return st.Policy + " attached"
	}
	return st.Policy + " not attached"
}

// planDetachPolicy plans detaching one policy from a user, given whether
// it is attached now.
func planDetachPolicy(c EradicateCloud, user, ptype, pname string, attached bool) *Action {
	r := &userPolicyResource{c: c, user: user, ptype: ptype, pname: pname}
	return newAction("detach-policy:"+user+":"+pname, r,
		userPolicyState{User: user, PolicyType: ptype, Policy: pname, Attached: attached},
		userPolicyState{User: user, PolicyType: ptype, Policy: pname}, "detach "+pname+" from "+user)
}

func init() {
	registerEradicateKind(KindUserPolicy, func(c EradicateCloud, b, a []byte) (resource, any, any, error) {
		var x, y userPolicyState
		if err := errors.Join(json.Unmarshal(b, &x), json.Unmarshal(a, &y)); err != nil {
			return nil, nil, nil, err
		}
		return &userPolicyResource{c: c, user: x.User, ptype: x.PolicyType, pname: x.Policy}, x, y, nil
	})
}
