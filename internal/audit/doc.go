// Package audit owns the audit of AccessKeys: the normalised event model
// (Event), every reader of ActionTrail events and data-plane logs, the
// findings engine (rules, baseline, verdict), the online investigation of
// one key (Investigate) and the idle-key sweep of a whole account (Sweep).
//
// Readers (event.go, parse.go, readers.go, ossfmt.go, slsfmt.go):
//
//   - ParseEvent decodes one ActionTrail event object, in the LookupEvents /
//     OSS-delivery schema or in the layouts Simple Log Service exports.
//   - ReadLookupPage feeds a page of LookupEvents results through the same
//     parser, so the online and the offline audit of the same events agree.
//   - ReadTrails, ReadOSSLogs and ReadSLSLogs stream files and directories
//     (gzip or plain, JSON arrays, JSON lines, LookupEvents documents, OSS
//     access logs, SLS operation logs) in bounded memory, in parallel across
//     files, delivering events file by file in path order to one Sink.
//
// Malformed input is never silently dropped: every record read is either
// delivered, counted as filtered (another key, outside the time window) or
// reported as a Problem with its file and position (a *ProblemError under
// ReadOptions.Strict). The accepted formats are documented in
// docs/trail-formats.md.
//
// Engine (engine.go, rules*.go, catalogue.go, baseline.go, verdict.go,
// result.go): NewEngine, Engine.Add and Engine.Result turn a stream of
// events into a Result (facts, window, sources, services, resources,
// findings with evidence, created identities, verdict with next steps and
// suggested trusted CIDRs) keeping aggregates, not events, so memory does
// not grow with the input. docs/rules.md lists the rules (ID, severity,
// what they look for).
//
// Rendering: the package does not render results for people. `akresp
// audit` renders a Result as its table, markdown and CSV in internal/cli
// (audit.go), coloured through the CLI's one palette and escaped there; -o
// json is the Result itself. A Result keeps event text as the events
// carried it (control characters included), so every renderer escapes.
//
// Investigate (investigate.go) audits one key: its facts (owner, status,
// age, last use from IMS, RAM, STS and ActionTrail's GetAccessKeyLastUsed*)
// read concurrently with its LookupEvents pages, plus any offline inputs,
// through one engine. `akresp audit` and `akresp contain` both use it, so
// they see the same facts and findings. InvestigateSLS (sls.go) does the
// same from an SLS logstore with push-down queries.
//
// Sweep (sweep.go) examines every RAM user's keys (or the IMS credential
// report) for idle, unrotated and unused keys and console users without
// MFA, with bounded parallelism that keeps to each API's quota.
//
// It talks to the cloud only through the small interfaces in interfaces.go
// (*cloud.Clients satisfies them; tests use fakes and the lab). It may
// import internal/cloud (for those interfaces and its plain types),
// internal/redact, internal/safetext (key IDs quoted in errors),
// internal/cloud/slsq (sls.go) and klauspost/compress (the readers' gzip).
// It must not import internal/cli, cobra or any other printing package, the
// Alibaba Cloud SDKs or credentials-go (those stay in internal/cloud, which
// feeds LookupEvents pages in as raw JSON), internal/respond,
// internal/report or internal/lab.
package audit
