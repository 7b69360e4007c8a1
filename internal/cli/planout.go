package cli

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/akresp/akresp/internal/safetext"
)

// Where plans go. Every mutating command (contain, disable, eradicate,
// rotate, leaks handle) prints its plan for people on stdout, like
// terraform's plan: it is the command's result until the change is
// confirmed, and `akresp ... --dry-run > plan.txt` keeps it. Progress,
// prompts, the "acting as" line and logs go to stderr.
//
// Stdout is given up only when it already carries one machine document:
// with -o json the plan is that document (contain, disable, eradicate,
// leaks) or the status report follows it (rotate), and with rotate
// --secret-stdout stdout carries the new secret's JSON alone. The plan
// text then goes to stderr, so stdout stays parseable.
func planWriter(ios *IOStreams, machineStdout bool) (io.Writer, Palette) {
	if machineStdout {
		return ios.ErrOut, ios.ErrPalette()
	}
	return ios.Out, ios.Palette()
}

// writeBulletPlan writes a plan made of "  - step" lines (rotate's),
// coloured like terraform's plan: steps that create or hand over green,
// steps that disable or delete red, warnings yellow, anything else (keep,
// watch, leave) as it is. The whole text is escaped first; colour is
// added to whole lines afterwards, chosen by akresp's own wording.
func writeBulletPlan(w io.Writer, pal Palette, plan string) error {
	var b strings.Builder
	for _, line := range strings.SplitAfter(safetext.Escape(plan), "\n") {
		body := strings.TrimSuffix(line, "\n")
		nl := line[len(body):]
		step, ok := strings.CutPrefix(body, "  - ")
		if !ok || !pal.Enabled() {
			b.WriteString(line)
			continue
		}
		switch {
		case strings.HasPrefix(step, "WARNING"):
			step = pal.Warn(step)
		case strings.HasPrefix(step, "delete"), strings.HasPrefix(step, "when the new key"), strings.Contains(step, "disable the old key"):
			step = pal.Remove(step)
		case strings.HasPrefix(step, "create"), strings.HasPrefix(step, "give"), strings.HasPrefix(step, "hand"), strings.HasPrefix(step, "re-enable"):
			step = pal.Add(step)
		}
		b.WriteString("  - " + step + nl)
	}
	if !strings.HasSuffix(plan, "\n") {
		b.WriteString("\n")
	}
	_, err := io.WriteString(safetext.Raw(w), b.String())
	return err
}

// writeColoredLine writes text (escaped here: it may carry data) as one
// line on w, wrapped in colour, e.g. writeColoredLine(w, pal.Change, ...).
func writeColoredLine(w io.Writer, colour func(string) string, text string) {
	_, _ = io.WriteString(safetext.Raw(w), colour(safetext.Line(text))+"\n")
}

// reportDryRun is `akresp report --dry-run`: the files a run would write,
// on stdout, and nothing written or created anywhere.
func reportDryRun(o *ReportOptions, s *Settings, now time.Time) error {
	dir := o.OutDir
	if dir == "" {
		dir = filepath.Join(s.StateDir, o.KeyID, "report-"+now.Format("20060102T150405Z"))
	}
	ext := "md"
	switch s.Output {
	case FormatJSON:
		ext = "json"
	case FormatHTML:
		ext = "html"
	}
	source := "the cloud (ActionTrail, RAM, IMS)"
	if o.offline() {
		source = "the trail and log files given"
	}
	fmt.Fprintf(o.IO.Out, "Plan: report %s from %s and akresp's journals under %s\n", o.KeyID, source, s.StateDir)
	fmt.Fprintf(o.IO.Out, "  would write %s\n", filepath.Join(dir, o.KeyID+"-report."+ext))
	fmt.Fprintf(o.IO.Out, "  would write the evidence (events and their SHA-256) beside it, in %s\n", dir)
	fmt.Fprintln(o.IO.ErrOut, "dry run: nothing read, nothing written")
	return nil
}
