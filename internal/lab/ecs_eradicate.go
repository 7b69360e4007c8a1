package lab

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// ECS footholds an attacker leaves besides instances: SSH key pairs
// (ImportKeyPair / CreateKeyPair), Cloud Assistant commands
// (CreateCommand) and raised public bandwidth (ModifyInstanceNetworkSpec).
// The differences from the real API are listed in doc.go.

// ECSKeyPair is an SSH key pair (the private key of CreateKeyPair is
// returned once and never stored).
type ECSKeyPair struct {
	Name        string    `json:"name"`
	Region      string    `json:"region"`
	FingerPrint string    `json:"finger_print"`
	PublicKey   string    `json:"public_key,omitempty"`
	Created     time.Time `json:"created"`
	CreatorKey  string    `json:"creator_key,omitempty"`
}

// ECSCommand is a Cloud Assistant command.
type ECSCommand struct {
	ID         string    `json:"id"`
	Region     string    `json:"region"`
	Name       string    `json:"name"`
	Type       string    `json:"type"` // RunShellScript | RunBatScript | RunPowerShellScript
	Content    string    `json:"content,omitempty"`
	Created    time.Time `json:"created"`
	CreatorKey string    `json:"creator_key,omitempty"`
}

func keyPairKey(region, name string) string { return region + "/" + name }

func fingerPrint(s string) string {
	sum := sha256.Sum256([]byte(s))
	return fmt.Sprintf("%x", sum[:16])
}

func ecsFootholdRoute(c *call) (jobj, *apiError) {
	region, aerr := c.ecsRegion()
	if aerr != nil {
		return nil, aerr
	}
	e := ecsOf(c.w)
	if e.KeyPairs == nil {
		e.KeyPairs = map[string]*ECSKeyPair{}
	}
	if e.Commands == nil {
		e.Commands = map[string]*ECSCommand{}
	}
	switch c.action {
	case "ImportKeyPair", "CreateKeyPair":
		name, aerr := c.require("KeyPairName")
		if aerr != nil {
			return nil, aerr
		}
		if len(name) < 2 || len(name) > 128 || strings.HasPrefix(name, "http://") || strings.HasPrefix(name, "https://") {
			return nil, errInvalidParam("KeyPairName", "The specified parameter KeyPairName is not valid.")
		}
		if _, ok := e.KeyPairs[keyPairKey(region, name)]; ok {
			return nil, newError(http.StatusBadRequest, "KeyPair.AlreadyExist", "The key pair already exist.")
		}
		kp := &ECSKeyPair{Name: name, Region: region, Created: c.now.UTC(), CreatorKey: c.principal.keyID}
		if c.action == "ImportKeyPair" {
			pub, aerr := c.require("PublicKeyBody")
			if aerr != nil {
				return nil, aerr
			}
			kp.PublicKey, kp.FingerPrint = pub, fingerPrint(pub)
			e.KeyPairs[keyPairKey(region, name)] = kp
			return jobj{"KeyPairName": name, "KeyPairFingerPrint": kp.FingerPrint}, nil
		}
		kp.FingerPrint = fingerPrint(name + kp.Created.String())
		e.KeyPairs[keyPairKey(region, name)] = kp
		// The private key is answered once; the lab's is a placeholder.
		return jobj{"KeyPairName": name, "KeyPairFingerPrint": kp.FingerPrint, "KeyPairId": "kp-" + randomString(lowerAlnum, 20),
			"PrivateKeyBody": "-----BEGIN RSA PRIVATE KEY-----\nlab\n-----END RSA PRIVATE KEY-----"}, nil
	case "DescribeKeyPairs":
		name := c.param("KeyPairName")
		var list []jobj
		for _, k := range slices.Sorted(maps.Keys(e.KeyPairs)) {
			kp := e.KeyPairs[k]
			if kp.Region != region || (name != "" && kp.Name != name) {
				continue
			}
			list = append(list, jobj{"KeyPairName": kp.Name, "KeyPairFingerPrint": kp.FingerPrint, "CreationTime": kp.Created.Format("2006-01-02T15:04Z"),
				"ResourceGroupId": "", "Tags": jobj{"Tag": []jobj{}}})
		}
		if list == nil {
			list = []jobj{}
		}
		return jobj{"TotalCount": len(list), "PageNumber": 1, "PageSize": 50, "KeyPairs": jobj{"KeyPair": list}}, nil
	case "DeleteKeyPairs":
		raw, aerr := c.require("KeyPairNames")
		if aerr != nil {
			return nil, aerr
		}
		var names []string
		if err := json.Unmarshal([]byte(raw), &names); err != nil || len(names) == 0 || len(names) > 100 {
			return nil, newError(http.StatusBadRequest, "InvalidKeyPairNames.ValueNotSupported", "The specified parameter \"KeyPairNames\" is not valid.")
		}
		for _, n := range names {
			delete(e.KeyPairs, keyPairKey(region, n))
		}
		return jobj{}, nil
	case "CreateCommand":
		name, aerr := c.require("Name")
		if aerr != nil {
			return nil, aerr
		}
		typ, aerr := c.require("Type")
		if aerr != nil {
			return nil, aerr
		}
		if typ != "RunShellScript" && typ != "RunBatScript" && typ != "RunPowerShellScript" {
			return nil, newError(http.StatusBadRequest, "InvalidCommandType.NotSupported", "The specified command type is not supported.")
		}
		content, aerr := c.require("CommandContent")
		if aerr != nil {
			return nil, aerr
		}
		id := "c-" + randomString(lowerAlnum, 32)
		e.Commands[id] = &ECSCommand{ID: id, Region: region, Name: name, Type: typ, Content: content, Created: c.now.UTC(), CreatorKey: c.principal.keyID}
		return jobj{"CommandId": id}, nil
	case "DescribeCommands":
		id := c.param("CommandId")
		var list []jobj
		for _, k := range slices.Sorted(maps.Keys(e.Commands)) {
			cmd := e.Commands[k]
			if cmd.Region != region || (id != "" && cmd.ID != id) {
				continue
			}
			list = append(list, jobj{"CommandId": cmd.ID, "Name": cmd.Name, "Type": cmd.Type, "CommandContent": cmd.Content,
				"CreationTime": cmd.Created.Format(time.RFC3339), "Provider": "", "Latest": true})
		}
		if list == nil {
			list = []jobj{}
		}
		return jobj{"TotalCount": len(list), "PageNumber": 1, "PageSize": 10, "Commands": jobj{"Command": list}}, nil
	case "DeleteCommand":
		id, aerr := c.require("CommandId")
		if aerr != nil {
			return nil, aerr
		}
		cmd, ok := e.Commands[id]
		if !ok || cmd.Region != region {
			return nil, newError(http.StatusNotFound, "InvalidCmdId.NotFound", "The specified command ID does not exist.")
		}
		delete(e.Commands, id)
		return jobj{}, nil
	case "ModifyInstanceNetworkSpec":
		id, aerr := c.require("InstanceId")
		if aerr != nil {
			return nil, aerr
		}
		in, ok := e.Instances[id]
		if !ok || in.Status == ECSReleased {
			return nil, ecsNotFound(id)
		}
		limit := 100
		if in.ChargeType == "PrePaid" {
			limit = 200
		}
		bw, aerr := c.intParam("InternetMaxBandwidthOut", in.InternetMaxBandwidthOut, 0, limit)
		if aerr != nil {
			return nil, aerr
		}
		in.InternetMaxBandwidthOut = bw
		return jobj{"OrderId": randomID(15)}, nil
	}
	return nil, newError(http.StatusBadRequest, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
}

// replayECSFootholds applies a history event that creates or removes a key
// pair or command, or changes an instance's bandwidth.
func replayECSFootholds(e *ECS, ev *Event, region string, p func(string) string) {
	if e.KeyPairs == nil {
		e.KeyPairs = map[string]*ECSKeyPair{}
	}
	if e.Commands == nil {
		e.Commands = map[string]*ECSCommand{}
	}
	switch ev.EventName {
	case "ImportKeyPair", "CreateKeyPair":
		if n := p("KeyPairName"); n != "" {
			pub := p("PublicKeyBody")
			e.KeyPairs[keyPairKey(region, n)] = &ECSKeyPair{Name: n, Region: region, PublicKey: pub, FingerPrint: fingerPrint(n + pub), Created: ev.Time.UTC(), CreatorKey: ev.UserIdentity.AccessKeyID}
		}
	case "DeleteKeyPairs":
		var names []string
		if json.Unmarshal([]byte(p("KeyPairNames")), &names) == nil {
			for _, n := range names {
				delete(e.KeyPairs, keyPairKey(region, n))
			}
		}
	case "CreateCommand":
		if id, _ := ev.ResponseElements["CommandId"].(string); id != "" {
			e.Commands[id] = &ECSCommand{ID: id, Region: region, Name: p("Name"), Type: p("Type"), Content: p("CommandContent"), Created: ev.Time.UTC(), CreatorKey: ev.UserIdentity.AccessKeyID}
		}
	case "DeleteCommand":
		delete(e.Commands, p("CommandId"))
	case "ModifyInstanceNetworkSpec":
		if in, ok := e.Instances[p("InstanceId")]; ok {
			var bw int
			if _, err := fmt.Sscan(p("InternetMaxBandwidthOut"), &bw); err == nil {
				in.InternetMaxBandwidthOut = bw
			}
		}
	}
}
