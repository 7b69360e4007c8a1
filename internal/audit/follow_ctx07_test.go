package audit

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestInstanceRolePivot: CTX-07 is critical for an instance role's
// session (its session name is the instance ID) used from a public
// address that is neither the instance's (its VPC) nor Alibaba's internal
// range, after the key read the instance's credentials from the metadata
// service through Cloud Assistant; the same session from the instance and
// from 100.64.0.0/10 raises nothing, and without the read it is high.
func TestInstanceRolePivot(t *testing.T) {
	const meta = "curl -s http://100.100.100.200/latest/meta-data/ram/security-credentials/"
	for _, tc := range []struct {
		name    string
		command string // what the key ran on the instance ("" = nothing)
		ips     []string
		want    Severity // -1: no CTX-07
	}{
		{"read names the role, used from outside", meta + "EcsRole", []string{"10.0.0.5", "203.0.113.9"}, Critical},
		{"read lists the roles, used from outside", meta, []string{"10.0.0.5", "203.0.113.9"}, Critical},
		{"read, used from the instance and Alibaba's range only", meta + "EcsRole", []string{"10.0.0.5", "100.104.1.1"}, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs := leakScenario()
			evs = append(evs, intruder(leakStart.Add(10*time.Minute), "Ecs", "RunCommand", withParams("InstanceId", "i-bp1abc", "CommandContent", b64(tc.command))))
			for i, ip := range tc.ips {
				opts := []evOpt{}
				if ip == "10.0.0.5" {
					opts = append(opts, withVPC("vpc-1"))
				}
				evs = append(evs, otherKey(leakStart.Add(time.Duration(15+i)*time.Minute), ip, "STS.instancePivot01", "EcsRole:i-bp1abc", opts...))
			}
			r := runEngine(baseOptions(), evs)
			f := findFinding(r, "CTX-07")
			switch {
			case tc.want < 0 && f != nil:
				t.Errorf("CTX-07 %s from %v, want none", f.Severity, f.IPs)
			case tc.want >= 0 && (f == nil || f.Severity != tc.want || len(f.IPs) != 1 || f.IPs[0] != "203.0.113.9"):
				t.Errorf("CTX-07 = %+v, want %s from 203.0.113.9; findings %v", f, tc.want, ids(r))
			}
		})
	}
}

// TestFollowInstanceRolePivot: offline, the key's Cloud Assistant read of
// an instance's role credentials makes the audit follow the sessions named
// after the instance; their use from outside after the read is a critical
// CTX-07 on the followed instance role, the instance's own and Alibaba's
// addresses are not, and without the read nothing is followed.
func TestFollowInstanceRolePivot(t *testing.T) {
	const (
		meta    = "curl -s http://100.100.100.200/latest/meta-data/ram/security-credentials/EcsRole"
		session = "EcsRole:i-bp1pivot"
		outside = "203.0.113.9"
	)
	build := func(read bool) []*Event {
		evs := leakScenario()
		evs = append(evs,
			otherKey(leakStart.Add(-3*time.Hour), "10.0.0.5", "STS.pivot0000000001", session, withVPC("vpc-1")),
			otherKey(leakStart.Add(15*time.Minute), "10.0.0.5", "STS.pivot0000000002", session, withVPC("vpc-1")),
			otherKey(leakStart.Add(16*time.Minute), "100.104.1.1", "STS.pivot0000000002", session),
			otherKey(leakStart.Add(17*time.Minute), outside, "STS.pivot0000000002", session),
		)
		if read {
			evs = append(evs, intruder(leakStart.Add(10*time.Minute), "Ecs", "RunCommand", withParams("InstanceId", "i-bp1pivot", "CommandContent", b64(meta))))
		}
		return evs
	}
	r := offlineFollowAudit(t, build(true), false)
	x := followedOf(r, FollowInstanceRole, "i-bp1pivot")
	if x == nil || x.RoleName != "ecsrole" || x.Events != 4 {
		t.Fatalf("instance role %+v not followed with its 4 session events; followed %+v", x, r.Followed)
	}
	if got, want := ViaText(x.Via), "key → RunCommand i-bp1pivot → DescribeInstances from "+outside; got != want {
		t.Errorf("chain %q, want %q", got, want)
	}
	var ctx07 *Finding
	for i := range x.Findings {
		if x.Findings[i].ID == "CTX-07" {
			ctx07 = &x.Findings[i]
		}
	}
	if ctx07 == nil || ctx07.Severity != Critical || len(ctx07.IPs) != 1 || ctx07.IPs[0] != outside || ctx07.Count != 1 {
		t.Errorf("CTX-07 %+v: want critical, the one use from %s", ctx07, outside)
	}
	if r.Verdict.Severity != Critical || !slices.ContainsFunc(r.Verdict.Reasons, func(s string) bool { return strings.Contains(s, "followed instance_role i-bp1pivot") }) {
		t.Errorf("verdict %s %q does not name the pivot", r.Verdict.Severity, r.Verdict.Reasons)
	}
	if n := offlineFollowAudit(t, build(false), false); followedOf(n, FollowInstanceRole, "i-bp1pivot") != nil {
		t.Errorf("without a credential read the instance's sessions are followed: %+v", n.Followed)
	}
}
