package respond

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// A resource a legitimate source also wrote to is kept; what cannot be
// reverted is listed with its event; reads and refused calls are ignored.
func TestCollectFootprintKeptAndUnrecoverable(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	attacker, office := "203.0.113.66", "198.51.100.10"
	run := func(src, id string, at time.Duration) EventRef {
		return EventRef{Time: t0.Add(at), Name: "RunInstances", Service: "Ecs", Region: "us-west-1", SourceIP: src,
			Params:   map[string]string{"RegionId": "us-west-1"},
			Response: map[string]any{"InstanceIdSets": map[string]any{"InstanceIdSet": []any{id}}}}
	}
	ev := &EradicateEvidence{Flagged: []netip.Addr{netip.MustParseAddr(attacker)}, Events: []EventRef{
		run(attacker, "i-attacker", 0),
		run(attacker, "i-shared", time.Minute),
		{Time: t0.Add(2 * time.Minute), Name: "StopInstance", Service: "Ecs", SourceIP: office, Params: map[string]string{"InstanceId": "i-shared"}},
		{Time: t0.Add(3 * time.Minute), Name: "DeleteSnapshot", Service: "Ecs", SourceIP: attacker, Params: map[string]string{"SnapshotId": "s-1"}},
		{Time: t0.Add(4 * time.Minute), Name: "CreateUser", Service: "Ram", SourceIP: attacker, Params: map[string]string{"UserName": "evil"}, ErrorCode: "NoPermission"},
		{Time: t0.Add(5 * time.Minute), Name: "DescribeInstances", Service: "Ecs", SourceIP: office, Params: map[string]string{"InstanceId": "i-attacker"}},
		{Time: t0.Add(6 * time.Minute), Name: "AttachPolicyToUser", Service: "Ram", SourceIP: attacker,
			Params: map[string]string{"UserName": "alice", "PolicyName": "AdministratorAccess", "PolicyType": "System"}},
	}}
	f := collectFootprint(ev)
	if len(f.instances) != 1 || f.instances[0].id != "i-attacker" {
		t.Errorf("instances = %+v, want only i-attacker (i-shared is also the office's)", f.instances)
	}
	if len(f.kept) != 1 || !strings.Contains(f.kept[0], "i-shared") || !strings.Contains(f.kept[0], office) {
		t.Errorf("kept = %q, want i-shared kept naming %s", f.kept, office)
	}
	if len(f.unrecoverable) != 1 || !strings.Contains(f.unrecoverable[0].What, "s-1") || f.unrecoverable[0].Event.Name != "DeleteSnapshot" {
		t.Errorf("unrecoverable = %+v, want the deleted snapshot with its event", f.unrecoverable)
	}
	if len(f.createdUsers) != 0 {
		t.Errorf("created users = %v: a refused CreateUser created nothing", f.createdUsers)
	}
	if len(f.modified) != 1 || !strings.Contains(f.modified[0].what, "AdministratorAccess attached to alice") {
		t.Errorf("modified = %+v, want the policy attached to an existing user (revert only that)", f.modified)
	}
}
