package audit

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

// The OSS delivery shape of issue 14: 1,000,000 events in 10,000 gzip
// files of 100, the audited key busy (~15% of the events, ~7,600 sources).
// Generate it once and point AKRESP_BENCH_DELIVERY at it:
//
//	go run ./bench/gentrail -busy -files 10000 -per 100 -out /tmp/delivery
//	AKRESP_BENCH_DELIVERY=/tmp/delivery go test ./internal/audit -run '^$' \
//	    -bench Delivery -benchtime 1x -cpuprofile cpu.out -memprofile mem.out
//
// Without it the benchmarks skip.

const deliveryKey = "LTAI5tLEAKEDbenchKEY0001"

func deliveryDir(b *testing.B) string {
	b.Helper()
	d := os.Getenv("AKRESP_BENCH_DELIVERY")
	if d == "" {
		b.Skip("AKRESP_BENCH_DELIVERY not set (bench/gentrail -busy -files 10000 -per 100 output)")
	}
	return d
}

// BenchmarkDeliveryRead is the read path alone under the audit's options
// (key filter, reused events): inflate, scan, parse the key's events.
func BenchmarkDeliveryRead(b *testing.B) { benchDeliveryRead(b, false) }

// BenchmarkDeliveryReadIndexed is the read path noting, per file, the
// identities its records name (the trail index the follow passes select
// files by, trailindex.go).
func BenchmarkDeliveryReadIndexed(b *testing.B) { benchDeliveryRead(b, true) }

func benchDeliveryRead(b *testing.B, indexed bool) {
	dir := deliveryDir(b)
	var events, matched int64
	b.ReportAllocs()
	cpu0 := cpuClasses()
	for b.Loop() {
		o := ReadOptions{KeyID: deliveryKey, ReuseEvents: true}
		if indexed {
			o.Index = NewTrailIndex()
		}
		st, _, err := ReadTrails(context.Background(), []string{dir}, o, func(*Event) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
		events += st.Events + st.Filtered
		matched += st.Events
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(matched)/float64(b.N), "matched/op")
	reportCPU(b, cpu0)
}

// reportCPU reports the runtime's CPU estimate per run since cpu0: the
// program's own work, the collector's, and the processors' idle time.
func reportCPU(b *testing.B, cpu0 [3]float64) {
	cpu := cpuClasses()
	b.ReportMetric((cpu[0]-cpu0[0])/float64(b.N), "user-s/op")
	b.ReportMetric((cpu[1]-cpu0[1])/float64(b.N), "gc-cpu-s/op")
	b.ReportMetric((cpu[2]-cpu0[2])/float64(b.N), "idle-s/op")
}

// BenchmarkDeliveryInflate is the floor under every offline reader of this
// shape: the files read and inflated by as many goroutines as there are
// processors, with the same gzip package and Reset reuse as the readers,
// the output discarded (no scanning, no parsing, no engine).
func BenchmarkDeliveryInflate(b *testing.B) {
	files, err := filepath.Glob(filepath.Join(deliveryDir(b), "*.json.gz"))
	if err != nil || len(files) == 0 {
		b.Fatalf("no *.json.gz under the delivery directory (%v)", err)
	}
	var out atomic.Int64
	b.ReportAllocs()
	for b.Loop() {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range runtime.GOMAXPROCS(0) {
			wg.Go(func() {
				var zr gzip.Reader
				buf := make([]byte, readChunk)
				for i := next.Add(1) - 1; i < int64(len(files)); i = next.Add(1) - 1 {
					data, err := os.ReadFile(files[i])
					if err != nil {
						b.Error(err)
						return
					}
					if err := zr.Reset(bytes.NewReader(data)); err != nil {
						b.Errorf("%s: %v", files[i], err)
						return
					}
					n, err := io.CopyBuffer(io.Discard, &zr, buf)
					if err != nil {
						b.Errorf("%s: %v", files[i], err)
						return
					}
					out.Add(n)
				}
			})
		}
		wg.Wait()
	}
	b.ReportMetric(float64(out.Load())/float64(b.N)/(1<<20), "MBinflated/op")
	b.ReportMetric(float64(out.Load())/b.Elapsed().Seconds()/(1<<20), "MB/s")
}

// BenchmarkDeliveryShape is the offline audit end to end (read, inflate,
// parse, every rule, the result) of the busy key.
func BenchmarkDeliveryShape(b *testing.B) {
	dir := deliveryDir(b)
	var events int64
	b.ReportAllocs()
	cpu0 := cpuClasses()
	for b.Loop() {
		start := time.Now()
		stage := 0
		r, err := Investigate(context.Background(), nil, InvestigateOptions{
			Engine: deliveryOptions(),
			Trails: []string{dir},
			// AKRESP_BENCH_NOFOLLOW=1 leaves out the passes that follow
			// created identities (follow.go), to time the key's own audit.
			NoFollow: os.Getenv("AKRESP_BENCH_NOFOLLOW") != "",
			// The stages' times show where the wall time goes (-v).
			Progress: func(msg string) {
				b.Logf("%6.2fs %s", time.Since(start).Seconds(), msg)
				// AKRESP_BENCH_HEAP_STAGE=FILE writes what is live when a
				// stage starts (FILE-1, FILE-2, ...): the peak is one of them.
				if p := os.Getenv("AKRESP_BENCH_HEAP_STAGE"); p != "" {
					stage++
					writeHeap(b, fmt.Sprintf("%s-%d", p, stage))
				}
			},
		})
		if err != nil {
			b.Fatal(err)
		}
		events += int64(r.Window.Events + r.Window.Filtered)
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	reportCPU(b, cpu0)
}

// cpuClasses is the runtime's estimate of the CPU time spent so far on
// the program's own work, by the collector and idle, in seconds. The
// runtime brings it up to date at its collections: good over whole runs,
// not between two points of one.
func cpuClasses() [3]float64 {
	s := []metrics.Sample{
		{Name: "/cpu/classes/user:cpu-seconds"},
		{Name: "/cpu/classes/gc/total:cpu-seconds"},
		{Name: "/cpu/classes/idle:cpu-seconds"},
	}
	metrics.Read(s)
	return [3]float64{s[0].Value.Float64(), s[1].Value.Float64(), s[2].Value.Float64()}
}

// BenchmarkDeliveryAdd is the first pass alone: the read path feeding the
// engine (no Result, no follow passes).
func BenchmarkDeliveryAdd(b *testing.B) {
	dir := deliveryDir(b)
	var events int64
	b.ReportAllocs()
	for b.Loop() {
		eng, st := deliveryEngine(b, dir)
		events += st.Events + st.Filtered
		if p := os.Getenv("AKRESP_BENCH_HEAP"); p != "" {
			// What the engine holds once every event is in (what Result
			// starts from): a heap profile after a collection.
			b.ReportMetric(writeHeap(b, p), "liveMB")
		}
		runtime.KeepAlive(eng)
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkDeliveryEngine is Engine.Add alone over the busy key's
// events of the delivery shape, read once into memory before the timer
// starts (the deliverer's share of the audit, without the readers that run
// beside it).
func BenchmarkDeliveryEngine(b *testing.B) {
	dir := deliveryDir(b)
	var evs []*Event
	if _, _, err := ReadTrails(context.Background(), []string{dir}, ReadOptions{KeyID: deliveryKey}, func(ev *Event) error {
		evs = append(evs, ev)
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		eng := NewEngine(deliveryOptions())
		for _, ev := range evs {
			eng.Add(ev)
		}
		runtime.KeepAlive(eng)
	}
	b.ReportMetric(float64(len(evs))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkDeliveryResult is the rules alone (Engine.Result) over the busy
// key's aggregates: each run reads the files into a new engine with the
// timer stopped, collects, and times Result.
func BenchmarkDeliveryResult(b *testing.B) {
	dir := deliveryDir(b)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		eng, _ := deliveryEngine(b, dir)
		runtime.GC()
		b.StartTimer()
		if r := eng.Result(); len(r.Findings) == 0 {
			b.Fatal("no findings")
		}
	}
}

// deliveryOptions are the engine options of the delivery benchmarks.
func deliveryOptions() Options {
	return Options{KeyID: deliveryKey, Now: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
}

// deliveryEngine reads the delivery files into a new engine, as the
// audit's first pass does.
func deliveryEngine(b *testing.B, dir string) (*Engine, Stats) {
	eng := NewEngine(deliveryOptions())
	st, _, err := ReadTrails(context.Background(), []string{dir}, ReadOptions{KeyID: deliveryKey, ReuseEvents: true}, func(ev *Event) error {
		eng.Add(ev)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return eng, st
}

// writeHeap writes a heap profile to path after a collection, outside the
// timer, and returns the live heap in MB.
func writeHeap(b *testing.B, path string) float64 {
	b.StopTimer()
	defer b.StartTimer()
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		b.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	mb := func(n uint64) float64 { return float64(n) / (1 << 20) }
	// What the runtime holds beside the live objects: partly used spans
	// (in use - live), spans kept for reuse (idle - released), metadata.
	b.Logf("live heap %.1f MB, spans in use %.1f MB, idle not released %.1f MB, GC and other metadata %.1f MB (%s)",
		mb(ms.HeapAlloc), mb(ms.HeapInuse), mb(ms.HeapIdle-ms.HeapReleased), mb(ms.GCSys+ms.OtherSys+ms.MSpanSys+ms.MCacheSys+ms.BuckHashSys+ms.StackSys), path)
	return float64(ms.HeapAlloc) / (1 << 20)
}

// BenchmarkDeliverySkip passes over every element of the first 200
// delivery files, inflated in memory beforehand, the way the reader passes
// over other keys' events (skipMasked): "plain" without a trail index,
// "notes" noting the identities each element names. The difference is what
// the index costs the first pass per byte of skipped input.
func BenchmarkDeliverySkip(b *testing.B) {
	files, err := filepath.Glob(filepath.Join(deliveryDir(b), "*.json.gz"))
	if err != nil || len(files) == 0 {
		b.Fatalf("no *.json.gz under the delivery directory (%v)", err)
	}
	var texts [][]byte
	var total int64
	for _, f := range files[:min(200, len(files))] {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		text := gunzip(b, data)
		texts = append(texts, text)
		total += int64(len(text))
	}
	for _, mode := range []string{"plain", "notes"} {
		b.Run(mode, func(b *testing.B) {
			ix := NewTrailIndex()
			var n idNotes
			b.SetBytes(total)
			for b.Loop() {
				for _, text := range texts {
					s := &source{buf: text, end: len(text), eof: true, max: DefaultMaxLineBytes}
					if mode == "notes" {
						n.reset(ix)
						s.notes = &n
					}
					s.pos = bytes.IndexByte(text, '{')
					for s.pos >= 0 && s.pos < len(text) && text[s.pos] == '{' {
						if !s.skipMasked() {
							b.Fatalf("skipMasked gave up at %d", s.pos)
						}
						// ",\n" or "]" between elements
						for s.pos < len(text) && text[s.pos] != '{' && text[s.pos] != ']' {
							s.pos++
						}
					}
				}
			}
			if mode == "notes" && len(n.ids) == 0 {
				b.Fatal("noted nothing")
			}
		})
	}
}
