package report

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"
)

//go:embed report.html.tmpl
var htmlTemplate string

var htmlFuncs = template.FuncMap{
	"t":     func(t time.Time) string { return fmtTime(t, time.UTC) }, // replaced per render
	"upper": strings.ToUpper,
	"words": func(s string) string { return strings.ReplaceAll(s, "_", " ") },
	"join":  func(xs []string) string { return strings.Join(xs, ", ") },
	"blocked": func(b *bool) string {
		switch {
		case b == nil:
			return "unknown"
		case *b:
			return "blocked"
		}
		return "allowed"
	},
	"apis": func(as []APICount) string {
		var out []string
		for _, a := range as {
			x := fmt.Sprintf("%s:%s ×%d", a.Service, a.Name, a.Count)
			if a.Errors > 0 {
				x += fmt.Sprintf(" (%d failed)", a.Errors)
			}
			out = append(out, x)
		}
		return strings.Join(out, ", ")
	},
}

var htmlTmpl = template.Must(template.New("report").Funcs(htmlFuncs).Parse(htmlTemplate))

// RenderHTML writes doc as one self-contained HTML file: inline CSS, an
// inline SVG chart of calls over time per source IP class, no scripts and
// no external assets, so it reads offline in any browser. Every value is
// escaped by html/template. Nothing is written when rendering fails.
func RenderHTML(w io.Writer, doc *Document, o RenderOptions) error {
	if doc == nil {
		return errors.New("report: render html: no document")
	}
	tz := o.tz()
	data := struct {
		D     *Document
		Chart template.HTML
		TZ    string
	}{doc, SVG(doc.Chart, tz), tzName(tz)}
	funcs := template.FuncMap{
		"t": func(t time.Time) string { return fmtTime(t, tz) },
	}
	t, err := htmlTmpl.Clone()
	if err != nil {
		return fmt.Errorf("report: render html: %w", err)
	}
	var buf bytes.Buffer
	if err := t.Funcs(funcs).Execute(&buf, data); err != nil {
		return fmt.Errorf("report: render html: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}
