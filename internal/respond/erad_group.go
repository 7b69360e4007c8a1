package respond

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/akresp/akresp/internal/cloud"
)

// KindGroupMember removes a user from a group (or adds it back); reversible.
const KindGroupMember = "group-member"

type groupState struct {
	User   string `json:"user"`
	Group  string `json:"group"`
	Member bool   `json:"member"`
}

type groupResource struct {
	c           EradicateCloud
	user, group string
}

func (r *groupResource) kind() string     { return KindGroupMember }
func (r *groupResource) target() string   { return r.user }
func (r *groupResource) reversible() bool { return true }
func (r *groupResource) observe(ctx context.Context) (any, error) {
	gs, err := r.c.ListGroupsForUser(ctx, r.user)
	if errors.Is(err, cloud.ErrNotFound) {
		gs, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	in := slices.ContainsFunc(gs, func(g cloud.Group) bool { return strings.EqualFold(g.GroupName, r.group) })
	return groupState{User: r.user, Group: r.group, Member: in}, nil
}
func (r *groupResource) set(ctx context.Context, _, to any) (string, error) {
	if to.(groupState).Member {
		rid, err := r.c.AddUserToGroup(ctx, r.user, r.group)
		if errors.Is(err, cloud.ErrAlreadyExists) {
			return rid, nil
		}
		return rid, err
	}
	rid, err := r.c.RemoveUserFromGroup(ctx, r.user, r.group)
	if errors.Is(err, cloud.ErrNotFound) {
		return rid, nil
	}
	return rid, err
}
func (r *groupResource) equal(a, b any) bool { return a.(groupState).Member == b.(groupState).Member }
func (r *groupResource) text(s any) string {
	if s.(groupState).Member {
		return "member of " + s.(groupState).Group
	}
	return "not in " + s.(groupState).Group
}

func planRemoveFromGroup(c EradicateCloud, user, group string, member bool) *Action {
	r := &groupResource{c: c, user: user, group: group}
	return newAction("group:"+user+":"+group, r, groupState{User: user, Group: group, Member: member},
		groupState{User: user, Group: group}, "remove "+user+" from group "+group)
}

func init() {
	registerEradicateKind(KindGroupMember, func(c EradicateCloud, b, a []byte) (resource, any, any, error) {
		var x, y groupState
		if err := errors.Join(json.Unmarshal(b, &x), json.Unmarshal(a, &y)); err != nil {
			return nil, nil, nil, err
		}
		return &groupResource{c: c, user: x.User, group: x.Group}, x, y, nil
	})
}
