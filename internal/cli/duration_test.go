package cli

import (
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// Every duration flag takes the forms --since takes: days and weeks as
// well as Go durations, so `contain --lookback 30d` works like
// `audit --since 30d`.
func TestDurationFlagsTakeDaysAndWeeks(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
	}{
		{"30d", 30 * 24 * time.Hour}, {"2w", 14 * 24 * time.Hour}, {"12h", 12 * time.Hour},
		{"90m", 90 * time.Minute}, {"1h30m", 90 * time.Minute}, {"0s", 0}, {"-1s", -time.Second},
	} {
		var d time.Duration
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		fs.Var(newDurationFlag(&d, time.Hour), "lookback", "")
		if err := fs.Parse([]string{"--lookback", tt.in}); err != nil || d != tt.want {
			t.Errorf("--lookback %s = %v (err %v), want %v", tt.in, d, err, tt.want)
		}
	}
	for _, bad := range []string{"", "30", "d", "1.5d", "tomorrow", "30dd"} {
		var d time.Duration
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		fs.Var(newDurationFlag(&d, time.Hour), "lookback", "")
		if err := fs.Parse([]string{"--lookback", bad}); err == nil {
			t.Errorf("--lookback %q accepted as %v", bad, d)
		}
	}
	var d time.Duration
	if f := newDurationFlag(&d, 7*24*time.Hour); d != 7*24*time.Hour || f.String() != "168h0m0s" {
		t.Errorf("default = %v shown as %q, want 168h shown as Go prints it", d, f.String())
	}
}
