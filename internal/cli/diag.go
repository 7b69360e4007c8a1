package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/akresp/akresp/internal/safetext"
)

// Severity of a diagnostic.
type Severity string

// Severities, worst first.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Diagnostic is one per-target problem of a command that works on many
// targets (audit --idle, contain's identity hunt, report): Terraform's
// tfdiags in small. Target names what it is about (an AK ID, a user).
type Diagnostic struct {
	Severity Severity `json:"severity"`
	Target   string   `json:"target,omitempty"`
	Summary  string   `json:"summary"`
	Detail   string   `json:"detail,omitempty"`
	// Err is the underlying error, if any. Its ExitCode (when it has one)
	// takes part in choosing the command's exit code. Not serialised.
	Err error `json:"-"`
}

// Diagnostics collects problems so they can be shown together and the
// worst one decides the exit code.
type Diagnostics []Diagnostic

// Error records an error diagnostic built from err (Summary is err's
// message; Detail is its hint, when it has one).
func (d *Diagnostics) Error(target string, err error) {
	diag := Diagnostic{Severity: SeverityError, Target: target, Summary: err.Error(), Err: err}
	var h Hinter
	if errors.As(err, &h) {
		diag.Detail = h.Hint()
	}
	*d = append(*d, diag)
}

// Warn records a warning.
func (d *Diagnostics) Warn(target, summary, detail string) {
	*d = append(*d, Diagnostic{Severity: SeverityWarning, Target: target, Summary: summary, Detail: detail})
}

// HasErrors reports whether any diagnostic is an error.
func (d Diagnostics) HasErrors() bool {
	for _, x := range d {
		if x.Severity == SeverityError {
			return true
		}
	}
	return false
}

// ExitCode is the worst exit code among the error diagnostics: an error
// whose Err has an ExitCode contributes that code, any other error 1.
// Warnings alone give 0.
func (d Diagnostics) ExitCode() int {
	code := ExitOK
	for _, x := range d {
		if x.Severity != SeverityError {
			continue
		}
		c := ExitRuntime
		var ec ExitCoder
		if x.Err != nil && errors.As(x.Err, &ec) {
			c = ec.ExitCode()
		}
		code = max(code, c)
	}
	return code
}

// Err returns nil when there is no error diagnostic, otherwise an error
// carrying ExitCode that summarises them (the diagnostics themselves are
// expected to have been rendered already).
func (d Diagnostics) Err() error {
	n := 0
	for _, x := range d {
		if x.Severity == SeverityError {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	targets := map[string]bool{}
	for _, x := range d {
		if x.Severity == SeverityError && x.Target != "" {
			targets[x.Target] = true
		}
	}
	msg := fmt.Sprintf("%d errors", n)
	if n == 1 {
		msg = "1 error"
	}
	if len(targets) > 0 {
		msg += fmt.Sprintf(" on %d targets", len(targets))
		if len(targets) == 1 {
			msg = strings.TrimSuffix(msg, "s") // "1 target"
		}
	}
	return &ExitError{Code: d.ExitCode(), Err: errors.New(msg + "; see the diagnostics above")}
}

// RenderDiagnostics writes every diagnostic to w, errors first, each as
//
//	error: <target>: <summary>
//	  <detail, indented>
//
// with the severity coloured when color is true.
func RenderDiagnostics(w io.Writer, d Diagnostics, color bool) error {
	var b strings.Builder
	for _, sev := range []Severity{SeverityError, SeverityWarning} {
		for _, x := range d {
			if x.Severity != sev {
				continue
			}
			label := string(sev)
			if color {
				code := "31" // red
				if sev == SeverityWarning {
					code = "33" // yellow
				}
				label = "\x1b[" + code + "m" + label + "\x1b[0m"
			}
			b.WriteString(label + ": ")
			if x.Target != "" {
				b.WriteString(safetext.Line(x.Target) + ": ")
			}
			b.WriteString(safetext.Line(oneLine(x.Summary)) + "\n")
			for _, line := range strings.Split(strings.TrimSpace(x.Detail), "\n") {
				if line = strings.TrimRight(line, " \t"); line != "" {
					b.WriteString("  " + safetext.Line(line) + "\n")
				}
			}
		}
	}
	// The text is escaped above; only the colour codes are raw.
	_, err := io.WriteString(safetext.Raw(w), b.String())
	return err
}
