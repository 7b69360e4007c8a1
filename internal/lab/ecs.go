package lab

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ECS (2014-05-26) instances and security groups as resources with state,
// and the lab's price table. They come from a scenario's ecs_instances and
// security_groups, from the history's ECS events (RunInstances,
// CreateInstance, Stop/Start/DeleteInstance(s), CreateSecurityGroup,
// Authorize/RevokeSecurityGroup; replayed in order when a scenario is
// built), and from calls the server answers. Actions not handled here fall
// through to the stateless generic handler.

// ECS is the lab's compute state.
type ECS struct {
	Instances      map[string]*ECSInstance      `json:"instances"`       // by instance ID
	SecurityGroups map[string]*ECSSecurityGroup `json:"security_groups"` // by security group ID
	// KeyPairs are SSH key pairs by region and name ("region/name");
	// Commands are Cloud Assistant commands by ID (ecs_eradicate.go).
	KeyPairs map[string]*ECSKeyPair `json:"key_pairs,omitempty"`
	Commands map[string]*ECSCommand `json:"commands,omitempty"`
}

// Instance statuses. Released instances stay in the world (status
// Released, absent from DescribeInstances) so that bills can still be
// computed for them.
const (
	ECSRunning  = "Running"
	ECSStopped  = "Stopped"
	ECSReleased = "Released"
)

// ECSInstance is one instance and its billing history.
type ECSInstance struct {
	ID             string            `json:"id"`
	Region         string            `json:"region"`
	Name           string            `json:"name,omitempty"`
	InstanceType   string            `json:"instance_type"`
	ChargeType     string            `json:"charge_type"` // PostPaid | PrePaid
	Status         string            `json:"status"`
	StoppedMode    string            `json:"stopped_mode,omitempty"`
	Created        time.Time         `json:"created"`
	Released       time.Time         `json:"released,omitzero"`
	CreatorKey     string            `json:"creator_key,omitempty"`
	SecurityGroups []string          `json:"security_groups,omitempty"`
	Tags           map[string]string `json:"tags,omitempty"`
	// InternetMaxBandwidthOut is the outbound public bandwidth in Mbit/s
	// (RunInstances / ModifyInstanceNetworkSpec).
	InternetMaxBandwidthOut int `json:"internet_max_bandwidth_out,omitempty"`
	// Billed are the periods the instance was billed for (running, or
	// stopped in KeepCharging mode); an open period has a zero End.
	Billed []ECSPeriod `json:"billed,omitempty"`
}

// ECSPeriod is a billed interval.
type ECSPeriod struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end,omitzero"`
}

// ECSSecurityGroup is a security group and its ingress rules.
type ECSSecurityGroup struct {
	ID      string      `json:"id"`
	Region  string      `json:"region"`
	Name    string      `json:"name,omitempty"`
	Created time.Time   `json:"created"`
	Rules   []ECSSGRule `json:"rules"`
}

// ECSSGRule is one ingress rule.
type ECSSGRule struct {
	RuleID       string    `json:"rule_id"`
	IPProtocol   string    `json:"ip_protocol"`
	PortRange    string    `json:"port_range"`
	SourceCidrIP string    `json:"source_cidr_ip,omitempty"`
	Policy       string    `json:"policy"`
	Priority     string    `json:"priority"`
	NicType      string    `json:"nic_type,omitempty"`
	Description  string    `json:"description,omitempty"`
	Created      time.Time `json:"created"`
}

// ECSPricePerHour is the lab's price table: CNY per hour of a pay-as-you-go
// instance by type. The figures are the lab's own round numbers, not
// Alibaba Cloud's prices; a type not listed costs ECSDefaultPrice. Bills
// (BSS QueryInstanceBill) are this price times the billed hours.
var ECSPricePerHour = map[string]float64{
	"ecs.t6-c1m1.large":      0.10,
	"ecs.g6.large":           0.50,
	"ecs.g7.large":           0.60,
	"ecs.c7.xlarge":          1.00,
	"ecs.g7.2xlarge":         2.00,
	"ecs.gn6i-c4g1.xlarge":   12.00,
	"ecs.gn6v-c8g1.2xlarge":  26.00,
	"ecs.gn7i-c16g1.4xlarge": 30.00,
}

// ECSDefaultPrice is the hourly price of a type not in ECSPricePerHour.
const ECSDefaultPrice = 1.00

// ECSPrice returns the lab's hourly price of an instance type.
func ECSPrice(instanceType string) float64 {
	if p, ok := ECSPricePerHour[instanceType]; ok {
		return p
	}
	return ECSDefaultPrice
}

// BilledHours is the instance's billed time within [from, to), in hours.
func (in *ECSInstance) BilledHours(from, to time.Time) float64 {
	var d time.Duration
	for _, p := range in.Billed {
		s, e := p.Start, p.End
		if e.IsZero() || e.After(to) {
			e = to
		}
		if s.Before(from) {
			s = from
		}
		if e.After(s) {
			d += e.Sub(s)
		}
	}
	return d.Hours()
}

func newECS() *ECS {
	return &ECS{Instances: map[string]*ECSInstance{}, SecurityGroups: map[string]*ECSSecurityGroup{},
		KeyPairs: map[string]*ECSKeyPair{}, Commands: map[string]*ECSCommand{}}
}

func cloneECS(e *ECS) *ECS {
	if e == nil {
		return nil
	}
	c := newECS()
	for k, v := range e.Instances {
		in := *v
		in.SecurityGroups = slices.Clone(v.SecurityGroups)
		in.Billed = slices.Clone(v.Billed)
		in.Tags = maps.Clone(v.Tags)
		c.Instances[k] = &in
	}
	for k, v := range e.SecurityGroups {
		g := *v
		g.Rules = slices.Clone(v.Rules)
		c.SecurityGroups[k] = &g
	}
	for k, v := range e.KeyPairs {
		kp := *v
		c.KeyPairs[k] = &kp
	}
	for k, v := range e.Commands {
		cmd := *v
		c.Commands[k] = &cmd
	}
	return c
}

// ecsOf returns the world's ECS state, creating it (from the recorded
// history) on first use.
func ecsOf(w *World) *ECS {
	if w.ECS == nil {
		w.ECS = newECS()
		replayECS(w.ECS, w.Events)
	}
	return w.ECS
}

// ---- state transitions (shared by calls and the history replay) ----

func (e *ECS) addInstance(id, region, typ, name, charge, key string, sgs []string, at time.Time) *ECSInstance {
	if charge == "" {
		charge = "PostPaid"
	}
	in := &ECSInstance{ID: id, Region: region, Name: name, InstanceType: typ, ChargeType: charge, Status: ECSRunning,
		Created: at.UTC(), CreatorKey: key, SecurityGroups: sgs, Billed: []ECSPeriod{{Start: at.UTC()}}}
	e.Instances[id] = in
	return in
}

func (in *ECSInstance) closeBilling(at time.Time) {
	if n := len(in.Billed); n > 0 && in.Billed[n-1].End.IsZero() {
		in.Billed[n-1].End = at.UTC()
	}
}

func (in *ECSInstance) stop(mode string, at time.Time) {
	if in.Status != ECSRunning {
		return
	}
	in.Status = ECSStopped
	if mode == "" {
		mode = "KeepCharging"
	}
	in.StoppedMode = mode
	// The lab bills compute only while running: StopCharging is what a
	// pay-as-you-go instance stopped to save cost gets; a KeepCharging
	// stop keeps billing.
	if mode == "StopCharging" || in.ChargeType == "PrePaid" {
		in.closeBilling(at)
	}
}

func (in *ECSInstance) start(at time.Time) {
	if in.Status != ECSStopped {
		return
	}
	if n := len(in.Billed); n == 0 || !in.Billed[n-1].End.IsZero() {
		in.Billed = append(in.Billed, ECSPeriod{Start: at.UTC()})
	}
	in.Status, in.StoppedMode = ECSRunning, ""
}

func (in *ECSInstance) release(at time.Time) {
	in.closeBilling(at)
	in.Status, in.Released, in.StoppedMode = ECSReleased, at.UTC(), ""
}

func (g *ECSSecurityGroup) find(r ECSSGRule) int {
	pol := func(s string) string {
		if s == "" {
			return "accept"
		}
		return strings.ToLower(s)
	}
	for i, x := range g.Rules {
		if strings.EqualFold(x.IPProtocol, r.IPProtocol) && x.PortRange == r.PortRange && x.SourceCidrIP == r.SourceCidrIP && pol(x.Policy) == pol(r.Policy) {
			return i
		}
	}
	return -1
}

func (g *ECSSecurityGroup) authorize(r ECSSGRule, at time.Time) {
	if g.find(r) >= 0 {
		return
	}
	if r.Policy == "" {
		r.Policy = "accept"
	}
	if r.Priority == "" {
		r.Priority = "1"
	}
	r.Created = at.UTC()
	r.RuleID = fmt.Sprintf("sgr-%s%03d", strings.TrimPrefix(g.ID, "sg-"), len(g.Rules)+1)
	g.Rules = append(g.Rules, r)
}

func (g *ECSSecurityGroup) revoke(r ECSSGRule) bool {
	i := g.find(r)
	if i < 0 {
		return false
	}
	g.Rules = slices.Delete(g.Rules, i, i+1)
	return true
}

// ---- history replay ----

// replayECS applies the successful ECS events of evs, oldest first.
func replayECS(e *ECS, evs []Event) {
	for i := range evs {
		ev := &evs[i]
		if ev.ServiceName != "Ecs" || ev.ErrorCode != "" {
			continue
		}
		p := func(k string) string {
			if v, ok := ev.RequestParameters[k]; ok {
				return fmt.Sprint(v)
			}
			return ""
		}
		region := ev.AcsRegion
		if r := p("RegionId"); r != "" {
			region = r
		}
		at := ev.Time
		switch ev.EventName {
		case "RunInstances", "CreateInstance":
			var ids []string
			if sets, ok := ev.ResponseElements["InstanceIdSets"].(map[string]any); ok {
				if list, ok := sets["InstanceIdSet"].([]any); ok {
					for _, x := range list {
						if s, ok := x.(string); ok {
							ids = append(ids, s)
						}
					}
				}
			}
			if id, ok := ev.ResponseElements["InstanceId"].(string); ok {
				ids = append(ids, id)
			}
			var sgs []string
			if sg := p("SecurityGroupId"); sg != "" {
				sgs = []string{sg}
			}
			bw, _ := strconv.Atoi(p("InternetMaxBandwidthOut"))
			for _, id := range ids {
				if _, ok := e.Instances[id]; !ok {
					in := e.addInstance(id, region, p("InstanceType"), p("InstanceName"), p("InstanceChargeType"), ev.UserIdentity.AccessKeyID, sgs, at)
					in.InternetMaxBandwidthOut = bw
				}
			}
		case "StopInstance", "StopInstances", "StartInstance", "StartInstances", "DeleteInstance", "DeleteInstances", "RebootInstance":
			for _, id := range eventInstanceIDs(ev.RequestParameters) {
				in, ok := e.Instances[id]
				if !ok {
					continue
				}
				switch ev.EventName {
				case "StopInstance", "StopInstances":
					mode := p("StoppedMode")
					if mode == "" && p("KeepCharging") == "false" {
						mode = "StopCharging"
					}
					in.stop(mode, at)
				case "StartInstance", "StartInstances":
					in.start(at)
				case "DeleteInstance", "DeleteInstances":
					in.release(at)
				}
			}
		case "ImportKeyPair", "CreateKeyPair", "DeleteKeyPairs", "CreateCommand", "DeleteCommand", "ModifyInstanceNetworkSpec":
			replayECSFootholds(e, ev, region, p)
		case "CreateSecurityGroup":
			id, _ := ev.ResponseElements["SecurityGroupId"].(string)
			if id != "" {
				if _, ok := e.SecurityGroups[id]; !ok {
					e.SecurityGroups[id] = &ECSSecurityGroup{ID: id, Region: region, Name: p("SecurityGroupName"), Created: at.UTC(), Rules: []ECSSGRule{}}
				}
			}
		case "AuthorizeSecurityGroup", "RevokeSecurityGroup":
			g, ok := e.SecurityGroups[p("SecurityGroupId")]
			if !ok {
				continue
			}
			r := ECSSGRule{IPProtocol: strings.ToLower(p("IpProtocol")), PortRange: p("PortRange"), SourceCidrIP: p("SourceCidrIp"),
				Policy: strings.ToLower(p("Policy")), Priority: p("Priority"), NicType: p("NicType"), Description: p("Description")}
			if ev.EventName == "AuthorizeSecurityGroup" {
				g.authorize(r, at)
			} else {
				g.revoke(r)
			}
		}
	}
}

// eventInstanceIDs reads InstanceId, InstanceId.N and InstanceIds (a JSON
// array) from request parameters.
func eventInstanceIDs(params map[string]any) []string {
	var ids []string
	for k, v := range params {
		s := fmt.Sprint(v)
		switch {
		case k == "InstanceId" && strings.HasPrefix(s, "["):
			var list []string
			if json.Unmarshal([]byte(s), &list) == nil {
				ids = append(ids, list...)
			}
		case k == "InstanceId" || strings.HasPrefix(k, "InstanceId."):
			ids = append(ids, s)
		case k == "InstanceIds":
			var list []string
			if json.Unmarshal([]byte(s), &list) == nil {
				ids = append(ids, list...)
			}
		}
	}
	sort.Strings(ids)
	return slices.Compact(ids)
}

// ---- the API ----

// ecsRoute serves the stateful ECS actions and BSS QueryInstanceBill; ok
// is false for every other call (the generic handler answers those).
func ecsRoute(c *call) (jobj, *apiError, bool) {
	switch c.version + "/" + c.action {
	case "2014-05-26/RunInstances":
		r, e := ecsRunInstances(c)
		return r, e, true
	case "2014-05-26/CreateInstance":
		r, e := ecsCreateInstance(c)
		return r, e, true
	case "2014-05-26/DescribeInstances":
		r, e := ecsDescribeInstances(c)
		return r, e, true
	case "2014-05-26/StopInstances", "2014-05-26/StartInstances", "2014-05-26/DeleteInstances",
		"2014-05-26/StopInstance", "2014-05-26/StartInstance", "2014-05-26/DeleteInstance":
		r, e := ecsInstanceOp(c)
		return r, e, true
	case "2014-05-26/CreateSecurityGroup":
		r, e := ecsCreateSecurityGroup(c)
		return r, e, true
	case "2014-05-26/DescribeSecurityGroupAttribute":
		r, e := ecsDescribeSecurityGroupAttribute(c)
		return r, e, true
	case "2014-05-26/AuthorizeSecurityGroup", "2014-05-26/RevokeSecurityGroup":
		r, e := ecsSecurityGroupRule(c)
		return r, e, true
	case "2014-05-26/ImportKeyPair", "2014-05-26/CreateKeyPair", "2014-05-26/DescribeKeyPairs", "2014-05-26/DeleteKeyPairs",
		"2014-05-26/CreateCommand", "2014-05-26/DescribeCommands", "2014-05-26/DeleteCommand", "2014-05-26/ModifyInstanceNetworkSpec":
		r, e := ecsFootholdRoute(c)
		return r, e, true
	case "2017-12-14/QueryInstanceBill":
		r, e := bssQueryInstanceBill(c)
		return r, e, true
	}
	return nil, nil, false
}

// ecsRegion is the region an ECS call acts in: RegionId (required by the
// API), else the endpoint's.
func (c *call) ecsRegion() (string, *apiError) {
	if r := c.param("RegionId"); r != "" {
		return r, nil
	}
	if r := hostRegion(c.host); r != "" {
		return r, nil
	}
	return "", errMissing("RegionId")
}

func ecsNotFound(id string) *apiError {
	return newError(http.StatusNotFound, "InvalidInstanceId.NotFound", "The specified InstanceId does not exist: %s.", id)
}

func ecsRunInstances(c *call) (jobj, *apiError) {
	region, aerr := c.ecsRegion()
	if aerr != nil {
		return nil, aerr
	}
	amount, aerr := c.intParam("Amount", 1, 1, 100)
	if aerr != nil {
		return nil, aerr
	}
	typ, aerr := c.require("InstanceType")
	if aerr != nil {
		return nil, aerr
	}
	bw, aerr := c.intParam("InternetMaxBandwidthOut", 0, 0, 100)
	if aerr != nil {
		return nil, aerr
	}
	e := ecsOf(c.w)
	var sgs []string
	if sg := c.param("SecurityGroupId"); sg != "" {
		sgs = []string{sg}
	}
	ids := make([]string, amount)
	for i := range ids {
		ids[i] = "i-" + randomString(lowerAlnum, 20)
		in := e.addInstance(ids[i], region, typ, c.param("InstanceName"), c.param("InstanceChargeType"), c.principal.keyID, sgs, c.now)
		in.InternetMaxBandwidthOut = bw
	}
	return jobj{"InstanceIdSets": jobj{"InstanceIdSet": ids}, "OrderId": randomID(15),
		"TradePrice": math.Round(ECSPrice(typ)*float64(amount)*100) / 100}, nil
}

func ecsCreateInstance(c *call) (jobj, *apiError) {
	region, aerr := c.ecsRegion()
	if aerr != nil {
		return nil, aerr
	}
	typ, aerr := c.require("InstanceType")
	if aerr != nil {
		return nil, aerr
	}
	var sgs []string
	if sg := c.param("SecurityGroupId"); sg != "" {
		sgs = []string{sg}
	}
	id := "i-" + randomString(lowerAlnum, 20)
	in := ecsOf(c.w).addInstance(id, region, typ, c.param("InstanceName"), c.param("InstanceChargeType"), c.principal.keyID, sgs, c.now)
	// CreateInstance leaves the instance Stopped (it is started by
	// StartInstance) and unbilled until then.
	in.Status, in.Billed = ECSStopped, nil
	return jobj{"InstanceId": id, "OrderId": randomID(15), "TradePrice": ECSPrice(typ)}, nil
}

func ecsInstanceJSON(in *ECSInstance) jobj {
	sgs := in.SecurityGroups
	if sgs == nil {
		sgs = []string{}
	}
	mode := in.StoppedMode
	if mode == "" {
		mode = "Not-applicable"
	}
	tags := []jobj{}
	for _, k := range slices.Sorted(maps.Keys(in.Tags)) {
		tags = append(tags, jobj{"TagKey": k, "TagValue": in.Tags[k]})
	}
	return jobj{"InstanceId": in.ID, "RegionId": in.Region, "InstanceName": in.Name, "InstanceType": in.InstanceType,
		"Status": in.Status, "InstanceChargeType": in.ChargeType, "StoppedMode": mode,
		"CreationTime":     in.Created.UTC().Format("2006-01-02T15:04Z"),
		"SecurityGroupIds": jobj{"SecurityGroupId": sgs}, "Tags": jobj{"Tag": tags},
		"InternetMaxBandwidthOut": in.InternetMaxBandwidthOut}
}

func ecsDescribeInstances(c *call) (jobj, *apiError) {
	pageSize, aerr := c.intParam("PageSize", 10, 1, 100)
	if aerr != nil {
		return nil, aerr
	}
	pageNumber, aerr := c.intParam("PageNumber", 1, 1, 1<<30)
	if aerr != nil {
		return nil, aerr
	}
	region, aerr := c.ecsRegion()
	if aerr != nil {
		return nil, aerr
	}
	var want map[string]bool
	if v := c.param("InstanceIds"); v != "" {
		var ids []string
		if err := json.Unmarshal([]byte(v), &ids); err != nil || len(ids) > 100 {
			return nil, errInvalidParam("InstanceIds", "The specified parameter InstanceIds is not a JSON array of at most 100 IDs.")
		}
		want = map[string]bool{}
		for _, id := range ids {
			want[id] = true
		}
	}
	// A read must not change the world: without ECS state, read a replay.
	e := c.w.ECS
	if e == nil {
		e = newECS()
		replayECS(e, c.w.Events)
	}
	var list []*ECSInstance
	for _, in := range e.Instances {
		if in.Region != region || in.Status == ECSReleased || (want != nil && !want[in.ID]) {
			continue
		}
		if st := c.param("Status"); st != "" && st != in.Status {
			continue
		}
		list = append(list, in)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	total := len(list)
	from := min((pageNumber-1)*pageSize, total)
	to := min(from+pageSize, total)
	out := make([]jobj, 0, to-from)
	for _, in := range list[from:to] {
		out = append(out, ecsInstanceJSON(in))
	}
	return jobj{"Instances": jobj{"Instance": out}, "TotalCount": total, "PageNumber": pageNumber, "PageSize": pageSize}, nil
}

// ecsInstanceOp serves Stop/Start/Delete for one instance (InstanceId) or
// many (InstanceId.N, at most 100).
func ecsInstanceOp(c *call) (jobj, *apiError) {
	plural := strings.HasSuffix(c.action, "s")
	var ids []string
	if plural {
		for i := 1; ; i++ {
			v := c.param("InstanceId." + strconv.Itoa(i))
			if v == "" {
				break
			}
			ids = append(ids, v)
		}
		if len(ids) == 0 || len(ids) > 100 {
			return nil, errInvalidParam("InstanceId", "The specified parameter InstanceId.N must list 1 to 100 instances.")
		}
	} else {
		id, aerr := c.require("InstanceId")
		if aerr != nil {
			return nil, aerr
		}
		ids = []string{id}
	}
	e := ecsOf(c.w)
	var region string
	if plural {
		r, aerr := c.ecsRegion()
		if aerr != nil {
			return nil, aerr
		}
		region = r
	}
	// Check every instance before changing any (AllTogether semantics for
	// the checks; the lab's operations do not fail half-way).
	verb := strings.TrimSuffix(strings.TrimSuffix(c.action, "s"), "Instance")
	for _, id := range ids {
		in, ok := e.Instances[id]
		if !ok || in.Status == ECSReleased || (region != "" && in.Region != region) {
			return nil, ecsNotFound(id)
		}
		switch verb {
		case "Delete":
			force, _ := c.boolParam("Force", false)
			if in.Status == ECSRunning && !force {
				return nil, newError(http.StatusForbidden, "IncorrectInstanceStatus", "The current status of the resource does not support this operation: %s is Running; stop it first or pass Force.", id)
			}
		}
	}
	results := []jobj{}
	for _, id := range ids {
		in := e.Instances[id]
		prev := in.Status
		switch verb {
		case "Stop":
			mode := c.param("StoppedMode")
			if mode == "" && c.param("KeepCharging") == "false" {
				mode = "StopCharging"
			}
			in.stop(mode, c.now)
		case "Start":
			in.start(c.now)
		case "Delete":
			in.release(c.now)
		}
		results = append(results, jobj{"InstanceId": id, "Code": "200", "Message": "success", "PreviousStatus": prev, "CurrentStatus": in.Status})
	}
	if plural && verb != "Delete" {
		return jobj{"InstanceResponses": jobj{"InstanceResponse": results}}, nil
	}
	return jobj{}, nil
}

func ecsCreateSecurityGroup(c *call) (jobj, *apiError) {
	region, aerr := c.ecsRegion()
	if aerr != nil {
		return nil, aerr
	}
	id := "sg-" + randomString(lowerAlnum, 20)
	ecsOf(c.w).SecurityGroups[id] = &ECSSecurityGroup{ID: id, Region: region, Name: c.param("SecurityGroupName"), Created: c.now, Rules: []ECSSGRule{}}
	return jobj{"SecurityGroupId": id}, nil
}

func ecsGroup(c *call, e *ECS) (*ECSSecurityGroup, *apiError) {
	id, aerr := c.require("SecurityGroupId")
	if aerr != nil {
		return nil, aerr
	}
	region, aerr := c.ecsRegion()
	if aerr != nil {
		return nil, aerr
	}
	g, ok := e.SecurityGroups[id]
	if !ok || g.Region != region {
		return nil, newError(http.StatusNotFound, "InvalidSecurityGroupId.NotFound", "The specified SecurityGroupId does not exist: %s.", id)
	}
	return g, nil
}

func ecsDescribeSecurityGroupAttribute(c *call) (jobj, *apiError) {
	e := c.w.ECS
	if e == nil {
		e = newECS()
		replayECS(e, c.w.Events)
	}
	g, aerr := ecsGroup(c, e)
	if aerr != nil {
		return nil, aerr
	}
	perms := []jobj{}
	if d := c.param("Direction"); d == "" || d == "all" || d == "ingress" {
		for _, r := range g.Rules {
			perms = append(perms, jobj{"SecurityGroupRuleId": r.RuleID, "Direction": "ingress", "IpProtocol": strings.ToUpper(r.IPProtocol),
				"PortRange": r.PortRange, "SourceCidrIp": r.SourceCidrIP, "Policy": strings.Title(r.Policy), "Priority": r.Priority, //nolint:staticcheck // ASCII words
				"NicType": r.NicType, "Description": r.Description, "CreateTime": r.Created.UTC().Format(time.RFC3339)})
		}
	}
	return jobj{"SecurityGroupId": g.ID, "SecurityGroupName": g.Name, "RegionId": g.Region, "InnerAccessPolicy": "Accept",
		"Permissions": jobj{"Permission": perms}}, nil
}

func ecsSecurityGroupRule(c *call) (jobj, *apiError) {
	e := ecsOf(c.w)
	g, aerr := ecsGroup(c, e)
	if aerr != nil {
		return nil, aerr
	}
	proto, aerr := c.require("IpProtocol")
	if aerr != nil {
		return nil, aerr
	}
	ports, aerr := c.require("PortRange")
	if aerr != nil {
		return nil, aerr
	}
	r := ECSSGRule{IPProtocol: strings.ToLower(proto), PortRange: ports, SourceCidrIP: c.param("SourceCidrIp"),
		Policy: strings.ToLower(c.param("Policy")), Priority: c.param("Priority"), NicType: c.param("NicType"), Description: c.param("Description")}
	if c.action == "AuthorizeSecurityGroup" {
		g.authorize(r, c.now)
	} else {
		// RevokeSecurityGroup of a rule that does not exist succeeds, as
		// on ECS.
		g.revoke(r)
	}
	return jobj{}, nil
}
