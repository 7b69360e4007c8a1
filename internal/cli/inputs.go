package cli

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/spf13/pflag"

	"github.com/akresp/akresp/internal/audit"
	"github.com/akresp/akresp/internal/policy"
)

// EventInputs are the flags that choose which events of a key `audit` and
// `report` read and how they are judged: the time window, offline inputs,
// online/offline mode, the leak time and the trusted CIDRs. Both commands
// embed it so the flags mean exactly the same on each.
type EventInputs struct {
	Since, Until    string
	since, until    time.Time
	Trails          []string
	OSSLogs         []string
	SLSLogs         []string
	Strict          bool
	Online, Offline bool
	LeakTime        string
	leakTime        time.Time
	TrustedCIDRs    []string
	trusted         []netip.Prefix
}

// registerEventFlags binds the event-input flags onto fl.
func (in *EventInputs) registerEventFlags(fl *pflag.FlagSet) {
	fl.StringVar(&in.Since, "since", "", "start of the window: a duration back from now (30d, 12h) or an RFC 3339 time; online default 30d, at most 90d")
	fl.StringVar(&in.Until, "until", "", "end of the window: a duration back from now or an RFC 3339 time (default now)")
	fl.StringArrayVar(&in.Trails, "trail", nil, "ActionTrail `PATH` (file or directory; OSS deliveries, SLS exports, LookupEvents documents; repeatable)")
	fl.StringArrayVar(&in.OSSLogs, "oss-log", nil, "OSS access log `PATH` (file or directory; repeatable)")
	fl.StringArrayVar(&in.SLSLogs, "sls-log", nil, "SLS operation log `PATH` (file or directory; repeatable)")
	fl.BoolVar(&in.Strict, "strict", false, "stop at the first malformed record instead of reporting and skipping it")
	fl.BoolVar(&in.Online, "online", false, "also read facts and events from the cloud when offline inputs are given")
	fl.BoolVar(&in.Offline, "offline", false, "never call the cloud (implied by --trail, --oss-log or --sls-log without --online)")
	fl.StringVar(&in.LeakTime, "leak-time", "", "when the key is believed to have leaked (RFC 3339): use after it is suspect, history before it is the baseline")
	fl.StringSliceVar(&in.TrustedCIDRs, "trusted-cidr", nil, "`CIDR`s or addresses known to be legitimate (repeatable, comma-separated)")
}

// offlineInputs reports whether any offline input was given.
func (in *EventInputs) offlineInputs() bool {
	return len(in.Trails)+len(in.OSSLogs)+len(in.SLSLogs) > 0
}

// offline reports whether the command makes no cloud call: offline inputs
// were given without --online, or --offline was given.
func (in *EventInputs) offline() bool {
	return in.Offline || (!in.Online && in.offlineInputs())
}

// validateModes checks the online/offline flags before anything else.
func (in *EventInputs) validateModes() error {
	if in.Online && in.Offline {
		return UsageErrorf("--online and --offline contradict each other; pick one")
	}
	if in.Offline && !in.offlineInputs() {
		return UsageErrorf("--offline needs --trail, --oss-log or --sls-log input")
	}
	return nil
}

// validateWindow parses the window, leak time and trusted CIDRs.
// lookbackCapped says whether the events come from LookupEvents, whose
// reach is ActionTrail's 90 days.
func (in *EventInputs) validateWindow(now time.Time, lookbackCapped bool) error {
	var err error
	if in.since, err = parseWhen("since", in.Since, now); err != nil {
		return err
	}
	if in.until, err = parseWhen("until", in.Until, now); err != nil {
		return err
	}
	if !in.since.IsZero() && !in.until.IsZero() && in.until.Before(in.since) {
		return UsageErrorf("--until %s is before --since %s", in.until.UTC().Format(time.RFC3339), in.since.UTC().Format(time.RFC3339))
	}
	if lookbackCapped && !in.offline() && !in.since.IsZero() && in.since.Before(now.Add(-audit.LookupRetention-time.Minute)) {
		return UsageErrorf("--since %s: %v", in.Since, audit.ErrWindowTooLong)
	}
	if in.LeakTime != "" {
		if in.leakTime, err = time.Parse(time.RFC3339, in.LeakTime); err != nil {
			return UsageErrorf("--leak-time %q: want an RFC 3339 time such as 2026-11-20T03:00:00Z", in.LeakTime)
		}
	}
	in.trusted = nil
	for _, c := range in.TrustedCIDRs {
		p, err := policy.ParseCIDR(c)
		if err != nil {
			return NewUsageError(fmt.Errorf("--trusted-cidr: %w", err))
		}
		in.trusted = append(in.trusted, p)
	}
	return nil
}
