// Package archtest holds no code: its test enforces the dependency rules of
// SPEC.md and STYLE.md with `go list`, so a wrong import fails `make test`
// instead of waiting for a review.
package archtest
