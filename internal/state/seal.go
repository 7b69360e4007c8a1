package state

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/akresp/akresp/internal/redact"
)

// KeyFileName is the MAC key inside the state directory (mode 0600).
const KeyFileName = ".mac-key"

// IntegrityError is a state or journal record that fails its MAC, a
// journal that lost records, or a sealed file that disappeared: something
// changed the state directory outside akresp. Acting on such a record could
// widen a fence or delete the wrong key, so the command stops (exit 4).
type IntegrityError struct {
	File   string // the file that failed
	Line   int    // journal line (1-based), 0 for a whole file
	Field  string // the field that changed, when it can be told
	Reason string
}

func (e *IntegrityError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	msg := fmt.Sprintf("integrity check failed: %s: %s", loc, e.Reason)
	if e.Field != "" {
		msg += fmt.Sprintf(" (field %q)", e.Field)
	}
	return msg + "; akresp will not act on state it did not write"
}

// ExitCode makes an integrity failure a safety-rail refusal (exit 4).
func (e *IntegrityError) ExitCode() int { return 4 }

// Hint says what to do next.
func (e *IntegrityError) Hint() string {
	return "the file was changed outside akresp: compare it with the cloud (contain --status, rotate --status) and with a backup; restore the original file, or move the key's state directory aside to start over from the live state"
}

// MACKey returns the state directory's MAC key. With create, a missing key
// is made (32 random bytes, hex, mode 0600); without, a missing key returns
// an error satisfying errors.Is(err, os.ErrNotExist). A key file that other
// users can read, or that is not the current user's, is refused.
func MACKey(base string, create bool) ([]byte, error) {
	path := filepath.Join(base, KeyFileName)
	key, err := readKey(path)
	if err == nil || !errors.Is(err, os.ErrNotExist) || !create {
		return key, err
	}
	if err := ensureDir(stateDirKind, base); err != nil {
		return nil, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("state: MAC key: %w", err)
	}
	// Written under a temporary name and linked into place: link fails if
	// another process made the key first, and nobody ever reads a half
	// written key.
	tmp, err := os.CreateTemp(base, ".mac-key-*")
	if err != nil {
		return nil, fmt.Errorf("state: MAC key: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.WriteString(hex.EncodeToString(raw) + "\n")
	if werr == nil {
		werr = tmp.Chmod(FileMode)
	}
	if werr == nil {
		werr = tmp.Sync()
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return nil, fmt.Errorf("state: MAC key %s: %w", path, werr)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("state: MAC key %s: %w", path, err)
	}
	return readKey(path)
}

func readKey(path string) ([]byte, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &IntegrityError{File: path, Reason: "the MAC key is not a regular file"}
	}
	if uid, ok := ownerUID(fi); ok && uid != os.Geteuid() {
		return nil, &DirError{Kind: "MAC key", Path: path, Problem: fmt.Sprintf("is owned by uid %d, not by you", uid),
			Fix: "pass --state-dir to a directory you own"}
	}
	if checkPerms && fi.Mode().Perm()&0o077 != 0 {
		return nil, &DirError{Kind: "MAC key", Path: path, Problem: fmt.Sprintf("can be read by other users (mode %v)", fi.Mode().Perm()),
			Fix: fmt.Sprintf("run 'chmod 600 %s' if nobody else has read it, else move the state directory aside", path)}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != 32 {
		return nil, &IntegrityError{File: path, Reason: "the MAC key is not 64 hex digits"}
	}
	return key, nil
}

// MAC returns the hex HMAC-SHA256 under key of domain and parts, each
// length-prefixed so that no two different part lists share an input.
func MAC(key []byte, domain string, parts ...string) string {
	m := hmac.New(sha256.New, key)
	for _, p := range append([]string{domain}, parts...) {
		io.WriteString(m, strconv.Itoa(len(p)))
		io.WriteString(m, ":")
		io.WriteString(m, p)
	}
	return hex.EncodeToString(m.Sum(nil))
}

// MACEqual compares two hex MACs in constant time.
func MACEqual(a, b string) bool { return hmac.Equal([]byte(a), []byte(b)) }

// Canonical returns the members of the JSON object data, without those
// named in drop, as a deterministic string: keys sorted, values compacted.
// Whitespace does not change it; any change of a key or value does.
func Canonical(data []byte, drop ...string) (string, map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil {
		return "", nil, err
	}
	if m == nil {
		return "", nil, errors.New("not a JSON object")
	}
	if dec.More() {
		return "", nil, errors.New("data after the JSON object")
	}
	for _, d := range drop {
		delete(m, d)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		var c bytes.Buffer
		if err := json.Compact(&c, m[k]); err != nil {
			return "", nil, err
		}
		fmt.Fprintf(&b, "%d:%s%d:%s", len(k), k, c.Len(), c.Bytes())
	}
	return b.String(), m, nil
}

// secretNames are member names whose string values would be secrets.
var secretNames = map[string]bool{
	"secret": true, "accesskeysecret": true, "securitytoken": true, "password": true,
	"clientsecret": true, "privatekey": true,
}

// CheckNoSecret refuses JSON that carries a non-empty string under a name
// that means a secret (AccessKeySecret, access_key_secret, SecurityToken,
// password ...) anywhere in it, unless the value is the redaction
// placeholder. Journals and state must never hold one.
func CheckNoSecret(data []byte) error {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil // not JSON: the caller's own encoding reports it
	}
	var walk func(v any, path string) error
	walk = func(v any, path string) error {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				norm := strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(k))
				if s, ok := e.(string); ok && secretNames[norm] && s != "" && s != redact.Placeholder {
					return fmt.Errorf("refusing to write %s%s: it holds a secret", path, k)
				}
				if err := walk(e, path+k+"."); err != nil {
					return err
				}
			}
		case []any:
			for _, e := range x {
				if err := walk(e, path); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(v, "")
}
