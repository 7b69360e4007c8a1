package cloud

import (
	"context"
	"regexp"
	"strconv"
	"time"
)

// STS 2015-04-01. The v2.0.4 SDK has no context-aware methods; calls go
// through its embedded openapi client's CallApiWithCtx. Its Init sets
// SignatureAlgorithm "v2", which routes CallApi to V1 RPC signing
// (alibaba-cloud-api.md §1.2, §13).

func stsAPI(action string) apiSpec { return apiSpec{service: "STS", action: action} }

// GetCallerIdentity says who akresp is running as. It needs no RAM
// permission.
func (c *Clients) GetCallerIdentity(ctx context.Context) (CallerIdentity, error) {
	api := stsAPI("GetCallerIdentity")
	var out struct {
		IdentityType string `json:"IdentityType"`
		AccountID    string `json:"AccountId"`
		Arn          string `json:"Arn"`
		PrincipalID  string `json:"PrincipalId"`
		UserID       string `json:"UserId"`
		RoleID       string `json:"RoleId"`
	}
	if err := c.rpc(ctx, &c.sts.Client, api, stsVersion, "", nil, &out); err != nil {
		return CallerIdentity{}, err
	}
	return CallerIdentity{
		IdentityType: out.IdentityType,
		AccountID:    out.AccountID,
		Arn:          out.Arn,
		PrincipalID:  out.PrincipalID,
		UserID:       out.UserID,
		RoleID:       out.RoleID,
	}, nil
}

// IdentityTypeName maps STS GetCallerIdentity's IdentityType (RAMUser,
// AssumedRoleUser, Account) to the identity_type of akresp's JSON output,
// which follows ActionTrail's userIdentity.type: ram-user, assumed-role,
// root-account (docs/json.md). Anything else is returned as-is.
func IdentityTypeName(sts string) string {
	switch sts {
	case "RAMUser":
		return "ram-user"
	case "AssumedRoleUser":
		return "assumed-role"
	case "Account":
		return "root-account"
	}
	return sts
}

var sessionNameRE = regexp.MustCompile(`^[\w.@-]{2,64}$`)

// AssumeRole returns temporary credentials for roleArn. duration 0 means
// the service default (1h); otherwise at least 15 minutes, whole seconds.
// policy "" means the role's full permissions.
func (c *Clients) AssumeRole(ctx context.Context, roleArn, sessionName string, duration time.Duration, policy string) (STSCredentials, error) {
	api := stsAPI("AssumeRole")
	switch {
	case roleArn == "":
		return STSCredentials{}, refuse(api, "", "role arn is empty")
	case !sessionNameRE.MatchString(sessionName):
		return STSCredentials{}, refuse(api, roleArn, "session name %q: want 2-64 letters, digits and . @ - _", sessionName)
	case duration != 0 && duration < 15*time.Minute:
		return STSCredentials{}, refuse(api, roleArn, "duration %s: want at least 15m", duration)
	case len(policy) > 2048:
		return STSCredentials{}, refuse(api, roleArn, "session policy is %d characters: at most 2048 are accepted", len(policy))
	}
	q := map[string]string{"RoleArn": roleArn, "RoleSessionName": sessionName}
	if duration != 0 {
		q["DurationSeconds"] = strconv.FormatInt(int64(duration/time.Second), 10)
	}
	if policy != "" {
		q["Policy"] = policy
	}
	var out struct {
		Credentials *struct {
			AccessKeyID     string `json:"AccessKeyId"`
			AccessKeySecret string `json:"AccessKeySecret"`
			SecurityToken   string `json:"SecurityToken"`
			Expiration      string `json:"Expiration"`
		} `json:"Credentials"`
		RequestID string `json:"RequestId"`
	}
	if err := c.rpc(ctx, &c.sts.Client, api, stsVersion, roleArn, q, &out); err != nil {
		return STSCredentials{}, err
	}
	if out.Credentials == nil || out.Credentials.AccessKeyID == "" {
		return STSCredentials{}, &APIError{API: api.name(), Target: roleArn, RequestID: out.RequestID,
			Message: "response carries no credentials", class: errNoClass}
	}
	cr := out.Credentials
	return STSCredentials{
		AccessKeyID:     cr.AccessKeyID,
		AccessKeySecret: secretFrom(cr.AccessKeySecret),
		SecurityToken:   secretFrom(cr.SecurityToken),
		Expiration:      c.parseTime(api.name(), "Expiration", cr.Expiration),
	}, nil
}
