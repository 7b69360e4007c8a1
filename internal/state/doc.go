// Package state owns akresp's on-disk state directory: where journals,
// rotation state and saved evidence live, how they are written (atomically,
// mode 0600), how they are sealed against edits, and the per-key lock that
// stops two mutating commands from working on the same AccessKey at once.
//
// # Directories
//
// A missing state directory (and per-key directory) is created 0700. An
// existing one is used only if the current user owns it and neither group
// nor others can write to it; otherwise every entry point returns a
// *DirError (exit 2) saying what to do ("chmod 700 DIR" for the user's own
// directory, "pass --state-dir to a directory you own" for a shared one
// such as /tmp). akresp never changes the mode of a directory it did not
// just create.
//
// # Sealing
//
// <state-dir>/.mac-key (0600, 32 random bytes, made on first use) keys an
// HMAC-SHA256. WriteJSONAtomic seals a JSON object (a "seal" member with a
// MAC over every other member, and a short MAC per member so that a
// failure can name the field); ReadJSON verifies it. <state-dir>/<ak-id>/
// .seal.json, itself sealed, records which version of each sealed file is
// current and how many records each journal holds (see internal/journal),
// so that a deleted file, an older copy or a truncated journal is caught
// too. Any failure is an *IntegrityError (exit 4). See the journal
// package's documentation for the threat model: a key in the same
// directory stops accidental or naive edits and edits by someone who
// cannot read the key, not someone who can.
//
// # Locks
//
// LockKey takes <state-dir>/<ak-id>/.lock and a per-user lock
// <lock-dir>/<ak-id>.lock, where the lock directory is $AKRESP_LOCK_DIR,
// else $XDG_RUNTIME_DIR/akresp/locks, else <tmp>/akresp-<uid>/locks
// (created 0700 and checked like the state directory). Two runs with
// different --state-dir therefore cannot interleave on one key. A run by
// another user, or on another machine, is not covered: the journal and
// live-state drift checks before each apply must catch those.
//
// It must not import internal/cli, internal/cloud or any SDK; it knows
// nothing about Alibaba Cloud beyond "a key id names a directory".
package state
