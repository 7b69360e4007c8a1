package cli

import (
	"io"
	"regexp"
	"strings"

	"github.com/mattn/go-runewidth"

	"github.com/akresp/akresp/internal/safetext"
)

// Palette is akresp's one set of terminal colours. Every coloured word on
// every command comes from here: severities, verdicts, plan additions,
// removals and changes (terraform's plan: + green, - red, ~ yellow),
// warnings and headings. A zero Palette (colour off) returns its input
// unchanged, so callers never branch on colour themselves.
//
// Colour is off when NO_COLOR is set, with --no-color, with TERM=dumb, and
// when the stream written to is not a terminal (IOStreams.Palette for
// stdout, ErrPalette for stderr).
//
// The text handed to a Palette must already be escaped (safetext): the
// escape codes are added by akresp around escaped text, never taken from
// data, and the result is written through safetext.Raw.
type Palette struct{ on bool }

// NewPalette returns a palette that colours when on is true.
func NewPalette(on bool) Palette { return Palette{on: on} }

// Enabled reports whether the palette adds colour codes.
func (p Palette) Enabled() bool { return p.on }

// SGR codes of the palette's roles.
const (
	sgrReset  = "\x1b[0m"
	sgrBold   = "1"
	sgrDim    = "2"
	sgrRed    = "31"
	sgrGreen  = "32"
	sgrYellow = "33"
	sgrCyan   = "36"
	sgrBoldRd = "1;31"
)

func (p Palette) wrap(code, s string) string {
	if !p.on || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + sgrReset
}

// Bold is for section headings.
func (p Palette) Bold(s string) string { return p.wrap(sgrBold, s) }

// Dim is for secondary text (no change, hints).
func (p Palette) Dim(s string) string { return p.wrap(sgrDim, s) }

// Add is a plan step that creates or grants something (terraform's +).
func (p Palette) Add(s string) string { return p.wrap(sgrGreen, s) }

// Remove is a plan step that deletes, disables or revokes (terraform's -).
func (p Palette) Remove(s string) string { return p.wrap(sgrRed, s) }

// Change is a plan step that modifies in place (terraform's ~).
func (p Palette) Change(s string) string { return p.wrap(sgrYellow, s) }

// Warn is for warnings and irreversible steps.
func (p Palette) Warn(s string) string { return p.wrap(sgrYellow, s) }

// Error is for "error" labels and refusals.
func (p Palette) Error(s string) string { return p.wrap(sgrBoldRd, s) }

// OK is for successful outcomes.
func (p Palette) OK(s string) string { return p.wrap(sgrGreen, s) }

// Severity colours a severity name: critical bold red, high red, medium
// yellow, low cyan, info dim. Other text is returned unchanged.
func (p Palette) Severity(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "critical":
		return p.wrap(sgrBoldRd, s)
	case "high":
		return p.wrap(sgrRed, s)
	case "medium":
		return p.wrap(sgrYellow, s)
	case "low":
		return p.wrap(sgrCyan, s)
	case "info":
		return p.wrap(sgrDim, s)
	}
	return s
}

// Verdict colours an audit verdict status ("suspected_leak", "SUSPECTED
// LEAK", "in use", "idle") or a key status: a leak or a flag bold red, a
// key in use yellow, an idle or disabled key green.
func (p Palette) Verdict(status, s string) string {
	switch strings.ReplaceAll(strings.ToLower(strings.TrimSpace(status)), " ", "_") {
	case "suspected_leak", "flagged", "cut_off":
		return p.wrap(sgrBoldRd, s)
	case "in_use", "active":
		return p.wrap(sgrYellow, s)
	case "idle", "inactive", "disabled", "keeps_access":
		return p.wrap(sgrGreen, s)
	}
	return s
}

// Word colours a table cell by its meaning when it is one of the words the
// palette knows (severities, verdicts, plan tags, outcomes); any other
// text comes back unchanged.
func (p Palette) Word(s string) string {
	if !p.on {
		return s
	}
	switch w := strings.ToLower(strings.TrimSpace(s)); w {
	case "critical", "high", "medium", "low", "info":
		return p.Severity(s)
	case "suspected leak", "suspected_leak", "flagged":
		return p.Verdict(w, s)
	case "failed", "error", "refused", "irreversible":
		return p.Error(s)
	case "done", "ok", "applied", "succeeded", "allowed":
		return p.OK(s)
	case "warning", "partial", "skipped", "drifted":
		return p.Warn(s)
	}
	return s
}

// coloredColumns are the table columns whose cells Palette.Word colours.
var coloredColumns = map[string]bool{
	"severity": true, "verdict": true, "outcome": true, "result": true, "level": true,
}

// Palette returns the palette for stdout: colour only when stdout is a
// terminal and colour is allowed.
func (s *IOStreams) Palette() Palette {
	if s == nil {
		return Palette{}
	}
	return Palette{on: s.colorEnabled && s.stdoutTTY}
}

// ErrPalette returns the palette for stderr: colour only when stderr is a
// terminal and colour is allowed (NO_COLOR, --no-color).
func (s *IOStreams) ErrPalette() Palette {
	if s == nil {
		return Palette{}
	}
	return Palette{on: s.colorAllowed() && s.stderrTTY}
}

// styledText builds output from two kinds of pieces: text written through
// Write/WriteString, which is escaped (safetext.Escape: it may carry data
// from the cloud or files), and pieces added with Raw, which are already
// escaped and may carry the palette's colour codes. Its String goes out
// through safetext.Raw (writeStyled).
type styledText struct{ b strings.Builder }

func (t *styledText) Write(p []byte) (int, error) {
	t.b.WriteString(safetext.Escape(string(p)))
	return len(p), nil
}

func (t *styledText) WriteString(s string) (int, error) {
	t.b.WriteString(safetext.Escape(s))
	return len(s), nil
}

func (t *styledText) WriteByte(c byte) error {
	_, err := t.WriteString(string(c))
	return err
}

// Raw appends s as it is: s must be escaped already.
func (t *styledText) Raw(s string) { t.b.WriteString(s) }

func (t *styledText) String() string { return t.b.String() }

func (t *styledText) Len() int { return t.b.Len() }

// writeStyled writes t to w past w's escaping: everything in t was escaped
// as it was added, and only the palette's codes are raw.
func writeStyled(w io.Writer, t *styledText) error {
	_, err := io.WriteString(safetext.Raw(w), t.String())
	return err
}

var sgrCode = regexp.MustCompile("\x1b\\[[0-9;]*m")

// visibleWidth is the display width of s without the palette's codes.
func visibleWidth(s string) int { return runewidth.StringWidth(sgrCode.ReplaceAllString(s, "")) }

// wrapLines word-wraps every line of s wider than width at spaces, the
// continuation lines indented two more than the line they continue. Text
// is escaped already and the palette's codes take no room; a word wider
// than a line is broken across lines. Nothing is ever cut off.
func wrapLines(s string, width int) string {
	if width <= 0 {
		return s
	}
	var b strings.Builder
	for _, line := range strings.SplitAfter(s, "\n") {
		body := strings.TrimSuffix(line, "\n")
		if visibleWidth(body) <= width {
			b.WriteString(line)
			continue
		}
		rest := strings.TrimLeft(body, " ")
		indent := body[:len(body)-len(rest)]
		cont := indent + "  "
		cur, curW := indent, len(indent)
		started := false
		var words []string
		for _, word := range strings.Split(rest, " ") {
			// A word wider than a line (a long URL) is broken, not cut:
			// a terminal would break it anyway, without the indent.
			for room := width - len(cont); room > 0 && !strings.Contains(word, "\x1b") && runewidth.StringWidth(word) > room; {
				head := runewidth.Truncate(word, room, "")
				if head == "" {
					break
				}
				words = append(words, head)
				word = word[len(head):]
			}
			words = append(words, word)
		}
		for _, word := range words {
			ww := visibleWidth(word)
			if started && curW+1+ww > width {
				b.WriteString(strings.TrimRight(cur, " ") + "\n")
				cur, curW, started = cont, len(cont), false
			}
			if started {
				cur += " "
				curW++
			}
			cur += word
			curW += ww
			started = true
		}
		b.WriteString(cur + line[len(body):])
	}
	return b.String()
}
