package respond

import (
	"fmt"
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

// What the attacker created and eradicate does not remove itself (a
// database, an SMS signature, a virtual MFA device never bound) is listed
// by hand with its event and console; the office's own creations, refused
// calls, a device the attacker bound (eradicate removes it) and RAM
// identities (planned) are not; the list is bounded.
func TestCollectFootprintByHand(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	attacker, office := "203.0.113.66", "198.51.100.10"
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	ev := &EradicateEvidence{Flagged: []netip.Addr{netip.MustParseAddr(attacker)}, Events: []EventRef{
		{Time: at(0), Name: "CreateDBInstance", Service: "Rds", Region: "cn-hangzhou", SourceIP: attacker,
			Params: map[string]string{"RegionId": "cn-hangzhou", "DBInstanceClass": "rds.mysql.s1.small"}, Response: map[string]any{"DBInstanceId": "rm-evil"}},
		{Time: at(1), Name: "CreateDBInstance", Service: "Rds", Region: "cn-hangzhou", SourceIP: office, Response: map[string]any{"DBInstanceId": "rm-office"}},
		{Time: at(2), Name: "AddSmsSign", Service: "Dysms", SourceIP: attacker, Params: map[string]string{"SignName": "FreeGift"}},
		{Time: at(3), Name: "PutBucket", Service: "Oss", SourceIP: attacker, Params: map[string]string{"BucketName": "loot"}, ErrorCode: "AccessDenied"},
		{Time: at(4), Name: "CreateVirtualMFADevice", Service: "Ram", SourceIP: attacker,
			Response: map[string]any{"VirtualMFADevice": map[string]any{"SerialNumber": "acs:ram::1:mfa/never-bound"}}},
		{Time: at(5), Name: "CreateVirtualMFADevice", Service: "Ram", SourceIP: attacker,
			Response: map[string]any{"VirtualMFADevice": map[string]any{"SerialNumber": "acs:ram::1:mfa/bound"}}},
		{Time: at(6), Name: "BindMFADevice", Service: "Ram", SourceIP: attacker, Params: map[string]string{"UserName": "alice", "SerialNumber": "acs:ram::1:mfa/bound"}},
		{Time: at(7), Name: "CreateUser", Service: "Ram", SourceIP: attacker, Params: map[string]string{"UserName": "evil"}},
	}}
	f := collectFootprint(ev)
	var got []string
	for _, b := range f.byHand {
		got = append(got, b.What+" @"+b.Event.Name)
		if b.Where == "" {
			t.Errorf("%q says not where to remove it", b.What)
		}
	}
	want := []string{
		"Rds CreateDBInstance DBInstanceId=rm-evil in cn-hangzhou @CreateDBInstance",
		"Dysms AddSmsSign SignName=FreeGift @AddSmsSign",
		"virtual MFA device acs:ram::1:mfa/never-bound created and never bound @CreateVirtualMFADevice",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("by hand =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(f.byHand[0].Where, "RDS console") {
		t.Errorf("the database's where = %q, want the RDS console", f.byHand[0].Where)
	}

	// Bounded: an attacker's object per call does not make the list endless.
	ev.Events = nil
	for i := range maxByHand + 5 {
		ev.Events = append(ev.Events, EventRef{Time: at(i), Name: "PutObject", Service: "Oss", SourceIP: attacker,
			Params: map[string]string{"ObjectName": fmt.Sprintf("o-%d", i)}})
	}
	f = collectFootprint(ev)
	if len(f.byHand) != maxByHand || f.byHandOmitted != 5 {
		t.Errorf("by hand %d, omitted %d; want %d and 5", len(f.byHand), f.byHandOmitted, maxByHand)
	}
}
