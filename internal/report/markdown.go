package report

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/akresp/akresp/internal/safetext"
)

// RenderOptions control the human renderers.
type RenderOptions struct {
	// TZ is the zone of the times shown; nil = UTC.
	TZ *time.Location
}

func (o RenderOptions) tz() *time.Location {
	if o.TZ == nil {
		return time.UTC
	}
	return o.TZ
}

// timeLayout shows times with their offset ("Z" in UTC), unambiguous in
// any zone.
const timeLayout = "2006-01-02 15:04:05Z07:00"

func fmtTime(t time.Time, tz *time.Location) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(tz).Format(timeLayout)
}

// mdEscaper escapes text for a markdown paragraph or table cell: markdown
// syntax, inline HTML and line breaks (a cell is one line).
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "|", `\|`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", "&lt;", ">", "&gt;", "#", `\#`, "~", `\~`, "!", `\!`,
	"\r\n", " ", "\n", " ", "\r", " ", "\t", " ",
)

func md(s string) string {
	if s == "" {
		return ""
	}
	return mdEscaper.Replace(s)
}

// code renders s as an inline code span that s cannot break out of.
func code(s string) string {
	if s == "" {
		return ""
	}
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "|", `\|`).Replace(s) // GFM: \| inside a code span in a table
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// block renders s as a fenced code block with a fence longer than any run
// of backticks inside.
func block(lang, s string) string {
	fence := "```"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	return fence + lang + "\n" + strings.TrimRight(s, "\n") + "\n" + fence + "\n"
}

type mdw struct {
	buf bytes.Buffer
	tz  *time.Location
}

func (w *mdw) p(format string, args ...any) { fmt.Fprintf(&w.buf, format, args...) }
func (w *mdw) ln(s string)                  { w.buf.WriteString(s + "\n") }
func (w *mdw) t(t time.Time) string         { return fmtTime(t, w.tz) }

func (w *mdw) table(head []string, rows [][]string) {
	w.ln("| " + strings.Join(head, " | ") + " |")
	seps := make([]string, len(head))
	for i := range seps {
		seps[i] = "---"
	}
	w.ln("|" + strings.Join(seps, "|") + "|")
	for _, r := range rows {
		for i := range r {
			if r[i] == "" {
				r[i] = " "
			}
		}
		w.ln("| " + strings.Join(r, " | ") + " |")
	}
	w.ln("")
}

func joinMD(xs []string) string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = md(x)
	}
	return strings.Join(out, ", ")
}

func joinCode(xs []string) string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = code(x)
	}
	return strings.Join(out, ", ")
}

// RenderMarkdown writes doc as a markdown document (GitHub flavour), times
// in o.TZ. Every value taken from the inputs is escaped.
func RenderMarkdown(out io.Writer, doc *Document, o RenderOptions) error {
	if doc == nil {
		return errors.New("report: render markdown: no document")
	}
	w := &mdw{tz: o.tz()}
	s := doc.Summary
	w.p("# Incident report: AccessKey %s\n\n", code(s.AccessKeyID))
	gen := "akresp"
	if doc.Generator != "" {
		gen = doc.Generator
	}
	w.p("Generated %s by %s (%s report; schema %s). Times are %s.\n\n", w.t(doc.GeneratedAt), md(gen), doc.Mode, code(doc.SchemaVersion), md(tzName(w.tz)))

	w.ln("## Summary")
	w.ln("")
	owner := md(s.Owner)
	if s.OwnerType != "" {
		owner = strings.TrimSpace(owner + " (" + md(s.OwnerType) + ")")
	}
	rows := [][]string{
		{"AccessKey", code(s.AccessKeyID)},
		{"Owner", owner},
	}
	if s.AccountID != "" {
		rows = append(rows, []string{"Account", code(s.AccountID)})
	}
	rows = append(rows,
		[]string{"Verdict", fmt.Sprintf("**%s** (severity %s): %s", md(s.Verdict), md(s.Severity.String()), md(s.VerdictSummary))},
		[]string{"Current state", fmt.Sprintf("**%s**: %s", md(strings.ReplaceAll(s.State, "_", " ")), md(s.StateDetail))},
		[]string{"Key status", md(orUnknown(s.KeyStatus))},
	)
	if s.NetworkACL != "" {
		rows = append(rows, []string{"Network ACL now", md(s.NetworkACL)})
	}
	if s.EffectiveNetworkPolicy != nil {
		rows = append(rows, []string{"Effective network policy", md(s.EffectiveNetworkPolicy.String())})
	}
	if s.DenyPolicy != nil {
		rows = append(rows, []string{"Deny-high-risk policy now", md(s.DenyPolicy.String())})
	}
	for _, l := range s.LeakRecords {
		rows = append(rows, []string{"Leak record (Security Center)", md(l.Line)})
	}
	attackers := "none flagged"
	if len(s.AttackerIPs) > 0 {
		attackers = "**" + joinMD(s.AttackerIPs) + "**"
	}
	rows = append(rows, []string{"Attacker IPs (flagged)", attackers})
	if !s.LeakTime.IsZero() {
		rows = append(rows, []string{"Leak time", w.t(s.LeakTime)})
	}
	fs := "-"
	if !s.FirstSuspicious.IsZero() {
		fs = w.t(s.FirstSuspicious) + " (" + md(s.FirstSuspiciousBasis) + ")"
	}
	rows = append(rows, []string{"First suspicious event", fs})
	ca := "not contained by akresp"
	if !s.ContainedAt.IsZero() {
		ca = w.t(s.ContainedAt) + " (" + md(s.ContainedBy) + ")"
	}
	rows = append(rows, []string{"Contained at", ca})
	ttc := "-"
	if s.TimeToContain != "" {
		ttc = "**" + md(s.TimeToContain) + "**"
	}
	rows = append(rows, []string{"Time to contain", ttc},
		[]string{"Events analysed", fmt.Sprintf("%d, %s to %s", s.Events, w.t(s.WindowSince), w.t(s.WindowUntil))})
	if !s.LiveCheckedAt.IsZero() {
		rows = append(rows, []string{"Live state read", w.t(s.LiveCheckedAt)})
	}
	if ev := doc.Evidence; ev != nil {
		rows = append(rows, []string{"Evidence", fmt.Sprintf("%s (%d events), SHA-256 %s", code(ev.File), ev.Events, code(ev.SHA256))})
	}
	if s.JournalHead != "" {
		rows = append(rows, []string{"Journal chain head", code(s.JournalHead) + " (akresp's journals of the key, verified)"})
	}
	w.table([]string{"", ""}, rows)
	if len(s.Reasons) > 0 {
		w.ln("Why:")
		w.ln("")
		for _, r := range s.Reasons {
			w.ln("- " + md(r))
		}
		if s.MoreFindings > 0 {
			w.ln(fmt.Sprintf("- and %d more findings", s.MoreFindings))
		}
		w.ln("")
	}

	w.p("## Open risks (%d)\n\n", len(doc.Risks))
	if len(doc.Risks) == 0 {
		w.ln("None found.")
		w.ln("")
	}
	for i, r := range doc.Risks {
		w.p("%d. **[%s] %s**: %s", i+1, strings.ToUpper(r.Level), md(r.Title), md(r.Detail))
		if r.Command != "" {
			w.p(" Run: %s", code(r.Command))
		}
		w.ln("")
	}
	if len(doc.Risks) > 0 {
		w.ln("")
	}

	w.ln("## Timeline")
	w.ln("")
	if len(doc.Timeline) == 0 {
		w.ln("No suspicious events and no response actions recorded.")
		w.ln("")
	} else {
		var tr [][]string
		for _, e := range doc.Timeline {
			mark := md(e.Severity)
			if e.Kind != EntryEvent {
				mark = md(e.Result)
			}
			what := md(e.Title)
			if len(e.Findings) > 0 {
				what += " (" + joinMD(e.Findings) + ")"
			}
			tr = append(tr, []string{w.t(e.Time), md(e.Kind), what, md(e.SourceIP), mark, md(e.Detail), code(e.RequestID)})
		}
		w.table([]string{"Time", "Kind", "What", "Source IP", "Severity / result", "Detail", "Request ID"}, tr)
	}

	w.ln("## Source IPs")
	w.ln("")
	if len(doc.Sources) == 0 {
		w.ln("No source IPs.")
		w.ln("")
	} else {
		var sr [][]string
		for _, x := range doc.Sources {
			blocked := "unknown"
			if x.BlockedNow != nil {
				blocked = map[bool]string{true: "blocked", false: "allowed"}[*x.BlockedNow]
			}
			cls := md(x.Class)
			if x.Flagged {
				cls = "**" + cls + "**"
			}
			if len(x.Reasons) > 0 {
				cls += " (" + joinMD(x.Reasons) + ")"
			}
			sr = append(sr, []string{code(x.IP), cls, w.t(x.FirstSeen), w.t(x.LastSeen), strconv.Itoa(x.Count), strconv.Itoa(x.Errors), joinMD(x.Services), blocked})
		}
		w.table([]string{"IP", "Class", "First seen", "Last seen", "Calls", "Errors", "Services", "ACL now"}, sr)
	}

	w.ln("## Services")
	w.ln("")
	if len(doc.Services) == 0 {
		w.ln("No calls.")
		w.ln("")
	} else {
		var sv [][]string
		for _, x := range doc.Services {
			var top []string
			for _, a := range x.Actions {
				top = append(top, fmt.Sprintf("%s x%d", a.Name, a.Count))
			}
			sv = append(sv, []string{md(x.Service), strconv.Itoa(x.Count), strconv.Itoa(x.Writes), strconv.Itoa(x.Errors), w.t(x.FirstSeen), w.t(x.LastSeen), joinMD(top)})
		}
		w.table([]string{"Service", "Calls", "Writes", "Errors", "First", "Last", "Top APIs"}, sv)
	}

	w.ln("## Sensitive events by category")
	w.ln("")
	if len(doc.Sensitive) == 0 {
		w.ln("No call of the detection catalogue's sensitive APIs.")
		w.ln("")
	} else {
		var cr [][]string
		for _, c := range doc.Sensitive {
			var apis []string
			for _, a := range c.APIs {
				x := fmt.Sprintf("%s:%s x%d", a.Service, a.Name, a.Count)
				if a.Errors > 0 {
					x += fmt.Sprintf(" (%d failed)", a.Errors)
				}
				apis = append(apis, x)
			}
			cr = append(cr, []string{md(c.Label), strconv.Itoa(c.Count), strconv.Itoa(c.Errors), w.t(c.First), w.t(c.Last), joinMD(apis), joinMD(c.IPs)})
		}
		w.table([]string{"Category", "Calls", "Failed", "First", "Last", "APIs", "Source IPs"}, cr)
	}

	w.ln("## Findings")
	w.ln("")
	if len(doc.Findings) == 0 {
		w.ln("No findings.")
		w.ln("")
	} else {
		var fr [][]string
		for _, f := range doc.Findings {
			fr = append(fr, []string{md(f.Severity.String()), code(f.ID), md(f.Title), strconv.Itoa(f.Count), w.t(f.First), w.t(f.Last), joinMD(f.IPs)})
		}
		w.table([]string{"Severity", "Rule", "Finding", "Events", "First", "Last", "IPs"}, fr)
	}

	w.ln("## Identities the key created")
	w.ln("")
	if len(doc.Created) == 0 {
		w.ln("None found in the events analysed.")
		w.ln("")
	} else {
		var ir [][]string
		for _, c := range doc.Created {
			st := "**" + md(c.State) + "**"
			if c.StateDetail != "" {
				st += ": " + md(c.StateDetail)
			}
			ir = append(ir, []string{md(strings.ReplaceAll(c.Kind, "_", " ")), code(c.Name), md(c.User), w.t(c.CreatedAt), md(c.Action), md(c.SourceIP), st})
		}
		w.table([]string{"Kind", "Name", "User", "Created", "By", "From", "State now"}, ir)
	}

	w.ln("## Actions taken")
	w.ln("")
	if len(doc.Actions) == 0 {
		w.ln("No journaled response actions for this key.")
		w.ln("")
	} else {
		var ar [][]string
		for _, a := range doc.Actions {
			res := md(a.Result)
			if a.ErrorCode != "" {
				res += " (" + md(a.ErrorCode) + ")"
			}
			target := md(a.Target)
			if a.Item != "" {
				target += ": " + md(a.Item)
			}
			if a.Evidence != "" {
				target += " (called for by " + md(a.Evidence) + " " + code(a.EvidenceEventID) + ")"
			}
			ar = append(ar, []string{w.t(a.Time), md(a.Command), md(a.Action), target, res, code(a.RequestID), md(a.Error)})
		}
		w.table([]string{"Time", "Command", "Action", "Target", "Result", "Request ID", "Error"}, ar)
	}

	if c := doc.Cost; c != nil {
		w.ln("## Cost")
		w.ln("")
		cur := cmp.Or(c.Currency, "CNY")
		if c.Instances > 0 || c.Warning == "" {
			w.p("- Spend caused by the attacker so far: **%.2f %s** (%d of %d instances in the bills %s)\n", c.SoFar, md(cur), c.Instances, c.Planned, md(strings.Join(c.Cycles, ", ")))
			if c.PerHour > 0 {
				w.p("- Spend per hour if nothing is stopped: **%.2f %s**\n", c.PerHour, md(cur))
			} else {
				w.ln("- Spend per hour from now: none (none of the attacker's instances is running)")
			}
		}
		if c.Warning != "" {
			w.p("- %s\n", md(c.Warning))
		}
		w.ln("")
	}

	if inc := doc.Incident; inc != nil && (len(inc.AttackerTrying) > 0 || len(inc.Responder) > 0) {
		w.ln("## After containment")
		w.ln("")
		w.p("Contained since %s. These calls are not evidence of the attack: they are left out of the findings, the chart, the counts and the evidence file.\n\n", w.t(inc.ContainedAt))
		if len(inc.AttackerTrying) > 0 {
			w.ln("Attacker still trying (calls refused by the fence):")
			w.ln("")
			var rr [][]string
			for _, x := range inc.AttackerTrying {
				fl := "no"
				if x.Flagged {
					fl = "yes"
				}
				rr = append(rr, []string{code(x.IP), fmt.Sprint(x.Refused), w.t(x.First), w.t(x.Last), fl})
			}
			w.table([]string{"Source", "Refused calls", "First", "Last", "Flagged"}, rr)
		}
		if len(inc.Responder) > 0 {
			w.ln("Responder activity from trusted sources (tests, the application):")
			w.ln("")
			var rr [][]string
			for _, x := range inc.Responder {
				rr = append(rr, []string{code(x.IP), fmt.Sprint(x.Calls), fmt.Sprint(x.Refused), w.t(x.First), w.t(x.Last)})
			}
			w.table([]string{"Source", "Calls", "Refused", "First", "Last"}, rr)
		}
	}

	w.ln("## Recommendations")
	w.ln("")
	for i, r := range doc.Recommendations {
		w.p("%d. **%s**: %s\n", i+1, md(r.Title), md(r.Detail))
		if r.Command != "" {
			w.ln("")
			for _, line := range strings.Split(block("sh", r.Command), "\n") {
				if line != "" {
					w.ln("   " + line)
				}
			}
		}
	}
	w.ln("")

	if p := doc.STS; p != nil {
		w.p("## Moving the workload to STS tokens\n\n")
		w.p("Replace the long-lived AccessKey of %s with STS tokens of the RAM role %s (%s).\n\n", code(p.User), code(p.RoleName), code(p.RoleArn))
		for i, st := range p.Steps {
			w.p("%d. **%s**", i+1, md(st.Title))
			if st.Detail != "" {
				w.p(": %s", md(st.Detail))
			}
			w.ln("")
			if st.Command != "" {
				w.ln("")
				for _, line := range strings.Split(block("sh", st.Command), "\n") {
					if line != "" {
						w.ln("   " + line)
					}
				}
			}
		}
		w.ln("")
		w.ln("Trust policy for a workload on ECS (`trust-policy.json`):")
		w.ln("")
		w.ln(block("json", string(p.TrustECS)))
		w.ln("Trust policy for a workload elsewhere in the account:")
		w.ln("")
		w.ln(block("json", string(p.TrustAccount)))
		w.ln("Policy that lets the workload's remaining identity assume the role:")
		w.ln("")
		w.ln(block("json", string(p.AssumePolicy)))
		w.ln("credentials-go (ECS RAM role, then RAM role ARN):")
		w.ln("")
		w.ln(block("go", p.Credentials.ECSRAMRole+"\n"+p.Credentials.RAMRoleArn))
	}

	w.ln("## Evidence")
	w.ln("")
	if ev := doc.Evidence; ev != nil {
		w.p("- Events used: %s (%d events: %d as read, %d normalised; secrets scrubbed)\n", code(ev.File), ev.Events, ev.Raw, ev.Normalised)
		w.p("- SHA-256: %s (in %s; verify with %s)\n\n", code(ev.SHA256), code(ev.SHA256File), code("sha256sum -c "+ev.SHA256File))
	} else {
		w.ln("No evidence file was written with this report.")
		w.ln("")
	}

	if len(doc.Caveats) > 0 {
		w.ln("## Caveats")
		w.ln("")
		for _, c := range doc.Caveats {
			w.ln("- " + md(c))
		}
		w.ln("")
	}
	if len(doc.Diagnostics) > 0 {
		w.ln("## Diagnostics")
		w.ln("")
		for _, d := range doc.Diagnostics {
			line := fmt.Sprintf("- %s: %s: %s", md(d.Level), md(d.Source), md(d.Summary))
			if d.Detail != "" {
				line += " (" + md(d.Detail) + ")"
			}
			w.ln(line)
		}
		w.ln("")
	}
	// Control characters from events and files (ESC, BEL, CR, bidi
	// overrides) are shown as escape text wherever they ended up.
	_, err := io.WriteString(out, safetext.Escape(string(bytes.TrimRight(w.buf.Bytes(), "\n"))))
	if err == nil {
		_, err = out.Write([]byte("\n"))
	}
	return err
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
