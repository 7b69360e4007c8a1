package lab

import (
	"encoding/base32"
	"github.com/akresp/akresp/internal/lazyre"
	"maps"
	"slices"
)

// Virtual MFA devices (RAM 2015-05-01): CreateVirtualMFADevice,
// BindMFADevice, UnbindMFADevice, DeleteVirtualMFADevice and
// ListVirtualMFADevices. A bound device lives in World.MFADevices (by
// user), an unbound one in World.VirtualMFADevices (by serial number).
// Differences from the real API are listed in doc.go.

var reMFAName = lazyre.New(`^[a-zA-Z0-9.@-]+$`)
var reAuthCode = lazyre.New(`^[0-9]{6}$`)

func mfaSerial(account, name string) string { return "acs:ram::" + account + ":mfa/" + name }

// mfaDevice finds a device by serial number, bound or not.
func (c *call) mfaDevice(serial string) (*MFADevice, bool) {
	if m, ok := c.w.VirtualMFADevices[serial]; ok {
		return m, false
	}
	for _, m := range c.w.MFADevices {
		if m.SerialNumber == serial {
			return m, true
		}
	}
	return nil, false
}

func ramCreateVirtualMFADevice(c *call) (jobj, *apiError) {
	name, aerr := c.require("VirtualMFADeviceName")
	if aerr != nil {
		return nil, aerr
	}
	if aerr := checkName("VirtualMFADeviceName", name, reMFAName, 64); aerr != nil {
		return nil, aerr
	}
	serial := mfaSerial(c.w.Account.ID, name)
	if m, _ := c.mfaDevice(serial); m != nil {
		return nil, errConflict("EntityAlreadyExists.VirtualMFADevice", "The virtual MFA device already exists: %s.", name)
	}
	if c.w.VirtualMFADevices == nil {
		c.w.VirtualMFADevices = map[string]*MFADevice{}
	}
	c.w.VirtualMFADevices[serial] = &MFADevice{SerialNumber: serial, Type: "VMFA"}
	seed := base32.StdEncoding.EncodeToString([]byte(randomString(lowerAlnum, 20)))
	return jobj{"VirtualMFADevice": jobj{"SerialNumber": serial, "Base32StringSeed": seed, "QRCodePNG": ""}}, nil
}

func ramBindMFADevice(c *call) (jobj, *apiError) {
	serial, aerr := c.require("SerialNumber")
	if aerr != nil {
		return nil, aerr
	}
	u, aerr := c.requireUser()
	if aerr != nil {
		return nil, aerr
	}
	for _, p := range []string{"AuthenticationCode1", "AuthenticationCode2"} {
		v, aerr := c.require(p)
		if aerr != nil {
			return nil, aerr
		}
		if !reAuthCode.MatchString(v) {
			return nil, errInvalidParam(p, "The parameter %s must be a 6-digit code.", p)
		}
	}
	m, bound := c.mfaDevice(serial)
	switch {
	case m == nil:
		return nil, errNotExist("EntityNotExist.VirtualMFADevice", "The virtual MFA device does not exist: %s.", serial)
	case bound:
		return nil, errConflict("EntityAlreadyExists.VirtualMFADevice.User", "The virtual MFA device %s is already bound to user %s.", serial, m.UserName)
	case c.w.MFADevices[u.UserName] != nil:
		return nil, errConflict("EntityAlreadyExists.User.MFADevice", "The user %s already has an MFA device.", u.UserName)
	}
	delete(c.w.VirtualMFADevices, serial)
	m.UserName, m.BindDate = u.UserName, c.now.UTC()
	c.w.MFADevices[u.UserName] = m
	return jobj{}, nil
}

func ramUnbindMFADevice(c *call) (jobj, *apiError) {
	u, aerr := c.requireUser()
	if aerr != nil {
		return nil, aerr
	}
	m, ok := c.w.MFADevices[u.UserName]
	if !ok {
		return nil, errNotExist("EntityNotExist.User.MFADevice", "The user %s has no MFA device.", u.UserName)
	}
	delete(c.w.MFADevices, u.UserName)
	if c.w.VirtualMFADevices == nil {
		c.w.VirtualMFADevices = map[string]*MFADevice{}
	}
	m.UserName = ""
	c.w.VirtualMFADevices[m.SerialNumber] = m
	return jobj{"MFADevice": jobj{"SerialNumber": m.SerialNumber}}, nil
}

func ramDeleteVirtualMFADevice(c *call) (jobj, *apiError) {
	serial, aerr := c.require("SerialNumber")
	if aerr != nil {
		return nil, aerr
	}
	m, bound := c.mfaDevice(serial)
	switch {
	case m == nil:
		return nil, errNotExist("EntityNotExist.VirtualMFADevice", "The virtual MFA device does not exist: %s.", serial)
	case bound:
		return nil, errConflict("DeleteConflict.VirtualMFADevice.User", "The virtual MFA device %s is bound to user %s; unbind it first.", serial, m.UserName)
	}
	delete(c.w.VirtualMFADevices, serial)
	return jobj{}, nil
}

func ramListVirtualMFADevices(c *call) (jobj, *apiError) {
	var list []jobj
	for _, u := range slices.Sorted(maps.Keys(c.w.MFADevices)) {
		m := c.w.MFADevices[u]
		list = append(list, jobj{"SerialNumber": m.SerialNumber, "ActivateDate": fmtTime(m.BindDate),
			"User": jobj{"UserName": u, "UserId": userIDOf(c.w, u), "DisplayName": u}})
	}
	for _, s := range slices.Sorted(maps.Keys(c.w.VirtualMFADevices)) {
		list = append(list, jobj{"SerialNumber": s})
	}
	if list == nil {
		list = []jobj{}
	}
	return jobj{"VirtualMFADevices": jobj{"VirtualMFADevice": list}}, nil
}

func userIDOf(w *World, name string) string {
	if u, ok := w.Users[name]; ok {
		return u.UserID
	}
	return ""
}
