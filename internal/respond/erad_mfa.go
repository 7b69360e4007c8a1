package respond

import (
	"context"
	"errors"
	"fmt"

	"github.com/akresp/akresp/internal/cloud"
)

// KindMFADevice unbinds the MFA device the attacker bound to a user and
// deletes it. It cannot be undone: the device's seed is gone.
const KindMFADevice = "mfa-device"

type mfaDeviceState struct {
	User   string `json:"user"`
	Serial string `json:"serial_number"`
	Bound  bool   `json:"bound"`
}

type mfaDeviceResource struct {
	c      MFARemover
	user   string
	serial string
}

func (r *mfaDeviceResource) kind() string     { return KindMFADevice }
func (r *mfaDeviceResource) target() string   { return r.user }
func (r *mfaDeviceResource) reversible() bool { return false }
func (r *mfaDeviceResource) observe(ctx context.Context) (any, error) {
	info, err := r.c.GetUserMFAInfo(ctx, r.user)
	if errors.Is(err, cloud.ErrNotFound) {
		return mfaDeviceState{User: r.user, Serial: r.serial}, nil
	}
	if err != nil {
		return nil, err
	}
	bound := info.SerialNumber != "" && (r.serial == "" || info.SerialNumber == r.serial)
	return mfaDeviceState{User: r.user, Serial: r.serial, Bound: bound}, nil
}
func (r *mfaDeviceResource) set(ctx context.Context, _, to any) (string, error) {
	if to.(mfaDeviceState).Bound {
		return "", fmt.Errorf("cannot bind the MFA device of %s again: its seed is gone", r.user)
	}
	rid, err := r.c.UnbindMFADevice(ctx, r.user)
	if err != nil && !errors.Is(err, cloud.ErrNotFound) {
		return rid, err
	}
	if r.serial == "" {
		return rid, nil
	}
	rid, err = r.c.DeleteVirtualMFADevice(ctx, r.serial)
	if errors.Is(err, cloud.ErrNotFound) {
		return rid, nil
	}
	return rid, err
}
func (r *mfaDeviceResource) equal(a, b any) bool {
	return a.(mfaDeviceState).Bound == b.(mfaDeviceState).Bound
}
func (r *mfaDeviceResource) text(s any) string {
	st := s.(mfaDeviceState)
	if st.Bound {
		return "MFA device " + orDash(st.Serial) + " bound"
	}
	return "no MFA device of the attacker bound"
}

// planRemoveMFA observes a user's MFA binding and plans unbinding and
// deleting the device serial ("" = whatever device is bound, read now).
func planRemoveMFA(ctx context.Context, c MFARemover, user, serial string) (*Action, error) {
	if serial == "" {
		info, err := c.GetUserMFAInfo(ctx, user)
		if err != nil && !errors.Is(err, cloud.ErrNotFound) {
			return nil, err
		}
		serial = info.SerialNumber
		if serial == "" {
			return nil, nil
		}
	}
	r := &mfaDeviceResource{c: c, user: user, serial: serial}
	cur, err := r.observe(ctx)
	if err != nil {
		return nil, err
	}
	return newAction("mfa-device:"+user, r, cur, mfaDeviceState{User: user, Serial: serial}, "unbind and delete MFA device "+serial+" of "+user), nil
}

func init() {
	registerEradicateKind(KindMFADevice, func(c EradicateCloud, b, a []byte) (resource, any, any, error) {
		var x, y mfaDeviceState
		if err := decodeStates(b, a, &x, &y); err != nil {
			return nil, nil, nil, err
		}
		return &mfaDeviceResource{c: c, user: x.User, serial: x.Serial}, x, y, nil
	})
}
