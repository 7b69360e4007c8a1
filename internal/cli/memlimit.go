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

// offlineMemory sets the collector up for an offline audit. It returns the
// function that restores it, and the one to pass as
// audit.InvestigateOptions.RulesMemory (nil when GOMEMLIMIT in the
// environment sets the limit: the user's limit is left alone).
func offlineMemory() (restore func(), rules func() (after func())) {
	var undo []func()
	if os.Getenv("GOGC") == "" {
		old := debug.SetGCPercent(200)
		undo = append(undo, func() { debug.SetGCPercent(old) })
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		old := debug.SetMemoryLimit(offlineMemLimit)
		l := followLiveHeap(offlineMemLimit, offlineHeadroom)
		undo = append(undo, func() { l.stop(); debug.SetMemoryLimit(old) })
		rules = l.rulesRoom
	}
	return func() {
		for _, f := range undo {
			f()
		}
	}, rules
}

// rulesRoomShare and rulesRoomCap size the room the rules get above the
// limit: a share of the live heap once the inputs are read (what they
// allocate while they run is about a third of the aggregates they read,
// ~22 MB on the ~72 MB of the delivery shape's busy key), at most the cap
// (the peak RSS grows with it: ~3 MB on the delivery shape).
const (
	rulesRoomShare = 4 // a quarter
	rulesRoomCap   = 8 << 20
)

// liveLimit is the memory limit of an offline audit: base, raised after
// each collection whose live heap needs more (followLiveHeap), plus the
// rules' room while they run (rulesRoom).
type liveLimit struct {
	mu       sync.Mutex
	stopped  bool
	limit    int64 // base or what the live heap needed, never down
	room     int64 // the rules' room while they run, else 0
	headroom func(live uint64) int64
}

func (l *liveLimit) apply() { debug.SetMemoryLimit(l.limit + l.room) }

// rulesRoom runs when the inputs are read, before the rules (the
// engine's Result): it collects what reading left behind, while nothing
// else runs, and gives the rules room above the limit until the function
// it returns is called (rulesRoomShare, rulesRoomCap). Under the bare
// limit, the garbage of the last files and the rules' own working memory
// made the collector run two or three times in the ~0.3 s the rules take
// on a busy key, each time marking the ~80 MB of aggregates (the rules
// ~0.1 s slower); after one collection here, with that room, it runs at
// most once, and the peak RSS grows by ~2-3 MB (bench/README.md).
func (l *liveLimit) rulesRoom() (after func()) {
	runtime.GC()
	live, ok := liveHeap()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped || !ok {
		return func() {}
	}
	l.room = min(int64(live)/rulesRoomShare, rulesRoomCap)
	l.apply()
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if !l.stopped {
			l.room = 0
			l.apply()
		}
	}
}

func (l *liveLimit) stop() {
	l.mu.Lock()
	l.stopped = true
	l.mu.Unlock()
}

// liveHeap is the live heap the last collection found.
func liveHeap() (uint64, bool) {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return 0, false
	}
	return sample[0].Value.Uint64(), true
}

// followLiveHeap raises the memory limit after each collection whose live
// heap needs more than the limit gives (headroom), never below base and
// never down, until stop is called on what it returns.
func followLiveHeap(base int64, headroom func(live uint64) int64) *liveLimit {
	l := &liveLimit{limit: base, headroom: headroom}
	var arm func()
	// A finalizer runs once per collection that finds its object
	// unreachable: re-armed each time, it is a hook after every cycle.
	// (gcSentinel holds a pointer: a pointer-free object this small could
	// share a block with others and never be finalized.)
	arm = func() {
		runtime.SetFinalizer(&gcSentinel{}, func(*gcSentinel) {
			l.mu.Lock()
			defer l.mu.Unlock()
			if l.stopped {
				return
			}
			if live, ok := liveHeap(); ok {
				if want := l.headroom(live); want > l.limit {
					l.limit = want
					l.apply()
				}
			}
			arm()
		})
	}
	arm()
	return l
}

type gcSentinel struct {
	p *byte
	_ [8]byte
}
