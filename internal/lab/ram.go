package lab

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"github.com/akresp/akresp/internal/lazyre"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// RAM 2015-05-01 (alibaba-cloud-api.md section 10). Wire shapes follow the
// ram-20150501 v2.2.1 response models: list wrappers are objects holding
// the array ("Users":{"User":[...]}), dates are UTC seconds.

type jobj = map[string]any

// Quotas (section 19, the newer numbers).
const (
	maxKeysPerUser          = 2
	maxUsers                = 1000
	maxRoles                = 1000
	maxGroups               = 50
	maxGroupsPerUser        = 5
	maxCustomPolicies       = 1500
	maxPolicyVersions       = 5
	maxCustomPerPrincipal   = 10
	maxSystemPerPrincipal   = 20
	recycleRetention        = 31 * 24 * time.Hour
	systemPolicyDateLiteral = "2015-04-28T16:00:00Z"
)

var (
	reUserName   = lazyre.New(`^[A-Za-z0-9._-]{1,64}$`)
	reGroupName  = lazyre.New(`^[A-Za-z0-9._-]{1,64}$`)
	reRoleName   = lazyre.New(`^[A-Za-z0-9.-]{1,64}$`)
	rePolicyName = lazyre.New(`^[A-Za-z0-9-]{1,128}$`)
	reVersionID  = lazyre.New(`^v[1-9][0-9]*$`)
)

// --- parameter helpers -------------------------------------------------

func (c *call) param(name string) string { return c.params[name] }

func (c *call) require(name string) (string, *apiError) {
	v := c.params[name]
	if v == "" {
		return "", errMissing(name)
	}
	return v, nil
}

func (c *call) boolParam(name string, def bool) (bool, *apiError) {
	v, ok := c.params[name]
	if !ok || v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return def, errInvalidParam(name, "Specified parameter %s is not valid: %q is not a boolean.", name, v)
	}
	return b, nil
}

func (c *call) intParam(name string, def, lo, hi int) (int, *apiError) {
	v, ok := c.params[name]
	if !ok || v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return def, errInvalidParam(name, "Specified parameter %s is not valid: %q is not an integer in %d..%d.", name, v, lo, hi)
	}
	return n, nil
}

// checkName validates a RAM entity name.
func checkName(kind, value string, re *lazyre.Regexp, maxLen int) *apiError {
	if len(value) > maxLen {
		return newError(http.StatusBadRequest, "InvalidParameter."+kind+".Length", "The parameter %s %q is longer than %d characters.", kind, value, maxLen)
	}
	if !re.MatchString(value) {
		return newError(http.StatusBadRequest, "InvalidParameter."+kind+".InvalidChars", "The parameter %s %q contains invalid characters.", kind, value)
	}
	return nil
}

// pageKeys pages through sorted keys. A marker is the opaque (base64url)
// key of the first item of the next page, so paging survives concurrent
// inserts and deletes.
func pageKeys(keys []string, marker string, maxItems int) (page []string, next string, aerr *apiError) {
	start := 0
	if marker != "" {
		raw, err := base64.RawURLEncoding.DecodeString(marker)
		if err != nil || len(raw) == 0 {
			return nil, "", errInvalidParam("Marker", "Specified parameter Marker %q is not valid.", marker)
		}
		from := string(raw)
		start = sort.SearchStrings(keys, from)
	}
	end := min(start+maxItems, len(keys))
	if end < len(keys) {
		next = base64.RawURLEncoding.EncodeToString([]byte(keys[end]))
	}
	return keys[start:end], next, nil
}

func pagingParams(c *call, def int) (string, int, *apiError) {
	n, aerr := c.intParam("MaxItems", def, 1, 1000)
	return c.param("Marker"), n, aerr
}

func pagedResult(wrapper, item string, list []jobj, next string) jobj {
	if list == nil {
		list = []jobj{}
	}
	r := jobj{"IsTruncated": next != "", wrapper: jobj{item: list}}
	if next != "" {
		r["Marker"] = next
	}
	return r
}

// --- lookups with RAM error codes --------------------------------------

func (c *call) user(name string) (*User, *apiError) {
	u, ok := c.w.Users[name]
	if !ok {
		return nil, errNotExist("EntityNotExist.User", "The user does not exist: %s.", name)
	}
	return u, nil
}

func (c *call) requireUser() (*User, *apiError) {
	name, aerr := c.require("UserName")
	if aerr != nil {
		return nil, aerr
	}
	return c.user(name)
}

func (c *call) group(name string) (*Group, *apiError) {
	g, ok := c.w.Groups[name]
	if !ok {
		return nil, errNotExist("EntityNotExist.Group", "The group does not exist: %s.", name)
	}
	return g, nil
}

func (c *call) role(name string) (*Role, *apiError) {
	r, ok := c.w.Roles[name]
	if !ok {
		return nil, errNotExist("EntityNotExist.Role", "The role does not exist: %s.", name)
	}
	return r, nil
}

// callerOwner is the key owner a key operation without a user parameter
// targets: the caller itself ("" for root). Role sessions own no keys.
func (c *call) callerOwner() (string, *apiError) {
	switch c.principal.kind {
	case "root-account":
		return "", nil
	case "ram-user":
		return c.principal.owner, nil
	}
	return "", errMissing("UserName")
}

// ramKeyOwner resolves UserName (or the caller) for RAM key operations.
func (c *call) ramKeyOwner() (string, *apiError) {
	if name := c.param("UserName"); name != "" {
		if _, aerr := c.user(name); aerr != nil {
			return "", aerr
		}
		return name, nil
	}
	return c.callerOwner()
}

// ownedKey finds key id among owner's keys.
func (c *call) ownedKey(owner, id string) (*AccessKey, *apiError) {
	k, ok := c.w.AccessKeys[id]
	if !ok || k.Owner != owner {
		who := "the root account"
		if owner != "" {
			who = "user " + owner
		}
		return nil, errNotExist("EntityNotExist.User.AccessKey", "The access key %s does not exist for %s.", id, who)
	}
	return k, nil
}

// --- shared mutations (RAM and IMS) ------------------------------------

func createKey(c *call, owner string) (*AccessKey, *apiError) {
	if len(keysOf(c.w, owner)) >= maxKeysPerUser {
		who := "the root account"
		if owner != "" {
			who = "user " + owner
		}
		return nil, errConflict("LimitExceeded.User.AccessKey", "The count of access keys of %s exceeds the limit of %d.", who, maxKeysPerUser)
	}
	k := &AccessKey{
		ID:         newAccessKeyID(c.w),
		Secret:     randomString(alnum, 30),
		Owner:      owner,
		Status:     "Active",
		CreateDate: c.now,
		UpdateDate: c.now,
	}
	c.w.AccessKeys[k.ID] = k
	c.w.keysChanged()
	return k, nil
}

func parseKeyStatus(c *call) (string, *apiError) {
	st, aerr := c.require("Status")
	if aerr != nil {
		return "", aerr
	}
	if st != "Active" && st != "Inactive" {
		return "", errInvalidParam("Status", "Specified parameter Status %q is not valid; use Active or Inactive.", st)
	}
	return st, nil
}

func recycleKey(c *call, k *AccessKey) {
	delete(c.w.AccessKeys, k.ID)
	c.w.keysChanged()
	c.w.RecycleBin[k.ID] = &RecycledKey{Key: *k, RecycleDate: c.now, DeleteDate: c.now.Add(recycleRetention)}
}

func lastUsedDate(c *call, keyID string) (string, string) {
	e := lastUsed(c.w, &c.s.idx, keyID, time.Time{})
	if e == nil {
		return "", ""
	}
	return e.EventTime, e.ServiceName
}

// --- object renderers --------------------------------------------------

func userObj(u *User, withLogin bool) jobj {
	o := jobj{
		"UserId":      u.UserID,
		"UserName":    u.UserName,
		"DisplayName": u.DisplayName,
		"Email":       u.Email,
		"MobilePhone": u.MobilePhone,
		"Comments":    u.Comments,
		"CreateDate":  fmtTime(u.CreateDate),
		"UpdateDate":  fmtTime(u.UpdateDate),
	}
	if withLogin && !u.LastLoginDate.IsZero() {
		o["LastLoginDate"] = fmtTime(u.LastLoginDate)
	}
	return o
}

func roleObj(r *Role, withDoc bool) jobj {
	o := jobj{
		"RoleId":             r.RoleID,
		"RoleName":           r.RoleName,
		"Arn":                r.Arn,
		"Description":        r.Description,
		"MaxSessionDuration": r.MaxSessionDuration,
		"CreateDate":         fmtTime(r.CreateDate),
		"UpdateDate":         fmtTime(r.UpdateDate),
	}
	if withDoc {
		o["AssumeRolePolicyDocument"] = r.AssumeRolePolicyDocument
	}
	return o
}

// policyInfo is a system or custom policy seen through the API.
type policyInfo struct {
	name, typ, description, defaultVersion string
	createDate, updateDate                 string
	custom                                 *Policy
	systemDocument                         string
}

func (c *call) findPolicy(typ, name string) (*policyInfo, *apiError) {
	switch typ {
	case "System":
		sp, ok := SystemPolicies[name]
		if !ok {
			return nil, errNotExist("EntityNotExist.Policy", "The policy does not exist: %s (System).", name)
		}
		return &policyInfo{name: name, typ: "System", description: sp.Description, defaultVersion: "v1",
			createDate: systemPolicyDateLiteral, updateDate: systemPolicyDateLiteral, systemDocument: sp.Document}, nil
	case "Custom":
		p, ok := c.w.Policies[name]
		if !ok {
			return nil, errNotExist("EntityNotExist.Policy", "The policy does not exist: %s (Custom).", name)
		}
		return &policyInfo{name: name, typ: "Custom", description: p.Description, defaultVersion: p.DefaultVersion,
			createDate: fmtTime(p.CreateDate), updateDate: fmtTime(p.UpdateDate), custom: p}, nil
	case "":
		return nil, errMissing("PolicyType")
	}
	return nil, errInvalidParam("PolicyType", "Specified parameter PolicyType %q is not valid; use System or Custom.", typ)
}

func (pi *policyInfo) versions() []jobj {
	if pi.custom == nil {
		return []jobj{{"VersionId": "v1", "IsDefaultVersion": true, "PolicyDocument": pi.systemDocument, "CreateDate": pi.createDate}}
	}
	out := make([]jobj, 0, len(pi.custom.Versions))
	for _, v := range pi.custom.Versions {
		out = append(out, versionObj(pi.custom, v))
	}
	return out
}

func versionObj(p *Policy, v *PolicyVersion) jobj {
	return jobj{"VersionId": v.VersionID, "IsDefaultVersion": v.VersionID == p.DefaultVersion, "PolicyDocument": v.Document, "CreateDate": fmtTime(v.CreateDate)}
}

func (pi *policyInfo) defaultDocument() string {
	if pi.custom == nil {
		return pi.systemDocument
	}
	if v := pi.custom.version(pi.custom.DefaultVersion); v != nil {
		return v.Document
	}
	return ""
}

// validatePolicyDoc maps the evaluator's validation errors to API errors.
func (c *call) validatePolicyDoc(doc string, maxLen int) *apiError {
	err := ValidatePolicyDocument(doc, maxLen)
	if err == nil {
		return nil
	}
	code, msg := "MalformedPolicyDocument", err.Error()
	var pde *PolicyDocError
	if errors.As(err, &pde) && pde.Code != "" {
		code, msg = pde.Code, pde.Message
	}
	return newError(http.StatusBadRequest, code, "The policy document is not valid: %s.", msg)
}

// --- routes ------------------------------------------------------------

func ramRoutes() map[string]route {
	h := func(f func(c *call) (jobj, *apiError)) route {
		return route{handler: f, resource: ramResource}
	}
	return map[string]route{
		"CreateUser":              h(ramCreateUser),
		"GetUser":                 h(ramGetUser),
		"ListUsers":               h(ramListUsers),
		"UpdateUser":              h(ramUpdateUser),
		"DeleteUser":              h(ramDeleteUser),
		"CreateAccessKey":         h(ramCreateAccessKey),
		"ListAccessKeys":          h(ramListAccessKeys),
		"UpdateAccessKey":         h(ramUpdateAccessKey),
		"DeleteAccessKey":         h(ramDeleteAccessKey),
		"GetAccessKeyLastUsed":    h(ramGetAccessKeyLastUsed),
		"CreateLoginProfile":      h(ramCreateLoginProfile),
		"GetLoginProfile":         h(ramGetLoginProfile),
		"UpdateLoginProfile":      h(ramUpdateLoginProfile),
		"DeleteLoginProfile":      h(ramDeleteLoginProfile),
		"GetUserMFAInfo":          h(ramGetUserMFAInfo),
		"CreateVirtualMFADevice":  h(ramCreateVirtualMFADevice),
		"BindMFADevice":           h(ramBindMFADevice),
		"UnbindMFADevice":         h(ramUnbindMFADevice),
		"DeleteVirtualMFADevice":  h(ramDeleteVirtualMFADevice),
		"ListVirtualMFADevices":   h(ramListVirtualMFADevices),
		"ListGroups":              h(ramListGroups),
		"CreateGroup":             h(ramCreateGroup),
		"GetGroup":                h(ramGetGroup),
		"DeleteGroup":             h(ramDeleteGroup),
		"AddUserToGroup":          h(ramAddUserToGroup),
		"RemoveUserFromGroup":     h(ramRemoveUserFromGroup),
		"ListGroupsForUser":       h(ramListGroupsForUser),
		"ListUsersForGroup":       h(ramListUsersForGroup),
		"CreatePolicy":            h(ramCreatePolicy),
		"GetPolicy":               h(ramGetPolicy),
		"GetPolicyVersion":        h(ramGetPolicyVersion),
		"CreatePolicyVersion":     h(ramCreatePolicyVersion),
		"ListPolicyVersions":      h(ramListPolicyVersions),
		"SetDefaultPolicyVersion": h(ramSetDefaultPolicyVersion),
		"DeletePolicyVersion":     h(ramDeletePolicyVersion),
		"DeletePolicy":            h(ramDeletePolicy),
		"ListPolicies":            h(ramListPolicies),
		"AttachPolicyToUser":      h(attachHandler("User")),
		"AttachPolicyToGroup":     h(attachHandler("Group")),
		"AttachPolicyToRole":      h(attachHandler("Role")),
		"DetachPolicyFromUser":    h(detachHandler("User")),
		"DetachPolicyFromGroup":   h(detachHandler("Group")),
		"DetachPolicyFromRole":    h(detachHandler("Role")),
		"ListPoliciesForUser":     h(listPoliciesForHandler("User")),
		"ListPoliciesForGroup":    h(listPoliciesForHandler("Group")),
		"ListPoliciesForRole":     h(listPoliciesForHandler("Role")),
		"ListEntitiesForPolicy":   h(ramListEntitiesForPolicy),
		"CreateRole":              h(ramCreateRole),
		"GetRole":                 h(ramGetRole),
		"ListRoles":               h(ramListRoles),
		"UpdateRole":              h(ramUpdateRole),
		"DeleteRole":              h(ramDeleteRole),
		"GetAccountAlias":         h(ramGetAccountAlias),
		"GetSecurityPreference":   h(ramGetSecurityPreference),
	}
}

// --- users -------------------------------------------------------------

func ramCreateUser(c *call) (jobj, *apiError) {
	name, aerr := c.require("UserName")
	if aerr != nil {
		return nil, aerr
	}
	if aerr := checkName("UserName", name, reUserName, 64); aerr != nil {
		return nil, aerr
	}
	if _, ok := c.w.Users[name]; ok {
		return nil, errConflict("EntityAlreadyExists.User", "The user already exists: %s.", name)
	}
	if len(c.w.Users) >= maxUsers {
		return nil, errConflict("LimitExceeded.User", "The count of users exceeds the limit of %d.", maxUsers)
	}
	display := c.param("DisplayName")
	if display == "" {
		display = name
	}
	u := &User{
		UserID:      newUserID(c.w),
		UserName:    name,
		DisplayName: display,
		Email:       c.param("Email"),
		MobilePhone: c.param("MobilePhone"),
		Comments:    c.param("Comments"),
		CreateDate:  c.now,
		UpdateDate:  c.now,
	}
	c.w.Users[name] = u
	o := userObj(u, false)
	delete(o, "UpdateDate")
	return jobj{"User": o}, nil
}

func ramGetUser(c *call) (jobj, *apiError) {
	u, aerr := c.requireUser()
	if aerr != nil {
		return nil, aerr
	}
	return jobj{"User": userObj(u, true)}, nil
}

func sortedUserNames(w *World) []string {
	names := make([]string, 0, len(w.Users))
	for n := range w.Users {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func ramListUsers(c *call) (jobj, *apiError) {
	marker, maxItems, aerr := pagingParams(c, 100)
	if aerr != nil {
		return nil, aerr
	}
	page, next, aerr := pageKeys(sortedUserNames(c.w), marker, maxItems)
	if aerr != nil {
		return nil, aerr
	}
	list := make([]jobj, 0, len(page))
	for _, n := range page {
		list = append(list, userObj(c.w.Users[n], false))
	}
	return pagedResult("Users", "User", list, next), nil
}

func ramUpdateUser(c *call) (jobj, *apiError) {
	u, aerr := c.requireUser()
	if aerr != nil {
		return nil, aerr
	}
	if nn := c.param("NewUserName"); nn != "" && nn != u.UserName {
		if aerr := checkName("NewUserName", nn, reUserName, 64); aerr != nil {
			return nil, aerr
		}
		if _, ok := c.w.Users[nn]; ok {
			return nil, errConflict("EntityAlreadyExists.User", "The user already exists: %s.", nn)
		}
		renameUser(c.w, u.UserName, nn)
	}
	if v, ok := c.params["NewDisplayName"]; ok && v != "" {
		u.DisplayName = v
	}
	if v, ok := c.params["NewEmail"]; ok {
		u.Email = v
	}
	if v, ok := c.params["NewMobilePhone"]; ok {
		u.MobilePhone = v
	}
	if v, ok := c.params["NewComments"]; ok {
		u.Comments = v
	}
	u.UpdateDate = c.now
	return jobj{"User": userObj(u, false)}, nil
}

func ramDeleteUser(c *call) (jobj, *apiError) {
	u, aerr := c.requireUser()
	if aerr != nil {
		return nil, aerr
	}
	n := u.UserName
	switch {
	case len(keysOf(c.w, n)) > 0:
		return nil, errConflict("DeleteConflict.User.AccessKey", "The user %s still has access keys; delete them first.", n)
	case c.w.Logins[n] != nil:
		return nil, errConflict("DeleteConflict.User.LoginProfile", "The user %s still has a login profile; delete it first.", n)
	case len(attachmentsOf(c.w, "User", n)) > 0:
		return nil, errConflict("DeleteConflict.User.Policy", "The user %s still has attached policies; detach them first.", n)
	case len(groupsOfUser(c.w, n)) > 0:
		return nil, errConflict("DeleteConflict.User.Group", "The user %s is still a member of groups; remove it first.", n)
	case c.w.MFADevices[n] != nil:
		return nil, errConflict("DeleteConflict.User.MFADevice", "The user %s still has an MFA device; unbind it first.", n)
	}
	delete(c.w.Users, n)
	return jobj{}, nil
}

// --- access keys -------------------------------------------------------

func ramCreateAccessKey(c *call) (jobj, *apiError) {
	owner, aerr := c.ramKeyOwner()
	if aerr != nil {
		return nil, aerr
	}
	k, aerr := createKey(c, owner)
	if aerr != nil {
		return nil, aerr
	}
	return jobj{"AccessKey": jobj{"AccessKeyId": k.ID, "AccessKeySecret": k.Secret, "Status": k.Status, "CreateDate": fmtTime(k.CreateDate)}}, nil
}

func ramListAccessKeys(c *call) (jobj, *apiError) {
	owner, aerr := c.ramKeyOwner()
	if aerr != nil {
		return nil, aerr
	}
	list := []jobj{}
	for _, k := range keysOf(c.w, owner) {
		list = append(list, jobj{"AccessKeyId": k.ID, "Status": k.Status, "CreateDate": fmtTime(k.CreateDate)})
	}
	return jobj{"AccessKeys": jobj{"AccessKey": list}}, nil
}

func ramUpdateAccessKey(c *call) (jobj, *apiError) {
	id, aerr := c.require("UserAccessKeyId")
	if aerr != nil {
		return nil, aerr
	}
	st, aerr := parseKeyStatus(c)
	if aerr != nil {
		return nil, aerr
	}
	owner, aerr := c.ramKeyOwner()
	if aerr != nil {
		return nil, aerr
	}
	k, aerr := c.ownedKey(owner, id)
	if aerr != nil {
		return nil, aerr
	}
	k.Status, k.UpdateDate = st, c.now
	return jobj{}, nil
}

func ramDeleteAccessKey(c *call) (jobj, *apiError) {
	id, aerr := c.require("UserAccessKeyId")
	if aerr != nil {
		return nil, aerr
	}
	owner, aerr := c.ramKeyOwner()
	if aerr != nil {
		return nil, aerr
	}
	k, aerr := c.ownedKey(owner, id)
	if aerr != nil {
		return nil, aerr
	}
	recycleKey(c, k)
	return jobj{}, nil
}

func ramGetAccessKeyLastUsed(c *call) (jobj, *apiError) {
	id, aerr := c.require("UserAccessKeyId")
	if aerr != nil {
		return nil, aerr
	}
	owner, aerr := c.ramKeyOwner()
	if aerr != nil {
		return nil, aerr
	}
	if _, aerr := c.ownedKey(owner, id); aerr != nil {
		return nil, aerr
	}
	last := jobj{}
	if d, _ := lastUsedDate(c, id); d != "" {
		last["LastUsedDate"] = d
	}
	return jobj{"AccessKeyLastUsed": last}, nil
}

// --- login profiles and MFA ----------------------------------------------

func loginObj(lp *LoginProfile) jobj {
	return jobj{"UserName": lp.UserName, "PasswordResetRequired": lp.PasswordResetRequired, "MFABindRequired": lp.MFABindRequired, "CreateDate": fmtTime(lp.CreateDate)}
}

func (c *call) loginProfile(user string) (*LoginProfile, *apiError) {
	lp, ok := c.w.Logins[user]
	if !ok {
		return nil, errNotExist("EntityNotExist.User.LoginProfile", "The login profile of user %s does not exist.", user)
	}
	return lp, nil
}

func checkPassword(pw string) *apiError {
	if len(pw) < 8 || len(pw) > 32 {
		return newError(http.StatusBadRequest, "InvalidParameter.Password.TooWeak", "The password does not satisfy the password policy: 8 to 32 characters.")
	}
	return nil
}

func createLoginProfile(c *call, u *User) (*LoginProfile, *apiError) {
	pw, aerr := c.require("Password")
	if aerr != nil {
		return nil, aerr
	}
	if aerr := checkPassword(pw); aerr != nil {
		return nil, aerr
	}
	if c.w.Logins[u.UserName] != nil {
		return nil, errConflict("EntityAlreadyExists.User.LoginProfile", "The login profile of user %s already exists.", u.UserName)
	}
	reset, aerr := c.boolParam("PasswordResetRequired", false)
	if aerr != nil {
		return nil, aerr
	}
	mfa, aerr := c.boolParam("MFABindRequired", false)
	if aerr != nil {
		return nil, aerr
	}
	lp := &LoginProfile{UserName: u.UserName, Status: "Active", PasswordResetRequired: reset, MFABindRequired: mfa, CreateDate: c.now, UpdateDate: c.now}
	c.w.Logins[u.UserName] = lp
	return lp, nil
}

// updateLoginProfile applies the optional Password, PasswordResetRequired,
// MFABindRequired (and, for IMS, Status) parameters.
func updateLoginProfile(c *call, lp *LoginProfile, withStatus bool) *apiError {
	if pw := c.param("Password"); pw != "" {
		if aerr := checkPassword(pw); aerr != nil {
			return aerr
		}
	}
	reset, aerr := c.boolParam("PasswordResetRequired", lp.PasswordResetRequired)
	if aerr != nil {
		return aerr
	}
	mfa, aerr := c.boolParam("MFABindRequired", lp.MFABindRequired)
	if aerr != nil {
		return aerr
	}
	if withStatus {
		if st := c.param("Status"); st != "" {
			if st != "Active" && st != "Inactive" {
				return errInvalidParam("Status", "Specified parameter Status %q is not valid; use Active or Inactive.", st)
			}
			lp.Status = st
		}
	}
	lp.PasswordResetRequired, lp.MFABindRequired, lp.UpdateDate = reset, mfa, c.now
	return nil
}

func ramCreateLoginProfile(c *call) (jobj, *apiError) {
	u, aerr := c.requireUser()
	if aerr != nil {
		return nil, aerr
	}
	lp, aerr := createLoginProfile(c, u)
	if aerr != nil {
		return nil, aerr
	}
	return jobj{"LoginProfile": loginObj(lp)}, nil
}

func ramGetLoginProfile(c *call) (jobj, *apiError) {
	u, aerr := c.requireUser()
	if aerr != nil {
		return nil, aerr
	}
	lp, aerr := c.loginProfile(u.UserName)
	if aerr != nil {
		return nil, aerr
	}
	return jobj{"LoginProfile": loginObj(lp)}, nil
}

func ramUpdateLoginProfile(c *call) (jobj, *apiError) {
	u, aerr := c.requireUser()
	if aerr != nil {
		return nil, aerr
	}
	lp, aerr := c.loginProfile(u.UserName)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := updateLoginProfile(c, lp, false); aerr != nil {
		return nil, aerr
	}
	return jobj{}, nil
}

func ramDeleteLoginProfile(c *call) (jobj, *apiError) {
	u, aerr := c.requireUser()
	if aerr != nil {
		return nil, aerr
	}
	if _, aerr := c.loginProfile(u.UserName); aerr != nil {
		return nil, aerr
	}
	delete(c.w.Logins, u.UserName)
	return jobj{}, nil
}

func ramGetUserMFAInfo(c *call) (jobj, *apiError) {
	u, aerr := c.requireUser()
	if aerr != nil {
		return nil, aerr
	}
	m, ok := c.w.MFADevices[u.UserName]
	if !ok {
		return nil, errNotExist("EntityNotExist.User.MFADevice", "The user %s has no MFA device.", u.UserName)
	}
	return jobj{"MFADevice": jobj{"SerialNumber": m.SerialNumber, "Type": m.Type}}, nil
}

// --- groups ------------------------------------------------------------

func groupObj(g *Group) jobj {
	return jobj{"GroupName": g.GroupName, "GroupId": g.GroupID, "Comments": g.Comments, "CreateDate": fmtTime(g.CreateDate), "UpdateDate": fmtTime(g.CreateDate)}
}

func ramListGroups(c *call) (jobj, *apiError) {
	marker, maxItems, aerr := pagingParams(c, 100)
	if aerr != nil {
		return nil, aerr
	}
	names := make([]string, 0, len(c.w.Groups))
	for n := range c.w.Groups {
		names = append(names, n)
	}
	sort.Strings(names)
	page, next, aerr := pageKeys(names, marker, maxItems)
	if aerr != nil {
		return nil, aerr
	}
	list := make([]jobj, 0, len(page))
	for _, n := range page {
		list = append(list, groupObj(c.w.Groups[n]))
	}
	return pagedResult("Groups", "Group", list, next), nil
}

func ramCreateGroup(c *call) (jobj, *apiError) {
	name, aerr := c.require("GroupName")
	if aerr != nil {
		return nil, aerr
	}
	if aerr := checkName("GroupName", name, reGroupName, 64); aerr != nil {
		return nil, aerr
	}
	if _, ok := c.w.Groups[name]; ok {
		return nil, errConflict("EntityAlreadyExists.Group", "The group already exists: %s.", name)
	}
	if len(c.w.Groups) >= maxGroups {
		return nil, errConflict("LimitExceeded.Group", "The count of groups exceeds the limit of %d.", maxGroups)
	}
	g := &Group{GroupName: name, GroupID: randomID(16), Comments: c.param("Comments"), CreateDate: c.now, Members: map[string]time.Time{}}
	c.w.Groups[name] = g
	o := groupObj(g)
	delete(o, "UpdateDate")
	return jobj{"Group": o}, nil
}

func ramGetGroup(c *call) (jobj, *apiError) {
	name, aerr := c.require("GroupName")
	if aerr != nil {
		return nil, aerr
	}
	g, aerr := c.group(name)
	if aerr != nil {
		return nil, aerr
	}
	return jobj{"Group": groupObj(g)}, nil
}

func ramDeleteGroup(c *call) (jobj, *apiError) {
	name, aerr := c.require("GroupName")
	if aerr != nil {
		return nil, aerr
	}
	g, aerr := c.group(name)
	if aerr != nil {
		return nil, aerr
	}
	if len(g.Members) > 0 {
		return nil, errConflict("DeleteConflict.Group.User", "The group %s still has members; remove them first.", name)
	}
	if len(attachmentsOf(c.w, "Group", name)) > 0 {
		return nil, errConflict("DeleteConflict.Group.Policy", "The group %s still has attached policies; detach them first.", name)
	}
	delete(c.w.Groups, name)
	return jobj{}, nil
}

func (c *call) groupAndUser() (*Group, *User, *apiError) {
	gn, aerr := c.require("GroupName")
	if aerr != nil {
		return nil, nil, aerr
	}
	u, aerr := c.requireUser()
	if aerr != nil {
		return nil, nil, aerr
	}
	g, aerr := c.group(gn)
	if aerr != nil {
		return nil, nil, aerr
	}
	return g, u, nil
}

func ramAddUserToGroup(c *call) (jobj, *apiError) {
	g, u, aerr := c.groupAndUser()
	if aerr != nil {
		return nil, aerr
	}
	if _, ok := g.Members[u.UserName]; ok {
		return nil, errConflict("EntityAlreadyExists.User.Group", "The user %s is already a member of group %s.", u.UserName, g.GroupName)
	}
	if len(groupsOfUser(c.w, u.UserName)) >= maxGroupsPerUser {
		return nil, errConflict("LimitExceeded.User.Group", "The user %s is already in %d groups, the limit.", u.UserName, maxGroupsPerUser)
	}
	g.Members[u.UserName] = c.now
	return jobj{}, nil
}

func ramRemoveUserFromGroup(c *call) (jobj, *apiError) {
	g, u, aerr := c.groupAndUser()
	if aerr != nil {
		return nil, aerr
	}
	if _, ok := g.Members[u.UserName]; !ok {
		return nil, errNotExist("EntityNotExist.User.Group", "The user %s is not a member of group %s.", u.UserName, g.GroupName)
	}
	delete(g.Members, u.UserName)
	return jobj{}, nil
}

func ramListGroupsForUser(c *call) (jobj, *apiError) {
	u, aerr := c.requireUser()
	if aerr != nil {
		return nil, aerr
	}
	return jobj{"Groups": jobj{"Group": groupsForUser(c.w, u.UserName)}}, nil
}

func groupsForUser(w *World, user string) []jobj {
	list := []jobj{}
	for _, g := range groupsOfUser(w, user) {
		list = append(list, jobj{"GroupName": g.GroupName, "GroupId": g.GroupID, "DisplayName": g.GroupName, "Comments": g.Comments, "JoinDate": fmtTime(g.Members[user])})
	}
	return list
}

func ramListUsersForGroup(c *call) (jobj, *apiError) {
	name, aerr := c.require("GroupName")
	if aerr != nil {
		return nil, aerr
	}
	g, aerr := c.group(name)
	if aerr != nil {
		return nil, aerr
	}
	marker, maxItems, aerr := pagingParams(c, 100)
	if aerr != nil {
		return nil, aerr
	}
	members := make([]string, 0, len(g.Members))
	for m := range g.Members {
		members = append(members, m)
	}
	sort.Strings(members)
	page, next, aerr := pageKeys(members, marker, maxItems)
	if aerr != nil {
		return nil, aerr
	}
	list := make([]jobj, 0, len(page))
	for _, m := range page {
		display := m
		if u := c.w.Users[m]; u != nil {
			display = u.DisplayName
		}
		list = append(list, jobj{"UserName": m, "DisplayName": display, "JoinDate": fmtTime(g.Members[m])})
	}
	return pagedResult("Users", "User", list, next), nil
}

// --- policies ----------------------------------------------------------

func ramCreatePolicy(c *call) (jobj, *apiError) {
	name, aerr := c.require("PolicyName")
	if aerr != nil {
		return nil, aerr
	}
	if aerr := checkName("PolicyName", name, rePolicyName, 128); aerr != nil {
		return nil, aerr
	}
	doc, aerr := c.require("PolicyDocument")
	if aerr != nil {
		return nil, aerr
	}
	desc := c.param("Description")
	if len(desc) > 1024 {
		return nil, newError(http.StatusBadRequest, "InvalidParameter.Description.Length", "The description is longer than 1024 characters.")
	}
	if aerr := c.validatePolicyDoc(doc, c.s.opts.MaxPolicyLength); aerr != nil {
		return nil, aerr
	}
	if _, ok := c.w.Policies[name]; ok {
		return nil, errConflict("EntityAlreadyExists.Policy", "The policy already exists: %s.", name)
	}
	if len(c.w.Policies) >= maxCustomPolicies {
		return nil, errConflict("LimitExceeded.Policy", "The count of custom policies exceeds the limit of %d.", maxCustomPolicies)
	}
	p := &Policy{
		Name: name, Type: "Custom", Description: desc, DefaultVersion: "v1",
		Versions:    []*PolicyVersion{{VersionID: "v1", Document: doc, CreateDate: c.now}},
		NextVersion: 2, CreateDate: c.now, UpdateDate: c.now,
	}
	c.w.Policies[name] = p
	return jobj{"Policy": jobj{"PolicyName": name, "PolicyType": "Custom", "Description": desc, "DefaultVersion": "v1", "CreateDate": fmtTime(c.now)}}, nil
}

func (c *call) policyFromParams(typeParam bool) (*policyInfo, *apiError) {
	name, aerr := c.require("PolicyName")
	if aerr != nil {
		return nil, aerr
	}
	typ := "Custom"
	if typeParam {
		typ = c.param("PolicyType")
	}
	return c.findPolicy(typ, name)
}

func ramGetPolicy(c *call) (jobj, *apiError) {
	pi, aerr := c.policyFromParams(true)
	if aerr != nil {
		return nil, aerr
	}
	doc := pi.defaultDocument()
	return jobj{
		"Policy": jobj{
			"PolicyName": pi.name, "PolicyType": pi.typ, "Description": pi.description,
			"DefaultVersion": pi.defaultVersion, "PolicyDocument": doc,
			"AttachmentCount": attachmentCount(c.w, pi.typ, pi.name),
			"CreateDate":      pi.createDate, "UpdateDate": pi.updateDate,
		},
		"DefaultPolicyVersion": jobj{"VersionId": pi.defaultVersion, "IsDefaultVersion": true, "PolicyDocument": doc, "CreateDate": pi.defaultVersionDate()},
	}, nil
}

func (pi *policyInfo) defaultVersionDate() string {
	if pi.custom == nil {
		return pi.createDate
	}
	if v := pi.custom.version(pi.custom.DefaultVersion); v != nil {
		return fmtTime(v.CreateDate)
	}
	return ""
}

func (c *call) versionID() (string, *apiError) {
	id, aerr := c.require("VersionId")
	if aerr != nil {
		return "", aerr
	}
	if !reVersionID.MatchString(id) {
		return "", newError(http.StatusBadRequest, "InvalidParameter.VersionId.Format", "The VersionId %q is not of the form vN.", id)
	}
	return id, nil
}

func errNoVersion(policy, id string) *apiError {
	return errNotExist("EntityNotExist.Policy.Version", "The policy version %s of policy %s does not exist.", id, policy)
}

func ramGetPolicyVersion(c *call) (jobj, *apiError) {
	pi, aerr := c.policyFromParams(true)
	if aerr != nil {
		return nil, aerr
	}
	id, aerr := c.versionID()
	if aerr != nil {
		return nil, aerr
	}
	for _, v := range pi.versions() {
		if v["VersionId"] == id {
			return jobj{"PolicyVersion": v}, nil
		}
	}
	return nil, errNoVersion(pi.name, id)
}

func ramCreatePolicyVersion(c *call) (jobj, *apiError) {
	pi, aerr := c.policyFromParams(false)
	if aerr != nil {
		return nil, aerr
	}
	doc, aerr := c.require("PolicyDocument")
	if aerr != nil {
		return nil, aerr
	}
	setDefault, aerr := c.boolParam("SetAsDefault", false)
	if aerr != nil {
		return nil, aerr
	}
	strategy := c.param("RotateStrategy")
	if strategy != "" && strategy != "None" && strategy != "DeleteOldestNonDefaultVersionWhenLimitExceeded" {
		return nil, errInvalidParam("RotateStrategy", "Specified parameter RotateStrategy %q is not valid; use None or DeleteOldestNonDefaultVersionWhenLimitExceeded.", strategy)
	}
	if aerr := c.validatePolicyDoc(doc, c.s.opts.MaxPolicyLength); aerr != nil {
		return nil, aerr
	}
	p := pi.custom
	if len(p.Versions) >= maxPolicyVersions {
		if strategy != "DeleteOldestNonDefaultVersionWhenLimitExceeded" {
			return nil, errConflict("LimitExceeded.Policy.Version", "The policy %s already has %d versions, the limit; delete one or use RotateStrategy.", p.Name, maxPolicyVersions)
		}
		for i, v := range p.Versions {
			if v.VersionID != p.DefaultVersion {
				p.Versions = append(p.Versions[:i:i], p.Versions[i+1:]...)
				break
			}
		}
	}
	if p.NextVersion <= 0 {
		p.NextVersion = 1
		for _, v := range p.Versions {
			if n, err := strconv.Atoi(strings.TrimPrefix(v.VersionID, "v")); err == nil && n >= p.NextVersion {
				p.NextVersion = n + 1
			}
		}
	}
	v := &PolicyVersion{VersionID: "v" + strconv.Itoa(p.NextVersion), Document: doc, CreateDate: c.now}
	p.NextVersion++
	p.Versions = append(p.Versions, v)
	if setDefault {
		p.DefaultVersion = v.VersionID
	}
	p.UpdateDate = c.now
	return jobj{"PolicyVersion": versionObj(p, v)}, nil
}

func ramListPolicyVersions(c *call) (jobj, *apiError) {
	pi, aerr := c.policyFromParams(true)
	if aerr != nil {
		return nil, aerr
	}
	return jobj{"PolicyVersions": jobj{"PolicyVersion": pi.versions()}}, nil
}

func ramSetDefaultPolicyVersion(c *call) (jobj, *apiError) {
	pi, aerr := c.policyFromParams(false)
	if aerr != nil {
		return nil, aerr
	}
	id, aerr := c.versionID()
	if aerr != nil {
		return nil, aerr
	}
	if pi.custom.version(id) == nil {
		return nil, errNoVersion(pi.name, id)
	}
	pi.custom.DefaultVersion, pi.custom.UpdateDate = id, c.now
	return jobj{}, nil
}

func ramDeletePolicyVersion(c *call) (jobj, *apiError) {
	pi, aerr := c.policyFromParams(false)
	if aerr != nil {
		return nil, aerr
	}
	id, aerr := c.versionID()
	if aerr != nil {
		return nil, aerr
	}
	p := pi.custom
	if p.version(id) == nil {
		return nil, errNoVersion(p.Name, id)
	}
	if id == p.DefaultVersion {
		return nil, errConflict("DeleteConflict.Policy.Version.Default", "The version %s is the default version of policy %s and cannot be deleted.", id, p.Name)
	}
	for i, v := range p.Versions {
		if v.VersionID == id {
			p.Versions = append(p.Versions[:i:i], p.Versions[i+1:]...)
			break
		}
	}
	p.UpdateDate = c.now
	return jobj{}, nil
}

func ramDeletePolicy(c *call) (jobj, *apiError) {
	pi, aerr := c.policyFromParams(false)
	if aerr != nil {
		return nil, aerr
	}
	cascade, aerr := c.boolParam("CascadingDelete", false)
	if aerr != nil {
		return nil, aerr
	}
	for _, kind := range []string{"User", "Group", "Role"} {
		for _, a := range c.w.Attachments {
			if a.PolicyType == "Custom" && a.PolicyName == pi.name && a.PrincipalType == kind {
				return nil, errConflict("DeleteConflict.Policy."+kind, "The policy %s is still attached to %s %s; detach it first.", pi.name, strings.ToLower(kind), a.PrincipalName)
			}
		}
	}
	if len(pi.custom.Versions) > 1 && !cascade {
		return nil, errConflict("DeleteConflict.Policy.Version", "The policy %s still has non-default versions; delete them first or set CascadingDelete.", pi.name)
	}
	delete(c.w.Policies, pi.name)
	return jobj{}, nil
}

func ramListPolicies(c *call) (jobj, *apiError) {
	typ := c.param("PolicyType")
	if typ != "" && typ != "System" && typ != "Custom" {
		return nil, errInvalidParam("PolicyType", "Specified parameter PolicyType %q is not valid; use System or Custom.", typ)
	}
	marker, maxItems, aerr := pagingParams(c, 100)
	if aerr != nil {
		return nil, aerr
	}
	// Keys sort "Custom/..." before "System/...".
	var keys []string
	if typ != "System" {
		for n := range c.w.Policies {
			keys = append(keys, "Custom/"+n)
		}
	}
	if typ != "Custom" {
		for n := range SystemPolicies {
			keys = append(keys, "System/"+n)
		}
	}
	sort.Strings(keys)
	page, next, aerr := pageKeys(keys, marker, maxItems)
	if aerr != nil {
		return nil, aerr
	}
	list := make([]jobj, 0, len(page))
	for _, k := range page {
		t, n, _ := strings.Cut(k, "/")
		pi, aerr := c.findPolicy(t, n)
		if aerr != nil {
			continue
		}
		list = append(list, jobj{
			"PolicyName": pi.name, "PolicyType": pi.typ, "Description": pi.description,
			"DefaultVersion": pi.defaultVersion, "AttachmentCount": attachmentCount(c.w, pi.typ, pi.name),
			"CreateDate": pi.createDate, "UpdateDate": pi.updateDate,
		})
	}
	return pagedResult("Policies", "Policy", list, next), nil
}

// principalFor resolves the user, group or role an attach/detach/list
// operation names.
func (c *call) principalName(kind string) (string, *apiError) {
	name, aerr := c.require(kind + "Name")
	if aerr != nil {
		return "", aerr
	}
	switch kind {
	case "User":
		_, aerr = c.user(name)
	case "Group":
		_, aerr = c.group(name)
	case "Role":
		_, aerr = c.role(name)
	}
	return name, aerr
}

func attachHandler(kind string) func(c *call) (jobj, *apiError) {
	return func(c *call) (jobj, *apiError) {
		pi, aerr := c.policyFromParams(true)
		if aerr != nil {
			return nil, aerr
		}
		name, aerr := c.principalName(kind)
		if aerr != nil {
			return nil, aerr
		}
		if attachmentIndex(c.w, pi.typ, pi.name, kind, name) >= 0 {
			return nil, errConflict("EntityAlreadyExists."+kind+".Policy", "The policy %s is already attached to %s %s.", pi.name, strings.ToLower(kind), name)
		}
		n := 0
		for _, a := range attachmentsOf(c.w, kind, name) {
			if a.PolicyType == pi.typ {
				n++
			}
		}
		limit := maxCustomPerPrincipal
		if pi.typ == "System" {
			limit = maxSystemPerPrincipal
		}
		if n >= limit {
			return nil, errConflict("LimitExceeded."+kind+".Policy", "The %s %s already has %d %s policies attached, the limit.", strings.ToLower(kind), name, limit, strings.ToLower(pi.typ))
		}
		c.w.Attachments = append(c.w.Attachments, Attachment{PolicyName: pi.name, PolicyType: pi.typ, PrincipalType: kind, PrincipalName: name, AttachDate: c.now})
		return jobj{}, nil
	}
}

func detachHandler(kind string) func(c *call) (jobj, *apiError) {
	return func(c *call) (jobj, *apiError) {
		pi, aerr := c.policyFromParams(true)
		if aerr != nil {
			return nil, aerr
		}
		name, aerr := c.principalName(kind)
		if aerr != nil {
			return nil, aerr
		}
		i := attachmentIndex(c.w, pi.typ, pi.name, kind, name)
		if i < 0 {
			return nil, errNotExist("EntityNotExist."+kind+".Policy", "The policy %s is not attached to %s %s.", pi.name, strings.ToLower(kind), name)
		}
		c.w.Attachments = append(c.w.Attachments[:i:i], c.w.Attachments[i+1:]...)
		return jobj{}, nil
	}
}

func listPoliciesForHandler(kind string) func(c *call) (jobj, *apiError) {
	return func(c *call) (jobj, *apiError) {
		name, aerr := c.principalName(kind)
		if aerr != nil {
			return nil, aerr
		}
		list := []jobj{}
		for _, a := range attachmentsOf(c.w, kind, name) {
			pi, aerr := c.findPolicy(a.PolicyType, a.PolicyName)
			if aerr != nil {
				continue
			}
			list = append(list, jobj{"PolicyName": pi.name, "PolicyType": pi.typ, "Description": pi.description, "DefaultVersion": pi.defaultVersion, "AttachDate": fmtTime(a.AttachDate)})
		}
		return jobj{"Policies": jobj{"Policy": list}}, nil
	}
}

func ramListEntitiesForPolicy(c *call) (jobj, *apiError) {
	pi, aerr := c.policyFromParams(true)
	if aerr != nil {
		return nil, aerr
	}
	users, groups, roles := []jobj{}, []jobj{}, []jobj{}
	for _, a := range c.w.Attachments {
		if a.PolicyType != pi.typ || a.PolicyName != pi.name {
			continue
		}
		switch a.PrincipalType {
		case "User":
			o := jobj{"UserName": a.PrincipalName, "AttachDate": fmtTime(a.AttachDate)}
			if u := c.w.Users[a.PrincipalName]; u != nil {
				o["UserId"], o["DisplayName"] = u.UserID, u.DisplayName
			}
			users = append(users, o)
		case "Group":
			o := jobj{"GroupName": a.PrincipalName, "AttachDate": fmtTime(a.AttachDate)}
			if g := c.w.Groups[a.PrincipalName]; g != nil {
				o["Comments"] = g.Comments
			}
			groups = append(groups, o)
		case "Role":
			o := jobj{"RoleName": a.PrincipalName, "AttachDate": fmtTime(a.AttachDate)}
			if r := c.w.Roles[a.PrincipalName]; r != nil {
				o["RoleId"], o["Arn"], o["Description"] = r.RoleID, r.Arn, r.Description
			}
			roles = append(roles, o)
		}
	}
	return jobj{"Users": jobj{"User": users}, "Groups": jobj{"Group": groups}, "Roles": jobj{"Role": roles}}, nil
}

// --- roles -------------------------------------------------------------

// checkTrustDocument does the structural check of a role trust policy:
// a JSON object with a Statement array.
func checkTrustDocument(doc string) *apiError {
	var d struct {
		Statement []json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(doc), &d); err != nil || d.Statement == nil {
		return newError(http.StatusBadRequest, "MalformedPolicyDocument", "The trust policy document is not a JSON object with a Statement array.")
	}
	return nil
}

func ramCreateRole(c *call) (jobj, *apiError) {
	name, aerr := c.require("RoleName")
	if aerr != nil {
		return nil, aerr
	}
	if aerr := checkName("RoleName", name, reRoleName, 64); aerr != nil {
		return nil, aerr
	}
	doc, aerr := c.require("AssumeRolePolicyDocument")
	if aerr != nil {
		return nil, aerr
	}
	if aerr := checkTrustDocument(doc); aerr != nil {
		return nil, aerr
	}
	maxDur, aerr := c.intParam("MaxSessionDuration", 3600, 3600, 43200)
	if aerr != nil {
		return nil, aerr
	}
	if _, ok := c.w.Roles[name]; ok {
		return nil, errConflict("EntityAlreadyExists.Role", "The role already exists: %s.", name)
	}
	if len(c.w.Roles) >= maxRoles {
		return nil, errConflict("LimitExceeded.Role", "The count of roles exceeds the limit of %d.", maxRoles)
	}
	r := &Role{
		RoleName: name, RoleID: randomID(19), Arn: "acs:ram::" + c.w.Account.ID + ":role/" + name,
		Description: c.param("Description"), AssumeRolePolicyDocument: doc, MaxSessionDuration: int64(maxDur),
		CreateDate: c.now, UpdateDate: c.now,
	}
	c.w.Roles[name] = r
	o := roleObj(r, true)
	delete(o, "UpdateDate")
	return jobj{"Role": o}, nil
}

func ramGetRole(c *call) (jobj, *apiError) {
	name, aerr := c.require("RoleName")
	if aerr != nil {
		return nil, aerr
	}
	r, aerr := c.role(name)
	if aerr != nil {
		return nil, aerr
	}
	return jobj{"Role": roleObj(r, true)}, nil
}

func ramListRoles(c *call) (jobj, *apiError) {
	marker, maxItems, aerr := pagingParams(c, 100)
	if aerr != nil {
		return nil, aerr
	}
	names := make([]string, 0, len(c.w.Roles))
	for n := range c.w.Roles {
		names = append(names, n)
	}
	sort.Strings(names)
	page, next, aerr := pageKeys(names, marker, maxItems)
	if aerr != nil {
		return nil, aerr
	}
	list := make([]jobj, 0, len(page))
	for _, n := range page {
		list = append(list, roleObj(c.w.Roles[n], false))
	}
	return pagedResult("Roles", "Role", list, next), nil
}

func ramUpdateRole(c *call) (jobj, *apiError) {
	name, aerr := c.require("RoleName")
	if aerr != nil {
		return nil, aerr
	}
	r, aerr := c.role(name)
	if aerr != nil {
		return nil, aerr
	}
	if doc := c.param("NewAssumeRolePolicyDocument"); doc != "" {
		if aerr := checkTrustDocument(doc); aerr != nil {
			return nil, aerr
		}
		r.AssumeRolePolicyDocument = doc
	}
	if v, ok := c.params["NewDescription"]; ok {
		r.Description = v
	}
	d, aerr := c.intParam("NewMaxSessionDuration", int(r.MaxSessionDuration), 3600, 43200)
	if aerr != nil {
		return nil, aerr
	}
	r.MaxSessionDuration, r.UpdateDate = int64(d), c.now
	return jobj{"Role": roleObj(r, true)}, nil
}

func ramDeleteRole(c *call) (jobj, *apiError) {
	name, aerr := c.require("RoleName")
	if aerr != nil {
		return nil, aerr
	}
	if _, aerr := c.role(name); aerr != nil {
		return nil, aerr
	}
	if len(attachmentsOf(c.w, "Role", name)) > 0 {
		return nil, errConflict("DeleteConflict.Role.Policy", "The role %s still has attached policies; detach them first.", name)
	}
	// Outstanding STS tokens of the role stay known (so their use is still
	// recorded) but lose every permission: the role is gone.
	delete(c.w.Roles, name)
	return jobj{}, nil
}

func ramGetAccountAlias(c *call) (jobj, *apiError) {
	return jobj{"AccountAlias": c.w.Account.Alias}, nil
}

func ramGetSecurityPreference(c *call) (jobj, *apiError) {
	return jobj{"SecurityPreference": jobj{
		"AccessKeyPreference":    jobj{"AllowUserToManageAccessKeys": false},
		"LoginProfilePreference": jobj{"AllowUserToChangePassword": true, "EnableSaveMFATicket": false, "LoginNetworkMasks": "", "LoginSessionDuration": 6},
		"MFAPreference":          jobj{"AllowUserToManageMFADevices": true},
		"PublicKeyPreference":    jobj{"AllowUserToManagePublicKeys": false},
	}}, nil
}
