package redact

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const secretValue = "ExampleSecretExampleSecret0000"

type holder struct {
	ID     string
	Secret Secret
	Ptr    *Secret
}

func TestSecretNeverFormats(t *testing.T) {
	s := Secret(secretValue)
	h := holder{ID: "LTAI5tEXAMPLE", Secret: s, Ptr: &s}
	cases := map[string]string{
		"%v":         fmt.Sprintf("%v", s),
		"%s":         fmt.Sprintf("%s", s),
		"%+v":        fmt.Sprintf("%+v", s),
		"%#v":        fmt.Sprintf("%#v", s),
		"%q":         fmt.Sprintf("%q", s),
		"%x":         fmt.Sprintf("%x", s),
		"%X":         fmt.Sprintf("%X", s),
		"%10s":       fmt.Sprintf("%10s", s),
		"Sprint":     fmt.Sprint(s),
		"Sprintln":   fmt.Sprintln(s),
		"String":     s.String(),
		"GoString":   s.GoString(),
		"struct %v":  fmt.Sprintf("%v", h),
		"struct %+v": fmt.Sprintf("%+v", h),
		"struct %#v": fmt.Sprintf("%#v", h),
		"ptr %v":     fmt.Sprintf("%v", &s),
		"slice %v":   fmt.Sprintf("%v", []Secret{s, s}),
		"map %v":     fmt.Sprintf("%v", map[string]Secret{"k": s}),
	}
	for name, got := range cases {
		t.Run(name, func(t *testing.T) {
			if strings.Contains(got, secretValue) || strings.Contains(got, fmt.Sprintf("%x", secretValue)) {
				t.Fatalf("secret leaked: %q", got)
			}
			if !strings.Contains(got, Placeholder) {
				t.Fatalf("placeholder missing: %q", got)
			}
		})
	}
}

func TestSecretEncoders(t *testing.T) {
	s := Secret(secretValue)
	h := holder{ID: "LTAI5tEXAMPLE", Secret: s, Ptr: &s}

	jsonOut, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	xmlOut, err := xml.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	var textBuf, jsonBuf bytes.Buffer
	slog.New(slog.NewTextHandler(&textBuf, nil)).Info("msg", "secret", s, "holder", h)
	slog.New(slog.NewJSONHandler(&jsonBuf, nil)).Info("msg", "secret", s, "holder", h, slog.Any("any", s))

	for name, got := range map[string]string{
		"json":      string(jsonOut),
		"xml":       string(xmlOut),
		"slog text": textBuf.String(),
		"slog json": jsonBuf.String(),
	} {
		t.Run(name, func(t *testing.T) {
			if strings.Contains(got, secretValue) {
				t.Fatalf("secret leaked: %s", got)
			}
			if !strings.Contains(got, Placeholder) {
				t.Fatalf("placeholder missing: %s", got)
			}
		})
	}
	if want := `{"ID":"LTAI5tEXAMPLE","Secret":"[REDACTED]","Ptr":"[REDACTED]"}`; string(jsonOut) != want {
		t.Errorf("json = %s, want %s", jsonOut, want)
	}
}

func TestSecretReveal(t *testing.T) {
	s := Secret(secretValue)
	if s.Reveal() != secretValue {
		t.Fatalf("Reveal = %q", s.Reveal())
	}
	if s.IsZero() || !Secret("").IsZero() {
		t.Fatal("IsZero wrong")
	}
}

func TestEmptySecretPrintsEmpty(t *testing.T) {
	var s Secret
	if got := fmt.Sprintf("%v|%s", s, s); got != "|" {
		t.Errorf("empty secret formats as %q, want %q", got, "|")
	}
	b, _ := json.Marshal(s)
	if string(b) != `""` {
		t.Errorf("empty secret json = %s", b)
	}
}

func TestMaskKeyID(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"LTAI5tEXAMPLEexample0000", "LTAI5t…0000"},
		{"LTAI5tLEAKEDleaked000000", "LTAI5t…0000"},
		{"STS.NUgYrLnoC37mZZCNnAbez2DpF", "STS.NU…2DpF"},
		{"LTAI56789A1", "LTAI56…89A1"},
		{"short", "…t"},
		{"abcdefghij", "…ij"},
		{"abc", "…"},
		{"日本語のキーです長いキーID", "日本語のキー…キーID"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := MaskKeyID(tt.in); got != tt.want {
				t.Errorf("MaskKeyID(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
