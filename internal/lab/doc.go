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
//     the policy evaluator (policyeval.go). Both levels of network policy
//     are enforced with the documented precedence: an Active key-level
//     policy (IMS SetAccessKeyPolicy) replaces the account-level one
//     (SetAccessKeyPolicyForAccount, read back by
//     GetAccessKeyPolicyForAccount, no parameters) for that key; without
//     one, an Active account-level policy applies to every permanent key,
//     the administrator's included; STS credentials are never restricted.
//     A denial names the level that refused the call;
//   - the API handlers (ram.go, ims.go, actiontrail.go, sts.go, generic.go)
//     and their error codes (errors.go);
//   - scenario loading (scenario*.go) and the system policies.
//
// Every call that authenticated is recorded as an ActionTrail event (a call
// then refused by the network ACL, RAM or throttling included, with its
// errorCode), so LookupEvents and the GetAccessKeyLastUsed* APIs answer
// from what clients really did. Calls that fail authentication (bad
// signature, expired timestamp, reused nonce, unknown key, bad security
// token) are not recorded: whether ActionTrail records them is
// not documented (no page read says so, and the sample events are all of
// authenticated calls), so the lab does not invent them. The exception is
// a correctly signed call with a disabled key, recorded with
// InvalidAccessKeyId.Inactive: the signature proves the key, and the
// leak-response plan's "observe that there is no impact" after disabling
// a key (rotate's observe step) reads exactly those (also undocumented: a
// guess). Doubt: if the real service records other failures, akresp's
// ENUM-05 counts them when present (audit.IsAuthFailure) but never depends
// on them (docs/rules.md).
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
// HTTP limits (server.go, limitlisten.go), so that a slow or hostile client
// cannot stop the lab answering others: headers must arrive within half of
// Options.ReadTimeout and the whole request within ReadTimeout (default
// 30 s: a client that announces a body and sends it slowly, or never, is
// disconnected); an answer must be written within WriteTimeout (default
// 2 min, counted from the end of the headers, so Latency must stay well
// below it); a kept-alive connection is closed after IdleTimeout (default
// 60 s) without a request; headers are at most 64 KiB; and at most
// Options.MaxConns connections (default 256) are open at once: when all
// are taken, the keep-alive connection idle the longest is closed for the
// next client (as IdleTimeout would later), and if none is idle further
// clients wait in the kernel's listen backlog until one closes, instead of
// the process running out of file descriptors.
//
// Known differences from the real service, on purpose or for lack of
// facts: events and last-used data appear at once (ActionTrail has a ~10
// minute ingestion delay and refreshes last-used data hourly); every call is
// "public" (there are no VPC endpoints, so VPCWhiteList statements never
// admit a lab call); an Inactive network policy with no statements is stored
// as "no policy" (the documented way to remove one; the real representation
// is unknown); trails and SMS are not modelled as resources, so generic
// RDS/Dysms actions (and ECS actions other than those below) succeed when
// authorised and are only recorded; RPC-style APIs only (no ROA).
//
// ECS and billing (ecs.go, bss.go, scenario_ecs.go). ECS instances and
// security groups are resources with state: a scenario's ecs_instances and
// security_groups exist at the start, and the history's ECS events
// (RunInstances, CreateInstance, Stop/Start/DeleteInstance(s),
// CreateSecurityGroup, Authorize/RevokeSecurityGroup) are replayed over
// them when the scenario is built; calls change them the same way.
// DescribeInstances (InstanceIds), StopInstances/StartInstances/
// DeleteInstances (InstanceId.N), DescribeSecurityGroupAttribute and
// Authorize/RevokeSecurityGroup (one rule by protocol, ports, source and
// policy) follow the ECS API; a released instance disappears from
// DescribeInstances. Prices are the lab's own table (ECSPricePerHour, CNY
// per hour by instance type; ECSDefaultPrice for other types), not
// Alibaba Cloud's prices. An instance is billed while it runs (and while
// stopped in KeepCharging mode); BSS QueryInstanceBill (bssopenapi
// 2017-12-14, RAM action bssapi:QueryInstanceBill) answers, per billing
// cycle, price x billed hours per instance, with no billing delay. A
// billing cycle is a calendar month in UTC+8, as on the real cloud (the
// bill pages state billing times in UTC+8, international site included:
// https://www.alibabacloud.com/help/en/user-center/user-guide/how-to-manage-bills),
// so an hour run at 20:00 UTC on the last day of a month is billed in the
// next month's cycle.
//
// ECS footholds (ecs_eradicate.go, scenario_ecs.go): SSH key pairs
// (ImportKeyPair, CreateKeyPair, DescribeKeyPairs by KeyPairName,
// DeleteKeyPairs with a JSON array of names), Cloud Assistant commands
// (CreateCommand, DescribeCommands by CommandId, DeleteCommand) and an
// instance's outbound bandwidth (RunInstances and
// ModifyInstanceNetworkSpec InternetMaxBandwidthOut, reported by
// DescribeInstances) are resources with state, created by the scenario's
// key_pairs / commands / ecs_instances[].internet_max_bandwidth_out and
// by replaying those events. Sources: the ECS API reference pages
// DeleteKeyPairs (names as a JSON array of up to 100;
// InvalidKeyPairNames.ValueNotSupported; "a key pair bound to instances
// cannot be deleted"), DeleteCommand (404 InvalidCmdId.NotFound, 403
// InvalidStatus.CmdIdInUse while it runs) and ModifyInstanceNetworkSpec
// (0-100 Mbit/s pay-as-you-go, 0-200 subscription; a downgrade of a
// subscription instance is a refund order). Differences: key pairs are
// never bound to instances, so the bound refusal (its code is not
// documented) does not occur; DeleteKeyPairs of an unknown name succeeds
// (the reference does not say); commands never run, so
// InvalidStatus.CmdIdInUse does not occur; KeyPair.AlreadyExist and
// InvalidCommandType.NotSupported are the lab's guesses at codes the
// reference does not list; ModifyInstanceNetworkSpec creates no order and
// changes no bill; CreateKeyPair's PrivateKeyBody is a placeholder and
// never reaches an event (like CreateVirtualMFADevice's Base32StringSeed
// and QRCodePNG).
//
// RAM virtual MFA devices (ram_mfa.go): CreateVirtualMFADevice,
// BindMFADevice, UnbindMFADevice, DeleteVirtualMFADevice and
// ListVirtualMFADevices (RAM 2015-05-01, alibabacloud-go/ram-20150501
// models; the Go SDK v2.2.1 has no ListVirtualMFADevices client method, so
// akresp reads a user's binding with GetUserMFAInfo). Differences: the
// authentication codes are checked for six digits, not against the seed;
// DeleteVirtualMFADevice of a bound device answers
// DeleteConflict.VirtualMFADevice.User and a second binding
// EntityAlreadyExists.User.MFADevice, codes the reference does not list
// (guesses after RAM's DeleteConflict.* and EntityAlreadyExists.*
// families); the seed is random text, not a usable TOTP secret.
//
// Regional ActionTrail (actiontrail.go). LookupEvents answers the region of
// the endpoint it was sent to, taken from the Host header
// ("actiontrail.<region>.aliyuncs.com"): that region's events plus the
// global services' (RAM, IMS, STS: isGlobal) events, as documented
// (alibaba-cloud-api.md §18 "ActionTrail is regional"; API reference
// api-actiontrail-2020-07-06-lookupevents). A Host without a region (the
// lab's own address) is DefaultRegion, cn-hangzhou; RegionId parameters do
// not change it (the classic SDK sends RegionId with every call). Reaching a
// region: any official SDK with Endpoint actiontrail.<region>.aliyuncs.com,
// Protocol http and HttpProxy http://<lab address> (the lab serves
// absolute-form proxy requests itself); akresp with --endpoint <lab address>
// dials the lab and names the regional host (internal/cloud/regions.go).
// Doubt: the API reference also documents a "global events storage region"
// (Get/UpdateGlobalEventsStorageRegion, default Singapore), which suggests
// global events may be kept in one region only; akresp copes by reading
// every region by default (audit --regions all). DescribeRegions lists the
// lab's eleven regions (generic.go labRegions), fewer than the real list.
//
// LookupEvents validation, as documented: StartTime and EndTime both or
// neither; one or two LookupAttribute conditions (both must match);
// MaxResults 0..50; at most 30 days between StartTime and EndTime
// (doc-detail/185722 "The maximum time range is 30 days"; the 2020-07-06
// reference page states the both-or-neither and two-condition rules). The
// real error codes are not published on the pages read: the lab answers 400
// InvalidParameter (a guess). akresp never sends such a request: it sends
// both times and splits longer windows into 30-day ones (cloud.LookupEventsIn,
// tested by TestLookupWindowsNeverRefused in internal/cloud).
//
// Credential report (ims.go), as documented (RAM "Generate and download
// user credential reports"; alibaba-cloud-api.md §18): the root row is
// "<root>", a cell that does not apply is "-", GenerateCredentialReport
// answers STARTED, then INPROGRESS while the report is built (150 ms of real
// time in the lab), then COMPLETED, and a new report is produced at most
// every 4 hours (within 4 hours Generate answers COMPLETED and the old
// report is served). The column header is still the third-party one (§16).
// akresp's sweep reads "<root>" and "<root_account>", "-" and "N/A".
// Credential-report generation and every per-user key lookup use an owner
// index of the keys (world.go keysOf), so a 10,000-user account costs what
// the service's quotas make it cost (bench/README.md).
//
// Wire details, checked against their sources (conformance_test.go here
// and internal/cloud/conformance_test.go replay them):
//   - eventId is the call's request id, upper case (ActionTrail user guide
//     sample events, e.g. "IMS" and "ActionTrail" event samples: eventId ==
//     requestId). The real service's system events (AliyunServiceEvent)
//     may use other ids; akresp matches event ids case-insensitively.
//   - IMS events name ims-share.aliyuncs.com as eventSource and AcsHost
//     (ActionTrail user guide, "IMS" sample events); the endpoint is still
//     ims.aliyuncs.com (HostId of errors). ActionTrail's own write events
//     name actiontrail-openapi-share.<region>.aliyuncs.com in the samples
//     while its LookupEvents sample names actiontrail.<region>.aliyuncs.com;
//     the lab uses the latter for all. akresp keys no rule on eventSource.
//   - Every answer carries the x-acs-request-id header; error bodies carry
//     Recommend, https://api.aliyun.com/troubleshoot?q=<Code>&product=<endpoint
//     label>&requestId=<id> (the shape seen in real error bodies; the
//     product is the endpoint's first label, e.g. "ram"). akresp reads the
//     request id from the body or the header and never prints Recommend.
//   - IMS GetUser's user has UserName and no Status; IMS ListUsers' users
//     have Status and no UserName (alibabacloud-go/ims-20190815 models
//     GetUserResponseBodyUser and ListUsersResponseBodyUsersUser).
//     akresp reads users from RAM ListUsers and uses IMS GetUser only for
//     the owner of a key; cloud.User.Status stays "" and nothing reads it.
//   - Throttling answers Throttling.User with x-ratelimit-user-api (lab);
//     the real service may also send x-ratelimit-user. akresp waits for the
//     larger TimeLeft of the two, as the SDK does (internal/cloud
//     throttleTimeLeft).
//   - A Marker the lab did not issue is refused with 400
//     InvalidParameter.Marker. What RAM/IMS answer is not documented (the
//     issue reviewer reports a 200); akresp only sends markers it was given
//     and stops with an error on a repeated one, so either answer is safe.
//   - OSS delivery object names are documented in docs/trail-formats.md
//     (ActionTrail FAQ "storage path of an event delivered to an OSS
//     bucket"); the lab delivers nothing to OSS.
//   - The classic Go SDK (github.com/aliyun/alibaba-cloud-sdk-go v1.63.107,
//     a test-only dependency) drives the lab in TestClassicGoSDK: RPC with
//     the V1 signature in the query string, GET and POST, and a wrong
//     secret refused. TestClassicSDKStyleV1GetAndPost also sends what that
//     SDK sends, signed by an implementation of the published recipe
//     written in the test, not by sign.go.
//   - Security Center (SAS 2018-12-03, sas.go) serves the three AccessKey
//     leak APIs over leak records from the scenario ("leaks"). Guesses:
//     its zone-less "YYYY-MM-DD HH:mm:ss" times are rendered in UTC+8; an
//     unknown record Id is 400 InvalidParameter (the reference lists only
//     403 NoPermission and 500 ServerError); ModifyAccessKeyLeakDeal takes
//     effect at once (the reference warns that a 200 only means accepted).
//     RAM actions follow the reference: yundun-aegis for the two reads,
//     yundun-sas:ModifyAccessKeyLeakDeal for the write. The detail's Code
//     (the leaked snippet) is served with the secret masked.
//
// Trails and Insights (trails.go, insights.go; issue 18). A scenario's
// "trails" replace the default trail (all regions, all events, delivered
// to SLS); builtin:leak's one trail delivers all regions' events to an OSS
// bucket only. "insights" lists the Insights types on at the start (none
// by default). Sources: API reference pages api-actiontrail-2020-07-06-
// enableinsight, -getinsighttypes, -getinsightselectors,
// -putinsightselectors and -lookupinsightevents, and the user guide's
// "Insights event structure" (read 2026). Differences and guesses:
//   - The real Insights model is not published. The lab's: for AkInsight
//     (object: AccessKey ID), IpInsight (source IP) and ApiErrorRateInsight
//     (failed calls per AccessKey), a sliding 10-minute window over the
//     events recorded from the second the type was enabled (the whole history for
//     types a scenario enables) fires once when it holds at least 30
//     events and at least 5 times the object's baseline, its average per
//     10 minutes over the 7 days before; the next event of that object can
//     only start after the window. Read and write calls both count (the
//     real AkInsight is said to analyse write events). Each successful
//     StopLogging, DeleteTrail or UpdateTrail is a TrailConcealmentInsight.
//     ApiCallRateInsight, PolicyChangeInsight and PasswordChangeInsight can
//     be enabled but produce nothing.
//   - Insights events are computed when asked for: there is no delay, the
//     state is always "Start" (no "End" event), ids are a hash of type,
//     object and window start, eventTime is the call that crossed the
//     threshold, sharedEventId the window's first event, and events are not
//     filtered by the endpoint's region.
//   - LookupInsightEvents answers "Events" (the pages read do not show the
//     list's name; akresp also accepts "InsightEvents"), newest first,
//     MaxResults 1-50 (default 20), at most 93 days back; its
//     LookupAttribute keys are those of the FAQ "How to set LookupAttribute
//     when calling LookupInsightEvents"; ServiceName and EventName match
//     nothing (Insights events carry neither).
//   - EnableInsight without InsightType enables every type, DisableInsight
//     likewise (the absent parameter is not described); an unknown type is
//     400 InsightTypeNotAvailable as documented.
//   - RAM: only EnableInsight (and DisableInsight, by the same rule) is
//     authorised, as actiontrail:<Action>; the other pages list no
//     authorisation, so the lab checks none.
//   - GetInsightTypes answers every type with "Enable" or "Disable" (the
//     page's example shows "Enable" values only).
//
// Following the attacker (audit's follow.go) reads LookupEvents with one
// LookupAttribute per request (the SDK comment's limit, alibaba-cloud-api.md
// §13 "LookupAttribute keys"): EventAccessKeyId for a followed AccessKey or
// STS session, User for a followed RAM user (the lab matches
// userIdentity.userName exactly, console sign-ins included), and
// ResourceName for a followed role, with its name and with its ARN. The lab
// lists an AssumeRole call's RoleArn under referencedResources
// "ACS::RAM::Role" (events.go), so ResourceName=<ARN> finds the sessions
// minted for the role. Doubt: the real sample AssumeRole event (ActionTrail
// user guide, doc-detail/289050 "a RAM user assumed a RAM role") shows
// referencedResources with "ACS::RAM::AccessKey": ["STS.…"]; whether it
// also names the role was not seen, so a real follow of a role may find only
// the role's own management events (CreateRole, AttachPolicyToRole) and
// miss its sessions. The sample also writes responseElements.credentials
// in lower camel case (accessKeyId), which the audit reads case-insensitively.
package lab
