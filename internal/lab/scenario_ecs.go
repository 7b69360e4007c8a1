package lab

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// ScenarioInstance is an ECS instance that exists when the scenario
// starts (instances created by the history's RunInstances/CreateInstance
// events need no entry: the events create them).
type ScenarioInstance struct {
	ID             string            `json:"id"`
	Region         string            `json:"region,omitempty"` // default: the scenario region
	InstanceType   string            `json:"instance_type"`
	Name           string            `json:"name,omitempty"`
	Status         string            `json:"status,omitempty"`      // Running (default) | Stopped
	ChargeType     string            `json:"charge_type,omitempty"` // PostPaid (default) | PrePaid
	Created        string            `json:"created,omitempty"`
	SecurityGroups []string          `json:"security_groups,omitempty"`
	Tags           map[string]string `json:"tags,omitempty"`
	// InternetMaxBandwidthOut is the outbound public bandwidth, Mbit/s
	// (default 0).
	InternetMaxBandwidthOut int `json:"internet_max_bandwidth_out,omitempty"`
}

// ScenarioKeyPair is an SSH key pair that exists when the scenario starts.
type ScenarioKeyPair struct {
	Name      string `json:"name"`
	Region    string `json:"region,omitempty"`
	PublicKey string `json:"public_key,omitempty"`
	Created   string `json:"created,omitempty"`
}

// ScenarioCommand is a Cloud Assistant command that exists when the
// scenario starts.
type ScenarioCommand struct {
	ID      string `json:"id"`
	Region  string `json:"region,omitempty"`
	Name    string `json:"name"`
	Type    string `json:"type,omitempty"` // RunShellScript (default) | RunBatScript | RunPowerShellScript
	Content string `json:"content,omitempty"`
	Created string `json:"created,omitempty"`
}

// ScenarioSecurityGroup is a security group that exists when the
// scenario starts, with its ingress rules.
type ScenarioSecurityGroup struct {
	ID      string           `json:"id"`
	Region  string           `json:"region,omitempty"`
	Name    string           `json:"name,omitempty"`
	Created string           `json:"created,omitempty"`
	Rules   []ScenarioSGRule `json:"rules,omitempty"`
}

// ScenarioSGRule is one ingress rule.
type ScenarioSGRule struct {
	IPProtocol   string `json:"ip_protocol"`
	PortRange    string `json:"port_range"`
	SourceCidrIP string `json:"source_cidr_ip,omitempty"`
	Policy       string `json:"policy,omitempty"`
	Priority     string `json:"priority,omitempty"`
	Description  string `json:"description,omitempty"`
}

// buildECS creates the scenario's instances and security groups, then
// replays the history's ECS events over them.
func (s *Scenario) buildECS(w *World, clk *scClock, now time.Time) error {
	if len(s.ECSInstances) == 0 && len(s.SecurityGroups) == 0 && len(s.KeyPairs) == 0 && len(s.Commands) == 0 && !hasECSWrites(w.Events) {
		return nil
	}
	e := newECS()
	def := now.Add(-365 * 24 * time.Hour)
	for i, sg := range s.SecurityGroups {
		if !strings.HasPrefix(sg.ID, "sg-") {
			return &ScenarioError{Problems: []string{fmt.Sprintf("security_groups[%d].id: %q does not start with sg-", i, sg.ID)}}
		}
		region := sg.Region
		if region == "" {
			region = s.region()
		}
		created := clk.at(sg.Created, def)
		g := &ECSSecurityGroup{ID: sg.ID, Region: region, Name: sg.Name, Created: created, Rules: []ECSSGRule{}}
		for _, r := range sg.Rules {
			g.authorize(ECSSGRule{IPProtocol: strings.ToLower(r.IPProtocol), PortRange: r.PortRange, SourceCidrIP: r.SourceCidrIP,
				Policy: strings.ToLower(r.Policy), Priority: r.Priority, Description: r.Description}, created)
		}
		e.SecurityGroups[sg.ID] = g
	}
	for i, si := range s.ECSInstances {
		if !strings.HasPrefix(si.ID, "i-") || si.InstanceType == "" {
			return &ScenarioError{Problems: []string{fmt.Sprintf("ecs_instances[%d]: want an id i-... and an instance_type", i)}}
		}
		region := si.Region
		if region == "" {
			region = s.region()
		}
		in := e.addInstance(si.ID, region, si.InstanceType, si.Name, si.ChargeType, "", slices.Clone(si.SecurityGroups), clk.at(si.Created, def))
		in.Tags = maps.Clone(si.Tags)
		if si.InternetMaxBandwidthOut < 0 || si.InternetMaxBandwidthOut > 200 {
			return &ScenarioError{Problems: []string{fmt.Sprintf("ecs_instances[%d].internet_max_bandwidth_out: %d is not 0-200", i, si.InternetMaxBandwidthOut)}}
		}
		in.InternetMaxBandwidthOut = si.InternetMaxBandwidthOut
		switch si.Status {
		case "", ECSRunning:
		case ECSStopped:
			in.stop("StopCharging", in.Created)
		default:
			return &ScenarioError{Problems: []string{fmt.Sprintf("ecs_instances[%d].status: %q is not Running or Stopped", i, si.Status)}}
		}
	}
	for i, kp := range s.KeyPairs {
		if kp.Name == "" {
			return &ScenarioError{Problems: []string{fmt.Sprintf("key_pairs[%d].name is required", i)}}
		}
		region := cmpOr(kp.Region, s.region())
		if _, dup := e.KeyPairs[keyPairKey(region, kp.Name)]; dup {
			return &ScenarioError{Problems: []string{fmt.Sprintf("key_pairs[%d]: %s in %s is listed twice", i, kp.Name, region)}}
		}
		e.KeyPairs[keyPairKey(region, kp.Name)] = &ECSKeyPair{Name: kp.Name, Region: region, PublicKey: kp.PublicKey,
			FingerPrint: fingerPrint(kp.Name + kp.PublicKey), Created: clk.at(kp.Created, def)}
	}
	for i, sc := range s.Commands {
		if !strings.HasPrefix(sc.ID, "c-") || sc.Name == "" {
			return &ScenarioError{Problems: []string{fmt.Sprintf("commands[%d]: want an id c-... and a name", i)}}
		}
		typ := cmpOr(sc.Type, "RunShellScript")
		if typ != "RunShellScript" && typ != "RunBatScript" && typ != "RunPowerShellScript" {
			return &ScenarioError{Problems: []string{fmt.Sprintf("commands[%d].type: %q is not RunShellScript, RunBatScript or RunPowerShellScript", i, sc.Type)}}
		}
		e.Commands[sc.ID] = &ECSCommand{ID: sc.ID, Region: cmpOr(sc.Region, s.region()), Name: sc.Name, Type: typ, Content: sc.Content, Created: clk.at(sc.Created, def)}
	}
	replayECS(e, w.Events)
	w.ECS = e
	return nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func hasECSWrites(evs []Event) bool {
	for i := range evs {
		if evs[i].ServiceName == "Ecs" && evs[i].EventRW == "Write" {
			return true
		}
	}
	return false
}
