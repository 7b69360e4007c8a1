package slsq

import (
	"errors"
	"fmt"
	"strings"

	sls "github.com/aliyun/aliyun-log-go-sdk"

	"github.com/akresp/akresp/internal/cloud"
)

// Error is an SLS API failure: what was called, on what, and SLS's answer.
// errors.Is matches the internal/cloud sentinels (cloud.ErrThrottled,
// cloud.ErrNotFound, ...); Hint says what to do.
type Error struct {
	API        string // "sls:GetLogStoreLogs", "sls:GetIndex", "sls:ListLogStores"
	Target     string // project/logstore or project
	Code       string // SLS errorCode, e.g. ReadQuotaExceed; "" for transport errors
	HTTPStatus int
	RequestID  string
	Message    string
	Attempts   int
	Err        error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.API)
	if e.Target != "" {
		b.WriteString(" " + e.Target)
	}
	b.WriteString(": ")
	switch {
	case e.Code != "" && e.Message != "":
		b.WriteString(e.Code + ": " + e.Message)
	case e.Code != "":
		b.WriteString(e.Code)
	case e.Message != "":
		b.WriteString(e.Message)
	default:
		fmt.Fprintf(&b, "HTTP %d", e.HTTPStatus)
	}
	var extra []string
	if e.RequestID != "" {
		extra = append(extra, "request "+e.RequestID)
	}
	if e.Attempts > 1 {
		extra = append(extra, fmt.Sprintf("after %d attempts", e.Attempts))
	}
	if len(extra) > 0 {
		b.WriteString(" (" + strings.Join(extra, ", ") + ")")
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Class is the internal/cloud sentinel this error belongs to, or nil.
func (e *Error) Class() error {
	switch e.Code {
	case "ReadQuotaExceed", "QuotaExceed", "ServerBusy", "ExceedQuota":
		return cloud.ErrThrottled
	case "SignatureNotMatch", "InvalidAccessKeyId", "SecurityTokenExpired", "InvalidSecurityToken", "RequestTimeTooSkewed":
		return cloud.ErrInvalidCredentials
	case "ProjectNotExist", "LogStoreNotExist", "IndexConfigNotExist":
		return cloud.ErrNotFound
	case "InvalidQueryString", "InvalidTimeRange", "InvalidOffset", "InvalidLine", "InvalidReverse", "ParameterInvalid", "InvalidParameter":
		return cloud.ErrInvalidParameter
	case "Unauthorized":
		if e.HTTPStatus == 403 {
			return cloud.ErrNoPermission
		}
		return cloud.ErrInvalidCredentials
	case "InternalServerError", "RequestTimeout":
		return cloud.ErrTransient
	}
	switch {
	case e.HTTPStatus == 429:
		return cloud.ErrThrottled
	case e.HTTPStatus >= 500:
		return cloud.ErrTransient
	case e.HTTPStatus == 0 && e.Err != nil:
		return cloud.ErrTransient
	}
	return nil
}

// Is matches the internal/cloud sentinels.
func (e *Error) Is(target error) bool {
	c := e.Class()
	return c != nil && c == target
}

func (e *Error) retryable() bool {
	c := e.Class()
	return c == cloud.ErrThrottled || c == cloud.ErrTransient
}

// Hint is one actionable sentence.
func (e *Error) Hint() string {
	switch e.Class() {
	case cloud.ErrThrottled:
		return "the project's query quota (15 concurrent analytic queries on a standard logstore) is in use; retry later or narrow --since"
	case cloud.ErrInvalidCredentials:
		if e.Code == "RequestTimeTooSkewed" {
			return "the local clock is more than 15 minutes off; fix the system time"
		}
		return "check the credentials (--profile, ALIBABA_CLOUD_ACCESS_KEY_ID) and that they belong to the project's account"
	case cloud.ErrNoPermission:
		return "the calling identity lacks log:GetLogStoreLogs (and log:GetIndex, log:ListLogStores) on the project"
	case cloud.ErrNotFound:
		return "check --sls PROJECT/LOGSTORE and --sls-endpoint (the project's region); ActionTrail names its logstore actiontrail_<trail name>"
	case cloud.ErrInvalidParameter:
		if e.Code == "InvalidQueryString" {
			return "SLS refused akresp's query; check that the logstore has the ActionTrail index (event.* keys with analytics enabled)"
		}
		return "check the time window (--since/--until)"
	case cloud.ErrTransient:
		return "SLS or the network failed; retry later and check --sls-endpoint"
	}
	return ""
}

// mapError turns an SDK error into *Error.
func mapError(api, target string, err error) error {
	var se *sls.Error
	if errors.As(err, &se) {
		return &Error{API: api, Target: target, Code: se.Code, HTTPStatus: int(se.HTTPCode), RequestID: se.RequestID, Message: se.Message, Attempts: 1, Err: err}
	}
	var be *sls.BadResponseError
	if errors.As(err, &be) {
		return &Error{API: api, Target: target, HTTPStatus: be.HTTPCode, Message: "unreadable response", Attempts: 1, Err: err}
	}
	return &Error{API: api, Target: target, Message: err.Error(), Attempts: 1, Err: err}
}
