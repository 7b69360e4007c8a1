package cloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/alibabacloud-go/tea/tea"
)

// Sentinels for errors.Is on an *APIError. Each names a class of failure;
// the class comes from the cloud error Code (never the message text), or
// from the HTTP status and transport error when there is no code.
var (
	// ErrNotFound: EntityNotExist.*, a resource ID's *.NotFound (ECS:
	// InvalidSecurityGroupId.NotFound, InvalidInstanceId.NotFound, ...;
	// not InvalidApi/InvalidAction/InvalidRegionId.NotFound, which name a
	// wrong request), and InvalidAccessKeyId.NotFound when it is about the
	// target key rather than the caller's own.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists: EntityAlreadyExists.*.
	ErrAlreadyExists = errors.New("already exists")
	// ErrConflict: DeleteConflict.*.
	ErrConflict = errors.New("conflict")
	// ErrLimitExceeded: LimitExceeded.*.
	ErrLimitExceeded = errors.New("limit exceeded")
	// ErrNoPermission: NoPermission*, Forbidden, Forbidden.* other than the
	// network-policy and disabled-key codes.
	ErrNoPermission = errors.New("no permission")
	// ErrNetworkPolicy: the AccessKey network policy refused the caller's
	// source IP. The lab answers Forbidden.AccessKeyPolicy; the real code is
	// unknown (alibaba-cloud-api.md §8.4), so any code mentioning
	// AccessKeyPolicy or SourceIp counts.
	ErrNetworkPolicy = errors.New("blocked by the access key network policy")
	// ErrInvalidCredentials: InvalidAccessKeyId.*, SignatureDoesNotMatch,
	// InvalidSecurityToken.*, IncompleteSignature, InvalidCredentials,
	// MissingSecurityToken, Forbidden.AccessKeyDisabled, and credentials that
	// could not be resolved locally.
	ErrInvalidCredentials = errors.New("invalid credentials")
	// ErrThrottled: Throttling* (or HTTP 429), after retries.
	ErrThrottled = errors.New("throttled")
	// ErrTransient: 5xx, ServiceUnavailable, InternalError and network
	// failures, after retries.
	ErrTransient = errors.New("transient failure")
	// ErrInvalidParameter: InvalidParameter*, Invalid*, Missing*,
	// MalformedPolicyDocument, and arguments this package refused before
	// calling.
	ErrInvalidParameter = errors.New("invalid parameter")
)

// APIError is the only error type *Clients methods return (page callbacks'
// own errors excepted). It carries what the SPEC asks every API error to
// name, and Hint says what the user can do about it.
type APIError struct {
	API        string // "ram:UpdateAccessKey", "ims:SetAccessKeyPolicy", "actiontrail:LookupEvents", "sts:GetCallerIdentity"
	Target     string // the AccessKey ID or user/policy name concerned; may be ""
	Code       string // cloud error code, e.g. "EntityNotExist.User"; "" for network and local errors
	HTTPStatus int    // 0 when no response arrived
	RequestID  string
	Message    string // the service's message, or a scrubbed transport error
	Attempts   int
	Err        error // underlying error (never carries request URLs)

	// EarlierCode and EarlierRequestID come from the last earlier attempt
	// that did get an answer, when the final attempt got none (a dropped
	// connection, a timeout): the request ID to quote to support.
	EarlierCode      string
	EarlierRequestID string

	// class is the sentinel decided when the error was built (it can depend
	// on call context, e.g. InvalidAccessKeyId.NotFound). nil: derive from
	// Code/HTTPStatus/Err, which is what hand-built APIErrors in fakes get.
	class error
}

// Error renders "api target failed: Code: message (request ID)", AK IDs in
// full.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.API)
	if e.Target != "" {
		b.WriteByte(' ')
		b.WriteString(displayTarget(e.Target))
	}
	b.WriteString(" failed: ")
	switch {
	case e.Code != "" && e.Message != "":
		b.WriteString(e.Code + ": " + e.Message)
	case e.Code != "":
		b.WriteString(e.Code)
	case e.Message != "":
		b.WriteString(e.Message)
	case e.HTTPStatus != 0:
		fmt.Fprintf(&b, "HTTP %d", e.HTTPStatus)
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	default:
		b.WriteString("unknown error")
	}
	var extra []string
	if e.Code == "" && e.HTTPStatus != 0 && e.Message != "" {
		extra = append(extra, fmt.Sprintf("HTTP %d", e.HTTPStatus))
	}
	if e.RequestID != "" {
		extra = append(extra, "request "+e.RequestID)
	}
	if e.Attempts > 1 {
		extra = append(extra, fmt.Sprintf("after %d attempts", e.Attempts))
	}
	if e.RequestID == "" && e.EarlierRequestID != "" {
		extra = append(extra, fmt.Sprintf("an earlier attempt was answered %s, request %s", cmpOr(e.EarlierCode, "with an error"), e.EarlierRequestID))
	}
	if len(extra) > 0 {
		b.WriteString(" (" + strings.Join(extra, ", ") + ")")
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *APIError) Unwrap() error { return e.Err }

// Is matches the package sentinels by class, so errors.Is(err,
// cloud.ErrNotFound) works through any wrapping.
func (e *APIError) Is(target error) bool {
	c := e.Class()
	return c != nil && target == c
}

// Class returns the sentinel this error belongs to, or nil when it fits
// none (an unknown code, a malformed response).
func (e *APIError) Class() error {
	if e.class == errNoClass {
		return nil
	}
	if e.class != nil {
		return e.class
	}
	return classify(e.Code, e.HTTPStatus, e.Err)
}

// Hint is one actionable sentence for the person at the terminal.
func (e *APIError) Hint() string {
	switch e.Class() {
	case ErrNoPermission:
		return fmt.Sprintf("the calling identity lacks %s; use --profile to pick an identity that has it", permissionFor(e.API))
	case ErrNetworkPolicy:
		return "the AccessKey network policy blocks this source IP; call from an allowed network or use another identity (--profile)"
	case ErrThrottled:
		return fmt.Sprintf("throttled after %d attempts; retry later or lower --parallelism", max(e.Attempts, 1))
	case ErrInvalidCredentials:
		var ce *CredentialsError
		switch {
		case errors.As(e.Err, &ce):
			return ce.Hint()
		case e.Code == "InvalidAccessKeyId.Inactive" || e.Code == "Forbidden.AccessKeyDisabled":
			return "the AccessKey akresp runs with is disabled; pick another identity with --profile"
		case strings.HasPrefix(e.Code, "InvalidSecurityToken.Expired"):
			return "the STS security token has expired; refresh the credentials"
		}
		return "check the credentials (--profile, ALIBABA_CLOUD_ACCESS_KEY_ID)"
	case ErrNotFound:
		if e.Target != "" {
			return fmt.Sprintf("check the name/id %q", displayTarget(e.Target))
		}
		return "check the name/id"
	case ErrAlreadyExists:
		return "it already exists; nothing needs creating"
	case ErrConflict:
		return "other entities still depend on it; remove those first (detach policies, delete non-default versions, ...)"
	case ErrLimitExceeded:
		return "a quota is reached (e.g. 2 AccessKeys per user, 5 versions per policy); delete or disable something first"
	case ErrInvalidParameter:
		if strings.HasPrefix(e.Code, "InvalidTimeStamp") {
			return "the local clock is more than 15 minutes off; fix the system time"
		}
		return fmt.Sprintf("check the values passed to %s", e.API)
	case ErrTransient:
		if isTimeout(e.Err) {
			return fmt.Sprintf("no answer within the per-call timeout after %d attempts; retry later, or give a slow endpoint more time with --timeout", max(e.Attempts, 1))
		}
		return fmt.Sprintf("the service or network failed after %d attempts; retry later and check --endpoint and connectivity", max(e.Attempts, 1))
	}
	if errors.Is(e.Err, context.Canceled) || errors.Is(e.Err, context.DeadlineExceeded) {
		return "the operation was interrupted or timed out; run it again"
	}
	return ""
}

// permissionFor maps "ims:SetAccessKeyPolicy" to the RAM action that
// authorises it: IMS operations are authorised as ram:<Action>
// (alibaba-cloud-api.md §11).
func permissionFor(api string) string {
	if rest, ok := strings.CutPrefix(api, "ims:"); ok {
		return "ram:" + rest
	}
	return api
}

// displayTarget shows the target as the user gave it: an AccessKey ID is
// not a secret, and the person at the terminal typed it (issue 15). Only
// secrets are ever withheld, and none reach an APIError.
func displayTarget(t string) string { return t }

// classify maps a code (preferred), HTTP status and transport error to a
// sentinel. Codes are compared exactly or by dotted prefix, never by
// message text.
func classify(code string, status int, err error) error {
	if code != "" {
		if c := classifyCode(code); c != nil {
			return c
		}
	}
	switch {
	case status == 429:
		return ErrThrottled
	case status >= 500:
		return ErrTransient
	}
	if code == "" && err != nil && isNetworkError(err) {
		return ErrTransient
	}
	return nil
}

func hasCodePrefix(code, prefix string) bool {
	return code == prefix || strings.HasPrefix(code, prefix+".")
}

func classifyCode(code string) error {
	lower := strings.ToLower(code)
	switch {
	case strings.Contains(lower, "accesskeypolicy") || strings.Contains(lower, "sourceip"):
		return ErrNetworkPolicy
	case strings.HasPrefix(code, "Throttling"):
		return ErrThrottled
	case hasCodePrefix(code, "EntityNotExist"):
		return ErrNotFound
	case hasCodePrefix(code, "EntityAlreadyExists"):
		return ErrAlreadyExists
	case hasCodePrefix(code, "DeleteConflict"):
		return ErrConflict
	case hasCodePrefix(code, "LimitExceeded"):
		return ErrLimitExceeded
	case hasCodePrefix(code, "InvalidAccessKeyId"),
		code == "SignatureDoesNotMatch",
		hasCodePrefix(code, "InvalidSecurityToken"),
		code == "IncompleteSignature",
		code == "InvalidCredentials",
		code == "MissingSecurityToken",
		code == "Forbidden.AccessKeyDisabled":
		return ErrInvalidCredentials
	case strings.HasPrefix(code, "NoPermission"), hasCodePrefix(code, "Forbidden"):
		return ErrNoPermission
	case strings.HasSuffix(code, ".NotFound") && !hasCodePrefix(code, "InvalidApi") &&
		!hasCodePrefix(code, "InvalidAction") && !hasCodePrefix(code, "InvalidRegionId"):
		// The resource the request names is gone (a security group, an
		// instance, a command): the same as EntityNotExist for RAM.
		return ErrNotFound
	case strings.HasPrefix(code, "Invalid"), strings.HasPrefix(code, "Missing"),
		code == "MalformedPolicyDocument":
		return ErrInvalidParameter
	case code == "ServiceUnavailable", code == "InternalError",
		strings.HasPrefix(code, "ServiceUnavailable."), strings.HasPrefix(code, "InternalError."):
		return ErrTransient
	}
	return nil
}

// isNetworkError reports connection-level failures: refused, reset, EOF,
// timeouts (including http.Client.Timeout, which unwraps to
// context.DeadlineExceeded; the retry loop checks the caller's own context
// before asking), DNS.
func isNetworkError(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false // the caller gave up; not the network's fault
	}
	var (
		ne  net.Error
		oe  *net.OpError
		dns *net.DNSError
	)
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return true
	case errors.As(err, &oe), errors.As(err, &dns):
		return true
	case errors.As(err, &ne) && ne.Timeout():
		return true
	}
	return false
}

// notSent reports failures where the request provably never reached the
// server: the TCP connection (or TLS handshake) was never established.
func notSent(err error) bool {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// CredentialsError says that no credentials could be resolved locally:
// nothing in the environment, no aliyun CLI or credentials-file profile,
// or the --profile named is missing or incomplete. It deliberately does
// not implement tea's BaseError, so the SDK passes it through unchanged.
// Its message never quotes credentials-go's own text (file paths, chain
// internals); Cause keeps that for --log-level debug.
type CredentialsError struct {
	Profile string // the --profile asked for; "" for the default chain
	Cause   error
}

// CredentialsHint names the three ways to give akresp credentials.
const CredentialsHint = "give akresp credentials one of three ways: " +
	"export ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET; " +
	"or --profile NAME (a profile of the aliyun CLI, ~/.aliyun/config.json, or of ~/.alibabacloud/credentials); " +
	`or, on the lab, eval "$(akresp lab env --info lab.json)"`

func (e *CredentialsError) Error() string {
	if e.Profile != "" {
		return fmt.Sprintf("no credentials: profile %q is not in the aliyun CLI config or ~/.alibabacloud/credentials, or has no usable key", e.Profile)
	}
	return "no credentials found (none in the environment, the aliyun CLI config or ~/.alibabacloud/credentials)"
}

// Unwrap returns credentials-go's own error.
func (e *CredentialsError) Unwrap() error { return e.Cause }

// Hint names the three ways to provide credentials.
func (e *CredentialsError) Hint() string { return CredentialsHint }

// ExitCode: a runtime error (exit 1).
func (e *CredentialsError) ExitCode() int { return 1 }

// localError marks an argument refused before any call was made.
type localError struct{ msg string }

func (e *localError) Error() string { return e.msg }

var requestIDInMessage = regexp.MustCompile(`request id: ?([A-Za-z0-9\-]+)\s*$`)

// sdkFields pulls code, status, request ID and the service's own message
// out of a *tea.SDKError. The SDK renders Message as
// "code: <status>, <message> request id: <id>" and Data as the error body
// re-serialised to JSON (alibaba-cloud-api.md §8.2).
func sdkFields(se *tea.SDKError) (code string, status int, requestID, message string) {
	code = tea.StringValue(se.Code)
	status = tea.IntValue(se.StatusCode)
	msg := tea.StringValue(se.Message)
	if data := tea.StringValue(se.Data); data != "" {
		var body map[string]any
		if json.Unmarshal([]byte(data), &body) == nil {
			requestID = firstString(body, "RequestId", "requestId")
			message = firstString(body, "Message", "message")
			if code == "" {
				code = firstString(body, "Code", "code")
			}
		}
	}
	if requestID == "" {
		if m := requestIDInMessage.FindStringSubmatch(msg); m != nil {
			requestID = m[1]
		}
	}
	if message == "" {
		message = msg
		if rest, ok := strings.CutPrefix(message, "code: "); ok {
			if i := strings.Index(rest, ", "); i >= 0 {
				message = rest[i+2:]
			}
		}
		if i := strings.LastIndex(message, " request id: "); i >= 0 {
			message = message[:i]
		}
	}
	// V1 gateways append the server's string-to-sign to
	// SignatureDoesNotMatch; it carries the AccessKeyId and SecurityToken.
	if i := strings.Index(message, " server string to sign is:"); i >= 0 {
		message = message[:i]
	}
	return code, status, requestID, strings.TrimSpace(message)
}

func firstString(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if v, ok := m[k]; ok && v != nil {
			if s := fmt.Sprint(v); s != "" {
				return s
			}
		}
	}
	return ""
}

// scrubTransportError rebuilds a *url.Error without its URL: the SDK puts
// every parameter in the query string, and for STS (V1 signing) that
// includes AccessKeyId, Signature and SecurityToken.
func scrubTransportError(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	safe := ue.URL
	if u, perr := url.Parse(ue.URL); perr == nil {
		safe = (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
	} else {
		safe = "(request url withheld)"
	}
	return &url.Error{Op: ue.Op, URL: safe, Err: ue.Err}
}

// isTimeout reports whether err is a network timeout (the per-call read or
// connect timeout fired), as opposed to a refused or reset connection.
func isTimeout(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) && ne.Timeout()
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// UnknownKeyError says that an AccessKey does not exist in the account the
// caller's credentials belong to: not a RAM user's key, not one of the root
// account's keys. Every command answers a typo'd or deleted key with this
// one error (exit 1), never with a verdict or a plan.
type UnknownKeyError struct {
	KeyID     string
	AccountID string // the caller's account (sts:GetCallerIdentity); "" when unknown
	RequestID string // the request that said so (IMS GetUser by UserAccessKeyId)
	// DeletedAt is when akresp's journals say it deleted the key (the
	// CLI sets it from the incident record); zero when they do not.
	DeletedAt time.Time
}

func (e *UnknownKeyError) Error() string {
	acct := e.AccountID
	if acct == "" {
		acct = "of these credentials"
	}
	msg := fmt.Sprintf("no AccessKey %s in account %s", e.KeyID, acct)
	if e.RequestID != "" {
		msg += " (request " + e.RequestID + ")"
	}
	if !e.DeletedAt.IsZero() {
		return msg + ": akresp deleted it at " + e.DeletedAt.UTC().Format(time.RFC3339) + " (its journal under --state-dir)"
	}
	return msg + ": check the key ID for a typo, and that the credentials (--profile) belong to the key's account; a deleted key is not found either"
}

// Hint says where a deleted key can still come back from, and what of the
// incident still works.
func (e *UnknownKeyError) Hint() string {
	if e.DeletedAt.IsZero() {
		return "a RAM user's deleted key stays in the IMS AccessKey recycle bin for about 31 days (ListAccessKeysInRecycleBin)"
	}
	return "it can be restored from the IMS AccessKey recycle bin of its user for about 31 days (RestoreAccessKeyFromRecycleBin); `akresp audit " + e.KeyID + "` and `akresp report " + e.KeyID + "` still read the incident"
}

// ExitCode makes an unknown key a runtime error (exit 1).
func (e *UnknownKeyError) ExitCode() int { return 1 }

// Is lets errors.Is(err, ErrNotFound) match an unknown key.
func (e *UnknownKeyError) Is(target error) bool { return target == ErrNotFound }
