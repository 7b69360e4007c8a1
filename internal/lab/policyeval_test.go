package lab

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// denyHighRiskSample is Alibaba's deny-high-risk example policy from the
// AccessKey leak response plan (shared/reference/ak-leak-response-plan.txt).
const denyHighRiskSample = `{
  "Version": "1",
  "Statement": [
    {"Effect": "Deny", "Action": ["ram:AddUserToGroup", "ram:AttachPolicyToGroup", "ram:AttachPolicyToRole",
      "ram:AttachPolicyToUser", "ram:ChangePassword", "ram:CreateAccessKey", "ram:CreateLoginProfile",
      "ram:CreatePolicyVersion", "ram:CreateRole", "ram:CreateUser", "ram:DetachPolicyFromUser", "ram:PassRole",
      "ram:SetDefaultPolicyVersion", "ram:UpdateAccessKey", "ram:SetPasswordPolicy", "ram:UpdateRole",
      "ram:UpdateLoginProfile", "ram:UpdateUser"], "Resource": "*"},
    {"Effect": "Deny", "Action": ["ecs:DeleteInstance", "ecs:DeleteInstances", "ecs:DeregisterManagedInstance",
      "ecs:ReleaseDedicatedHost"], "Resource": "*"},
    {"Effect": "Deny", "Action": ["rds:DeleteAccount", "rds:DeleteDatabase", "rds:DeleteDBInstance",
      "rds:DestroyDBInstance"], "Resource": "*"},
    {"Effect": "Deny", "Action": ["oss:DeleteBucket", "oss:DeleteObject", "oss:PutBucketAcl", "oss:PutBucketPolicy"],
      "Resource": "*"},
    {"Effect": "Deny", "Action": ["log:DeleteLogStore", "log:DeleteProject", "log:PutProjectPolicy",
      "log:DeleteProjectPolicy"], "Resource": "*"},
    {"Effect": "Deny", "Action": ["dysms:CreateProductNew", "dysms:CreateSmsTemplateNew", "dysms:AddSmsTemplate",
      "dysms:SendSms", "dysms:SendBatchSms"], "Resource": "*"}
  ]
}`

func sys(name string) NamedDocument {
	return NamedDocument{Name: name, Type: "System", Document: SystemPolicies[name].Document}
}

func custom(name, doc string) NamedDocument {
	return NamedDocument{Name: name, Type: "Custom", Document: doc}
}

func session(doc string) NamedDocument {
	return NamedDocument{Name: "SessionPolicy", Type: "Session", Document: doc}
}

func allowDoc(action, resource string) string {
	return `{"Version":"1","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"` + resource + `"}]}`
}

func condDoc(effect, action, cond string) string {
	return `{"Version":"1","Statement":[{"Effect":"` + effect + `","Action":"` + action + `","Resource":"*","Condition":` + cond + `}]}`
}

var evalNow = time.Date(2026, 3, 10, 4, 0, 0, 0, time.UTC)

func TestEvaluate(t *testing.T) {
	const acct = "1234567890123456"
	req := func(action string) AuthzRequest {
		return AuthzRequest{Action: action, Resource: "*", SourceIP: "127.0.0.10", CurrentTime: evalNow}
	}
	withIP := func(r AuthzRequest, ip string) AuthzRequest { r.SourceIP = ip; return r }
	withRes := func(r AuthzRequest, res string) AuthzRequest { r.Resource = res; return r }
	withMFA := func(r AuthzRequest) AuthzRequest { r.MFAPresent = true; return r }
	withTLS := func(r AuthzRequest) AuthzRequest { r.SecureTransport = true; return r }
	withTime := func(r AuthzRequest, tm time.Time) AuthzRequest { r.CurrentTime = tm; return r }

	officeOnly := condDoc("Allow", "*", `{"IpAddress":{"acs:SourceIp":["127.0.0.10/31"]}}`)
	denyOutsideOffice := condDoc("Deny", "*", `{"NotIpAddress":{"acs:SourceIp":"127.0.0.10/31"}}`)

	tests := []struct {
		name       string
		docs       []NamedDocument
		req        AuthzRequest
		want       string
		wantPolicy string
	}{
		{"no policies: implicit deny", nil, req("ecs:DescribeInstances"), EffectImplicitDeny, ""},
		{"administrator allows anything", []NamedDocument{sys("AdministratorAccess")}, req("ram:CreateUser"), EffectAllow, "AdministratorAccess"},
		{"product wildcard", []NamedDocument{sys("AliyunRAMFullAccess")}, req("ram:DeleteUser"), EffectAllow, "AliyunRAMFullAccess"},
		{"product wildcard does not cross products", []NamedDocument{sys("AliyunRAMFullAccess")}, req("ecs:DeleteInstance"), EffectImplicitDeny, ""},
		{"prefix wildcard matches", []NamedDocument{sys("ReadOnlyAccess")}, req("rds:DescribeDBInstances"), EffectAllow, "ReadOnlyAccess"},
		{"read-only refuses writes", []NamedDocument{sys("ReadOnlyAccess")}, req("ram:CreateUser"), EffectImplicitDeny, ""},
		{"read-only allows lookups", []NamedDocument{sys("ReadOnlyAccess")}, req("actiontrail:LookupEvents"), EffectAllow, "ReadOnlyAccess"},
		{"action match is case-insensitive", []NamedDocument{sys("AliyunRAMReadOnlyAccess")}, req("RAM:listusers"), EffectAllow, "AliyunRAMReadOnlyAccess"},
		{"question mark matches one character", []NamedDocument{custom("q", allowDoc("ecs:DeleteInstance?", "*"))}, req("ecs:DeleteInstances"), EffectAllow, "q"},
		{"question mark needs a character", []NamedDocument{custom("q", allowDoc("ecs:DeleteInstance?", "*"))}, req("ecs:DeleteInstance"), EffectImplicitDeny, ""},
		{"NotAction allows everything else", []NamedDocument{custom("na", `{"Version":"1","Statement":{"Effect":"Allow","NotAction":["ram:*","sts:*"],"Resource":"*"}}`)}, req("ecs:RunInstances"), EffectAllow, "na"},
		{"NotAction excludes listed", []NamedDocument{custom("na", `{"Version":"1","Statement":{"Effect":"Allow","NotAction":["ram:*","sts:*"],"Resource":"*"}}`)}, req("ram:CreateUser"), EffectImplicitDeny, ""},
		{"deny-high-risk sample beats AdministratorAccess", []NamedDocument{sys("AdministratorAccess"), custom("AKRespDenyHighRisk", denyHighRiskSample)}, req("ram:CreateUser"), EffectExplicitDeny, "AKRespDenyHighRisk"},
		{"deny wins whatever the order", []NamedDocument{custom("AKRespDenyHighRisk", denyHighRiskSample), sys("AdministratorAccess")}, req("dysms:SendSms"), EffectExplicitDeny, "AKRespDenyHighRisk"},
		{"deny-high-risk leaves reads alone", []NamedDocument{sys("AdministratorAccess"), custom("AKRespDenyHighRisk", denyHighRiskSample)}, req("ecs:DescribeInstances"), EffectAllow, "AdministratorAccess"},
		{"deny in the same document", []NamedDocument{custom("both", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"ecs:Delete*","Resource":"*"}]}`)}, req("ecs:DeleteInstance"), EffectExplicitDeny, "both"},
		{"blanket deny freezes the user", []NamedDocument{sys("AdministratorAccess"), custom("freeze", `{"Version":"1","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`)}, req("sts:GetCallerIdentity"), EffectExplicitDeny, "freeze"},

		{"resource: acs:ram:* pattern matches acs:ram:: request", []NamedDocument{custom("r", allowDoc("ram:*", "acs:ram:*:"+acct+":user/alice"))}, withRes(req("ram:UpdateUser"), "acs:ram::"+acct+":user/alice"), EffectAllow, "r"},
		{"resource: acs:ram:: pattern matches acs:ram:* request", []NamedDocument{custom("r", allowDoc("ram:*", "acs:ram::"+acct+":user/alice"))}, withRes(req("ram:UpdateUser"), "acs:ram:*:"+acct+":user/alice"), EffectAllow, "r"},
		{"resource: other user", []NamedDocument{custom("r", allowDoc("ram:*", "acs:ram:*:"+acct+":user/alice"))}, withRes(req("ram:UpdateUser"), "acs:ram:*:"+acct+":user/bob"), EffectImplicitDeny, ""},
		{"resource: case-sensitive", []NamedDocument{custom("r", allowDoc("ram:*", "acs:ram:*:"+acct+":user/Alice"))}, withRes(req("ram:UpdateUser"), "acs:ram:*:"+acct+":user/alice"), EffectImplicitDeny, ""},
		{"resource: wildcard", []NamedDocument{custom("r", allowDoc("ram:*", "acs:ram:*:"+acct+":user/app-*"))}, withRes(req("ram:UpdateUser"), "acs:ram:*:"+acct+":user/app-prod"), EffectAllow, "r"},
		{"resource: specific pattern does not cover an unknown resource", []NamedDocument{custom("r", allowDoc("ram:*", "acs:ram:*:"+acct+":user/*"))}, req("ram:ListUsers"), EffectImplicitDeny, ""},
		{"NotResource", []NamedDocument{custom("nr", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"ram:*","NotResource":"acs:ram:*:*:user/root-*"}]}`)}, withRes(req("ram:UpdateUser"), "acs:ram:*:"+acct+":user/alice"), EffectAllow, "nr"},
		{"NotResource excludes", []NamedDocument{custom("nr", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"ram:*","NotResource":"acs:ram:*:*:user/root-*"}]}`)}, withRes(req("ram:UpdateUser"), "acs:ram:*:"+acct+":user/root-break"), EffectImplicitDeny, ""},
		{"no Resource element means any resource", []NamedDocument{custom("nores", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:*"}]}`)}, withRes(req("ecs:StartInstance"), "acs:ecs:cn-hangzhou:"+acct+":instance/i-1"), EffectAllow, "nores"},

		{"IpAddress: inside the CIDR", []NamedDocument{custom("office", officeOnly)}, withIP(req("ecs:DescribeInstances"), "127.0.0.11"), EffectAllow, "office"},
		{"IpAddress: outside the CIDR", []NamedDocument{custom("office", officeOnly)}, withIP(req("ecs:DescribeInstances"), "127.0.0.66"), EffectImplicitDeny, ""},
		{"IpAddress: host:port source", []NamedDocument{custom("office", officeOnly)}, withIP(req("ecs:DescribeInstances"), "127.0.0.10:52100"), EffectAllow, "office"},
		{"IpAddress: values are OR-ed", []NamedDocument{custom("ips", condDoc("Allow", "*", `{"IpAddress":{"acs:SourceIp":["10.0.0.0/8","127.0.0.66"]}}`))}, withIP(req("ecs:DescribeInstances"), "127.0.0.66"), EffectAllow, "ips"},
		{"IpAddress: IPv6", []NamedDocument{custom("v6", condDoc("Allow", "*", `{"IpAddress":{"acs:SourceIp":"2001:db8::/32"}}`))}, withIP(req("ecs:DescribeInstances"), "2001:db8::1"), EffectAllow, "v6"},
		{"NotIpAddress deny applies outside", []NamedDocument{sys("AdministratorAccess"), custom("fence", denyOutsideOffice)}, withIP(req("ecs:DescribeInstances"), "127.0.0.66"), EffectExplicitDeny, "fence"},
		{"NotIpAddress deny spares the office", []NamedDocument{sys("AdministratorAccess"), custom("fence", denyOutsideOffice)}, withIP(req("ecs:DescribeInstances"), "127.0.0.10"), EffectAllow, "AdministratorAccess"},
		{"NotIpAddress deny applies to an unparsable source", []NamedDocument{sys("AdministratorAccess"), custom("fence", denyOutsideOffice)}, withIP(req("ecs:DescribeInstances"), "not-an-ip"), EffectExplicitDeny, "fence"},
		{"condition key names are case-insensitive", []NamedDocument{custom("office", condDoc("Allow", "*", `{"IpAddress":{"ACS:SOURCEIP":"127.0.0.10"}}`))}, req("ecs:DescribeInstances"), EffectAllow, "office"},
		{"StringEquals on the source IP", []NamedDocument{custom("s", condDoc("Allow", "*", `{"StringEquals":{"acs:SourceIp":"127.0.0.10"}}`))}, req("ecs:DescribeInstances"), EffectAllow, "s"},
		{"StringNotEquals", []NamedDocument{custom("s", condDoc("Allow", "*", `{"StringNotEquals":{"acs:SourceIp":["127.0.0.10","127.0.0.11"]}}`))}, req("ecs:DescribeInstances"), EffectImplicitDeny, ""},
		{"StringLike", []NamedDocument{custom("s", condDoc("Allow", "*", `{"StringLike":{"acs:SourceIp":"127.0.0.*"}}`))}, req("ecs:DescribeInstances"), EffectAllow, "s"},
		{"StringNotLike", []NamedDocument{custom("s", condDoc("Allow", "*", `{"StringNotLike":{"acs:SourceIp":"127.0.0.*"}}`))}, req("ecs:DescribeInstances"), EffectImplicitDeny, ""},
		{"StringEqualsIgnoreCase", []NamedDocument{custom("s", condDoc("Allow", "*", `{"StringEqualsIgnoreCase":{"acs:MFAPresent":"TRUE"}}`))}, withMFA(req("ecs:DescribeInstances")), EffectAllow, "s"},

		{"MFA required and present", []NamedDocument{custom("mfa", condDoc("Allow", "*", `{"Bool":{"acs:MFAPresent":true}}`))}, withMFA(req("ram:CreateUser")), EffectAllow, "mfa"},
		{"MFA required and absent", []NamedDocument{custom("mfa", condDoc("Allow", "*", `{"Bool":{"acs:MFAPresent":"true"}}`))}, req("ram:CreateUser"), EffectImplicitDeny, ""},
		{"deny without MFA", []NamedDocument{sys("AdministratorAccess"), custom("nomfa", condDoc("Deny", "ram:*", `{"Bool":{"acs:MFAPresent":"false"}}`))}, req("ram:CreateUser"), EffectExplicitDeny, "nomfa"},
		{"SecureTransport", []NamedDocument{custom("tls", condDoc("Allow", "*", `{"Bool":{"acs:SecureTransport":"true"}}`))}, withTLS(req("ecs:DescribeInstances")), EffectAllow, "tls"},
		{"SecureTransport missing", []NamedDocument{custom("tls", condDoc("Allow", "*", `{"Bool":{"acs:SecureTransport":"true"}}`))}, req("ecs:DescribeInstances"), EffectImplicitDeny, ""},
		{"DateLessThan before the deadline", []NamedDocument{custom("until", condDoc("Allow", "*", `{"DateLessThan":{"acs:CurrentTime":"2026-06-01T00:00:00Z"}}`))}, req("ecs:DescribeInstances"), EffectAllow, "until"},
		{"DateLessThan after the deadline", []NamedDocument{custom("until", condDoc("Allow", "*", `{"DateLessThan":{"acs:CurrentTime":"2026-06-01T00:00:00Z"}}`))}, withTime(req("ecs:DescribeInstances"), evalNow.AddDate(1, 0, 0)), EffectImplicitDeny, ""},
		{"DateGreaterThanEquals with a zone offset", []NamedDocument{custom("from", condDoc("Allow", "*", `{"DateGreaterThanEquals":{"acs:CurrentTime":"2026-03-10T12:00:00+08:00"}}`))}, req("ecs:DescribeInstances"), EffectAllow, "from"},
		{"Date condition without a clock never holds", []NamedDocument{custom("from", condDoc("Allow", "*", `{"DateGreaterThan":{"acs:CurrentTime":"2000-01-01"}}`))}, withTime(req("ecs:DescribeInstances"), time.Time{}), EffectImplicitDeny, ""},
		{"keys are AND-ed: both hold", []NamedDocument{custom("and", condDoc("Allow", "*", `{"IpAddress":{"acs:SourceIp":"127.0.0.10"},"Bool":{"acs:MFAPresent":"true"}}`))}, withMFA(req("ecs:DescribeInstances")), EffectAllow, "and"},
		{"keys are AND-ed: one fails", []NamedDocument{custom("and", condDoc("Allow", "*", `{"IpAddress":{"acs:SourceIp":"127.0.0.10"},"Bool":{"acs:MFAPresent":"true"}}`))}, req("ecs:DescribeInstances"), EffectImplicitDeny, ""},
		{"unknown key: Allow is not granted", []NamedDocument{custom("unk", condDoc("Allow", "*", `{"StringEquals":{"acs:AccessId":"LTAI5tAPPPRODLEAKED00001"}}`))}, req("ecs:DescribeInstances"), EffectImplicitDeny, ""},
		{"unknown key: Deny does not apply", []NamedDocument{sys("AdministratorAccess"), custom("unk", condDoc("Deny", "*", `{"StringNotEquals":{"acs:SourceVpc":"vpc-1"}}`))}, req("ecs:DescribeInstances"), EffectAllow, "AdministratorAccess"},
		{"absent source IP never matches NotIpAddress", []NamedDocument{sys("AdministratorAccess"), custom("fence", denyOutsideOffice)}, withIP(req("ecs:DescribeInstances"), ""), EffectAllow, "AdministratorAccess"},

		{"session: intersection allows", []NamedDocument{sys("AdministratorAccess"), session(allowDoc("ecs:Describe*", "*"))}, req("ecs:DescribeInstances"), EffectAllow, "AdministratorAccess"},
		{"session: outside the session policy", []NamedDocument{sys("AdministratorAccess"), session(allowDoc("ecs:Describe*", "*"))}, req("ram:CreateUser"), EffectImplicitDeny, ""},
		{"session: outside the identity policy", []NamedDocument{sys("AliyunECSReadOnlyAccess"), session(allowDoc("*", "*"))}, req("ram:ListUsers"), EffectImplicitDeny, ""},
		{"session alone grants nothing", []NamedDocument{session(allowDoc("*", "*"))}, req("ecs:DescribeInstances"), EffectImplicitDeny, ""},
		{"session deny wins", []NamedDocument{sys("AdministratorAccess"), session(`{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"ecs:*","Resource":"*"}]}`)}, req("ecs:DescribeInstances"), EffectExplicitDeny, "SessionPolicy"},

		{"malformed documents grant nothing", []NamedDocument{custom("bad", `{"Version":"2","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)}, req("ecs:DescribeInstances"), EffectImplicitDeny, ""},
		{"malformed documents deny nothing", []NamedDocument{sys("AdministratorAccess"), custom("bad", `{"Statement":[{"Effect":"Deny","Action":"*"}]}`)}, req("ecs:DescribeInstances"), EffectAllow, "AdministratorAccess"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Evaluate(tc.docs, tc.req)
			if got.Effect != tc.want {
				t.Fatalf("Evaluate(%s) = %s, want %s", tc.req.Action, got.Effect, tc.want)
			}
			switch {
			case tc.wantPolicy == "" && got.Policy != nil:
				t.Errorf("deciding policy = %q, want none", got.Policy.Name)
			case tc.wantPolicy != "" && got.Policy == nil:
				t.Errorf("deciding policy = none, want %q", tc.wantPolicy)
			case tc.wantPolicy != "" && got.Policy.Name != tc.wantPolicy:
				t.Errorf("deciding policy = %q, want %q", got.Policy.Name, tc.wantPolicy)
			}
			if got.Allowed() != (tc.want == EffectAllow) {
				t.Errorf("Allowed() = %v for %s", got.Allowed(), got.Effect)
			}
		})
	}
}

func TestEvaluateDecisionDoesNotAlias(t *testing.T) {
	docs := []NamedDocument{sys("AdministratorAccess")}
	d := Evaluate(docs, AuthzRequest{Action: "ecs:DescribeInstances", Resource: "*"})
	d.Policy.Name = "changed"
	if docs[0].Name != "AdministratorAccess" {
		t.Fatalf("Decision.Policy aliases the caller's slice")
	}
}

func TestValidatePolicyDocument(t *testing.T) {
	long := `{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:Describe*","Resource":"` + strings.Repeat("a", 6200) + `"}]}`
	tests := []struct {
		name     string
		doc      string
		maxLen   int
		wantCode string // "" = valid
		wantMsg  string
	}{
		{"deny-high-risk sample", denyHighRiskSample, DefaultPolicyDocumentMaxLength, "", ""},
		{"single statement object", `{"Version":"1","Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}`, 0, "", ""},
		{"trust policy with Principal", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":["acs:ram::1234567890123456:root"]}}]}`, 0, "", ""},
		{"every operator family", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{
			"StringLike":{"acs:SourceIp":"127.*"},"NumericLessThan":{"acs:Foo":[1,2.5]},"DateGreaterThan":{"acs:CurrentTime":"2020-01-01T00:00:00Z"},
			"Bool":{"acs:MFAPresent":true},"IpAddress":{"acs:SourceIp":["10.0.0.0/8","::1"]},"NotIpAddress":{"acs:SourceIp":"127.0.0.66"}}}]}`, 0, "", ""},
		{"exactly at the limit", allowDoc("*", "*"), len(allowDoc("*", "*")), "", ""},
		{"no limit", long, 0, "", ""},

		{"too long", long, DefaultPolicyDocumentMaxLength, CodePolicyLengthExceeded, "the limit is 6144"},
		{"empty", "", 0, CodeMalformedPolicyDocument, "empty"},
		{"not JSON", `{"Version":"1",`, 0, CodeMalformedPolicyDocument, "not a JSON object"},
		{"trailing data", allowDoc("*", "*") + `]`, 0, CodeMalformedPolicyDocument, "unexpected data"},
		{"top level array", `[]`, 0, CodeMalformedPolicyDocument, "not a JSON object"},
		{"unknown top-level element", `{"Version":"1","Id":"x","Statement":[]}`, 0, CodeMalformedPolicyDocument, `unknown element "Id"`},
		{"missing Version", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, 0, CodeMalformedPolicyDocument, "Version: missing"},
		{"Version 2", `{"Version":"2","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, 0, CodeMalformedPolicyDocument, `Version: must be the string "1"`},
		{"numeric Version", `{"Version":1,"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, 0, CodeMalformedPolicyDocument, "Version"},
		{"missing Statement", `{"Version":"1"}`, 0, CodeMalformedPolicyDocument, "Statement: missing"},
		{"null Statement", `{"Version":"1","Statement":null}`, 0, CodeMalformedPolicyDocument, "Statement: missing"},
		{"empty Statement", `{"Version":"1","Statement":[]}`, 0, CodeMalformedPolicyDocument, "Statement: empty"},
		{"Statement string", `{"Version":"1","Statement":"Allow"}`, 0, CodeMalformedPolicyDocument, "Statement: must be an array or an object"},
		{"statement not an object", `{"Version":"1","Statement":[1]}`, 0, CodeMalformedPolicyDocument, "Statement[0]: must be an object"},
		{"missing Effect", `{"Version":"1","Statement":[{"Action":"*","Resource":"*"}]}`, 0, CodeMalformedPolicyDocument, "Statement[0].Effect: missing"},
		{"bad Effect", `{"Version":"1","Statement":[{"Effect":"Permit","Action":"*","Resource":"*"}]}`, 0, CodeMalformedPolicyDocument, `Statement[0].Effect: must be "Allow" or "Deny"`},
		{"lower-case Effect value", `{"Version":"1","Statement":[{"Effect":"allow","Action":"*","Resource":"*"}]}`, 0, CodeMalformedPolicyDocument, "Statement[0].Effect"},
		{"unknown statement element", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resources":"*"}]}`, 0, CodeMalformedPolicyDocument, "Statement[0].Resources: unknown element"},
		{"missing Action", `{"Version":"1","Statement":[{"Effect":"Allow","Resource":"*"}]}`, 0, CodeMalformedPolicyDocument, "Statement[0].Action: missing"},
		{"Action and NotAction", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","NotAction":"ram:*","Resource":"*"}]}`, 0, CodeMalformedPolicyDocument, "mutually exclusive"},
		{"Action number", `{"Version":"1","Statement":[{"Effect":"Allow","Action":5,"Resource":"*"}]}`, 0, CodeMalformedPolicyDocument, "Statement[0].Action: must be a string or an array of strings"},
		{"Action array of numbers", `{"Version":"1","Statement":[{"Effect":"Allow","Action":[5],"Resource":"*"}]}`, 0, CodeMalformedPolicyDocument, "Statement[0].Action"},
		{"Action empty array", `{"Version":"1","Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}`, 0, CodeMalformedPolicyDocument, "Statement[0].Action: empty"},
		{"Action without product", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"DescribeInstances","Resource":"*"}]}`, 0, CodeMalformedPolicyDocument, `"DescribeInstances" is not`},
		{"NotAction malformed", `{"Version":"1","Statement":[{"Effect":"Allow","NotAction":["ecs:"],"Resource":"*"}]}`, 0, CodeMalformedPolicyDocument, "Statement[0].NotAction"},
		{"Resource and NotResource", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"x"}]}`, 0, CodeMalformedPolicyDocument, "Resource and NotResource are mutually exclusive"},
		{"empty resource", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":[""]}]}`, 0, CodeMalformedPolicyDocument, "Statement[0].Resource: empty resource"},
		{"Condition not an object", condDoc("Allow", "*", `[]`), 0, CodeMalformedPolicyDocument, "Statement[0].Condition: must be an object"},
		{"unknown operator", condDoc("Allow", "*", `{"StringEqualz":{"acs:SourceIp":"1.2.3.4"}}`), 0, CodeMalformedPolicyDocument, "Statement[0].Condition.StringEqualz: unknown condition operator"},
		{"operator case matters", condDoc("Allow", "*", `{"ipaddress":{"acs:SourceIp":"1.2.3.4"}}`), 0, CodeMalformedPolicyDocument, "unknown condition operator"},
		{"operator body not an object", condDoc("Allow", "*", `{"Bool":true}`), 0, CodeMalformedPolicyDocument, "Condition.Bool: must be an object"},
		{"operator without keys", condDoc("Allow", "*", `{"Bool":{}}`), 0, CodeMalformedPolicyDocument, "Condition.Bool: empty"},
		{"condition value object", condDoc("Allow", "*", `{"StringEquals":{"acs:SourceIp":{"a":1}}}`), 0, CodeMalformedPolicyDocument, "Condition.StringEquals.acs:SourceIp"},
		{"condition without values", condDoc("Allow", "*", `{"StringEquals":{"acs:SourceIp":[]}}`), 0, CodeMalformedPolicyDocument, "no values"},
		{"bad number", condDoc("Allow", "*", `{"NumericEquals":{"acs:Foo":"ten"}}`), 0, CodeMalformedPolicyDocument, `"ten" is not a number`},
		{"bad date", condDoc("Allow", "*", `{"DateLessThan":{"acs:CurrentTime":"tomorrow"}}`), 0, CodeMalformedPolicyDocument, `"tomorrow" is not an ISO 8601 time`},
		{"bad bool", condDoc("Allow", "*", `{"Bool":{"acs:MFAPresent":"yes"}}`), 0, CodeMalformedPolicyDocument, `"yes" is not true or false`},
		{"bad CIDR", condDoc("Allow", "*", `{"IpAddress":{"acs:SourceIp":"10.0.0.0/33"}}`), 0, CodeMalformedPolicyDocument, `"10.0.0.0/33" is not an IP address or CIDR`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidatePolicyDocument(tc.doc, tc.maxLen)
			if tc.wantCode == "" {
				if err != nil {
					t.Fatalf("ValidatePolicyDocument() = %v, want nil", err)
				}
				return
			}
			var pe *PolicyDocError
			if !errors.As(err, &pe) {
				t.Fatalf("ValidatePolicyDocument() = %v, want a *PolicyDocError", err)
			}
			if pe.Code != tc.wantCode {
				t.Errorf("code = %s, want %s (message %q)", pe.Code, tc.wantCode, pe.Message)
			}
			if !strings.Contains(pe.Message, tc.wantMsg) {
				t.Errorf("message = %q, want it to contain %q", pe.Message, tc.wantMsg)
			}
			if !strings.HasPrefix(err.Error(), tc.wantCode+": ") {
				t.Errorf("Error() = %q, want the code first", err.Error())
			}
		})
	}
}

func TestSystemPoliciesAreValid(t *testing.T) {
	required := []string{"AdministratorAccess", "ReadOnlyAccess", "AliyunRAMFullAccess", "AliyunRAMReadOnlyAccess",
		"AliyunECSFullAccess", "AliyunActionTrailFullAccess", "AliyunSTSAssumeRoleAccess", "AliyunRDSFullAccess", "AliyunDysmsFullAccess"}
	for _, name := range required {
		if _, ok := SystemPolicies[name]; !ok {
			t.Errorf("system policy %s is missing", name)
		}
	}
	for name, p := range SystemPolicies {
		if p.Name != name {
			t.Errorf("SystemPolicies[%q].Name = %q", name, p.Name)
		}
		if p.Description == "" {
			t.Errorf("%s has no description", name)
		}
		if err := ValidatePolicyDocument(p.Document, DefaultPolicyDocumentMaxLength); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Each policy grants what its name promises and nothing beyond.
	grants := []struct {
		policy, action string
		want           bool
	}{
		{"ReadOnlyAccess", "ecs:DescribeInstances", true},
		{"ReadOnlyAccess", "kms:BatchGetSecretValue", true},
		{"ReadOnlyAccess", "ecs:DeleteInstance", false},
		{"AliyunRAMReadOnlyAccess", "ram:GetUser", true},
		{"AliyunRAMReadOnlyAccess", "ram:CreateAccessKey", false},
		{"AliyunECSFullAccess", "ecs:RunInstances", true},
		{"AliyunECSFullAccess", "vpc:DescribeVpcs", true},
		{"AliyunECSFullAccess", "ram:CreateUser", false},
		{"AliyunActionTrailFullAccess", "actiontrail:StopLogging", true},
		{"AliyunSTSAssumeRoleAccess", "sts:AssumeRole", true},
		{"AliyunSTSAssumeRoleAccess", "sts:AssumeRoleWithOIDC", false},
		{"AliyunRDSFullAccess", "rds:DeleteDBInstance", true},
		{"AliyunDysmsFullAccess", "dysms:SendSms", true},
		{"AliyunDysmsFullAccess", "ecs:DescribeInstances", false},
	}
	for _, g := range grants {
		got := Evaluate([]NamedDocument{sys(g.policy)}, AuthzRequest{Action: g.action, Resource: "*"}).Allowed()
		if got != g.want {
			t.Errorf("%s allows %s = %v, want %v", g.policy, g.action, got, g.want)
		}
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"", "", true},
		{"", "a", false},
		{"a*", "a", true},
		{"a*b", "axxb", true},
		{"a*b", "axxbc", false},
		{"*b*", "abc", true},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"**", "x", true},
		{"a*a*a*a*b", strings.Repeat("a", 100), false},
		{"ün?", "üni", true},
		{"?", "ü", true},
	}
	for _, tc := range tests {
		if got := peGlob(tc.pattern, tc.s); got != tc.want {
			t.Errorf("peGlob(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestPolicyCacheBounded(t *testing.T) {
	for i := 0; i < peCacheMax+50; i++ {
		cachedPolicy(allowDoc("ecs:Describe*", fmt.Sprintf("acs:ecs:*:*:instance/i-%d", i)))
	}
	peCache.RLock()
	n := len(peCache.m)
	peCache.RUnlock()
	if n > peCacheMax {
		t.Fatalf("cache holds %d documents, limit %d", n, peCacheMax)
	}
}

func FuzzEvaluate(f *testing.F) {
	f.Add(denyHighRiskSample, "ram:CreateUser", "*", "127.0.0.66", false)
	f.Add(SystemPolicies["ReadOnlyAccess"].Document, "ecs:DescribeInstances", "acs:ecs::1:instance/i-1", "127.0.0.10", true)
	f.Add(condDoc("Deny", "*", `{"NotIpAddress":{"acs:SourceIp":"127.0.0.10/31"},"DateLessThan":{"acs:CurrentTime":"2030-01-01"}}`), "ecs:RunInstances", "*", "::1", false)
	f.Add(`{"Version":"1","Statement":{"Effect":"Allow","NotAction":"ram:*","NotResource":["acs:ram:*:*:user/?*"]}}`, "ecs:X", "acs:ram:*:1:user/a", "", true)
	f.Add(`{"Version":"1"`, "", "", "garbage", false)
	f.Fuzz(func(t *testing.T, doc, action, resource, ip string, mfa bool) {
		req := AuthzRequest{Action: action, Resource: resource, SourceIP: ip, MFAPresent: mfa, CurrentTime: evalNow}
		d := Evaluate([]NamedDocument{custom("fuzz", doc)}, req)
		switch d.Effect {
		case EffectAllow, EffectExplicitDeny:
			if d.Policy == nil || d.Policy.Name != "fuzz" {
				t.Fatalf("%s without the deciding policy", d.Effect)
			}
		case EffectImplicitDeny:
			if d.Policy != nil {
				t.Fatalf("implicit deny names a policy")
			}
		default:
			t.Fatalf("unknown effect %q", d.Effect)
		}
		if err := ValidatePolicyDocument(doc, 0); err != nil {
			var pe *PolicyDocError
			if !errors.As(err, &pe) || pe.Code != CodeMalformedPolicyDocument {
				t.Fatalf("ValidatePolicyDocument error %v is not MalformedPolicyDocument", err)
			}
			if d.Effect != EffectImplicitDeny {
				t.Fatalf("invalid document decided %s", d.Effect)
			}
		}
		// A session copy of an identity policy never widens it.
		both := Evaluate([]NamedDocument{custom("fuzz", doc), session(doc)}, req)
		if both.Effect == EffectAllow && d.Effect != EffectAllow {
			t.Fatalf("session intersection allowed what the policy alone did not")
		}
	})
}

func BenchmarkEvaluate(b *testing.B) {
	docs := []NamedDocument{
		sys("AdministratorAccess"),
		custom("AKRespDenyHighRisk", denyHighRiskSample),
		custom("fence", condDoc("Deny", "*", `{"NotIpAddress":{"acs:SourceIp":["127.0.0.10/31","10.0.0.0/8"]}}`)),
		sys("ReadOnlyAccess"),
	}
	req := AuthzRequest{Action: "ecs:DescribeInstances", Resource: "*", SourceIP: "127.0.0.10", CurrentTime: evalNow}
	b.ReportAllocs()
	for b.Loop() {
		if !Evaluate(docs, req).Allowed() {
			b.Fatal("denied")
		}
	}
}
