// Package incident is the one record of an incident on one AccessKey that
// every command reads: what akresp did to the key (the journals of contain,
// contain --undo, disable, enable, delete and rotate), what the audits and
// contain plans concluded about it (their journaled "evidence": onset,
// flagged sources, suggested trusted CIDRs) and where a rotation stands (its
// state file).
//
// Its classifier marks the responder's own activity so that it is never
// evidence of the attacker: akresp's own calls (their request IDs are in the
// journal), calls from the fence's trusted sources after containment (the
// responder's tests, the application) and calls the fence refused from
// anywhere else (the attacker still trying).
//
// It imports only internal/journal, internal/state, internal/policy and
// internal/cloud (for the error-code classes); every domain package may
// import it.
package incident
