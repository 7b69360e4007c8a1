package respond

import (
	"context"
	"errors"
	"fmt"

	"github.com/akresp/akresp/internal/cloud"
)

// KindDeletePolicy deletes a custom policy the attacker created (its
// non-default versions first, after every attachment is detached); it
// cannot be undone. KindPolicyDefault sets a policy's default version back
// to the one before the attacker's; undo sets the attacker's again.
const (
	KindDeletePolicy  = "delete-policy"
	KindPolicyDefault = "policy-default-version"
)

type policyExistsState struct {
	Policy string `json:"policy"`
	Exists bool   `json:"exists"`
}

type deletePolicyResource struct {
	c    EradicateCloud
	name string
}

func (r *deletePolicyResource) kind() string     { return KindDeletePolicy }
func (r *deletePolicyResource) target() string   { return r.name }
func (r *deletePolicyResource) reversible() bool { return false }
func (r *deletePolicyResource) observe(ctx context.Context) (any, error) {
	_, err := r.c.GetPolicy(ctx, r.name, "Custom")
	if errors.Is(err, cloud.ErrNotFound) {
		return policyExistsState{Policy: r.name}, nil
	}
	if err != nil {
		return nil, err
	}
	return policyExistsState{Policy: r.name, Exists: true}, nil
}
func (r *deletePolicyResource) set(ctx context.Context, _, to any) (string, error) {
	if to.(policyExistsState).Exists {
		return "", fmt.Errorf("cannot re-create policy %s: not reversible", r.name)
	}
	return deleteCustomPolicy(ctx, r.c, r.name)
}
func (r *deletePolicyResource) equal(a, b any) bool {
	return a.(policyExistsState).Exists == b.(policyExistsState).Exists
}
func (r *deletePolicyResource) text(s any) string {
	if s.(policyExistsState).Exists {
		return "exists"
	}
	return "deleted"
}

// planCreatedPolicy removes a custom policy the attacker created: detached
// from every user, group and role, then deleted (versions first).
func planCreatedPolicy(ctx context.Context, c EradicateCloud, name string) ([]*Action, []string, error) {
	if _, err := c.GetPolicy(ctx, name, "Custom"); err != nil {
		if errors.Is(err, cloud.ErrNotFound) {
			return nil, []string{"policy " + name + " (created by the attacker) no longer exists"}, nil
		}
		return nil, nil, err
	}
	ents, err := c.ListEntitiesForPolicy(ctx, "Custom", name)
	if err != nil {
		return nil, nil, err
	}
	var acts []*Action
	for _, u := range ents.Users {
		acts = append(acts, planDetachPolicy(c, u, "Custom", name, true))
	}
	for _, g := range ents.Groups {
		acts = append(acts, planDetachPrincipalPolicy(c, "Group", g, "Custom", name, true))
	}
	for _, ro := range ents.Roles {
		acts = append(acts, planDetachPrincipalPolicy(c, "Role", ro, "Custom", name, true))
	}
	del := newAction("delete-policy:"+name, &deletePolicyResource{c: c, name: name}, policyExistsState{Policy: name, Exists: true},
		policyExistsState{Policy: name}, "delete policy "+name+" (its versions first)")
	for _, a := range acts {
		del.DependsOn = append(del.DependsOn, a.ID)
	}
	return append(acts, del), nil, nil
}

// ---- default version ----

type policyDefaultState struct {
	Policy         string `json:"policy"`
	DefaultVersion string `json:"default_version"`
}

type policyDefaultResource struct {
	c    EradicateCloud
	name string
}

func (r *policyDefaultResource) kind() string     { return KindPolicyDefault }
func (r *policyDefaultResource) target() string   { return r.name }
func (r *policyDefaultResource) reversible() bool { return true }
func (r *policyDefaultResource) observe(ctx context.Context) (any, error) {
	p, err := r.c.GetPolicy(ctx, r.name, "Custom")
	if err != nil {
		return nil, err
	}
	return policyDefaultState{Policy: r.name, DefaultVersion: p.DefaultVersion}, nil
}
func (r *policyDefaultResource) set(ctx context.Context, _, to any) (string, error) {
	return r.c.SetDefaultPolicyVersion(ctx, r.name, to.(policyDefaultState).DefaultVersion)
}
func (r *policyDefaultResource) equal(a, b any) bool {
	return a.(policyDefaultState).DefaultVersion == b.(policyDefaultState).DefaultVersion
}
func (r *policyDefaultResource) text(s any) string {
	return "default version " + orDash(s.(policyDefaultState).DefaultVersion)
}

// planRevertDefault plans setting a policy's default version back from
// the attacker's version to previous. When previous is "" it is inferred
// from the version list: the newest version older than the attacker's
// that the attacker did not create (attackerVersions). A default that is
// no longer the attacker's is left alone.
func planRevertDefault(ctx context.Context, c EradicateCloud, name, attackerVersion, previous string, attackerVersions map[string]bool) (*Action, string, error) {
	r := &policyDefaultResource{c: c, name: name}
	curAny, err := r.observe(ctx)
	if errors.Is(err, cloud.ErrNotFound) {
		return nil, "policy " + name + " no longer exists: its default version needs no revert", nil
	}
	if err != nil {
		return nil, "", err
	}
	cur := curAny.(policyDefaultState)
	if cur.DefaultVersion != attackerVersion {
		return nil, fmt.Sprintf("policy %s: the attacker made %s the default, but the default is now %s: left alone", name, attackerVersion, cur.DefaultVersion), nil
	}
	inferred := false
	if previous == "" {
		vs, err := c.ListPolicyVersions(ctx, name, "Custom")
		if err != nil {
			return nil, "", err
		}
		att := versionNumber(attackerVersion)
		best := 0
		for _, v := range vs {
			n := versionNumber(v.VersionID)
			if n < att && n > best && !attackerVersions[v.VersionID] {
				best, previous = n, v.VersionID
			}
		}
		inferred = true
	}
	if previous == "" {
		return nil, fmt.Sprintf("to do by hand: policy %s: the attacker made %s the default and no earlier version is left to revert to; review the document", name, attackerVersion), nil
	}
	a := newAction("policy-default:"+name, r, cur, policyDefaultState{Policy: name, DefaultVersion: previous}, "revert the default version of policy "+name)
	if inferred {
		a.Warnings = append(a.Warnings, "the version before the attacker's is not in the evidence: "+previous+" is the newest earlier version; check it is the one to restore")
	}
	return a, "", nil
}

func init() {
	registerEradicateKind(KindDeletePolicy, func(c EradicateCloud, b, a []byte) (resource, any, any, error) {
		var x, y policyExistsState
		if err := decodeStates(b, a, &x, &y); err != nil {
			return nil, nil, nil, err
		}
		return &deletePolicyResource{c: c, name: x.Policy}, x, y, nil
	})
	registerEradicateKind(KindPolicyDefault, func(c EradicateCloud, b, a []byte) (resource, any, any, error) {
		var x, y policyDefaultState
		if err := decodeStates(b, a, &x, &y); err != nil {
			return nil, nil, nil, err
		}
		return &policyDefaultResource{c: c, name: x.Policy}, x, y, nil
	})
}
