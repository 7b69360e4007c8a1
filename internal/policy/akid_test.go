package policy

import (
	"errors"
	"strings"
	"testing"
)

func TestParseAccessKeyID(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr string // substring; "" means success
	}{
		{name: "current", in: "LTAI5tAbCdEfGhIjKlMnOpQr", want: "LTAI5tAbCdEfGhIjKlMnOpQr"},
		{name: "current with spaces", in: "  LTAI5tAbCdEfGhIjKlMnOpQr\n", want: "LTAI5tAbCdEfGhIjKlMnOpQr"},
		{name: "older 16-char LTAI", in: "LTAIabcdEFGH1234", want: "LTAIabcdEFGH1234"},
		{name: "legacy 16", in: "0wNEpMMlzy7s1234", want: "0wNEpMMlzy7s1234"},
		{name: "legacy 29", in: strings.Repeat("a1", 14) + "b", want: strings.Repeat("a1", 14) + "b"},
		{name: "sts", in: "STS.NUgYrLnoC37mZZCNnAbez2E5d", want: "STS.NUgYrLnoC37mZZCNnAbez2E5d"},
		{name: "sts 16", in: "STS.abcdefgh12345678", want: "STS.abcdefgh12345678"},
		{name: "sts 64", in: "STS." + strings.Repeat("A", 64), want: "STS." + strings.Repeat("A", 64)},
		{name: "sts 30 suffix is not a secret", in: "STS." + strings.Repeat("Ab3", 10), want: "STS." + strings.Repeat("Ab3", 10)},

		{name: "empty", in: "   ", wantErr: "akid is empty; an AccessKey ID is LTAI followed by 20 letters or digits"},
		{name: "short LTAI", in: "LTAI5t....", wantErr: `akid "LTAI5t...." contains '.' at position 7`},
		{name: "10 chars", in: "LTAI5tABCD", wantErr: `akid "LTAI5tABCD" is 10 characters; an AccessKey ID is LTAI followed by 20 letters or digits`},
		{name: "23 chars LTAI", in: "LTAI5tAbCdEfGhIjKlMnOpQ", wantErr: `is 23 characters`},
		{name: "25 chars LTAI", in: "LTAI5tAbCdEfGhIjKlMnOpQrS", wantErr: `is 25 characters`},
		{name: "lower-case ltai", in: "ltai5tAbCdEfGhIjKlMnOpQr", wantErr: `starts with "ltai"; AccessKey IDs start with upper-case LTAI`},
		{name: "punctuation", in: "LTAI5tAbCd-fGhIjKlMnOpQr", wantErr: `contains '-' at position 11`},
		{name: "non-ascii", in: "LTAI5tAbCdéfGhIjKlMnOpQr", wantErr: `contains 'é' at position 11`},
		{name: "legacy too short", in: "abc123", wantErr: `is 6 characters`},
		{name: "lower-case sts", in: "sts.abcdefgh12345678", wantErr: `starts with "sts."; STS AccessKey IDs start with upper-case STS.`},
		{name: "sts too short", in: "STS.abc", wantErr: `has 3 characters after STS.; an STS AccessKey ID has 16 to 64`},
		{name: "sts too long", in: "STS." + strings.Repeat("A", 65), wantErr: `has 65 characters after STS.`},
		{name: "sts punctuation", in: "STS.abcdefgh-12345678", wantErr: `contains '-' at position 13`},
		{name: "long value shortened", in: strings.Repeat("ab-", 20), wantErr: `akid "ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-a…"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAccessKeyID(tt.in)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ParseAccessKeyID(%q) error: %v", tt.in, err)
				}
				if got != tt.want {
					t.Fatalf("ParseAccessKeyID(%q) = %q, want %q", tt.in, got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseAccessKeyID(%q) = %q, want error containing %q", tt.in, got, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ParseAccessKeyID(%q) error = %q, want it to contain %q", tt.in, err, tt.wantErr)
			}
			if !errors.Is(err, ErrInvalidAccessKeyID) {
				t.Fatalf("error %v does not wrap ErrInvalidAccessKeyID", err)
			}
		})
	}
}

// A secret-shaped value must be refused without ever appearing in the error.
func TestParseAccessKeyIDNeverEchoesSecrets(t *testing.T) {
	const secret = "Xk9fQ2mZp7LwR4tYb8NcV3hJd6GsA1"
	if len(secret) != 30 {
		t.Fatalf("test secret has %d characters, want 30", len(secret))
	}
	inputs := []string{
		secret,
		"  " + secret + "  ",
		"LTAI5tAbCdEfGhIjKlMnOpQr:" + secret,
		"LTAI5tAbCdEfGhIjKlMnOpQr " + secret,
		"LTAI5tAbCdEfGhIjKlMnOpQr" + secret, // glued
		"id=LTAI5tAbCdEfGhIjKlMnOpQr,secret=" + secret,
		secret + "extra",
	}
	for _, in := range inputs {
		_, err := ParseAccessKeyID(in)
		if err == nil {
			t.Fatalf("ParseAccessKeyID(%q) accepted a value holding a secret", in)
		}
		if strings.Contains(err.Error(), secret[:12]) || strings.Contains(err.Error(), secret[18:]) {
			t.Fatalf("error for %q echoes the secret: %v", in, err)
		}
		if !strings.Contains(err.Error(), "looks like an AccessKey secret") {
			t.Fatalf("error for %q = %q, want the secret warning", in, err)
		}
	}
}

func TestIsSTS(t *testing.T) {
	for in, want := range map[string]bool{
		"STS.NUgYrLnoC37mZZCNnAbez2E5d": true,
		" STS.abc":                      true,
		"LTAI5tAbCdEfGhIjKlMnOpQr":      false,
		"sts.abc":                       false,
		"":                              false,
	} {
		if got := IsSTS(in); got != want {
			t.Errorf("IsSTS(%q) = %v, want %v", in, got, want)
		}
	}
}

func FuzzParseAccessKeyID(f *testing.F) {
	for _, s := range []string{"LTAI5tAbCdEfGhIjKlMnOpQr", "STS.abcdefgh12345678", "", "é", strings.Repeat("a", 31)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseAccessKeyID(s)
		if err == nil && (id == "" || strings.TrimSpace(s) != id) {
			t.Fatalf("ParseAccessKeyID(%q) = %q without error", s, id)
		}
	})
}
