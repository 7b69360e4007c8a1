package policy

import (
	"bytes"
	"encoding/json"
	"errors"
)

// DocText is a policy document (a RAM policy or an AccessKey network ACL)
// kept as the text the cloud takes and returns. In JSON output it is the
// document itself, an object, never a string holding JSON (docs/json.md);
// "" is null and text that is not JSON stays a string. Decoding takes the
// object, a string (records written before) or null.
type DocText string

// MarshalJSON writes a JSON object or array as itself.
func (d DocText) MarshalJSON() ([]byte, error) {
	b := bytes.TrimSpace([]byte(d))
	switch {
	case len(b) == 0:
		return []byte("null"), nil
	case (b[0] == '{' || b[0] == '[') && json.Valid(b):
		return b, nil
	}
	return json.Marshal(string(d))
}

// UnmarshalJSON reads an object or array (kept compact), a string or null.
func (d *DocText) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return errors.New("policy document: empty JSON value")
	case b[0] == 'n':
		*d = ""
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*d = DocText(s)
		return nil
	case b[0] == '{' || b[0] == '[':
		var buf bytes.Buffer
		if err := json.Compact(&buf, b); err != nil {
			return err
		}
		*d = DocText(buf.String())
		return nil
	}
	return errors.New("policy document must be a JSON object, a string or null")
}
