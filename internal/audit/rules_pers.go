package audit

import "strings"

// persRules are the PERS rules, in catalogue order (see rules_catalogue.go).
// Persistence (PERS). The takeover chain and the use of created principals
// (PERS-04, -05) are evaluated in rules_context.go (chainFindings) and
// follow.go; the network back door (PERS-08) in rules_more_findings.go.
var persRules = []ruleDef{
	{
		RuleInfo: RuleInfo{ID: "PERS-01", Title: "RAM user created", Severity: High, SeverityText: "high",
			Logic:  "CreateUser (Ram or Ims). The user is listed in created_identities.",
			Why:    "A new user is the attacker's way back in after the leaked key is disabled.",
			Attack: []string{"T1136.003"}},
		routine: routineDays,
		table:   &tableRule{apis: ramAPIs("CreateUser"), params: []string{"UserName", "DisplayName"}, subject: "UserName"},
		tests:   []string{"TestEscalation", "TestFollowOffline", "TestLeakScenario", "TestSensitiveActionRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "PERS-02", Title: "Console password set", Severity: High, SeverityText: "high",
			Logic:  "CreateLoginProfile, UpdateLoginProfile, or ChangePassword acting on another user.",
			Why:    "A console login survives key rotation and gives the attacker the web console.",
			Attack: []string{"T1098"}},
		routine: routineDays,
		table: &tableRule{apis: ramAPIs("CreateLoginProfile UpdateLoginProfile ChangePassword"), params: []string{"UserName", "MFABindRequired", "PasswordResetRequired"},
			check: checkLoginProfile},
		tests: []string{"TestSensitiveActionRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "PERS-03", Title: "New AccessKey issued", Severity: Critical, SeverityText: "critical",
			Logic:  "CreateAccessKey; UpdateAccessKey with Status Active; IMS RestoreAccessKeyFromRecycleBin. The new key id (responseElements.AccessKey.AccessKeyId, never the secret) goes to created_identities.",
			Why:    "A second key is the most common persistence after a leak: disabling the first one no longer helps.",
			Attack: []string{"T1098.001"}},
		routine: routineDays,
		table: &tableRule{apis: ramAPIs("CreateAccessKey UpdateAccessKey RestoreAccessKeyFromRecycleBin"),
			params: []string{"UserName", "UserPrincipalName", "UserAccessKeyId", "Status"}, check: checkAccessKeyIssued},
		tests: []string{"TestLeakScenario", "TestSensitiveActionRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "PERS-04", Title: "Account takeover chain", Severity: Critical, SeverityText: "critical",
			Logic:      "CreateUser, then CreateLoginProfile or CreateAccessKey for that user, and AttachPolicyToUser for that user, all succeeding within 30 minutes of the CreateUser.",
			Parameters: "30 minutes.",
			Why:        "Create, give credentials, grant permissions: a complete back door built in minutes.",
			Attack:     []string{"T1136.003", "T1098.003"}},
		eval:  (*Engine).chainFindings,
		tests: []string{"TestChainRules", "TestLeakScenario"},
	},
	{
		RuleInfo: RuleInfo{ID: "PERS-05", Title: "Newly created principal in use", Severity: Critical, SeverityText: "critical",
			Logic:  "Any event (console sign-in included) by a user or AccessKey this key created, after its creation. Needs the other principals' events in the input (a trail file, or a LookupEvents query without the key filter).",
			Why:    "The back door is not just built, it is being used.",
			Attack: []string{"T1078.004"}},
		eval:  (*Engine).chainFindings,
		tests: []string{"TestChainRules", "TestFollowLabLeak", "TestFollowOffline", "TestFollowedIdentitiesForResponders", "TestLabLeakRoutineAware"},
	},
	{
		RuleInfo: RuleInfo{ID: "PERS-06", Title: "Federation or OAuth back door", Severity: Critical, SeverityText: "critical",
			Logic:  "CreateSAMLProvider, UpdateSAMLProvider, CreateOIDCProvider, AddClientIdToOIDCProvider, AddFingerprintToOIDCProvider, SetUserSsoSettings, CreateApplication, CreateAppSecret.",
			Why:    "A trusted identity provider or OAuth app lets the attacker sign in without any key or password the owners can rotate.",
			Attack: []string{"T1484.002", "T1098.001"}},
		routine: routineDays,
		table: &tableRule{apis: ramAPIs("CreateSAMLProvider UpdateSAMLProvider CreateOIDCProvider AddClientIdToOIDCProvider AddFingerprintToOIDCProvider SetUserSsoSettings CreateApplication CreateAppSecret"),
			params: []string{"SAMLProviderName", "OIDCProviderName", "AppName", "AppId"}},
		tests: []string{"TestSensitiveActionRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "PERS-07", Title: "Instance login back door", Severity: High, SeverityText: "high",
			Logic:  "ECS ImportKeyPair, CreateKeyPair, AttachKeyPair, ModifyInstanceVncPasswd, and ModifyInstanceAttribute when it sets Password or UserData.",
			Why:    "An SSH key or password on an instance gives lasting access below the cloud API.",
			Attack: []string{"T1098.004"}},
		routine: routineDays,
		table: &tableRule{apis: apis("Ecs", "ImportKeyPair CreateKeyPair AttachKeyPair ModifyInstanceVncPasswd ModifyInstanceAttribute"),
			params: []string{"KeyPairName", "InstanceId", "InstanceIds"}, check: checkInstanceLogin},
		tests: []string{"TestSensitiveActionRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "PERS-08", Title: "Network back door", Severity: Medium, SeverityText: "medium",
			Logic:  "VPC CreateVpnGateway, CreateSslVpnServer, CreateSslVpnClientCert, CreateForwardEntry; AllocateEipAddress when the key also calls AssociateEipAddress after it (for the same AllocationId when both events log it). " + routineText,
			Why:    "A VPN endpoint, a port forward or a public address on an internal instance is a network path in that no AccessKey rotation closes.",
			Attack: []string{"T1133"}},
		routine: routineDays,
		eval:    (*Engine).networkBackDoor,
		tests:   []string{"TestMorePersistenceRules"},
	},
}

func checkLoginProfile(ev *Event) (bool, Severity, string) {
	if ev.Name == "ChangePassword" && !actsOnOther(ev) {
		return false, 0, ""
	}
	return true, High, targetUser(ev)
}

func checkAccessKeyIssued(ev *Event) (bool, Severity, string) {
	if ev.Name == "UpdateAccessKey" && !strings.EqualFold(ev.Params["Status"], "Active") {
		return false, 0, ""
	}
	subj := targetUser(ev)
	if id := createdKeyID(ev); id != "" {
		if subj != "" {
			subj += " " + id
		} else {
			subj = id
		}
	}
	return true, Critical, subj
}

func checkInstanceLogin(ev *Event) (bool, Severity, string) {
	if ev.Name == "ModifyInstanceAttribute" {
		_, pw := ev.Params["Password"]
		_, ud := ev.Params["UserData"]
		if !pw && !ud {
			return false, 0, ""
		}
	}
	subj := ev.Params["KeyPairName"]
	if subj == "" {
		subj = ev.Params["InstanceId"]
	}
	return true, High, subj
}
