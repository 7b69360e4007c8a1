package audit

import "strings"

// Category is the kind of harm a sensitive API action can do, as the
// detection catalogue's section 3 classifies it.
type Category string

// Sensitive action categories (detection-catalogue.md section 3).
const (
	CategoryEnum  Category = "enum"  // enumeration / discovery
	CategoryPers  Category = "pers"  // persistence
	CategoryPriv  Category = "priv"  // privilege change
	CategoryExec  Category = "exec"  // code execution
	CategoryExfil Category = "exfil" // collection / exfiltration / exposure
	CategoryCost  Category = "cost"  // cost abuse (resource hijacking)
	CategoryDest  Category = "dest"  // destruction / lock-out
	CategoryEvade Category = "evade" // defence evasion
)

// SensitiveAction is one row entry of the catalogue's sensitive-action table:
// an API (event name) of a service that an attacker with a leaked key uses
// for one purpose. An API may appear in several categories.
type SensitiveAction struct {
	Service  string   // canonical serviceName, e.g. "Ram" (see CanonicalService)
	Name     string   // eventName / API name, e.g. "CreateUser"
	Category Category //
	// Action is the RAM authorisation action, e.g. "ram:CreateUser"; a deny
	// policy names it.
	Action string
}

// catalogueRow is one line of detection-catalogue.md section 3.
type catalogueRow struct {
	service string // serviceName as the catalogue writes it
	prefix  string // RAM action prefix
	cat     Category
	names   string // space-separated API names
}

// catalogueRows transcribes detection-catalogue.md section 3 ("Sensitive
// Alibaba API actions by service and category"). Service names the catalogue
// marks "(verify)" are kept as written; they are canonicalised when the
// table is built, so "ResourceManager" matches an event's "Resourcemanager".
var catalogueRows = []catalogueRow{
	{"Sts", "sts", CategoryEnum, "GetCallerIdentity"},
	{"Sts", "sts", CategoryPriv, "AssumeRole AssumeRoleWithSAML AssumeRoleWithOIDC"},

	{"Ram", "ram", CategoryEnum, "ListUsers GetUser ListRoles GetRole ListGroups ListGroupsForUser ListUsersForGroup ListPolicies ListPoliciesForUser ListPoliciesForGroup ListPoliciesForRole GetPolicy GetPolicyVersion ListPolicyVersions ListEntitiesForPolicy ListAccessKeys GetAccessKeyLastUsed GetLoginProfile GetUserMFAInfo GetAccountAlias"},
	{"Ram", "ram", CategoryPers, "CreateUser CreateLoginProfile UpdateLoginProfile ChangePassword CreateAccessKey UpdateAccessKey BindMFADevice CreateVirtualMFADevice SetAccountAlias UpdateUser"},
	{"Ram", "ram", CategoryPriv, "AttachPolicyToUser AttachPolicyToGroup AttachPolicyToRole AddUserToGroup CreateGroup CreateRole UpdateRole CreatePolicy CreatePolicyVersion SetDefaultPolicyVersion PassRole"},
	{"Ram", "ram", CategoryEvade, "UnbindMFADevice DeleteVirtualMFADevice SetSecurityPreference SetPasswordPolicy DetachPolicyFromUser DetachPolicyFromGroup DetachPolicyFromRole"},
	{"Ram", "ram", CategoryDest, "DeleteUser DeleteAccessKey DeleteRole DeleteGroup DeletePolicy"},

	{"Ims", "ram", CategoryEnum, "ListUsers ListUserBasicInfos GetCredentialReport GenerateCredentialReport GetSecurityPreference GetPasswordPolicy ListSAMLProviders ListOIDCProviders ListApplications GetAccessKeyLastUsed"},
	{"Ims", "ram", CategoryPers, "CreateUser CreateLoginProfile UpdateLoginProfile CreateAccessKey UpdateAccessKey CreateApplication CreateAppSecret RestoreUserFromRecycleBin RestoreAccessKeyFromRecycleBin SetVerificationInfo"},
	{"Ims", "ram", CategoryPriv, "CreateSAMLProvider UpdateSAMLProvider CreateOIDCProvider UpdateOIDCProvider AddClientIdToOIDCProvider AddFingerprintToOIDCProvider SetUserSsoSettings AddUserToGroup"},
	{"Ims", "ram", CategoryEvade, "SetSecurityPreference SetPasswordPolicy UnbindMFADevice DeleteVirtualMFADevice SetAccessKeyPolicy SetAccessKeyPolicyForAccount"},

	{"Ecs", "ecs", CategoryEnum, "DescribeRegions DescribeZones DescribeInstances DescribeInstanceAttribute DescribeInstanceTypes DescribeAvailableResource DescribeImages DescribeSecurityGroups DescribeSecurityGroupAttribute DescribeKeyPairs DescribeDisks DescribeSnapshots DescribeVpcs DescribeUserData DescribeInstanceRamRole DescribeInstanceVncUrl"},
	{"Ecs", "ecs", CategoryPers, "ImportKeyPair CreateKeyPair AttachKeyPair ModifyInstanceAttribute ModifyInstanceVncPasswd"},
	{"Ecs", "ecs", CategoryPriv, "AttachInstanceRamRole"},
	{"Ecs", "ecs", CategoryExfil, "CreateSnapshot CreateImage ModifyImageSharePermission CopyImage ExportImage"},
	{"Ecs", "ecs", CategoryCost, "RunInstances CreateInstance CreateAutoProvisioningGroup StartInstance StartInstances ModifyInstanceSpec AllocatePublicIpAddress"},
	{"Ecs", "ecs", CategoryDest, "DeleteInstance DeleteInstances StopInstance StopInstances DeleteSnapshot DeleteSnapshotGroup DeleteImage ResetDisk ReplaceSystemDisk DeregisterManagedInstance ReleaseDedicatedHost"},
	{"Ecs", "ecs", CategoryEvade, "AuthorizeSecurityGroup AuthorizeSecurityGroupEgress CreateSecurityGroup ModifySecurityGroupPolicy JoinSecurityGroup"},
	{"Ecs", "ecs", CategoryEnum, "DescribeCloudAssistantStatus DescribeCommands DescribeInvocations DescribeInvocationResults"},
	{"Ecs", "ecs", CategoryExec, "RunCommand CreateCommand InvokeCommand SendFile StartTerminalSession InstallCloudAssistant"},
	{"Ecs", "ecs", CategoryEvade, "DeleteCommand StopInvocation"},

	{"Eci", "eci", CategoryCost, "CreateContainerGroup CreateContainerGroupFromTemplate BatchCreateContainerGroups"},
	{"Eci", "eci", CategoryExec, "CreateContainerGroup CreateContainerGroupFromTemplate BatchCreateContainerGroups"},
	{"Eci", "eci", CategoryDest, "DeleteContainerGroup DeleteContainerGroups"},

	{"Fc", "fc", CategoryExec, "CreateFunction CreateTrigger CreateService"},
	{"Fc", "fc", CategoryPers, "CreateFunction CreateTrigger CreateService"},

	{"Oss", "oss", CategoryEnum, "ListBuckets GetService GetBucketInfo GetBucketStat GetBucketAcl GetBucketPolicy ListObjects ListObjectsV2 ListObjectVersions"},
	{"Oss", "oss", CategoryExfil, "GetObject GetObjects HeadObject GetObjectMeta CopyObject SelectObject PutBucketAcl PutObjectAcl PutBucketPolicy PutBucketReplication"},
	{"Oss", "oss", CategoryPers, "PutBucket PutBucketWebsite"},
	{"Oss", "oss", CategoryDest, "DeleteBucket DeleteObject DeleteMultipleObjects PutBucketLifecycle PutObject"},
	{"Oss", "oss", CategoryEvade, "DeleteBucketLogging DeleteBucketPolicy PutBucketEncryption DeleteBucketEncryption"},

	{"Rds", "rds", CategoryEnum, "DescribeRegions DescribeDBInstances DescribeDBInstanceAttribute DescribeDBInstanceNetInfo DescribeDatabases DescribeAccounts DescribeBackups"},
	{"Rds", "rds", CategoryPers, "CreateAccount ResetAccountPassword GrantAccountPrivilege"},
	{"Rds", "rds", CategoryPriv, "CreateAccount ResetAccountPassword GrantAccountPrivilege"},
	{"Rds", "rds", CategoryExfil, "ModifySecurityIps AllocateInstancePublicConnection ModifyDBInstanceConnectionString CreateBackup CloneDBInstance"},
	{"Rds", "rds", CategoryDest, "DeleteDBInstance DestroyDBInstance DeleteDatabase DeleteAccount DeleteBackup ModifyBackupPolicy"},

	{"Sls", "log", CategoryEnum, "ListProject ListLogStores GetLogStore GetLogs"},
	{"Sls", "log", CategoryEvade, "DeleteLogStore DeleteProject ClearLogStoreStorage UpdateLogStore DeleteIndex DeleteConfig DeleteMachineGroup PutProjectPolicy DeleteProjectPolicy"},

	{"Dysms", "dysms", CategoryEnum, "QuerySmsSign QuerySmsSignList QuerySmsTemplate QuerySmsTemplateList QuerySendDetails QuerySendStatistics"},
	{"Dysms", "dysms", CategoryPers, "AddSmsSign AddSmsTemplate CreateSmsSign CreateSmsTemplate"},
	{"Dysms", "dysms", CategoryCost, "SendSms SendBatchSms BatchSendMessageToGlobe SendMessageToGlobe"},

	{"Vpc", "vpc", CategoryEnum, "DescribeVpcs DescribeVSwitches DescribeEipAddresses DescribeNatGateways DescribeRouteTables"},
	{"Vpc", "vpc", CategoryPers, "CreateVpnGateway CreateSslVpnServer CreateSslVpnClientCert CreateForwardEntry AllocateEipAddress AssociateEipAddress"},
	{"Vpc", "vpc", CategoryEvade, "DeactiveFlowLog DeleteFlowLog CreateRouteEntry DeleteRouteEntry"},
	{"Vpc", "vpc", CategoryDest, "DeleteVpc DeleteVSwitch"},

	{"ResourceManager", "resourcemanager", CategoryEnum, "ListResourceGroups GetResourceDirectory ListAccounts ListAccountsForParent"},
	{"ResourceCenter", "resourcecenter", CategoryEnum, "SearchResources GetResourceCounts ListResourceTypes"},
	{"ResourceManager", "resourcemanager", CategoryPers, "CreateResourceAccount InviteAccountToResourceDirectory"},

	{"Kms", "kms", CategoryEnum, "ListKeys DescribeKey ListSecrets"},
	{"Kms", "kms", CategoryExfil, "GetSecretValue Decrypt"},
	{"Kms", "kms", CategoryDest, "DisableKey ScheduleKeyDeletion DeleteKeyMaterial DeleteSecret"},

	{"BssOpenApi", "bss", CategoryEnum, "QueryAccountBalance QueryBill QueryInstanceBill DescribeInstanceBill QueryAvailableInstances"},

	{"Actiontrail", "actiontrail", CategoryEnum, "DescribeTrails GetTrailStatus LookupEvents"},
	{"Actiontrail", "actiontrail", CategoryEvade, "StopLogging DeleteTrail UpdateTrail DeleteDeliveryHistoryJob DeleteDataEventSelector DisableInsight"},

	{"Sas", "yundun-sas", CategoryEvade, "PauseClient"},
}

type sensitiveKey struct{ service, name string }

// sensitiveTable is built once from catalogueRows.
var sensitiveTable, sensitiveIndex = buildSensitive()

func buildSensitive() ([]SensitiveAction, map[sensitiveKey][]Category) {
	var list []SensitiveAction
	idx := map[sensitiveKey][]Category{}
	for _, row := range catalogueRows {
		svc := CanonicalService(row.service)
		for name := range strings.FieldsSeq(row.names) {
			k := sensitiveKey{svc, name}
			dup := false
			for _, c := range idx[k] {
				if c == row.cat {
					dup = true
				}
			}
			if dup {
				continue
			}
			idx[k] = append(idx[k], row.cat)
			list = append(list, SensitiveAction{Service: svc, Name: name, Category: row.cat, Action: row.prefix + ":" + name})
		}
	}
	return list, idx
}

// SensitiveActions returns the catalogue's sensitive-action table (section
// 3), one entry per (service, API, category), in catalogue order. The slice
// is a copy; callers may keep or change it.
func SensitiveActions() []SensitiveAction {
	return append([]SensitiveAction(nil), sensitiveTable...)
}

// SensitiveCategories returns the categories of an API of a service
// (serviceName matched case-insensitively through CanonicalService), or nil
// when the catalogue does not list it. The returned slice is shared: do not
// modify it.
func SensitiveCategories(service, name string) []Category {
	return sensitiveIndex[sensitiveKey{CanonicalService(service), name}]
}

// IsAuthFailure reports whether an event's errorCode says the caller was
// not allowed to do what it tried, or could not authenticate: the codes the
// catalogue (section 0) lists for permission probing. Codes compare
// case-sensitively, as services write them; "X.*" means X and any
// dot-suffixed refinement.
func IsAuthFailure(code string) bool {
	if code == "" {
		return false
	}
	base, _, dotted := strings.Cut(code, ".")
	switch base {
	case "NoPermission", "Forbidden", "Forbbiden", "InvalidAccessKeyId":
		return true
	case "InvalidSecurityToken":
		return dotted
	case "ActionUnauthorized", "AccessDenied", "AccessForbidden", "NotAuthorized",
		"SignatureDoesNotMatch", "IncompleteSignature", "InvalidAuthorization":
		return !dotted
	}
	return false
}
