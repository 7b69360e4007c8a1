package respond

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/akresp/akresp/internal/cloud"
)

// KindDeleteLoginProfile removes a console login profile. It cannot be
// undone: the password is gone, and a new one would be a new secret.
const KindDeleteLoginProfile = "delete-login-profile"

type loginState struct {
	User   string `json:"user"`
	Exists bool   `json:"exists"`
}

type loginResource struct {
	c    EradicateCloud
	user string
}

func (r *loginResource) kind() string     { return KindDeleteLoginProfile }
func (r *loginResource) target() string   { return r.user }
func (r *loginResource) reversible() bool { return false }
func (r *loginResource) observe(ctx context.Context) (any, error) {
	_, ok, err := r.c.GetLoginProfile(ctx, r.user)
	if errors.Is(err, cloud.ErrNotFound) {
		return loginState{User: r.user}, nil
	}
	if err != nil {
		return nil, err
	}
	return loginState{User: r.user, Exists: ok}, nil
}
func (r *loginResource) set(ctx context.Context, _, to any) (string, error) {
	if to.(loginState).Exists {
		return "", fmt.Errorf("cannot re-create the console login of %s: its password is not known; create one by hand if the user needs it", r.user)
	}
	rid, err := r.c.DeleteLoginProfile(ctx, r.user)
	if errors.Is(err, cloud.ErrNotFound) {
		return rid, nil
	}
	return rid, err
}
func (r *loginResource) equal(a, b any) bool { return a.(loginState).Exists == b.(loginState).Exists }
func (r *loginResource) text(s any) string {
	if s.(loginState).Exists {
		return "console login enabled"
	}
	return "no console login"
}

// planDeleteLogin observes the user's login profile and plans its removal.
func planDeleteLogin(ctx context.Context, c EradicateCloud, user string) (*Action, error) {
	r := &loginResource{c: c, user: user}
	cur, err := r.observe(ctx)
	if err != nil {
		return nil, err
	}
	return newAction("login-profile:"+user, r, cur, loginState{User: user}, "delete console login of "+user), nil
}

func init() {
	registerEradicateKind(KindDeleteLoginProfile, func(c EradicateCloud, b, a []byte) (resource, any, any, error) {
		var x, y loginState
		if err := errors.Join(json.Unmarshal(b, &x), json.Unmarshal(a, &y)); err != nil {
			return nil, nil, nil, err
		}
		return &loginResource{c: c, user: x.User}, x, y, nil
	})
}
