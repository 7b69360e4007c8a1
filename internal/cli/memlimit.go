package cli

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// Offline audits (and reports, which audit the same files) read millions
// of events: each allocates ~1.3 KB (the Event and its parameter map) that
// is garbage at once, while the engine's aggregates grow to tens of MB for
// a busy key (bench/README.md). Left to
// GOGC=100 the collector runs too often; at GOGC=200 alone the heap grows
// to three times what is live. So the audit runs at GOGC=200 under a soft
// memory limit (runtime/debug.SetMemoryLimit) that starts at
// offlineMemLimit and follows the live heap up (offlineHeadroom): the
// limit, not the live heap, sets the peak (the runtime keeps what it
// freed until the limit makes it give memory back), so a small one keeps
// the busy key of issue 14 (~75 MB live after reading, ~80 MB while the
// rules run) at ~138-144 MB peak RSS in about the time 160 MiB (~180 MB)
// took; an audit whose live heap outgrows it is not slowed by a
// collector that runs without end (it would be, by up to 2x, under a fixed
// limit below the live heap). GOGC and GOMEMLIMIT in the environment win
// (GOMEMLIMIT=160MiB buys the CPU back with memory).
const offlineMemLimit = 120 << 20

// offlineHeadroom is the limit for a live heap: a quarter as much again,
// room for the collector to run every quarter of the live heap allocated.
// (It was live + 1/4 + 32 MiB: ~96 MB live while the rules run, counting
// what they allocate during a collection, raised the limit past the base.)
func offlineHeadroom(live uint64) int64 { return int64(live + live/4) }

// offlineMemory sets the collector up for an offline audit and returns the
// function that restores it.
func offlineMemory() (restore func()) {
	var undo []func()
	if os.Getenv("GOGC") == "" {
		old := debug.SetGCPercent(200)
		undo = append(undo, func() { debug.SetGCPercent(old) })
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		old := debug.SetMemoryLimit(offlineMemLimit)
		stop := followLiveHeap(offlineMemLimit, offlineHeadroom)
		undo = append(undo, func() { stop(); debug.SetMemoryLimit(old) })
	}
	return func() {
		for _, f := range undo {
			f()
		}
	}
}

// followLiveHeap raises the memory limit after each collection whose live
// heap needs more than the limit gives (headroom), never below base and
// never down. It stops when stop is called.
func followLiveHeap(base int64, headroom func(live uint64) int64) (stop func()) {
	var mu sync.Mutex
	stopped, limit := false, base
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var arm func()
	// A finalizer runs once per collection that finds its object
	// unreachable: re-armed each time, it is a hook after every cycle.
	// (gcSentinel holds a pointer: a pointer-free object this small could
	// share a block with others and never be finalized.)
	arm = func() {
		runtime.SetFinalizer(&gcSentinel{}, func(*gcSentinel) {
			mu.Lock()
			defer mu.Unlock()
			if stopped {
				return
			}
			metrics.Read(sample)
			if sample[0].Value.Kind() == metrics.KindUint64 {
				if want := headroom(sample[0].Value.Uint64()); want > limit {
					limit = want
					debug.SetMemoryLimit(limit)
				}
			}
			arm()
		})
	}
	arm()
	return func() {
		mu.Lock()
		stopped = true
		mu.Unlock()
	}
}

type gcSentinel struct {
	p *byte
	_ [8]byte
}
