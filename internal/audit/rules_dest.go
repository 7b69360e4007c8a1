package audit

import "strings"

// destRules are the DEST rules, in catalogue order (see rules_catalogue.go).
// Destruction and lock-out (DEST). DEST-04 also fires on object-deletion
// bursts (rules_window.go); DEST-07 is evaluated in rules_more_findings.go.
var destRules = []ruleDef{
	{
		RuleInfo: RuleInfo{ID: "DEST-01", Title: "Compute destroyed", Severity: Critical, SeverityText: "critical",
			Logic:  "ECS DeleteInstance(s), ReleaseDedicatedHost, DeregisterManagedInstance, ResetDisk, ReplaceSystemDisk; ECI DeleteContainerGroup(s).",
			Why:    "Deleted instances and wiped disks are outages and lost data.",
			Attack: []string{"T1485"}},
		routine: routineDays,
		table: &tableRule{apis: join(
			apis("Ecs", "DeleteInstance DeleteInstances ReleaseDedicatedHost DeregisterManagedInstance ResetDisk ReplaceSystemDisk"),
			apis("Eci", "DeleteContainerGroup DeleteContainerGroups")),
			params: []string{"InstanceId", "InstanceId.1", "DiskId", "ContainerGroupId"}, subject: "InstanceId"},
		tests: []string{"TestLeakScenario", "TestSensitiveActionRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "DEST-02", Title: "Recovery points destroyed", Severity: Critical, SeverityText: "critical",
			Logic:  "ECS DeleteSnapshot, DeleteSnapshotGroup, DeleteImage; RDS DeleteBackup, ModifyBackupPolicy.",
			Why:    "Deleting snapshots and backups first is the ransomware playbook: it removes the way back.",
			Attack: []string{"T1490"}},
		routine: routineDays,
		table: &tableRule{apis: join(
			apis("Ecs", "DeleteSnapshot DeleteSnapshotGroup DeleteImage"),
			apis("Rds", "DeleteBackup ModifyBackupPolicy")),
			params: []string{"SnapshotId", "ImageId", "DBInstanceId", "BackupId", "BackupRetentionPeriod"}},
		tests: []string{"TestRoutineBackupIsContext", "TestRoutineDepartures", "TestRoutineNeedsCadence", "TestSensitiveActionRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "DEST-03", Title: "Database destroyed", Severity: Critical, SeverityText: "critical",
			Logic:  "RDS DeleteDBInstance, DestroyDBInstance, DeleteDatabase, DeleteAccount, and any other RDS Delete* write.",
			Why:    "Dropped databases are the most expensive data loss there is.",
			Attack: []string{"T1485"}},
		routine: routineDays,
		table: &tableRule{apis: apis("Rds", "DeleteDBInstance DestroyDBInstance DeleteDatabase DeleteAccount"),
			params: []string{"DBInstanceId", "DBName", "AccountName"}, subject: "DBInstanceId"},
		tests: []string{"TestSensitiveActionRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "DEST-04", Title: "Storage destroyed", Severity: Critical, SeverityText: "critical",
			Logic:      "OSS DeleteBucket, PutBucketLifecycle and any other OSS Delete* write except object deletions; DeleteObject/DeleteMultipleObjects when one source makes 100 or more within 10 minutes.",
			Parameters: "100 object deletions, 10 minutes.",
			Why:        "Mass deletion or an expiry lifecycle wipes stored data, often before a ransom note.",
			Attack:     []string{"T1485", "T1485.001"}},
		routine: routineDays,
		table:   &tableRule{apis: apis("Oss", "DeleteBucket PutBucketLifecycle"), params: []string{"BucketName", "bucket"}, subject: "BucketName"},
		eval:    (*Engine).windowFindings,
		tests:   []string{"TestSensitiveActionRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "DEST-05", Title: "Key sabotage", Severity: Critical, SeverityText: "critical",
			Logic:  "KMS DisableKey, ScheduleKeyDeletion, DeleteKeyMaterial, DeleteSecret.",
			Why:    "Without its KMS key, encrypted data is gone for good.",
			Attack: []string{"T1485", "T1486"}},
		routine: routineDays,
		table:   &tableRule{apis: apis("Kms", "DisableKey ScheduleKeyDeletion DeleteKeyMaterial DeleteSecret"), params: []string{"KeyId", "SecretName"}},
		tests:   []string{"TestSensitiveActionRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "DEST-06", Title: "Owners locked out", Severity: High, SeverityText: "high",
			Logic:  "DeleteAccessKey, UpdateAccessKey to Inactive, DeleteUser, UpdateLoginProfile acting on a user other than the key's own.",
			Why:    "Disabling the defenders' keys and logins slows the response.",
			Attack: []string{"T1531"}},
		routine: routineDays,
		table: &tableRule{apis: ramAPIs("DeleteAccessKey UpdateAccessKey DeleteUser UpdateLoginProfile"),
			params: []string{"UserName", "UserAccessKeyId", "Status"}, check: checkLockOut},
		tests: []string{"TestSensitiveActionRules"},
	},
	{
		RuleInfo: RuleInfo{ID: "DEST-07", Title: "Services stopped", Severity: Medium, SeverityText: "medium",
			Logic:      "ECS StopInstance/StopInstances on 3 or more distinct instances within 10 minutes from one source (windows do not overlap). " + routineText,
			Parameters: "3 instances, 10 minutes.",
			Why:        "Stopping instances in bulk is an outage, and often the step before deleting or ransoming them.",
			Attack:     []string{"T1489"}},
		routine: routineDays,
		eval:    (*Engine).servicesStopped,
		tests:   []string{"TestMoreCostAndDestructionRules"},
	},
}

func checkLockOut(ev *Event) (bool, Severity, string) {
	if !actsOnOther(ev) {
		return false, 0, ""
	}
	if ev.Name == "UpdateAccessKey" && !strings.EqualFold(ev.Params["Status"], "Inactive") {
		return false, 0, ""
	}
	return true, High, targetUser(ev)
}
