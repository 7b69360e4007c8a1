package audit

import "strings"

// exfilRules are the EXFIL rules, in catalogue order (see
// rules_catalogue.go). Collection, exposure and exfiltration (EXFIL). Bulk
// downloads (EXFIL-01) and data leaving the account (EXFIL-03) are evaluated
// in rules_more_findings.go.
var exfilRules = []ruleDef{
	{
		RuleInfo: RuleInfo{ID: "EXFIL-01", Title: "Bulk object download", Severity: High, SeverityText: "high",
			Logic:      "Successful OSS GetObject/GetObjects of the key, per clock hour, from OSS data events in trail files or OSS access logs (--oss-log): at least max(500, 5 x the busiest baseline hour) downloads, or objects from 3 or more buckets when one of them was first read at or after the baseline end or the hour reads more buckets than any baseline hour. Hours before the baseline end do not fire. When a flagged source downloaded in the hour, the downloads of the other sources are counted in routine_count, not cited.",
			Parameters: "500 per hour, 5 x baseline peak, 3 buckets; needs OSS data events.",
			Why:        "Thousands of downloads in an hour, or a sweep across buckets, is data leaving the account.",
			Attack:     []string{"T1530"}},
		routine: routineUnflagged,
		eval:    (*Engine).bulkDownload,
		tests:   []string{"TestBulkDownloadFromOSSLog", "TestMoreExfiltrationRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "EXFIL-02", Title: "Bucket exposed or replicated", Severity: High, SeverityText: "high",
			Logic:  "OSS PutBucketAcl/PutObjectAcl to a public ACL (or an ACL the log does not show), PutBucketPolicy, PutBucketReplication, DeleteBucketPolicy.",
			Why:    "A public or replicated bucket hands its data to the attacker without further API calls.",
			Attack: []string{"T1530", "T1537"}},
		routine: routineDays,
		table: &tableRule{apis: apis("Oss", "PutBucketAcl PutObjectAcl PutBucketPolicy PutBucketReplication DeleteBucketPolicy"),
			params: []string{"BucketName", "bucket", "ObjectName", "x-oss-acl", "acl"}, check: checkBucketExposure},
		tests: []string{"TestSensitiveActionRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "EXFIL-03", Title: "Image, snapshot or backup leaves the account", Severity: High, SeverityText: "high",
			Logic:      "ECS ModifyImageSharePermission adding an account (AddAccount.N), ExportImage, CopyImage to a region (DestinationRegionId) the key had not used before the baseline end; RDS CreateBackup followed within 30 minutes by DescribeBackups (same DBInstanceId when both log it), CloneDBInstance. " + routineText,
			Parameters: "30 minutes.",
			Why:        "A shared or exported image or a cloned database hands a full copy of the data to the attacker.",
			Attack:     []string{"T1537"}},
		routine: routineDays,
		eval:    (*Engine).dataLeaves,
		tests:   []string{"TestMoreExfiltrationRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "EXFIL-04", Title: "Database exposed", Severity: High, SeverityText: "high",
			Logic:  "RDS ModifySecurityIps, AllocateInstancePublicConnection, CreateAccount, ResetAccountPassword, GrantAccountPrivilege.",
			Why:    "Opening the allow list or creating a database account gives direct access to the data.",
			Attack: []string{"T1530", "T1098"}},
		routine: routineDays,
		table: &tableRule{apis: apis("Rds", "ModifySecurityIps AllocateInstancePublicConnection CreateAccount ResetAccountPassword GrantAccountPrivilege"),
			params: []string{"DBInstanceId", "SecurityIps", "AccountName", "AccountPrivilege"}, subject: "DBInstanceId"},
		tests: []string{"TestSensitiveActionRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "EXFIL-05", Title: "Secret read", Severity: High, SeverityText: "high",
			Logic:  "KMS GetSecretValue or Decrypt by a key with no such baseline: routine (dropped) for a known, trusted source calling APIs the key already used before the baseline end.",
			Why:    "Secrets Manager values and decrypted data keys are credentials and data that outlive the leaked key.",
			Attack: []string{"T1555.006"}},
		routine: routineKnown,
		table: &tableRule{apis: apis("Kms", "GetSecretValue Decrypt"),
			params: []string{"SecretName", "VersionStage", "KeyId"}, subject: "SecretName"},
		tests: []string{"TestMoreExfiltrationRules"},
	},
}

func checkBucketExposure(ev *Event) (bool, Severity, string) {
	if ev.Name == "PutBucketAcl" || ev.Name == "PutObjectAcl" {
		acl := ""
		for _, k := range []string{"x-oss-acl", "acl", "ACL", "Acl", "x-oss-object-acl"} {
			if v := ev.Params[k]; v != "" {
				acl = v
			}
		}
		// An ACL the log shows as private is not an exposure; an unlogged
		// one is judged conservatively.
		if acl != "" && !strings.Contains(strings.ToLower(acl), "public") {
			return false, 0, ""
		}
	}
	b := ev.Params["BucketName"]
	if b == "" {
		b = ev.Params["bucket"]
	}
	return true, High, b
}
