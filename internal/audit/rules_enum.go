package audit

// enumRules are the ENUM rules, in catalogue order (see rules_catalogue.go).
// Enumeration and discovery (ENUM). The bursts (ENUM-02, -03, -05) are
// windows over the per-source minute cells (rules_window.go).
var enumRules = []ruleDef{
	{
		RuleInfo: RuleInfo{ID: "ENUM-01", Title: "Identity probe", Severity: Low, SeverityText: "low; medium when it is the first call of a new source",
			Logic:  "STS GetCallerIdentity. Routine (dropped) when a known, trusted source calls it and the key called it before the baseline end.",
			Why:    "\"Whose key is this?\" is the first question of anyone who finds a key.",
			Attack: []string{"T1033"}},
		routine: routineKnown,
		table:   &tableRule{apis: apis("Sts", "GetCallerIdentity")},
		tests:   []string{"TestEnumerationRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "ENUM-02", Title: "Region sweep", Severity: Medium, SeverityText: "medium",
			Logic:      "Describe*/List* read calls in 5 or more distinct regions within 10 minutes from one source. A known source only fires after the baseline end with a region first seen then.",
			Parameters: "5 regions, 10 minutes.",
			Why:        "Attack tools walk every region to find what a key can reach; applications stay in theirs.",
			Attack:     []string{"T1580"}},
		routine: routineNovelty,
		eval:    (*Engine).windowFindings,
		tests:   []string{"TestEnumerationRules", "TestLeakScenario", "TestSubjectsIndependentOfFileOrder"},
	},
	{
		RuleInfo: RuleInfo{ID: "ENUM-03", Title: "Broad enumeration burst", Severity: Medium, SeverityText: "medium",
			Logic:      "15 or more distinct read APIs across 3 or more services within 15 minutes from one source. A known source only fires after the baseline end with an API first seen then.",
			Parameters: "15 APIs, 3 services, 15 minutes.",
			Why:        "Tools like CloudSword and cf enumerate everything a key can see before they act.",
			Attack:     []string{"T1580", "T1526"}},
		routine: routineNovelty,
		eval:    (*Engine).windowFindings,
		tests:   []string{"TestEnumerationRules", "TestLeakScenario"},
	},
	{
		RuleInfo: RuleInfo{ID: "ENUM-04", Title: "Identity and permission enumeration", Severity: Medium, SeverityText: "medium",
			Logic:  "A RAM/IMS enumeration call (catalogue section 3, e.g. ListUsers, ListPoliciesForUser, GetAccessKeyLastUsed) by a key that made no Ram or Ims read before the baseline end.",
			Why:    "Mapping users and policies is how an intruder plans persistence and privilege escalation.",
			Attack: []string{"T1087.004", "T1069.003"}},
		routine: routineKnown,
		table: &tableRule{apis: join(
			apis("Ram", "ListUsers GetUser ListRoles GetRole ListGroups ListGroupsForUser ListUsersForGroup ListPolicies ListPoliciesForUser ListPoliciesForGroup ListPoliciesForRole GetPolicy GetPolicyVersion ListPolicyVersions ListEntitiesForPolicy ListAccessKeys GetAccessKeyLastUsed GetLoginProfile GetUserMFAInfo GetAccountAlias"),
			apis("Ims", "ListUsers GetUser ListAccessKeys ListUserBasicInfos GetCredentialReport GenerateCredentialReport GetSecurityPreference GetPasswordPolicy ListSAMLProviders ListOIDCProviders ListApplications GetAccessKeyLastUsed")),
			params: []string{"UserName"}},
		tests: []string{"TestEnumerationRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "ENUM-05", Title: "Permission probing", Severity: Medium, SeverityText: "medium; high with 10 or more failures in the window",
			Logic:      "5 or more authorisation failures (NoPermission*, Forbidden*, AccessDenied, ...) spanning 3 or more APIs or 2 or more services within 5 minutes from one source. Calls that failed authentication (SignatureDoesNotMatch, InvalidAccessKeyId*) count when a trail holds them, but ActionTrail does not document recording them (the lab records only a disabled key's correctly signed calls), so the rule never depends on them.",
			Parameters: "5 failures (10 for high), 5 minutes.",
			Why:        "Trying API after API and collecting refusals is how a stolen key's permissions are mapped.",
			Attack:     []string{"T1069.003", "T1087.004"}},
		eval:  (*Engine).windowFindings,
		tests: []string{"TestEnumerationRules", "TestLeakScenario"},
	},
	{
		RuleInfo: RuleInfo{ID: "ENUM-06", Title: "Storage discovery", Severity: Low, SeverityText: "low",
			Logic:  "OSS ListBuckets/GetService, GetBucketInfo, GetBucketStat, GetBucketAcl, GetBucketPolicy, ListObjects(V2) (GetBucket/GetBucketV2 in OSS access logs). Routine (dropped) for a known, trusted source calling APIs the key already used before the baseline end.",
			Why:    "Listing buckets and their contents is how an intruder finds the data worth taking.",
			Attack: []string{"T1619"}},
		routine: routineKnown,
		table: &tableRule{apis: apis("Oss", "ListBuckets GetService GetBucketInfo GetBucketStat GetBucketAcl GetBucketPolicy ListObjects ListObjectsV2 GetBucket GetBucketV2"),
			params: []string{"BucketName", "bucket", "prefix"}, check: checkStorageDiscovery},
		tests: []string{"TestMoreEnumerationRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "ENUM-07", Title: "Credential-bearing metadata read", Severity: High, SeverityText: "high",
			Logic:  "ECS DescribeUserData or DescribeInstanceRamRole, KMS ListSecrets. Routine (dropped) for a known, trusted source calling APIs the key already used before the baseline end.",
			Why:    "User data and instance roles often hold credentials that outlive the leaked key.",
			Attack: []string{"T1552.005", "T1555.006"}},
		routine: routineKnown,
		table: &tableRule{apis: join(apis("Ecs", "DescribeUserData DescribeInstanceRamRole"), apis("Kms", "ListSecrets")),
			params: []string{"InstanceId", "RegionId"}, subject: "InstanceId"},
		tests: []string{"TestEnumerationRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "ENUM-08", Title: "Logging, billing and inventory recon", Severity: Low, SeverityText: "low",
			Logic:  "ActionTrail DescribeTrails/GetTrailStatus/LookupEvents, BSS balance and bill queries (QueryAccountBalance, QueryBill, QueryInstanceBill, DescribeInstanceBill) and QueryAvailableInstances, Resource Center SearchResources/GetResourceCounts, Resource Directory ListAccounts, ListAccountsForParent and GetResourceDirectory. Routine for known sources as ENUM-01.",
			Why:    "Checking what is logged and how much money the account has precedes evasion and cost abuse.",
			Attack: []string{"T1526"}},
		routine: routineKnown,
		table: &tableRule{apis: join(
			apis("Actiontrail", "DescribeTrails GetTrailStatus LookupEvents"),
			apis("BssOpenApi", "QueryAccountBalance QueryBill QueryInstanceBill DescribeInstanceBill QueryAvailableInstances"),
			apis("ResourceCenter", "SearchResources GetResourceCounts"),
			apis("ResourceManager", "ListAccounts ListAccountsForParent GetResourceDirectory"))},
		tests: []string{"TestEnumerationRules"},
	},
}

func checkStorageDiscovery(ev *Event) (bool, Severity, string) {
	return true, Low, bucketOf(ev)
}
