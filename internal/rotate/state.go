package rotate

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/akresp/akresp/internal/state"
)

// StateSchema versions rotation.json.
const StateSchema = "akresp.rotation-state/v1"

// StateFileName is the rotation state file inside the key's state directory.
const StateFileName = "rotation.json"

// Step is where a rotation stands. The happy path is
// creating -> created -> handed_over -> cut_over -> disabled -> verified ->
// deleted; rolled_back is reached from any step between created and
// verified.
type Step string

// Steps, in order.
const (
	StepNone       Step = "none"        // no rotation recorded
	StepCreating   Step = "creating"    // intent written; CreateAccessKey may or may not have happened
	StepCreated    Step = "created"     // new key exists; its secret is in memory only
	StepHandedOver Step = "handed_over" // the secret reached the chosen exit
	StepCutOver    Step = "cut_over"    // evidence: new key in use, old key quiet
	StepDisabled   Step = "disabled"    // old key Inactive; observing for failures
	StepVerified   Step = "verified"    // nothing failed with the old key for --observe
	StepDeleted    Step = "deleted"     // old key deleted (IMS recycle bin)
	StepRolledBack Step = "rolled_back" // old key re-enabled after a missed application
)

var stepOrder = map[Step]int{
	StepNone: 0, StepCreating: 1, StepCreated: 2, StepHandedOver: 3, StepCutOver: 4,
	StepDisabled: 5, StepVerified: 6, StepDeleted: 7, StepRolledBack: 8,
}

// Valid reports whether s is a known step.
func (s Step) Valid() bool { _, ok := stepOrder[s]; return ok }

// HandoverRecord says where the secret went (never the secret itself).
type HandoverRecord struct {
	Kind   string `json:"kind"`             // file | exec | stdout
	Target string `json:"target,omitempty"` // file path or command line
}

// Pending is a cloud mutation that was started but whose outcome has not
// been recorded: on resume the machine re-reads live state instead of
// trusting either possibility.
type Pending struct {
	Action string    `json:"action"`
	Target string    `json:"target"`
	At     time.Time `json:"at"`
}

// Transition is one entry of the state history.
type Transition struct {
	Step Step      `json:"step"`
	At   time.Time `json:"at"`
	Note string    `json:"note,omitempty"`
}

// DiscardedKey is a key deleted because its secret was lost before it was
// handed over (a crash or a failed hand-over).
type DiscardedKey struct {
	KeyID  string    `json:"access_key_id"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// Duration is a time.Duration saved as Go's duration text ("24h0m0s").
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string such as \"24h\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	if v < 0 {
		return fmt.Errorf("duration %q is negative", s)
	}
	*d = Duration(v)
	return nil
}

// ACLInheritance records the old key's network ACL that the new key gets
// before its secret is handed over (the containment moves with the
// rotation). Policy is the document ("" = the old key had none).
type ACLInheritance struct {
	FromKeyID  string    `json:"from_access_key_id"`
	Policy     string    `json:"policy,omitempty"`
	ReadAt     time.Time `json:"read_at"`
	OptedOut   bool      `json:"opted_out,omitempty"` // --no-inherit-acl
	SetOn      string    `json:"set_on,omitempty"`    // the new key the policy was set on
	VerifiedAt time.Time `json:"verified_at,omitzero"`
}

// State is the persisted rotation of one key. It never holds a secret.
type State struct {
	SchemaVersion string `json:"schema_version"`
	KeyID         string `json:"key_id"`
	UserName      string `json:"user_name,omitempty"` // "" for a root-account key
	// UserPrincipalName addresses the owner's key ACLs in IMS ("" for a
	// root-account key, or a state written before it was recorded).
	UserPrincipalName string `json:"user_principal_name,omitempty"`
	Root              bool   `json:"root,omitempty"`
	Step              Step   `json:"step"`
	NewKeyID          string `json:"new_key_id,omitempty"`
	// KeysBefore are the owner's key IDs when the create intent was
	// written: any other key found on resume was created by the
	// interrupted run and its secret is lost.
	KeysBefore []string        `json:"keys_before,omitempty"`
	Handover   *HandoverRecord `json:"handover,omitempty"`
	// QuietFor and Observe are the rotation's windows, saved so a resume
	// does not need the flags again (flags given on resume replace them).
	QuietFor *Duration `json:"quiet_for,omitempty"`
	Observe  *Duration `json:"observe,omitempty"`
	// ACL is the containment the new key inherits from the old one.
	ACL *ACLInheritance `json:"acl,omitempty"`

	StartedAt      time.Time `json:"started_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	CreateIntentAt time.Time `json:"create_intent_at,omitzero"`
	NewKeyCreated  time.Time `json:"new_key_created,omitzero"`
	HandedOverAt   time.Time `json:"handed_over_at,omitzero"`
	CutOverAt      time.Time `json:"cut_over_at,omitzero"`
	// DisabledAt is when the disable was started (the intent): failures
	// with the old key are searched from here.
	DisabledAt   time.Time `json:"disabled_at,omitzero"`
	VerifiedAt   time.Time `json:"verified_at,omitzero"`
	DeletedAt    time.Time `json:"deleted_at,omitzero"`
	RolledBackAt time.Time `json:"rolled_back_at,omitzero"`
	NewKeyGone   bool      `json:"new_key_deleted,omitempty"` // rollback --delete-new

	Pending   *Pending       `json:"pending,omitempty"`
	Discarded []DiscardedKey `json:"discarded_keys,omitempty"`
	Evidence  *Evidence      `json:"evidence,omitempty"` // the last evidence gathered
	History   []Transition   `json:"history"`
}

// StatePath returns <base>/<keyID>/rotation.json.
func StatePath(base, keyID string) string {
	return filepath.Join(base, keyID, StateFileName)
}

// LoadState reads the rotation state of keyID. No state file returns
// (nil, nil).
func LoadState(base, keyID string) (*State, error) {
	path := StatePath(base, keyID)
	var st State
	if err := state.ReadJSON(path, &st); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("rotation state %s: %w", path, err)
	}
	switch {
	case st.SchemaVersion != StateSchema:
		return nil, fmt.Errorf("rotation state %s: schema_version %q is not %q; it was written by another akresp version", path, st.SchemaVersion, StateSchema)
	case st.KeyID != keyID:
		return nil, fmt.Errorf("rotation state %s: belongs to key %q, not %q", path, st.KeyID, keyID)
	case !st.Step.Valid():
		return nil, fmt.Errorf("rotation state %s: unknown step %q", path, st.Step)
	}
	return &st, nil
}

// SaveState writes st atomically (mode 0600).
func SaveState(base string, st *State) error {
	if _, err := state.KeyDir(base, st.KeyID); err != nil {
		return err
	}
	st.SchemaVersion = StateSchema
	return state.WriteJSONAtomic(StatePath(base, st.KeyID), st)
}

// to moves st to step and records the transition.
func (st *State) to(step Step, at time.Time, note string) {
	st.Step = step
	st.UpdatedAt = at
	st.History = append(st.History, Transition{Step: step, At: at, Note: note})
}
