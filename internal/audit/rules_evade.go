package audit

import "strings"

// evadeRules are the EVADE rules, in catalogue order (see
// rules_catalogue.go). Defence evasion (EVADE). Trace cleanup (EVADE-07) is
// evaluated in rules_more_findings.go.
var evadeRules = []ruleDef{
	{
		RuleInfo: RuleInfo{ID: "EVADE-01", Title: "Audit trail stopped or deleted", Severity: Critical, SeverityText: "critical",
			Logic:  "ActionTrail StopLogging, DeleteTrail.",
			Why:    "Blinding the audit trail hides everything that follows.",
			Attack: []string{"T1562.008"}},
		routine: routineDays,
		table:   &tableRule{apis: apis("Actiontrail", "StopLogging DeleteTrail"), params: []string{"Name"}, subject: "Name"},
		tests:   []string{"TestLeakScenario", "TestSensitiveActionRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "EVADE-02", Title: "Audit trail weakened", Severity: High, SeverityText: "high",
			Logic:  "ActionTrail UpdateTrail, DeleteDataEventSelector, DisableInsight.",
			Why:    "Narrowing what a trail records or where it delivers is quieter than stopping it.",
			Attack: []string{"T1562.008"}},
		routine: routineDays,
		table: &tableRule{apis: apis("Actiontrail", "UpdateTrail DeleteDataEventSelector DisableInsight"),
			params: []string{"Name", "EventRW", "TrailRegion", "OssBucketName", "SlsProjectArn"}, subject: "Name"},
		tests: []string{"TestSensitiveActionRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "EVADE-03", Title: "Log storage tampered", Severity: Critical, SeverityText: "critical",
			Logic:  "SLS DeleteLogStore, DeleteProject, ClearLogStoreStorage, UpdateLogStore, DeleteIndex, DeleteConfig, and any other SLS Delete* write.",
			Why:    "Deleting the logs the trail is delivered to destroys the evidence.",
			Attack: []string{"T1562.008"}},
		routine: routineDays,
		table: &tableRule{apis: apis("Sls", "DeleteLogStore DeleteProject ClearLogStoreStorage UpdateLogStore DeleteIndex DeleteConfig"),
			params: []string{"ProjectName", "project", "logstore", "LogstoreName", "ttl"}},
		tests: []string{"TestSensitiveActionRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "EVADE-04", Title: "VPC flow log disabled", Severity: High, SeverityText: "high",
			Logic:  "VPC DeactiveFlowLog, DeleteFlowLog.",
			Why:    "Without flow logs, network exfiltration leaves no trace.",
			Attack: []string{"T1562.008"}},
		routine: routineDays,
		table:   &tableRule{apis: apis("Vpc", "DeactiveFlowLog DeleteFlowLog"), params: []string{"FlowLogId"}},
		tests:   []string{"TestFlowLogDisabled"},
	},
	{
		RuleInfo: RuleInfo{ID: "EVADE-05", Title: "Firewall opened", Severity: High, SeverityText: "high",
			Logic:  "ECS AuthorizeSecurityGroup from 0.0.0.0/0 or ::/0 (or an unlogged source), AuthorizeSecurityGroupEgress, ModifySecurityGroupPolicy.",
			Why:    "Opening security groups exposes instances and databases to the internet.",
			Attack: []string{"T1562.007"}},
		routine: routineDays,
		table: &tableRule{apis: apis("Ecs", "AuthorizeSecurityGroup AuthorizeSecurityGroupEgress ModifySecurityGroupPolicy"),
			params: []string{"SecurityGroupId", "SourceCidrIp", "DestCidrIp", "PortRange", "IpProtocol"}, check: checkFirewallOpen},
		tests: []string{"TestSensitiveActionRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "EVADE-06", Title: "Security agent disabled", Severity: Critical, SeverityText: "critical",
			Logic:  "Security Center (Sas) PauseClient with Value 0 (or an unlogged Value); ECS RunCommand or CreateCommand whose decoded CommandContent names a security or monitoring agent (aegis, AliYunDun, yundun, cloudmonitor, argusagent) together with uninstall, stop, disable, kill or remove.",
			Why:    "Turning off the host security agent blinds the defenders on every instance it protected.",
			Attack: []string{"T1562.001"}},
		routine: routineDays,
		table: &tableRule{apis: join(apis("Sas", "PauseClient"), apis("Yundun-sas", "PauseClient"), apis("Ecs", "RunCommand CreateCommand")),
			params: []string{"Value", "Uuids", "InstanceId", "InstanceId.1", "InstanceIds", "CommandId", "Name"}, check: checkAgentDisabled},
		tests: []string{"TestMoreEvasionRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "EVADE-07", Title: "Trace cleanup", Severity: Medium, SeverityText: "medium",
			Logic:      "ECS DeleteCommand within 10 minutes after the key's InvokeCommand (for the same CommandId when both log it); DeleteUser of a user the key created. " + routineText,
			Parameters: "10 minutes.",
			Why:        "Deleting the command or the user used in the attack hides what happened.",
			Attack:     []string{"T1070"}},
		routine: routineDays,
		eval:    (*Engine).traceCleanup,
		tests:   []string{"TestMoreEvasionRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "EVADE-08", Title: "AccessKey network ACL changed", Severity: High, SeverityText: "high",
			Logic:  "IMS SetAccessKeyPolicy or SetAccessKeyPolicyForAccount made by the key itself (akresp's own calls are excluded by user agent).",
			Why:    "An attacker widens the key's allow list to its own address, or removes a containment.",
			Attack: []string{"T1098", "T1562"}},
		routine: routineDays,
		table: &tableRule{apis: apis("Ims", "SetAccessKeyPolicy SetAccessKeyPolicyForAccount"),
			params: []string{"UserAccessKeyId", "UserPrincipalName", "AccessKeyId"}},
		tests: []string{"TestSensitiveActionRules"},
	},
}

func checkFirewallOpen(ev *Event) (bool, Severity, string) {
	if ev.Name == "AuthorizeSecurityGroup" {
		src := ev.Params["SourceCidrIp"]
		if src != "" && src != "0.0.0.0/0" && src != "::/0" {
			return false, 0, ""
		}
	}
	return true, High, ev.Params["SecurityGroupId"]
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
