package cli

import (
	"strings"
	"testing"
)

type hostileTable struct{ cells []string }

func (h hostileTable) Columns() []string { return []string{"User", "Source"} }
func (h hostileTable) Rows() [][]any {
	var rows [][]any
	for _, c := range h.cells {
		rows = append(rows, []any{c, "203.0.113.9"})
	}
	return rows
}

// Every markdown table (the sweep, SLS queries, leaks, ...) shows an
// attacker-chosen name as text: no link, image, emphasis, strikethrough,
// HTML, extra column or raw control character.
func TestMarkdownTableEscapesMarkup(t *testing.T) {
	cells := map[string]string{
		"[click here](http://evil.example/login)": `[click here\](http://evil.example/login)`,
		"![x](http://evil.example/p.png)":         `![x\](http://evil.example/p.png)`,
		"**URGENT** rotate now":                   `\*\*URGENT\*\* rotate now`,
		"__bold__ ~~struck~~":                     `\_\_bold\_\_ \~\~struck\~\~`,
		"a|b":                                     `a\|b`,
		"<img src=x>":                             `&lt;img src=x&gt;`,
		"ops\x1b[2Jadmin":                         `ops\\x1b[2Jadmin`,
	}
	var in []string
	for c := range cells {
		in = append(in, c)
	}
	var b strings.Builder
	if err := renderMarkdown(&b, hostileTable{in}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for raw, want := range cells {
		if !strings.Contains(out, "| "+want+" | 203.0.113.9 |") {
			t.Errorf("%q is not shown as %q:\n%s", raw, want, out)
		}
	}
	if strings.ContainsRune(out, 0x1b) {
		t.Error("a raw ESC reached the markdown")
	}
}
