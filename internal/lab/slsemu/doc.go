// Package slsemu is the lab's Simple Log Service endpoint: an HTTP server
// that the real aliyun-log-go-sdk talks to, answering GetLogs (the V2/V3
// POST form), GetIndex and ListLogStore for ActionTrail logstores, and
// CreateAlert/GetAlert (POST /jobs, GET /jobs/<name>; alerts.go), which
// keep alert rules after checking that their queries run, but never
// evaluate them on a schedule as SLS does.
//
// Requests are V1-signed by the SDK and the signature is checked from the
// rules in shared/reference/sls-pushdown.md section 2.1 (HMAC-SHA1 over the
// method, the upper-case hex Content-MD5, Content-Type, Date, the x-log-* and
// x-acs-* headers and the canonical resource), including the Date skew.
//
// Queries run on DuckDB, an SQL engine independent of akresp: each logstore
// is a table with __time__, __topic__, __source__, the event JSON text and
// one column per indexed "event.*" sub-key. The search part (before the
// first top-level "|") is compiled from a strict subset of the SLS search
// language (key: value, "key": value, key: *, suffix wildcards, and/or/not,
// parentheses, juxtaposition as and) into a predicate; the analytic part is
// checked against an allow-list of functions that SLS and DuckDB both have,
// must say FROM log, gets SLS's default LIMIT 100, and is refused past SLS's
// LIMIT caps. Knobs inject Incomplete answers, a scan cap (a query that
// would scan more rows than the cap is answered from the first rows only
// and marked Incomplete), read-quota errors and server-busy errors.
//
// The package uses cgo (DuckDB). It is imported by tests and benchmarks
// only (internal/audit, internal/cli and bench tests), never by the
// non-test code of cmd/akresp or internal/cli, so the akresp binary stays
// CGO_ENABLED=0. It must not
// import internal/cloud or internal/audit: the lab shares no code with the
// client it grades.
package slsemu
