package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
)

type keyRows struct{}

func (keyRows) Columns() []string { return []string{"AccessKey ID", "Status", "Last used", "Note"} }

func (keyRows) Rows() [][]any {
	return [][]any{
		{"LTAI…0000", "Active", time.Date(2026, 3, 11, 9, 26, 53, 0, time.UTC), "used from 127.0.0.66 | office"},
		{"LTAI…0001", "Inactive", time.Time{}, "never used,\nsecond line"},
		{"LTAI…0002", true, 90 * time.Minute, nil},
	}
}

func TestPrinters(t *testing.T) {
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	tests := []struct {
		format string
		tty    bool
		want   string
	}{
		{FormatTable, false, "" +
			"ACCESSKEY ID  STATUS    LAST USED             NOTE\n" +
			"LTAI…0000     Active    2026-03-11T09:26:53Z  used from 127.0.0.66 | office\n" +
			"LTAI…0001     Inactive                        never used, second line\n" +
			"LTAI…0002     true      1h30m0s\n"},
		{FormatTable, true, "" +
			"ACCESSKEY ID  STATUS    LAST USED (CST)   NOTE\n" +
			"LTAI…0000     Active    2026-03-11 17:26  used from 127.0.0.66 | office\n" +
			"LTAI…0001     Inactive  -                 never used, second line\n" +
			"LTAI…0002     true      1h30m0s\n"},
		{FormatCSV, true, "" +
			"accesskey_id,status,last_used,note\n" +
			"LTAI…0000,Active,2026-03-11T09:26:53Z,used from 127.0.0.66 | office\n" +
			"LTAI…0001,Inactive,,\"never used,\nsecond line\"\n" +
			"LTAI…0002,true,1h30m0s,\n"},
		{FormatMarkdown, false, "" +
			"| AccessKey ID | Status | Last used | Note |\n" +
			"| --- | --- | --- | --- |\n" +
			"| LTAI…0000 | Active | 2026-03-11T09:26:53Z | used from 127.0.0.66 \\| office |\n" +
			"| LTAI…0001 | Inactive |  | never used,<br>second line |\n" +
			"| LTAI…0002 | true | 1h30m0s |  |\n"},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			ios, _, _, _ := TestStreams()
			ios.SetStdoutTTY(tt.tty)
			ios.SetTerminalWidth(200)
			p, err := NewPrinter(tt.format, PrintOptions{IO: ios, TZ: shanghai, Now: func() time.Time { return fixedNow }})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := p.Print(&buf, keyRows{}); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, buf.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestJSONPrinter(t *testing.T) {
	p, err := NewPrinter(FormatJSON, PrintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := p.Print(&buf, map[string]any{"schema_version": 1, "note": "<a & b>"}); err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"note\": \"<a & b>\",\n  \"schema_version\": 1\n}\n"; buf.String() != want {
		t.Errorf("json = %q, want %q", buf.String(), want)
	}
	// A value that cannot be encoded leaves the writer untouched.
	buf.Reset()
	if err := p.Print(&buf, map[string]any{"bad": make(chan int)}); err == nil || buf.Len() != 0 {
		t.Errorf("unencodable value: err %v, wrote %q", err, buf.String())
	}
}

func TestPrinterErrors(t *testing.T) {
	if _, err := NewPrinter("yaml", PrintOptions{}); err == nil || exitCode(err, true) != ExitUsage {
		t.Errorf("unknown format: %v", err)
	}
	for _, f := range []string{FormatTable, FormatCSV, FormatMarkdown} {
		p, _ := NewPrinter(f, PrintOptions{})
		if err := p.Print(&bytes.Buffer{}, struct{}{}); err == nil || !strings.Contains(err.Error(), "output is not available for struct {}") {
			t.Errorf("%s of a non-table value: %v", f, err)
		}
	}
}

func TestResolveOutput(t *testing.T) {
	cmd := &cobra.Command{Use: "thing", Short: "Do a thing"}
	setOutputFormats(cmd, FormatTable, FormatJSON, FormatCSV)
	if !strings.HasSuffix(cmd.Long, "Output formats (-o): table (default), json, csv.") {
		t.Errorf("help line: %q", cmd.Long)
	}
	for _, tt := range []struct{ in, want, err string }{
		{"", FormatTable, ""},
		{"json", FormatJSON, ""},
		{"markdown", "", "--output markdown is not supported by thing; use one of: table, json, csv"},
	} {
		got, err := resolveOutput(cmd, tt.in)
		if got != tt.want || (err == nil) != (tt.err == "") || (err != nil && err.Error() != tt.err) {
			t.Errorf("resolveOutput(%q) = %q, %v", tt.in, got, err)
		}
	}
	bare := &cobra.Command{Use: "bare"}
	if got, err := resolveOutput(bare, ""); got != "" || err != nil {
		t.Errorf("bare default: %q %v", got, err)
	}
	if _, err := resolveOutput(bare, "json"); err == nil {
		t.Error("bare command accepted -o json")
	}
}

func TestRelativeTime(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{10 * time.Second, "just now"},
		{time.Minute, "1 minute ago"},
		{59 * time.Minute, "59 minutes ago"},
		{3 * time.Hour, "3 hours ago"},
		{49 * time.Hour, "2 days ago"},
		{90 * 24 * time.Hour, "3 months ago"},
		{800 * 24 * time.Hour, "2 years ago"},
		{-2 * time.Hour, "2 hours from now"},
	} {
		if got := relativeTime(fixedNow.Add(-tt.d), fixedNow); got != tt.want {
			t.Errorf("relativeTime(-%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestFormatCell(t *testing.T) {
	ts := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 3600))
	for _, tt := range []struct {
		v    any
		tty  bool
		want string
	}{
		{nil, false, ""},
		{ts, false, "2026-01-02T02:04:05Z"},
		{&ts, false, "2026-01-02T02:04:05Z"},
		{(*time.Time)(nil), true, "-"},
		{errors.New("boom"), false, "boom"},
		{42, false, "42"},
		{3.5, false, "3.5"},
	} {
		if got := formatCell(tt.v, tt.tty, time.UTC, fixedNow); got != tt.want {
			t.Errorf("formatCell(%#v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}
