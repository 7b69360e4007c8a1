package policy

import (
	"encoding/json"
	"testing"
)

func TestDocTextJSON(t *testing.T) {
	type wrap struct {
		Doc DocText `json:"doc"`
	}
	for _, c := range []struct {
		in   DocText
		want string
	}{
		{"", `{"doc":null}`},
		{`{"Version": "1", "Statement": []}`, `{"doc":{"Version":"1","Statement":[]}}`},
		{"not json", `{"doc":"not json"}`},
		{`{"broken":`, `{"doc":"{\"broken\":"}`},
	} {
		b, err := json.Marshal(wrap{c.in})
		if err != nil || string(b) != c.want {
			t.Errorf("marshal %q = %s, %v; want %s", c.in, b, err, c.want)
		}
	}
	for in, want := range map[string]DocText{
		`{"doc":{"Version":"1"}}`:       `{"Version":"1"}`,
		`{"doc":"{\"Version\":\"1\"}"}`: `{"Version":"1"}`,
		`{"doc":null}`:                  "",
	} {
		var w wrap
		if err := json.Unmarshal([]byte(in), &w); err != nil || w.Doc != want {
			t.Errorf("unmarshal %s = %q, %v; want %q", in, w.Doc, err, want)
		}
	}
	var w wrap
	if err := json.Unmarshal([]byte(`{"doc":12}`), &w); err == nil {
		t.Error("a number decoded as a policy document")
	}
}
