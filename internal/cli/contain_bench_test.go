package cli

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/lab"
	"github.com/akresp/akresp/internal/redact"
	"github.com/akresp/akresp/internal/respond"
)

// BenchmarkContainCommand measures `akresp contain LEAKED --allow-ip OFFICE
// --yes` end to end (lookups, the audit of the key's events, plan, apply,
// verify) on the builtin:leak lab answering every call after 100 ms. The
// metric is the wall time divided by the latency: the number of sequential
// round trips the command pays.
//
//	go test -run '^$' -bench ContainCommand -benchtime 3x ./internal/cli
func BenchmarkContainCommand(b *testing.B) {
	const latency = 100 * time.Millisecond
	os.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
	for _, bc := range []struct {
		name string
		mod  func(o *ContainOptions, owner string)
	}{
		{"audit", func(*ContainOptions, string) {}},
		{"no-audit", func(o *ContainOptions, _ string) { o.NoAudit = true }},
		{"audit+user-upn", func(o *ContainOptions, owner string) { o.User = owner }},
		{"no-audit+user-upn", func(o *ContainOptions, owner string) { o.NoAudit = true; o.User = owner }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var total time.Duration
			n := 0
			for b.Loop() {
				b.StopTimer()
				sc, err := lab.LoadScenario("builtin:leak")
				if err != nil {
					b.Fatal(err)
				}
				w, info, err := sc.Build(time.Now())
				if err != nil {
					b.Fatal(err)
				}
				srv, err := lab.New(lab.Options{World: w, Latency: latency})
				if err != nil {
					b.Fatal(err)
				}
				admin := info.Credentials["admin"]
				c, err := cloud.New(context.Background(), cloud.Config{Endpoint: "http://" + srv.Addr(), MaxAttempts: 1, RateScale: 1000,
					Credential: &cloud.StaticCredential{AccessKeyID: admin.AccessKeyID, AccessKeySecret: redact.Secret(admin.AccessKeySecret)}})
				if err != nil {
					b.Fatal(err)
				}
				ios, _, _, errOut := TestStreams()
				s := &Settings{Yes: true, Output: FormatJSON, StateDir: b.TempDir(), TZ: time.UTC}
				o := &ContainOptions{IO: ios, Now: time.Now, KeyID: info.Notes["leaked_key_id"], Lookback: 7 * 24 * time.Hour,
					PolicyName: respond.DefaultPolicyName, AllowIPs: []string{info.Notes["office_cidr"]}, // both office addresses (TestRunContainLab)
					Settings: func() (*Settings, error) { return s, nil },
					Backend:  func(context.Context) (ContainCloud, error) { return c, nil }}
				bc.mod(o, info.Notes["leaked_user"]+"@akresp-lab.onaliyun.com")
				b.StartTimer()
				start := time.Now()
				if err := runContain(context.Background(), o); err != nil {
					b.Fatalf("contain: %v\n%s", err, errOut)
				}
				total += time.Since(start)
				n++
				b.StopTimer()
				srv.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(total)/float64(n)/float64(latency), "round-trips")
		})
	}
}
