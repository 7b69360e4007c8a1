package respond

import "time"

// View receives the progress of a mutating command (STYLE 21). The CLI has a
// human and a JSON implementation; respond never prints.
type View interface {
	Plan(p *Plan)
	ActionStarted(a *Action)
	ActionDone(a *Action, o Outcome)
	Diagnostics(d []Diagnostic)
	Summary(s *Summary)
}

// Outcome statuses.
const (
	OutcomeApplied     = "applied"     // the change was made
	OutcomeAlready     = "already"     // live state already was the target
	OutcomeNoop        = "noop"        // the plan had nothing to do here
	OutcomeFailed      = "failed"      // the API call failed
	OutcomeDrifted     = "drifted"     // refused: live state changed since the plan
	OutcomeSkipped     = "skipped"     // not attempted: a prerequisite did not succeed
	OutcomeInterrupted = "interrupted" // not attempted: the run was interrupted
)

// Outcome is what happened to one action.
type Outcome struct {
	Status    string        `json:"status"`
	RequestID string        `json:"request_id,omitempty"`
	ErrorCode string        `json:"error_code,omitempty"`
	Error     string        `json:"error,omitempty"`
	Duration  time.Duration `json:"-"`
	err       error
}

// OK reports whether the action reached its target state.
func (o Outcome) OK() bool {
	return o.Status == OutcomeApplied || o.Status == OutcomeAlready || o.Status == OutcomeNoop
}

// Err returns the underlying error, if any.
func (o Outcome) Err() error { return o.err }

// Diagnostic is a problem with one target that does not stop the command.
type Diagnostic struct {
	Severity string `json:"severity"` // error | warning | info
	Target   string `json:"target"`
	Summary  string `json:"summary"`
	Detail   string `json:"detail,omitempty"`
}

// Containment states reported by verification and --status.
const (
	StateContained          = "contained"
	StatePartiallyContained = "partially_contained"
	StateNotContained       = "not_contained"
	// StateDeleted: akresp deleted the key (contain --status of a key
	// its journal says is gone).
	StateDeleted = "deleted"
	// StatePublicOpen: every action holds, but the effective network
	// policy still lets every public address use the key (no ACL, a
	// VPC-only ACL): the deny policy limits what it can do, nothing limits
	// where from.
	StatePublicOpen = "public_access_open"
)

// Check is one verified fact after applying.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Summary is the end of a mutating run.
type Summary struct {
	Command     string             `json:"command"`
	KeyID       string             `json:"access_key_id"`
	State       string             `json:"state"` // contained | partially_contained | not_contained | Active | Inactive | Deleted
	NoChange    bool               `json:"no_change"`
	Changed     int                `json:"changed"`
	Unchanged   int                `json:"unchanged"`
	Failed      int                `json:"failed"`
	Skipped     int                `json:"skipped"`
	Outcomes    map[string]Outcome `json:"outcomes,omitempty"`
	Checks      []Check            `json:"verification,omitempty"`
	Failures    []string           `json:"failures,omitempty"`
	Retry       string             `json:"retry_command,omitempty"`
	Journal     string             `json:"journal,omitempty"`
	Interrupted bool               `json:"interrupted,omitempty"`
	Message     string             `json:"message"`
	Next        []string           `json:"next_steps,omitempty"`
}

// NopView discards everything.
type NopView struct{}

func (NopView) Plan(*Plan)                  {}
func (NopView) ActionStarted(*Action)       {}
func (NopView) ActionDone(*Action, Outcome) {}
func (NopView) Diagnostics([]Diagnostic)    {}
func (NopView) Summary(*Summary)            {}
