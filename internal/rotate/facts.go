package rotate

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/akresp/akresp/internal/journal"
)

// createdKey is one key the journal says this rotation's CreateAccessKey
// call created.
type createdKey struct {
	KeyID      string
	IntentAt   time.Time // the intent record of the call
	OutcomeAt  time.Time
	KeysBefore []string // the owner's keys the intent recorded
}

// journaledCreates reads the key's journal for the rotation's
// CreateAccessKey calls: every intent (with the keys it saw) and the key
// each successful outcome created.
func journaledCreates(recs []journal.Record) (created map[string]createdKey, lastIntent *createdKey) {
	created = map[string]createdKey{}
	intents := map[string]createdKey{} // action id + run -> intent
	for _, r := range recs {
		if r.Command != journalCommand || r.Action != ActionCreateKey {
			continue
		}
		k := r.RunID + "|" + r.ActionID
		switch r.Kind {
		case journal.KindIntent:
			ck := createdKey{IntentAt: r.Time}
			var before struct {
				Keys []string `json:"keys"`
			}
			if json.Unmarshal(r.Before, &before) == nil {
				ck.KeysBefore = before.Keys
			}
			intents[k] = ck
			c := ck
			lastIntent = &c
		case journal.KindOutcome:
			if r.Result != journal.ResultOK {
				continue
			}
			var after struct {
				NewKeyID string `json:"new_key_id"`
			}
			if json.Unmarshal(r.After, &after) != nil || after.NewKeyID == "" {
				continue
			}
			ck := intents[k]
			ck.KeyID, ck.OutcomeAt = after.NewKeyID, r.Time
			if ck.IntentAt.IsZero() {
				ck.IntentAt = r.Time
			}
			created[after.NewKeyID] = ck
		}
	}
	return created, lastIntent
}

// checkFacts checks the state file's facts against the journal and the
// cloud before anything acts on them: the new key must differ from the old
// one, must have been created by this rotation's journaled CreateAccessKey
// call, and must not be older than that call; the owner must be the key's
// owner. A contradiction is a *StateFactError (exit 4) naming the file and
// the field. This is the semantic check; it holds with or without a MAC.
func (m *Machine) checkFacts(ctx context.Context) error {
	st := m.st
	if st == nil {
		return nil
	}
	file := StatePath(m.o.StateDir, m.o.KeyID)
	bad := func(field, detail string) error {
		return &StateFactError{KeyID: m.o.KeyID, File: file, Field: field, Detail: detail}
	}
	if st.NewKeyID != "" {
		if st.NewKeyID == st.KeyID {
			return bad("new_key_id", fmt.Sprintf("it names the old key %s itself; acting on it could delete the key being rotated", st.KeyID))
		}
		if slices.Contains(st.KeysBefore, st.NewKeyID) {
			return bad("new_key_id", fmt.Sprintf("%s was one of the owner's keys before the rotation created its key (keys_before)", st.NewKeyID))
		}
	}
	recs, _, err := journal.ReadKey(m.o.StateDir, m.o.KeyID)
	if err != nil {
		return fmt.Errorf("rotate %s: read the journal to check the rotation state: %w", m.o.KeyID, err)
	}
	created, _ := journaledCreates(recs)
	var ck createdKey
	if st.NewKeyID != "" {
		var ok bool
		if ck, ok = created[st.NewKeyID]; !ok {
			return bad("new_key_id", fmt.Sprintf("no journaled CreateAccessKey call of this rotation created %s (the journal under %s records %s)",
				st.NewKeyID, m.o.StateDir, describeCreated(created)))
		}
		if slices.Contains(ck.KeysBefore, st.NewKeyID) {
			return bad("new_key_id", fmt.Sprintf("%s already existed when the journaled CreateAccessKey call started", st.NewKeyID))
		}
	}
	// The cloud: the owner and the new key's age.
	if st.Step == StepDeleted {
		return nil
	}
	keys, err := m.o.Cloud.ListAccessKeys(ctx, st.UserName)
	if err != nil {
		return fmt.Errorf("rotate %s: list the keys of %s to check the rotation state: %w", m.o.KeyID, ownerName(st.UserName, st.Root), err)
	}
	if _, ok := findKey(keys, st.KeyID); !ok {
		o, found, oerr := m.o.Cloud.UserByAccessKey(ctx, st.KeyID)
		switch {
		case oerr != nil:
		case found && o.UserName != st.UserName:
			return bad("user_name", fmt.Sprintf("it says %q, but the key %s belongs to RAM user %q", st.UserName, st.KeyID, o.UserName))
		case found:
		case !st.Root:
			// The key is gone; the step handling reports that.
		}
	}
	if st.NewKeyID != "" && !st.NewKeyGone {
		if k, ok := findKey(keys, st.NewKeyID); ok && !k.CreateDate.IsZero() {
			for _, start := range []time.Time{st.StartedAt, ck.IntentAt} {
				if !start.IsZero() && k.CreateDate.Before(start.Add(-clockSkewAllowance)) {
					return bad("new_key_id", fmt.Sprintf("the cloud says %s was created at %s, before this rotation started (%s): it is not the key the rotation created",
						st.NewKeyID, k.CreateDate.UTC().Format(time.RFC3339), start.UTC().Format(time.RFC3339)))
				}
			}
		}
	}
	return nil
}

func describeCreated(c map[string]createdKey) string {
	if len(c) == 0 {
		return "no key created"
	}
	var ids []string
	for id := range c {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return "only " + strings.Join(ids, ", ")
}
