package audit

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// Tests for the mutation survivors of rules_more_events.go and
// rules_more_findings.go (the sequence, window and hourly rules CTX-07,
// EXEC-02, EXEC-04, PERS-08, EXFIL-01, EXFIL-03, COST-04, DEST-07 and
// EVADE-07). Expected values come from docs/rules.md (each rule's Logic)
// and the detection catalogue. Two conventions the docs leave implicit are
// the ones the rest of the package uses:
//
//   - ActionTrail's eventTime has one-second resolution, so calls logged in
//     the same second are "in that order" / "followed by" each other: a
//     tool's CreateCommand, InvokeCommand, DescribeInvocationResults and
//     DeleteCommand often share one second.
//   - "N or more within 10 minutes" counts calls in a 10-minute window
//     [t, t+10min), like CTX-04's window (TestConcurrentSourcesTenMinuteWindow:
//     minutes 0, 5 and 10 are not concurrent), whereas "followed within 30
//     minutes" (or 10, or an hour) is a gap of at most that long.
//
// Unless a test says otherwise the history is officeWeek's (ending two
// hours before leakStart) and the leak time is leakStart, so
// the baseline end is exactly leakStart (2025-03-11 11:00 UTC).

// moreResult runs the engine over officeWeek's history and the events
// extra returns, with the leak time at leakStart; mod changes the options.
func moreResult(mod func(*Options), extra func() []*Event) *Result {
	evSeq = 0
	evs := officeWeek(leakStart.Add(-2 * time.Hour))
	evs = append(evs, extra()...)
	opts := baseOptions()
	opts.LeakTime = leakStart
	if mod != nil {
		mod(&opts)
	}
	return runEngine(opts, evs)
}

// moreEvidence returns the evidence of f for API name (the first one in
// evidence order), or stops the test.
func moreEvidence(t *testing.T, f *Finding, name string) EvidenceRef {
	t.Helper()
	for _, ev := range f.Evidence {
		if ev.Name == name {
			return ev
		}
	}
	t.Fatalf("%s cites no %s: %+v", f.ID, name, f.Evidence)
	return EvidenceRef{}
}

// moreDiag reports whether the result warns with a summary containing s.
func moreDiag(r *Result, s string) bool {
	return slices.ContainsFunc(r.Diagnostics, func(d Diagnostic) bool { return strings.Contains(d.Summary, s) })
}

// moreCommandChain is EXEC-02's sequence for command c-1, the calls at the
// offsets given from work.
func moreCommandChain(create, invoke, results, del time.Duration) func() []*Event {
	return func() []*Event {
		return []*Event{
			office(work.Add(create), "Ecs", "CreateCommand", withParams("Name", "x", "Type", "RunShellScript"), withResp(map[string]any{"CommandId": "c-1"})),
			office(work.Add(invoke), "Ecs", "InvokeCommand", withParams("CommandId", "c-1", "InstanceId", `["i-1"]`)),
			office(work.Add(results), "Ecs", "DescribeInvocationResults", withParams("CommandId", "c-1")),
			office(work.Add(del), "Ecs", "DeleteCommand", withParams("CommandId", "c-1")),
		}
	}
}

// The evidence names the ids a call returned (the parameters that matter):
// CreateCommand's CommandId and AllocateEipAddress's AllocationId come from
// responseElements. Survivors rules_more_events.go:195 and 214.
func TestMoreEvidenceNamesReturnedIDs(t *testing.T) {
	r := moreResult(nil, moreCommandChain(0, time.Minute, 2*time.Minute, 3*time.Minute))
	f := mustFinding(t, r, "EXEC-02")
	if got, want := moreEvidence(t, f, "CreateCommand").Detail, "CommandId=c-1, Name=x, Type=RunShellScript"; got != want {
		t.Errorf("EXEC-02 cites CreateCommand with %q, want %q", got, want)
	}
	// EXEC-02 has no note: its why is the rule's own.
	if f.Why != ruleByID["EXEC-02"].Why {
		t.Errorf("EXEC-02 why = %q, want the rule's why alone", f.Why)
	}

	r = moreResult(nil, one(
		office(work, "Vpc", "AllocateEipAddress", withParams("Bandwidth", "5", "RegionId", "cn-hangzhou"), withResp(map[string]any{"AllocationId": "eip-1"})),
		office(work.Add(time.Minute), "Vpc", "AssociateEipAddress", withParams("AllocationId", "eip-1", "InstanceId", "i-db")),
	))
	f = mustFinding(t, r, "PERS-08")
	if got, want := moreEvidence(t, f, "AllocateEipAddress").Detail, "AllocationId=eip-1, Bandwidth=5, RegionId=cn-hangzhou"; got != want {
		t.Errorf("PERS-08 cites AllocateEipAddress with %q, want %q", got, want)
	}
}

// EVADE-07: DeleteCommand of another command than the one invoked (both
// log their CommandId) is no cleanup. Survivor rules_more_events.go:200.
func TestTraceCleanupOfAnotherCommand(t *testing.T) {
	r := moreResult(nil, one(
		office(work, "Ecs", "InvokeCommand", withParams("CommandId", "c-1", "InstanceId", "i-1")),
		office(work.Add(5*time.Minute), "Ecs", "DeleteCommand", withParams("CommandId", "c-2")),
	))
	if f := findFinding(r, "EVADE-07"); f != nil {
		t.Fatalf("EVADE-07 fired for c-1 invoked and c-2 deleted: %q", f.Title)
	}
}

// CTX-07 for an instance role the key touched through
// AttachInstanceRamRole or DescribeInstanceRamRole (RamRoleName), the
// session not named after an instance: high, not critical, when the only
// metadata read the key made was of another role. Survivors
// rules_more_events.go:253, rules_more_findings.go:447, 466 and 506.
func TestSTSOutsideInstanceRoleTouched(t *testing.T) {
	for _, api := range []string{"AttachInstanceRamRole", "DescribeInstanceRamRole"} {
		t.Run(api, func(t *testing.T) {
			r := moreResult(nil, one(
				office(work, "Ecs", api, withParams("RamRoleName", "OpsRole", "InstanceIds", `["i-9"]`)),
				otherKey(work.Add(10*time.Minute), "203.0.113.9", "STS.ops0001", "OpsRole:worker"),
			))
			f := mustFinding(t, r, "CTX-07")
			if f.Severity != High || !strings.HasSuffix(f.Title, ": opsrole from 203.0.113.9") || !slices.Equal(f.IPs, []string{"203.0.113.9"}) || f.Count != 1 {
				t.Errorf("CTX-07 = %s %q %v count %d, want high, opsrole from 203.0.113.9, one event", f.Severity, f.Title, f.IPs, f.Count)
			}
		})
	}
	t.Run("metadata read of another role", func(t *testing.T) {
		r := moreResult(nil, one(
			office(work, "Ecs", "RunCommand", withParams("InstanceId", "i-bp1", "CommandContent", b64(stealCreds))),
			office(work.Add(time.Minute), "Ecs", "AttachInstanceRamRole", withParams("RamRoleName", "OpsRole", "InstanceIds", `["i-9"]`)),
			otherKey(work.Add(10*time.Minute), "203.0.113.9", "STS.ops0001", "OpsRole:worker"),
		))
		f := mustFinding(t, r, "CTX-07")
		if f.Severity != High || strings.Contains(f.Why, "EXEC-03") {
			t.Errorf("CTX-07 = %s (%q), want high: the key read EcsRole's credentials, not OpsRole's", f.Severity, f.Why)
		}
	})
	t.Run("role not touched", func(t *testing.T) {
		r := moreResult(nil, one(
			office(work, "Ecs", "AttachInstanceRamRole", withParams("RamRoleName", "OpsRole", "InstanceIds", `["i-9"]`)),
			otherKey(work.Add(10*time.Minute), "203.0.113.9", "STS.web0001", "WebRole:worker"),
		))
		if f := findFinding(r, "CTX-07"); f != nil {
			t.Errorf("CTX-07 fired for a role the key never touched: %q", f.Title)
		}
	})
}

// CTX-07 for a role the key assumed, matched by the returned
// credentials.accessKeyId, also when the AssumeRole event logs no RoleArn.
// Survivor rules_more_events.go:261:11.
func TestSTSOutsideAssumedWithoutRoleArn(t *testing.T) {
	r := moreResult(nil, one(
		office(work, "Sts", "AssumeRole", withResp(map[string]any{"Credentials": map[string]any{"AccessKeyId": "STS.assumed0001"}})),
		otherKey(work.Add(10*time.Minute), "203.0.113.9", "STS.assumed0001", "deployer:s1"),
	))
	f := mustFinding(t, r, "CTX-07")
	if f.Severity != High || !strings.HasSuffix(f.Title, ": deployer from 203.0.113.9") {
		t.Errorf("CTX-07 = %s %q, want high, deployer from 203.0.113.9", f.Severity, f.Title)
	}
}

// CTX-07 is critical after a CreateCommand (not only a RunCommand) whose
// content reads the role's credentials from the metadata service.
// Survivor rules_more_events.go:267:24.
func TestSTSOutsideAfterCreateCommandMetadataRead(t *testing.T) {
	r := moreResult(nil, one(
		office(work, "Ecs", "CreateCommand", withParams("ContentEncoding", "PlainText", "CommandContent", stealCreds)),
		otherKey(work.Add(10*time.Minute), "203.0.113.9", "STS.inst0001", "EcsRole:i-bp7"),
	))
	f := mustFinding(t, r, "CTX-07")
	if f.Severity != Critical || !strings.HasSuffix(f.Title, ": ecsrole from 203.0.113.9") {
		t.Errorf("CTX-07 = %s %q, want critical, ecsrole from 203.0.113.9", f.Severity, f.Title)
	}
	if ev := moreEvidence(t, f, "CreateCommand"); !ev.Time.Equal(work) {
		t.Errorf("CTX-07 cites the CreateCommand at %s, want %s", ev.Time, work)
	}
}

// EXFIL-01 counts per clock hour: 300 downloads in one hour and 500 in the
// next fire for the second hour alone (500, the floor), never for 800.
// Survivor rules_more_events.go:296.
func TestBulkDownloadPerClockHour(t *testing.T) {
	h1, h2 := leakStart.Add(time.Hour), leakStart.Add(2*time.Hour)
	r := moreResult(nil, func() []*Event {
		return append(downloads(h1, attacker, 300, "corp-data"), downloads(h2, attacker, 500, "corp-data")...)
	})
	f := mustFinding(t, r, "EXFIL-01")
	want := "500 downloads in the hour from 2025-03-11 13:00 UTC (threshold 500)."
	if f.Count != 500 || !strings.Contains(f.Why, want) || strings.Contains(f.Why, "12:00") {
		t.Errorf("EXFIL-01 count %d, why %q; want 500 and %q only", f.Count, f.Why, want)
	}
	if !f.First.Equal(h2) {
		t.Errorf("EXFIL-01 first %s, want %s (the first download of the hour that fired)", f.First, h2)
	}
}

// EXFIL-01's sweep: 3 buckets in an hour fire when one of them was first
// read at or after the baseline end, or when the hour reads more buckets
// than any baseline hour. The baseline hour 16:00 read a, b and c.
// Survivors rules_more_events.go:308, 314, rules_more_findings.go:262, 266.
func TestBulkDownloadBucketSweep(t *testing.T) {
	get := func(at time.Time, bucket string) *Event {
		return office(at, "Oss", "GetObject", withParams("bucket", bucket, "object", "f/1", "http_status", "200"))
	}
	history := func() []*Event {
		return []*Event{get(leakStart.Add(-3*time.Hour), "a"), get(leakStart.Add(-3*time.Hour+time.Minute), "b"), get(leakStart.Add(-3*time.Hour+2*time.Minute), "c")}
	}
	for _, tc := range []struct {
		name  string
		after []*Event
		fires bool
	}{
		{"the baseline's buckets again", []*Event{get(work, "a"), get(work.Add(time.Minute), "b"), get(work.Add(2*time.Minute), "c")}, false},
		{"a new bucket", []*Event{get(work, "a"), get(work.Add(time.Minute), "b"), get(work.Add(2*time.Minute), "d")}, true},
		{"a bucket first read exactly at the baseline end", []*Event{get(leakStart, "e"), get(leakStart.Add(time.Minute), "a"), get(leakStart.Add(2*time.Minute), "b")}, true},
		{"two buckets", []*Event{get(work, "a"), get(work.Add(time.Minute), "d")}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := moreResult(nil, func() []*Event { return append(history(), tc.after...) })
			f := findFinding(r, "EXFIL-01")
			if (f != nil) != tc.fires {
				t.Fatalf("EXFIL-01 fired %v, want %v (%v)", f != nil, tc.fires, ids(r))
			}
			if f != nil && (f.Count != 3 || !strings.Contains(f.Why, "Objects from 3 buckets in the hour from")) {
				t.Errorf("EXFIL-01 count %d, why %q; want 3 and the buckets note", f.Count, f.Why)
			}
		})
	}
}

// EXFIL-01's hours: an hour ending exactly at the baseline end is a
// baseline hour (it does not fire, and it sets the volume threshold); the
// hour starting at the baseline end is judged. Survivors
// rules_more_findings.go:244 and 253.
func TestBulkDownloadBaselineHourEdges(t *testing.T) {
	lastBaselineHour := leakStart.Add(-time.Hour)
	t.Run("the hour ending at the baseline end does not fire", func(t *testing.T) {
		r := moreResult(nil, func() []*Event { return downloads(lastBaselineHour, officeA, 600, "corp-data") })
		if f := findFinding(r, "EXFIL-01"); f != nil {
			t.Fatalf("EXFIL-01 fired for a baseline hour: %q", f.Why)
		}
	})
	t.Run("and sets the threshold at 5 x 600", func(t *testing.T) {
		r := moreResult(nil, func() []*Event {
			return append(downloads(lastBaselineHour, officeA, 600, "corp-data"), downloads(work, officeA, 2999, "corp-data")...)
		})
		if f := findFinding(r, "EXFIL-01"); f != nil {
			t.Fatalf("EXFIL-01 fired under max(500, 5 x 600): %q", f.Why)
		}
	})
	t.Run("the hour starting at the baseline end fires", func(t *testing.T) {
		r := moreResult(nil, func() []*Event { return downloads(leakStart, attacker, 500, "corp-data") })
		f := mustFinding(t, r, "EXFIL-01")
		if want := "500 downloads in the hour from 2025-03-11 11:00 UTC (threshold 500)."; f.Count != 500 || !strings.Contains(f.Why, want) {
			t.Errorf("EXFIL-01 count %d why %q, want 500 and %q", f.Count, f.Why, want)
		}
	})
}

// EXFIL-01's time range is the downloads' own (not the hour's start), and
// it notes sources beyond the ones followed per hour only when there are
// some. Survivors rules_more_findings.go:280 and 304.
func TestBulkDownloadSpanAndNotes(t *testing.T) {
	start := work.Add(7 * time.Minute)
	r := moreResult(nil, func() []*Event { return downloads(start, attacker, 500, "corp-data") })
	f := mustFinding(t, r, "EXFIL-01")
	if !f.First.Equal(start) || !f.Last.Equal(start.Add(499*6*time.Second)) {
		t.Errorf("EXFIL-01 from %s to %s, want %s to %s", f.First, f.Last, start, start.Add(499*6*time.Second))
	}
	if want := ruleByID["EXFIL-01"].Why + " 500 downloads in the hour from 2025-03-12 02:00 UTC (threshold 500)."; f.Why != want {
		t.Errorf("EXFIL-01 why %q, want %q", f.Why, want)
	}
}

// EXFIL-01 follows maxGetSources (64) sources per hour: the downloads of a
// 65th are counted, and a note says how many came from beyond.
// Survivor rules_more_events.go:328.
func TestBulkDownloadSourcesBeyondBound(t *testing.T) {
	r := moreResult(nil, func() []*Event {
		var evs []*Event
		for s := range maxGetSources + 1 {
			evs = append(evs, downloads(work.Add(time.Duration(s)*10*time.Second), fmt.Sprintf("198.51.100.%d", s+1), 8, "corp-data")...)
		}
		return evs
	})
	f := mustFinding(t, r, "EXFIL-01")
	want := fmt.Sprintf("8 downloads of that hour came from sources beyond the %d followed per hour.", maxGetSources)
	if f.Count != 520 || !strings.Contains(f.Why, want) || len(f.IPs) != maxGetSources {
		t.Errorf("EXFIL-01 count %d, %d sources, why %q; want 520, %d sources and %q", f.Count, len(f.IPs), f.Why, maxGetSources, want)
	}
	if slices.Contains(f.IPs, "198.51.100.65") {
		t.Errorf("EXFIL-01 names the 65th source: %v", f.IPs)
	}
}

// EXFIL-03: CopyImage to a region the key first used exactly at the
// baseline end is a region it had not used before it; a backup listed in
// the same second or exactly 30 minutes after CreateBackup is within 30
// minutes. Survivors rules_more_findings.go:335 and 345.
func TestDataLeavesEdges(t *testing.T) {
	r := moreResult(nil, one(
		office(leakStart, "Ecs", "DescribeInstances", withRegion("eu-west-1")),
		office(work, "Ecs", "CopyImage", withParams("ImageId", "m-1", "DestinationRegionId", "eu-west-1")),
	))
	if f := mustFinding(t, r, "EXFIL-03"); !strings.Contains(f.Title, "image copied to eu-west-1") {
		t.Errorf("EXFIL-03 title %q, want the copy to eu-west-1", f.Title)
	}
	for _, gap := range []time.Duration{0, 30 * time.Minute} {
		r := moreResult(nil, one(
			office(work, "Rds", "CreateBackup", withParams("DBInstanceId", "rm-1")),
			office(work.Add(gap), "Rds", "DescribeBackups", withParams("DBInstanceId", "rm-1")),
		))
		f := findFinding(r, "EXFIL-03")
		if f == nil || !strings.Contains(f.Title, "rm-1 backed up") || f.Count != 2 {
			t.Errorf("backup listed %s after it was made: EXFIL-03 = %+v, want rm-1 backed up, 2 events", gap, f)
		}
	}
}

// COST-04: a compute creation in the same second as the balance query, or
// exactly an hour after it, is within an hour. Survivor
// rules_more_findings.go:362.
func TestBalanceThenSpendEdges(t *testing.T) {
	for _, gap := range []time.Duration{0, time.Hour} {
		r := moreResult(nil, one(
			office(work, "Bssopenapi", "QueryAccountBalance"),
			office(work.Add(gap), "Ecs", "RunInstances", withParams("InstanceType", "ecs.g7.large")),
		))
		f := findFinding(r, "COST-04")
		if f == nil || f.Count != 2 || !strings.Contains(f.Title, "QueryAccountBalance then RunInstances") {
			t.Errorf("RunInstances %s after the balance query: COST-04 = %+v, want it with 2 events", gap, f)
		}
	}
}

// EVADE-07: DeleteCommand in the same second as InvokeCommand or exactly
// 10 minutes after it; DeleteUser in the same second as the CreateUser;
// and a user deleted after its first creation though created again later.
// Survivors rules_more_findings.go:411, 421 and 427.
func TestTraceCleanupEdges(t *testing.T) {
	for _, gap := range []time.Duration{0, 10 * time.Minute} {
		r := moreResult(nil, one(
			office(work, "Ecs", "InvokeCommand", withParams("CommandId", "c-1", "InstanceId", "i-1")),
			office(work.Add(gap), "Ecs", "DeleteCommand", withParams("CommandId", "c-1")),
		))
		if f := findFinding(r, "EVADE-07"); f == nil || f.Count != 2 || !strings.Contains(f.Title, "command c-1") {
			t.Errorf("DeleteCommand %s after InvokeCommand: EVADE-07 = %+v, want command c-1, 2 events", gap, f)
		}
	}
	r := moreResult(nil, one(
		office(work, "Ram", "CreateUser", withParams("UserName", "tmp-admin")),
		office(work, "Ram", "DeleteUser", withParams("UserName", "tmp-admin")),
	))
	if f := findFinding(r, "EVADE-07"); f == nil || !strings.Contains(f.Title, "user tmp-admin") {
		t.Errorf("user created and deleted in one second: EVADE-07 = %+v, want user tmp-admin", f)
	}
	r = moreResult(nil, one(
		office(work, "Ram", "CreateUser", withParams("UserName", "tmp-admin")),
		office(work.Add(10*time.Minute), "Ram", "DeleteUser", withParams("UserName", "tmp-admin")),
		office(work.Add(20*time.Minute), "Ram", "CreateUser", withParams("UserName", "tmp-admin")),
	))
	if f := findFinding(r, "EVADE-07"); f == nil || !strings.Contains(f.Title, "user tmp-admin") || f.Count != 1 {
		t.Errorf("user created, deleted, created again: EVADE-07 = %+v, want the DeleteUser of tmp-admin", f)
	}
}

// EXEC-02: the four calls in one second are in order; DeleteCommand
// exactly 30 minutes after CreateCommand is within 30 minutes. Survivors
// rules_more_findings.go:124, 130 and 140.
func TestCommandErasedEdges(t *testing.T) {
	for name, chain := range map[string]func() []*Event{
		"one second":                    moreCommandChain(0, 0, 0, 0),
		"deleted at 30 minutes":         moreCommandChain(0, time.Minute, 2*time.Minute, 30*time.Minute),
		"results read as it is deleted": moreCommandChain(0, time.Minute, 3*time.Minute, 3*time.Minute),
	} {
		r := moreResult(nil, chain)
		if f := findFinding(r, "EXEC-02"); f == nil || f.Count != 4 || !strings.Contains(f.Title, "c-1") {
			t.Errorf("%s: EXEC-02 = %+v, want c-1 with 4 events", name, f)
		}
	}
}

// EXEC-04 and DEST-07 count in 10-minute windows [t, t+10min): calls at
// minutes 0, 2.5, 5, 7.5 and 10 are not 5 within 10 minutes, stops at 0, 5
// and 10 are not 3. Survivor rules_more_findings.go:182.
func TestBatchWindowsAreTenMinutes(t *testing.T) {
	r := moreResult(nil, func() []*Event {
		return repeat(5, func(i int) *Event {
			return office(work.Add(time.Duration(i)*150*time.Second), "Ecs", "RunCommand", withParams("InstanceId", fmt.Sprintf("i-%d", i), "Type", "RunShellScript"))
		})
	})
	if f := findFinding(r, "EXEC-04"); f != nil {
		t.Errorf("EXEC-04 fired for 5 invocations spanning exactly 10 minutes: %q", f.Why)
	}
	r = moreResult(nil, func() []*Event {
		return repeat(3, func(i int) *Event {
			return office(work.Add(time.Duration(i)*5*time.Minute), "Ecs", "StopInstance", withParams("InstanceId", fmt.Sprintf("i-prod%d", i)))
		})
	})
	if f := findFinding(r, "DEST-07"); f != nil {
		t.Errorf("DEST-07 fired for 3 stops spanning exactly 10 minutes: %q", f.Why)
	}
}

// EXEC-04's evidence lists up to 5 of an invocation's instances, with "…"
// when there are more; its why carries the note of the match. Survivors
// rules_more_events.go:441, 445 and rules_more_findings.go:104.
func TestBatchCommandsEvidence(t *testing.T) {
	r := moreResult(nil, one(
		office(work, "Ecs", "InvokeCommand", withParams("CommandId", "c-7", "InstanceId", `["i-1","i-2","i-3","i-4","i-5","i-6","i-7"]`)),
		office(work.Add(20*time.Minute), "Ecs", "InvokeCommand", withParams("CommandId", "c-5", "InstanceId", `["i-1","i-2","i-3","i-4","i-5"]`)),
	))
	f := mustFinding(t, r, "EXEC-04")
	var details []string
	for _, ev := range f.Evidence {
		details = append(details, ev.Detail)
	}
	slices.Sort(details)
	want := []string{
		"CommandId=c-5, 5 instances: i-1, i-2, i-3, i-4, i-5",
		"CommandId=c-7, 7 instances: i-1, i-2, i-3, i-4, i-5, …",
	}
	if !slices.Equal(details, want) {
		t.Errorf("EXEC-04 evidence details %q, want %q", details, want)
	}
	if want := ruleByID["EXEC-04"].Why + " One invocation targeted 5 or more instances."; f.Why != want {
		t.Errorf("EXEC-04 why %q, want %q", f.Why, want)
	}
}

// PERS-08: an EIP associated in the same second it was allocated.
// Survivor rules_more_findings.go:224.
func TestNetworkBackDoorSameSecond(t *testing.T) {
	r := moreResult(nil, one(
		office(work, "Vpc", "AllocateEipAddress", withResp(map[string]any{"AllocationId": "eip-1"})),
		office(work, "Vpc", "AssociateEipAddress", withParams("AllocationId", "eip-1", "InstanceId", "i-db")),
	))
	if f := findFinding(r, "PERS-08"); f == nil || f.Count != 2 || !strings.Contains(f.Title, "EIP eip-1") {
		t.Errorf("EIP allocated and associated in one second: PERS-08 = %+v, want EIP eip-1, 2 events", f)
	}
}

// CTX-07: the instance role's session used from outside in the same second
// as the metadata read is not one of the role's own sources (those come
// before the pivot) and is critical (the read comes first within its
// second). Survivors rules_more_findings.go:494 and 523.
func TestSTSOutsideAtThePivot(t *testing.T) {
	r := moreResult(nil, one(
		office(work, "Ecs", "RunCommand", withParams("InstanceId", "i-bp1", "CommandContent", b64(stealCreds))),
		otherKey(work, "203.0.113.9", "STS.instance0002", "EcsRole:i-bp1"),
	))
	f := mustFinding(t, r, "CTX-07")
	if f.Severity != Critical || !slices.Equal(f.IPs, []string{"203.0.113.9"}) {
		t.Errorf("CTX-07 = %s %v, want critical from 203.0.113.9", f.Severity, f.IPs)
	}
}

// CTX-07 does not flag an STS session used from a source the audited key
// itself uses routinely (known before the baseline end, trusted), but does
// from the key's new source. Survivor rules_more_findings.go:519.
func TestSTSOutsideFromTheKeysOwnSources(t *testing.T) {
	assume := office(work, "Sts", "AssumeRole", withParams("RoleArn", "acs:ram::"+testAccount+":role/deployer"),
		withResp(map[string]any{"Credentials": map[string]any{"AccessKeyId": "STS.assumed0001"}}))
	r := moreResult(nil, one(assume, otherKey(work.Add(10*time.Minute), officeA, "STS.assumed0001", "deployer:s1")))
	if f := findFinding(r, "CTX-07"); f != nil {
		t.Errorf("CTX-07 fired for the office's own address: %q", f.Title)
	}
	r = moreResult(nil, func() []*Event {
		return []*Event{
			intruder(work, "Sts", "AssumeRole", withParams("RoleArn", "acs:ram::"+testAccount+":role/deployer"),
				withResp(map[string]any{"Credentials": map[string]any{"AccessKeyId": "STS.assumed0001"}})),
			otherKey(work.Add(10*time.Minute), attacker, "STS.assumed0001", "deployer:s1"),
		}
	})
	if f := findFinding(r, "CTX-07"); f == nil || !slices.Equal(f.IPs, []string{attacker}) {
		t.Errorf("CTX-07 = %+v, want it from the key's new source %s", f, attacker)
	}
}

// CTX-07's evidence of an STS key's call keeps its error code. Survivor
// rules_more_events.go:379.
func TestSTSOutsideEvidenceErrorCode(t *testing.T) {
	r := moreResult(nil, one(
		office(work, "Sts", "AssumeRole", withResp(map[string]any{"Credentials": map[string]any{"AccessKeyId": "STS.assumed0001"}})),
		otherKey(work.Add(10*time.Minute), "203.0.113.9", "STS.assumed0001", "deployer:s1", withErr("Forbidden.RAM")),
		otherKey(work.Add(11*time.Minute), "203.0.113.9", "STS.assumed0001", "deployer:s1"),
	))
	f := mustFinding(t, r, "CTX-07")
	var codes []string
	for _, ev := range f.Evidence {
		if ev.SourceIP == "203.0.113.9" {
			codes = append(codes, ev.ErrorCode)
		}
	}
	if !slices.Equal(codes, []string{"Forbidden.RAM", ""}) {
		t.Errorf("CTX-07 evidence error codes %q, want Forbidden.RAM then none", codes)
	}
}

// CTX-07 takes the role from the session's userName even when its first
// event did not log one. Survivor rules_more_events.go:360.
func TestSTSOutsideUserNameLoggedLater(t *testing.T) {
	r := moreResult(nil, one(
		office(work, "Ecs", "AttachInstanceRamRole", withParams("RamRoleName", "OpsRole", "InstanceIds", `["i-9"]`)),
		otherKey(work.Add(5*time.Minute), "10.0.0.5", "STS.ops0001", "", withVPC("vpc-1")),
		otherKey(work.Add(10*time.Minute), "203.0.113.9", "STS.ops0001", "OpsRole:worker"),
	))
	f := mustFinding(t, r, "CTX-07")
	if !strings.HasSuffix(f.Title, ": opsrole from 203.0.113.9") {
		t.Errorf("CTX-07 title %q, want opsrole from 203.0.113.9", f.Title)
	}
}

// CTX-07 for the audited STS key itself: a new private address seen
// without a vpcId is judged like a public one. Survivor
// rules_more_findings.go:544.
func TestSTSKeyAuditedItselfPrivateWithoutVPC(t *testing.T) {
	const stsKey = "STS.instanceSelf0001"
	mk := func(at time.Time, ip string, opts ...evOpt) *Event {
		return tev(at, ip, "Ecs", "DescribeInstances", append([]evOpt{withKey(stsKey), withUser("EcsRole:i-bp1"), withUserType("assumed-role")}, opts...)...)
	}
	evSeq = 0
	var evs []*Event
	for h := range 48 {
		evs = append(evs, mk(work.Add(-time.Duration(48-h)*time.Hour), "10.0.0.5", withVPC("vpc-1")))
	}
	evs = append(evs, mk(work, "192.168.7.7"))
	opts := baseOptions()
	opts.KeyID = stsKey
	r := runEngine(opts, evs)
	f := mustFinding(t, r, "CTX-07")
	if !slices.Equal(f.IPs, []string{"192.168.7.7"}) || f.Count != 1 {
		t.Errorf("CTX-07 sources %v count %d, want 192.168.7.7 once", f.IPs, f.Count)
	}
}

// The bookkeeping of the sequence and window rules keeps maxMoreRecs
// (20,000) calls and warns when a call beyond them is dropped: 20,000
// DescribeBackups calls are kept without a warning, a 20,001st warns.
// Survivor rules_more_events.go:278.
func TestMoreRecsBound(t *testing.T) {
	for _, tc := range []struct {
		n      int
		warned bool
	}{{maxMoreRecs, false}, {maxMoreRecs + 1, true}} {
		evSeq = 0
		evs := repeat(tc.n, func(i int) *Event {
			return office(work.Add(time.Duration(i)*time.Second), "Rds", "DescribeBackups", withParams("DBInstanceId", "rm-1"))
		})
		r := runEngine(baseOptions(), evs)
		if got := moreDiag(r, fmt.Sprintf("more than %d Cloud Assistant", maxMoreRecs)); got != tc.warned {
			t.Errorf("%d calls: warned %v, want %v (%v)", tc.n, got, tc.warned, r.Diagnostics)
		}
	}
}

// EXFIL-01 remembers the first download of maxBucketsSeen (50,000)
// distinct buckets and warns when a further one is treated as known.
// Survivor rules_more_events.go:309.
func TestBulkDownloadBucketsBound(t *testing.T) {
	for _, tc := range []struct {
		n      int
		warned bool
	}{{maxBucketsSeen, false}, {maxBucketsSeen + 1, true}} {
		evSeq = 0
		evs := repeat(tc.n, func(i int) *Event {
			// 100 buckets an hour: an hour's bucket set stays small.
			return intruder(work.Add(time.Duration(i)*36*time.Second), "Oss", "GetObject", withParams("bucket", fmt.Sprintf("b%05d", i), "object", "x", "http_status", "200"))
		})
		r := runEngine(baseOptions(), evs)
		if got := moreDiag(r, fmt.Sprintf("more than %d distinct buckets", maxBucketsSeen)); got != tc.warned {
			t.Errorf("%d buckets: warned %v, want %v (%v)", tc.n, got, tc.warned, r.Diagnostics)
		}
	}
}

// CTX-07 follows maxSTSKeys (5,000) other STS keys and warns beyond.
// Survivor rules_more_events.go:353.
func TestSTSKeysBound(t *testing.T) {
	for _, tc := range []struct {
		n      int
		warned bool
	}{{maxSTSKeys, false}, {maxSTSKeys + 1, true}} {
		evSeq = 0
		evs := repeat(tc.n, func(i int) *Event {
			return otherKey(work.Add(time.Duration(i)*time.Second), "203.0.113.9", fmt.Sprintf("STS.k%05d", i), "OtherRole:s")
		})
		evs = append(evs, office(work, "Ecs", "DescribeInstances"))
		r := runEngine(baseOptions(), evs)
		if got := moreDiag(r, fmt.Sprintf("more than %d STS keys", maxSTSKeys)); got != tc.warned {
			t.Errorf("%d STS keys: warned %v, want %v (%v)", tc.n, got, tc.warned, r.Diagnostics)
		}
	}
}

// CTX-07 follows maxSTSSources (256) sources per STS key: an assumed
// role's session used from 257 public addresses is reported from the
// first 256. Survivor rules_more_events.go:366.
func TestSTSSourcesBound(t *testing.T) {
	r := moreResult(nil, func() []*Event {
		evs := []*Event{office(work, "Sts", "AssumeRole", withResp(map[string]any{"Credentials": map[string]any{"AccessKeyId": "STS.assumed0001"}}))}
		for i := range maxSTSSources + 1 {
			evs = append(evs, otherKey(work.Add(time.Duration(i+1)*time.Second), fmt.Sprintf("198.51.%d.%d", i/200, i%200+1), "STS.assumed0001", "deployer:s1"))
		}
		return evs
	})
	f := mustFinding(t, r, "CTX-07")
	last := fmt.Sprintf("198.51.%d.%d", maxSTSSources/200, maxSTSSources%200+1)
	if f.Count != maxSTSSources || len(f.IPs) != maxSTSSources || slices.Contains(f.IPs, last) {
		t.Errorf("CTX-07 count %d, %d sources (the 257th %s among them: %v); want %d", f.Count, len(f.IPs), last, slices.Contains(f.IPs, last), maxSTSSources)
	}
}

// A download logged at the Unix epoch's first hour (hour 0) is counted like
// any other. Survivor rules_more_events.go:296:8 (the per-hour cache
// read a nil hour for hour 0).
func TestBulkDownloadAtHourZero(t *testing.T) {
	evSeq = 0
	evs := downloads(time.Unix(0, 0), attacker, 500, "corp-data")
	r := runEngine(Options{KeyID: testKey, Now: time.Unix(7200, 0), TZ: shanghai}, evs)
	f := mustFinding(t, r, "EXFIL-01")
	if f.Count != 500 || !strings.Contains(f.Why, "500 downloads in the hour from 1970-01-01 00:00 UTC") {
		t.Errorf("EXFIL-01 count %d why %q, want the 500 downloads of 1970-01-01 00:00", f.Count, f.Why)
	}
}
