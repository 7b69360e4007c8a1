package respond

import (
	"encoding/json"

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
