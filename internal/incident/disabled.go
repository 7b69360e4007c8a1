package incident

import (
	"slices"
	"strings"
	"time"

	"github.com/akresp/akresp/internal/journal"
)

// DefaultDisableObserve is how long `akresp disable --delete` waits, by
// default, after akresp disabled a key before it deletes it
// (respond.DefaultObserve); the idle sweep says from when that is.
const DefaultDisableObserve = 7 * 24 * time.Hour

// KeyDisabledAt is when akresp last disabled keyID, per the journals of
// the state directory base: the latest successful disable not followed by
// an enable (disable, contain, eradicate, or a rotation disabling the old
// key). Besides the key's own journal, those of the other keys
// there: a key the leaked key created is disabled by the leaked key's
// contain --contain-created or eradicate, journaled with the leaked key
// (the incident). Another key's journal that cannot be read adds nothing
// (a rail then refuses as without a record). Zero: no record.
func KeyDisabledAt(base, keyID string) (time.Time, error) {
	recs, _, err := journal.ReadKey(base, keyID)
	if err != nil {
		return time.Time{}, err
	}
	var changes []statusChange
	keep := func(key string, c statusChange) {
		if key == keyID {
			changes = append(changes, c)
		}
	}
	statusChanges(keyID, recs, keep)
	eachKeyJournal(base, keyID, func(dir string, other []journal.Record) { statusChanges(dir, other, keep) })
	return lastDisabled(changes), nil
}

// DisabledTimes is KeyDisabledAt for every key the journals of base name,
// reading each journal once (the idle sweep and eradicate ask for many
// keys); a key with no disable in effect is absent.
func DisabledTimes(base string) map[string]time.Time {
	byKey := map[string][]statusChange{}
	eachKeyJournal(base, "", func(dir string, recs []journal.Record) {
		statusChanges(dir, recs, func(key string, c statusChange) { byKey[key] = append(byKey[key], c) })
	})
	out := map[string]time.Time{}
	for k, cs := range byKey {
		if t := lastDisabled(cs); !t.IsZero() {
			out[k] = t
		}
	}
	return out
}

// statusChange is one journaled disable (or enable) of a key.
type statusChange struct {
	at       time.Time
	disabled bool
}

// statusChanges reports the key-status changes the journal of key dir
// records, with the key each one is of. In a key's own journal, as Load
// reads it (DisabledAt): disable and enable, a key-status change by any
// command, and a rotation disabling the old key (or its rollback enabling
// it again); in any journal, a key-status change of another key (a key
// the leaked key created, disabled by its contain --contain-created or
// eradicate).
func statusChanges(dir string, recs []journal.Record, yield func(key string, c statusChange)) {
	for _, r := range recs {
		if r.Kind != journal.KindOutcome || r.Result != journal.ResultOK {
			continue
		}
		switch {
		case r.Command == cmdDisable,
			r.Command == cmdRotate && r.Action == actRotDisableOld && r.Target == dir:
			yield(dir, statusChange{r.Time, true})
		case r.Command == cmdEnable,
			r.Command == cmdRotate && r.Action == actRotEnableOld && r.Target == dir:
			yield(dir, statusChange{r.Time, false})
		case r.Action == actKeyStatus && r.Target != "":
			switch {
			case strings.Contains(string(r.After), `"Inactive"`):
				yield(r.Target, statusChange{r.Time, true})
			case strings.Contains(string(r.After), `"Active"`):
				yield(r.Target, statusChange{r.Time, false})
			}
		}
	}
}

// lastDisabled is when the latest change left the key disabled, zero when
// it left it enabled or there is none.
func lastDisabled(changes []statusChange) time.Time {
	slices.SortStableFunc(changes, func(a, b statusChange) int { return a.at.Compare(b.at) })
	var t time.Time
	for _, c := range changes {
		t = time.Time{}
		if c.disabled {
			t = c.at
		}
	}
	return t
}
