package respond

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/akresp/akresp/internal/policy"
)

// The states of the network-ACL and deny-policy kinds hold policy
// documents as the text the cloud takes. In JSON (plans, -o json and the
// journal) each document is an object, never a string holding JSON
// (docs/json.md); decoding also takes the string form journals written
// before held. The outer fields below shadow the state's own (encoding/json
// prefers the shallower field), so any field added to a state still
// flows through.

type aclStateFields aclState

// MarshalJSON writes the documents as objects.
func (s aclState) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		aclStateFields
		Policy  policy.DocText `json:"policy"`
		Account policy.DocText `json:"account_policy,omitempty"`
	}{aclStateFields(s), policy.DocText(s.Policy), policy.DocText(s.Account)})
}

// UnmarshalJSON reads the documents as objects or strings.
func (s *aclState) UnmarshalJSON(b []byte) error {
	w := struct {
		*aclStateFields
		Policy  policy.DocText `json:"policy"`
		Account policy.DocText `json:"account_policy,omitempty"`
	}{aclStateFields: (*aclStateFields)(s)}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	s.Policy, s.Account = string(w.Policy), string(w.Account)
	return nil
}

type policyStateFields policyState

// MarshalJSON writes the document as an object.
func (s policyState) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		policyStateFields
		Document policy.DocText `json:"document,omitempty"`
	}{policyStateFields(s), policy.DocText(s.Document)})
}

// UnmarshalJSON reads the document as an object or a string.
func (s *policyState) UnmarshalJSON(b []byte) error {
	w := struct {
		*policyStateFields
		Document policy.DocText `json:"document,omitempty"`
	}{policyStateFields: (*policyStateFields)(s)}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	s.Document = string(w.Document)
	return nil
}

// ---- actions in -o json ----

// The journal keeps each state under its own names (key_id, user, policy
// as a name or a document), which undo and the incident record read back.
// Plans printed with -o json speak docs/json.md instead: an action's
// before and after are rewritten, key by key and in order, to the
// vocabulary's names. The journal, the plan hash and undo are untouched.

// stateNames are the journal's top-level state keys and their names in
// -o json, for every kind.
var stateNames = map[string]string{
	"key_id":               "access_key_id",
	"user":                 "user_name",
	"role":                 "role_name",
	"group":                "group_name",
	"account_policy":       "account_level",       // set-network-acl: the account-level ACL
	"account_policy_error": "account_level_error", // as EffectiveACL names them
}

type actionFields Action

// MarshalJSON writes the action with its states in the vocabulary's names.
func (a Action) MarshalJSON() ([]byte, error) {
	before, err := publicState(a.Kind, a.Before)
	if err != nil {
		return nil, fmt.Errorf("action %s: before: %w", a.ID, err)
	}
	after, err := publicState(a.Kind, a.After)
	if err != nil {
		return nil, fmt.Errorf("action %s: after: %w", a.ID, err)
	}
	return json.Marshal(struct {
		actionFields
		Before json.RawMessage `json:"before"`
		After  json.RawMessage `json:"after"`
	}{actionFields(a), before, after})
}

// publicState rewrites one journaled state (a JSON object) for -o json:
// the keys of stateNames renamed; "policy" holding a name is policy_name
// and holding the key's network ACL document is key_level; the deny
// policy's "name" is policy_name; a "document" kept as text (a role's
// trust policy) is the document itself. Nested values (a security-group
// rule) keep their keys. Anything that is not an object is kept as is.
func publicState(kind string, raw json.RawMessage) (json.RawMessage, error) {
	b := bytes.TrimSpace(raw)
	if len(b) == 0 {
		return json.RawMessage("null"), nil
	}
	if b[0] != '{' {
		return raw, nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.WriteByte('{')
	for n := 0; dec.More(); n++ {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		isText := len(v) > 0 && v[0] == '"'
		name := key
		switch {
		case stateNames[key] != "":
			name = stateNames[key]
		case key == "policy" && isText:
			name = "policy_name"
		case key == "policy":
			name = "key_level"
		case key == "name" && kind == KindDenyPolicy:
			name = "policy_name"
		case key == "document" && isText:
			var d policy.DocText
			if err := json.Unmarshal(v, &d); err != nil {
				return nil, err
			}
			if v, err = json.Marshal(d); err != nil {
				return nil, err
			}
		}
		if n > 0 {
			out.WriteByte(',')
		}
		k, _ := json.Marshal(name)
		out.Write(k)
		out.WriteByte(':')
		out.Write(v)
	}
	out.WriteByte('}')
	return out.Bytes(), nil
}
