package cli

import (
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestVersionParse(t *testing.T) {
	for _, tt := range []struct {
		args    []string
		want    string
		wantErr string
	}{
		{nil, "text", ""},
		{[]string{"-o", "json"}, FormatJSON, ""},
		{[]string{"-o", "table"}, FormatTable, ""},
		{[]string{"-o", "csv"}, "", "--output csv is not supported by akresp version; use one of: text, json, table"},
	} {
		clearAkrespEnv(t)
		te := newTestFactory(t)
		var got *VersionOptions
		cmd := newCmdVersion(te.f, func(_ context.Context, o *VersionOptions) error { got = o; return nil })
		err := execUnder(t, te.f, nil, cmd, tt.args...)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("%v: err = %v", tt.args, err)
			}
			continue
		}
		if err != nil || got.Output != tt.want || got.Info.Version != "v0.0.0-test" {
			t.Errorf("%v: %v %+v", tt.args, err, got)
		}
	}
}

func TestVersionRun(t *testing.T) {
	info := VersionInfo{SchemaVersion: "akresp.version/v2", Version: "v1.2.3", Commit: "abc1234", GoVersion: runtime.Version(), Platform: "linux/amd64"}
	for _, format := range []string{"text", FormatJSON, FormatTable} {
		ios, _, out, _ := TestStreams()
		if err := runVersion(context.Background(), &VersionOptions{IO: ios, Output: format, Info: info, Printer: PrintOptions{IO: ios}}); err != nil {
			t.Fatal(err)
		}
		switch format {
		case "text":
			if !strings.HasPrefix(out.String(), "akresp v1.2.3 (commit ") || strings.Count(out.String(), "\n") != 1 {
				t.Errorf("text = %q", out)
			}
		case FormatJSON:
			assertOneJSONDocument(t, out.String())
			var got VersionInfo
			if err := json.Unmarshal(out.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(info, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("json (-want +got):\n%s", diff)
			}
		case FormatTable:
			if !strings.HasPrefix(out.String(), "VERSION  COMMIT   BUILD DATE  GO VERSION") {
				t.Errorf("table = %q", out)
			}
		}
	}
}
