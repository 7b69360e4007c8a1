package audit

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"
)

// execRules are the EXEC rules, in catalogue order (see rules_catalogue.go).
// Code execution (EXEC). The sequence and batch rules (EXEC-02, -04) are
// evaluated from the bookkeeping of rules_more_events.go by
// rules_more_findings.go.
var execRules = []ruleDef{
	{
		RuleInfo: RuleInfo{ID: "EXEC-01", Title: "Cloud Assistant command", Severity: High, SeverityText: "high",
			Logic:  "ECS RunCommand, InvokeCommand, CreateCommand, SendFile, StartTerminalSession.",
			Why:    "Cloud Assistant runs code as root on instances: from a key to a shell on every server.",
			Attack: []string{"T1651"}},
		routine: routineDays,
		table: &tableRule{apis: apis("Ecs", "RunCommand InvokeCommand CreateCommand SendFile StartTerminalSession"),
			params: []string{"InstanceId", "InstanceId.1", "Type", "CommandId", "Name"}, subject: "InstanceId"},
		tests: []string{"TestSensitiveActionRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "EXEC-02", Title: "Command run then erased", Severity: High, SeverityText: "high",
			Logic:      "ECS CreateCommand, then InvokeCommand, DescribeInvocationResults and DeleteCommand by the key, in that order within 30 minutes of the CreateCommand; the CommandId must agree wherever the events log it. " + routineText,
			Parameters: "30 minutes.",
			Why:        "Creating a command, reading its output and deleting it is the signature of attack tools that run code on instances and leave nothing to see in the console.",
			Attack:     []string{"T1651", "T1070"}},
		routine: routineDays,
		eval:    (*Engine).commandErased,
		tests:   []string{"TestMoreExecutionRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "EXEC-03", Title: "Instance-metadata credential theft", Severity: Critical, SeverityText: "critical",
			Logic:  "ECS RunCommand or CreateCommand whose CommandContent (base64-decoded unless ContentEncoding is PlainText; the raw text is checked too) contains 100.100.100.200 together with security-credentials, user-data or api/token. Whether ActionTrail logs CommandContent is to be verified against a real trail.",
			Why:    "Reading the metadata service from a command steals the instance role's temporary credentials and the user data, which outlive the leaked key.",
			Attack: []string{"T1552.005"}},
		routine: routineDays,
		table: &tableRule{apis: apis("Ecs", "RunCommand CreateCommand"),
			params: []string{"InstanceId", "InstanceId.1", "InstanceIds", "CommandId", "Type", "Name"}, check: checkMetadataTheft},
		tests: []string{"TestMoreExecutionRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "EXEC-04", Title: "Batch command execution", Severity: High, SeverityText: "high",
			Logic:      "One ECS InvokeCommand or RunCommand targeting 5 or more instances (InstanceId.N, or an InstanceId/InstanceIds list), or 5 or more such invocations within 10 minutes from one source (windows do not overlap). " + routineText,
			Parameters: "5 instances, 5 invocations, 10 minutes.",
			Why:        "Running one command on many instances at once is how a foothold becomes a botnet or a ransomware deployment.",
			Attack:     []string{"T1651"}},
		routine: routineDays,
		eval:    (*Engine).batchCommands,
		tests:   []string{"TestMoreExecutionRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "EXEC-05", Title: "Serverless or container code launched", Severity: High, SeverityText: "high",
			Logic:  "Function Compute CreateFunction/CreateTrigger, ECI CreateContainerGroup, CreateContainerGroupFromTemplate, BatchCreateContainerGroups by a key with no such baseline: routine (dropped) for a known, trusted source calling APIs the key already used before the baseline end.",
			Why:    "Functions and containers run the attacker's code (often a miner) on the victim's bill, outside the instances anyone watches.",
			Attack: []string{"T1648", "T1496.001"}},
		routine: routineKnown,
		table: &tableRule{apis: join(
			apis("Fc", "CreateFunction CreateTrigger"),
			apis("Eci", "CreateContainerGroup CreateContainerGroupFromTemplate BatchCreateContainerGroups")),
			params: []string{"ServiceName", "FunctionName", "TriggerName", "Runtime", "ContainerGroupName", "RegionId"}, check: checkCodeLaunch},
		tests: []string{"TestMoreExecutionRules"},
	},
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
