package respond_test

import (
	"context"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/respond"
)

// BenchmarkContainLatency measures contain of a RAM user's key (plan,
// apply, verify; no event audit) against a lab answering every call after
// 100 ms. The metrics are times divided by the latency. With the owner
// looked up, the plan takes two parallel rounds (owner, caller, policy;
// then ACL, attachments, key status); with the owner's UserPrincipalName
// given (--user) one. Apply takes two (create the policy and set the ACL in
// parallel, then attach); each action is re-read as soon as it is over, so
// only the attachment's re-read follows the apply: verify-round-trips is
// the time from the last action's end to the end of the run.
//
//	go test -run '^$' -bench ContainLatency -benchtime 3x ./internal/respond
func BenchmarkContainLatency(b *testing.B) {
	b.Run("owner-lookup", func(b *testing.B) { benchContain(b, false) })
	b.Run("user-upn", func(b *testing.B) { benchContain(b, true) })
}

func benchContain(b *testing.B, knownOwner bool) {
	const latency = 100 * time.Millisecond
	ctx := context.Background()
	var total, lookups, apply, verify time.Duration
	n := 0
	for b.Loop() {
		b.StopTimer()
		e := startLab(b, latency)
		leaked := e.info.Notes["leaked_key_id"]
		opts := respond.ContainOptions{KeyID: leaked, ACL: respond.ACLRequest{AllowIPs: []string{e.info.Notes["office_ip"] + "/32"}}, Now: time.Now}
		if knownOwner {
			opts.User = e.info.Notes["leaked_user"] + "@akresp-lab.onaliyun.com"
		}
		dir := b.TempDir()
		b.StartTimer()
		start := time.Now()
		p, err := respond.PlanContain(ctx, e.admin, opts)
		if err != nil {
			b.Fatal(err)
		}
		planned := time.Now()
		tv := &timingView{}
		sum, err := respond.Execute(ctx, p, respond.ExecOptions{StateDir: dir, Now: time.Now, RecheckAfter: 5 * time.Second, View: tv})
		if err != nil || sum.State != respond.StateContained {
			b.Fatalf("contain: %v %+v", err, sum)
		}
		end := time.Now()
		total += end.Sub(start)
		lookups += planned.Sub(start)
		apply += tv.last.Sub(tv.first)
		verify += end.Sub(tv.last)
		n++
		b.StopTimer()
		e.srv.Close()
		b.StartTimer()
	}
	rt := func(d time.Duration) float64 { return float64(d) / float64(n) / float64(latency) }
	b.ReportMetric(rt(total), "round-trips")
	b.ReportMetric(rt(lookups), "lookup-round-trips")
	b.ReportMetric(rt(apply), "apply-round-trips")
	b.ReportMetric(rt(verify), "verify-round-trips")
}

// timingView records when the first action started and the last finished.
type timingView struct {
	respond.NopView
	first, last time.Time
}

func (v *timingView) ActionStarted(*respond.Action) {
	if v.first.IsZero() {
		v.first = time.Now()
	}
}

func (v *timingView) ActionDone(*respond.Action, respond.Outcome) { v.last = time.Now() }
