package cli

import (
	"bytes"
	"io"
	"os"
	"strconv"

	"golang.org/x/term"

	"github.com/akresp/akresp/internal/safetext"
)

// defaultTerminalWidth is used when stdout is a terminal whose size cannot
// be read, and reported (without effect) when stdout is not a terminal.
const defaultTerminalWidth = 80

// IOStreams holds the three standard streams and what is known about them
// (cli/cli's iostreams). TTY state and colour are injected so tests can flip
// them; nothing else in the package looks at the real file descriptors.
//
// Out and ErrOut escape control characters (safetext.Writer): every table,
// markdown, CSV, plan, log line and message shows an ESC, BEL or CR that
// came from cloud or file data as \x1b, \x07, \r instead of letting it
// drive the terminal. akresp's own colour codes and progress lines write
// through safetext.Raw.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdinTTY, stdoutTTY, stderrTTY bool
	// colorEnabled: colour is allowed (NO_COLOR unset, TERM not dumb, no
	// --no-color). Each stream is coloured only when it is itself a
	// terminal: Palette (stdout), ErrPalette (stderr).
	colorEnabled bool
	termWidth    int // 0 = ask the terminal, or the default
}

// SystemStreams returns the process's standard streams with TTY state read
// from the file descriptors. Colour is allowed when NO_COLOR is unset or
// empty (https://no-color.org) and TERM is not "dumb"; --no-color turns it
// off later. It is used on a stream only when that stream is a terminal.
func SystemStreams() *IOStreams { return StreamsFor(os.Stdin, os.Stdout, os.Stderr) }

// StreamsFor is SystemStreams over given files: each stream's TTY state
// (and so its colour and width) is read from that stream's own descriptor.
// Tests pass a pseudo-terminal.
func StreamsFor(in, out, errOut *os.File) *IOStreams {
	s := &IOStreams{
		In:        in,
		Out:       safetext.NewWriter(out),
		ErrOut:    safetext.NewWriter(errOut),
		stdinTTY:  isTerminal(in),
		stdoutTTY: isTerminal(out),
		stderrTTY: isTerminal(errOut),
	}
	s.colorEnabled = colorAllowedByEnv(os.Getenv)
	return s
}

// TestStreams returns streams backed by buffers, with every TTY flag off.
// Out and ErrOut escape control characters exactly as SystemStreams' do.
func TestStreams() (s *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: safetext.NewWriter(out), ErrOut: safetext.NewWriter(errOut)}, in, out, errOut
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// IsStdinTTY reports whether stdin is a terminal.
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// IsStdoutTTY reports whether stdout is a terminal. It changes layout, never
// meaning: aligned, width-truncated tables and relative times on a terminal;
// nothing truncated and RFC 3339 UTC times otherwise.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether stderr is a terminal.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// SetStdinTTY overrides the detected state (tests).
func (s *IOStreams) SetStdinTTY(v bool) { s.stdinTTY = v }

// SetStdoutTTY overrides the detected state (tests).
func (s *IOStreams) SetStdoutTTY(v bool) { s.stdoutTTY = v }

// SetStderrTTY overrides the detected state (tests).
func (s *IOStreams) SetStderrTTY(v bool) { s.stderrTTY = v }

// colorAllowedByEnv applies NO_COLOR (any non-empty value) and TERM=dumb.
func colorAllowedByEnv(getenv func(string) string) bool {
	return getenv("NO_COLOR") == "" && getenv("TERM") != "dumb"
}

// ColorEnabled reports whether colour is allowed at all (no NO_COLOR,
// TERM=dumb or --no-color). Whether a given stream gets it also depends
// on that stream being a terminal: see Palette and ErrPalette.
func (s *IOStreams) ColorEnabled() bool { return s.colorEnabled }

func (s *IOStreams) colorAllowed() bool { return s.colorEnabled }

// SetColorEnabled allows or forbids colour (--no-color, tests).
func (s *IOStreams) SetColorEnabled(v bool) { s.colorEnabled = v }

// CanPrompt reports whether akresp may ask a question: stdin and stdout
// must both be terminals. Mutating commands that cannot prompt refuse
// without --yes; they never hang waiting for input.
func (s *IOStreams) CanPrompt() bool { return s.stdinTTY && s.stdoutTTY }

// TerminalWidth is the width tables are fitted to on a terminal: the value
// set by SetTerminalWidth, else the terminal's own width, else $COLUMNS,
// else 80.
func (s *IOStreams) TerminalWidth() int {
	if s.termWidth > 0 {
		return s.termWidth
	}
	if f, ok := safetext.Raw(s.Out).(*os.File); ok && s.stdoutTTY {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return w
		}
	}
	if w, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && w > 0 {
		return w
	}
	return defaultTerminalWidth
}

// SetTerminalWidth fixes the width (tests, deterministic output).
func (s *IOStreams) SetTerminalWidth(w int) { s.termWidth = w }
