package audit

// ctxRules are the CTX rules, in catalogue order (see rules_catalogue.go).
// Context (CTX): how, when and from where the key is used. Their evaluation
// is in rules_context.go (CTX-07 in rules_more_findings.go, and follow.go
// for the identities the key created).
var ctxRules = []ruleDef{
	{
		RuleInfo: RuleInfo{ID: "CTX-01", Title: "Root account AccessKey used", Severity: Critical, SeverityText: "critical",
			Logic:  "An ApiCall event whose userIdentity.type is root-account and that carries an accessKeyId. This rule describes the key, not an incident: the verdict does not count it as a sign of a leak on its own.",
			Why:    "A root-account key can do anything in the account and cannot be limited by a RAM policy; Alibaba Cloud recommends having none.",
			Attack: []string{"T1078.004"}},
		eval:  (*Engine).contextFindings,
		tests: []string{"TestContextRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "CTX-02", Title: "Calls outside business hours", Severity: Low, SeverityText: "low; medium if a call in an off-hours minute wrote; high if it was a sensitive write (a high or critical table rule)",
			Logic:      "Minutes of activity whose local time (--tz) falls outside --business-hours, unless the key is habitually used at that hour of the week (the hour-of-week bucket holds at least 1 % of its calls in a warm baseline).",
			Parameters: "--business-hours (default Mon-Fri 09:00-19:00), --bh-tz (default Asia/Shanghai); habit threshold 1 %.",
			Why:        "Attackers act when the owners sleep; a key used at 3 a.m. for the first time deserves a look.",
			Attack:     []string{"T1078.004"}},
		eval:  (*Engine).offHoursFinding,
		tests: []string{"TestContextRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "CTX-03", Title: "Unexpected source IP", Severity: Medium, SeverityText: "medium; high when the source made a sensitive write (a high or critical table rule)",
			Logic:      "A source IP that is new (first seen at or after the baseline end) or, when --trusted-cidr is given, outside it. sourceIpAddress values that are not IP addresses (service host names, \"Internal\") and private or 100.64.0.0/10 addresses seen with a vpcId are skipped; loopback and private addresses without a vpcId are judged like public ones.",
			Parameters: "--trusted-cidr; the baseline end (see Baseline).",
			Why:        "A leaked key is used from the attacker's network, not from where the key normally lives.",
			Attack:     []string{"T1078.004"}},
		routine: routineUnflagged,
		eval:    (*Engine).unexpectedSources,
		tests:   []string{"TestContextRules", "TestEscalation", "TestEvidenceCompleteForFlaggedSources", "TestLeakScenario", "TestVerdict"},
	},
	{
		RuleInfo: RuleInfo{ID: "CTX-04", Title: "Concurrent use from several sources", Severity: High, SeverityText: "high",
			Logic:      "3 or more distinct source IPs within 10 minutes, or 2 in different /16 networks (/48 for IPv6) within 5 minutes, when at least one of them is new or untrusted (a fleet of known hosts sharing a key is normal).",
			Parameters: "windows 10 and 5 minutes (whole minutes).",
			Why:        "The same key used at once from unrelated networks means more than one party holds it.",
			Attack:     []string{"T1078.004"}},
		routine: routineUnflagged,
		eval:    (*Engine).concurrentSources,
		tests:   []string{"TestContextRules", "TestSubjectsIndependentOfFileOrder"},
	},
	{
		RuleInfo: RuleInfo{ID: "CTX-05", Title: "Key verified by a secret scanner", Severity: Medium, SeverityText: "medium",
			Logic:      "A userAgent containing a secret scanner's name (--scanner-agent list, default TruffleHog, gitleaks, ghost-ak, ...), or a new source whose first call is STS GetCallerIdentity or ECS DescribeRegions (the classic key checks).",
			Parameters: "Options.ScannerAgents.",
			Why:        "Someone found the key (in a repository, an image, a log) and checked that it works; abuse usually follows within hours.",
			Attack:     []string{"T1078.004", "T1552.001"}},
		eval:  (*Engine).scannerVerification,
		tests: []string{"TestContextRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "CTX-06", Title: "Alibaba restrictive protection hit", Severity: Critical, SeverityText: "critical",
			Logic:  "A failed call whose errorMessage says the request was refused for the risk of leakage of this AccessKey.",
			Why:    "Alibaba Cloud already believes the key is leaked, and someone still tried a high-risk API with it.",
			Attack: []string{"T1078.004"}},
		eval:  (*Engine).contextFindings,
		tests: []string{"TestContextRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "CTX-07", Title: "STS credentials used from outside", Severity: High,
			SeverityText: "high; critical when the key read instance credentials through Cloud Assistant (EXEC-03) before the outside use (the Cloud Assistant → metadata → STS pivot)",
			Logic: "Events of an STS key (STS.*) from a public source outside --trusted-cidr, for a role this key assumed (AssumeRole credentials.accessKeyId) or an instance role it touched (AttachInstanceRamRole, DescribeInstanceRamRole with RamRoleName, or a security-credentials/<role> path in a Cloud Assistant command). " +
				"Sources the role used before the pivot (the first metadata read, else the baseline end) are the instance's own and are not flagged; non-IP sources (\"Internal\", service hosts), 100.64.0.0/10 and private addresses with a vpcId are Alibaba-internal and never flagged. " +
				"Needs the STS keys' events in the input (trail files, or LookupEvents without the key filter). When the audited key is itself an STS key of such a role, or of a session named after an instance (i-...), its new or untrusted public sources fire.",
			Parameters: "--trusted-cidr.",
			Why:        "Temporary credentials of an instance or an assumed role used from somewhere else mean someone carried them out: they keep working after the leaked key is disabled, until they expire.",
			Attack:     []string{"T1552.005", "T1550.001"}},
		eval:  (*Engine).stsOutside,
		tests: []string{"TestFollowInstanceRolePivot", "TestFollowLabRoleAndSession", "TestFollowOffline", "TestInstanceRolePivot", "TestMoreContextRules", "TestSTSKeyAuditedItself"},
	},
	{
		RuleInfo: RuleInfo{ID: "CTX-08", Title: "New user agent for the key", Severity: Low, SeverityText: "low",
			Logic:  "A user-agent family (the first product token, qualified by language for the SDK core, e.g. \"AlibabaCloud Go\", \"aliyun-cli\") first seen at or after the baseline end.",
			Why:    "Applications keep their SDK; a new tool on an old key is often someone else's.",
			Attack: []string{"T1078.004"}},
		eval:  (*Engine).newUserAgents,
		tests: []string{"TestContextRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "CTX-09", Title: "Dormant key reused", Severity: Medium, SeverityText: "medium",
			Logic:      "The first event after 30 days or more without any event of the key.",
			Parameters: "gap 30 days (hour resolution).",
			Why:        "Forgotten keys are the ones that leak; a sudden return after a month is suspicious.",
			Attack:     []string{"T1078.004"}},
		eval:  (*Engine).dormantReuse,
		tests: []string{"TestContextRules"},
	},
}
