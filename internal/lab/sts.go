package lab

import (
	"encoding/json"
	"github.com/akresp/akresp/internal/lazyre"
	"net/http"
	"strings"
	"time"
)

// STS 2015-04-01 (alibaba-cloud-api.md section 13). The sts SDK signs with
// V1; the credentials it issues work for V3 and V1 calls alike.

const maxSessionPolicyLength = 2048

var reSessionName = lazyre.New(`^[\w.@-]{2,64}$`)

func stsRoutes() map[string]route {
	return map[string]route{
		"GetCallerIdentity": {handler: stsGetCallerIdentity, noAuthz: true},
		"AssumeRole":        {handler: stsAssumeRole, resource: func(c *call) string { return c.param("RoleArn") }},
	}
}

func stsGetCallerIdentity(c *call) (jobj, *apiError) {
	p := c.principal
	o := jobj{"AccountId": c.w.Account.ID, "Arn": p.arn()}
	switch p.kind {
	case "root-account":
		o["IdentityType"], o["PrincipalId"], o["UserId"] = "Account", c.w.Account.ID, c.w.Account.ID
	case "ram-user":
		uid := ""
		if p.user != nil {
			uid = p.user.UserID
		}
		o["IdentityType"], o["PrincipalId"], o["UserId"] = "RAMUser", uid, uid
	case "assumed-role":
		roleID := ""
		if p.role != nil {
			roleID = p.role.RoleID
		}
		o["IdentityType"], o["PrincipalId"], o["RoleId"] = "AssumedRoleUser", roleID+":"+p.token.SessionName, roleID
	}
	return o, nil
}

// stringOrList decodes a JSON string or array of strings.
type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

// trustAdmits evaluates a role's trust policy for an AssumeRole by p: some
// Allow statement for sts:AssumeRole must name the caller (its ARN, its
// account's root ARN — which trusts every identity of the account — or
// "*") under Principal.RAM, and no matching Deny statement may.
func trustAdmits(doc string, p *principal) bool {
	var d struct {
		Statement []struct {
			Effect    string
			Action    stringOrList
			Principal struct {
				RAM stringOrList
			}
		}
	}
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return false
	}
	names := map[string]bool{"*": true, "acs:ram::" + p.acct + ":root": true, p.acct: true}
	switch p.kind {
	case "ram-user":
		names["acs:ram::"+p.acct+":user/"+p.owner] = true
	case "assumed-role":
		names["acs:ram::"+p.acct+":role/"+p.token.RoleName] = true
	}
	allowed := false
	for _, st := range d.Statement {
		actionOK := false
		for _, a := range st.Action {
			if a = strings.ToLower(a); a == "sts:assumerole" || a == "sts:*" || a == "*" {
				actionOK = true
			}
		}
		principalOK := false
		for _, n := range st.Principal.RAM {
			if names[n] || names[strings.ToLower(n)] {
				principalOK = true
			}
		}
		if !actionOK || !principalOK {
			continue
		}
		switch st.Effect {
		case "Deny":
			return false
		case "Allow":
			allowed = true
		}
	}
	return allowed
}

// roleFromARN resolves acs:ram::<acct>:role/<name> (role names match
// case-insensitively, as Alibaba lower-cases them in ARNs).
func roleFromARN(w *World, arn string) *Role {
	prefix := "acs:ram::" + w.Account.ID + ":role/"
	if !strings.HasPrefix(strings.ToLower(arn), strings.ToLower(prefix)) {
		return nil
	}
	name := arn[len(prefix):]
	if r, ok := w.Roles[name]; ok {
		return r
	}
	for n, r := range w.Roles {
		if strings.EqualFold(n, name) {
			return r
		}
	}
	return nil
}

func stsAssumeRole(c *call) (jobj, *apiError) {
	p := c.principal
	if p.isRoot() {
		// The root account may not call AssumeRole (section 13).
		return nil, errNoPermission(nil)
	}
	arn, aerr := c.require("RoleArn")
	if aerr != nil {
		return nil, aerr
	}
	session, aerr := c.require("RoleSessionName")
	if aerr != nil {
		return nil, aerr
	}
	if !reSessionName.MatchString(session) {
		return nil, errInvalidParam("RoleSessionName", "Specified parameter RoleSessionName %q is not valid: 2-64 characters of letters, digits, '.', '@', '-', '_'.", session)
	}
	role := roleFromARN(c.w, arn)
	if role == nil {
		return nil, errNotExist("EntityNotExist.Role", "The role does not exist: %s.", arn)
	}
	maxDur := int(role.MaxSessionDuration)
	if maxDur < 3600 {
		maxDur = 3600
	}
	dur, aerr := c.intParam("DurationSeconds", 3600, 900, maxDur)
	if aerr != nil {
		return nil, aerr
	}
	policy := c.param("Policy")
	if policy != "" {
		if aerr := c.validatePolicyDoc(policy, maxSessionPolicyLength); aerr != nil {
			return nil, aerr
		}
	}
	if !trustAdmits(role.AssumeRolePolicyDocument, p) {
		return nil, newError(http.StatusForbidden, "NoPermission", "%s (the trust policy of role %s does not admit %s)", msgNoPermission, role.RoleName, p.arn())
	}
	var id string
	for {
		id = "STS.NU" + randomString(alnum, 23)
		if _, used := c.w.STSTokens[id]; !used {
			break
		}
	}
	tok := &STSToken{
		AccessKeyID:   id,
		Secret:        randomString(alnum, 44),
		SecurityToken: "CAIS" + randomString(alnum, 300),
		RoleName:      role.RoleName,
		SessionName:   session,
		SessionPolicy: policy,
		SourceKeyID:   p.keyID,
		Expiration:    c.now.Add(time.Duration(dur) * time.Second),
	}
	c.w.STSTokens[id] = tok
	return jobj{
		"AssumedRoleUser": jobj{
			"Arn":           "acs:ram::" + c.w.Account.ID + ":role/" + role.RoleName + "/" + session,
			"AssumedRoleId": role.RoleID + ":" + session,
		},
		"Credentials": jobj{
			"AccessKeyId":     tok.AccessKeyID,
			"AccessKeySecret": tok.Secret,
			"SecurityToken":   tok.SecurityToken,
			"Expiration":      fmtTime(tok.Expiration),
		},
	}, nil
}
