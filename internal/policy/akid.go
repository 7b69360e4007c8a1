package policy

import (
	"fmt"
	"strings"
)

// AccessKey ID shapes (shared/reference/alibaba-cloud-api.md §18,
// detection-catalogue.md §5):
//
//   - current: "LTAI" + 20 letters or digits (24 characters);
//   - older LTAI keys: "LTAI" + 12 (16 characters);
//   - legacy: 16 to 29 letters or digits with no prefix (very old keys);
//   - STS: "STS." + 16 to 64 letters or digits (temporary credentials).
//
// A 30-character run of letters and digits is the shape of an AccessKey
// secret. The legacy range therefore stops at 29: a 30-character value with
// no LTAI prefix is refused as a probable secret, and no error message ever
// repeats such a value.
const (
	ltaiPrefix       = "LTAI"
	stsPrefix        = "STS."
	currentIDLen     = 24
	olderLTAIIDLen   = 16
	legacyMinLen     = 16
	legacyMaxLen     = 29
	secretLen        = 30
	stsMinSuffix     = 16
	stsMaxSuffix     = 64
	maxEchoedIDBytes = 40
)

// idHint is the sentence every AccessKey ID error ends with.
const idHint = "an AccessKey ID is LTAI followed by 20 letters or digits"

// ParseAccessKeyID checks that s (surrounding white space is ignored) has the
// shape of an AccessKey ID and returns it trimmed. It accepts current LTAI
// IDs, older 16-character LTAI IDs, legacy prefix-less IDs of 16-29 letters
// or digits, and STS IDs ("STS." + 16-64 letters or digits; see IsSTS).
//
// Errors name what is wrong and wrap ErrInvalidAccessKeyID. A value that
// looks like an AccessKey secret is refused without being repeated.
func ParseAccessKeyID(s string) (string, error) {
	id := strings.TrimSpace(s)
	if id == "" {
		return "", idErr("akid is empty; " + idHint)
	}
	if looksLikeSecret(id) {
		return "", idErr("this looks like an AccessKey secret, not an ID; do not paste secrets (an AccessKey ID is LTAI followed by 20 letters or digits). If it is a secret, rotate that key now")
	}
	show := echoID(id)

	switch {
	case strings.HasPrefix(id, stsPrefix):
		suffix := id[len(stsPrefix):]
		if i, r, ok := firstNonAlnum(suffix); ok {
			return "", idErr(fmt.Sprintf("akid %s contains %q at position %d; an STS AccessKey ID is STS. followed by letters or digits", show, r, len(stsPrefix)+i+1))
		}
		if n := len(suffix); n < stsMinSuffix || n > stsMaxSuffix {
			return "", idErr(fmt.Sprintf("akid %s has %d characters after STS.; an STS AccessKey ID has %d to %d", show, n, stsMinSuffix, stsMaxSuffix))
		}
		return id, nil
	case hasPrefixFold(id, stsPrefix):
		return "", idErr(fmt.Sprintf("akid %s starts with %q; STS AccessKey IDs start with upper-case STS.", show, id[:len(stsPrefix)]))
	}

	if i, r, ok := firstNonAlnum(id); ok {
		return "", idErr(fmt.Sprintf("akid %s contains %q at position %d; %s", show, r, i+1, idHint))
	}

	switch {
	case strings.HasPrefix(id, ltaiPrefix):
		if len(id) == currentIDLen || len(id) == olderLTAIIDLen {
			return id, nil
		}
		return "", idErr(fmt.Sprintf("akid %s is %d characters; %s", show, len(id), idHint))
	case hasPrefixFold(id, ltaiPrefix) && (len(id) == currentIDLen || len(id) == olderLTAIIDLen):
		return "", idErr(fmt.Sprintf("akid %s starts with %q; AccessKey IDs start with upper-case LTAI", show, id[:len(ltaiPrefix)]))
	case len(id) >= legacyMinLen && len(id) <= legacyMaxLen:
		return id, nil
	default:
		return "", idErr(fmt.Sprintf("akid %s is %d characters; %s", show, len(id), idHint))
	}
}

// IsSTS reports whether id is a temporary (STS) AccessKey ID. STS keys cannot
// be disabled, rotated or fenced by a network ACL one by one: contain the
// role and wait for the token to expire.
func IsSTS(id string) bool {
	return strings.HasPrefix(strings.TrimSpace(id), stsPrefix)
}

func idErr(msg string) error { return &inputError{msg: msg, kind: ErrInvalidAccessKeyID} }

// looksLikeSecret reports whether s contains a run of 30 or more letters and
// digits that is not an LTAI ID, or is exactly a 30-character alphanumeric
// value with no LTAI prefix. Such input is never echoed.
func looksLikeSecret(s string) bool {
	run, start := 0, 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && isAlnum(s[i]) {
			if run == 0 {
				start = i
			}
			run++
			continue
		}
		afterSTS := start == len(stsPrefix) && hasPrefixFold(s, stsPrefix)
		if run >= secretLen && !afterSTS && !strings.HasPrefix(s[start:], ltaiPrefix) {
			return true
		}
		if run >= secretLen+len(ltaiPrefix) && !afterSTS {
			// Even with an LTAI prefix, a run this long cannot be an ID and
			// probably holds an ID glued to its secret.
			return true
		}
		run = 0
	}
	return false
}

// echoID quotes an ID-like value for an error message, shortened when long.
func echoID(s string) string {
	if len(s) > maxEchoedIDBytes {
		return fmt.Sprintf("%q", s[:maxEchoedIDBytes]+"…")
	}
	return fmt.Sprintf("%q", s)
}

// firstNonAlnum returns the rune index and value of the first character of s
// that is not an ASCII letter or digit.
func firstNonAlnum(s string) (int, rune, bool) {
	i := 0
	for _, r := range s {
		if r > 0x7f || !isAlnum(byte(r)) {
			return i, r, true
		}
		i++
	}
	return 0, 0, false
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
