package redact

import (
	"fmt"
	"log/slog"
	"unicode/utf8"
)

// Placeholder is what a Secret prints as, whatever the formatting route.
const Placeholder = "[REDACTED]"

// Secret holds a sensitive string (an AccessKey secret or an STS security
// token). Every way Go has of turning a value into text (fmt verbs including
// %#v, encoding/json, encoding.TextMarshaler, log/slog) yields Placeholder.
// Only Reveal returns the value, so each place that needs the real secret is
// explicit and greppable.
//
// One route is out of reach: encoding/json writes map keys of a string kind
// verbatim, so never use a Secret as a map key.
//
// The zero value is the empty secret; it prints as "" so that "no secret"
// and "a secret" stay distinguishable in output without revealing anything.
type Secret string

// Reveal returns the secret itself. Call it only where the value must leave
// the process: signing requests, or the exits rotate documents.
func (s Secret) Reveal() string { return string(s) }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s == "" }

func (s Secret) text() string {
	if s == "" {
		return ""
	}
	return Placeholder
}

// String implements fmt.Stringer.
func (s Secret) String() string { return s.text() }

// GoString implements fmt.GoStringer (%#v).
func (s Secret) GoString() string { return fmt.Sprintf("redact.Secret(%q)", s.text()) }

// Format implements fmt.Formatter so that no verb (%s, %v, %+v, %q, %x, %d
// ...) can reach the underlying bytes.
func (s Secret) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		_, _ = f.Write([]byte(s.GoString()))
	case verb == 'q':
		_, _ = fmt.Fprintf(f, "%q", s.text())
	default:
		_, _ = f.Write([]byte(s.text()))
	}
}

// MarshalJSON implements json.Marshaler.
func (s Secret) MarshalJSON() ([]byte, error) {
	return []byte(`"` + s.text() + `"`), nil
}

// MarshalText implements encoding.TextMarshaler (used by, among others,
// encoding/json map keys, encoding/xml and many loggers).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.text()), nil }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.text()) }

// MaskKeyID shortens an AccessKey ID for display: the first six characters,
// an ellipsis and the last four ("LTAI5tAbCdEfGh0000" -> "LTAI5t…0000"), the
// form aws-vault's FormatKeyForDisplay popularised. IDs of ten characters or
// fewer are not real AccessKey IDs; they keep only their last quarter so a
// mistaken secret passed in is still not shown. The empty string stays empty.
func MaskKeyID(id string) string {
	n := utf8.RuneCountInString(id)
	if n == 0 {
		return ""
	}
	r := []rune(id)
	if n <= 10 {
		return "…" + string(r[n-n/4:])
	}
	return string(r[:6]) + "…" + string(r[n-4:])
}
