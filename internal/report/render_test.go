package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/akresp/akresp/internal/policy"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func jsonValid(s string) bool { return json.Valid([]byte(s)) }

// golden compares got with testdata/<name>, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", name, diff)
	}
}

// goldenDoc is the fixed synthetic document of the goldens, with evidence.
func goldenDoc(t *testing.T) *Document {
	t.Helper()
	in := fxInput()
	doc := mustBuild(t, in)
	data, raw, norm, err := EncodeEvidence(UsedEvents(in))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	name, sumName := EvidenceFileNames(fxKey)
	doc.Evidence = &Evidence{File: name, SHA256File: sumName, SHA256: hex.EncodeToString(sum[:]), Events: raw + norm, Raw: raw, Normalised: norm}
	return doc
}

func TestRenderGoldens(t *testing.T) {
	doc := goldenDoc(t)
	for _, tc := range []struct {
		name   string
		render func(*bytes.Buffer) error
	}{
		{"report.md", func(b *bytes.Buffer) error { return RenderMarkdown(b, doc, RenderOptions{}) }},
		{"report.html", func(b *bytes.Buffer) error { return RenderHTML(b, doc, RenderOptions{}) }},
		{"report.json", func(b *bytes.Buffer) error { return RenderJSON(b, doc) }},
		{"report-shanghai.md", func(b *bytes.Buffer) error {
			loc, err := time.LoadLocation("Asia/Shanghai")
			if err != nil {
				t.Skip("no zoneinfo")
			}
			return RenderMarkdown(b, doc, RenderOptions{TZ: loc})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tc.render(&buf); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, buf.Bytes())
		})
	}
}

func TestRenderJSONRoundTrip(t *testing.T) {
	doc := goldenDoc(t)
	var buf bytes.Buffer
	if err := RenderJSON(&buf, doc); err != nil {
		t.Fatal(err)
	}
	var back Document
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	// Policy documents come back as the same JSON, compacted.
	sameDoc := cmp.Comparer(func(a, b policy.DocText) bool {
		var x, y bytes.Buffer
		return a == b || json.Compact(&x, []byte(a)) == nil && json.Compact(&y, []byte(b)) == nil && x.String() == y.String()
	})
	if diff := cmp.Diff(doc, &back, sameDoc); diff != "" {
		t.Errorf("JSON round trip (-built +decoded):\n%s", diff)
	}
	if back.SchemaVersion != SchemaVersion {
		t.Errorf("schema %q", back.SchemaVersion)
	}
}

func TestRenderNilDocument(t *testing.T) {
	var buf bytes.Buffer
	for name, err := range map[string]error{
		"json":     RenderJSON(&buf, nil),
		"markdown": RenderMarkdown(&buf, nil, RenderOptions{}),
		"html":     RenderHTML(&buf, nil, RenderOptions{}),
	} {
		if err == nil || !strings.Contains(err.Error(), "no document") {
			t.Errorf("%s: err %v", name, err)
		}
	}
	if buf.Len() != 0 {
		t.Error("nothing may be written for a nil document")
	}
}

// TestRenderEscapesHostileInput feeds attacker-controlled strings (user
// names, user agents, finding details) through every renderer.
func TestRenderEscapesHostileInput(t *testing.T) {
	const evil = `<script>alert(1)</script>|**x**](javascript:alert(1))` + "\n# h\n```"
	in := fxInput()
	in.Audit.Created[0].Name = evil
	in.Live.Created[0].Name = evil
	in.Audit.Findings[0].Title = evil
	in.Audit.Findings[0].Evidence[0].Detail = evil
	in.Audit.Sources[1].IP = evil
	in.Audit.Key.Owner = evil
	doc := mustBuild(t, in)

	var h bytes.Buffer
	if err := RenderHTML(&h, doc, RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(h.String(), "<script") {
		t.Error("html: a script tag got through")
	}
	if !strings.Contains(h.String(), "&lt;script&gt;") {
		t.Error("html: the hostile text must still be shown, escaped")
	}

	var m bytes.Buffer
	if err := RenderMarkdown(&m, doc, RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	md := m.String()
	inFence := false
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inFence = !inFence
			continue
		}
		if i := strings.Index(line, "<script"); i >= 0 && !inFence && !strings.Contains(line[:i], "`") {
			t.Errorf("markdown: raw HTML outside a code span: %s", line)
		}
	}
	for _, line := range strings.Split(md, "\n") {
		if line == "# h" {
			t.Error("markdown: a hostile newline started a heading")
		}
	}
	checkTables(t, md)
}

// checkTables asserts every markdown table row has as many cells as its
// header, i.e. no value broke out of its cell.
func checkTables(t *testing.T, md string) {
	t.Helper()
	cells := func(line string) int { return strings.Count(strings.ReplaceAll(line, `\|`, ""), "|") }
	want := 0
	for i, line := range strings.Split(md, "\n") {
		switch {
		case !strings.HasPrefix(line, "|"):
			want = 0
		case want == 0:
			want = cells(line)
		case cells(line) != want:
			t.Errorf("markdown line %d has %d separators, want %d: %s", i+1, cells(line), want, line)
		}
	}
}

func TestSVG(t *testing.T) {
	c := Chart{Bucket: BucketHour, Basis: "events",
		Buckets: []time.Time{fxLeak, fxLeak.Add(time.Hour), fxLeak.Add(2 * time.Hour)},
		Series: []ChartSeries{
			{Class: ClassTrusted, Label: "trusted or known", Counts: []int{3, 0, 1}, Total: 4},
			{Class: ClassUntrustedNew, Label: "new, untrusted", Counts: []int{0, 0, 0}},
			{Class: ClassFlagged, Label: `flagged <&>`, Counts: []int{0, 12, 0}, Total: 12},
		}}
	s := string(SVG(c, time.UTC))
	for _, want := range []string{`<svg xmlns="http://www.w3.org/2000/svg"`, "<title id=\"chart-title\">", "Calls per hour", "trusted or known (4)",
		"flagged &lt;&amp;&gt; (12)", ">calls<", "time (UTC, hour buckets)", "03-10 02:00", `fill="url(#hatch)"`} {
		if !strings.Contains(s, want) {
			t.Errorf("svg lacks %q", want)
		}
	}
	// Three non-zero counts, three bars (plus the legend swatches and the background).
	if n := strings.Count(s, "<rect ") - 1 - 3 - 1; n != 3 {
		t.Errorf("%d bars, want 3", n)
	}
	empty := string(SVG(Chart{Bucket: BucketDay, Series: []ChartSeries{{Class: ClassTrusted, Label: "trusted or known"}}}, nil))
	if !strings.Contains(empty, "no events to chart") || !strings.HasSuffix(empty, "</svg>") {
		t.Errorf("empty chart: %s", empty)
	}
	for _, tc := range []struct{ max, want int }{{0, 1}, {5, 1}, {12, 5}, {37, 10}, {480, 100}, {1000, 200}} {
		if got := niceStep(tc.max); got != tc.want {
			t.Errorf("niceStep(%d) = %d, want %d", tc.max, got, tc.want)
		}
	}
}

func TestChartBuckets(t *testing.T) {
	for _, tc := range []struct {
		name       string
		span       time.Duration
		wantBucket string
		wantN      int
	}{
		{"one event", 0, BucketHour, 1},
		{"three days", 72 * time.Hour, BucketHour, 73},
		{"a month", 30 * 24 * time.Hour, BucketDay, 31},
		{"a year", 365 * 24 * time.Hour, BucketWeek, 53},
		{"ten years", 3650 * 24 * time.Hour, BucketWeek, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) // a Wednesday
			in := fxInput()
			in.Audit.Window.Since, in.Audit.Window.Until = time.Time{}, time.Time{}
			in.Events = mustKeep([]RawEvent{fxEvent("a", start, "Ecs", "DescribeInstances", fxOffice, "", nil),
				fxEvent("b", start.Add(tc.span), "Ecs", "DescribeInstances", fxAttacker, "", nil)})
			if tc.span == 0 {
				in.Events = in.Events[:1]
			}
			c := mustBuild(t, in).Chart
			if c.Bucket != tc.wantBucket {
				t.Errorf("bucket %s, want %s", c.Bucket, tc.wantBucket)
			}
			if tc.wantN > 0 && len(c.Buckets) != tc.wantN {
				t.Errorf("%d buckets, want %d", len(c.Buckets), tc.wantN)
			}
			if len(c.Buckets) > maxBuckets {
				t.Errorf("%d buckets, more than %d", len(c.Buckets), maxBuckets)
			}
			total := 0
			for _, s := range c.Series {
				total += s.Total
			}
			if total != len(in.Events) {
				t.Errorf("chart counts %d events, want %d", total, len(in.Events))
			}
		})
	}
}
