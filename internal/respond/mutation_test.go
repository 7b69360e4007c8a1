package respond

import "testing"

// The deny policy's state reads the same in the plan, the journal and
// --status: absent, present, or present with its default version.
func TestPolicyResourceText(t *testing.T) {
	r := &policyResource{}
	for _, tc := range []struct {
		st   policyState
		want string
	}{
		{policyState{}, "absent"},
		{policyState{Exists: true}, "present"},
		{policyState{Exists: true, DefaultVersion: "v2"}, "present (default v2)"},
	} {
		if got := r.text(tc.st); got != tc.want {
			t.Errorf("text(%+v) = %q, want %q", tc.st, got, tc.want)
		}
	}
}
