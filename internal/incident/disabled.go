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
	type change struct {
		at       time.Time
		disabled bool
	}
	var changes []change
	for _, r := range recs {
		if r.Kind != journal.KindOutcome || r.Result != journal.ResultOK {
			continue
		}
		// As Load reads the key's own journal (DisabledAt): disable and
		// enable, a key-status change by any command, and a rotation
		// disabling the old key (or its rollback enabling it again).
		switch {
		case r.Command == cmdDisable,
			r.Command == cmdRotate && r.Action == actRotDisableOld && r.Target == keyID:
			changes = append(changes, change{r.Time, true})
		case r.Command == cmdEnable,
			r.Command == cmdRotate && r.Action == actRotEnableOld && r.Target == keyID:
			changes = append(changes, change{r.Time, false})
		case r.Action == actKeyStatus && r.Target == keyID:
			switch {
			case strings.Contains(string(r.After), `"Inactive"`):
				changes = append(changes, change{r.Time, true})
			case strings.Contains(string(r.After), `"Active"`):
				changes = append(changes, change{r.Time, false})
			}
		}
	}
	eachKeyJournal(base, keyID, func(_ string, other []journal.Record) {
		for _, r := range other {
			if r.Kind != journal.KindOutcome || r.Result != journal.ResultOK || r.Action != actKeyStatus || r.Target != keyID {
				continue
			}
			switch {
			case strings.Contains(string(r.After), `"Inactive"`):
				changes = append(changes, change{r.Time, true})
			case strings.Contains(string(r.After), `"Active"`):
				changes = append(changes, change{r.Time, false})
			}
		}
	})
	slices.SortStableFunc(changes, func(a, b change) int { return a.at.Compare(b.at) })
	var t time.Time
	for _, c := range changes {
		t = time.Time{}
		if c.disabled {
			t = c.at
		}
	}
	return t, nil
}
