package audit

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The catalogue rules added for issue 13: CTX-07, ENUM-06, EXEC-02..05,
// PERS-08, EXFIL-01/03/05, COST-04, DEST-07 and EVADE-06/07. The rules that
// judge one event at a time are table rules (moreTableRules, registered in
// rules_table.go's init); the sequences, windows and hourly counts are
// evaluated from the bounded aggregates of rules_more_events.go by
// moreFindings (rules_more_findings.go). Their documentation is
// moreRuleInfos, merged into ruleInfos in catalogue order.

// moreTableRules are the table rules of this file.
var moreTableRules = []*tableRule{
	{id: "ENUM-06", sev: Low, routine: true, apis: apis("Oss", "ListBuckets GetService GetBucketInfo GetBucketStat GetBucketAcl GetBucketPolicy ListObjects ListObjectsV2 GetBucket GetBucketV2"),
		params: []string{"BucketName", "bucket", "prefix"}, check: checkStorageDiscovery},
	{id: "EXEC-03", sev: Critical, apis: apis("Ecs", "RunCommand CreateCommand"),
		params: []string{"InstanceId", "InstanceId.1", "InstanceIds", "CommandId", "Type", "Name"}, check: checkMetadataTheft},
	{id: "EXEC-05", sev: High, routine: true, apis: join(
		apis("Fc", "CreateFunction CreateTrigger"),
		apis("Eci", "CreateContainerGroup CreateContainerGroupFromTemplate BatchCreateContainerGroups")),
		params: []string{"ServiceName", "FunctionName", "TriggerName", "Runtime", "ContainerGroupName", "RegionId"}, check: checkCodeLaunch},
	{id: "EXFIL-05", sev: High, routine: true, apis: apis("Kms", "GetSecretValue Decrypt"),
		params: []string{"SecretName", "VersionStage", "KeyId"}, subject: "SecretName"},
	{id: "EVADE-06", sev: Critical, apis: join(apis("Sas", "PauseClient"), apis("Yundun-sas", "PauseClient"), apis("Ecs", "RunCommand CreateCommand")),
		params: []string{"Value", "Uuids", "InstanceId", "InstanceId.1", "InstanceIds", "CommandId", "Name"}, check: checkAgentDisabled},
}

// routineText is how the sequence and window rules treat the key's
// routine (routine.go's model, applied to their matches).
var routineText = fmt.Sprintf("Routine like the table rules: matches from one source network (/24, or VPC) on %d or more days spanning %d days or more are counted in routine_count and not cited, except on days with more volume or a new target.", routineMinDays, routineMinSpanDays)

// moreRuleInfos documents the rules of this file; withMoreRuleInfos merges
// them into ruleInfos in catalogue order.
var moreRuleInfos = []RuleInfo{
	{ID: "CTX-07", Title: "STS credentials used from outside", Severity: High,
		SeverityText: "high; critical when the key read instance credentials through Cloud Assistant (EXEC-03) before the outside use (the Cloud Assistant → metadata → STS pivot)",
		Logic: "Events of an STS key (STS.*) from a public source outside --trusted-cidr, for a role this key assumed (AssumeRole credentials.accessKeyId) or an instance role it touched (AttachInstanceRamRole, DescribeInstanceRamRole with RamRoleName, or a security-credentials/<role> path in a Cloud Assistant command). " +
			"Sources the role used before the pivot (the first metadata read, else the baseline end) are the instance's own and are not flagged; non-IP sources (\"Internal\", service hosts), 100.64.0.0/10 and private addresses with a vpcId are Alibaba-internal and never flagged. " +
			"Needs the STS keys' events in the input (trail files, or LookupEvents without the key filter). When the audited key is itself an STS key of such a role, or of a session named after an instance (i-...), its new or untrusted public sources fire.",
		Parameters: "--trusted-cidr.",
		Why:        "Temporary credentials of an instance or an assumed role used from somewhere else mean someone carried them out: they keep working after the leaked key is disabled, until they expire.",
		Attack:     []string{"T1552.005", "T1550.001"}},
	{ID: "ENUM-06", Title: "Storage discovery", Severity: Low, SeverityText: "low",
		Logic:  "OSS ListBuckets/GetService, GetBucketInfo, GetBucketStat, GetBucketAcl, GetBucketPolicy, ListObjects(V2) (GetBucket/GetBucketV2 in OSS access logs). Routine (dropped) for a known, trusted source calling APIs the key already used before the baseline end.",
		Why:    "Listing buckets and their contents is how an intruder finds the data worth taking.",
		Attack: []string{"T1619"}},
	{ID: "EXEC-02", Title: "Command run then erased", Severity: High, SeverityText: "high",
		Logic:      "ECS CreateCommand, then InvokeCommand, DescribeInvocationResults and DeleteCommand by the key, in that order within 30 minutes of the CreateCommand; the CommandId must agree wherever the events log it. " + routineText,
		Parameters: "30 minutes.",
		Why:        "Creating a command, reading its output and deleting it is the signature of attack tools that run code on instances and leave nothing to see in the console.",
		Attack:     []string{"T1651", "T1070"}},
	{ID: "EXEC-03", Title: "Instance-metadata credential theft", Severity: Critical, SeverityText: "critical",
		Logic:  "ECS RunCommand or CreateCommand whose CommandContent (base64-decoded unless ContentEncoding is PlainText; the raw text is checked too) contains 100.100.100.200 together with security-credentials, user-data or api/token. Whether ActionTrail logs CommandContent is to be verified against a real trail.",
		Why:    "Reading the metadata service from a command steals the instance role's temporary credentials and the user data, which outlive the leaked key.",
		Attack: []string{"T1552.005"}},
	{ID: "EXEC-04", Title: "Batch command execution", Severity: High, SeverityText: "high",
		Logic:      "One ECS InvokeCommand or RunCommand targeting 5 or more instances (InstanceId.N, or an InstanceId/InstanceIds list), or 5 or more such invocations within 10 minutes from one source (windows do not overlap). " + routineText,
		Parameters: "5 instances, 5 invocations, 10 minutes.",
		Why:        "Running one command on many instances at once is how a foothold becomes a botnet or a ransomware deployment.",
		Attack:     []string{"T1651"}},
	{ID: "EXEC-05", Title: "Serverless or container code launched", Severity: High, SeverityText: "high",
		Logic:  "Function Compute CreateFunction/CreateTrigger, ECI CreateContainerGroup, CreateContainerGroupFromTemplate, BatchCreateContainerGroups by a key with no such baseline: routine (dropped) for a known, trusted source calling APIs the key already used before the baseline end.",
		Why:    "Functions and containers run the attacker's code (often a miner) on the victim's bill, outside the instances anyone watches.",
		Attack: []string{"T1648", "T1496.001"}},
	{ID: "PERS-08", Title: "Network back door", Severity: Medium, SeverityText: "medium",
		Logic:  "VPC CreateVpnGateway, CreateSslVpnServer, CreateSslVpnClientCert, CreateForwardEntry; AllocateEipAddress when the key also calls AssociateEipAddress after it (for the same AllocationId when both events log it). " + routineText,
		Why:    "A VPN endpoint, a port forward or a public address on an internal instance is a network path in that no AccessKey rotation closes.",
		Attack: []string{"T1133"}},
	{ID: "EXFIL-01", Title: "Bulk object download", Severity: High, SeverityText: "high",
		Logic:      "Successful OSS GetObject/GetObjects of the key, per clock hour, from OSS data events in trail files or OSS access logs (--oss-log): at least max(500, 5 x the busiest baseline hour) downloads, or objects from 3 or more buckets when one of them was first read at or after the baseline end or the hour reads more buckets than any baseline hour. Hours before the baseline end do not fire. When a flagged source downloaded in the hour, the downloads of the other sources are counted in routine_count, not cited.",
		Parameters: "500 per hour, 5 x baseline peak, 3 buckets; needs OSS data events.",
		Why:        "Thousands of downloads in an hour, or a sweep across buckets, is data leaving the account.",
		Attack:     []string{"T1530"}},
	{ID: "EXFIL-03", Title: "Image, snapshot or backup leaves the account", Severity: High, SeverityText: "high",
		Logic:      "ECS ModifyImageSharePermission adding an account (AddAccount.N), ExportImage, CopyImage to a region (DestinationRegionId) the key had not used before the baseline end; RDS CreateBackup followed within 30 minutes by DescribeBackups (same DBInstanceId when both log it), CloneDBInstance. " + routineText,
		Parameters: "30 minutes.",
		Why:        "A shared or exported image or a cloned database hands a full copy of the data to the attacker.",
		Attack:     []string{"T1537"}},
	{ID: "EXFIL-05", Title: "Secret read", Severity: High, SeverityText: "high",
		Logic:  "KMS GetSecretValue or Decrypt by a key with no such baseline: routine (dropped) for a known, trusted source calling APIs the key already used before the baseline end.",
		Why:    "Secrets Manager values and decrypted data keys are credentials and data that outlive the leaked key.",
		Attack: []string{"T1555.006"}},
	{ID: "COST-04", Title: "Balance check then spend", Severity: Medium, SeverityText: "medium",
		Logic:      "A BSS balance or bill query (QueryAccountBalance, QueryBill, QueryInstanceBill, DescribeInstanceBill) followed within an hour by a COST-01 call (RunInstances, CreateInstance, CreateAutoProvisioningGroup, StartInstance(s), ModifyInstanceSpec) of the key. " + routineText,
		Parameters: "1 hour.",
		Why:        "Checking how much money the account has right before creating compute is how miners size their abuse.",
		Attack:     []string{"T1526", "T1496.001"}},
	{ID: "DEST-07", Title: "Services stopped", Severity: Medium, SeverityText: "medium",
		Logic:      "ECS StopInstance/StopInstances on 3 or more distinct instances within 10 minutes from one source (windows do not overlap). " + routineText,
		Parameters: "3 instances, 10 minutes.",
		Why:        "Stopping instances in bulk is an outage, and often the step before deleting or ransoming them.",
		Attack:     []string{"T1489"}},
	{ID: "EVADE-06", Title: "Security agent disabled", Severity: Critical, SeverityText: "critical",
		Logic:  "Security Center (Sas) PauseClient with Value 0 (or an unlogged Value); ECS RunCommand or CreateCommand whose decoded CommandContent names a security or monitoring agent (aegis, AliYunDun, yundun, cloudmonitor, argusagent) together with uninstall, stop, disable, kill or remove.",
		Why:    "Turning off the host security agent blinds the defenders on every instance it protected.",
		Attack: []string{"T1562.001"}},
	{ID: "EVADE-07", Title: "Trace cleanup", Severity: Medium, SeverityText: "medium",
		Logic:      "ECS DeleteCommand within 10 minutes after the key's InvokeCommand (for the same CommandId when both log it); DeleteUser of a user the key created. " + routineText,
		Parameters: "10 minutes.",
		Why:        "Deleting the command or the user used in the attack hides what happened.",
		Attack:     []string{"T1070"}},
}

// withMoreRuleInfos returns infos with moreRuleInfos inserted in catalogue
// order: each after the last rule of its family with a smaller id.
func withMoreRuleInfos(infos []RuleInfo) []RuleInfo {
	out := infos
	for _, add := range moreRuleInfos {
		if slices.ContainsFunc(out, func(r RuleInfo) bool { return r.ID == add.ID }) {
			continue
		}
		fam := ruleFamily(add.ID)
		at := -1
		for i, r := range out {
			if ruleFamily(r.ID) != fam {
				continue
			}
			if r.ID < add.ID {
				at = i + 1
			} else if at < 0 {
				at = i
			}
		}
		if at < 0 {
			at = len(out)
		}
		out = append(out[:at:at], append([]RuleInfo{add}, out[at:]...)...)
	}
	return out
}

func ruleFamily(id string) string {
	f, _, _ := strings.Cut(id, "-")
	return f
}

func checkStorageDiscovery(ev *Event) (bool, Severity, string) {
	return true, Low, bucketOf(ev)
}

func checkCodeLaunch(ev *Event) (bool, Severity, string) {
	for _, k := range []string{"FunctionName", "ContainerGroupName", "TriggerName", "ServiceName"} {
		if v := ev.Params[k]; v != "" {
			return true, High, v
		}
	}
	return true, High, ""
}

// checkMetadataTheft is EXEC-03: a command reading credentials from the
// instance metadata service.
func checkMetadataTheft(ev *Event) (bool, Severity, string) {
	if !readsMetadataCredentials(commandText(ev)) {
		return false, 0, ""
	}
	subj := firstInstance(ev)
	if role := metadataRole(commandText(ev)); role != "" {
		if subj != "" {
			subj += " role " + role
		} else {
			subj = "role " + role
		}
	}
	return true, Critical, subj
}

// checkAgentDisabled is EVADE-06.
func checkAgentDisabled(ev *Event) (bool, Severity, string) {
	if ev.Name == "PauseClient" {
		if v, ok := ev.Params["Value"]; ok && strings.TrimSpace(v) != "0" {
			return false, 0, ""
		}
		return true, Critical, ev.Params["Uuids"]
	}
	if !disablesAgent(commandText(ev)) {
		return false, 0, ""
	}
	return true, Critical, firstInstance(ev)
}

// commandText is a Cloud Assistant command's content as run: the
// CommandContent parameter base64-decoded (unless ContentEncoding says
// PlainText), followed by the raw value, lower-cased. "" when the event
// logs no content.
func commandText(ev *Event) string {
	raw := ev.Params["CommandContent"]
	if raw == "" {
		return ""
	}
	text := raw
	if !strings.EqualFold(ev.Params["ContentEncoding"], "PlainText") {
		s := strings.TrimSpace(raw)
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(s); err == nil && utf8.Valid(b) {
				text = string(b) + "\n" + raw
				break
			}
		}
	}
	return strings.ToLower(text)
}

// readsMetadataCredentials reports whether lower-cased command text reads
// credentials from the ECS metadata service.
func readsMetadataCredentials(text string) bool {
	if !strings.Contains(text, "100.100.100.200") {
		return false
	}
	for _, p := range []string{"security-credentials", "user-data", "api/token"} {
		if strings.Contains(text, p) {
			return true
		}
	}
	return false
}

// metadataRole is the role name in a security-credentials/<role> path of
// lower-cased command text ("" if none). Role names are case-insensitive
// in RAM, so the lower-cased name compares with lower-cased role names.
func metadataRole(text string) string {
	_, rest, ok := strings.Cut(text, "security-credentials/")
	if !ok {
		return ""
	}
	end := 0
	for end < len(rest) {
		c := rest[end]
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '@' {
			end++
			continue
		}
		break
	}
	return rest[:end]
}

var (
	agentNames = []string{"aegis", "aliyundun", "yundun", "cloudmonitor", "argusagent"}
	agentVerbs = []string{"uninstall", "stop", "disable", "kill", "remove", "rm -"}
)

// disablesAgent reports whether lower-cased command text names a security
// or monitoring agent and an action that removes or stops it.
func disablesAgent(text string) bool {
	if text == "" {
		return false
	}
	named := false
	for _, a := range agentNames {
		named = named || strings.Contains(text, a)
	}
	if !named {
		return false
	}
	for _, v := range agentVerbs {
		if strings.Contains(text, v) {
			return true
		}
	}
	return false
}

// instanceIDs lists the instances an ECS call targets: InstanceId,
// InstanceIds and InstanceId.N, each a single id, a JSON array or a
// comma-separated list.
func instanceIDs(ev *Event) []string {
	var out []string
	add := func(v string) {
		for f := range strings.FieldsFuncSeq(v, func(r rune) bool {
			return r == ',' || r == '[' || r == ']' || r == '"' || r == ' ' || r == '\t' || r == '\n'
		}) {
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	for k, v := range ev.Params {
		if k == "InstanceId" || k == "InstanceIds" || strings.HasPrefix(k, "InstanceId.") {
			add(v)
		}
	}
	slices.Sort(out)
	return out
}

func firstInstance(ev *Event) string {
	ids := instanceIDs(ev)
	switch len(ids) {
	case 0:
		return ""
	case 1:
		return ids[0]
	}
	return ids[0] + " +" + strconv.Itoa(len(ids)-1)
}

// bucketOf names the OSS bucket of an event: the bucket/BucketName
// parameter, else an ACS::OSS::Bucket resource, else the bucket part of an
// object resource ("bucket/key" or an acs:oss ARN).
func bucketOf(ev *Event) string {
	for _, k := range []string{"bucket", "BucketName", "bucketName"} {
		if v := ev.Params[k]; v != "" {
			return v
		}
	}
	var obj string
	for _, r := range ev.Resources {
		t := strings.ToLower(r.Type)
		switch {
		case strings.Contains(t, "oss::bucket"):
			return r.Name
		case obj == "" && strings.Contains(t, "oss::object"):
			obj = r.Name
		}
	}
	if obj == "" {
		return ""
	}
	if strings.HasPrefix(obj, "acs:oss:") {
		// acs:oss:<region>:<account>:<bucket>/<key>
		parts := strings.SplitN(obj, ":", 5)
		if len(parts) < 5 {
			return ""
		}
		obj = parts[4]
	}
	b, _, _ := strings.Cut(obj, "/")
	return b
}
