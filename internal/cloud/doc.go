// Package cloud is akresp's only door to Alibaba Cloud.
//
// It owns everything between a domain question ("which keys does alice
// have?") and the wire: building the RAM, IMS, ActionTrail and STS clients
// from the official Go SDKs, resolving credentials (explicit, --profile, or
// the credentials-go default chain), the --endpoint override, timeouts,
// client-side rate limits, retries with capped exponential backoff and full
// jitter, paging, and turning every failure into a classified *APIError with
// the API, target, cloud error code, HTTP status and request ID.
//
// Methods on *Clients take a context first and return plain Go values
// (types.go), never SDK pointer-of-pointer models, so domain packages
// (audit, respond, rotate) can declare small interfaces that *Clients
// satisfies and fake them in tests.
//
// Import rules: cloud is the ONLY akresp package that imports
// github.com/alibabacloud-go/* and github.com/aliyun/credentials-go. It may
// import internal/redact and the standard library plus golang.org/x/time.
// It must not import internal/cli, audit, respond, rotate, report, policy or
// lab (the emulator shares no code with this package in either direction,
// so the lab can catch this package's mistakes).
//
// Secrets: AccessKey secrets and STS tokens travel as redact.Secret and are
// revealed only to the SDK's signer. Debug logs scrub Authorization,
// Signature, SecurityToken, AccessKeySecret and the x-acs-security-token and
// x-acs-accesskey-id headers; error messages never carry request URLs.
//
// Retries and idempotency: throttling, 5xx and connection failures are
// retried. A mutation retried after a dropped connection or a 5xx may
// already have been applied by the first attempt, so callers (respond,
// rotate) must treat mutations as idempotent and re-check state before and
// after acting. Calls whose replay would do harm that a caller cannot see
// (CreateAccessKey would mint an orphan key whose secret nobody holds;
// CreatePolicyVersion would add a version) are retried only when the
// request provably was not processed: throttled, 503, or the connection
// was never established.
package cloud
