package cli

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDiagnostics(t *testing.T) {
	var d Diagnostics
	if d.HasErrors() || d.Err() != nil || d.ExitCode() != 0 {
		t.Fatal("empty diagnostics are not clean")
	}
	d.Warn("LTAI…0002", "last-used data unavailable", "ActionTrail GetAccessKeyLastUsedInfo is throttled;\nthe key may still be in use")
	if d.HasErrors() || d.Err() != nil || d.ExitCode() != 0 {
		t.Fatal("warnings alone must not fail the command")
	}
	d.Error("LTAI…0000", hintedErr{})
	d.Error("LTAI…0001", fmt.Errorf("disable: %w", &SafetyRailError{Rule: "recently-used"}))
	d.Error("LTAI…0001", errors.New("second problem"))

	if !d.HasErrors() {
		t.Fatal("HasErrors false")
	}
	if d.ExitCode() != ExitSafetyRail {
		t.Errorf("ExitCode = %d, want the worst (4)", d.ExitCode())
	}
	err := d.Err()
	if err == nil || err.Error() != "3 errors on 2 targets; see the diagnostics above" || exitCode(err, true) != ExitSafetyRail {
		t.Errorf("Err() = %v (code %d)", err, exitCode(err, true))
	}

	var buf bytes.Buffer
	if err := RenderDiagnostics(&buf, d, false); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"error: LTAI…0000: ram:GetUser: NoPermission\n" +
		"  use --profile to pick an identity that has ram:GetUser\n" +
		"error: LTAI…0001: disable: refused by safety rail recently-used\n" +
		"error: LTAI…0001: second problem\n" +
		"warning: LTAI…0002: last-used data unavailable\n" +
		"  ActionTrail GetAccessKeyLastUsedInfo is throttled;\n" +
		"  the key may still be in use\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("render (-want +got):\n%s", diff)
	}

	buf.Reset()
	_ = RenderDiagnostics(&buf, Diagnostics{{Severity: SeverityError, Summary: "boom"}}, true)
	if got := buf.String(); got != "\x1b[31merror\x1b[0m: boom\n" {
		t.Errorf("coloured render = %q", got)
	}
	one := Diagnostics{{Severity: SeverityError, Target: "u", Summary: "x"}}
	if got := one.Err().Error(); got != "1 error on 1 target; see the diagnostics above" {
		t.Errorf("single error message = %q", got)
	}
}
