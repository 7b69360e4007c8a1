// Package journal is akresp's append-only record of every change it makes
// to a cloud account: an intent record before each API call and an outcome
// record (with the request ID) after it, one JSON object per line, fsynced,
// never holding a secret (Append refuses a record whose before/after holds
// a non-redacted AccessKeySecret, SecurityToken or password). contain,
// disable and rotate write journals; undo, resume and report read them.
//
// Layout: <state-dir>/<ak-id>/<UTC timestamp>-<command>.jsonl (mode 0600).
//
// # Integrity
//
// Every line carries "seq" (its position in the file, from 1) and "mac": an
// HMAC-SHA256, under the state directory's key (<state-dir>/.mac-key, 0600,
// made on first use), over the key id, the file name, seq, the previous
// line's MAC and every other member of the line. The key's sealed index
// (<state-dir>/<ak-id>/.seal.json, see internal/state) holds how many
// records each journal had when last written and the MAC of the last one.
// ReadFile, ReadKey and Head verify all of it, so an edited field (a
// "before" fence), a deleted, reordered or copied line, a truncated or
// emptied journal, a deleted journal file, a deleted index or key all stop
// the reader with a *state.IntegrityError (exit 4) naming the file and line.
// A torn last line after a crash is not tampering: it is skipped with a
// warning, and a crash between writing a line and counting it in the index
// leaves a line that still verifies.
//
// Head(base, keyID) is the SHA-256 of the key's journals (each file's name,
// a newline, its complete lines, in time order); `report` prints it so a
// copy of the journals can later be shown to be the one reported on.
//
// # Threat model (what this does and does not stop)
//
// The MAC key lives in the same directory as what it protects. It stops
// accidental and naive edits (a colleague "fixing" a journal by hand, a
// script that rewrites a field, a truncated or emptied file, a restore of
// part of the directory) and any edit by someone who can write to the files
// but cannot read the key. It does NOT stop someone who can read the key
// file (the same user, root, a backup of the directory): they can recompute
// every MAC. Nor does it detect the whole state directory (index included)
// being replaced by an older complete copy, or deleted. Those cases are
// what the live-state checks are for: undo and rotate compare what the
// journal says with what the cloud says before they act.
//
// It must not import internal/cli, internal/cloud or any SDK.
package journal
