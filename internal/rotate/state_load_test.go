package rotate

import (
	"strings"
	"testing"

	"github.com/akresp/akresp/internal/state"
)

// A rotation state whose seal is intact but whose facts do not fit the
// key asked for stops the command naming the file and the field: a state
// of another schema (another akresp version), or one that belongs to
// another key (copied into this key's directory). Neither is used.
func TestLoadStateRefusesForeignFacts(t *testing.T) {
	const key, other = "LTAI5tROTATEstate0000001", "LTAI5tROTATEother0000001"
	for _, tc := range []struct {
		name string
		st   State
		want string
	}{
		{"another schema", State{SchemaVersion: "akresp.rotation-state/v0", KeyID: key, Step: StepCreated}, `schema_version "akresp.rotation-state/v0" is not`},
		{"another key", State{SchemaVersion: StateSchema, KeyID: other, Step: StepCreated}, `belongs to key "` + other + `"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			if _, err := state.KeyDir(base, key); err != nil {
				t.Fatal(err)
			}
			path := StatePath(base, key)
			if err := state.WriteJSONAtomic(path, &tc.st); err != nil {
				t.Fatal(err)
			}
			st, err := LoadState(base, key)
			if st != nil || err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("LoadState = %+v, %v; want no state and an error naming %s and %q", st, err, path, tc.want)
			}
		})
	}
	// The same state for the right key loads.
	base := t.TempDir()
	if err := SaveState(base, &State{KeyID: key, Step: StepCreated}); err != nil {
		t.Fatal(err)
	}
	if st, err := LoadState(base, key); err != nil || st == nil || st.KeyID != key {
		t.Fatalf("LoadState of a sound state = %+v, %v", st, err)
	}
}
