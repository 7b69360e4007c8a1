package audit

import (
	"slices"
	"testing"

	"github.com/akresp/akresp/internal/cloud/slsq"
)

func TestJoinWindows(t *testing.T) {
	w := func(a, b int64) slsq.Window { return slsq.Window{From: a, To: b} }
	for _, tc := range []struct {
		name    string
		in, out []slsq.Window
	}{
		{"empty", nil, nil},
		{"one", []slsq.Window{w(0, 60)}, []slsq.Window{w(0, 60)}},
		{"adjacent minutes", []slsq.Window{w(60, 120), w(0, 60), w(120, 180)}, []slsq.Window{w(0, 180)}},
		{"gap kept", []slsq.Window{w(0, 60), w(120, 180)}, []slsq.Window{w(0, 60), w(120, 180)}},
		{"overlap", []slsq.Window{w(0, 100), w(50, 80), w(90, 200)}, []slsq.Window{w(0, 200)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := joinWindows(tc.in); !slices.Equal(got, tc.out) {
				t.Errorf("joinWindows(%v) = %v, want %v", tc.in, got, tc.out)
			}
		})
	}
}
