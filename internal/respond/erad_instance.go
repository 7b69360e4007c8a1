package respond

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/akresp/akresp/internal/cloud"
)

// KindInstanceState stops an ECS instance (StopInstances in the
// economical StopCharging mode: compute billing stops, disks stay) and
// undoes by starting it; KindReleaseInstance releases a stopped instance
// (DeleteInstances), which cannot be undone.
const (
	KindInstanceState   = "instance-state"
	KindReleaseInstance = "release-instance"
	// InstanceReleased is the pseudo-status of an instance that no longer
	// exists.
	InstanceReleased = "Released"
)

type instanceState struct {
	ID     string `json:"instance_id"`
	Region string `json:"region"`
	Status string `json:"status"` // Running | Stopped | Released | Pending | Starting | Stopping
	Type   string `json:"instance_type,omitempty"`
}

type instanceResource struct {
	c          EradicateCloud
	id, region string
	release    bool
}

func (r *instanceResource) kind() string {
	if r.release {
		return KindReleaseInstance
	}
	return KindInstanceState
}
func (r *instanceResource) target() string   { return r.id }
func (r *instanceResource) reversible() bool { return !r.release }
func (r *instanceResource) observe(ctx context.Context) (any, error) {
	return observeInstance(ctx, r.c, r.region, r.id)
}

func observeInstance(ctx context.Context, c InstanceManager, region, id string) (instanceState, error) {
	ins, err := c.DescribeInstancesIn(ctx, region, []string{id})
	if err != nil {
		return instanceState{}, err
	}
	for _, in := range ins {
		if in.InstanceID == id {
			return instanceState{ID: id, Region: region, Status: in.Status, Type: in.InstanceType}, nil
		}
	}
	return instanceState{ID: id, Region: region, Status: InstanceReleased}, nil
}

func (r *instanceResource) set(ctx context.Context, _, to any) (string, error) {
	s := to.(instanceState)
	var (
		rid string
		err error
	)
	switch s.Status {
	case "Stopped":
		rid, err = r.c.StopInstancesIn(ctx, r.region, []string{r.id}, true)
	case "Running":
		rid, err = r.c.StartInstancesIn(ctx, r.region, []string{r.id})
	case InstanceReleased:
		rid, err = r.c.DeleteInstancesIn(ctx, r.region, []string{r.id})
		if errors.Is(err, cloud.ErrNotFound) {
			err = nil
		}
	default:
		return "", fmt.Errorf("instance %s: cannot set status %s", r.id, s.Status)
	}
	return rid, err
}
func (r *instanceResource) equal(a, b any) bool {
	return strings.EqualFold(a.(instanceState).Status, b.(instanceState).Status)
}
func (r *instanceResource) text(s any) string {
	st := s.(instanceState)
	if st.Type != "" && st.Status != InstanceReleased {
		return st.Status + " (" + st.Type + ")"
	}
	return st.Status
}

func planStopInstance(c EradicateCloud, cur instanceState) *Action {
	to := cur
	to.Status = "Stopped"
	return newAction("stop-instance:"+cur.ID, &instanceResource{c: c, id: cur.ID, region: cur.Region}, cur, to,
		"stop instance "+cur.ID+" in "+cur.Region)
}

func planReleaseInstance(c EradicateCloud, cur instanceState) *Action {
	to := instanceState{ID: cur.ID, Region: cur.Region, Status: InstanceReleased}
	return newAction("release-instance:"+cur.ID, &instanceResource{c: c, id: cur.ID, region: cur.Region, release: true}, cur, to,
		"release instance "+cur.ID+" in "+cur.Region)
}

func init() {
	reb := func(release bool) func(EradicateCloud, []byte, []byte) (resource, any, any, error) {
		return func(c EradicateCloud, b, a []byte) (resource, any, any, error) {
			var x, y instanceState
			if err := errors.Join(json.Unmarshal(b, &x), json.Unmarshal(a, &y)); err != nil {
				return nil, nil, nil, err
			}
			return &instanceResource{c: c, id: x.ID, region: x.Region, release: release}, x, y, nil
		}
	}
	registerEradicateKind(KindInstanceState, reb(false))
	registerEradicateKind(KindReleaseInstance, reb(true))
}
