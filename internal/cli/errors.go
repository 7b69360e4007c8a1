package cli

import (
	"errors"
	"fmt"
)

// ExitCoder is implemented by any error that decides its own exit code.
// Domain packages return their own types implementing it; Main honours them
// through errors.As, so wrapping with %w keeps the code.
type ExitCoder interface {
	ExitCode() int
}

// Hinter is implemented by errors that carry one actionable sentence for the
// person at the terminal (cloud.APIError has one). Main prints it on a
// "hint: " line after the error.
type Hinter interface {
	Hint() string
}

// UsageError is a mistake in how akresp was called: a bad flag value, a bad
// AK ID or CIDR, a contradictory flag combination, or no terminal to confirm
// on without --yes. Exit code 2. Main prints a hint pointing at --help
// unless the error carries its own.
type UsageError struct {
	Err     error
	HintMsg string
}

// UsageErrorf builds a UsageError from a format string.
func UsageErrorf(format string, args ...any) *UsageError {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// NewUsageError wraps err as a usage error (nil stays nil).
func NewUsageError(err error) error {
	if err == nil {
		return nil
	}
	var ue *UsageError
	if errors.As(err, &ue) {
		return err
	}
	return &UsageError{Err: err}
}

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }
func (e *UsageError) ExitCode() int { return ExitUsage }

// Hint returns the error's own hint, if any.
func (e *UsageError) Hint() string { return e.HintMsg }

// SafetyRailError reports an action refused because it looks dangerous,
// e.g. disabling a key used within the quiet period (24h by default). Rule names the rail,
// Detail says what was observed, Override names the flag that proceeds
// anyway ("" when nothing does). Exit code 4.
type SafetyRailError struct {
	Rule     string
	Detail   string
	Override string
}

func (e *SafetyRailError) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("refused by safety rail %s", e.Rule)
	}
	return fmt.Sprintf("refused by safety rail %s: %s", e.Rule, e.Detail)
}

func (e *SafetyRailError) ExitCode() int { return ExitSafetyRail }

// Hint names the override, when there is one.
func (e *SafetyRailError) Hint() string {
	if e.Override == "" {
		return ""
	}
	return fmt.Sprintf("re-run with %s to proceed anyway", e.Override)
}

// FindingsError means the command worked and found what --fail-on asks
// about. It is silent: the findings were already printed (possibly as the
// one JSON document on stdout). Exit code 3.
type FindingsError struct {
	// Count of findings at or above Threshold.
	Count     int
	Threshold string
}

func (e *FindingsError) Error() string {
	return fmt.Sprintf("%d findings at or above %s", e.Count, e.Threshold)
}

func (e *FindingsError) ExitCode() int { return ExitFindings }

// Silent tells Main not to print the error.
func (e *FindingsError) Silent() bool { return true }

// ExitError carries an explicit exit code. With a nil Err it is silent.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }
func (e *ExitError) ExitCode() int { return e.Code }
func (e *ExitError) Silent() bool  { return e.Err == nil }

// silencer is implemented by errors Main must not print.
type silencer interface {
	Silent() bool
}
