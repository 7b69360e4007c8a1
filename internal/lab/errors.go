package lab

import (
	"fmt"
	"net/http"
)

// apiError is an error answer in Alibaba Cloud's wire shape: an HTTP status
// >= 400 and a JSON body {RequestId, HostId, Code, Message}, optionally with
// an AccessDeniedDetail object (alibaba-cloud-api.md section 8).
type apiError struct {
	Status  int
	Code    string
	Message string
	// Detail is the AccessDeniedDetail object of a NoPermission answer.
	Detail map[string]any
	// Header holds extra response headers (x-ratelimit-user-api).
	Header map[string]string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func newError(status int, code, format string, args ...any) *apiError {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &apiError{Status: status, Code: code, Message: msg}
}

// Gateway-level messages (alibaba-cloud-api.md section 8.3).
const (
	msgNoPermission      = "You are not authorized to do this action. You should be authorized by RAM."
	msgThrottlingUser    = "Request was denied due to user flow control."
	msgUnavailable       = "The request has failed due to a temporary failure of the server."
	msgApiNotFound       = "Specified api is not found, please check your url and method."
	msgAKNotFound        = "Specified access key is not found."
	msgAKInactive        = "Specified access key is disabled."
	msgSignatureMismatch = "Specified signature is not matched with our calculation."
	msgTimeExpired       = "Specified time stamp or date value is expired."
	msgTimeFormat        = "Specified time stamp or date value is not well formatted."
	msgNonceUsed         = "Specified signature nonce was used already."
	msgTokenExpired      = "Specified SecurityToken is expired."
	msgTokenMalformed    = "Specified SecurityToken is malformed."
	msgTokenMismatch     = "Specified SecurityToken mismatch with the AccessKey."
)

// authFailureCodes are the codes of calls that never authenticated: such
// events are recorded (the key is known) but do not count as a use of the
// key for last-used answers.
var authFailureCodes = map[string]bool{
	"InvalidAccessKeyId.NotFound":                true,
	"InvalidAccessKeyId.Inactive":                true,
	"SignatureDoesNotMatch":                      true,
	"IncompleteSignature":                        true,
	"InvalidSignatureMethod":                     true,
	"InvalidSignatureVersion":                    true,
	"InvalidTimeStamp.Expired":                   true,
	"InvalidTimeStamp.Format":                    true,
	"SignatureNonceUsed":                         true,
	"MissingSignature":                           true,
	"MissingTimestamp":                           true,
	"MissingSignatureNonce":                      true,
	"MissingSecurityToken":                       true,
	"InvalidSecurityToken.Expired":               true,
	"InvalidSecurityToken.Malformed":             true,
	"InvalidSecurityToken.MismatchWithAccessKey": true,
}

func errMissing(param string) *apiError {
	return newError(http.StatusBadRequest, "Missing"+param, "%s is mandatory for this action.", param)
}

func errInvalidParam(param, format string, args ...any) *apiError {
	e := newError(http.StatusBadRequest, "InvalidParameter."+param, format, args...)
	return e
}

func errNotExist(code, format string, args ...any) *apiError {
	return newError(http.StatusNotFound, code, format, args...)
}

func errConflict(code, format string, args ...any) *apiError {
	return newError(http.StatusConflict, code, format, args...)
}

func errNoPermission(detail map[string]any) *apiError {
	return &apiError{Status: http.StatusForbidden, Code: "NoPermission", Message: msgNoPermission, Detail: detail}
}
