package respond

import (
	"context"
	"fmt"
)

// KindDeleteKeyPair deletes an SSH key pair the attacker imported or
// created (DeleteKeyPairs); it cannot be undone (a created key pair's
// private key was only ever shown to the attacker).
const KindDeleteKeyPair = "delete-key-pair"

type keyPairState struct {
	Region string `json:"region"`
	Name   string `json:"key_pair_name"`
	Exists bool   `json:"exists"`
}

type keyPairResource struct {
	c            KeyPairManager
	region, name string
}

func (r *keyPairResource) kind() string     { return KindDeleteKeyPair }
func (r *keyPairResource) target() string   { return r.name }
func (r *keyPairResource) reversible() bool { return false }
func (r *keyPairResource) observe(ctx context.Context) (any, error) {
	ok, err := r.c.KeyPairExists(ctx, r.region, r.name)
	if err != nil {
		return nil, err
	}
	return keyPairState{Region: r.region, Name: r.name, Exists: ok}, nil
}
func (r *keyPairResource) set(ctx context.Context, _, to any) (string, error) {
	if to.(keyPairState).Exists {
		return "", fmt.Errorf("cannot re-create key pair %s: not reversible", r.name)
	}
	return r.c.DeleteKeyPair(ctx, r.region, r.name)
}
func (r *keyPairResource) equal(a, b any) bool {
	return a.(keyPairState).Exists == b.(keyPairState).Exists
}
func (r *keyPairResource) text(s any) string {
	if s.(keyPairState).Exists {
		return "exists"
	}
	return "deleted"
}

func planDeleteKeyPair(ctx context.Context, c KeyPairManager, region, name string) (*Action, error) {
	r := &keyPairResource{c: c, region: region, name: name}
	cur, err := r.observe(ctx)
	if err != nil {
		return nil, err
	}
	if !cur.(keyPairState).Exists {
		return nil, nil
	}
	return newAction("delete-key-pair:"+region+":"+name, r, cur, keyPairState{Region: region, Name: name}, "delete SSH key pair "+name+" in "+region), nil
}

func init() {
	registerEradicateKind(KindDeleteKeyPair, func(c EradicateCloud, b, a []byte) (resource, any, any, error) {
		var x, y keyPairState
		if err := decodeStates(b, a, &x, &y); err != nil {
			return nil, nil, nil, err
		}
		return &keyPairResource{c: c, region: x.Region, name: x.Name}, x, y, nil
	})
}
