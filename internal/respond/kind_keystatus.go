package respond

import (
	"context"
	"errors"
	"strings"

	"github.com/akresp/akresp/internal/cloud"
)

// KindKeyStatus activates or deactivates an AccessKey (UpdateAccessKey);
// KindDeleteKey deletes one, which cannot be undone.
const (
	KindKeyStatus = "set-key-status"
	KindDeleteKey = "delete-key"
)

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
	if errors.Is(err, cloud.ErrNotFound) {
		// The user is gone (a created user deleted after its keys): so is
		// every key it had.
		return keyState{KeyID: r.keyID, User: r.user, Status: StatusDeleted}, nil
	}
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

// planDisableKey plans setting a key Inactive from its observed state.
func planDisableKey(c keyStatusLister, cur keyState, summary string) *Action {
	to := cur
	to.Status = "Inactive"
	return newAction("disable-key:"+cur.KeyID, &keyResource{c: c, keyID: cur.KeyID, user: cur.User}, cur, to, summary)
}

func init() {
	registerKind(KindKeyStatus, func(c any, b, a []byte) (resource, any, any, error) {
		var x, y keyState
		if err := decodeStates(b, a, &x, &y); err != nil {
			return nil, nil, nil, err
		}
		cc, err := cloudAs[keyStatusLister](c, KindKeyStatus)
		if err != nil {
			return nil, nil, nil, err
		}
		return &keyResource{c: cc, keyID: x.KeyID, user: x.User}, x, y, nil
	})
	registerKind(KindDeleteKey, func(c any, b, a []byte) (resource, any, any, error) {
		var x, y keyState
		if err := decodeStates(b, a, &x, &y); err != nil {
			return nil, nil, nil, err
		}
		cc, err := cloudAs[interface {
			keyStatusLister
			KeyDeleter
		}](c, KindDeleteKey)
		if err != nil {
			return nil, nil, nil, err
		}
		return &keyResource{c: cc, del: cc, keyID: x.KeyID, user: x.User, delete: true}, x, y, nil
	})
}
