package respond_test

import (
	"context"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/respond"
)

// BenchmarkContainLatency measures contain of a RAM user's key (owner
// lookup, plan, apply, verify; no event audit) against a lab answering every
// call after 100 ms. The metrics are times divided by the latency: lookups
// take two parallel rounds (owner, caller, policy; then ACL, attachments,
// key status), apply two (create policy and set ACL in parallel, then
// attach), and verification one more re-read round.
//
//	go test -run '^$' -bench ContainLatency -benchtime 3x ./internal/respond
func BenchmarkContainLatency(b *testing.B) {
	const latency = 100 * time.Millisecond
	ctx := context.Background()
	var total, lookups, apply time.Duration
	n := 0
	for b.Loop() {
		b.StopTimer()
		e := startLab(b, latency)
		leaked := e.info.Notes["leaked_key_id"]
		opts := respond.ContainOptions{KeyID: leaked, ACL: respond.ACLRequest{AllowIPs: []string{e.info.Notes["office_ip"] + "/32"}}, Now: time.Now}
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
		total += time.Since(start)
		lookups += planned.Sub(start)
		apply += tv.last.Sub(tv.first)
		n++
		b.StopTimer()
		e.srv.Close()
		b.StartTimer()
	}
	rt := func(d time.Duration) float64 { return float64(d) / float64(n) / float64(latency) }
	b.ReportMetric(rt(total), "round-trips")
	b.ReportMetric(rt(lookups), "lookup-round-trips")
	b.ReportMetric(rt(apply), "apply-round-trips")
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
