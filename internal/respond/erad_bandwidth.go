package respond

import (
	"context"
	"fmt"
	"strconv"
)

// KindBandwidth sets an instance's outbound public bandwidth back to what
// it was before the attacker raised it (ModifyInstanceNetworkSpec);
// undo raises it again.
const KindBandwidth = "instance-bandwidth"

type bandwidthState struct {
	ID     string `json:"instance_id"`
	Region string `json:"region"`
	Mbps   int    `json:"internet_max_bandwidth_out"`
}

type bandwidthResource struct {
	c          EradicateCloud
	id, region string
}

func (r *bandwidthResource) kind() string     { return KindBandwidth }
func (r *bandwidthResource) target() string   { return r.id }
func (r *bandwidthResource) reversible() bool { return true }
func (r *bandwidthResource) observe(ctx context.Context) (any, error) {
	ins, err := r.c.DescribeInstancesIn(ctx, r.region, []string{r.id})
	if err != nil {
		return nil, err
	}
	for _, in := range ins {
		if in.InstanceID == r.id {
			return bandwidthState{ID: r.id, Region: r.region, Mbps: in.InternetMaxBandwidthOut}, nil
		}
	}
	return nil, fmt.Errorf("instance %s no longer exists", r.id)
}
func (r *bandwidthResource) set(ctx context.Context, _, to any) (string, error) {
	return r.c.ModifyInstanceBandwidthIn(ctx, r.region, r.id, to.(bandwidthState).Mbps)
}
func (r *bandwidthResource) equal(a, b any) bool {
	return a.(bandwidthState).Mbps == b.(bandwidthState).Mbps
}
func (r *bandwidthResource) text(s any) string {
	return strconv.Itoa(s.(bandwidthState).Mbps) + " Mbit/s out"
}

// planRevertBandwidth plans lowering an instance's bandwidth from what
// the attacker set (raised) back to previous (-1 = unknown). It returns a
// to-do note instead where reverting is unknown or unsafe: a subscription
// (PrePaid) instance's downgrade is an order with a refund, and a previous
// value that is not in the evidence cannot be guessed.
func planRevertBandwidth(ctx context.Context, c EradicateCloud, region, id string, raised, previous int) (*Action, string, error) {
	ins, err := c.DescribeInstancesIn(ctx, region, []string{id})
	if err != nil {
		return nil, "", err
	}
	var found bool
	var cur bandwidthState
	for _, in := range ins {
		if in.InstanceID != id {
			continue
		}
		found, cur = true, bandwidthState{ID: id, Region: region, Mbps: in.InternetMaxBandwidthOut}
		if in.ChargeType == "PrePaid" {
			return nil, fmt.Sprintf("to do by hand: instance %s (subscription) had its bandwidth raised to %d Mbit/s by the attacker; lowering it is a refund order, so akresp leaves it to you (ModifyInstanceNetworkSpec)", id, raised), nil
		}
	}
	switch {
	case !found:
		return nil, fmt.Sprintf("instance %s no longer exists: its raised bandwidth went with it", id), nil
	case previous < 0:
		return nil, fmt.Sprintf("to do by hand: instance %s had its bandwidth raised to %d Mbit/s by the attacker; the value before is not in the evidence, set it back with ModifyInstanceNetworkSpec", id, raised), nil
	case cur.Mbps != raised:
		return nil, fmt.Sprintf("instance %s: the attacker set %d Mbit/s, it is now %d Mbit/s: left alone", id, raised, cur.Mbps), nil
	}
	r := &bandwidthResource{c: c, id: id, region: region}
	return newAction("bandwidth:"+id, r, cur, bandwidthState{ID: id, Region: region, Mbps: previous}, "set the bandwidth of instance "+id+" back"), "", nil
}

func init() {
	registerEradicateKind(KindBandwidth, func(c EradicateCloud, b, a []byte) (resource, any, any, error) {
		var x, y bandwidthState
		if err := decodeStates(b, a, &x, &y); err != nil {
			return nil, nil, nil, err
		}
		return &bandwidthResource{c: c, id: x.ID, region: x.Region}, x, y, nil
	})
}
