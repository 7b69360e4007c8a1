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
	if len(s.ECSInstances) == 0 && len(s.SecurityGroups) == 0 && !hasECSWrites(w.Events) {
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
		switch si.Status {
		case "", ECSRunning:
		case ECSStopped:
			in.stop("StopCharging", in.Created)
		default:
			return &ScenarioError{Problems: []string{fmt.Sprintf("ecs_instances[%d].status: %q is not Running or Stopped", i, si.Status)}}
		}
	}
	replayECS(e, w.Events)
	w.ECS = e
	return nil
}

func hasECSWrites(evs []Event) bool {
	for i := range evs {
		if evs[i].ServiceName == "Ecs" && evs[i].EventRW == "Write" {
			return true
		}
	}
	return false
}
