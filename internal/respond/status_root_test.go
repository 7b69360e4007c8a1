package respond

import (
	"context"
	"strings"
	"testing"

	"github.com/akresp/akresp/internal/cloud"
)

// TestStatusRootKeyAsRoot: --status on a root-account key. Only the root
// account can read a root key's network ACL: run as the root account the
// ACL is read and judged; run as anyone else it is reported unknown and
// treated as open, never as "none".
func TestStatusRootKeyAsRoot(t *testing.T) {
	const rootKey = "LTAIrootrootrootroot0001"
	acl := `{"Version":1,"Status":"Active","Statements":[{"Type":"ClassicWhiteList","Value":"","IPList":["127.0.0.10"]}]}`
	for _, tc := range []struct {
		name     string
		identity string
		evidence bool // the root owner is known from the audit, not from the caller
		wantACL  string
		open     bool
	}{
		{name: "as the root account", identity: "Account", wantACL: "127.0.0.10/32", open: false},
		{name: "as a RAM user", identity: "RAMUser", evidence: true, wantACL: "unknown (only the root account", open: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			f.keys[rootKey] = &fakeKey{status: "Active", acl: acl}
			f.caller.IdentityType = tc.identity
			if tc.evidence {
				f.lastUsed[rootKey] = cloud.LastUsedInfo{Found: true, AccountType: OwnerRoot, AccountID: f.caller.AccountID}
			}
			st, err := Status(context.Background(), f, t.TempDir(), rootKey, "")
			if err != nil {
				t.Fatal(err)
			}
			if st.OwnerType != OwnerRoot {
				t.Fatalf("owner %q, want the root account", st.OwnerType)
			}
			if !strings.Contains(st.ACLSummary, tc.wantACL) {
				t.Errorf("ACL summary %q, want it to contain %q", st.ACLSummary, tc.wantACL)
			}
			if st.Effective.PublicOpen != tc.open {
				t.Errorf("effective policy public-open = %v, want %v (%+v)", st.Effective.PublicOpen, tc.open, st.Effective)
			}
		})
	}
}
