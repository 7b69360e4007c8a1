// Package rotate owns the resumable AccessKey rotation state machine behind
// `akresp rotate`: create the second key, hand its secret over through the
// one exit the user chose, wait for cut-over on last-used evidence, disable
// the old key, verify nothing still fails with it, and delete it as a
// separate step, with rollback. Every transition is persisted atomically to
// <state-dir>/<ak-id>/rotation.json and every cloud mutation is journaled
// (intent before the call, outcome after), so a process killed at any point
// resumes correctly with the same command.
//
// The new secret exists only in memory between CreateAccessKey and the
// hand-over; it is never written to the state file, the journal, logs,
// events or errors. A secret whose hand-over did not complete is treated as
// lost: its key is deleted (journaled) and a fresh one is created.
//
// It talks to the cloud through the small interfaces in interfaces.go
// (satisfied by the adapter in cloud.go over internal/cloud) and reports
// progress through an Event callback. It must not import internal/cli,
// cobra, internal/lab, any Alibaba SDK or any printing package, and it never
// writes to stdout except through the --secret-stdout hand-over writer the
// caller passes in.
package rotate
