// Package redact keeps secrets out of output.
//
// It owns two small things every layer of akresp needs: the Secret type,
// which holds an AccessKey secret (or STS token) and refuses to print it
// through fmt, encoding/json, encoding.TextMarshaler or log/slog, and
// MaskKeyID, which shortens an AccessKey ID for human output.
//
// redact is a leaf package: it must not import any other akresp package,
// any Alibaba Cloud SDK, or anything outside the standard library.
package redact
