package cloud

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	ecs "github.com/alibabacloud-go/ecs-20140526/v7/client"
	"github.com/alibabacloud-go/tea/dara"
)

// ECS (2014-05-26) through the typed SDK ecs-20140526/v7: the instances and
// security-group rules `akresp eradicate` stops, releases and revokes. ECS
// is regional: every call goes to ecs.<region>.aliyuncs.com (with an
// endpoint override, to the override's address under that host name, like
// the regional ActionTrail clients).

func ecsAPI(action string) apiSpec { return apiSpec{service: "ECS", action: action} }

// Instance is one ECS instance as DescribeInstances reports it.
type Instance struct {
	InstanceID     string
	Region         string
	Name           string
	InstanceType   string
	Status         string // Pending | Running | Starting | Stopping | Stopped
	ChargeType     string // PostPaid | PrePaid
	StoppedMode    string // KeepCharging | StopCharging | Not-applicable
	Created        time.Time
	SecurityGroups []string
	Tags           map[string]string
	// InternetMaxBandwidthOut is the outbound public bandwidth (Mbit/s).
	InternetMaxBandwidthOut int
}

// SecurityGroupRule is one rule of a security group (the fields
// AuthorizeSecurityGroup and RevokeSecurityGroup identify a rule by).
type SecurityGroupRule struct {
	Direction    string `json:"direction,omitempty"` // ingress | egress
	IPProtocol   string `json:"ip_protocol"`         // tcp | udp | icmp | gre | all
	PortRange    string `json:"port_range"`          // "22/22", "-1/-1"
	SourceCidrIP string `json:"source_cidr_ip,omitempty"`
	Policy       string `json:"policy,omitempty"`   // accept | drop
	Priority     string `json:"priority,omitempty"` // "1".."100"
	NicType      string `json:"nic_type,omitempty"` // internet | intranet
	RuleID       string `json:"rule_id,omitempty"`
	Description  string `json:"description,omitempty"`
}

// Same reports whether two rules are the same rule for Authorize/Revoke:
// protocol, ports, source and policy (case-insensitive; an empty policy is
// accept).
func (r SecurityGroupRule) Same(o SecurityGroupRule) bool {
	pol := func(s string) string {
		if s == "" {
			return "accept"
		}
		return strings.ToLower(s)
	}
	return strings.EqualFold(r.IPProtocol, o.IPProtocol) && r.PortRange == o.PortRange &&
		r.SourceCidrIP == o.SourceCidrIP && pol(r.Policy) == pol(o.Policy)
}

// ecsMaxIDs is the most instance IDs one StopInstances, StartInstances,
// DeleteInstances or DescribeInstances (InstanceIds) call takes.
const ecsMaxIDs = 100

type regionalECS struct {
	mu      sync.Mutex
	clients map[string]*ecs.Client
}

func ecsHost(region string) string { return "ecs." + region + ".aliyuncs.com" }

// ecsIn returns a per-call shallow copy of the region's ECS client.
func (c *Clients) ecsIn(api apiSpec, region string) (*ecs.Client, error) {
	if !regionRE.MatchString(region) {
		return nil, refuse(api, region, "region %q: want lower-case letters, digits and dashes like %q", region, DefaultRegion)
	}
	r := &c.ecs
	r.mu.Lock()
	defer r.mu.Unlock()
	if cl, ok := r.clients[region]; ok {
		cp := *cl
		return &cp, nil
	}
	if r.clients == nil {
		r.clients = map[string]*ecs.Client{}
	}
	s := c.s
	s.Region = region
	doer := c.doer
	if c.s.endpoint.host != "" {
		c.regional.mu.Lock()
		if c.regional.doer == nil {
			c.regional.doer = newConnectToDoer(c.s)
		}
		doer = c.regional.doer
		c.regional.mu.Unlock()
	}
	cl, err := ecs.NewClient(s.openapiConfig(c.cred, doer, ecsHost(region)))
	if err != nil {
		return nil, fmt.Errorf("build ecs client for %s: %w", region, err)
	}
	r.clients[region] = cl
	cp := *cl
	return &cp, nil
}

func ptrs(ss []string) []*string {
	out := make([]*string, len(ss))
	for i := range ss {
		out[i] = dara.String(ss[i])
	}
	return out
}

func checkIDs(api apiSpec, region string, ids []string) error {
	if len(ids) == 0 || len(ids) > ecsMaxIDs {
		return refuse(api, region, "%d instance IDs: want 1-%d", len(ids), ecsMaxIDs)
	}
	for _, id := range ids {
		if !strings.HasPrefix(id, "i-") || len(id) > 64 {
			return refuse(api, id, "instance ID %q: want i-...", id)
		}
	}
	return nil
}

// DescribeInstancesIn returns the instances of ids in region that still
// exist (a released instance is simply absent).
func (c *Clients) DescribeInstancesIn(ctx context.Context, region string, ids []string) ([]Instance, error) {
	api := ecsAPI("DescribeInstances")
	if err := checkIDs(api, region, ids); err != nil {
		return nil, err
	}
	client, err := c.ecsIn(api, region)
	if err != nil {
		return nil, err
	}
	idsJSON, _ := json.Marshal(ids)
	var resp *ecs.DescribeInstancesResponse
	err = c.call(ctx, api, region, func(ctx context.Context) (err error) {
		resp, err = client.DescribeInstancesWithContext(ctx, &ecs.DescribeInstancesRequest{
			RegionId: dara.String(region), InstanceIds: dara.String(string(idsJSON)), PageSize: dara.Int32(ecsMaxIDs),
		}, runtime())
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []Instance
	if resp.Body == nil || resp.Body.Instances == nil {
		return nil, nil
	}
	for _, in := range resp.Body.Instances.Instance {
		if in == nil {
			continue
		}
		i := Instance{
			InstanceID: str(in.InstanceId), Region: str(in.RegionId), Name: str(in.InstanceName),
			InstanceType: str(in.InstanceType), Status: str(in.Status), ChargeType: str(in.InstanceChargeType),
			StoppedMode: str(in.StoppedMode), Created: c.parseTime(api.name(), "CreationTime", str(in.CreationTime)),
		}
		if i.Region == "" {
			i.Region = region
		}
		if in.InternetMaxBandwidthOut != nil {
			i.InternetMaxBandwidthOut = int(*in.InternetMaxBandwidthOut)
		}
		if in.SecurityGroupIds != nil {
			for _, g := range in.SecurityGroupIds.SecurityGroupId {
				i.SecurityGroups = append(i.SecurityGroups, str(g))
			}
		}
		if in.Tags != nil {
			for _, t := range in.Tags.Tag {
				if t != nil {
					if i.Tags == nil {
						i.Tags = map[string]string{}
					}
					i.Tags[str(t.TagKey)] = str(t.TagValue)
				}
			}
		}
		out = append(out, i)
	}
	return out, nil
}

// StopInstancesIn stops instances (StopInstances). stopCharging asks for
// the economical mode (StoppedMode=StopCharging): pay-as-you-go compute
// stops billing, disks are kept; a restart may then fail for lack of
// capacity.
func (c *Clients) StopInstancesIn(ctx context.Context, region string, ids []string, stopCharging bool) (string, error) {
	api := ecsAPI("StopInstances")
	api.unsafe = true
	if err := checkIDs(api, region, ids); err != nil {
		return "", err
	}
	client, err := c.ecsIn(api, region)
	if err != nil {
		return "", err
	}
	req := &ecs.StopInstancesRequest{RegionId: dara.String(region), InstanceId: ptrs(ids), BatchOptimization: dara.String("SuccessFirst")}
	if stopCharging {
		req.StoppedMode = dara.String("StopCharging")
	}
	return c.write(ctx, api, strings.Join(ids, ","), func(ctx context.Context) (*string, error) {
		resp, err := client.StopInstancesWithContext(ctx, req, runtime())
		if err != nil || resp.Body == nil {
			return nil, err
		}
		return resp.Body.RequestId, nil
	})
}

// StartInstancesIn starts stopped instances (StartInstances).
func (c *Clients) StartInstancesIn(ctx context.Context, region string, ids []string) (string, error) {
	api := ecsAPI("StartInstances")
	api.unsafe = true
	if err := checkIDs(api, region, ids); err != nil {
		return "", err
	}
	client, err := c.ecsIn(api, region)
	if err != nil {
		return "", err
	}
	return c.write(ctx, api, strings.Join(ids, ","), func(ctx context.Context) (*string, error) {
		resp, err := client.StartInstancesWithContext(ctx, &ecs.StartInstancesRequest{
			RegionId: dara.String(region), InstanceId: ptrs(ids), BatchOptimization: dara.String("SuccessFirst"),
		}, runtime())
		if err != nil || resp.Body == nil {
			return nil, err
		}
		return resp.Body.RequestId, nil
	})
}

// DeleteInstancesIn releases stopped pay-as-you-go instances
// (DeleteInstances, without Force: a running instance is refused). It
// cannot be undone.
func (c *Clients) DeleteInstancesIn(ctx context.Context, region string, ids []string) (string, error) {
	api := ecsAPI("DeleteInstances")
	api.unsafe = true
	if err := checkIDs(api, region, ids); err != nil {
		return "", err
	}
	client, err := c.ecsIn(api, region)
	if err != nil {
		return "", err
	}
	return c.write(ctx, api, strings.Join(ids, ","), func(ctx context.Context) (*string, error) {
		resp, err := client.DeleteInstancesWithContext(ctx, &ecs.DeleteInstancesRequest{RegionId: dara.String(region), InstanceId: ptrs(ids)}, runtime())
		if err != nil || resp.Body == nil {
			return nil, err
		}
		return resp.Body.RequestId, nil
	})
}

// SecurityGroupRules lists a security group's ingress rules
// (DescribeSecurityGroupAttribute, Direction=ingress).
func (c *Clients) SecurityGroupRules(ctx context.Context, region, groupID string) ([]SecurityGroupRule, error) {
	api := ecsAPI("DescribeSecurityGroupAttribute")
	if !strings.HasPrefix(groupID, "sg-") {
		return nil, refuse(api, groupID, "security group ID %q: want sg-...", groupID)
	}
	client, err := c.ecsIn(api, region)
	if err != nil {
		return nil, err
	}
	var out []SecurityGroupRule
	next := ""
	for range maxPages {
		req := &ecs.DescribeSecurityGroupAttributeRequest{RegionId: dara.String(region), SecurityGroupId: dara.String(groupID), Direction: dara.String("ingress")}
		if next != "" {
			req.NextToken = dara.String(next)
		}
		var resp *ecs.DescribeSecurityGroupAttributeResponse
		err = c.call(ctx, api, groupID, func(ctx context.Context) (err error) {
			resp, err = client.DescribeSecurityGroupAttributeWithContext(ctx, req, runtime())
			return err
		})
		if err != nil {
			return nil, err
		}
		if resp.Body == nil {
			break
		}
		if resp.Body.Permissions != nil {
			for _, p := range resp.Body.Permissions.Permission {
				if p == nil {
					continue
				}
				out = append(out, SecurityGroupRule{Direction: str(p.Direction), IPProtocol: str(p.IpProtocol), PortRange: str(p.PortRange),
					SourceCidrIP: str(p.SourceCidrIp), Policy: str(p.Policy), Priority: str(p.Priority), NicType: str(p.NicType),
					RuleID: str(p.SecurityGroupRuleId), Description: str(p.Description)})
			}
		}
		next = str(resp.Body.NextToken)
		if next == "" {
			break
		}
	}
	return out, nil
}

// AuthorizeSecurityGroupRule adds an ingress rule (AuthorizeSecurityGroup).
func (c *Clients) AuthorizeSecurityGroupRule(ctx context.Context, region, groupID string, r SecurityGroupRule) (string, error) {
	api := ecsAPI("AuthorizeSecurityGroup")
	client, err := c.ecsIn(api, region)
	if err != nil {
		return "", err
	}
	req := &ecs.AuthorizeSecurityGroupRequest{RegionId: dara.String(region), SecurityGroupId: dara.String(groupID),
		IpProtocol: dara.String(r.IPProtocol), PortRange: dara.String(r.PortRange)}
	setRule(&req.SourceCidrIp, r.SourceCidrIP)
	setRule(&req.Policy, r.Policy)
	setRule(&req.Priority, r.Priority)
	setRule(&req.NicType, r.NicType)
	setRule(&req.Description, r.Description)
	return c.write(ctx, api, groupID, func(ctx context.Context) (*string, error) {
		resp, err := client.AuthorizeSecurityGroupWithContext(ctx, req, runtime())
		if err != nil || resp.Body == nil {
			return nil, err
		}
		return resp.Body.RequestId, nil
	})
}

// RevokeSecurityGroupRule removes an ingress rule (RevokeSecurityGroup,
// identified by protocol, ports, source and policy).
func (c *Clients) RevokeSecurityGroupRule(ctx context.Context, region, groupID string, r SecurityGroupRule) (string, error) {
	api := ecsAPI("RevokeSecurityGroup")
	client, err := c.ecsIn(api, region)
	if err != nil {
		return "", err
	}
	req := &ecs.RevokeSecurityGroupRequest{RegionId: dara.String(region), SecurityGroupId: dara.String(groupID),
		IpProtocol: dara.String(r.IPProtocol), PortRange: dara.String(r.PortRange)}
	setRule(&req.SourceCidrIp, r.SourceCidrIP)
	setRule(&req.Policy, r.Policy)
	setRule(&req.NicType, r.NicType)
	return c.write(ctx, api, groupID, func(ctx context.Context) (*string, error) {
		resp, err := client.RevokeSecurityGroupWithContext(ctx, req, runtime())
		if err != nil || resp.Body == nil {
			return nil, err
		}
		return resp.Body.RequestId, nil
	})
}

func setRule(dst **string, v string) {
	if v != "" {
		*dst = dara.String(v)
	}
}
