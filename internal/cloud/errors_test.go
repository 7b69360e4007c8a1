package cloud

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/alibabacloud-go/tea/tea"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		code   string
		status int
		err    error
		want   error
	}{
		{code: "EntityNotExist.User", status: 404, want: ErrNotFound},
		{code: "EntityNotExist.User.AccessKey", status: 404, want: ErrNotFound},
		{code: "EntityNotExist.Policy.Version", want: ErrNotFound},
		{code: "EntityAlreadyExists.User.Policy", status: 409, want: ErrAlreadyExists},
		{code: "DeleteConflict.Policy.Version.Default", status: 409, want: ErrConflict},
		{code: "LimitExceeded.User.AccessKey", status: 409, want: ErrLimitExceeded},
		{code: "NoPermission", status: 403, want: ErrNoPermission},
		{code: "NoPermission.Foo", status: 403, want: ErrNoPermission},
		{code: "Forbidden.RAM", status: 403, want: ErrNoPermission},
		{code: "Forbidden", status: 403, want: ErrNoPermission},
		{code: "Forbidden.AccessKeyPolicy", status: 403, want: ErrNetworkPolicy},
		{code: "Forbidden.SourceIp", status: 403, want: ErrNetworkPolicy},
		{code: "AccessKeyPolicyDenied", status: 403, want: ErrNetworkPolicy},
		{code: "Forbidden.AccessKeyDisabled", status: 403, want: ErrInvalidCredentials},
		{code: "InvalidAccessKeyId.NotFound", status: 404, want: ErrInvalidCredentials},
		{code: "InvalidAccessKeyId.Inactive", status: 400, want: ErrInvalidCredentials},
		{code: "SignatureDoesNotMatch", status: 400, want: ErrInvalidCredentials},
		{code: "InvalidSecurityToken.Expired", status: 400, want: ErrInvalidCredentials},
		{code: "IncompleteSignature", want: ErrInvalidCredentials},
		{code: "InvalidCredentials", want: ErrInvalidCredentials},
		{code: "MissingSecurityToken", want: ErrInvalidCredentials},
		{code: "Throttling", status: 400, want: ErrThrottled},
		{code: "Throttling.User", status: 400, want: ErrThrottled},
		{code: "Throttling.Api", status: 400, want: ErrThrottled},
		{code: "InvalidParameter.UserName.InvalidChars", status: 400, want: ErrInvalidParameter},
		{code: "InvalidSecurityGroupId.NotFound", status: 404, want: ErrNotFound},
		{code: "InvalidInstanceId.NotFound", status: 404, want: ErrNotFound},
		{code: "InvalidCmdId.NotFound", status: 404, want: ErrNotFound},
		{code: "InvalidApi.NotFound", status: 404, want: ErrInvalidParameter},
		{code: "InvalidAction.NotFound", status: 400, want: ErrInvalidParameter},
		{code: "InvalidRegionId.NotFound", status: 404, want: ErrInvalidParameter},
		{code: "InvalidTimeStamp.Expired", status: 400, want: ErrInvalidParameter},
		{code: "MissingUserName", status: 400, want: ErrInvalidParameter},
		{code: "MalformedPolicyDocument", status: 400, want: ErrInvalidParameter},
		{code: "ServiceUnavailable", status: 503, want: ErrTransient},
		{code: "InternalError", status: 500, want: ErrTransient},
		{code: "SomethingNew", status: 502, want: ErrTransient},
		{code: "SomethingNew", status: 400, want: nil},
		{code: "", status: 429, want: ErrThrottled},
		{code: "", status: 0, err: syscall.ECONNREFUSED, want: ErrTransient},
		{code: "", status: 0, err: &net.OpError{Op: "read", Err: syscall.ECONNRESET}, want: ErrTransient},
		{code: "", status: 0, err: io.ErrUnexpectedEOF, want: ErrTransient},
		{code: "", status: 0, err: context.DeadlineExceeded, want: ErrTransient},
		{code: "", status: 0, err: context.Canceled, want: nil},
		{code: "", status: 0, err: errors.New("decode: bad"), want: nil},
	}
	sentinels := []error{ErrNotFound, ErrAlreadyExists, ErrConflict, ErrLimitExceeded, ErrNoPermission,
		ErrNetworkPolicy, ErrInvalidCredentials, ErrThrottled, ErrTransient, ErrInvalidParameter}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d/%v", tt.code, tt.status, tt.err), func(t *testing.T) {
			e := &APIError{API: "ram:GetUser", Code: tt.code, HTTPStatus: tt.status, Err: tt.err}
			if got := e.Class(); got != tt.want {
				t.Fatalf("Class() = %v, want %v", got, tt.want)
			}
			wrapped := fmt.Errorf("audit: %w", e)
			for _, s := range sentinels {
				if got := errors.Is(wrapped, s); got != (s == tt.want) {
					t.Errorf("errors.Is(%v) = %v", s, got)
				}
			}
			if tt.want != nil && e.Hint() == "" {
				t.Error("no hint for a classified error")
			}
		})
	}
}

func TestAPIErrorMessage(t *testing.T) {
	tests := []struct {
		name string
		err  *APIError
		want string
	}{
		{
			name: "cloud error on a key",
			err:  &APIError{API: "ram:UpdateAccessKey", Target: leakedKey, Code: "NoPermission", HTTPStatus: 403, RequestID: "1F2E3D4C-0000", Message: "You are not authorized to do this action.", Attempts: 1},
			// An AK ID is not a secret: shown in full, as the user typed it.
			want: "ram:UpdateAccessKey " + leakedKey + " failed: NoPermission: You are not authorized to do this action. (request 1F2E3D4C-0000)",
		},
		{
			name: "user target is not masked",
			err:  &APIError{API: "ram:GetUser", Target: "alice", Code: "EntityNotExist.User", Message: "The user does not exist.", RequestID: "R1"},
			want: "ram:GetUser alice failed: EntityNotExist.User: The user does not exist. (request R1)",
		},
		{
			name: "network error after retries",
			err:  &APIError{API: "sts:GetCallerIdentity", Message: "dial tcp 127.0.0.1:1: connect: connection refused", Attempts: 5},
			want: "sts:GetCallerIdentity failed: dial tcp 127.0.0.1:1: connect: connection refused (after 5 attempts)",
		},
		{
			name: "status only",
			err:  &APIError{API: "ims:GetUser", HTTPStatus: 502, Message: "HTTP 502 with a body that is not JSON"},
			want: "ims:GetUser failed: HTTP 502 with a body that is not JSON (HTTP 502)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() =\n %q\nwant\n %q", got, tt.want)
			}
		})
	}
}

func TestAPIErrorHints(t *testing.T) {
	tests := []struct {
		err  *APIError
		want string
	}{
		{&APIError{API: "ram:UpdateAccessKey", Code: "NoPermission"}, "lacks ram:UpdateAccessKey; use --profile"},
		{&APIError{API: "ims:SetAccessKeyPolicy", Code: "NoPermission"}, "lacks ram:SetAccessKeyPolicy"},
		{&APIError{API: "ram:GetUser", Code: "Forbidden.AccessKeyPolicy"}, "network policy blocks this source IP"},
		{&APIError{API: "actiontrail:LookupEvents", Code: "Throttling.User", Attempts: 5}, "throttled after 5 attempts; retry later or lower --parallelism"},
		{&APIError{API: "ram:GetUser", Code: "InvalidAccessKeyId.NotFound"}, "check the credentials (--profile, ALIBABA_CLOUD_ACCESS_KEY_ID)"},
		{&APIError{API: "ram:GetUser", Code: "InvalidAccessKeyId.Inactive"}, "is disabled"},
		{&APIError{API: "ram:GetUser", Code: "InvalidSecurityToken.Expired"}, "token has expired"},
		{&APIError{API: "ram:GetUser", Target: "alice", Code: "EntityNotExist.User"}, `check the name/id "alice"`},
		{&APIError{API: "ram:GetUser", Code: "InvalidTimeStamp.Expired"}, "local clock"},
		{&APIError{API: "ram:GetUser", Err: context.Canceled, class: errNoClass}, "interrupted"},
	}
	for _, tt := range tests {
		t.Run(tt.err.API+"/"+tt.err.Code, func(t *testing.T) {
			if got := tt.err.Hint(); !strings.Contains(got, tt.want) {
				t.Errorf("Hint() = %q, want containing %q", got, tt.want)
			}
		})
	}
}

func TestSDKFields(t *testing.T) {
	tests := []struct {
		name             string
		in               *tea.SDKError
		code, reqID, msg string
		status           int
	}{
		{
			name: "data carries the body",
			in: tea.NewSDKError(map[string]any{
				"code": "NoPermission", "statusCode": 403,
				"message": "code: 403, You are not authorized. request id: 1F2E-AAAA",
				"data":    map[string]any{"Code": "NoPermission", "Message": "You are not authorized.", "RequestId": "1F2E-AAAA"},
			}),
			code: "NoPermission", status: 403, reqID: "1F2E-AAAA", msg: "You are not authorized.",
		},
		{
			name: "lower-case body keys",
			in: tea.NewSDKError(map[string]any{
				"code": "", "statusCode": 404,
				"message": "code: 404, gone request id: abc-1",
				"data":    map[string]any{"code": "EntityNotExist.User", "message": "gone", "requestId": "abc-1"},
			}),
			code: "EntityNotExist.User", status: 404, reqID: "abc-1", msg: "gone",
		},
		{
			name: "message only",
			in: tea.NewSDKError(map[string]any{
				"code": "Throttling.User", "statusCode": 400,
				"message": "code: 400, Request was denied due to user flow control. request id: 7D1C-99",
			}),
			code: "Throttling.User", status: 400, reqID: "7D1C-99", msg: "Request was denied due to user flow control.",
		},
		{
			name: "V1 string-to-sign is cut",
			in: tea.NewSDKError(map[string]any{
				"code": "SignatureDoesNotMatch", "statusCode": 400,
				"data": map[string]any{"Code": "SignatureDoesNotMatch", "RequestId": "R", "Message": "Specified signature is not matched with our calculation. server string to sign is:POST&%2F&AccessKeyId%3DLTAI%26SecurityToken%3D" + testToken},
			}),
			code: "SignatureDoesNotMatch", status: 400, reqID: "R", msg: "Specified signature is not matched with our calculation.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, status, reqID, msg := sdkFields(tt.in)
			if code != tt.code || status != tt.status || reqID != tt.reqID || msg != tt.msg {
				t.Errorf("sdkFields = (%q, %d, %q, %q), want (%q, %d, %q, %q)", code, status, reqID, msg, tt.code, tt.status, tt.reqID, tt.msg)
			}
		})
	}
}
