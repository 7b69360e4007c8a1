package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/respond"
)

// Exit codes: the SPEC's five, defined here and nowhere else. A new code
// needs a SPEC change, not a local decision.
const (
	ExitOK         = 0
	ExitRuntime    = 1 // runtime or API error
	ExitUsage      = 2 // usage error: bad flag, AK ID, CIDR; no TTY without --yes
	ExitFindings   = 3 // worked, and found what --fail-on asks about
	ExitSafetyRail = 4 // refused by a safety rail
)

// exitCodeTable documents the codes; `akresp help exit-codes` renders it.
var exitCodeTable = []struct {
	Code    int
	Meaning string
}{
	{ExitOK, "success"},
	{ExitRuntime, "runtime or API error (the message names the API, the key or user, the cloud error code and request ID); no credentials found; a lab that is not running; also a partial apply (see the journal)"},
	{ExitUsage, "usage error: bad flag or argument, bad AK ID, bad CIDR, contradictory flags, invalid policy document, or no terminal to confirm on without --yes or --dry-run"},
	{ExitFindings, "the command worked and found what --fail-on asks about (e.g. the weekly `audit --idle` cron)"},
	{ExitSafetyRail, "refused by a safety rail, e.g. disabling a key used legitimately within --quiet-period (default " + shortDuration(respond.DefaultQuietPeriod) + ") without --force, an ACL wider than the account-level policy, undoing the deny policy of a key that is still active, or state drifted since the plan"},
}

// shortDuration writes 24h0m0s as 24h and 1m30s as 1m30s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// exitCode maps an error to the process exit code. It is the only place
// that does: started says whether the command's own hooks ran; errors from
// before that point come from cobra's parsing (unknown command, bad
// arguments) and are usage errors.
func exitCode(err error, started bool) int {
	if err == nil {
		return ExitOK
	}
	var ec ExitCoder
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	if !started {
		return ExitUsage
	}
	return ExitRuntime
}

// reportError prints err once on w as "akresp: <message>", followed by a
// "hint: " line when there is something to suggest, and returns the exit
// code. cmd is the command cobra was running (nil if unknown).
func reportError(ctx context.Context, w io.Writer, cmd *cobra.Command, err error, started bool) int {
	code := exitCode(err, started)
	var s silencer
	if errors.As(err, &s) && s.Silent() {
		return code
	}

	msg := err.Error()
	hint := ""
	var h Hinter
	if errors.As(err, &h) {
		hint = h.Hint()
	}
	if i := strings.Index(msg, "\n\nDid you mean this?"); i >= 0 {
		// cobra's unknown-command error lists suggestions on later lines.
		var sugg []string
		for _, l := range strings.Split(msg[i:], "\n")[3:] {
			if l = strings.TrimSpace(l); l != "" {
				sugg = append(sugg, fmt.Sprintf("%q", l))
			}
		}
		msg = msg[:i]
		if len(sugg) > 0 {
			hint = "did you mean " + strings.Join(sugg, " or ") + "?"
		}
	}
	var ce *cloud.CredentialsError
	if errors.As(err, &ce) {
		// What failed is that there are no credentials, whichever call
		// first needed them: the wrapping context (region, API, window)
		// would only bury it.
		msg = ce.Error()
		var ae *cloud.APIError
		if errors.As(err, &ae) && cmd != nil {
			msg += fmt.Sprintf("; '%s' needs them to call %s", cmd.CommandPath(), ae.API)
		}
		hint = ce.Hint()
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		msg = fmt.Sprintf("interrupted: %v", context.Cause(ctx))
		hint = ""
	}
	if code == ExitUsage && hint == "" && cmd != nil {
		hint = fmt.Sprintf("run '%s --help' for usage", cmd.CommandPath())
	}
	msg = strings.TrimRight(msg, "\n")
	fmt.Fprintf(w, "akresp: %s\n", msg)
	if hint != "" {
		fmt.Fprintf(w, "hint: %s\n", hint)
	}
	return code
}
