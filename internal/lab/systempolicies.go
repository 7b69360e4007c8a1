package lab

// SystemPolicy is a policy Alibaba Cloud manages (PolicyType "System"). The
// documents follow the real ones in spirit; where the real policy is long
// (ReadOnlyAccess lists hundreds of products) the lab keeps its shape with
// wildcards.
type SystemPolicy struct{ Name, Description, Document string }

// SystemPolicies holds the system policies the lab knows, by name.
// Attachments and scenarios may reference only these names as System
// policies.
var SystemPolicies = map[string]SystemPolicy{
	"AdministratorAccess": {
		Name:        "AdministratorAccess",
		Description: "Provides full access to Alibaba Cloud services and resources.",
		Document:    `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
	},
	"ReadOnlyAccess": {
		Name:        "ReadOnlyAccess",
		Description: "Provides read-only access to Alibaba Cloud services and resources.",
		Document: `{"Version":"1","Statement":[{"Effect":"Allow","Action":["*:Describe*","*:List*","*:Get*",` +
			`"*:Query*","*:Lookup*","*:Check*","*:BatchGet*","*:Search*"],"Resource":"*"}]}`,
	},
	"AliyunRAMFullAccess": {
		Name:        "AliyunRAMFullAccess",
		Description: "Provides full access to Resource Access Management (RAM).",
		Document:    `{"Version":"1","Statement":[{"Effect":"Allow","Action":"ram:*","Resource":"*"}]}`,
	},
	"AliyunRAMReadOnlyAccess": {
		Name:        "AliyunRAMReadOnlyAccess",
		Description: "Provides read-only access to Resource Access Management (RAM).",
		Document:    `{"Version":"1","Statement":[{"Effect":"Allow","Action":["ram:Get*","ram:List*"],"Resource":"*"}]}`,
	},
	"AliyunECSFullAccess": {
		Name:        "AliyunECSFullAccess",
		Description: "Provides full access to Elastic Compute Service (ECS).",
		Document: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*"},` +
			`{"Effect":"Allow","Action":["vpc:DescribeVpcs","vpc:DescribeVSwitches","vpc:DescribeEipAddresses",` +
			`"slb:DescribeLoadBalancers","slb:DescribeLoadBalancerAttribute"],"Resource":"*"}]}`,
	},
	"AliyunECSReadOnlyAccess": {
		Name:        "AliyunECSReadOnlyAccess",
		Description: "Provides read-only access to Elastic Compute Service (ECS).",
		Document:    `{"Version":"1","Statement":[{"Effect":"Allow","Action":["ecs:Describe*","ecs:List*"],"Resource":"*"}]}`,
	},
	"AliyunActionTrailFullAccess": {
		Name:        "AliyunActionTrailFullAccess",
		Description: "Provides full access to ActionTrail.",
		Document:    `{"Version":"1","Statement":[{"Effect":"Allow","Action":"actiontrail:*","Resource":"*"}]}`,
	},
	"AliyunActionTrailReadOnlyAccess": {
		Name:        "AliyunActionTrailReadOnlyAccess",
		Description: "Provides read-only access to ActionTrail.",
		Document: `{"Version":"1","Statement":[{"Effect":"Allow","Action":["actiontrail:Describe*","actiontrail:Get*",` +
			`"actiontrail:List*","actiontrail:LookupEvents"],"Resource":"*"}]}`,
	},
	"AliyunSTSAssumeRoleAccess": {
		Name:        "AliyunSTSAssumeRoleAccess",
		Description: "Provides access to call the AssumeRole operation of Security Token Service (STS).",
		Document:    `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`,
	},
	"AliyunRDSFullAccess": {
		Name:        "AliyunRDSFullAccess",
		Description: "Provides full access to ApsaraDB RDS.",
		Document: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"rds:*","Resource":"*"},` +
			`{"Effect":"Allow","Action":["vpc:DescribeVpcs","vpc:DescribeVSwitches"],"Resource":"*"}]}`,
	},
	"AliyunRDSReadOnlyAccess": {
		Name:        "AliyunRDSReadOnlyAccess",
		Description: "Provides read-only access to ApsaraDB RDS.",
		Document:    `{"Version":"1","Statement":[{"Effect":"Allow","Action":["rds:Describe*","rds:List*"],"Resource":"*"}]}`,
	},
	"AliyunDysmsFullAccess": {
		Name:        "AliyunDysmsFullAccess",
		Description: "Provides full access to Short Message Service (SMS).",
		Document:    `{"Version":"1","Statement":[{"Effect":"Allow","Action":"dysms:*","Resource":"*"}]}`,
	},
	"AliyunKMSFullAccess": {
		Name:        "AliyunKMSFullAccess",
		Description: "Provides full access to Key Management Service (KMS).",
		Document:    `{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}`,
	},
	"AliyunOSSFullAccess": {
		Name:        "AliyunOSSFullAccess",
		Description: "Provides full access to Object Storage Service (OSS).",
		Document:    `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*"}]}`,
	},
	"AliyunOSSReadOnlyAccess": {
		Name:        "AliyunOSSReadOnlyAccess",
		Description: "Provides read-only access to Object Storage Service (OSS).",
		Document:    `{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:Get*","oss:List*"],"Resource":"*"}]}`,
	},
}
