package respond

import (
	"context"
	"errors"
	"fmt"

	"github.com/akresp/akresp/internal/cloud"
)

// KindDeleteCommand deletes a Cloud Assistant command the attacker created
// (DeleteCommand); it cannot be undone.
const KindDeleteCommand = "delete-command"

type commandState struct {
	Region string `json:"region"`
	ID     string `json:"command_id"`
	Name   string `json:"name,omitempty"`
	Exists bool   `json:"exists"`
}

type commandResource struct {
	c              CommandManager
	region, id, nm string
}

func (r *commandResource) kind() string     { return KindDeleteCommand }
func (r *commandResource) target() string   { return r.id }
func (r *commandResource) reversible() bool { return false }
func (r *commandResource) observe(ctx context.Context) (any, error) {
	ok, err := r.c.CommandExists(ctx, r.region, r.id)
	if err != nil {
		return nil, err
	}
	return commandState{Region: r.region, ID: r.id, Name: r.nm, Exists: ok}, nil
}
func (r *commandResource) set(ctx context.Context, _, to any) (string, error) {
	if to.(commandState).Exists {
		return "", fmt.Errorf("cannot re-create command %s: not reversible", r.id)
	}
	rid, err := r.c.DeleteCommandIn(ctx, r.region, r.id)
	var ae *cloud.APIError
	if errors.As(err, &ae) && ae.Code == "InvalidCmdId.NotFound" {
		return rid, nil
	}
	return rid, err
}
func (r *commandResource) equal(a, b any) bool {
	return a.(commandState).Exists == b.(commandState).Exists
}
func (r *commandResource) text(s any) string {
	if s.(commandState).Exists {
		return "exists"
	}
	return "deleted"
}

func planDeleteCommand(ctx context.Context, c CommandManager, region, id, name string) (*Action, error) {
	r := &commandResource{c: c, region: region, id: id, nm: name}
	cur, err := r.observe(ctx)
	if err != nil {
		return nil, err
	}
	if !cur.(commandState).Exists {
		return nil, nil
	}
	what := id
	if name != "" {
		what = id + " (" + name + ")"
	}
	return newAction("delete-command:"+id, r, cur, commandState{Region: region, ID: id, Name: name}, "delete Cloud Assistant command "+what+" in "+region), nil
}

func init() {
	registerEradicateKind(KindDeleteCommand, func(c EradicateCloud, b, a []byte) (resource, any, any, error) {
		var x, y commandState
		if err := decodeStates(b, a, &x, &y); err != nil {
			return nil, nil, nil, err
		}
		return &commandResource{c: c, region: x.Region, id: x.ID, nm: x.Name}, x, y, nil
	})
}
