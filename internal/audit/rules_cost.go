package audit

// cost01Burst is COST-01's critical volume: instances launched in one
// clock hour.
const cost01Burst = 5

// costRules are the COST rules, in catalogue order (see rules_catalogue.go).
// Cost abuse (COST). COST-01 and COST-03 add baseline conditions in
// tableFindings (rules.go); COST-02 is rules_context.go's newRegions,
// COST-04 rules_more_findings.go's balanceThenSpend.
var costRules = []ruleDef{
	{
		RuleInfo: RuleInfo{ID: "COST-01", Title: "Compute created", Severity: High, SeverityText: "high; critical for 5 or more instances in an hour, a GPU/FPGA instance type, or a region new to the key",
			Logic:      "ECS RunInstances, CreateInstance, CreateAutoProvisioningGroup, StartInstance(s), ModifyInstanceSpec; successful instances (Amount, default 1) are summed per hour.",
			Parameters: "5 instances per hour; GPU families gn*, vgn*, sgn*, gi*, f1, f3 (also ebm*/scc*).",
			Why:        "Cryptomining on the victim's bill is the most common abuse of a leaked key.",
			Attack:     []string{"T1496.001", "T1578.002"}},
		routine: routineDays,
		table: &tableRule{apis: apis("Ecs", "RunInstances CreateInstance CreateAutoProvisioningGroup StartInstance StartInstances ModifyInstanceSpec"),
			params: []string{"InstanceType", "Amount", "RegionId", "InstanceId", "ImageId"}, subject: "InstanceType"},
		tests: []string{"TestLeakScenario", "TestSensitiveActionRules", "TestRoutineComputeDepartures"},
	},
	{
		RuleInfo: RuleInfo{ID: "COST-02", Title: "Activity in an unused region", Severity: Medium, SeverityText: "medium; high when the key wrote in that region",
			Logic:  "An acsRegion first used by the key at or after the baseline end.",
			Why:    "Attackers launch resources in regions nobody watches.",
			Attack: []string{"T1535"}},
		eval:  (*Engine).newRegions,
		tests: []string{"TestAuditReadsEveryRegion", "TestSensitiveActionRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "COST-03", Title: "SMS abuse", Severity: High, SeverityText: "high; critical when an hour reaches max(100, 5 x the baseline's busiest SMS hour) sends",
			Logic:      "Dysms SendSms, SendBatchSms, BatchSendMessageToGlobe, SendMessageToGlobe, AddSmsSign, AddSmsTemplate, CreateSmsSign, CreateSmsTemplate, when the key had no SMS activity before the baseline end or the call came from a new or untrusted source; always at burst rate.",
			Parameters: "burst ceiling max(100/h, 5 x baseline peak hour).",
			Why:        "SMS spam and fraud on the victim's account cost money by the minute and damage its sender reputation.",
			Attack:     []string{"T1496.003", "T1496.004"}},
		routine: routineDays,
		table: &tableRule{noOnset: true, apis: apis("Dysms", "SendSms SendBatchSms BatchSendMessageToGlobe SendMessageToGlobe AddSmsSign AddSmsTemplate CreateSmsSign CreateSmsTemplate"),
			params: []string{"SignName", "TemplateCode"}, subject: "SignName"},
		tests: []string{"TestLeakScenario", "TestSensitiveActionRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "COST-04", Title: "Balance check then spend", Severity: Medium, SeverityText: "medium",
			Logic:      "A BSS balance or bill query (QueryAccountBalance, QueryBill, QueryInstanceBill, DescribeInstanceBill) followed within an hour by a COST-01 call (RunInstances, CreateInstance, CreateAutoProvisioningGroup, StartInstance(s), ModifyInstanceSpec) of the key. " + routineText,
			Parameters: "1 hour.",
			Why:        "Checking how much money the account has right before creating compute is how miners size their abuse.",
			Attack:     []string{"T1526", "T1496.001"}},
		routine: routineDays,
		eval:    (*Engine).balanceThenSpend,
		tests:   []string{"TestMoreCostAndDestructionRules", "TestMoreRoutine", "TestMoreRoutineDeparture"},
	},
}
