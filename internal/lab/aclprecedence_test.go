package lab

import "testing"

// The documented precedence (the leak-response plan's troubleshooting note):
// an Active key-level policy replaces the account-level one for that key;
// without one, an Active account-level policy applies; Inactive policies
// apply to nothing; STS credentials are never restricted.
func TestEffectiveACLPrecedence(t *testing.T) {
	mk := func(status string, ips ...string) *AKPolicy {
		return &AKPolicy{Status: status, Statements: []AKStatement{{Type: "ClassicWhiteList", IPList: ips}}}
	}
	keyAct, keyInact := mk("Active", "127.0.0.66"), mk("Inactive", "127.0.0.66")
	acctAct, acctInact := mk("Active", "127.0.0.10"), mk("Inactive", "127.0.0.10")
	tests := []struct {
		name      string
		key, acct *AKPolicy
		sts       bool
		want      *AKPolicy
	}{
		{"neither", nil, nil, false, nil},
		{"account only", nil, acctAct, false, acctAct},
		{"key replaces account", keyAct, acctAct, false, keyAct},
		{"inactive key: account applies", keyInact, acctAct, false, acctAct},
		{"inactive account", nil, acctInact, false, nil},
		{"key only", keyAct, nil, false, keyAct},
		{"sts never restricted", nil, acctAct, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &World{AccountACL: tt.acct}
			p := &principal{key: &AccessKey{ID: "LTAI5tTEST", Policy: tt.key}}
			if tt.sts {
				p = &principal{kind: "assumed-role"}
			}
			if got := effectiveACL(w, p); got != tt.want {
				t.Fatalf("effectiveACL = %+v, want %+v", got, tt.want)
			}
		})
	}
	// The key-level policy decides alone: the attacker it allows passes
	// though the account-level policy would refuse it, and the office the
	// account allows is refused.
	w := &World{AccountACL: acctAct}
	p := &principal{key: &AccessKey{ID: "LTAI5tTEST", Policy: keyAct}}
	pol := effectiveACL(w, p)
	if !aclAdmits(pol, mustAddr("127.0.0.66")) || aclAdmits(pol, mustAddr("127.0.0.10")) {
		t.Fatal("key-level policy does not replace the account-level one")
	}
}
