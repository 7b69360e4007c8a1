// Package slsq queries Simple Log Service (SLS) logstores: it is the only
// importer of github.com/aliyun/aliyun-log-go-sdk in akresp.
//
// It owns what makes a push-down query trustworthy rather than just sent:
// the Incomplete loop (repeat an Incomplete answer a few times with backoff
// under the caller's context), window splitting (a window that stays
// Incomplete, or whose answer reached the caller's row cap, is cut at a
// minute boundary and both halves are queried and merged by a caller-given
// Merge), read-quota and server-busy backoff, and the mapping of SLS errors
// to *Error values that carry a hint and match the internal/cloud sentinels
// with errors.Is. A window that cannot be completed even at one minute is
// reported in Result.Missing, never silently dropped.
//
// It must not import internal/audit, internal/cli or internal/lab; it
// imports internal/cloud only for the error sentinels and internal/redact
// for secrets.
package slsq
