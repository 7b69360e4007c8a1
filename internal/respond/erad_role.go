package respond

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/akresp/akresp/internal/cloud"
)

// KindDeleteRole deletes a RAM role the attacker created, once its
// policies are detached (KindPrincipalPolicy); it cannot be undone.
// KindRoleTrust sets a role's trust policy back to the document it had
// before the attacker changed it; undo sets the attacker's back.
const (
	KindDeleteRole = "delete-role"
	KindRoleTrust  = "role-trust-policy"
)

type roleState struct {
	Role   string `json:"role"`
	Exists bool   `json:"exists"`
}

type roleResource struct {
	c    EradicateCloud
	role string
}

func (r *roleResource) kind() string     { return KindDeleteRole }
func (r *roleResource) target() string   { return r.role }
func (r *roleResource) reversible() bool { return false }
func (r *roleResource) observe(ctx context.Context) (any, error) {
	_, err := r.c.GetRole(ctx, r.role)
	if errors.Is(err, cloud.ErrNotFound) {
		return roleState{Role: r.role}, nil
	}
	if err != nil {
		return nil, err
	}
	return roleState{Role: r.role, Exists: true}, nil
}
func (r *roleResource) set(ctx context.Context, _, to any) (string, error) {
	if to.(roleState).Exists {
		return "", fmt.Errorf("cannot re-create role %s: not reversible", r.role)
	}
	rid, err := r.c.DeleteRole(ctx, r.role)
	if errors.Is(err, cloud.ErrNotFound) {
		return rid, nil
	}
	return rid, err
}
func (r *roleResource) equal(a, b any) bool { return a.(roleState).Exists == b.(roleState).Exists }
func (r *roleResource) text(s any) string {
	if s.(roleState).Exists {
		return "exists"
	}
	return "deleted"
}

// planCreatedRole removes a role the attacker created: every policy
// detached, then the role deleted.
func planCreatedRole(ctx context.Context, c EradicateCloud, role string, evidence []string) ([]*Action, []string, error) {
	if _, err := c.GetRole(ctx, role); err != nil {
		if errors.Is(err, cloud.ErrNotFound) {
			return nil, []string{"role " + role + " (created by the attacker) no longer exists"}, nil
		}
		return nil, nil, err
	}
	pols, err := c.ListPoliciesForRole(ctx, role)
	if err != nil {
		return nil, nil, err
	}
	var acts []*Action
	var deps []string
	for _, pol := range pols {
		a := planDetachPrincipalPolicy(c, "Role", role, pol.PolicyType, pol.PolicyName, true)
		acts = append(acts, a)
		deps = append(deps, a.ID)
	}
	del := newAction("delete-role:"+role, &roleResource{c: c, role: role}, roleState{Role: role, Exists: true}, roleState{Role: role},
		"delete role "+role)
	del.DependsOn = deps
	acts = append(acts, del)
	for _, a := range acts {
		a.Evidence = evidence
	}
	return acts, nil, nil
}

// ---- trust policy ----

type trustState struct {
	Role     string `json:"role"`
	Document string `json:"document"`
}

type trustResource struct {
	c    EradicateCloud
	role string
}

func (r *trustResource) kind() string     { return KindRoleTrust }
func (r *trustResource) target() string   { return r.role }
func (r *trustResource) reversible() bool { return true }
func (r *trustResource) observe(ctx context.Context) (any, error) {
	ro, err := r.c.GetRole(ctx, r.role)
	if err != nil {
		return nil, err
	}
	return trustState{Role: r.role, Document: ro.AssumeRolePolicyDocument}, nil
}
func (r *trustResource) set(ctx context.Context, _, to any) (string, error) {
	return r.c.UpdateRoleTrust(ctx, r.role, to.(trustState).Document)
}
func (r *trustResource) equal(a, b any) bool {
	return documentsEqual(a.(trustState).Document, b.(trustState).Document)
}
func (r *trustResource) text(s any) string {
	return "trusts " + trustPrincipals(s.(trustState).Document)
}

// trustPrincipals names who a trust policy lets assume the role.
func trustPrincipals(doc string) string {
	var d struct {
		Statement []struct {
			Effect    string
			Principal map[string]any
		}
	}
	if json.Unmarshal([]byte(doc), &d) != nil {
		return "an unreadable document"
	}
	var out []string
	for _, st := range d.Statement {
		if !strings.EqualFold(st.Effect, "Allow") {
			continue
		}
		for _, k := range []string{"RAM", "Service", "Federated"} {
			switch v := st.Principal[k].(type) {
			case string:
				out = append(out, v)
			case []any:
				for _, x := range v {
					out = append(out, fmt.Sprint(x))
				}
			}
		}
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) == 0 {
		return "no one"
	}
	return strings.Join(out, ", ")
}

// planRevertTrust plans setting a role's trust policy back to previous.
func planRevertTrust(ctx context.Context, c EradicateCloud, role, previous string) (*Action, error) {
	r := &trustResource{c: c, role: role}
	cur, err := r.observe(ctx)
	if err != nil {
		return nil, err
	}
	return newAction("role-trust:"+role, r, cur, trustState{Role: role, Document: previous}, "revert the trust policy of role "+role), nil
}

func init() {
	registerEradicateKind(KindDeleteRole, func(c EradicateCloud, b, a []byte) (resource, any, any, error) {
		var x, y roleState
		if err := decodeStates(b, a, &x, &y); err != nil {
			return nil, nil, nil, err
		}
		return &roleResource{c: c, role: x.Role}, x, y, nil
	})
	registerEradicateKind(KindRoleTrust, func(c EradicateCloud, b, a []byte) (resource, any, any, error) {
		var x, y trustState
		if err := decodeStates(b, a, &x, &y); err != nil {
			return nil, nil, nil, err
		}
		return &trustResource{c: c, role: x.Role}, x, y, nil
	})
}
