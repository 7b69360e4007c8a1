// Package journal is akresp's append-only record of every change it makes
// to a cloud account: an intent record before each API call and an outcome
// record (with the request ID) after it, one JSON object per line, fsynced,
// never holding a secret. contain, disable and rotate write journals;
// undo, resume and report read them.
//
// Layout: <state-dir>/<ak-id>/<UTC timestamp>-<command>.jsonl (mode 0600).
//
// It must not import internal/cli, internal/cloud or any SDK.
package journal
