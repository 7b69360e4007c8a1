package cli

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// The offline audit's memory limit follows a live heap that outgrows it,
// and stops following when told.
func TestFollowLiveHeap(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(old)
	const base = 8 << 20
	debug.SetMemoryLimit(base)
	l := followLiveHeap(base, func(live uint64) int64 { return int64(2 * live) })
	live := make([][]byte, 0, 48)
	for range 48 {
		live = append(live, make([]byte, 1<<20)) // 48 MiB, live
	}
	// Finalizers run on their own goroutine after a collection: poll.
	deadline := time.Now().Add(20 * time.Second)
	for debug.SetMemoryLimit(-1) < 2*48<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("memory limit %d after collections with 48 MiB live; want >= %d", debug.SetMemoryLimit(-1), 2*48<<20)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	l.stop()
	raised := debug.SetMemoryLimit(-1)
	live = append(live, make([][]byte, 32)...)
	for i := 48; i < len(live); i++ {
		live[i] = make([]byte, 1<<20)
	}
	for range 5 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if got := debug.SetMemoryLimit(-1); got != raised {
		t.Fatalf("limit moved from %d to %d after stop", raised, got)
	}
	runtime.KeepAlive(live)
}

// GOGC and GOMEMLIMIT in the environment win over the audit's settings.
func TestOfflineMemoryEnvironmentWins(t *testing.T) {
	oldGC, oldLimit := debug.SetGCPercent(-1), debug.SetMemoryLimit(-1)
	debug.SetGCPercent(oldGC)
	defer debug.SetGCPercent(oldGC)
	defer debug.SetMemoryLimit(oldLimit)

	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	restore, rules := offlineMemory()
	if rules == nil {
		t.Error("without GOMEMLIMIT: no RulesMemory")
	}
	if gc, lim := debug.SetGCPercent(-1), debug.SetMemoryLimit(-1); gc != 200 || lim != offlineMemLimit {
		t.Errorf("without the environment: GOGC %d, limit %d; want 200, %d", gc, lim, offlineMemLimit)
	} else {
		debug.SetGCPercent(gc)
	}
	restore()
	if gc, lim := debug.SetGCPercent(-1), debug.SetMemoryLimit(-1); gc != oldGC || lim != oldLimit {
		t.Errorf("restored GOGC %d, limit %d; want %d, %d", gc, lim, oldGC, oldLimit)
	} else {
		debug.SetGCPercent(gc)
	}

	t.Setenv("GOGC", "150")
	t.Setenv("GOMEMLIMIT", "1GiB")
	restore, rules = offlineMemory()
	if rules != nil {
		t.Error("with GOMEMLIMIT set: a RulesMemory (it would move the user's limit)")
	}
	if gc, lim := debug.SetGCPercent(-1), debug.SetMemoryLimit(-1); gc != oldGC || lim != oldLimit {
		t.Errorf("with GOGC and GOMEMLIMIT set: GOGC %d, limit %d; want them untouched (%d, %d)", gc, lim, oldGC, oldLimit)
	} else {
		debug.SetGCPercent(gc)
	}
	restore()
}

// The rules get a quarter of the live heap (at most rulesRoomCap) as room
// above the limit while they run, and the limit is what it was after;
// once the policy stopped, neither moves it.
func TestRulesRoom(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(old)
	const base = 512 << 20 // above what the test heap needs: only the room moves it
	debug.SetMemoryLimit(base)
	l := followLiveHeap(base, func(live uint64) int64 { return int64(live) })
	defer l.stop()
	live := make([][]byte, 0, 32)
	for range 32 {
		live = append(live, make([]byte, 1<<20)) // 32 MiB, live
	}
	after := l.rulesRoom()
	got := debug.SetMemoryLimit(-1)
	found, _ := liveHeap() // what rulesRoom's collection found (no other since)
	if want := min(int64(found)/rulesRoomShare, rulesRoomCap); got-base != want || found < 32<<20 {
		t.Errorf("limit %d during the rules (room %d) with %d live; want the room min(live/%d, %d) = %d above %d", got, got-base, found, rulesRoomShare, rulesRoomCap, want, int64(base))
	}
	after()
	if got := debug.SetMemoryLimit(-1); got != base {
		t.Errorf("limit %d after the rules; want %d", got, int64(base))
	}
	after = l.rulesRoom()
	l.stop()
	during := debug.SetMemoryLimit(-1)
	after()
	if got := debug.SetMemoryLimit(-1); got != during {
		t.Errorf("limit moved from %d to %d after the policy stopped", during, got)
	}
	runtime.KeepAlive(live)
}
