package respond

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/akresp/akresp/internal/cloud"
)

// Action kinds (the journal's Action field).
const (
	KindNetworkACL   = "set-network-acl"
	KindDenyPolicy   = "ensure-deny-policy"
	KindAttachPolicy = "attach-deny-policy"
	KindRequireMFA   = "require-mfa"
	KindKeyStatus    = "set-key-status"
	KindDeleteKey    = "delete-key"
)

// Action is one step of a plan: the state it observed (Before), the state it
// will set (After), and how to check, apply and invert it (STYLE 37).
type Action struct {
	ID         string          `json:"id"`
	Kind       string          `json:"kind"`
	Target     string          `json:"target"`
	Summary    string          `json:"summary"`
	Before     json.RawMessage `json:"before"`
	After      json.RawMessage `json:"after"`
	BeforeText string          `json:"before_text"`
	AfterText  string          `json:"after_text"`
	Noop       bool            `json:"noop"` // already in the target state
	Reversible bool            `json:"reversible"`
	Idempotent bool            `json:"idempotent"`
	DependsOn  []string        `json:"depends_on,omitempty"`
	Warnings   []string        `json:"warnings,omitempty"`

	res    resource
	before any
	after  any
}

// Describe is the one-line human description of the change.
func (a *Action) Describe() string {
	if a.Noop {
		return fmt.Sprintf("%s: no change (%s)", a.Summary, a.AfterText)
	}
	return fmt.Sprintf("%s: %s -> %s", a.Summary, a.BeforeText, a.AfterText)
}

// checkResult is what Check found.
type checkResult int

const (
	checkReady   checkResult = iota // live state is what the plan observed
	checkDone                       // live state already is the target
	checkDrifted                    // neither: someone else changed it
)

// Check re-reads the live state and compares it with what the plan observed.
func (a *Action) Check(ctx context.Context) (checkResult, string, error) {
	cur, err := a.res.observe(ctx)
	if err != nil {
		return checkDrifted, "", err
	}
	switch {
	case a.res.equal(cur, a.after):
		return checkDone, a.res.text(cur), nil
	case a.res.equal(cur, a.before):
		return checkReady, a.res.text(cur), nil
	default:
		return checkDrifted, a.res.text(cur), nil
	}
}

// Apply sets the target state and returns the request ID of the last call.
func (a *Action) Apply(ctx context.Context) (string, error) {
	return a.res.set(ctx, a.before, a.after)
}

// Inverse returns the action that restores the observed state, or nil for an
// irreversible action.
func (a *Action) Inverse() *Action {
	if !a.Reversible {
		return nil
	}
	return newAction("undo-"+a.ID, a.res, a.after, a.before, "undo "+a.Summary)
}

// resource is one piece of cloud state an action reads and writes. States
// are small structs that carry their own addressing so that undo can rebuild
// the resource from a journal record alone.
type resource interface {
	kind() string
	target() string
	observe(ctx context.Context) (any, error)
	// set moves the resource from the observed state to the target.
	set(ctx context.Context, from, to any) (string, error)
	equal(a, b any) bool
	text(s any) string
	reversible() bool
}

func newAction(id string, r resource, before, after any, summary string) *Action {
	bj, _ := json.Marshal(before)
	aj, _ := json.Marshal(after)
	return &Action{
		ID: id, Kind: r.kind(), Target: r.target(), Summary: summary,
		Before: bj, After: aj,
		BeforeText: r.text(before), AfterText: r.text(after),
		Noop:       r.equal(before, after),
		Reversible: r.reversible(), Idempotent: true,
		res: r, before: before, after: after,
	}
}

// ---- AccessKey network ACL ----

type aclState struct {
	KeyID  string `json:"key_id"`
	UPN    string `json:"user_principal_name,omitempty"`
	Policy string `json:"policy"` // "" = no key-level policy
	// Account is the account-level policy read alongside (it applies when
	// the key has no Active policy of its own); AccountError says why it
	// could not be read. Neither is part of the comparison: contain sets
	// only the key level.
	Account      string `json:"account_policy,omitempty"`
	AccountError string `json:"account_policy_error,omitempty"`
}

type aclResource struct {
	c     ContainCloud
	keyID string
	upn   string
}

func (r *aclResource) kind() string     { return KindNetworkACL }
func (r *aclResource) target() string   { return r.keyID }
func (r *aclResource) reversible() bool { return true }
func (r *aclResource) observe(ctx context.Context) (any, error) {
	// The account level is read with every key-level read (in parallel):
	// the two together decide what applies. It is informational, so a
	// failure to read it does not fail the key-level read.
	acct := make(chan aclState, 1)
	go func() {
		doc, err := r.c.GetAccessKeyPolicyForAccount(ctx)
		st := aclState{Account: doc}
		if err != nil {
			st = aclState{AccountError: err.Error()}
		}
		acct <- st
	}()
	doc, err := r.c.GetAccessKeyPolicy(ctx, r.keyID, r.upn)
	a := <-acct
	if err != nil {
		return nil, err
	}
	return aclState{KeyID: r.keyID, UPN: r.upn, Policy: doc, Account: a.Account, AccountError: a.AccountError}, nil
}

// effective is the policy that applies to the key in this state.
func (s aclState) effective() EffectiveACL {
	var err error
	if s.AccountError != "" {
		err = errors.New(s.AccountError)
	}
	return EffectivePolicy(s.Policy, s.Account, err)
}
func (r *aclResource) set(ctx context.Context, _, to any) (string, error) {
	s := to.(aclState)
	doc := s.Policy
	if doc == "" {
		// There is no delete call; "removed" is an Inactive policy with no
		// statements (alibaba-cloud-api.md section 15).
		doc = inactiveACL
	}
	return r.c.SetAccessKeyPolicy(ctx, r.keyID, r.upn, doc)
}
func (r *aclResource) equal(a, b any) bool {
	return aclEquivalent(a.(aclState).Policy, b.(aclState).Policy)
}
func (r *aclResource) text(s any) string { return describeACL(s.(aclState).Policy) }

// ---- the deny-high-risk custom policy ----

type policyState struct {
	Name           string `json:"name"`
	Exists         bool   `json:"exists"`
	DefaultVersion string `json:"default_version,omitempty"`
	Document       string `json:"document,omitempty"`
}

type policyResource struct {
	c           ContainCloud
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
		return r.delete(ctx)
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

func (r *policyResource) delete(ctx context.Context) (string, error) {
	vs, err := r.c.ListPolicyVersions(ctx, r.name, "Custom")
	if errors.Is(err, cloud.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	for _, v := range vs {
		if !v.IsDefault {
			if _, err := r.c.DeletePolicyVersion(ctx, r.name, v.VersionID); err != nil && !errors.Is(err, cloud.ErrNotFound) {
				return "", fmt.Errorf("delete version %s: %w", v.VersionID, err)
			}
		}
	}
	rid, err := r.c.DeletePolicy(ctx, r.name)
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

// ---- policy attachment ----

type attachState struct {
	Policy   string `json:"policy"`
	User     string `json:"user"`
	Attached bool   `json:"attached"`
}

type attachResource struct {
	c      ContainCloud
	policy string
	user   string
}

func (r *attachResource) kind() string     { return KindAttachPolicy }
func (r *attachResource) target() string   { return r.user }
func (r *attachResource) reversible() bool { return true }
func (r *attachResource) observe(ctx context.Context) (any, error) {
	ps, err := r.c.ListPoliciesForUser(ctx, r.user)
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

func hasCustomPolicy(ps []cloud.AttachedPolicy, name string) bool {
	return slices.ContainsFunc(ps, func(p cloud.AttachedPolicy) bool {
		return strings.EqualFold(p.PolicyName, name) && !strings.EqualFold(p.PolicyType, "System")
	})
}

// ---- console MFA at next login ----

type mfaState struct {
	User     string `json:"user"`
	Required bool   `json:"mfa_bind_required"`
}

type mfaResource struct {
	c    ContainCloud
	user string
}

func (r *mfaResource) kind() string     { return KindRequireMFA }
func (r *mfaResource) target() string   { return r.user }
func (r *mfaResource) reversible() bool { return true }
func (r *mfaResource) observe(ctx context.Context) (any, error) {
	lp, ok, err := r.c.GetLoginProfile(ctx, r.user)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("user %s has no console login profile", r.user)
	}
	return mfaState{User: r.user, Required: lp.MFABindRequired}, nil
}
func (r *mfaResource) set(ctx context.Context, _, to any) (string, error) {
	return r.c.UpdateLoginProfileMFA(ctx, r.user, to.(mfaState).Required)
}
func (r *mfaResource) equal(a, b any) bool { return a.(mfaState).Required == b.(mfaState).Required }
func (r *mfaResource) text(s any) string {
	if s.(mfaState).Required {
		return "MFA required at next login"
	}
	return "MFA not required"
}

// ---- AccessKey status (disable, enable, delete) ----

// StatusDeleted is the pseudo-status of a key that no longer exists.
const StatusDeleted = "Deleted"

type keyState struct {
	KeyID  string `json:"key_id"`
	User   string `json:"user,omitempty"` // "" = root / caller's own
	Status string `json:"status"`         // Active | Inactive | Deleted
}

type keyStatusLister interface {
	KeyLister
	KeyStatusSetter
}

type keyResource struct {
	c      keyStatusLister
	del    KeyDeleter // only for delete
	keyID  string
	user   string
	delete bool
}

func (r *keyResource) kind() string {
	if r.delete {
		return KindDeleteKey
	}
	return KindKeyStatus
}
func (r *keyResource) target() string   { return r.keyID }
func (r *keyResource) reversible() bool { return !r.delete }
func (r *keyResource) observe(ctx context.Context) (any, error) {
	ks, err := r.c.ListAccessKeys(ctx, r.user)
	if err != nil {
		return nil, err
	}
	for _, k := range ks {
		if k.AccessKeyID == r.keyID {
			return keyState{KeyID: r.keyID, User: r.user, Status: k.Status}, nil
		}
	}
	return keyState{KeyID: r.keyID, User: r.user, Status: StatusDeleted}, nil
}
func (r *keyResource) set(ctx context.Context, _, to any) (string, error) {
	s := to.(keyState)
	if s.Status == StatusDeleted {
		if r.del == nil {
			return "", errors.New("delete not available")
		}
		return r.del.DeleteAccessKey(ctx, r.user, r.keyID)
	}
	return r.c.UpdateAccessKeyStatus(ctx, r.user, r.keyID, s.Status)
}
func (r *keyResource) equal(a, b any) bool {
	return strings.EqualFold(a.(keyState).Status, b.(keyState).Status)
}
func (r *keyResource) text(s any) string { return s.(keyState).Status }

// rebuild reconstructs an action's resource and states from a journal record,
// for undo. It returns an error for kinds undo does not know.
func rebuild(c ContainCloud, kind string, beforeRaw, afterRaw json.RawMessage) (resource, any, any, error) {
	dec := func(raw json.RawMessage, v any) error {
		if len(raw) == 0 {
			return errors.New("empty state")
		}
		return json.Unmarshal(raw, v)
	}
	switch kind {
	case KindNetworkACL:
		var b, a aclState
		if err := errors.Join(dec(beforeRaw, &b), dec(afterRaw, &a)); err != nil {
			return nil, nil, nil, err
		}
		return &aclResource{c: c, keyID: b.KeyID, upn: b.UPN}, b, a, nil
	case KindDenyPolicy:
		var b, a policyState
		if err := errors.Join(dec(beforeRaw, &b), dec(afterRaw, &a)); err != nil {
			return nil, nil, nil, err
		}
		return &policyResource{c: c, name: b.Name}, b, a, nil
	case KindAttachPolicy:
		var b, a attachState
		if err := errors.Join(dec(beforeRaw, &b), dec(afterRaw, &a)); err != nil {
			return nil, nil, nil, err
		}
		return &attachResource{c: c, policy: b.Policy, user: b.User}, b, a, nil
	case KindRequireMFA:
		var b, a mfaState
		if err := errors.Join(dec(beforeRaw, &b), dec(afterRaw, &a)); err != nil {
			return nil, nil, nil, err
		}
		return &mfaResource{c: c, user: b.User}, b, a, nil
	case KindKeyStatus:
		var b, a keyState
		if err := errors.Join(dec(beforeRaw, &b), dec(afterRaw, &a)); err != nil {
			return nil, nil, nil, err
		}
		return &keyResource{c: c, keyID: b.KeyID, user: b.User}, b, a, nil
	}
	return nil, nil, nil, fmt.Errorf("action kind %q cannot be undone", kind)
}
