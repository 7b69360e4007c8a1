package respond

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/akresp/akresp/internal/cloud"
)

// KindDeleteUser deletes a RAM user the attacker created, once its keys are
// deleted; it cannot be undone.
const KindDeleteUser = "delete-user"

type userState struct {
	User   string `json:"user"`
	Exists bool   `json:"exists"`
}

type userResource struct {
	c    EradicateCloud
	user string
}

func (r *userResource) kind() string     { return KindDeleteUser }
func (r *userResource) target() string   { return r.user }
func (r *userResource) reversible() bool { return false }
func (r *userResource) observe(ctx context.Context) (any, error) {
	_, err := r.c.GetUser(ctx, r.user)
	if errors.Is(err, cloud.ErrNotFound) {
		return userState{User: r.user}, nil
	}
	if err != nil {
		return nil, err
	}
	return userState{User: r.user, Exists: true}, nil
}
func (r *userResource) set(ctx context.Context, _, to any) (string, error) {
	if to.(userState).Exists {
		return "", fmt.Errorf("cannot re-create user %s", r.user)
	}
	rid, err := r.c.DeleteUser(ctx, r.user)
	if errors.Is(err, cloud.ErrNotFound) {
		return rid, nil
	}
	return rid, err
}
func (r *userResource) equal(a, b any) bool { return a.(userState).Exists == b.(userState).Exists }
func (r *userResource) text(s any) string {
	if s.(userState).Exists {
		return "exists"
	}
	return "deleted"
}

func planDeleteUser(c EradicateCloud, user string) *Action {
	return newAction("delete-user:"+user, &userResource{c: c, user: user}, userState{User: user, Exists: true},
		userState{User: user}, "delete user "+user)
}

func init() {
	registerEradicateKind(KindDeleteUser, func(c EradicateCloud, b, a []byte) (resource, any, any, error) {
		var x, y userState
		if err := errors.Join(json.Unmarshal(b, &x), json.Unmarshal(a, &y)); err != nil {
			return nil, nil, nil, err
		}
		return &userResource{c: c, user: x.User}, x, y, nil
	})
}
