package rotate

import (
	"encoding/json"

	"github.com/akresp/akresp/internal/policy"
)

// ACLInheritance and DiscardedKey are written both in rotate -o json and
// in the rotation's state file. In both, the old key's network ACL is an
// object, never a string holding JSON, and a key is access_key_id
// (docs/json.md). Decoding also takes what state files written before
// held: the document as a string, the ACL's from_key_id and a discarded
// key's key_id.

type aclInheritanceFields ACLInheritance

// MarshalJSON writes the ACL document as an object.
func (a ACLInheritance) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		aclInheritanceFields
		Policy policy.DocText `json:"policy,omitempty"`
	}{aclInheritanceFields(a), policy.DocText(a.Policy)})
}

// UnmarshalJSON reads the ACL document as an object or a string, and the
// key it came from as from_access_key_id or the from_key_id of earlier
// state files.
func (a *ACLInheritance) UnmarshalJSON(b []byte) error {
	w := struct {
		*aclInheritanceFields
		Policy policy.DocText `json:"policy,omitempty"`
		Legacy string         `json:"from_key_id"`
	}{aclInheritanceFields: (*aclInheritanceFields)(a)}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	a.Policy = string(w.Policy)
	if a.FromKeyID == "" {
		a.FromKeyID = w.Legacy
	}
	return nil
}

type discardedKeyFields DiscardedKey

// UnmarshalJSON reads access_key_id, or the key_id of earlier state files.
func (d *DiscardedKey) UnmarshalJSON(b []byte) error {
	w := struct {
		*discardedKeyFields
		Legacy string `json:"key_id"`
	}{discardedKeyFields: (*discardedKeyFields)(d)}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if d.KeyID == "" {
		d.KeyID = w.Legacy
	}
	return nil
}
