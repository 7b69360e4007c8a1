// Package state owns akresp's on-disk state directory: where journals,
// rotation state and saved evidence live, how they are written (atomically,
// mode 0600 in 0700 directories) and the per-key lock that stops two
// mutating commands from working on the same AccessKey at once.
//
// It must not import internal/cli, internal/cloud or any SDK; it knows
// nothing about Alibaba Cloud beyond "a key id names a directory".
package state
