package cli

import (
	"fmt"
	"strings"
	"testing"

	"github.com/akresp/akresp/internal/audit"
)

// A 90-day OSS delivery is tens of thousands of files: the WINDOW section
// names the first five and counts the rest; -o json keeps every one.
func TestWindowFactsCountsManyInputs(t *testing.T) {
	r := &audit.Result{}
	for i := range 10000 {
		r.Window.Sources = append(r.Window.Sources, fmt.Sprintf("trail:d/f%05d.json.gz", i))
	}
	var got string
	for _, l := range windowFacts(r) {
		if l.k == "Read from" {
			got = fmt.Sprint(l.v)
		}
	}
	if want := "trail:d/f00004.json.gz and 9995 more (-o json lists every input)"; !strings.HasSuffix(got, want) || strings.Contains(got, "f00005") {
		t.Errorf("Read from = %.300q, want five names and %q", got, want)
	}
	r.Window.Sources = r.Window.Sources[:5]
	for _, l := range windowFacts(r) {
		if l.k == "Read from" && strings.Contains(fmt.Sprint(l.v), "more") {
			t.Errorf("five inputs counted: %v", l.v)
		}
	}
}
