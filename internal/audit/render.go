package audit

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mattn/go-runewidth"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/akresp/akresp/internal/safetext"
)

// Renderers print a Result for people. They are pure: everything comes
// from the Result and the arguments, so the same Result always renders the
// same bytes. Every string that came from an event (user agents, parameter
// values, names) is attacker-controlled: control characters are replaced
// so that nothing can move the terminal cursor or forge lines, and the
// markdown renderer escapes markup.

const (
	tableTime = "2006-01-02 15:04:05"
	maxRows   = 50 // rows per activity table; the rest are counted
	// maxReadFrom is how many inputs "Read from" names (a 90-day OSS
	// delivery is tens of thousands of files); the rest are counted, and
	// -o json lists every one.
	maxReadFrom = 5
)

// RenderText writes the sectioned plain-text report: KEY, WINDOW, ACTIVITY
// (services, source IPs), FINDINGS, VERDICT and NEXT STEPS, CREATED
// IDENTITIES, FOLLOWED IDENTITIES, CAVEATS, DIAGNOSTICS. Times are shown in tz (nil = UTC).
// width > 0 truncates the widest column of each table so that rows fit;
// width <= 0 truncates nothing.
func RenderText(w io.Writer, r *Result, tz *time.Location, width int) error {
	if r == nil {
		return fmt.Errorf("render text: no result")
	}
	if tz == nil {
		tz = time.UTC
	}
	p := &textPrinter{tz: tz, width: width}
	p.key(r)
	p.window(r)
	p.activity(r)
	p.findings(r)
	p.list("ROUTINE (context, not evidence)", routineLines(r)) // routine.go
	p.verdict(r)
	p.created(r)
	p.followed(r)
	p.list("CAVEATS", r.Caveats)
	if len(r.Diagnostics) > 0 {
		var ds []string
		for _, d := range r.Diagnostics {
			s := d.Level + ": " + d.Source + ": " + d.Summary
			if d.Detail != "" {
				s += " (" + d.Detail + ")"
			}
			ds = append(ds, s)
		}
		p.list("DIAGNOSTICS", ds)
	}
	if p.err != nil {
		return fmt.Errorf("render text: %w", p.err)
	}
	_, err := w.Write(p.buf.Bytes())
	return err
}

type textPrinter struct {
	buf   bytes.Buffer
	tz    *time.Location
	width int
	err   error
}

func (p *textPrinter) line(format string, args ...any) {
	fmt.Fprintf(&p.buf, format+"\n", args...)
}

func (p *textPrinter) heading(s string) {
	if p.buf.Len() > 0 {
		p.buf.WriteByte('\n')
	}
	p.buf.WriteString(s + "\n")
}

func (p *textPrinter) time(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(p.tz).Format(tableTime)
}

// fields prints "  Label  value" pairs aligned.
func (p *textPrinter) fields(kv [][2]string) {
	wd := 0
	for _, x := range kv {
		wd = max(wd, len(x[0]))
	}
	for _, x := range kv {
		if x[1] == "" {
			continue
		}
		p.line("  %-*s  %s", wd, x[0], clean(x[1]))
	}
}

func (p *textPrinter) key(r *Result) {
	k := r.Key
	p.heading("KEY")
	owner := k.Owner
	if k.OwnerType != "" {
		owner = strings.TrimSpace(owner + " (" + k.OwnerType + ")")
	}
	created := ""
	if !k.Created.IsZero() {
		created = p.time(k.Created)
		if k.AgeDays > 0 {
			created += fmt.Sprintf(" (%d days old)", k.AgeDays)
		}
	}
	last := ""
	if !k.LastUsed.IsZero() {
		last = p.time(k.LastUsed)
		if k.LastUsedService != "" {
			last += " " + k.LastUsedService
		}
		if len(k.LastUsedIPs) > 0 {
			last += " from " + strings.Join(k.LastUsedIPs, ", ")
		}
	}
	p.fields([][2]string{
		{"AccessKey", orDash(k.AccessKeyID)},
		{"Owner", owner},
		{"Account", k.AccountID},
		{"Status", k.Status},
		{"Created", created},
		{"Last used", last},
		{"Used services", strings.Join(k.UsedServices, ", ")},
		{"Leak record", strings.Join(k.LeakRecords, "; ")},
	})
}

func (p *textPrinter) window(r *Result) {
	w := r.Window
	p.heading("WINDOW")
	events := fmt.Sprintf("%d analysed", w.Events)
	if w.Excluded > 0 {
		events += fmt.Sprintf(", %d of akresp's own left out", w.Excluded)
	}
	if w.Filtered > 0 {
		events += fmt.Sprintf(", %d filtered (other keys, outside the window)", w.Filtered)
	}
	rng := ""
	if !w.Since.IsZero() || !w.Until.IsZero() {
		rng = p.time(w.Since) + " .. " + p.time(w.Until)
	}
	base := ""
	switch {
	case w.BaselineEnd.IsZero():
		base = "none (no history before the activity analysed)"
	default:
		base = fmt.Sprintf("until %s (%s), %d events", p.time(w.BaselineEnd), strings.ReplaceAll(w.BaselineBasis, "_", " "), w.BaselineEvents)
	}
	leak := ""
	if !w.LeakTime.IsZero() {
		leak = p.time(w.LeakTime)
	}
	p.fields([][2]string{
		{"Events", events},
		{"Range", rng},
		{"Leak time", leak},
		{"Baseline", base},
		{"Read from", listSome(w.Sources, maxReadFrom)},
		{"Regions", w.Regions.Summary()},
		{"Times in", zoneName(p.tz)},
	})
}

func (p *textPrinter) activity(r *Result) {
	p.heading("ACTIVITY")
	if len(r.Services) == 0 && len(r.Sources) == 0 {
		p.line("  no events")
		return
	}
	var rows [][]string
	for i, s := range r.Services {
		if i == maxRows {
			rows = append(rows, []string{fmt.Sprintf("(%d more)", len(r.Services)-maxRows)})
			break
		}
		var acts []string
		for _, a := range s.Actions {
			acts = append(acts, fmt.Sprintf("%s %d", a.Name, a.Count))
		}
		rows = append(rows, []string{s.Service, strconv.Itoa(s.Count), strconv.Itoa(s.Writes), strconv.Itoa(s.Errors),
			p.time(s.FirstSeen), p.time(s.LastSeen), strings.Join(acts, ", ")})
	}
	p.table([]string{"SERVICE", "EVENTS", "WRITES", "ERRORS", "FIRST", "LAST", "TOP ACTIONS"}, rows, 6)

	p.buf.WriteByte('\n')
	rows = nil
	for i, s := range r.Sources {
		if i == maxRows {
			rows = append(rows, []string{fmt.Sprintf("(%d more)", len(r.Sources)-maxRows)})
			break
		}
		rows = append(rows, []string{s.IP, strconv.Itoa(s.Count), strconv.Itoa(s.Errors),
			p.time(s.FirstSeen), p.time(s.LastSeen), sourceStatus(s), strings.Join(s.Services, ", ")})
	}
	p.table([]string{"SOURCE", "EVENTS", "ERRORS", "FIRST", "LAST", "STATUS", "SERVICES"}, rows, 6, 5)
}

// sourceStatus is a short judgement of a source.
func sourceStatus(s IPSummary) string {
	var parts []string
	switch {
	case s.Internal:
		parts = append(parts, "internal")
	case s.Flagged:
		parts = append(parts, "FLAGGED")
	default:
		parts = append(parts, "known")
	}
	if s.Trusted {
		parts = append(parts, "trusted")
	}
	parts = append(parts, s.Reasons...)
	return strings.Join(parts, " ")
}

func (p *textPrinter) findings(r *Result) {
	p.heading(fmt.Sprintf("FINDINGS (%d)", len(r.Findings)))
	if len(r.Findings) == 0 {
		p.line("  none")
		return
	}
	var rows [][]string
	for _, f := range r.Findings {
		ev := ""
		if len(f.Evidence) > 0 {
			ev = evidenceText(f.Evidence[0], p.tz)
		}
		rows = append(rows, []string{f.Severity.String(), f.ID, f.Title, strconv.Itoa(f.Count), listSome(f.IPs, 3), ev})
	}
	p.table([]string{"SEVERITY", "ID", "TITLE", "COUNT", "SOURCES", "FIRST EVIDENCE"}, rows, 2, 5)
}

// evidenceText is one evidence line: time, API, source, error, detail.
func evidenceText(e EvidenceRef, tz *time.Location) string {
	parts := []string{e.Time.In(tz).Format(tableTime), e.Service + ":" + e.Name}
	if e.SourceIP != "" {
		parts = append(parts, "from "+e.SourceIP)
	}
	if e.ErrorCode != "" {
		parts = append(parts, "error "+e.ErrorCode)
	}
	if e.Detail != "" {
		parts = append(parts, e.Detail)
	}
	return strings.Join(parts, " ")
}

func (p *textPrinter) verdict(r *Result) {
	v := r.Verdict
	p.heading(fmt.Sprintf("VERDICT: %s (%s)", strings.ToUpper(strings.ReplaceAll(v.Status, "_", " ")), v.Severity))
	p.line("  %s", clean(v.Summary))
	for _, s := range v.Reasons {
		p.line("  - %s", clean(s))
	}
	if v.MoreFindings > 0 {
		p.line("  - and %d more findings", v.MoreFindings)
	}
	if len(v.SuggestedTrustedCIDRs) > 0 {
		p.line("  Suggested trusted CIDRs: %s", strings.Join(v.SuggestedTrustedCIDRs, ", "))
	}
	if len(v.NextSteps) > 0 {
		p.heading("NEXT STEPS")
		for i, s := range v.NextSteps {
			p.line("  %d. %s", i+1, clean(s.Command))
			p.line("     %s", clean(s.Why))
		}
	}
}

func (p *textPrinter) created(r *Result) {
	if len(r.Created) == 0 {
		return
	}
	p.heading(fmt.Sprintf("CREATED IDENTITIES (%d)", len(r.Created)))
	var rows [][]string
	for _, c := range r.Created {
		user := c.User
		if c.PrincipalType != "" && c.PrincipalType != "User" {
			user = strings.ToLower(c.PrincipalType) + " " + user
		}
		rows = append(rows, []string{c.Kind, orDash(c.Name), orDash(user), c.Action, p.time(c.Event.Time), c.Event.SourceIP})
	}
	p.table([]string{"KIND", "NAME", "USER", "ACTION", "TIME", "SOURCE"}, rows, 1)
}

// followed prints FOLLOWED IDENTITIES: one row per identity, then its
// chain and its findings (follow.go).
func (p *textPrinter) followed(r *Result) {
	if len(r.Followed) == 0 && r.FollowedOmitted == 0 {
		return
	}
	p.heading(fmt.Sprintf("FOLLOWED IDENTITIES (%d)", len(r.Followed)))
	var rows [][]string
	for _, f := range r.Followed {
		rows = append(rows, []string{f.Kind, f.Name, strconv.Itoa(f.Events), followedSources(f), p.time(f.FirstSeen), p.time(f.LastSeen), followedTop(f)})
	}
	p.table([]string{"KIND", "NAME", "EVENTS", "SOURCES", "FIRST", "LAST", "FINDINGS"}, rows, 3, 6)
	for _, f := range r.Followed {
		p.line("  %s %s: %s", f.Kind, clean(f.Name), clean(ViaText(f.Via)))
		for _, x := range f.Findings {
			if x.Severity < Medium {
				continue
			}
			p.line("    %s %s: %s", x.Severity, x.ID, clean(x.Title))
		}
	}
	if r.FollowedOmitted > 0 {
		p.line("  (%d more identities not followed: at most %d are)", r.FollowedOmitted, MaxFollowed)
	}
}

// followedSources lists a followed identity's sources, busiest first.
func followedSources(f FollowedIdentity) string {
	ips := make([]string, 0, len(f.Sources))
	for _, s := range f.Sources {
		ips = append(ips, s.IP)
	}
	return listSome(ips, 3)
}

// followedTop is the count of a followed identity's findings by severity.
func followedTop(f FollowedIdentity) string {
	if len(f.Findings) == 0 {
		return "-"
	}
	return countBySeverity(f.Findings)
}

func (p *textPrinter) list(title string, items []string) {
	if len(items) == 0 {
		return
	}
	p.heading(title)
	for _, s := range items {
		p.line("  - %s", clean(s))
	}
}

// table renders rows with tablewriter: no borders, two spaces between
// columns, left aligned. When width > 0 the flexible columns (in order of
// preference) are truncated until the table fits.
func (p *textPrinter) table(header []string, rows [][]string, flex ...int) {
	for _, row := range rows {
		for i := range row {
			row[i] = clean(row[i])
		}
	}
	if p.width > 0 {
		fitColumns(header, rows, flex, p.width-2) // two-space indent
	}
	var out bytes.Buffer
	t := tablewriter.NewTable(&out,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Symbols: tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenRows: tw.Off, BetweenColumns: tw.Off},
				Lines:      tw.Lines{ShowHeaderLine: tw.Off},
			},
		})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithTrimSpace(tw.Off),
		tablewriter.WithPadding(tw.Padding{Left: "", Right: "  ", Overwrite: true}),
	)
	t.Header(header)
	for _, row := range rows {
		cells := make([]string, len(header))
		copy(cells, row)
		if err := t.Append(cells); err != nil && p.err == nil {
			p.err = err
		}
	}
	if err := t.Render(); err != nil && p.err == nil {
		p.err = err
	}
	for _, l := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		p.buf.WriteString("  " + strings.TrimRight(l, " ") + "\n")
	}
}

// fitColumns truncates the flexible columns, widest first, until header
// and rows fit in width (columns are separated by two spaces).
func fitColumns(header []string, rows [][]string, flex []int, width int) {
	widths := make([]int, len(header))
	measure := func() int {
		for i := range widths {
			widths[i] = runewidth.StringWidth(header[i])
		}
		for _, row := range rows {
			for i, c := range row {
				if i < len(widths) {
					widths[i] = max(widths[i], runewidth.StringWidth(c))
				}
			}
		}
		total := 2 * (len(widths) - 1)
		for _, w := range widths {
			total += w
		}
		return total
	}
	const minFlex = 12
	floor := func(c int) int { return max(minFlex, runewidth.StringWidth(header[c])) }
	for total := measure(); total > width; total = measure() {
		// Shrink the widest flexible column that can still shrink.
		best := -1
		for _, c := range flex {
			if c < len(widths) && widths[c] > floor(c) && (best < 0 || widths[c] > widths[best]) {
				best = c
			}
		}
		if best < 0 {
			return
		}
		// Shrink it by the excess, but not below the next widest flexible
		// column, so that wide columns share the cut.
		second := 0
		for _, c := range flex {
			if c != best && c < len(widths) {
				second = max(second, widths[c])
			}
		}
		target := max(floor(best), widths[best]-(total-width), second)
		if target >= widths[best] {
			target = widths[best] - 1
		}
		for _, row := range rows {
			if best < len(row) && runewidth.StringWidth(row[best]) > target {
				row[best] = runewidth.Truncate(row[best], target, "…")
			}
		}
	}
}

// RenderMarkdown writes the result as a markdown document (an incident
// ticket or report attachment). Times are shown in tz (nil = UTC).
func RenderMarkdown(w io.Writer, r *Result, tz *time.Location) error {
	if r == nil {
		return fmt.Errorf("render markdown: no result")
	}
	if tz == nil {
		tz = time.UTC
	}
	var b bytes.Buffer
	tm := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.In(tz).Format(tableTime)
	}
	v := r.Verdict
	fmt.Fprintf(&b, "# AccessKey audit: %s\n\n", md(orDash(r.Key.AccessKeyID)))
	fmt.Fprintf(&b, "**Verdict: %s (%s).** %s\n\n", strings.ReplaceAll(v.Status, "_", " "), v.Severity, md(v.Summary))
	for _, s := range v.Reasons {
		fmt.Fprintf(&b, "- %s\n", md(s))
	}
	if v.MoreFindings > 0 {
		fmt.Fprintf(&b, "- and %d more findings\n", v.MoreFindings)
	}
	if len(v.Reasons) > 0 {
		b.WriteByte('\n')
	}
	if len(v.SuggestedTrustedCIDRs) > 0 {
		var cs []string
		for _, c := range v.SuggestedTrustedCIDRs {
			cs = append(cs, "`"+c+"`")
		}
		fmt.Fprintf(&b, "Suggested trusted CIDRs: %s\n\n", strings.Join(cs, ", "))
	}
	if len(v.NextSteps) > 0 {
		b.WriteString("## Next steps\n\n")
		for i, s := range v.NextSteps {
			fmt.Fprintf(&b, "%d. %s: %s\n", i+1, codeSpan(s.Command), md(s.Why))
		}
		b.WriteByte('\n')
	}

	k := r.Key
	b.WriteString("## Key\n\n")
	mdTable(&b, []string{"Field", "Value"}, filterRows([][]string{
		{"AccessKey", orDash(k.AccessKeyID)},
		{"Owner", strings.TrimSpace(k.Owner + " " + paren(k.OwnerType))},
		{"Account", k.AccountID},
		{"Status", k.Status},
		{"Created", ifTime(k.Created, tm)},
		{"Age (days)", ifInt(k.AgeDays)},
		{"Last used", ifTime(k.LastUsed, tm)},
		{"Last used service", k.LastUsedService},
		{"Last used from", strings.Join(k.LastUsedIPs, ", ")},
		{"Leak record", strings.Join(k.LeakRecords, "; ")},
	}))

	wd := r.Window
	b.WriteString("## Window\n\n")
	base := "none"
	if !wd.BaselineEnd.IsZero() {
		base = fmt.Sprintf("until %s (%s), %d events", tm(wd.BaselineEnd), strings.ReplaceAll(wd.BaselineBasis, "_", " "), wd.BaselineEvents)
	}
	mdTable(&b, []string{"Field", "Value"}, filterRows([][]string{
		{"Events analysed", strconv.Itoa(wd.Events)},
		{"akresp's own calls left out", ifInt(wd.Excluded)},
		{"Filtered", ifInt(wd.Filtered)},
		{"From", ifTime(wd.Since, tm)},
		{"Until", ifTime(wd.Until, tm)},
		{"Leak time", ifTime(wd.LeakTime, tm)},
		{"Baseline", base},
		{"Read from", listSome(wd.Sources, maxReadFrom)},
		{"Regions", wd.Regions.Summary()},
		{"Times in", zoneName(tz)},
	}))

	if rl := routineLines(r); len(rl) > 0 { // routine.go
		b.WriteString("## Routine (context, not evidence)\n\n")
		for _, l := range rl {
			b.WriteString("- " + md(l) + "\n")
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "## Findings (%d)\n\n", len(r.Findings))
	if len(r.Findings) == 0 {
		b.WriteString("None.\n\n")
	} else {
		var rows [][]string
		for _, f := range r.Findings {
			rows = append(rows, []string{f.Severity.String(), f.ID, f.Title, strconv.Itoa(f.Count), listSome(f.IPs, 3), tm(f.First), tm(f.Last)})
		}
		mdTable(&b, []string{"Severity", "ID", "Title", "Count", "Sources", "First", "Last"}, rows)
		for _, f := range r.Findings {
			fmt.Fprintf(&b, "### %s %s: %s\n\n", f.ID, f.Severity, md(f.Title))
			fmt.Fprintf(&b, "%s\n\n", md(f.Why))
			if f.Escalated != "" {
				fmt.Fprintf(&b, "Severity raised one level: %s.\n\n", md(f.Escalated))
			}
			if len(f.Attack) > 0 {
				fmt.Fprintf(&b, "ATT&CK: %s\n\n", md(strings.Join(f.Attack, ", ")))
			}
			if len(f.Evidence) > 0 {
				var rows [][]string
				for _, e := range f.Evidence {
					rows = append(rows, []string{tm(e.Time), e.Service + ":" + e.Name, e.SourceIP, e.ErrorCode, e.Detail, e.EventID, originText(e.Origin)})
				}
				if len(f.Evidence) < f.Count {
					rows = append(rows, []string{"", fmt.Sprintf("(%d events, %d shown)", f.Count, len(f.Evidence))})
				}
				mdTable(&b, []string{"Time", "API", "Source", "Error", "Detail", "Event", "Origin"}, rows)
			}
		}
	}

	if len(r.Created) > 0 {
		fmt.Fprintf(&b, "## Created identities (%d)\n\n", len(r.Created))
		var rows [][]string
		for _, c := range r.Created {
			rows = append(rows, []string{c.Kind, orDash(c.Name), strings.TrimSpace(c.User + " " + paren(c.PrincipalType)), c.Action, tm(c.Event.Time), c.Event.SourceIP})
		}
		mdTable(&b, []string{"Kind", "Name", "User", "Action", "Time", "Source"}, rows)
	}

	if len(r.Followed) > 0 || r.FollowedOmitted > 0 {
		fmt.Fprintf(&b, "## Followed identities (%d)\n\n", len(r.Followed))
		var rows [][]string
		for _, f := range r.Followed {
			rows = append(rows, []string{f.Kind, f.Name, ViaText(f.Via), strconv.Itoa(f.Events), followedSources(f), tm(f.FirstSeen), tm(f.LastSeen), followedTop(f)})
		}
		mdTable(&b, []string{"Kind", "Name", "Via", "Events", "Sources", "First", "Last", "Findings"}, rows)
		for _, f := range r.Followed {
			var rows [][]string
			for _, x := range f.Findings {
				rows = append(rows, []string{x.Severity.String(), x.ID, x.Title, strconv.Itoa(x.Count), listSome(x.IPs, 3), tm(x.First), tm(x.Last)})
			}
			if len(rows) == 0 {
				continue
			}
			fmt.Fprintf(&b, "### Followed %s %s\n\n", md(f.Kind), md(f.Name))
			mdTable(&b, []string{"Severity", "ID", "Title", "Count", "Sources", "First", "Last"}, rows)
		}
		if r.FollowedOmitted > 0 {
			fmt.Fprintf(&b, "%d more identities were not followed (at most %d are).\n\n", r.FollowedOmitted, MaxFollowed)
		}
	}

	b.WriteString("## Activity\n\n")
	if len(r.Services) > 0 {
		var rows [][]string
		for _, s := range r.Services {
			var acts []string
			for _, a := range s.Actions {
				acts = append(acts, fmt.Sprintf("%s %d", a.Name, a.Count))
			}
			rows = append(rows, []string{s.Service, strconv.Itoa(s.Count), strconv.Itoa(s.Writes), strconv.Itoa(s.Errors), tm(s.FirstSeen), tm(s.LastSeen), strings.Join(acts, ", ")})
		}
		mdTable(&b, []string{"Service", "Events", "Writes", "Errors", "First", "Last", "Top actions"}, rows)
	}
	if len(r.Sources) > 0 {
		var rows [][]string
		for _, s := range r.Sources {
			rows = append(rows, []string{s.IP, strconv.Itoa(s.Count), strconv.Itoa(s.Errors), tm(s.FirstSeen), tm(s.LastSeen), sourceStatus(s), strings.Join(s.Services, ", ")})
		}
		mdTable(&b, []string{"Source", "Events", "Errors", "First", "Last", "Status", "Services"}, rows)
	}
	if len(r.Resources) > 0 {
		var rows [][]string
		for i, x := range r.Resources {
			if i == maxRows {
				rows = append(rows, []string{"", fmt.Sprintf("(%d more)", len(r.Resources)-maxRows)})
				break
			}
			rows = append(rows, []string{x.Type, x.Name, strconv.Itoa(x.Count), tm(x.FirstSeen), tm(x.LastSeen)})
		}
		mdTable(&b, []string{"Resource type", "Name", "Events", "First", "Last"}, rows)
	}

	if len(r.Caveats) > 0 {
		b.WriteString("## Caveats\n\n")
		for _, c := range r.Caveats {
			fmt.Fprintf(&b, "- %s\n", md(c))
		}
		b.WriteByte('\n')
	}
	if len(r.Diagnostics) > 0 {
		b.WriteString("## Diagnostics\n\n")
		var rows [][]string
		for _, d := range r.Diagnostics {
			rows = append(rows, []string{d.Level, d.Source, d.Summary, d.Detail})
		}
		mdTable(&b, []string{"Level", "Source", "Summary", "Detail"}, rows)
	}
	out := bytes.TrimRight(b.Bytes(), "\n")
	out = append(out, '\n')
	_, err := w.Write(out)
	return err
}

// mdTable writes a pipe table; every cell is escaped.
func mdTable(b *bytes.Buffer, header []string, rows [][]string) {
	b.WriteString("|")
	for _, h := range header {
		b.WriteString(" " + md(h) + " |")
	}
	b.WriteString("\n|")
	for range header {
		b.WriteString(" --- |")
	}
	b.WriteByte('\n')
	for _, row := range rows {
		b.WriteString("|")
		for i := range header {
			c := ""
			if i < len(row) {
				c = row[i]
			}
			b.WriteString(" " + md(c) + " |")
		}
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
}

func filterRows(rows [][]string) [][]string {
	var out [][]string
	for _, r := range rows {
		if r[1] != "" {
			out = append(out, r)
		}
	}
	return out
}

// md escapes text for markdown: markup characters get a backslash and
// control characters are replaced.
func md(s string) string {
	s = clean(s)
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\`*_[]<>|#", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// codeSpan quotes a command as inline code, with a fence longer than any
// backtick run inside it.
func codeSpan(s string) string {
	s = clean(s)
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// clean replaces control characters (terminal escapes, newlines, C1 codes,
// bidirectional overrides) and invalid UTF-8 in text from events.
func clean(s string) string {
	ok := true
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	// Line breaks become spaces (one line per cell); every other control
	// character is shown as escape text (\x1b, \r, \u202e), so a responder
	// sees what the event carried without the terminal acting on it.
	return safetext.Line(strings.NewReplacer("\n", " ", "\t", " ").Replace(s))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}

func ifTime(t time.Time, f func(time.Time) string) string {
	if t.IsZero() {
		return ""
	}
	return f(t)
}

func ifInt(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func originText(o Origin) string {
	switch {
	case o.File != "":
		return fmt.Sprintf("%s:%d", o.File, o.Pos)
	case o.Kind != "":
		return o.Kind
	}
	return ""
}

// zoneName names a zone with its current offset, e.g. "Asia/Shanghai (UTC+08:00)".
func zoneName(tz *time.Location) string {
	_, off := time.Date(2000, 1, 1, 0, 0, 0, 0, tz).Zone()
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	return fmt.Sprintf("%s (UTC%s%02d:%02d)", tz.String(), sign, off/3600, off/60%60)
}
