package policy

import "errors"

// Sentinels wrapped by every error this package returns, so callers can tell
// "the input was wrong" from anything else with errors.Is.
var (
	ErrInvalidAccessKeyID = errors.New("invalid AccessKey ID")
	ErrInvalidCIDR        = errors.New("invalid IP address or CIDR")
	ErrInvalidPolicy      = errors.New("invalid RAM policy document")
	ErrInvalidACL         = errors.New("invalid AccessKey network ACL")
)

// inputError carries a human message and the sentinel it belongs to. Its
// Error is the message alone: the sentinel is for errors.Is, not for display.
type inputError struct {
	msg  string
	kind error
}

func (e *inputError) Error() string { return e.msg }
func (e *inputError) Unwrap() error { return e.kind }
