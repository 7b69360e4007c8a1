package lazyre

import (
	"sync"
	"testing"
)

// A Regexp matches as regexp does, from many goroutines at once (the
// compilation happens once).
func TestRegexpMatchesLikeRegexp(t *testing.T) {
	re := New(`^[a-z][a-z0-9_-]{5,35}$`)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for _, tc := range []struct {
				s    string
				want bool
			}{{"trail_1", true}, {"Trail_1", false}, {"short", false}, {"abcdef", true}, {"", false}} {
				if got := re.MatchString(tc.s); got != tc.want {
					t.Errorf("MatchString(%q) = %v, want %v", tc.s, got, tc.want)
				}
			}
		})
	}
	wg.Wait()
}

// An invalid pattern panics at the first match, as MustCompile would have
// at start-up.
func TestInvalidPatternPanicsOnUse(t *testing.T) {
	re := New(`(`) // no panic yet
	defer func() {
		if recover() == nil {
			t.Error("no panic matching an invalid pattern")
		}
	}()
	re.MatchString("x")
}
