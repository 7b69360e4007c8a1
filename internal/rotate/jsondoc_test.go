package rotate

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// The old key's ACL is an object and a discarded key is access_key_id in
// rotate -o json and the state file; state files written before (the
// document as a string, key_id, from_key_id) still read back the same.
func TestStateJSONVocabulary(t *testing.T) {
	at := time.Date(2026, 12, 4, 18, 0, 0, 0, time.UTC)
	doc := `{"Version":"1","Status":"Active","Statements":[{"Type":"SourceIp","Value":["203.0.113.0/24"]}]}`
	st := State{SchemaVersion: StateSchema, KeyID: "LTAI5tOLD", ACL: &ACLInheritance{FromKeyID: "LTAI5tOLD", Policy: doc, ReadAt: at},
		Discarded: []DiscardedKey{{KeyID: "LTAI5tLOST", Reason: "crash", At: at}}}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"policy":` + doc, `"discarded_keys":[{"access_key_id":"LTAI5tLOST"`, `"from_access_key_id":"LTAI5tOLD"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("state JSON %s lacks %s", b, want)
		}
	}
	if strings.Contains(string(b), `"policy":"`) || strings.Contains(string(b), `{"key_id"`) || strings.Contains(string(b), `from_key_id`) {
		t.Errorf("state JSON keeps a document string or key_id: %s", b)
	}
	var back State
	if err := json.Unmarshal(b, &back); err != nil || back.ACL == nil || back.ACL.Policy != doc || back.ACL.ReadAt != at || len(back.Discarded) != 1 || back.Discarded[0] != st.Discarded[0] {
		t.Fatalf("round trip = %+v (acl %+v), %v", back, back.ACL, err)
	}
	quoted, _ := json.Marshal(doc)
	old := `{"schema_version":"` + StateSchema + `","key_id":"LTAI5tOLD","step":"created","acl":{"from_key_id":"LTAI5tOLD","policy":` + string(quoted) +
		`,"read_at":"2026-12-04T18:00:00Z"},"discarded_keys":[{"key_id":"LTAI5tLOST","reason":"crash","at":"2026-12-04T18:00:00Z"}]}`
	back = State{}
	if err := json.Unmarshal([]byte(old), &back); err != nil || back.ACL == nil || back.ACL.Policy != doc || back.ACL.FromKeyID != "LTAI5tOLD" || len(back.Discarded) != 1 || back.Discarded[0] != st.Discarded[0] {
		t.Fatalf("earlier state file = %+v (acl %+v), %v", back, back.ACL, err)
	}
	// No document: omitted, as before.
	b, _ = json.Marshal(ACLInheritance{FromKeyID: "LTAI5tOLD", ReadAt: at})
	if strings.Contains(string(b), "policy") {
		t.Errorf("no ACL = %s", b)
	}
}
