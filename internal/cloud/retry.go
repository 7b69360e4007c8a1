package cloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/alibabacloud-go/tea/tea"
)

// apiSpec names one cloud API for limits, retries and errors.
type apiSpec struct {
	service string // "RAM" | "IMS" | "ActionTrail" | "STS": the Limits key prefix
	action  string
	// unsafe: replaying after an ambiguous failure (reset, timeout, 500)
	// could have effects the caller cannot see, so retry only when the
	// request provably was not processed.
	unsafe bool
	// keyTarget: Target is an AccessKey ID, so InvalidAccessKeyId.NotFound
	// may be about it rather than about the caller.
	keyTarget bool
}

// name is the APIError.API form, e.g. "actiontrail:LookupEvents".
func (a apiSpec) name() string { return strings.ToLower(a.service) + ":" + a.action }

// errNoClass pins an APIError to "no sentinel" (interruptions), overriding
// derivation from its fields.
var errNoClass = errors.New("unclassified")

// call runs fn (one SDK call using the ctx it is given) under the API's
// rate limit, retrying throttling and transient failures with capped
// exponential backoff and full jitter. Every failure comes back as
// *APIError.
func (c *Clients) call(ctx context.Context, api apiSpec, target string, fn func(context.Context) error) error {
	var last *APIError
	for n := 1; ; n++ {
		if err := c.limits.wait(ctx, api.service, api.action); err != nil {
			return interrupted(api, target, n-1, last, err)
		}
		a := &attempt{}
		err := fn(withAttempt(ctx, a))
		if err == nil {
			c.verified.Store(true)
			return nil
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return interrupted(api, target, n, c.newAPIError(api, target, err, a, n), ctxErr)
		}
		ae := c.newAPIError(api, target, err, a, n)
		c.disambiguateKeyNotFound(ctx, api, ae)
		if ae.RequestID == "" && last != nil {
			// Keep the last answer's request ID: the final attempt may
			// have died without one (dropped connection, timeout).
			if last.RequestID != "" {
				ae.EarlierCode, ae.EarlierRequestID = last.Code, last.RequestID
			} else {
				ae.EarlierCode, ae.EarlierRequestID = last.EarlierCode, last.EarlierRequestID
			}
		}
		if n >= c.s.MaxAttempts || !retryable(api, ae, a) {
			return ae
		}
		wait := c.backoff(n, a.retryAfter)
		c.logger.LogAttrs(ctx, slog.LevelDebug, "retrying cloud call",
			slog.String("api", ae.API),
			slog.String("target", displayTarget(target)),
			slog.String("code", ae.Code),
			slog.Int("http_status", ae.HTTPStatus),
			slog.String("request_id", ae.RequestID),
			slog.Int("attempt", n),
			slog.Duration("wait", wait),
			slog.String("error", ae.Message))
		if err := c.sleep(ctx, wait); err != nil {
			return interrupted(api, target, n, ae, err)
		}
		last = ae
	}
}

// interrupted reports a call abandoned because ctx ended. It unwraps to
// the context error and mentions the last failure, if any.
func interrupted(api apiSpec, target string, attempts int, last *APIError, ctxErr error) *APIError {
	e := &APIError{API: api.name(), Target: target, Attempts: attempts, Err: ctxErr, class: errNoClass,
		Message: "interrupted: " + ctxErr.Error()}
	if last != nil {
		e.RequestID, e.HTTPStatus = last.RequestID, last.HTTPStatus
		desc := last.Code
		if last.Message != "" {
			desc = strings.TrimPrefix(desc+": "+last.Message, ": ")
		}
		if desc != "" {
			e.Message += " (last error: " + desc + ")"
		}
	}
	return e
}

// retryable decides whether one more attempt may help and is safe.
func retryable(api apiSpec, ae *APIError, a *attempt) bool {
	switch ae.Class() {
	case ErrThrottled:
		return true // throttled requests were not processed
	case ErrTransient:
		if !api.unsafe {
			return true
		}
		return ae.Code == "ServiceUnavailable" || ae.HTTPStatus == 503 || !a.sent || notSent(ae.Err)
	}
	return false
}

// backoff returns the sleep before attempt n+1: full jitter over
// min(cap, base·2^(n-1)), stretched to the server's TimeLeft hint when it
// gave one (still capped).
func (c *Clients) backoff(n int, hint time.Duration) time.Duration {
	ceiling := c.s.RetryBase
	for i := 1; i < n && ceiling < retryCap; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, retryCap)
	d := time.Duration(rand.Int64N(int64(ceiling) + 1))
	if hint > d {
		d = min(hint, retryCap)
	}
	return d
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// newAPIError classifies one failed attempt.
func (c *Clients) newAPIError(api apiSpec, target string, err error, a *attempt, n int) *APIError {
	e := &APIError{API: api.name(), Target: target, Attempts: n, HTTPStatus: a.status, RequestID: a.requestID}
	var (
		se   *tea.SDKError
		ce   *CredentialsError
		le   *localError
		synt *json.SyntaxError
	)
	switch {
	case errors.As(err, &ce):
		e.Message, e.Err, e.class = ce.Error(), ce, ErrInvalidCredentials
		return e
	case errors.As(err, &le):
		e.Message, e.Err, e.class = le.Error(), le, ErrInvalidParameter
		return e
	case errors.As(err, &se):
		code, status, reqID, msg := sdkFields(se)
		e.Code, e.Message, e.Err = code, msg, se
		if status != 0 {
			e.HTTPStatus = status
		}
		if reqID != "" {
			e.RequestID = reqID
		}
	case a.status >= 400 && errors.As(err, &synt):
		// A non-JSON error page (a proxy's HTML 502, ...): the SDK
		// surfaces only a JSON syntax error, without status.
		e.Message = fmt.Sprintf("HTTP %d with a body that is not JSON", a.status)
		e.Err = err
	default:
		err = scrubTransportError(err)
		e.Message, e.Err = err.Error(), err
	}
	if e.Code == "InvalidAccessKeyId.NotFound" && api.keyTarget && c.verified.Load() {
		// The gateway uses this code for an unknown *caller* key too. Once
		// a call has succeeded with our own credentials, it is about the
		// target key.
		e.class = ErrNotFound
	}
	return e
}

// disambiguateKeyNotFound settles InvalidAccessKeyId.NotFound on a call
// about another key when no call has yet proven the caller's credentials:
// one STS GetCallerIdentity (which needs no permission) tells whether our
// own key is the unknown one.
func (c *Clients) disambiguateKeyNotFound(ctx context.Context, api apiSpec, ae *APIError) {
	if ae.Code != "InvalidAccessKeyId.NotFound" || !api.keyTarget || api.service == "STS" || c.verified.Load() {
		return
	}
	if _, err := c.GetCallerIdentity(ctx); err == nil {
		ae.class = ErrNotFound
	}
}
