package report

import (
	"fmt"
	"html/template"
	"strings"
	"time"
)

// Bucket sizes of the chart.
const (
	BucketHour = "hour"
	BucketDay  = "day"
	BucketWeek = "week"
)

// maxBuckets bounds the chart's columns (a window of years shown weekly
// is still at most this many).
const maxBuckets = 400

// chart counts the key's calls per time bucket and source IP class. The
// bucket is hourly for up to 72 hours of events, daily for up to 180 days,
// weekly beyond. It reads the events a second time (scan gave their span).
func (b *builder) chart() error {
	c := Chart{Basis: "none", Buckets: []time.Time{}, Series: []ChartSeries{}}
	for _, cl := range Classes {
		c.Series = append(c.Series, ChartSeries{Class: cl, Label: ClassLabel(cl), Counts: []int{}})
	}
	if b.nEvents == 0 {
		c.Bucket = BucketDay
		b.doc.Chart = c
		return nil
	}
	first, last := b.firstEv, b.lastEv
	span := last.Sub(first)
	var size time.Duration
	switch {
	case span <= 72*time.Hour:
		c.Bucket, size = BucketHour, time.Hour
		c.Start = first.Truncate(time.Hour)
	case span <= 180*24*time.Hour:
		c.Bucket, size = BucketDay, 24*time.Hour
		c.Start = time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, time.UTC)
	default:
		c.Bucket, size = BucketWeek, 7*24*time.Hour
		d := time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, time.UTC)
		c.Start = d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7)) // Monday
	}
	n := int(last.Sub(c.Start)/size) + 1
	if n > maxBuckets {
		size = (last.Sub(c.Start) / time.Duration(maxBuckets-1)).Truncate(time.Hour) + time.Hour
		n = int(last.Sub(c.Start)/size) + 1
	}
	for i := range n {
		c.Buckets = append(c.Buckets, c.Start.Add(time.Duration(i)*size))
	}
	class := map[string]string{}
	for _, s := range b.doc.Sources {
		class[s.IP] = s.Class
	}
	idx := map[string]int{}
	for i := range c.Series {
		c.Series[i].Counts = make([]int, n)
		idx[c.Series[i].Class] = i
	}
	err := b.eachEvent(func(e *Event) bool {
		cl, ok := class[e.SourceIP]
		if !ok {
			cl = ClassUntrustedNew
		}
		i := int(e.Time.UTC().Sub(c.Start) / size)
		if i < 0 || i >= n {
			return true
		}
		s := &c.Series[idx[cl]]
		s.Counts[i]++
		s.Total++
		return true
	})
	c.Basis = "events"
	b.doc.Chart = c
	return err
}

// Colours of the IP classes (colour-blind safe: blue, orange, vermilion
// plus hatching for flagged).
var classColours = map[string]string{
	ClassTrusted:      "#0072b2",
	ClassUntrustedNew: "#e69f00",
	ClassFlagged:      "#d55e00",
}

// SVG renders the chart as a stacked bar chart: x = time buckets, y = calls,
// one colour per IP class, with title, axis labels, ticks and a legend.
// Every text is escaped; the result is safe to inline in HTML.
func SVG(c Chart, tz *time.Location) template.HTML {
	// Day and week buckets are UTC days: label them in UTC so a label
	// never names the day before or after the bucket.
	if tz == nil || c.Bucket != BucketHour {
		tz = time.UTC
	}
	const (
		w, h                     = 1000, 360
		left, right, top, bottom = 64, 24, 56, 70
	)
	pw, ph := float64(w-left-right), float64(h-top-bottom)
	var sb strings.Builder
	esc := template.HTMLEscapeString
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="100%%" role="img" aria-labelledby="chart-title chart-desc" font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" font-size="12">`, w, h)
	total := 0
	for _, s := range c.Series {
		total += s.Total
	}
	fmt.Fprintf(&sb, `<title id="chart-title">Calls with the key per %s by source IP class</title>`, esc(c.Bucket))
	fmt.Fprintf(&sb, `<desc id="chart-desc">%d calls in %d buckets</desc>`, total, len(c.Buckets))
	sb.WriteString(`<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#d55e00"/><line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" stroke-opacity="0.45" stroke-width="2"/></pattern></defs>`)
	fmt.Fprintf(&sb, `<rect x="0" y="0" width="%d" height="%d" fill="#ffffff"/>`, w, h)
	fmt.Fprintf(&sb, `<text x="%d" y="22" font-size="16" font-weight="600" fill="#1a1a1a">Calls per %s by source IP class (%s)</text>`, left, esc(c.Bucket), esc(tzName(tz)))

	// Legend.
	lx := left
	for _, s := range c.Series {
		fill := classColours[s.Class]
		if s.Class == ClassFlagged {
			fill = "url(#hatch)"
		}
		label := fmt.Sprintf("%s (%d)", s.Label, s.Total)
		fmt.Fprintf(&sb, `<rect x="%d" y="32" width="12" height="12" fill="%s" stroke="#333" stroke-width="0.5"/><text x="%d" y="42" fill="#1a1a1a">%s</text>`,
			lx, fill, lx+16, esc(label))
		lx += 24 + 7*len(label)
	}

	n := len(c.Buckets)
	maxY := 0
	for i := range n {
		sum := 0
		for _, s := range c.Series {
			if i < len(s.Counts) {
				sum += s.Counts[i]
			}
		}
		maxY = max(maxY, sum)
	}
	step := niceStep(maxY)
	top2 := step * ((maxY + step - 1) / step)
	if top2 == 0 {
		top2 = step
	}
	// Y grid and labels.
	for v := 0; v <= top2; v += step {
		y := float64(top) + ph - ph*float64(v)/float64(top2)
		fmt.Fprintf(&sb, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#dddddd"/><text x="%d" y="%.1f" text-anchor="end" fill="#444">%d</text>`,
			left, y, w-right, y, left-6, y+4, v)
	}
	fmt.Fprintf(&sb, `<text transform="translate(16 %.1f) rotate(-90)" text-anchor="middle" fill="#1a1a1a">calls</text>`, float64(top)+ph/2)
	// X axis.
	fmt.Fprintf(&sb, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>`, left, top+int(ph), w-right, top+int(ph))
	fmt.Fprintf(&sb, `<text x="%.1f" y="%d" text-anchor="middle" fill="#1a1a1a">time (%s, %s buckets)</text>`, float64(left)+pw/2, h-12, esc(tzName(tz)), esc(c.Bucket))
	if n == 0 {
		fmt.Fprintf(&sb, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#666">no events to chart</text>`, float64(left)+pw/2, float64(top)+ph/2)
		sb.WriteString(`</svg>`)
		return template.HTML(sb.String())
	}
	bw := pw / float64(n)
	gap := min(bw*0.15, 3)
	for i := range n {
		x := float64(left) + bw*float64(i)
		y := float64(top) + ph
		for _, s := range c.Series {
			if i >= len(s.Counts) || s.Counts[i] == 0 {
				continue
			}
			hh := ph * float64(s.Counts[i]) / float64(top2)
			y -= hh
			fill := classColours[s.Class]
			if s.Class == ClassFlagged {
				fill = "url(#hatch)"
			}
			fmt.Fprintf(&sb, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %d %s</title></rect>`,
				x+gap/2, y, max(bw-gap, 0.5), hh, fill, esc(c.Buckets[i].In(tz).Format(bucketLayout(c.Bucket))), s.Counts[i], esc(s.Label))
		}
	}
	// X ticks: about 8 labels.
	every := max(1, (n+7)/8)
	for i := 0; i < n; i += every {
		x := float64(left) + bw*float64(i) + bw/2
		fmt.Fprintf(&sb, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333"/><text x="%.1f" y="%.1f" text-anchor="middle" fill="#444">%s</text>`,
			x, float64(top)+ph, x, float64(top)+ph+5, x, float64(top)+ph+20, esc(c.Buckets[i].In(tz).Format(tickLayout(c.Bucket))))
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}

func tzName(tz *time.Location) string {
	if tz == nil || tz == time.UTC {
		return "UTC"
	}
	return tz.String()
}

func bucketLayout(bucket string) string {
	if bucket == BucketHour {
		return "2006-01-02 15:00"
	}
	return "2006-01-02"
}

func tickLayout(bucket string) string {
	if bucket == BucketHour {
		return "01-02 15:00"
	}
	return "2006-01-02"
}

// niceStep picks a y grid step of 1, 2 or 5 times a power of ten giving
// about five lines.
func niceStep(maxY int) int {
	if maxY <= 5 {
		return 1
	}
	raw := float64(maxY) / 5
	p := 1
	for float64(p)*10 <= raw {
		p *= 10
	}
	for _, m := range []int{1, 2, 5, 10} {
		if float64(m*p) >= raw {
			return m * p
		}
	}
	return 10 * p
}
