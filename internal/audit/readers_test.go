package audit

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const (
	sampleKey   = "LTAI5tSampLeakedKey00001"
	sampleOther = "LTAI5tSampOfficeKey00002"
)

// sampleDir is the committed sample directory (testdata/trails at the
// repository root).
func sampleDir(t testing.TB) string {
	t.Helper()
	return filepath.Join("..", "..", "testdata", "trails")
}

func sampleJSONL(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(sampleDir(t), "events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// mkEvent returns a compact ActionTrail event.
func mkEvent(i int, key string, at time.Time) string {
	return fmt.Sprintf(`{"eventId":"ev-%d","eventName":"DescribeInstances","serviceName":"Ecs","eventRW":"Read",`+
		`"eventTime":"%s","sourceIpAddress":"198.51.100.%d","requestId":"R%d",`+
		`"userIdentity":{"type":"ram-user","accessKeyId":"%s","userName":"u"},"requestParameters":{"PageSize":"%d"}}`,
		i, at.UTC().Format(time.RFC3339), i%250, i, key, i)
}

var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// events returns n events, one minute apart, alternating two keys.
func events(n int) []string {
	out := make([]string, n)
	for i := range out {
		key := sampleKey
		if i%2 == 1 {
			key = sampleOther
		}
		out[i] = mkEvent(i, key, t0.Add(time.Duration(i)*time.Minute))
	}
	return out
}

func gz(t testing.TB, members ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, m := range members {
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write([]byte(m)); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

type collected struct {
	events []*Event
	stats  Stats
	probs  []Problem
	err    error
}

func (c collected) ids() []string {
	var ids []string
	for _, e := range c.events {
		ids = append(ids, e.ID)
	}
	return ids
}

func (c collected) problemStrings() []string {
	var s []string
	for _, p := range c.probs {
		s = append(s, p.String())
	}
	return s
}

func readAll(t testing.TB, read func(context.Context, []string, ReadOptions, Sink) (Stats, []Problem, error), paths []string, opts ReadOptions) collected {
	t.Helper()
	var c collected
	c.stats, c.probs, c.err = read(context.Background(), paths, opts, func(e *Event) error {
		c.events = append(c.events, e)
		return nil
	})
	return c
}

func idsOf(n int, keep func(i int) bool) []string {
	var ids []string
	for i := range n {
		if keep == nil || keep(i) {
			ids = append(ids, fmt.Sprintf("ev-%d", i))
		}
	}
	return ids
}

func TestReadTrailsFormats(t *testing.T) {
	ev := events(6)
	arr := "[" + strings.Join(ev, ",") + "]"
	pretty, _ := json.MarshalIndent(json.RawMessage(arr), "", "  ")
	lookup := `{"RequestId":"X","NextToken":"n","Events":` + arr + `,"Extra":{"Events":[1]}}`
	prettyLookup, _ := json.MarshalIndent(json.RawMessage(lookup), "", "    ")
	var slsRows []string
	for _, e := range ev {
		q, _ := json.Marshal(e)
		slsRows = append(slsRows, `{"__time__":"1","__topic__":"actiontrail_audit_event","event":`+string(q)+`}`)
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"json array", []byte(arr)},
		{"pretty json array with BOM", append([]byte("\xEF\xBB\xBF"), pretty...)},
		{"gzip json array", gz(t, arr)},
		{"gzip concatenated members", gz(t, "["+strings.Join(ev[:2], ",")+"]", "["+strings.Join(ev[2:5], ",")+"]\n", "["+ev[5]+"]")},
		{"json lines", []byte(strings.Join(ev, "\n") + "\n")},
		{"json lines CRLF, blank lines, no final newline", []byte(strings.Join(ev[:3], "\r\n") + "\r\n\r\n" + strings.Join(ev[3:], "\n"))},
		{"gzip json lines", gz(t, strings.Join(ev, "\n"))},
		{"lookup events document", []byte(lookup)},
		{"pretty lookup events document", prettyLookup},
		{"lookup pages as json lines", []byte(`{"RequestId":"1","Events":[` + strings.Join(ev[:3], ",") + "]}\n" + `{"RequestId":"2","Events":[` + strings.Join(ev[3:], ",") + "]}\n")},
		{"sls export json lines", []byte(strings.Join(slsRows, "\n"))},
		{"sls export array", []byte("[" + strings.Join(slsRows, ",\n") + "]")},
		{"pretty multi-line objects", []byte(func() string {
			var b strings.Builder
			for _, e := range ev {
				p, _ := json.MarshalIndent(json.RawMessage(e), "", " ")
				b.Write(p)
				b.WriteString("\n")
			}
			return b.String()
		}())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), "trail.json", tt.data)
			c := readAll(t, ReadTrails, []string{p}, ReadOptions{})
			if c.err != nil || len(c.probs) > 0 {
				t.Fatalf("err %v, problems %q", c.err, c.problemStrings())
			}
			if diff := cmp.Diff(idsOf(6, nil), c.ids()); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			want := Stats{Files: 1, Events: 6, Bytes: int64(len(tt.data))}
			if diff := cmp.Diff(want, c.stats); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
			for _, e := range c.events {
				if e.Source.Kind != OriginTrail || e.Source.File != p || e.Source.Pos < 1 {
					t.Errorf("event %s: origin %+v", e.ID, e.Source)
				}
			}
		})
	}
}

func TestReadTrailsPositions(t *testing.T) {
	ev := events(3)
	dir := t.TempDir()
	arr := writeFile(t, dir, "a.json", []byte("[\n"+strings.Join(ev, ",\n")+"\n]"))
	lines := writeFile(t, dir, "b.jsonl", []byte("\n"+strings.Join(ev, "\n\n")))
	c := readAll(t, ReadTrails, []string{arr, lines}, ReadOptions{Workers: 1})
	if c.err != nil || len(c.probs) > 0 {
		t.Fatalf("err %v, problems %q", c.err, c.problemStrings())
	}
	var got []Origin
	for _, e := range c.events {
		got = append(got, e.Source)
	}
	want := []Origin{
		{OriginTrail, arr, 1}, {OriginTrail, arr, 2}, {OriginTrail, arr, 3},
		{OriginTrail, lines, 2}, {OriginTrail, lines, 4}, {OriginTrail, lines, 6},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("origins (-want +got):\n%s", diff)
	}
}

func TestReadTrailsFilters(t *testing.T) {
	ev := events(10)
	p := writeFile(t, t.TempDir(), "t.json.gz", gz(t, "["+strings.Join(ev, ",")+"]"))
	tests := []struct {
		name     string
		opts     ReadOptions
		want     []string
		filtered int64
	}{
		{"all", ReadOptions{}, idsOf(10, nil), 0},
		{"key", ReadOptions{KeyID: sampleKey}, idsOf(10, func(i int) bool { return i%2 == 0 }), 5},
		{"key prefix of another key is not a match", ReadOptions{KeyID: sampleKey[:20]}, nil, 10},
		{"since", ReadOptions{Since: t0.Add(7 * time.Minute)}, idsOf(10, func(i int) bool { return i >= 7 }), 7},
		{"until is exclusive", ReadOptions{Until: t0.Add(3 * time.Minute)}, idsOf(10, func(i int) bool { return i < 3 }), 7},
		{"key and window", ReadOptions{KeyID: sampleOther, Since: t0.Add(2 * time.Minute), Until: t0.Add(8 * time.Minute)}, []string{"ev-3", "ev-5", "ev-7"}, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := readAll(t, ReadTrails, []string{p}, tt.opts)
			if c.err != nil || len(c.probs) > 0 {
				t.Fatalf("err %v, problems %q", c.err, c.problemStrings())
			}
			if diff := cmp.Diff(tt.want, c.ids()); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if c.stats.Filtered != tt.filtered || c.stats.Events+c.stats.Filtered != 10 {
				t.Errorf("stats %+v, want %d filtered of 10", c.stats, tt.filtered)
			}
		})
	}
}

func TestReadTrailsDirectories(t *testing.T) {
	ev := events(8)
	dir := t.TempDir()
	writeFile(t, dir, "2026/03/01/a.json.gz", gz(t, "["+ev[0]+","+ev[1]+"]"))
	writeFile(t, dir, "2026/03/02/b.jsonl", []byte(ev[2]+"\n"+ev[3]))
	writeFile(t, dir, "2026/03/02/c.log.gz", gz(t, ev[4]))
	writeFile(t, dir, "2026/03/03/d.txt", []byte(ev[5]))
	writeFile(t, dir, "2026/03/03/noext", []byte(ev[6]))
	writeFile(t, dir, "top.json", []byte(ev[7]))
	writeFile(t, dir, "README.md", []byte("# not a trail"))
	writeFile(t, dir, "notes.csv", []byte("a,b"))
	writeFile(t, dir, ".hidden.json", []byte(`{"broken`))
	writeFile(t, dir, ".git/x.json", []byte(`{"broken`))
	// The same file named twice (directly and through its directory) is read once.
	c := readAll(t, ReadTrails, []string{dir, filepath.Join(dir, "top.json")}, ReadOptions{Workers: 3})
	if c.err != nil || len(c.probs) > 0 {
		t.Fatalf("err %v, problems %q", c.err, c.problemStrings())
	}
	got := c.ids()
	if diff := cmp.Diff(idsOf(8, nil), sortedCopy(got)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if c.stats.Files != 6 || c.stats.Ignored != 3 {
		t.Errorf("stats %+v, want 6 files read and 3 ignored (README.md, notes.csv, .hidden.json)", c.stats)
	}
	// Each file's events stay in file order.
	if i0, i1 := indexOf(got, "ev-0"), indexOf(got, "ev-1"); i0 > i1 {
		t.Errorf("ev-0 after ev-1: %v", got)
	}
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	for i := range c {
		for j := i + 1; j < len(c); j++ {
			if c[j] < c[i] {
				c[i], c[j] = c[j], c[i]
			}
		}
	}
	return c
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

func TestReadTrailsMissingPath(t *testing.T) {
	_, _, err := ReadTrails(context.Background(), []string{filepath.Join(t.TempDir(), "nope.json")}, ReadOptions{}, func(*Event) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "nope.json") {
		t.Fatalf("err = %v, want one naming the missing path", err)
	}
}

func TestReadTrailsMalformed(t *testing.T) {
	ev := events(4)
	arr := "[" + strings.Join(ev, ",") + "]"
	full := gz(t, arr)
	big := strings.Repeat("x", 600)
	tests := []struct {
		name   string
		data   []byte
		opts   ReadOptions
		events []string
		prefix bool     // events need only be a prefix of the list
		probs  []string // substrings, one per problem, in order; "F" is the file name
	}{
		{
			name:   "truncated gzip",
			data:   full[:len(full)-30],
			events: idsOf(4, nil),
			prefix: true,
			probs:  []string{"F: byte offset ", "unexpected EOF (truncated gzip)"},
		},
		{
			name:   "corrupt gzip header",
			data:   append([]byte{0x1f, 0x8b, 0, 0}, make([]byte, 20)...),
			events: nil,
			probs:  []string{"F: byte offset 0: gzip: "},
		},
		{
			name:   "gzip with trailing garbage",
			data:   append(append([]byte{}, full...), "garbage! garbage!"...),
			events: idsOf(4, nil),
			probs:  []string{"invalid gzip header (corrupt or trailing garbage)"},
		},
		{
			name:   "truncated array",
			data:   []byte(arr[:len(arr)-40]),
			events: idsOf(3, nil),
			probs:  []string{"F: event 4: unexpected end of input (truncated event)"},
		},
		{
			name:   "bad element is skipped",
			data:   []byte("[" + ev[0] + `,{"eventName":"X","eventTime":"nope"},` + ev[2] + `,[1,2],"s",` + ev[3] + "]"),
			events: []string{"ev-0", "ev-2", "ev-3"},
			probs: []string{
				`F: event 2: eventTime: unrecognised time "nope"`,
				"F: event 4: record is a JSON array, want an event object",
				"F: event 5: record is a JSON string, want an event object",
			},
		},
		{
			name:   "garbage between elements stops the file",
			data:   []byte("[" + ev[0] + " x " + ev[1] + "]"),
			events: idsOf(1, nil),
			probs:  []string{"F: event 2: unexpected 'x' after the previous event, want ',' or ']'; rest of file not read"},
		},
		{
			name:   "json lines: bad lines are skipped",
			data:   []byte(ev[0] + "\n" + `{"eventName":"X"` + "\n" + "not json\n" + ev[1] + "\n" + `{"eventName":"Y","eventTime":"2026-01-01T00:00:00Z"} trailing` + "\n" + ev[2] + "\n"),
			events: idsOf(3, nil),
			probs: []string{
				"F: line 2: invalid JSON at offset 16: unexpected end of input",
				"F: line 3: unexpected 'n', want a JSON object; line skipped",
				"F: line 5: invalid JSON at offset 53: unexpected 't', want end of record",
			},
		},
		{
			name:   "not JSON at all",
			data:   []byte("\x00\x01\x02 binary \xff\xfe"),
			events: nil,
			probs:  []string{"F: not JSON (starts with byte 0x00); file skipped"},
		},
		{
			name:   "line too long",
			data:   []byte(ev[0] + "\n" + `{"eventName":"` + big + `"}` + "\n" + ev[1] + "\n"),
			opts:   ReadOptions{MaxLineBytes: 400},
			events: idsOf(2, nil),
			probs:  []string{"F: line 2: line longer than 400 bytes, skipped"},
		},
		{
			name:   "array element too long",
			data:   []byte("[" + ev[0] + `,{"eventName":"` + strings.Repeat("y", 2000) + `"},` + ev[1] + "]"),
			opts:   ReadOptions{MaxLineBytes: 600},
			events: idsOf(2, nil),
			probs:  []string{"F: event 2: event larger than 600 bytes, skipped"},
		},
		{
			name:   "deep nesting",
			data:   []byte("[" + ev[0] + "," + strings.Repeat("[", 100000)),
			events: idsOf(1, nil),
			probs:  []string{"F: event 2: nesting deeper than 512 levels; rest of file not read"},
		},
		{
			name:   "truncated pretty object",
			data:   []byte("{\n \"eventName\": \"X\",\n \"eventTime\": "),
			events: nil,
			probs:  []string{"F: line 1: unexpected end of input (truncated record)"},
		},
		{
			name:   "truncated lookup document",
			data:   []byte(`{"RequestId":"1","Events":[` + ev[0] + "," + ev[1][:20]),
			events: idsOf(1, nil),
			probs:  []string{"F: event 2: unexpected end of input (truncated event)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), "F", tt.data)
			c := readAll(t, ReadTrails, []string{p}, tt.opts)
			if c.err != nil {
				t.Fatalf("err %v", c.err)
			}
			want := tt.events
			if tt.prefix && len(c.events) < len(want) {
				want = want[:len(c.events)]
			}
			if diff := cmp.Diff(want, c.ids()); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			got := c.problemStrings()
			nprobs := len(tt.probs)
			if tt.prefix {
				nprobs = 1 // all substrings are of the one problem
			}
			if len(got) != nprobs {
				t.Fatalf("problems %q, want %d like %q", got, nprobs, tt.probs)
			}
			for i, want := range tt.probs {
				want = strings.ReplaceAll(want, "F:", p+":")
				if j := min(i, nprobs-1); !strings.Contains(got[j], want) {
					t.Errorf("problem %d = %q, want it to contain %q", j, got[j], want)
				}
			}
			if c.stats.Skipped != int64(nprobs) {
				t.Errorf("Skipped = %d, want %d", c.stats.Skipped, nprobs)
			}

			// Strict mode: the first problem becomes the error.
			opts := tt.opts
			opts.Strict = true
			sc := readAll(t, ReadTrails, []string{p}, opts)
			var pe *ProblemError
			if !errors.As(sc.err, &pe) {
				t.Fatalf("strict: err = %v, want *ProblemError", sc.err)
			}
			if pe.Error() != got[0] {
				t.Errorf("strict error %q, want %q", pe.Error(), got[0])
			}
		})
	}
}

func TestReadTrailsTooManyProblems(t *testing.T) {
	var b strings.Builder
	for range maxProblemsPerFile + 50 {
		b.WriteString("{}\n")
	}
	p := writeFile(t, t.TempDir(), "junk.jsonl", []byte(b.String()))
	c := readAll(t, ReadTrails, []string{p}, ReadOptions{})
	if c.err != nil {
		t.Fatal(c.err)
	}
	if len(c.probs) != maxProblemsPerFile+1 || !strings.Contains(c.probs[maxProblemsPerFile].Msg, "rest of file not read") {
		t.Errorf("%d problems, last %v; want %d and a final 'rest of file not read'", len(c.probs), c.probs[len(c.probs)-1], maxProblemsPerFile+1)
	}
}

func TestReadTrailsSinkError(t *testing.T) {
	dir := t.TempDir()
	for i := range 8 {
		writeFile(t, dir, fmt.Sprintf("f%d.json", i), []byte("["+strings.Join(events(600), ",")+"]"))
	}
	stop := errors.New("enough")
	n := 0
	_, _, err := ReadTrails(context.Background(), []string{dir}, ReadOptions{Workers: 2}, func(*Event) error {
		n++
		if n == 700 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 700 {
		t.Fatalf("err = %v after %d events, want the sink's error after 700", err, n)
	}
}

func TestReadTrailsCancel(t *testing.T) {
	dir := t.TempDir()
	for i := range 4 {
		writeFile(t, dir, fmt.Sprintf("f%d.json", i), []byte("["+strings.Join(events(2000), ",")+"]"))
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	_, _, err := ReadTrails(ctx, []string{dir}, ReadOptions{}, func(*Event) error {
		if n++; n == 10 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestReadLookupPage(t *testing.T) {
	ev := events(3)
	page := []json.RawMessage{json.RawMessage(ev[0]), json.RawMessage(`{"eventName":1}`), json.RawMessage(ev[2])}
	var got []*Event
	err := ReadLookupPage(page, func(e *Event) error { got = append(got, e); return nil })
	var pe *PageError
	if !errors.As(err, &pe) || len(pe.Problems) != 1 || pe.Problems[0].Pos != 1 {
		t.Fatalf("err = %v, want a PageError for index 1", err)
	}
	if len(got) != 2 || got[0].ID != "ev-0" || got[1].ID != "ev-2" || got[1].Source != (Origin{Kind: OriginLookup, Pos: 2}) {
		t.Errorf("events %+v", got)
	}
	// The online path and the offline path give identical events.
	p := writeFile(t, t.TempDir(), "t.json", []byte("["+ev[0]+"]"))
	off := readAll(t, ReadTrails, []string{p}, ReadOptions{})
	online, offline := *got[0], *off.events[0]
	online.Source, offline.Source = Origin{}, Origin{}
	if diff := cmp.Diff(offline, online); diff != "" {
		t.Errorf("online and offline differ (-offline +online):\n%s", diff)
	}
	stop := errors.New("stop")
	if err := ReadLookupPage(page, func(*Event) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("err = %v, want the sink's error", err)
	}
}

// TestSamples reads the committed sample files.
func TestSamples(t *testing.T) {
	dir := sampleDir(t)
	tests := []struct {
		name  string
		read  func(context.Context, []string, ReadOptions, Sink) (Stats, []Problem, error)
		files []string
		opts  ReadOptions
		want  []string // Name/Service/AccessKeyID per event
	}{
		{"oss delivery", ReadTrails, []string{"actiontrail-delivery.json.gz"}, ReadOptions{KeyID: sampleKey}, []string{
			"GetCallerIdentity/Sts", "DescribeRegions/Ecs", "CreateUser/Ram", "CreateAccessKey/Ram", "AttachPolicyToUser/Ram",
		}},
		{"json lines", ReadTrails, []string{"events.jsonl"}, ReadOptions{}, []string{
			"ListUsers/Ram", "ListAccessKeys/Ims", "SendSms/Dysms", "DescribeDBInstances/Rds",
		}},
		{"sls export", ReadTrails, []string{"sls-export.jsonl"}, ReadOptions{}, []string{"RunInstances/Ecs", "DeleteTrail/Actiontrail"}},
		{"lookup document", ReadTrails, []string{"lookup-events.json"}, ReadOptions{}, []string{"UpdateAccessKey/Ram", "LookupEvents/Actiontrail"}},
		{"oss access log", ReadOSSLogs, []string{"oss-access.log"}, ReadOptions{KeyID: sampleKey}, []string{"GetBucket/Oss", "GetObject/Oss", "PutObject/Oss"}},
		{"sls operation log", ReadSLSLogs, []string{"sls-operation.jsonl"}, ReadOptions{}, []string{"GetLogStoreLogs/Sls", "DeleteLogStore/Sls", "PostLogStoreLogs/Sls"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var paths []string
			for _, f := range tt.files {
				paths = append(paths, filepath.Join(dir, f))
			}
			c := readAll(t, tt.read, paths, tt.opts)
			if c.err != nil || len(c.probs) > 0 {
				t.Fatalf("err %v, problems %q", c.err, c.problemStrings())
			}
			var got []string
			for _, e := range c.events {
				got = append(got, e.Name+"/"+e.Service)
				if e.AccessKeyID == "" || e.Time.IsZero() || e.SourceIP == "" {
					t.Errorf("event %s lacks key, time or IP: %+v", e.Name, e)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReadTrailsDeliversInFileOrder: events reach the sink in path order,
// then file order, whatever the number of workers and however files of
// different sizes finish (the engine keeps the first sources, identities...
// up to its limits: an audit that reaches one must not differ from run to
// run). Files larger than the read-ahead allows make the workers wait for
// their turn; a sink that stops early or a cancelled read must not leave
// one waiting.
func TestReadTrailsDeliversInFileOrder(t *testing.T) {
	dir := t.TempDir()
	sizes := []int{3, 9000, 1, 40, 12000, 0, 7, 2600, 5, 300, 1, 9000}
	var want []string
	for f, n := range sizes {
		var elems []string
		for i := range n {
			elems = append(elems, mkEvent(f*100000+i, sampleKey, t0.Add(time.Duration(i)*time.Second)))
		}
		name := fmt.Sprintf("f%02d.json", f)
		data := []byte("[" + strings.Join(elems, ",") + "]")
		if f%2 == 1 {
			name += ".gz"
			data = gz(t, string(data))
		}
		p := writeFile(t, dir, name, data)
		for i := range n {
			want = append(want, fmt.Sprintf("%s#%d", p, i+1))
		}
	}
	for _, workers := range []int{1, 2, 3, 8} {
		for _, reuse := range []bool{false, true} {
			var got []string
			_, _, err := ReadTrails(context.Background(), []string{dir}, ReadOptions{Workers: workers, ReuseEvents: reuse}, func(e *Event) error {
				got = append(got, fmt.Sprintf("%s#%d", e.Source.File, e.Source.Pos))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				i := 0
				for i < min(len(got), len(want)) && got[i] == want[i] {
					i++
				}
				t.Fatalf("workers %d, reuse %v: %d events, first out of order at %d", workers, reuse, len(got), i)
			}
		}
	}
	// Stopping while workers wait on the deliverer returns promptly.
	for _, stopAt := range []int{1, 5000, 20000} {
		stop := errors.New("stop")
		n := 0
		_, _, err := ReadTrails(context.Background(), []string{dir}, ReadOptions{Workers: 4, ReuseEvents: true}, func(*Event) error {
			if n++; n == stopAt {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || n != stopAt {
			t.Fatalf("err = %v after %d events, want the sink's error after %d", err, n, stopAt)
		}
		ctx, cancel := context.WithCancel(context.Background())
		n = 0
		_, _, err = ReadTrails(ctx, []string{dir}, ReadOptions{Workers: 4}, func(*Event) error {
			if n++; n == stopAt {
				cancel()
			}
			return nil
		})
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	}
}

// A quoted pattern names the files it matches (directories among them are
// walked); a path that exists is read as named even when it holds *; a
// pattern that matches nothing, or is malformed, is an error naming it; a
// file named "-" matched by a pattern is that file, not standard input.
func TestExpandPathsPatterns(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"a.json.gz", "b.json", "sub/c.json", "x*y.json", "-"} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("[]"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	j := func(names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, filepath.Join(dir, n))
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		paths   []string
		want    []string
		wantErr string
	}{
		{name: "suffix", paths: j("*.json"), want: j("b.json", "x*y.json")},
		{name: "directory matched and walked", paths: j("s*"), want: j("sub/c.json")},
		{name: "existing name with *", paths: j("x*y.json"), want: j("x*y.json")},
		{name: "pattern and file, de-duplicated", paths: append(j("b.json"), j("b.*")...), want: j("b.json")},
		{name: "no match", paths: j("*.csv"), wantErr: "no file or directory matches the pattern"},
		{name: "malformed", paths: j("[.json"), wantErr: "not a valid pattern"},
		{name: "absent, no pattern", paths: j("nothing.json"), wantErr: "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files, _, _, err := expandPaths(tc.paths)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), tc.paths[len(tc.paths)-1]) {
					t.Errorf("err %v, want one naming %s with %q", err, tc.paths, tc.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(files, tc.want) {
				t.Errorf("files %q err %v, want %q", files, err, tc.want)
			}
		})
	}
	t.Chdir(dir)
	files, _, _, err := expandPaths([]string{"?"})
	if err != nil || !slices.Equal(files, []string{"." + string(filepath.Separator) + "-"}) {
		t.Errorf("a file named - matched by a pattern: %q %v, want ./-", files, err)
	}
}
