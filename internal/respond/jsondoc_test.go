package respond

import (
	"encoding/json"
	"strings"
	"testing"
)

// Policy documents in action states are objects in JSON, and both that
// form and the string form of older journals decode to the same state.
func TestStateDocumentsAreObjects(t *testing.T) {
	doc := `{"Version":"1","Status":"Active","Statements":[{"Type":"SourceIp","Value":["203.0.113.0/24"]}]}`
	st := aclState{KeyID: "LTAI5tExampleKey00000001", Policy: doc, Account: "", AccountError: "denied"}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"policy":{"Version":"1"`) || strings.Contains(string(b), `account_policy"`) {
		t.Fatalf("marshal = %s", b)
	}
	var back aclState
	if err := json.Unmarshal(b, &back); err != nil || back != st {
		t.Fatalf("round trip = %+v, %v; want %+v", back, err, st)
	}
	old := `{"key_id":"LTAI5tExampleKey00000001","policy":` + strconvQuote(doc) + `,"account_policy_error":"denied"}`
	back = aclState{}
	if err := json.Unmarshal([]byte(old), &back); err != nil || back != st {
		t.Fatalf("string form = %+v, %v; want %+v", back, err, st)
	}
	ps := policyState{Name: "akresp-deny-high-risk", Exists: true, Document: `{"Version":"1","Statement":[]}`}
	b, err = json.Marshal(ps)
	if err != nil || !strings.Contains(string(b), `"document":{"Version":"1","Statement":[]}`) {
		t.Fatalf("policy state = %s, %v", b, err)
	}
	var pback policyState
	if err := json.Unmarshal(b, &pback); err != nil || pback != ps {
		t.Fatalf("round trip = %+v, %v", pback, err)
	}
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
