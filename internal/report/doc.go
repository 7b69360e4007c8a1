// Package report owns the incident report of `akresp report`: the Document
// model (JSON schema SchemaVersion), Build, which assembles it from plain
// inputs (the audit result, the key's events, the journal records, the
// rotation state and live facts the caller gathered), the evidence file
// (the events used, one JSON object per line, with its SHA-256) and the
// three renderers: RenderMarkdown, RenderJSON and RenderHTML (one
// self-contained file with inline CSS and an inline SVG chart; no scripts,
// no external assets).
//
// Build is pure: it makes no network call and reads no file. The caller
// (internal/cli) gathers every input and decides where files go.
//
// Secrets never reach a report: the inputs carry none, and the evidence
// writer scrubs any AccessKeySecret, SecurityToken or Password field of the
// raw events defensively.
//
// The package must not import internal/cli, cobra, internal/cloud, the
// Alibaba SDKs, credentials-go, internal/lab or any printing package. It
// reads internal/audit's Result and Event, internal/journal's Record and
// internal/rotate's State as values, and uses internal/policy (pure) to
// check flagged sources against the key's network ACL.
package report
