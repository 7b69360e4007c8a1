package lab

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Virtual MFA devices through the SDK: create, bind, the refusals of a
// bound device, unbind, delete; the seed never reaches an event.
func TestVirtualMFADeviceLifecycle(t *testing.T) {
	f := newFixture(t, Options{})
	admin := f.addUser("boss", "AdministratorAccess")
	f.addUser("dev")
	const ram = "2015-05-01"
	out, err := f.rpc(admin, ram, "CreateVirtualMFADevice", map[string]string{"VirtualMFADeviceName": "evil"}, "")
	mustOK(t, err)
	dev, _ := out["VirtualMFADevice"].(map[string]any)
	serial, _ := dev["SerialNumber"].(string)
	if !strings.HasSuffix(serial, ":mfa/evil") || dev["Base32StringSeed"] == "" {
		t.Fatalf("CreateVirtualMFADevice = %v", out)
	}
	_, err = f.rpc(admin, ram, "BindMFADevice", map[string]string{"UserName": "dev", "SerialNumber": serial, "AuthenticationCode1": "12345", "AuthenticationCode2": "654321"}, "")
	wantCode(t, err, "InvalidParameter.AuthenticationCode1", 400)
	mustOK(t, func() error {
		_, err := f.rpc(admin, ram, "BindMFADevice", map[string]string{"UserName": "dev", "SerialNumber": serial, "AuthenticationCode1": "123456", "AuthenticationCode2": "654321"}, "")
		return err
	}())
	info, err := f.rpc(admin, ram, "GetUserMFAInfo", map[string]string{"UserName": "dev"}, "")
	mustOK(t, err)
	if got := info["MFADevice"].(map[string]any)["SerialNumber"]; got != serial {
		t.Errorf("GetUserMFAInfo serial = %v, want %s", got, serial)
	}
	_, err = f.rpc(admin, ram, "DeleteVirtualMFADevice", map[string]string{"SerialNumber": serial}, "")
	wantCode(t, err, "DeleteConflict.VirtualMFADevice.User", 409)
	un, err := f.rpc(admin, ram, "UnbindMFADevice", map[string]string{"UserName": "dev"}, "")
	mustOK(t, err)
	if got := un["MFADevice"].(map[string]any)["SerialNumber"]; got != serial {
		t.Errorf("UnbindMFADevice serial = %v", got)
	}
	_, err = f.rpc(admin, ram, "UnbindMFADevice", map[string]string{"UserName": "dev"}, "")
	wantCode(t, err, "EntityNotExist.User.MFADevice", 404)
	list, err := f.rpc(admin, ram, "ListVirtualMFADevices", nil, "")
	mustOK(t, err)
	if b, _ := json.Marshal(list); !strings.Contains(string(b), serial) {
		t.Errorf("ListVirtualMFADevices = %s, want the unbound %s", b, serial)
	}
	mustOK(t, func() error {
		_, err := f.rpc(admin, ram, "DeleteVirtualMFADevice", map[string]string{"SerialNumber": serial}, "")
		return err
	}())
	_, err = f.rpc(admin, ram, "DeleteVirtualMFADevice", map[string]string{"SerialNumber": serial}, "")
	wantCode(t, err, "EntityNotExist.VirtualMFADevice", 404)
	for _, ev := range eventsFor(f.srv, "CreateVirtualMFADevice") {
		if b, _ := json.Marshal(ev.ResponseElements); strings.Contains(string(b), "Base32StringSeed") || strings.Contains(string(b), "QRCodePNG") {
			t.Errorf("the MFA seed reached an event: %s", b)
		}
	}
}

// Key pairs, Cloud Assistant commands and bandwidth through the SDK,
// with the errors of the ECS reference.
func TestECSFootholds(t *testing.T) {
	f := newFixture(t, Options{})
	admin := f.addUser("boss", "AdministratorAccess")
	const ecs = "2014-05-26"
	call := func(action string, q map[string]string) (map[string]any, error) {
		q["RegionId"] = "cn-hangzhou"
		return f.rpc(admin, ecs, action, q, "")
	}
	_, err := call("ImportKeyPair", map[string]string{"KeyPairName": "evil-key", "PublicKeyBody": "ssh-rsa AAAA x"})
	mustOK(t, err)
	_, err = call("ImportKeyPair", map[string]string{"KeyPairName": "evil-key", "PublicKeyBody": "ssh-rsa AAAA x"})
	wantCode(t, err, "KeyPair.AlreadyExist", 400)
	kp, err := call("DescribeKeyPairs", map[string]string{"KeyPairName": "evil-key"})
	mustOK(t, err)
	if fmt.Sprint(kp["TotalCount"]) != "1" {
		t.Errorf("DescribeKeyPairs = %v, want the key pair", kp)
	}
	_, err = call("DeleteKeyPairs", map[string]string{"KeyPairNames": "evil-key"})
	wantCode(t, err, "InvalidKeyPairNames.ValueNotSupported", 400)
	_, err = call("DeleteKeyPairs", map[string]string{"KeyPairNames": `["evil-key"]`})
	mustOK(t, err)
	kp, _ = call("DescribeKeyPairs", map[string]string{"KeyPairName": "evil-key"})
	if fmt.Sprint(kp["TotalCount"]) != "0" {
		t.Errorf("after DeleteKeyPairs: %v", kp)
	}

	cmd, err := call("CreateCommand", map[string]string{"Name": "miner", "Type": "RunShellScript", "CommandContent": "ZWNobw=="})
	mustOK(t, err)
	id, _ := cmd["CommandId"].(string)
	desc, err := call("DescribeCommands", map[string]string{"CommandId": id})
	mustOK(t, err)
	if fmt.Sprint(desc["TotalCount"]) != "1" {
		t.Errorf("DescribeCommands = %v", desc)
	}
	_, err = call("DeleteCommand", map[string]string{"CommandId": id})
	mustOK(t, err)
	_, err = call("DeleteCommand", map[string]string{"CommandId": id})
	wantCode(t, err, "InvalidCmdId.NotFound", 404)

	run, err := call("RunInstances", map[string]string{"InstanceType": "ecs.g7.large", "InternetMaxBandwidthOut": "5"})
	mustOK(t, err)
	inst := run["InstanceIdSets"].(map[string]any)["InstanceIdSet"].([]any)[0].(string)
	_, err = call("ModifyInstanceNetworkSpec", map[string]string{"InstanceId": inst, "InternetMaxBandwidthOut": "101"})
	wantCode(t, err, "InvalidParameter.InternetMaxBandwidthOut", 400)
	_, err = call("ModifyInstanceNetworkSpec", map[string]string{"InstanceId": inst, "InternetMaxBandwidthOut": "100"})
	mustOK(t, err)
	d, err := call("DescribeInstances", map[string]string{"InstanceIds": `["` + inst + `"]`})
	mustOK(t, err)
	if b, _ := json.Marshal(d); !strings.Contains(string(b), `"InternetMaxBandwidthOut":100`) {
		t.Errorf("DescribeInstances = %s, want 100 Mbit/s", b)
	}
}

// The scenario format's key_pairs, commands and instance bandwidth, and
// the replay of the history's ImportKeyPair / CreateCommand /
// ModifyInstanceNetworkSpec events.
func TestScenarioECSFootholds(t *testing.T) {
	sc, err := ParseScenario([]byte(`{
  "name": "footholds",
  "account": {"id": "1234567890123456", "alias": "example"},
  "users": [{"name": "app", "created": "-30d"}],
  "access_keys": [{"id": "LTAI5tEXAMPLE00000000001", "secret": "exampleSecret00000000000000001", "owner": "app", "created": "-20d"}],
  "attachments": [{"policy": "AdministratorAccess", "user": "app"}],
  "ecs_instances": [{"id": "i-office", "instance_type": "ecs.g7.large", "internet_max_bandwidth_out": 5}],
  "key_pairs": [{"name": "office-key", "public_key": "ssh-rsa AAAA office"}],
  "commands": [{"id": "c-office", "name": "deploy"}],
  "events": [
    {"time": "-1d", "access_key": "LTAI5tEXAMPLE00000000001", "source_ip": "127.0.0.66", "version": "2014-05-26", "action": "ImportKeyPair",
     "params": {"RegionId": "cn-hangzhou", "KeyPairName": "evil-key", "PublicKeyBody": "ssh-rsa AAAA evil"}},
    {"time": "-1d", "access_key": "LTAI5tEXAMPLE00000000001", "source_ip": "127.0.0.66", "version": "2014-05-26", "action": "CreateCommand",
     "params": {"RegionId": "cn-hangzhou", "Name": "miner", "Type": "RunShellScript", "CommandContent": "eA=="}, "response": {"CommandId": "c-evil"}},
    {"time": "-1d", "access_key": "LTAI5tEXAMPLE00000000001", "source_ip": "127.0.0.66", "version": "2014-05-26", "action": "ModifyInstanceNetworkSpec",
     "params": {"RegionId": "cn-hangzhou", "InstanceId": "i-office", "InternetMaxBandwidthOut": "100"}}
  ]
}`))
	if err != nil {
		t.Fatal(err)
	}
	w, _, err := sc.Build(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	e := w.ECS
	if e == nil {
		t.Fatal("no ECS state")
	}
	for _, k := range []string{"cn-hangzhou/office-key", "cn-hangzhou/evil-key"} {
		if e.KeyPairs[k] == nil {
			t.Errorf("key pair %s missing: %v", k, e.KeyPairs)
		}
	}
	if e.Commands["c-office"] == nil || e.Commands["c-evil"] == nil || e.Commands["c-evil"].Name != "miner" {
		t.Errorf("commands = %v", e.Commands)
	}
	if in := e.Instances["i-office"]; in == nil || in.InternetMaxBandwidthOut != 100 {
		t.Errorf("i-office = %+v, want 100 Mbit/s after the replay", in)
	}
	bad, err := ParseScenario([]byte(`{"name": "x", "account": {"id": "1234567890123456", "alias": "example"}, "commands": [{"id": "nope", "name": "x"}]}`))
	if err == nil {
		_, _, err = bad.Build(time.Now())
	}
	if err == nil || !strings.Contains(err.Error(), "commands[0]") {
		t.Errorf("a command id without c- = %v, want an error naming commands[0]", err)
	}
}
