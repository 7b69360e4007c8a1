package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/akresp/akresp/internal/audit"
	"github.com/akresp/akresp/internal/cloud/slsq"
	"github.com/akresp/akresp/internal/lab/slsemu"
	"github.com/akresp/akresp/internal/redact"
)

// The SLS benchmark: the same 1,000,000 gentrail events once as trail
// files (what `akresp audit --trail` reads) and once in the lab's SLS
// logstore (what `akresp audit --sls` queries).
const (
	slsLeaked   = "LTAI5tLEAKEDbenchKEY0001"
	slsStart    = "2026-01-01T00:00:00Z"
	slsSpan     = 30 * 24 * time.Hour
	slsBenchAK  = "LTAI5tSLSBENCH0000000001"
	slsBenchSK  = "sls-bench-secret-0123456789"
	slsProject  = "trail-proj"
	slsLogstore = "actiontrail_bench"
)

// BenchmarkSLS times `audit --sls` (audit.InvestigateSLS against the lab's
// SLS endpoint over real HTTP with the real SDK) and `audit --trail`
// (audit.Investigate over the gzip files) for the leaked key among
// 1,000,000 events, and reports wall time and bytes transferred: the SLS
// endpoint's response bytes as sent against the trail files' compressed
// size (what must be downloaded before --trail can run). Both audits must
// give the same findings, or the benchmark fails.
//
//	go test ./bench -run '^$' -bench SLS -benchtime 1x
//
// BENCH_DIR keeps the generated trail files between runs;
// BENCH_SLS_EVENTS changes the number of events (default 1,000,000, in
// one file per 10,000 events). Loading the
// logstore (DuckDB) takes a minute or two and is not timed.
func BenchmarkSLS(b *testing.B) {
	slsEvents, slsFiles := 1_000_000, 100
	if v := os.Getenv("BENCH_SLS_EVENTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 10_000 {
			b.Fatalf("BENCH_SLS_EVENTS %q: want a number of at least 10000", v)
		}
		slsEvents, slsFiles = n, n/10_000
	}
	dir := os.Getenv("BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	trails := filepath.Join(dir, fmt.Sprintf("sls-trails-%d-%d", slsEvents, slsFiles))
	if _, err := os.Stat(filepath.Join(trails, ".done")); err != nil {
		b.Logf("generating %d events in %s", slsEvents, trails)
		os.RemoveAll(trails)
		cmd := exec.Command("go", "run", "./gentrail", "-n", strconv.Itoa(slsEvents), "-files", strconv.Itoa(slsFiles),
			"-out", trails, "-leaked", slsLeaked, "-start", slsStart, "-span", slsSpan.String())
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			b.Fatalf("gentrail: %v", err)
		}
		if err := os.WriteFile(filepath.Join(trails, ".done"), nil, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	files, err := filepath.Glob(filepath.Join(trails, "*.json.gz"))
	if err != nil || len(files) == 0 {
		b.Fatalf("no trail files in %s: %v", trails, err)
	}
	slices.Sort(files)
	var trailBytes int64
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			b.Fatal(err)
		}
		trailBytes += st.Size()
	}

	emu, err := slsemu.New(slsemu.Options{Credentials: map[string]string{slsBenchAK: slsBenchSK}})
	if err != nil {
		b.Fatal(err)
	}
	defer emu.Close()
	if err := emu.CreateLogstore(slsemu.LogstoreSpec{Project: slsProject, Name: slsLogstore}); err != nil {
		b.Fatal(err)
	}
	loadStart := time.Now()
	loaded := 0
	for _, f := range files {
		rows, err := readTrailRows(f)
		if err != nil {
			b.Fatal(err)
		}
		if err := emu.Append(context.Background(), slsProject, slsLogstore, rows); err != nil {
			b.Fatal(err)
		}
		loaded += len(rows)
	}
	if loaded != slsEvents {
		b.Fatalf("loaded %d events, want %d", loaded, slsEvents)
	}
	b.Logf("loaded %d events into the SLS logstore in %s", loaded, time.Since(loadStart).Round(time.Second))

	client, err := slsq.New(slsq.Config{
		Endpoint:        emu.Addr(),
		AccessKeyID:     slsBenchAK,
		AccessKeySecret: redact.Secret(slsBenchSK),
		UserAgent:       "akresp/bench",
	})
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()

	t0, _ := time.Parse(time.RFC3339, slsStart)
	since, until := t0, t0.Add(slsSpan)
	eo := audit.Options{KeyID: slsLeaked, Now: until.Add(time.Hour)}
	var slsWall, trailWall time.Duration
	var slsBytes, slsRaw, slsClient int64
	var slsCalls int
	var lastRep *audit.SLSReport
	var lastRes *audit.Result
	b.ResetTimer()
	for range b.N {
		emu.ResetStats()
		start := time.Now()
		viaSLS, rep, err := audit.InvestigateSLS(context.Background(), nil, client, audit.SLSOptions{
			Investigate: audit.InvestigateOptions{Engine: eo, Since: since, Until: until},
			Target:      slsq.Target{Project: slsProject, Logstore: slsLogstore},
		})
		slsWall += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		st := emu.Stats()
		slsBytes += st.BytesOut
		slsRaw += st.RawBytesOut
		slsClient += rep.BytesReceived
		slsCalls += rep.Calls

		start = time.Now()
		viaTrail, err := audit.Investigate(context.Background(), nil, audit.InvestigateOptions{Engine: eo, Since: since, Until: until, Trails: []string{trails}})
		trailWall += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if a, t := findingCounts(viaSLS), findingCounts(viaTrail); !slices.Equal(a, t) || viaSLS.Window.Events != viaTrail.Window.Events {
			b.Fatalf("--sls and --trail disagree: %d events %v against %d events %v", viaSLS.Window.Events, a, viaTrail.Window.Events, t)
		}
		if len(viaSLS.Findings) == 0 {
			b.Fatal("no findings: the comparison proves nothing")
		}
		lastRep, lastRes = rep, viaSLS
	}
	b.StopTimer()
	b.Logf("key events %d (%d fetched whole, %d in %d groups), findings %v, verdict %s", lastRep.Events, lastRep.RawEvents, lastRep.GroupedEvents, lastRep.GroupRows, findingCounts(lastRes), lastRes.Verdict.Status)
	n := float64(b.N)
	b.ReportMetric(slsWall.Seconds()/n, "sls-s")
	b.ReportMetric(trailWall.Seconds()/n, "trail-s")
	b.ReportMetric(float64(slsBytes)/n, "sls-bytes")
	b.ReportMetric(float64(slsRaw)/n, "sls-raw-bytes")
	b.ReportMetric(float64(slsClient)/n, "sls-client-bytes")
	b.ReportMetric(float64(trailBytes), "trail-bytes")
	b.ReportMetric(float64(slsCalls)/n, "sls-calls")
	b.ReportMetric(0, "ns/op")
}

// findingCounts lists "ID×count" per finding.
func findingCounts(r *audit.Result) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, fmt.Sprintf("%s×%d", f.ID, f.Count))
	}
	return out
}

// readTrailRows reads one gzip JSON-array trail file into logstore rows.
func readTrailRows(path string) ([]slsemu.Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	dec := json.NewDecoder(zr)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, fmt.Errorf("read %s: want a JSON array: %v", path, err)
	}
	var rows []slsemu.Row
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("read %s: event %d: %w", path, len(rows), err)
		}
		var head struct {
			EventTime string `json:"eventTime"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			return nil, fmt.Errorf("read %s: event %d: %w", path, len(rows), err)
		}
		t, err := time.Parse(time.RFC3339, head.EventTime)
		if err != nil {
			return nil, fmt.Errorf("read %s: event %d: eventTime %q: %w", path, len(rows), head.EventTime, err)
		}
		rows = append(rows, slsemu.Row{Time: t.Unix(), Event: raw})
	}
	if _, err := dec.Token(); err != nil && err != io.EOF {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return rows, nil
}
