// Package bench holds akresp's end-to-end benchmarks: the idle sweep on
// the lab (this file) and the offline audit (offline.sh). Results and how
// to read them are in README.md.
package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/akresp/akresp/internal/audit"
	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/lab"
	"github.com/akresp/akresp/internal/redact"
)

const (
	sweepUsers    = 1000
	sweepUsers10k = 10_000
	sweepLatency  = 20 * time.Millisecond
	quotaScale    = 10 // real quotas scaled ten-fold, on the lab and in the client
)

// benchParallelisms are the --parallelism values measured: the default
// must keep every API at its quota despite the latency without churning
// connections (internal/cloud keeps 128 idle connections per host).
var benchParallelisms = []int{16, 32, 64}

func TestMain(m *testing.M) {
	os.Setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
	os.Exit(m.Run())
}

// sweepScenario is an account of n users with two keys each (one of them
// used a day ago), an admin, and a console user without MFA per ten users.
func sweepScenario(n int) []byte {
	type user struct {
		Name    string `json:"name"`
		Created string `json:"created"`
	}
	type key struct {
		ID      string `json:"id"`
		Secret  string `json:"secret"`
		Owner   string `json:"owner"`
		Created string `json:"created"`
		Status  string `json:"status,omitempty"`
	}
	type event struct {
		Time      string `json:"time"`
		AccessKey string `json:"access_key"`
		SourceIP  string `json:"source_ip"`
		Version   string `json:"version"`
		Action    string `json:"action"`
	}
	type login struct {
		User string `json:"user"`
	}
	sc := map[string]any{"name": "sweep-bench", "seed": 7, "region": "cn-hangzhou", "account": map[string]string{"id": "1234567890123456", "alias": "bench"}}
	users := []user{{"admin", "-600d"}}
	keys := []key{{ID: "LTAI5tBENCHADMIN00000001", Secret: "benchAdminSecret00000000000001", Owner: "admin", Created: "-60d"}}
	var events []event
	var logins []login
	for i := range n {
		name := fmt.Sprintf("user%04d", i)
		users = append(users, user{name, "-400d"})
		for j := range 2 {
			id := fmt.Sprintf("LTAI5tBENCH%04dK%d0000000", i, j)
			k := key{ID: id, Secret: fmt.Sprintf("benchSecret%04d%d000000000000000", i, j)[:30], Owner: name, Created: strconv.Itoa(-(100 + j*200)) + "d"}
			if j == 1 && i%3 == 0 {
				k.Status = "Inactive"
			}
			keys = append(keys, k)
		}
		events = append(events, event{Time: "-1d@10:00", AccessKey: fmt.Sprintf("LTAI5tBENCH%04dK00000000", i), SourceIP: "127.0.0.10", Version: "2014-05-26", Action: "DescribeInstances"})
		if i%10 == 0 {
			logins = append(logins, login{name})
		}
	}
	sc["users"], sc["access_keys"], sc["events"], sc["login_profiles"] = users, keys, events, logins
	sc["attachments"] = []map[string]string{{"policy": "AdministratorAccess", "user": "admin"}}
	b, _ := json.Marshal(sc)
	return b
}

// peakRSS reads the process's peak resident set (VmHWM) in MB; 0 when
// /proc is not there. The lab runs in the same process, so this is an
// upper bound for the sweep alone.
func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// labQuota mirrors the published per-API quotas the lab enforces
// (alibaba-cloud-api.md section 19), requests per second.
func labQuota(action string) float64 {
	switch {
	case action == "Ram:ListUsers", strings.HasPrefix(action, "Ram:Get"), strings.HasPrefix(action, "Ram:List"),
		strings.HasPrefix(action, "Ims:Get"), strings.HasPrefix(action, "Ims:List"):
		return 100
	case strings.HasPrefix(action, "Actiontrail:GetAccessKeyLastUsed"):
		return 50
	case strings.HasPrefix(action, "Ims:"), strings.HasPrefix(action, "Ram:"):
		return 20
	}
	return 100
}

// BenchmarkSweep10k is BenchmarkSweep with 10,000 users at the default
// parallelism (32): the lab's per-user lookups are indexed, so it measures
// akresp at scale rather than the emulator (issue 12).
func BenchmarkSweep10k(b *testing.B) {
	for _, mode := range []string{audit.ReportNever, audit.ReportAlways} {
		b.Run(fmt.Sprintf("report=%s/parallelism=%d", mode, audit.DefaultSweepParallelism), func(b *testing.B) {
			benchSweepUsers(b, sweepUsers10k, mode, audit.DefaultSweepParallelism)
		})
	}
}

// BenchmarkSweep sweeps 1,000 users with two keys each on the lab with
// 20 ms latency and quotas scaled ten-fold. It reports the wall time over
// the floor the quotas set (the busiest API's calls / its quota; 1.00 is
// perfect) and the peak RSS.
func BenchmarkSweep(b *testing.B) {
	for _, mode := range []string{audit.ReportNever, audit.ReportAlways} {
		for _, par := range benchParallelisms {
			b.Run(fmt.Sprintf("report=%s/parallelism=%d", mode, par), func(b *testing.B) {
				benchSweep(b, mode, par)
			})
		}
	}
}

func benchSweep(b *testing.B, mode string, par int) { benchSweepUsers(b, sweepUsers, mode, par) }

func benchSweepUsers(b *testing.B, users int, mode string, par int) {
	sc, err := lab.ParseScenario(sweepScenario(users))
	if err != nil {
		b.Fatal(err)
	}
	w, info, err := sc.Build(time.Now())
	if err != nil {
		b.Fatal(err)
	}
	srv, err := lab.New(lab.Options{World: w, Latency: sweepLatency, QuotaScale: quotaScale})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	cred := info.Credentials["admin"]
	c, err := cloud.New(context.Background(), cloud.Config{Endpoint: "http://" + srv.Addr(), RateScale: quotaScale, Version: "bench",
		Credential: &cloud.StaticCredential{AccessKeyID: cred.AccessKeyID, AccessKeySecret: redact.Secret(cred.AccessKeySecret)}})
	if err != nil {
		b.Fatal(err)
	}
	var ratio, floor float64
	b.ResetTimer()
	for b.Loop() {
		before := srv.Stats().ByAction
		start := time.Now()
		r, err := audit.Sweep(context.Background(), c, audit.SweepOptions{UseCredentialReport: mode, Parallelism: par})
		wall := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Keys) != 2*users+1 || r.Summary.Diagnostics > 1 {
			b.Fatalf("%d keys, diagnostics %+v", len(r.Keys), r.Diagnostics)
		}
		floor = 0
		for action, n := range srv.Stats().ByAction {
			calls := float64(n - before[action])
			floor = max(floor, calls/(labQuota(action)*quotaScale))
		}
		ratio = wall.Seconds() / floor
	}
	st := srv.Stats()
	b.ReportMetric(ratio, "wall/floor")
	b.ReportMetric(floor, "floor-s")
	b.ReportMetric(peakRSS(), "peak-RSS-MB")
	b.ReportMetric(float64(st.Throttled), "throttled")
}
