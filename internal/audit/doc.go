// Package audit owns the audit of an AccessKey: the normalised event model
// (Event), every reader of ActionTrail events and data-plane logs, and the
// findings engine (rules, baseline, verdict) that turns events into findings.
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
// The package must not import internal/cli, cobra or any printing package,
// nor the Alibaba Cloud SDKs or credentials-go (those stay in internal/cloud,
// which feeds LookupEvents pages in as raw JSON), nor internal/lab.
package audit
