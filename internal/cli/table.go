package cli

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/mattn/go-runewidth"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/akresp/akresp/internal/safetext"
)

const (
	columnGap     = 2  // spaces between columns
	minColumnSize = 10 // a column is never truncated below this width
)

// Table is the one table helper: upper-case headers, left-aligned columns
// separated by two spaces, no borders. On a terminal, rows are fitted to
// the terminal width (widest columns truncated with "…") and times are
// local to --tz and relative; off a terminal nothing is truncated and times
// are RFC 3339 UTC, so scripts can parse them.
type Table struct {
	o       PrintOptions
	columns []string
	rows    [][]string
}

// NewTable starts a table with the given column headers.
func NewTable(o PrintOptions, columns ...string) *Table {
	return &Table{o: o, columns: columns}
}

func (t *Table) tty() bool { return t.o.IO != nil && t.o.IO.IsStdoutTTY() }

// AddRow appends a row; missing cells are empty, extra cells are dropped.
func (t *Table) AddRow(cells ...any) {
	row := make([]string, len(t.columns))
	for i := range row {
		if i < len(cells) {
			// Escaped before widths are measured, so columns stay aligned
			// and no control character from the data reaches the screen.
			row[i] = oneLine(safetext.Escape(formatCell(cells[i], t.tty(), t.o.TZ, t.now())))
		}
	}
	t.rows = append(t.rows, row)
}

func (t *Table) now() time.Time {
	if t.o.Now != nil {
		return t.o.Now()
	}
	return time.Now()
}

// Render writes the table to w.
func (t *Table) Render(w io.Writer) error {
	headers := make([]string, len(t.columns))
	for i, c := range t.columns {
		headers[i] = strings.ToUpper(c)
	}
	rows := t.rows
	if t.tty() {
		headers, rows = fitWidth(headers, rows, t.o.IO.TerminalWidth())
	}
	var buf bytes.Buffer
	tb := tablewriter.NewTable(&buf,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Symbols: tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenColumns: tw.Off, BetweenRows: tw.Off, ShowHeader: tw.Off},
				Lines:      tw.Lines{ShowHeaderLine: tw.Off, ShowTop: tw.Off, ShowBottom: tw.Off},
			},
		})),
		tablewriter.WithConfig(tablewriter.Config{
			Header: tw.CellConfig{
				Formatting: tw.CellFormatting{AutoFormat: tw.Off, AutoWrap: tw.WrapNone},
				Alignment:  tw.CellAlignment{Global: tw.AlignLeft},
			},
			Row: tw.CellConfig{
				Formatting: tw.CellFormatting{AutoFormat: tw.Off, AutoWrap: tw.WrapNone},
				Alignment:  tw.CellAlignment{Global: tw.AlignLeft},
			},
		}),
		tablewriter.WithPadding(tw.Padding{Left: "", Right: strings.Repeat(" ", columnGap), Overwrite: true}),
		tablewriter.WithTrimSpace(tw.Off),
	)
	tb.Header(headers)
	for _, r := range rows {
		if err := tb.Append(r); err != nil {
			return fmt.Errorf("render table: %w", err)
		}
	}
	if err := tb.Render(); err != nil {
		return fmt.Errorf("render table: %w", err)
	}
	// Trailing padding is noise for diffs and terminals alike.
	var out strings.Builder
	for _, line := range strings.SplitAfter(buf.String(), "\n") {
		if line == "" {
			continue
		}
		out.WriteString(strings.TrimRight(line, " \n") + "\n")
	}
	_, err := io.WriteString(w, out.String())
	return err
}

// fitWidth truncates the widest columns until a row fits width.
func fitWidth(headers []string, rows [][]string, width int) ([]string, [][]string) {
	n := len(headers)
	if n == 0 {
		return headers, rows
	}
	widths := make([]int, n)
	for i, h := range headers {
		widths[i] = runewidth.StringWidth(h)
	}
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], runewidth.StringWidth(c))
		}
	}
	total := func() int {
		s := columnGap * (n - 1)
		for _, w := range widths {
			s += w
		}
		return s
	}
	for total() > width {
		widest := 0
		for i := range widths {
			if widths[i] > widths[widest] {
				widest = i
			}
		}
		if widths[widest] <= minColumnSize {
			break
		}
		widths[widest]--
	}
	trunc := func(row []string) []string {
		out := make([]string, len(row))
		for i, c := range row {
			out[i] = runewidth.Truncate(c, widths[i], "…")
		}
		return out
	}
	fitted := make([][]string, len(rows))
	for i, r := range rows {
		fitted[i] = trunc(r)
	}
	return trunc(headers), fitted
}

// formatCell renders one cell. Times off a terminal (and in every machine
// format) are RFC 3339 UTC; on a terminal they are shown in tz with a
// relative age. A zero time is empty off a terminal and "-" on one.
func formatCell(v any, tty bool, tz *time.Location, now time.Time) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case time.Time:
		if x.IsZero() {
			if tty {
				return "-"
			}
			return ""
		}
		if !tty {
			return x.UTC().Format(time.RFC3339)
		}
		if tz == nil {
			tz = time.UTC
		}
		return x.In(tz).Format("2006-01-02 15:04 MST") + " (" + relativeTime(x, now) + ")"
	case *time.Time:
		if x == nil {
			return formatCell(time.Time{}, tty, tz, now)
		}
		return formatCell(*x, tty, tz, now)
	case time.Duration:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case fmt.Stringer:
		return x.String()
	case error:
		return x.Error()
	}
	return fmt.Sprint(v)
}

// relativeTime says how long ago (or ahead) t is, in the largest whole unit.
func relativeTime(t, now time.Time) string {
	d := now.Sub(t)
	suffix := "ago"
	if d < 0 {
		d, suffix = -d, "from now"
	}
	plural := func(n int, unit string) string {
		if n == 1 {
			return fmt.Sprintf("1 %s %s", unit, suffix)
		}
		return fmt.Sprintf("%d %ss %s", n, unit, suffix)
	}
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute")
	case d < 24*time.Hour:
		return plural(int(d/time.Hour), "hour")
	case d < 60*24*time.Hour:
		return plural(int(d/(24*time.Hour)), "day")
	case d < 2*365*24*time.Hour:
		return plural(int(d/(30*24*time.Hour)), "month")
	}
	return plural(int(d/(365*24*time.Hour)), "year")
}

func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n\t") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// renderCSV writes a header row and one row per result row (RFC 4180).
func renderCSV(w io.Writer, t Tabular) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(lowerSnake(t.Columns())); err != nil {
		return err
	}
	for _, r := range t.Rows() {
		rec := make([]string, len(t.Columns()))
		for i := range rec {
			if i < len(r) {
				rec[i] = csvCell(r[i])
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// renderMarkdown writes a GitHub-flavoured markdown table.
func renderMarkdown(w io.Writer, t Tabular) error {
	var b strings.Builder
	cols := t.Columns()
	b.WriteString("|")
	for _, c := range cols {
		b.WriteString(" " + mdEscape(c) + " |")
	}
	b.WriteString("\n|")
	for range cols {
		b.WriteString(" --- |")
	}
	b.WriteString("\n")
	for _, r := range t.Rows() {
		b.WriteString("|")
		for i := range cols {
			cell := ""
			if i < len(r) {
				cell = formatCell(r[i], false, time.UTC, time.Time{})
			}
			b.WriteString(" " + mdEscape(cell) + " |")
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// csvCell renders one CSV cell: text from the data is escaped and kept
// from being read as a spreadsheet formula (safetext.CSVCell); numbers,
// times and booleans are written as they are.
func csvCell(v any) string {
	s := formatCell(v, false, time.UTC, time.Time{})
	switch v.(type) {
	case nil, bool, time.Time, *time.Time, time.Duration,
		int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return s
	}
	return safetext.CSVCell(s)
}

// mdEscape makes s one markdown table cell: control characters escaped
// (safetext), the cell and code-span delimiters | and ` escaped, inline
// HTML neutralised, line breaks as <br>.
func mdEscape(s string) string {
	return mdReplacer.Replace(safetext.Escape(s))
}

var mdReplacer = strings.NewReplacer(`\`, `\\`, "|", `\|`, "`", "\\`", "<", "&lt;", ">", "&gt;",
	"\r\n", "<br>", "\n", "<br>", "\t", " ")

// lowerSnake turns column titles into CSV header names: "Last used" ->
// "last_used".
func lowerSnake(cols []string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = strings.ReplaceAll(strings.ToLower(strings.TrimSpace(c)), " ", "_")
	}
	return out
}
