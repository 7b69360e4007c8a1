package audit

import (
	"strings"
	"testing"
	"time"
)

// Tests for survivors of the 2026-12-06 gremlins run over
// rules_more_findings.go (the lines the earlier runs did not reach); each
// names the behaviour it pins (docs/mutation.md).

// EXEC-02 when no call names the command (a CreateCommand without its
// response, calls without CommandId): the finding is titled by the
// instance the command ran on, not left without a subject. Survivor
// rules_more_findings.go:156:12.
func TestCommandErasedNamedByInstanceWithoutID(t *testing.T) {
	r := moreResult(nil, func() []*Event {
		return []*Event{
			office(work, "Ecs", "CreateCommand", withParams("Name", "x", "Type", "RunShellScript")),
			office(work.Add(time.Minute), "Ecs", "InvokeCommand", withParams("InstanceId", `["i-bp1erased"]`)),
			office(work.Add(2*time.Minute), "Ecs", "DescribeInvocationResults", withParams("RegionId", "cn-hangzhou")),
			office(work.Add(3*time.Minute), "Ecs", "DeleteCommand", withParams("RegionId", "cn-hangzhou")),
		}
	})
	f := findFinding(r, "EXEC-02")
	if f == nil || f.Count != 4 || !strings.Contains(f.Title, "i-bp1erased") {
		t.Fatalf("EXEC-02 = %+v, want the 4 calls titled by instance i-bp1erased", f)
	}
}

// EXFIL-03 on a database clone: CloneDBInstance names the source database
// in the title ("rm-bp1prod cloned"), and one without DBInstanceId is still
// a finding ("database cloned"). The line had no test
// (rules_more_findings.go:341, a string join).
func TestDataLeavesDatabaseClone(t *testing.T) {
	for _, tc := range []struct {
		name, title string
		params      []string
	}{
		{"named", "rm-bp1prod cloned", []string{"DBInstanceId", "rm-bp1prod", "RegionId", "cn-hangzhou"}},
		{"unnamed", "database cloned", []string{"RegionId", "cn-hangzhou"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := moreResult(nil, one(intruder(work, "Rds", "CloneDBInstance", withParams(tc.params...))))
			f := findFinding(r, "EXFIL-03")
			if f == nil || f.Count != 1 || !strings.Contains(f.Title, tc.title) {
				t.Fatalf("EXFIL-03 = %+v, want one clone titled %q", f, tc.title)
			}
		})
	}
}
