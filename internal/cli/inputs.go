package cli

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"syscall"
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
	// Regions is --regions: the ActionTrail regions read online.
	Regions string
	regions []string
}

// registerEventFlags binds the event-input flags onto fl.
func (in *EventInputs) registerEventFlags(fl *pflag.FlagSet) {
	fl.StringVar(&in.Since, "since", "", "start of the window: a duration back from now (30d, 12h) or an RFC 3339 time; online default 30d, at most 90d")
	fl.StringVar(&in.Until, "until", "", "end of the window: a duration back from now or an RFC 3339 time (default now)")
	fl.StringArrayVar(&in.Trails, "trail", nil, "ActionTrail `PATH` (file, directory or quoted pattern such as 'trail/*.json.gz', - for stdin; OSS deliveries, SLS exports, LookupEvents documents; repeatable)")
	fl.StringArrayVar(&in.OSSLogs, "oss-log", nil, "OSS access log `PATH` (file, directory or quoted pattern, - for stdin; repeatable)")
	fl.StringArrayVar(&in.SLSLogs, "sls-log", nil, "SLS operation log `PATH` (file, directory or quoted pattern, - for stdin; repeatable)")
	fl.BoolVar(&in.Strict, "strict", false, "stop at the first malformed record instead of reporting and skipping it")
	fl.BoolVar(&in.Online, "online", false, "also read facts and events from the cloud when offline inputs are given")
	fl.BoolVar(&in.Offline, "offline", false, "never call the cloud (implied by --trail, --oss-log or --sls-log without --online)")
	fl.StringVar(&in.LeakTime, "leak-time", "", "when the key is believed to have leaked (RFC 3339): use after it is suspect, history before it is the baseline")
	fl.StringVar(&in.Regions, "regions", "", "ActionTrail regions to read online: all (the default: every region plus every region the key used), used (the configured region and the regions the key's last-used records name), or a comma-separated `LIST`")
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
	regions, err := audit.ParseRegions(in.Regions)
	if err != nil {
		return NewUsageError(err)
	}
	in.regions = regions
	return in.validatePaths()
}

// validatePaths refuses, before anything is read or called, an input path
// that is neither a regular file nor a directory: a FIFO without a writer
// would block forever and /dev/zero never ends. Standard input is read
// only when given explicitly as "-", at most once. A path that does not
// exist is left to the reader, which names it.
func (in *EventInputs) validatePaths() error {
	stdin := ""
	for _, group := range []struct {
		flag  string
		paths []string
	}{{"trail", in.Trails}, {"oss-log", in.OSSLogs}, {"sls-log", in.SLSLogs}} {
		for _, p := range group.paths {
			if p == "-" {
				if stdin != "" {
					return UsageErrorf("--%s -: standard input is already read by --%s -; give it once", group.flag, stdin)
				}
				stdin = group.flag
				continue
			}
			fi, err := os.Stat(p)
			if err != nil || fi.IsDir() || fi.Mode().IsRegular() {
				continue
			}
			return NewUsageError(fmt.Errorf("--%s %w", group.flag, &audit.NotRegularError{Path: p, Type: audit.FileType(fi.Mode())}))
		}
	}
	return nil
}

// validateWindow parses the window, leak time and trusted CIDRs.
// lookbackCapped says whether the events come from LookupEvents, whose
// reach is ActionTrail's 90 days. Every time is checked against the range
// akresp accepts (2010-01-01 to now + 1 day, see checkFlagTime) before any
// cloud call, so a typo such as --until 9999-01-01 is a usage error (exit
// 2) rather than a window that silently holds no event.
func (in *EventInputs) validateWindow(now time.Time, lookbackCapped bool) error {
	var err error
	if in.since, err = parseWhen("since", in.Since, now); err != nil {
		return err
	}
	if in.until, err = parseWhen("until", in.Until, now); err != nil {
		return err
	}
	if err := checkFlagTime("since", in.Since, in.since, now); err != nil {
		return err
	}
	if err := checkFlagTime("until", in.Until, in.until, now); err != nil {
		return err
	}
	if !in.since.IsZero() && in.since.After(now) {
		return UsageErrorf("--since %s is in the future (now is %s): the window would hold no event; give a time in the past", in.Since, now.UTC().Format(time.RFC3339))
	}
	if !in.since.IsZero() && !in.until.IsZero() && in.until.Before(in.since) {
		return UsageErrorf("--until %s is before --since %s", in.until.UTC().Format(time.RFC3339), in.since.UTC().Format(time.RFC3339))
	}
	if lookbackCapped && !in.offline() {
		if !in.since.IsZero() && in.since.Before(now.Add(-audit.LookupRetention-time.Minute)) {
			return UsageErrorf("--since %s: %v", in.Since, audit.ErrWindowTooLong)
		}
		// Without --since the window is the DefaultLookback before --until;
		// LookupEvents cannot reach before its retention.
		if !in.until.IsZero() && in.until.Before(now.Add(-audit.LookupRetention)) {
			return UsageErrorf("--until %s is more than %d days ago: ActionTrail LookupEvents keeps %d days; audit older events offline with --trail", in.Until, int(audit.LookupRetention/(24*time.Hour)), int(audit.LookupRetention/(24*time.Hour)))
		}
		if in.since.IsZero() && !in.until.IsZero() && in.until.Add(-audit.DefaultLookback).Before(now.Add(-audit.LookupRetention-time.Minute)) {
			return UsageErrorf("--until %s without --since starts the window %d days before it, beyond the %d days LookupEvents keeps: give --since too", in.Until, int(audit.DefaultLookback/(24*time.Hour)), int(audit.LookupRetention/(24*time.Hour)))
		}
	}
	if in.LeakTime != "" {
		if in.leakTime, err = time.Parse(time.RFC3339, in.LeakTime); err != nil {
			return UsageErrorf("--leak-time %q: want an RFC 3339 time such as 2026-11-20T03:00:00Z", in.LeakTime)
		}
		if err := checkFlagTime("leak-time", in.LeakTime, in.leakTime, now); err != nil {
			return err
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

// checkFlagTime refuses a flag time outside the range akresp accepts for
// events: from audit.EarliestEventTime (2010-01-01) to now + 1 day
// (audit.MaxClockSkew). The engine keeps times as Unix nanoseconds, so a
// far-away time would also wrap; no AccessKey was used before 2010. A zero
// t (flag not given) passes. The error is a usage error (exit 2) naming
// the flag, the value as given and the range.
func checkFlagTime(flag, given string, t time.Time, now time.Time) error {
	if t.IsZero() {
		return nil
	}
	latest := audit.LatestEventTime(now)
	if t.Before(audit.EarliestEventTime) || t.After(latest) {
		return UsageErrorf("--%s %s is outside the range akresp accepts: %s to %s (now + 1 day)",
			flag, given, audit.EarliestEventTime.Format("2006-01-02"), latest.UTC().Format(time.RFC3339))
	}
	return nil
}

// openInputFile opens a file named on the command line for reading. It
// refuses (a usage error, exit 2, naming the path and its type) anything
// but a regular file: a FIFO without a writer would block forever and a
// device such as /dev/zero never ends. The open itself does not block on
// a FIFO, and the type is checked on the opened file. Callers read "-"
// from standard input themselves.
func openInputFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() && !fi.IsDir() { // a directory fails on read, as before
		f.Close()
		return nil, NewUsageError(&audit.NotRegularError{Path: path, Type: audit.FileType(fi.Mode())})
	}
	return f, nil
}

// readInputFile reads a whole file named on the command line, refusing
// what openInputFile refuses.
func readInputFile(path string) ([]byte, error) {
	f, err := openInputFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}
