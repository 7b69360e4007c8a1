package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/akresp/akresp/internal/jsonout"
)

// Printer writes one result value in one output format.
type Printer interface {
	Print(w io.Writer, v any) error
}

// Tabular is implemented by results that have a table, CSV and markdown
// form. Cells may be strings, numbers, bools, time.Time (formatted per
// output: RFC 3339 UTC for machines and off a terminal, zone-local and
// relative on a terminal), time.Duration, fmt.Stringer or nil.
type Tabular interface {
	Columns() []string
	Rows() [][]any
}

// PrintOptions carry what printers need to know about where output goes.
type PrintOptions struct {
	IO  *IOStreams
	TZ  *time.Location   // zone for times shown to people; nil = UTC
	Now func() time.Time // for relative times; nil = time.Now
}

// NewPrinter resolves an -o value to its printer (kubectl's
// PrintFlags.ToPrinter): json writes exactly one document with a trailing
// newline; table, csv and markdown need a Tabular value.
func NewPrinter(format string, o PrintOptions) (Printer, error) {
	switch format {
	case FormatJSON:
		return jsonPrinter{}, nil
	case FormatTable:
		return tablePrinter{o: o}, nil
	case FormatCSV:
		return csvPrinter{}, nil
	case FormatMarkdown:
		return markdownPrinter{}, nil
	}
	return nil, UsageErrorf("output format %q is not one of %s", format, strings.Join(allFormats, ", "))
}

// printOptions builds PrintOptions from the factory and settings.
func printOptions(f *Factory, s *Settings) PrintOptions {
	return PrintOptions{IO: f.IO, TZ: s.TZ, Now: f.Now}
}

type jsonPrinter struct{}

// Print marshals v first and writes only on success, so stdout never holds
// half a document; the indented document is streamed out (jsonout), not
// held as a second copy at the audit's memory peak.
func (jsonPrinter) Print(w io.Writer, v any) error {
	if err := jsonout.Write(w, v); err != nil {
		return fmt.Errorf("encode JSON output: %w", err)
	}
	return nil
}

type tablePrinter struct{ o PrintOptions }

func (p tablePrinter) Print(w io.Writer, v any) error {
	t, err := tabular(v, FormatTable)
	if err != nil {
		return err
	}
	tb := NewTable(p.o, t.Columns()...)
	for _, r := range t.Rows() {
		tb.AddRow(r...)
	}
	return tb.Render(w)
}

type csvPrinter struct{}

func (csvPrinter) Print(w io.Writer, v any) error {
	t, err := tabular(v, FormatCSV)
	if err != nil {
		return err
	}
	return renderCSV(w, t)
}

type markdownPrinter struct{}

func (markdownPrinter) Print(w io.Writer, v any) error {
	t, err := tabular(v, FormatMarkdown)
	if err != nil {
		return err
	}
	return renderMarkdown(w, t)
}

func tabular(v any, format string) (Tabular, error) {
	t, ok := v.(Tabular)
	if !ok {
		return nil, fmt.Errorf("%s output is not available for %T", format, v)
	}
	return t, nil
}

// outputsAnnotation holds a command's supported -o formats, default first.
const outputsAnnotation = "akresp/outputs"

// setOutputFormats declares the -o formats cmd supports; the first one is
// its default. The list is appended to the command's help.
func setOutputFormats(cmd *cobra.Command, formats ...string) {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[outputsAnnotation] = strings.Join(formats, ",")
	line := fmt.Sprintf("Output formats (-o): %s (default), %s.", formats[0], strings.Join(formats[1:], ", "))
	if len(formats) == 1 {
		line = fmt.Sprintf("Output format (-o): %s.", formats[0])
	}
	if cmd.Long == "" {
		cmd.Long = cmd.Short + "."
	}
	cmd.Long = strings.TrimRight(cmd.Long, "\n") + "\n\n" + line
}

// outputFormats returns the formats cmd declared (nil when it has no
// output to format).
func outputFormats(cmd *cobra.Command) []string {
	v := cmd.Annotations[outputsAnnotation]
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// resolveOutput checks the requested -o value against cmd's formats and
// returns the one to use.
func resolveOutput(cmd *cobra.Command, requested string) (string, error) {
	formats := outputFormats(cmd)
	switch {
	case len(formats) == 0 && requested != "":
		return "", UsageErrorf("%s has no output to format; drop --output", cmd.CommandPath())
	case len(formats) == 0:
		return "", nil
	case requested == "":
		return formats[0], nil
	case !slices.Contains(formats, requested):
		return "", UsageErrorf("--output %s is not supported by %s; use one of: %s", requested, cmd.CommandPath(), strings.Join(formats, ", "))
	}
	return requested, nil
}
