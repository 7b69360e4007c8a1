// Package lab is akresp's local Alibaba Cloud emulator: a stateful HTTP
// server that the official Go SDKs (RAM 2015-05-01, IMS 2019-08-15,
// ActionTrail 2020-07-06, STS 2015-04-01, plus generic ECS/RDS/Dysms RPC)
// talk to unchanged through an endpoint override.
//
// It owns:
//   - the World model (types.go) and its lookups, mutations and deep copy
//     (world.go), the recorded ActionTrail history (events.go);
//   - the HTTP server (server.go): routing on (Version, Action), parameter
//     parsing, JSON answers in the real wire shapes, latency, fault
//     injection and per-API throttling (faults.go);
//   - request authentication written from the published signature recipes,
//     not from SDK code (sign.go): V3 ACS3-HMAC-SHA256 and V1 HMAC-SHA1,
//     timestamps, nonces and STS security tokens;
//   - AccessKey network ACLs and RAM authorisation (authz.go), which calls
//     the policy evaluator (policyeval.go);
//   - the API handlers (ram.go, ims.go, actiontrail.go, sts.go, generic.go)
//     and their error codes (errors.go);
//   - scenario loading (scenario*.go) and the system policies.
//
// Every call whose AccessKey is known is recorded as an ActionTrail event, so
// LookupEvents and the GetAccessKeyLastUsed* APIs answer from what clients
// really did.
//
// Import rules: lab shares no code with internal/cloud in either direction
// (an emulator built from the client's own code cannot catch the client's
// mistakes) and imports no other akresp package. It is imported only by
// internal/cli (for `akresp lab`) and by tests. Non-test code must not
// import any Alibaba SDK or credentials-go; the tests do, on purpose, to
// drive the lab with the real clients.
//
// Guesses, where Alibaba documents nothing (alibaba-cloud-api.md section
// 22), are marked in the code with "guess" and are configurable where they
// matter: the AccessKey network-policy denial code (Options.ACLDenyCode,
// default Forbidden.AccessKeyPolicy / HTTP 403) is one.
//
// Known differences from the real service, on purpose or for lack of
// facts: events and last-used data appear at once (ActionTrail has a ~10
// minute ingestion delay and refreshes last-used data hourly); every call is
// "public" (there are no VPC endpoints, so VPCWhiteList statements never
// admit a lab call); an Inactive network policy with no statements is stored
// as "no policy" (the documented way to remove one; the real representation
// is unknown); ECS instances, trails and SMS are not modelled as resources,
// so generic ECS/RDS/Dysms actions succeed when authorised and are only
// recorded; RPC-style APIs only (no ROA).
package lab
