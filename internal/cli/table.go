package cli

import (
	"encoding/csv"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mattn/go-runewidth"

	"github.com/akresp/akresp/internal/safetext"
)

const (
	columnGap     = 2   // spaces between columns
	minColumnSize = 12  // a column is never wrapped narrower than this
	pipedWidth    = 100 // the width tables are wrapped to off a terminal
	tableTimeTTY  = "2006-01-02 15:04"
)

// Table is the one table helper: upper-case headers, left-aligned columns
// separated by two spaces, no borders.
//
// On a terminal, rows fit the terminal's width: the widest text columns
// (titles, lists) are word-wrapped onto continuation lines, times are short
// ("2006-01-02 15:04", in --tz, the zone named in the column header), and
// severity, verdict and outcome words are coloured (Palette).
//
// Piped (stdout not a terminal), the same layout is wrapped to 100 columns
// and nothing is ever truncated; times are RFC 3339 UTC and there is no
// colour. Scripts that parse should use -o json or -o csv, which never
// wrap.
type Table struct {
	o       PrintOptions
	columns []string
	rows    [][]string
	rigid   []bool // the column holds times or commands: never wrapped
	indent  string // written before every line; counts against the width
}

// NewTable starts a table with the given column headers.
func NewTable(o PrintOptions, columns ...string) *Table {
	return &Table{o: o, columns: columns, rigid: make([]bool, len(columns))}
}

// SetIndent puts prefix (spaces) before every line of the table.
func (t *Table) SetIndent(prefix string) { t.indent = prefix }

func (t *Table) tty() bool { return t.o.IO != nil && t.o.IO.IsStdoutTTY() }

// AddRow appends a row; missing cells are empty, extra cells are dropped.
func (t *Table) AddRow(cells ...any) {
	row := make([]string, len(t.columns))
	for i := range row {
		if i < len(cells) {
			switch c := cells[i].(type) {
			case time.Time, *time.Time:
				t.rigid[i] = true
			case string:
				// A command to run is copied whole: never wrapped.
				if strings.HasPrefix(c, "akresp ") {
					t.rigid[i] = true
				}
			}
			// Escaped before widths are measured, so columns stay aligned
			// and no control character from the data reaches the screen.
			row[i] = oneLine(safetext.Escape(tableCell(cells[i], t.tty(), t.o.TZ)))
		}
	}
	t.rows = append(t.rows, row)
}

// tableCell is formatCell with the terminal's short times.
func tableCell(v any, tty bool, tz *time.Location) string {
	if !tty {
		return formatCell(v, false, tz, time.Time{})
	}
	switch x := v.(type) {
	case *time.Time:
		if x == nil {
			return "-"
		}
		return tableCell(*x, tty, tz)
	case time.Time:
		if x.IsZero() {
			return "-"
		}
		if tz == nil {
			tz = time.UTC
		}
		return x.In(tz).Format(tableTimeTTY)
	}
	return formatCell(v, tty, tz, time.Time{})
}

func (t *Table) now() time.Time {
	if t.o.Now != nil {
		return t.o.Now()
	}
	return time.Now()
}

// width is what the table is fitted to: the terminal's width, or 100
// columns when piped.
func (t *Table) width() int {
	if t.tty() {
		return t.o.IO.TerminalWidth()
	}
	return pipedWidth
}

// Render writes the table to w. The cells were escaped by AddRow; the
// palette's codes are the only raw bytes, so the table goes out through
// safetext.Raw.
func (t *Table) Render(w io.Writer) error {
	tty := t.tty()
	headers := make([]string, len(t.columns))
	for i, c := range t.columns {
		headers[i] = strings.ToUpper(c)
		if tty && t.rigid[i] {
			headers[i] += " (" + zoneAbbrev(t.o.TZ, t.now()) + ")"
		}
	}
	pal := Palette{}
	if t.o.IO != nil {
		pal = t.o.IO.Palette()
	}
	widths := fitColumns(headers, t.rows, t.rigid, t.width()-runewidth.StringWidth(t.indent), tty)
	var out strings.Builder
	writeRow := func(cells []string, header bool) {
		wrapped := make([][]string, len(cells))
		height := 1
		for i, c := range cells {
			wrapped[i] = wrapCell(c, widths[i])
			height = max(height, len(wrapped[i]))
		}
		for ln := 0; ln < height; ln++ {
			var line strings.Builder
			line.WriteString(t.indent)
			pending := 0 // padding owed before the next cell
			for i := range cells {
				text := ""
				if ln < len(wrapped[i]) {
					text = wrapped[i][ln]
				}
				if text == "" {
					pending += widths[i] + columnGap
					continue
				}
				line.WriteString(strings.Repeat(" ", pending))
				styled := text
				switch {
				case header:
					styled = pal.Bold(text)
				case ln == 0 && coloredColumns[strings.ToLower(t.columns[i])]:
					styled = pal.Word(text)
				}
				line.WriteString(styled)
				pending = widths[i] - runewidth.StringWidth(text) + columnGap
			}
			out.WriteString(strings.TrimRight(line.String(), " ") + "\n")
		}
	}
	writeRow(headers, true)
	for _, r := range t.rows {
		writeRow(r, false)
	}
	_, err := io.WriteString(safetext.Raw(w), out.String())
	return err
}

// fitColumns returns each column's width: its widest cell, then the
// widest text columns (a cell with a space in it: titles, lists) narrowed,
// one character at a time, until a row fits width, never below
// minColumnSize, the header or the column's longest word. Columns of single
// tokens (IDs, names, addresses) are narrowed only when that is not enough,
// and times and commands never: a line may overflow a very narrow terminal
// rather than break a command that is copied and pasted.
func fitColumns(headers []string, rows [][]string, rigid []bool, width int, breakWords bool) []int {
	n := len(headers)
	widths := make([]int, n)
	floor := make([]int, n)
	text := make([]bool, n)
	for i, h := range headers {
		widths[i] = runewidth.StringWidth(h)
		floor[i] = max(minColumnSize, widths[i])
	}
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], runewidth.StringWidth(c))
			if !rigid[i] && strings.Contains(c, " ") {
				text[i] = true
			}
			// Words are not broken: a text column keeps its longest word.
			for _, word := range strings.Fields(c) {
				floor[i] = max(floor[i], runewidth.StringWidth(word))
			}
		}
	}
	total := columnGap * max(n-1, 0)
	for _, w := range widths {
		total += w
	}
	// First the text columns, down to their longest word; then, on a very
	// narrow terminal (breakWords; never piped), any column but times and commands, down to
	// minColumnSize (its words broken, never cut off).
	for _, anyColumn := range []bool{false, true} {
		if anyColumn && !breakWords {
			break
		}
		for total > width {
			widest := -1
			for i := range widths {
				f := floor[i]
				if anyColumn {
					f = minColumnSize
				}
				if (text[i] || anyColumn && !rigid[i]) && widths[i] > f && (widest < 0 || widths[i] > widths[widest]) {
					widest = i
				}
			}
			if widest < 0 {
				break
			}
			widths[widest]--
			total--
		}
	}
	return widths
}

// wrapCell breaks s into lines of at most width display columns, at spaces
// where it can and inside a word where it must; nothing is dropped.
func wrapCell(s string, width int) []string {
	if runewidth.StringWidth(s) <= width || width <= 0 {
		return []string{s}
	}
	var lines []string
	cur, curW := "", 0
	flush := func() {
		lines = append(lines, cur)
		cur, curW = "", 0
	}
	for _, word := range strings.Split(s, " ") {
		ww := runewidth.StringWidth(word)
		if curW > 0 && curW+1+ww <= width {
			cur += " " + word
			curW += 1 + ww
			continue
		}
		if curW > 0 {
			flush()
		}
		for ww > width {
			head := runewidth.Truncate(word, width, "")
			if head == "" { // a character wider than the column
				_, size := utf8.DecodeRuneInString(word)
				head = word[:size]
			}
			lines = append(lines, head)
			word = word[len(head):]
			ww = runewidth.StringWidth(word)
		}
		cur, curW = word, ww
	}
	if cur != "" || len(lines) == 0 {
		flush()
	}
	return lines
}

// zoneAbbrev names tz as a header suffix: "UTC", "CST", "+0530".
func zoneAbbrev(tz *time.Location, now time.Time) string {
	if tz == nil {
		tz = time.UTC
	}
	name, _ := now.In(tz).Zone()
	return name
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

// mdReplacer escapes what would change a cell's meaning in markdown: the
// table's own pipes, code and HTML, and the markup an event field could use
// to style or link text in a report ("*", "_", "~", "](").
var mdReplacer = strings.NewReplacer(`\`, `\\`, "|", `\|`, "`", "\\`", "<", "&lt;", ">", "&gt;",
	"\r\n", "<br>", "\n", "<br>", "\t", " ", "*", `\*`, "_", `\_`, "~", `\~`, "](", `\](`)

// lowerSnake turns column titles into CSV header names: "Last used" ->
// "last_used".
func lowerSnake(cols []string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = strings.ReplaceAll(strings.ToLower(strings.TrimSpace(c)), " ", "_")
	}
	return out
}

// rfc3339UTC matches the times akresp's own sentences carry ("last used
// 2026-12-01T09:00:00Z").
var rfc3339UTC = regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\b`)

// localTimes rewrites the RFC 3339 UTC times in a sentence as formatCell
// shows times: in --tz with a relative age on a terminal, unchanged off
// one. The verdict line thus reads like the KEY section under it.
func localTimes(s string, tty bool, tz *time.Location, now time.Time) string {
	if !tty {
		return s
	}
	return rfc3339UTC.ReplaceAllStringFunc(s, func(m string) string {
		ts, err := time.Parse(time.RFC3339, m)
		if err != nil {
			return m
		}
		return formatCell(ts, true, tz, now)
	})
}
