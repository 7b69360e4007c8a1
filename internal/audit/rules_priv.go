package audit

import "strings"

// privRules are the PRIV rules, in catalogue order (see rules_catalogue.go).
// Privilege change (PRIV): all table rules.
var privRules = []ruleDef{
	{
		RuleInfo: RuleInfo{ID: "PRIV-01", Title: "Policy attached", Severity: High, SeverityText: "high; critical for AdministratorAccess or AliyunRAMFullAccess",
			Logic:  "AttachPolicyToUser, AttachPolicyToGroup, AttachPolicyToRole. Each attachment goes to created_identities.",
			Why:    "Granting permissions is how a foothold becomes control of the account.",
			Attack: []string{"T1098.003"}},
		routine: routineDays,
		table: &tableRule{apis: ramAPIs("AttachPolicyToUser AttachPolicyToGroup AttachPolicyToRole"),
			params: []string{"PolicyName", "PolicyType", "UserName", "GroupName", "RoleName"}, check: checkPolicyAttach},
		tests: []string{"TestLeakScenario", "TestSensitiveActionRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "PRIV-02", Title: "Policy content rewritten", Severity: High, SeverityText: "high",
			Logic:  "CreatePolicy, CreatePolicyVersion (unless SetAsDefault is false), SetDefaultPolicyVersion, UpdatePolicyVersion.",
			Why:    "Rewriting a policy silently widens every principal it is attached to.",
			Attack: []string{"T1098.003"}},
		routine: routineDays,
		table: &tableRule{apis: ramAPIs("CreatePolicy CreatePolicyVersion SetDefaultPolicyVersion UpdatePolicyVersion"),
			params: []string{"PolicyName", "VersionId", "SetAsDefault"}, check: checkPolicyRewrite},
		tests: []string{"TestSensitiveActionRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "PRIV-03", Title: "Role created or trust changed", Severity: High, SeverityText: "high; critical when the trust policy names another account",
			Logic:  "CreateRole, UpdateRole, AttachPolicyToRole. A 16-digit account id other than the caller's in AssumeRolePolicyDocument/NewAssumeRolePolicyDocument makes it critical.",
			Why:    "A role trusted by the attacker's own account is a back door that no key rotation closes.",
			Attack: []string{"T1098.003", "T1484.002"}},
		routine: routineDays,
		table: &tableRule{apis: ramAPIs("CreateRole UpdateRole AttachPolicyToRole"),
			params: []string{"RoleName", "PolicyName"}, check: checkRoleTrust},
		tests: []string{"TestSensitiveActionRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "PRIV-04", Title: "Role assumption pivot", Severity: Medium, SeverityText: "medium",
			Logic:  "STS AssumeRole, AssumeRoleWithSAML, AssumeRoleWithOIDC. Routine for known, trusted sources that assumed roles before the baseline end.",
			Why:    "Temporary credentials from a role can do what the leaked key cannot and are not stopped by disabling it.",
			Attack: []string{"T1078.004", "T1550.001"}},
		routine: routineKnown,
		table: &tableRule{apis: apis("Sts", "AssumeRole AssumeRoleWithSAML AssumeRoleWithOIDC"),
			params: []string{"RoleArn", "RoleSessionName"}, subject: "RoleArn"},
		tests: []string{"TestSensitiveActionRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "PRIV-05", Title: "Role attached to instance", Severity: High, SeverityText: "high",
			Logic:  "ECS AttachInstanceRamRole.",
			Why:    "An instance role hands the role's permissions to whoever runs code on the instance.",
			Attack: []string{"T1098.003"}},
		routine: routineDays,
		table:   &tableRule{apis: apis("Ecs", "AttachInstanceRamRole"), params: []string{"RamRoleName", "InstanceIds"}, subject: "RamRoleName"},
		tests:   []string{"TestSensitiveActionRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "PRIV-06", Title: "Group membership added", Severity: Medium, SeverityText: "medium",
			Logic:  "AddUserToGroup.",
			Why:    "Joining a privileged group is a quiet way to gain its permissions.",
			Attack: []string{"T1098.003"}},
		routine: routineDays,
		table:   &tableRule{apis: ramAPIs("AddUserToGroup"), params: []string{"UserName", "GroupName"}, subject: "GroupName"},
		tests:   []string{"TestSensitiveActionRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "PRIV-07", Title: "Authentication weakened", Severity: High, SeverityText: "high",
			Logic:  "UnbindMFADevice, DeleteVirtualMFADevice, SetSecurityPreference, SetPasswordPolicy.",
			Why:    "Removing MFA or weakening the password policy opens the console to the attacker.",
			Attack: []string{"T1556.006", "T1201"}},
		routine: routineDays,
		table: &tableRule{apis: ramAPIs("UnbindMFADevice DeleteVirtualMFADevice SetSecurityPreference SetPasswordPolicy"),
			params: []string{"UserName", "SerialNumber"}},
		tests: []string{"TestSensitiveActionRules"},
	},
}

var adminPolicies = map[string]bool{"AdministratorAccess": true, "AliyunRAMFullAccess": true}

func checkPolicyAttach(ev *Event) (bool, Severity, string) {
	pol := ev.Params["PolicyName"]
	sev := High
	if adminPolicies[pol] {
		sev = Critical
	}
	who := ev.Params["UserName"]
	for _, k := range []string{"RoleName", "GroupName"} {
		if v := ev.Params[k]; v != "" {
			who = v
		}
	}
	subj := pol
	if who != "" {
		subj = pol + " to " + who
	}
	return true, sev, subj
}

func checkPolicyRewrite(ev *Event) (bool, Severity, string) {
	if ev.Name == "CreatePolicyVersion" {
		if v, ok := ev.Params["SetAsDefault"]; ok && !strings.EqualFold(v, "true") {
			return false, 0, ""
		}
	}
	return true, High, ev.Params["PolicyName"]
}

// checkRoleTrust raises role changes whose trust policy names an account
// other than the caller's own.
func checkRoleTrust(ev *Event) (bool, Severity, string) {
	doc := ev.Params["AssumeRolePolicyDocument"]
	if doc == "" {
		doc = ev.Params["NewAssumeRolePolicyDocument"]
	}
	if foreignAccount(doc, ev.AccountID) != "" {
		return true, Critical, ev.Params["RoleName"] + " trusts account " + foreignAccount(doc, ev.AccountID)
	}
	return true, High, ev.Params["RoleName"]
}

// foreignAccount returns the first 16-digit account id in doc that is not
// own ("" if none). Alibaba Cloud account ids are 16 digits.
func foreignAccount(doc, own string) string {
	run := 0
	for i := 0; i <= len(doc); i++ {
		if i < len(doc) && doc[i] >= '0' && doc[i] <= '9' {
			run++
			continue
		}
		if run == 16 {
			if id := doc[i-16 : i]; id != own {
				return id
			}
		}
		run = 0
	}
	return ""
}
