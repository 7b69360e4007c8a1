package respond

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"
)

// KindRequireMFA sets a user's "MFA at next console login" flag
// (UpdateLoginProfile MFABindRequired); undo clears it again.
const KindRequireMFA = "require-mfa"

type mfaState struct {
	User     string `json:"user"`
	Required bool   `json:"mfa_bind_required"`
}

type mfaResource struct {
	c    LoginProfileManager
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

func init() {
	registerKind(KindRequireMFA, func(c any, b, a []byte) (resource, any, any, error) {
		var x, y mfaState
		if err := decodeStates(b, a, &x, &y); err != nil {
			return nil, nil, nil, err
		}
		cc, err := cloudAs[LoginProfileManager](c, KindRequireMFA)
		if err != nil {
			return nil, nil, nil, err
		}
		return &mfaResource{c: cc, user: x.User}, x, y, nil
	})
}

// requireMFAKind is contain's --require-mfa: console hardening of the
// key's owner.
type requireMFAKind struct {
	st       any
	hasLogin bool
}

func (k *requireMFAKind) prepare(*containScan) error { return nil }

func (k *requireMFAKind) lookup(round int, s *containScan, g *errgroup.Group, gctx context.Context) error {
	user := s.ownerReadUser(round)
	if !s.o.RequireMFA || user == "" {
		return nil
	}
	g.Go(func() error {
		lp, ok, err := s.c.GetLoginProfile(gctx, user)
		if err != nil {
			return fmt.Errorf("contain %s: read the console login of %s: %w", s.o.KeyID, user, err)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		k.hasLogin = ok
		k.st = mfaState{User: user, Required: lp.MFABindRequired}
		return nil
	})
	return nil
}

func (k *requireMFAKind) observed(*containScan) {}

func (k *requireMFAKind) plan(s *containScan) error {
	p := s.p
	if !s.o.RequireMFA {
		return nil
	}
	switch {
	case s.isRoot:
		p.Notes = append(p.Notes, "--require-mfa: the root account's console MFA is managed in the account security settings, not through RAM")
	case !k.hasLogin:
		p.Notes = append(p.Notes, fmt.Sprintf("--require-mfa: user %s has no console login; nothing to harden", p.Key.Owner))
	default:
		p.Actions = append(p.Actions, newAction("mfa:"+p.Key.Owner, &mfaResource{c: s.c, user: p.Key.Owner}, k.st, mfaState{User: p.Key.Owner, Required: true},
			"require MFA at next console login of "+p.Key.Owner))
	}
	return nil
}
