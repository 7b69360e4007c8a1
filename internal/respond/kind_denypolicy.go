package respond

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/akresp/akresp/internal/cloud"
	"golang.org/x/sync/errgroup"
)

// KindDenyPolicy creates (or versions) the deny-high-risk custom policy;
// undo deletes it (versions first) or restores the previous document.
const KindDenyPolicy = "ensure-deny-policy"

type policyState struct {
	Name           string `json:"name"`
	Exists         bool   `json:"exists"`
	DefaultVersion string `json:"default_version,omitempty"`
	Document       string `json:"document,omitempty"`
}

// policyCloud is what the deny-policy kind calls.
type policyCloud interface {
	PolicyReader
	PolicyWriter
}

type policyResource struct {
	c           policyCloud
	name        string
	description string
}

func (r *policyResource) kind() string     { return KindDenyPolicy }
func (r *policyResource) target() string   { return r.name }
func (r *policyResource) reversible() bool { return true }
func (r *policyResource) observe(ctx context.Context) (any, error) {
	p, err := r.c.GetPolicy(ctx, r.name, "Custom")
	if errors.Is(err, cloud.ErrNotFound) {
		return policyState{Name: r.name}, nil
	}
	if err != nil {
		return nil, err
	}
	return policyState{Name: r.name, Exists: true, DefaultVersion: p.DefaultVersion, Document: p.Document}, nil
}
func (r *policyResource) set(ctx context.Context, fromAny, toAny any) (string, error) {
	from, to := fromAny.(policyState), toAny.(policyState)
	switch {
	case !to.Exists:
		return deleteCustomPolicy(ctx, r.c, r.name)
	case !from.Exists:
		return r.c.CreatePolicy(ctx, r.name, to.Document, r.description)
	default:
		// RAM keeps at most 5 versions; make room by deleting the oldest
		// non-default one (alibaba-cloud-api.md section 19).
		vs, err := r.c.ListPolicyVersions(ctx, r.name, "Custom")
		if err != nil {
			return "", err
		}
		if len(vs) >= maxPolicyVersions {
			if v, ok := oldestNonDefault(vs); ok {
				if _, err := r.c.DeletePolicyVersion(ctx, r.name, v.VersionID); err != nil && !errors.Is(err, cloud.ErrNotFound) {
					return "", fmt.Errorf("prune version %s: %w", v.VersionID, err)
				}
			}
		}
		_, rid, err := r.c.CreatePolicyVersion(ctx, r.name, to.Document, true)
		return rid, err
	}
}

// deleteCustomPolicy deletes a custom policy: its non-default versions
// first (RAM refuses DeletePolicy while they exist), then the policy. A
// policy already gone is not an error.
func deleteCustomPolicy(ctx context.Context, c policyCloud, name string) (string, error) {
	vs, err := c.ListPolicyVersions(ctx, name, "Custom")
	if errors.Is(err, cloud.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	for _, v := range vs {
		if !v.IsDefault {
			if _, err := c.DeletePolicyVersion(ctx, name, v.VersionID); err != nil && !errors.Is(err, cloud.ErrNotFound) {
				return "", fmt.Errorf("delete version %s: %w", v.VersionID, err)
			}
		}
	}
	rid, err := c.DeletePolicy(ctx, name)
	if errors.Is(err, cloud.ErrNotFound) {
		return rid, nil
	}
	return rid, err
}

func (r *policyResource) equal(a, b any) bool {
	x, y := a.(policyState), b.(policyState)
	if x.Exists != y.Exists {
		return false
	}
	if !x.Exists {
		return true
	}
	return documentsEqual(x.Document, y.Document)
}
func (r *policyResource) text(s any) string {
	p := s.(policyState)
	if !p.Exists {
		return "absent"
	}
	if p.DefaultVersion == "" {
		return "present"
	}
	return "present (default " + p.DefaultVersion + ")"
}

const maxPolicyVersions = 5

func oldestNonDefault(vs []cloud.PolicyVersion) (cloud.PolicyVersion, bool) {
	var cand []cloud.PolicyVersion
	for _, v := range vs {
		if !v.IsDefault {
			cand = append(cand, v)
		}
	}
	if len(cand) == 0 {
		return cloud.PolicyVersion{}, false
	}
	sort.SliceStable(cand, func(i, j int) bool {
		if !cand[i].CreateDate.Equal(cand[j].CreateDate) {
			return cand[i].CreateDate.Before(cand[j].CreateDate)
		}
		return versionNumber(cand[i].VersionID) < versionNumber(cand[j].VersionID)
	})
	return cand[0], true
}

func versionNumber(v string) int {
	n := 0
	for _, ch := range strings.TrimPrefix(v, "v") {
		if ch < '0' || ch > '9' {
			return 0
		}
		n = n*10 + int(ch-'0')
	}
	return n
}

func init() {
	registerKind(KindDenyPolicy, func(c any, b, a []byte) (resource, any, any, error) {
		var x, y policyState
		if err := decodeStates(b, a, &x, &y); err != nil {
			return nil, nil, nil, err
		}
		cc, err := cloudAs[policyCloud](c, KindDenyPolicy)
		if err != nil {
			return nil, nil, nil, err
		}
		return &policyResource{c: cc, name: x.Name}, x, y, nil
	})
}

// denyPolicyKind is contain's deny-high-risk policy: the custom policy
// (ensure-deny-policy) and its attachment to the key's owner
// (attach-deny-policy, kind_attach.go).
type denyPolicyKind struct {
	doc   string // "" = --no-deny-policy
	res   *policyResource
	st    any
	stErr error
}

func (k *denyPolicyKind) prepare(s *containScan) error {
	if s.o.NoDenyPolicy {
		return nil
	}
	doc, err := denyDocument(s.o.ExtraActions)
	if err != nil {
		return &InputError{Msg: fmt.Sprintf("contain %s: deny policy: %v", s.o.KeyID, err)}
	}
	k.doc = doc
	k.res = &policyResource{c: s.c, name: s.o.PolicyName, description: policyDescription}
	return nil
}

func (k *denyPolicyKind) lookup(round int, s *containScan, g *errgroup.Group, gctx context.Context) error {
	if round == 1 && k.doc != "" {
		g.Go(func() error { k.st, k.stErr = k.res.observe(gctx); return nil })
	}
	return nil
}

func (k *denyPolicyKind) observed(*containScan) {}

func (k *denyPolicyKind) plan(s *containScan) error {
	p, o := s.p, s.o
	switch {
	case k.doc == "":
		return nil
	case s.isRoot:
		p.Notes = append(p.Notes, "root-account key: RAM policies attach only to users, groups and roles, so no deny policy is possible; use the network ACL, then rotate or disable the key (akresp rotate / akresp disable)")
		return nil
	}
	if k.stErr != nil {
		return fmt.Errorf("contain %s: read policy %s: %w", o.KeyID, o.PolicyName, k.stErr)
	}
	before := k.st.(policyState)
	after := policyState{Name: o.PolicyName, Exists: true, Document: k.doc}
	pa := newAction("deny-policy", k.res, before, after, "deny-high-risk policy "+o.PolicyName)
	if before.Exists && !pa.Noop {
		pa.Warnings = append(pa.Warnings, "the policy exists with different content; a new default version will replace it (older versions are pruned within RAM's limit of 5)")
	}
	p.Actions = append(p.Actions, pa)
	attached := hasCustomPolicy(s.ownerPolicies, o.PolicyName)
	aa := planAttachDeny(s.c, o.PolicyName, p.Key.Owner, attached, fmt.Sprintf("attach %s to user %s", o.PolicyName, p.Key.Owner))
	p.Actions = append(p.Actions, aa)
	if s.ident.IdentityType == "RAMUser" && strings.HasSuffix(s.ident.Arn, ":user/"+p.Key.Owner) {
		s.rail(rankSelfUser, &RailError{Rule: "self-user",
			Detail:   fmt.Sprintf("akresp runs as %s, the owner of %s: the deny policy would bind akresp too (it denies ram:DetachPolicyFromUser, so --undo would need another identity)", s.ident.Arn, o.KeyID),
			Override: "--force"})
	}
	return nil
}
