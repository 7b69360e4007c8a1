package rotate

import (
	"fmt"
	"strings"
)

// RefusedError is a safety-rail refusal (exit 4): Rule names the rail,
// Detail explains it, Override says what would let the user proceed.
type RefusedError struct {
	KeyID    string
	Rule     string
	Detail   string
	Override string
}

func (e *RefusedError) Error() string {
	s := fmt.Sprintf("rotate %s: refused (%s): %s", e.KeyID, e.Rule, e.Detail)
	if e.Override != "" {
		s += "; " + e.Override
	}
	return s
}

// ExitCode implements the CLI's exit-code contract.
func (e *RefusedError) ExitCode() int { return 4 }

// NeedHandoverError says a new key must be created but no hand-over was
// chosen (a usage error, exit 2).
type NeedHandoverError struct {
	KeyID  string
	Reason string
}

func (e *NeedHandoverError) Error() string {
	return fmt.Sprintf("rotate %s: %s; choose exactly one exit for the new secret: --secret-file PATH, --exec CMD or --secret-stdout", e.KeyID, e.Reason)
}

// ExitCode implements the CLI's exit-code contract.
func (e *NeedHandoverError) ExitCode() int { return 2 }

// MissedApplicationError reports calls that failed with the old key after it
// was disabled (exit 1): an application still uses it.
type MissedApplicationError struct {
	KeyID    string
	Failures []Failure
}

func (e *MissedApplicationError) Error() string {
	seen := map[string]bool{}
	var who []string
	for _, f := range e.Failures {
		w := f.SourceIP
		if f.UserAgent != "" {
			w += " (" + f.UserAgent + ")"
		}
		if !seen[w] {
			seen[w] = true
			who = append(who, w)
		}
	}
	return fmt.Sprintf("rotate %s: %d call(s) failed with the disabled old key since it was disabled, from %s: an application was missed; re-enable the key with `akresp rotate %s --rollback`, switch that application to the new key, then re-run `akresp rotate %s`",
		e.KeyID, len(e.Failures), strings.Join(who, ", "), e.KeyID, e.KeyID)
}

// ExitCode implements the CLI's exit-code contract.
func (e *MissedApplicationError) ExitCode() int { return 1 }

// StateFactError says a fact in the rotation state contradicts the cloud or
// the journal (a hand-edited or corrupted file): the command stops before
// acting on it (exit 4). File and Field name what to look at.
type StateFactError struct {
	KeyID  string
	File   string
	Field  string
	Detail string
}

func (e *StateFactError) Error() string {
	return fmt.Sprintf("rotate %s: refused (state-integrity): %s field %s: %s; nothing was changed. Check the file against the journal beside it (was it edited?), fix or move it away, then re-run `akresp rotate %s --status`",
		e.KeyID, e.File, e.Field, e.Detail, e.KeyID)
}

// ExitCode implements the CLI's exit-code contract.
func (e *StateFactError) ExitCode() int { return 4 }
