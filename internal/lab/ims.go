package lab

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"
)

// IMS 2019-08-15 (alibaba-cloud-api.md section 11). Users are addressed by
// UserPrincipalName (<user>@<alias>.onaliyun.com); an omitted one means the
// caller. IMS operations authorise as ram:<Action>.

const (
	maxAKPolicyIPs     = 50
	maxCredReportItems = 3501
)

func imsRoutes() map[string]route {
	h := func(f func(c *call) (jobj, *apiError)) route {
		return route{handler: f, resource: ramResource}
	}
	return map[string]route{
		"GetUser":                        h(imsGetUser),
		"ListUsers":                      h(imsListUsers),
		"ListAccessKeys":                 h(imsListAccessKeys),
		"CreateAccessKey":                h(imsCreateAccessKey),
		"UpdateAccessKey":                h(imsUpdateAccessKey),
		"DeleteAccessKey":                h(imsDeleteAccessKey),
		"GetAccessKeyLastUsed":           h(imsGetAccessKeyLastUsed),
		"CreateLoginProfile":             h(imsCreateLoginProfile),
		"GetLoginProfile":                h(imsGetLoginProfile),
		"UpdateLoginProfile":             h(imsUpdateLoginProfile),
		"DeleteLoginProfile":             h(imsDeleteLoginProfile),
		"GetUserMFAInfo":                 h(imsGetUserMFAInfo),
		"ListGroupsForUser":              h(imsListGroupsForUser),
		"GetAccessKeyPolicy":             h(imsGetAccessKeyPolicy),
		"SetAccessKeyPolicy":             h(imsSetAccessKeyPolicy),
		"GetAccessKeyPolicyForAccount":   h(imsGetAccessKeyPolicyForAccount),
		"SetAccessKeyPolicyForAccount":   h(imsSetAccessKeyPolicyForAccount),
		"GenerateCredentialReport":       h(imsGenerateCredentialReport),
		"GetCredentialReport":            h(imsGetCredentialReport),
		"GetSecurityPreference":          h(imsGetSecurityPreference),
		"GetAccountSummary":              h(imsGetAccountSummary),
		"ListAccessKeysInRecycleBin":     h(imsListAccessKeysInRecycleBin),
		"GetAccessKeyInfoInRecycleBin":   h(imsGetAccessKeyInfoInRecycleBin),
		"RestoreAccessKeyFromRecycleBin": h(imsRestoreAccessKeyFromRecycleBin),
		"DeleteAccessKeyInRecycleBin":    h(imsDeleteAccessKeyInRecycleBin),
	}
}

func imsUserObj(w *World, u *User) jobj {
	o := jobj{
		"UserPrincipalName": upn(w, u.UserName),
		"UserName":          u.UserName,
		"UserId":            u.UserID,
		"DisplayName":       u.DisplayName,
		"Email":             u.Email,
		"MobilePhone":       u.MobilePhone,
		"Comments":          u.Comments,
		"CreateDate":        fmtTime(u.CreateDate),
		"UpdateDate":        fmtTime(u.UpdateDate),
		"Status":            "active",
		"ProvisionType":     "Manual",
	}
	if !u.LastLoginDate.IsZero() {
		o["LastLoginDate"] = fmtTime(u.LastLoginDate)
	}
	return o
}

// imsUser resolves a UserPrincipalName.
func (c *call) imsUser(principalName string) (*User, *apiError) {
	u := userByUPN(c.w, principalName)
	if u == nil {
		return nil, errNotExist("EntityNotExist.User", "The user does not exist: %s.", principalName)
	}
	return u, nil
}

// imsOwner resolves UserPrincipalName, or the caller when it is empty, to a
// key owner ("" = root).
func (c *call) imsOwner() (string, *apiError) {
	if p := c.param("UserPrincipalName"); p != "" {
		u, aerr := c.imsUser(p)
		if aerr != nil {
			return "", aerr
		}
		return u.UserName, nil
	}
	owner, aerr := c.callerOwner()
	if aerr != nil {
		return "", errMissing("UserPrincipalName")
	}
	return owner, nil
}

// imsTargetUser resolves UserPrincipalName or the caller to a RAM user.
func (c *call) imsTargetUser() (*User, *apiError) {
	owner, aerr := c.imsOwner()
	if aerr != nil {
		return nil, aerr
	}
	if owner == "" {
		return nil, errMissing("UserPrincipalName")
	}
	return c.user(owner)
}

func imsGetUser(c *call) (jobj, *apiError) {
	var u *User
	switch {
	case c.param("UserPrincipalName") != "":
		var aerr *apiError
		if u, aerr = c.imsUser(c.param("UserPrincipalName")); aerr != nil {
			return nil, aerr
		}
	case c.param("UserId") != "":
		if u = userByID(c.w, c.param("UserId")); u == nil {
			return nil, errNotExist("EntityNotExist.User", "The user does not exist: UserId %s.", c.param("UserId"))
		}
	case c.param("UserAccessKeyId") != "":
		id := c.param("UserAccessKeyId")
		k, ok := c.w.AccessKeys[id]
		if !ok {
			return nil, errNotExist("EntityNotExist.User.AccessKey", "The access key does not exist: %s.", id)
		}
		if k.Owner == "" {
			return nil, errNotExist("EntityNotExist.User", "The access key %s belongs to the root account, not to a RAM user.", id)
		}
		var aerr *apiError
		if u, aerr = c.user(k.Owner); aerr != nil {
			return nil, aerr
		}
	default:
		var aerr *apiError
		if u, aerr = c.imsTargetUser(); aerr != nil {
			return nil, aerr
		}
	}
	o := imsUserObj(c.w, u)
	delete(o, "Status") // the IMS GetUser model has no Status (ListUsers has)
	return jobj{"User": o}, nil
}

func imsListUsers(c *call) (jobj, *apiError) {
	marker, maxItems, aerr := pagingParams(c, 1000)
	if aerr != nil {
		return nil, aerr
	}
	status := c.param("Status")
	wantActive := status == "" || strings.Contains(status, "active")
	for _, s := range strings.Split(status, ",") {
		if s != "" && s != "active" && s != "freeze" {
			return nil, errInvalidParam("Status", "Specified parameter Status %q is not valid; use active, freeze or active,freeze.", status)
		}
	}
	var names []string
	if wantActive { // the lab has no frozen users
		names = sortedUserNames(c.w)
	}
	page, next, aerr := pageKeys(names, marker, maxItems)
	if aerr != nil {
		return nil, aerr
	}
	list := make([]jobj, 0, len(page))
	for _, n := range page {
		o := imsUserObj(c.w, c.w.Users[n])
		delete(o, "UserName") // the IMS ListUsers model has no UserName (GetUser has)
		list = append(list, o)
	}
	return pagedResult("Users", "User", list, next), nil
}

func imsListAccessKeys(c *call) (jobj, *apiError) {
	owner, aerr := c.imsOwner()
	if aerr != nil {
		return nil, aerr
	}
	list := []jobj{}
	for _, k := range keysOf(c.w, owner) {
		list = append(list, jobj{"AccessKeyId": k.ID, "Status": k.Status, "CreateDate": fmtTime(k.CreateDate), "UpdateDate": fmtTime(k.UpdateDate)})
	}
	return jobj{"AccessKeys": jobj{"AccessKey": list}}, nil
}

func imsCreateAccessKey(c *call) (jobj, *apiError) {
	owner, aerr := c.imsOwner()
	if aerr != nil {
		return nil, aerr
	}
	k, aerr := createKey(c, owner)
	if aerr != nil {
		return nil, aerr
	}
	return jobj{"AccessKey": jobj{"AccessKeyId": k.ID, "AccessKeySecret": k.Secret, "Status": k.Status, "CreateDate": fmtTime(k.CreateDate)}}, nil
}

// imsOwnedKey resolves UserAccessKeyId among the keys of UserPrincipalName
// (or of the caller).
func (c *call) imsOwnedKey() (*AccessKey, *apiError) {
	id, aerr := c.require("UserAccessKeyId")
	if aerr != nil {
		return nil, aerr
	}
	owner, aerr := c.imsOwner()
	if aerr != nil {
		return nil, aerr
	}
	return c.ownedKey(owner, id)
}

func imsUpdateAccessKey(c *call) (jobj, *apiError) {
	k, aerr := c.imsOwnedKey()
	if aerr != nil {
		return nil, aerr
	}
	st, aerr := parseKeyStatus(c)
	if aerr != nil {
		return nil, aerr
	}
	k.Status, k.UpdateDate = st, c.now
	return jobj{}, nil
}

func imsDeleteAccessKey(c *call) (jobj, *apiError) {
	k, aerr := c.imsOwnedKey()
	if aerr != nil {
		return nil, aerr
	}
	recycleKey(c, k)
	return jobj{}, nil
}

func imsGetAccessKeyLastUsed(c *call) (jobj, *apiError) {
	k, aerr := c.imsOwnedKey()
	if aerr != nil {
		return nil, aerr
	}
	last := jobj{}
	if d, svc := lastUsedDate(c, k.ID); d != "" {
		last["LastUsedDate"], last["ServiceName"] = d, svc
	}
	return jobj{"AccessKeyLastUsed": last}, nil
}

func imsLoginObj(w *World, lp *LoginProfile) jobj {
	o := jobj{
		"UserPrincipalName":     upn(w, lp.UserName),
		"Status":                lp.Status,
		"PasswordResetRequired": lp.PasswordResetRequired,
		"MFABindRequired":       lp.MFABindRequired,
		"UpdateDate":            fmtTime(lp.UpdateDate),
		"PasswordStatus":        "NotInitial",
	}
	if o["Status"] == "" {
		o["Status"] = "Active"
	}
	if !lp.LastLoginTime.IsZero() {
		o["LastLoginTime"] = fmtTime(lp.LastLoginTime)
	}
	return o
}

func imsCreateLoginProfile(c *call) (jobj, *apiError) {
	u, aerr := c.imsTargetUser()
	if aerr != nil {
		return nil, aerr
	}
	lp, aerr := createLoginProfile(c, u)
	if aerr != nil {
		return nil, aerr
	}
	if st := c.param("Status"); st == "Inactive" {
		lp.Status = st
	}
	return jobj{"LoginProfile": imsLoginObj(c.w, lp)}, nil
}

func imsGetLoginProfile(c *call) (jobj, *apiError) {
	u, aerr := c.imsTargetUser()
	if aerr != nil {
		return nil, aerr
	}
	lp, aerr := c.loginProfile(u.UserName)
	if aerr != nil {
		return nil, aerr
	}
	return jobj{"LoginProfile": imsLoginObj(c.w, lp)}, nil
}

func imsUpdateLoginProfile(c *call) (jobj, *apiError) {
	u, aerr := c.imsTargetUser()
	if aerr != nil {
		return nil, aerr
	}
	lp, aerr := c.loginProfile(u.UserName)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := updateLoginProfile(c, lp, true); aerr != nil {
		return nil, aerr
	}
	return jobj{}, nil
}

func imsDeleteLoginProfile(c *call) (jobj, *apiError) {
	u, aerr := c.imsTargetUser()
	if aerr != nil {
		return nil, aerr
	}
	if _, aerr := c.loginProfile(u.UserName); aerr != nil {
		return nil, aerr
	}
	delete(c.w.Logins, u.UserName)
	return jobj{}, nil
}

func imsGetUserMFAInfo(c *call) (jobj, *apiError) {
	u, aerr := c.imsTargetUser()
	if aerr != nil {
		return nil, aerr
	}
	m, ok := c.w.MFADevices[u.UserName]
	if !ok {
		return jobj{"IsMFAEnable": false}, nil
	}
	return jobj{"IsMFAEnable": true, "MFADevice": jobj{"SerialNumber": m.SerialNumber, "Type": m.Type}}, nil
}

func imsListGroupsForUser(c *call) (jobj, *apiError) {
	u, aerr := c.imsTargetUser()
	if aerr != nil {
		return nil, aerr
	}
	return jobj{"Groups": jobj{"Group": groupsForUser(c.w, u.UserName)}}, nil
}

// --- AccessKey network policies -----------------------------------------

func akPolicyError(format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, "InvalidParameter.AccessKeyPolicy", "The AccessKeyPolicy is not valid: "+format, args...)
}

// exactKeys decodes a JSON object insisting on exact key case (encoding/json
// would silently accept "ipList" for "IPList") and rejecting unknown keys.
func exactKeys(raw json.RawMessage, what string, allowed ...string) (map[string]json.RawMessage, *apiError) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, akPolicyError("%s is not a JSON object.", what)
	}
	for k := range m {
		ok := false
		for _, a := range allowed {
			if k == a {
				ok = true
			}
		}
		if !ok {
			return nil, akPolicyError("%s has unknown field %q (allowed: %s; names are case-sensitive).", what, k, strings.Join(allowed, ", "))
		}
	}
	return m, nil
}

// parseAKPolicy validates and parses an AccessKey network policy document
// (section 15): {"Version":1,"Status":"Active|Inactive","Statements":[{"Type":
// "ClassicWhiteList|VPCWhiteList","Value":"vpc-...","IPList":[...]}]}.
// Version may be the integer 1, the string "1", or absent.
func parseAKPolicy(doc string) (*AKPolicy, *apiError) {
	top, aerr := exactKeys(json.RawMessage(doc), "the document", "Version", "Status", "Statements")
	if aerr != nil {
		return nil, aerr
	}
	pol := &AKPolicy{Raw: doc, Version: 1}
	if v, ok := top["Version"]; ok {
		var n int
		var s string
		switch {
		case json.Unmarshal(v, &n) == nil && n == 1:
		case json.Unmarshal(v, &s) == nil && s == "1":
		default:
			return nil, akPolicyError("Version must be 1, got %s.", string(v))
		}
	}
	if err := json.Unmarshal(top["Status"], &pol.Status); err != nil || (pol.Status != "Active" && pol.Status != "Inactive") {
		return nil, akPolicyError("Status must be Active or Inactive.")
	}
	var stmts []json.RawMessage
	if raw, ok := top["Statements"]; !ok || string(raw) == "null" || json.Unmarshal(raw, &stmts) != nil {
		return nil, akPolicyError("Statements must be an array (it may be empty, not null).")
	}
	pol.Statements = []AKStatement{}
	ips := 0
	for i, raw := range stmts {
		what := fmt.Sprintf("statement %d", i+1)
		m, aerr := exactKeys(raw, what, "Type", "Value", "IPList")
		if aerr != nil {
			return nil, aerr
		}
		var st AKStatement
		if err := json.Unmarshal(m["Type"], &st.Type); err != nil || (st.Type != "ClassicWhiteList" && st.Type != "VPCWhiteList") {
			return nil, akPolicyError("%s: Type must be ClassicWhiteList or VPCWhiteList.", what)
		}
		if v, ok := m["Value"]; ok && json.Unmarshal(v, &st.Value) != nil {
			return nil, akPolicyError("%s: Value must be a string.", what)
		}
		if v, ok := m["IPList"]; ok && string(v) != "null" && json.Unmarshal(v, &st.IPList) != nil {
			return nil, akPolicyError("%s: IPList must be an array of strings.", what)
		}
		switch st.Type {
		case "ClassicWhiteList":
			if st.Value != "" {
				return nil, akPolicyError("%s: Value must be empty for ClassicWhiteList.", what)
			}
			if len(st.IPList) == 0 {
				return nil, akPolicyError("%s: IPList is required for ClassicWhiteList.", what)
			}
		case "VPCWhiteList":
			if st.Value == "" {
				return nil, akPolicyError("%s: Value (the VPC id) is required for VPCWhiteList.", what)
			}
		}
		for _, e := range st.IPList {
			if !validIPEntry(e) {
				return nil, akPolicyError("%s: IPList entry %q is not an IP address or CIDR block.", what, e)
			}
		}
		ips += len(st.IPList)
		if st.IPList == nil {
			st.IPList = []string{}
		}
		pol.Statements = append(pol.Statements, st)
	}
	if ips > maxAKPolicyIPs {
		return nil, newError(http.StatusBadRequest, "InvalidParameter.AccessKeyPolicy.IPList.Length",
			"The AccessKeyPolicy is not valid: it has %d IP entries, more than the limit of %d.", ips, maxAKPolicyIPs)
	}
	return pol, nil
}

func validIPEntry(e string) bool {
	if strings.Contains(e, "/") {
		_, err := netip.ParsePrefix(e)
		return err == nil
	}
	_, err := netip.ParseAddr(e)
	return err == nil
}

func imsGetAccessKeyPolicy(c *call) (jobj, *apiError) {
	k, aerr := c.imsOwnedKey()
	if aerr != nil {
		return nil, aerr
	}
	doc := ""
	if k.Policy != nil {
		doc = k.Policy.Raw
	}
	return jobj{"AccessKeyId": k.ID, "AccessKeyPolicy": doc}, nil
}

func imsSetAccessKeyPolicy(c *call) (jobj, *apiError) {
	k, aerr := c.imsOwnedKey()
	if aerr != nil {
		return nil, aerr
	}
	doc, aerr := c.require("AccessKeyPolicy")
	if aerr != nil {
		return nil, aerr
	}
	pol, aerr := parseAKPolicy(doc)
	if aerr != nil {
		return nil, aerr
	}
	// There is no delete call: an Inactive policy with no statements is
	// the documented way to remove one (alibaba-cloud-api.md section 15),
	// so the lab stores it as "no policy". GetAccessKeyPolicy then answers
	// "" again, and contain --undo can restore the world exactly. The
	// policy is not an attribute of the key: its UpdateDate stays.
	if removesAKPolicy(pol) {
		pol = nil
	}
	k.Policy = pol
	return jobj{"AccessKeyId": k.ID, "AccessKeyPolicy": doc}, nil
}

func imsGetAccessKeyPolicyForAccount(c *call) (jobj, *apiError) {
	doc := ""
	if c.w.AccountACL != nil {
		doc = c.w.AccountACL.Raw
	}
	return jobj{"AccessKeyPolicy": doc}, nil
}

func imsSetAccessKeyPolicyForAccount(c *call) (jobj, *apiError) {
	doc, aerr := c.require("AccessKeyPolicy")
	if aerr != nil {
		return nil, aerr
	}
	pol, aerr := parseAKPolicy(doc)
	if aerr != nil {
		return nil, aerr
	}
	if removesAKPolicy(pol) {
		pol = nil
	}
	c.w.AccountACL = pol
	return jobj{"AccessKeyPolicy": doc}, nil
}

// removesAKPolicy reports whether pol is the "remove" form: Inactive with
// no statements.
func removesAKPolicy(pol *AKPolicy) bool {
	return pol != nil && pol.Status == "Inactive" && len(pol.Statements) == 0
}

// --- credential report ---------------------------------------------------

// credentialReport is a generated report. As documented (RAM "Generate
// and download user credential reports"): GenerateCredentialReport answers
// STARTED when it starts a report, INPROGRESS while it is being built and
// COMPLETED once it is ready, and a new report is produced at most every 4
// hours: within 4 hours of the last one Generate answers COMPLETED and
// GetCredentialReport keeps returning that report. The lab builds the rows
// when generation starts and finishes it credentialReportBuild later (real
// time, so a pinned lab clock cannot stall it).
type credentialReport struct {
	generated time.Time // lab clock at the start of generation
	started   time.Time // real time, for the build delay
	header    []string
	rows      [][]string
}

const (
	credentialReportEvery = 4 * time.Hour
	credentialReportBuild = 150 * time.Millisecond
)

// ready reports whether the report has been built.
func (r *credentialReport) ready() bool { return time.Since(r.started) >= credentialReportBuild }

var credentialReportHeader = func() []string {
	h := []string{"user", "user_creation_time", "user_last_logon", "password_exist", "password_active",
		"password_last_changed", "password_next_rotation", "mfa_active"}
	for _, p := range []string{"access_key_1", "access_key_2", "additional_access_key_1", "additional_access_key_2", "additional_access_key_3"} {
		h = append(h, p+"_exist", p+"_active", p+"_last_rotated", p+"_last_used")
	}
	return h
}()

func reportBool(b bool) string {
	if b {
		return "TRUE"
	}
	return "FALSE"
}

// reportNone is the value of a cell that does not apply or of a time that
// never happened ("-", as documented; older material shows "N/A").
const reportNone = "-"

func reportTime(t time.Time) string {
	if t.IsZero() {
		return reportNone
	}
	return fmtTime(t)
}

// buildCredentialReport renders one row per identity: the root account
// (named <root>, as documented) first, then users by name. Columns follow
// section 16 (a third-party parser's header; the official text is
// unknown).
func buildCredentialReport(c *call) *credentialReport {
	rep := &credentialReport{generated: c.now, started: time.Now(), header: credentialReportHeader}
	keyCols := func(owner string) []string {
		var cols []string
		keys := keysOf(c.w, owner)
		for i := 0; i < 5; i++ {
			if i >= len(keys) {
				cols = append(cols, "FALSE", reportNone, reportNone, reportNone)
				continue
			}
			k := keys[i]
			used := reportNone
			if e := lastUsed(c.w, &c.s.idx, k.ID, time.Time{}); e != nil {
				used = e.EventTime
			}
			cols = append(cols, "TRUE", reportBool(k.Status == "Active"), fmtTime(k.CreateDate), used)
		}
		return cols
	}
	root := []string{"<root>", reportNone, reportNone, "TRUE", "TRUE", reportNone, reportNone, reportNone}
	rep.rows = append(rep.rows, append(root, keyCols("")...))
	for _, n := range sortedUserNames(c.w) {
		u := c.w.Users[n]
		lp := c.w.Logins[n]
		row := []string{upn(c.w, n), fmtTime(u.CreateDate), reportTime(u.LastLoginDate)}
		if lp != nil {
			row = append(row, "TRUE", reportBool(lp.Status != "Inactive"), reportTime(lp.UpdateDate), reportNone)
		} else {
			row = append(row, "FALSE", "FALSE", reportNone, reportNone)
		}
		row = append(row, reportBool(c.w.MFADevices[n] != nil))
		rep.rows = append(rep.rows, append(row, keyCols(n)...))
	}
	return rep
}

func imsGenerateCredentialReport(c *call) (jobj, *apiError) {
	if p := c.s.pendingReport; p != nil {
		if !p.ready() {
			return jobj{"State": "INPROGRESS"}, nil
		}
		c.s.report, c.s.pendingReport = p, nil
		return jobj{"State": "COMPLETED"}, nil
	}
	if r := c.s.report; r != nil && c.now.Sub(r.generated) < credentialReportEvery {
		return jobj{"State": "COMPLETED"}, nil
	}
	c.s.pendingReport = buildCredentialReport(c)
	return jobj{"State": "STARTED"}, nil
}

// GetCredentialReport pages rows; every page is a self-contained CSV with
// the header line (guess: the real paging layout is undocumented).
func imsGetCredentialReport(c *call) (jobj, *apiError) {
	if p := c.s.pendingReport; p != nil && p.ready() {
		c.s.report, c.s.pendingReport = p, nil
	}
	rep := c.s.report
	if rep == nil {
		return nil, errNotExist("EntityNotExist.CredentialReport", "The credential report does not exist; call GenerateCredentialReport first.")
	}
	maxItems, aerr := c.intParam("MaxItems", maxCredReportItems, 1, maxCredReportItems)
	if aerr != nil {
		return nil, aerr
	}
	start := 0
	if tok := c.param("NextToken"); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		gen, off, ok := strings.Cut(string(raw), ":")
		n, err2 := strconv.Atoi(off)
		if err != nil || !ok || err2 != nil || gen != strconv.FormatInt(rep.generated.Unix(), 10) || n < 0 || n > len(rep.rows) {
			return nil, errInvalidParam("NextToken", "Specified parameter NextToken %q is not valid for the current report.", tok)
		}
		start = n
	}
	end := min(start+maxItems, len(rep.rows))
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	_ = cw.Write(rep.header)
	_ = cw.WriteAll(rep.rows[start:end])
	out := jobj{
		"Content":       base64.StdEncoding.EncodeToString(buf.Bytes()),
		"GeneratedTime": fmtTime(rep.generated),
		"IsTruncated":   strconv.FormatBool(end < len(rep.rows)),
	}
	if end < len(rep.rows) {
		out["NextToken"] = base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(rep.generated.Unix(), 10) + ":" + strconv.Itoa(end)))
	}
	return out, nil
}

func imsGetSecurityPreference(c *call) (jobj, *apiError) {
	return jobj{"SecurityPreference": jobj{
		"AccessKeyPreference":    jobj{"AllowUserToManageAccessKeys": false, "AllowUserToManageServiceCredentials": false},
		"LoginProfilePreference": jobj{"AllowUserToChangePassword": true, "EnableSaveMFATicket": false, "LoginNetworkMasks": "", "LoginSessionDuration": 6, "MFAOperationForLogin": "independent", "OperationForRiskLogin": "autonomous"},
		"MFAPreference":          jobj{"AllowUserToManageMFADevices": true},
		"MaxIdleDays":            jobj{"MaxIdleDaysForAccessKeys": 730, "MaxIdleDaysForUsers": 730},
		"PersonalInfoPreference": jobj{"AllowUserToManagePersonalDingTalk": true},
		"VerificationPreference": jobj{"VerificationTypes": []string{"sms", "email"}},
	}}, nil
}

func imsGetAccountSummary(c *call) (jobj, *apiError) {
	inUse := len(c.w.MFADevices)
	return jobj{"SummaryMap": jobj{
		"Users": len(c.w.Users), "UsersQuota": maxUsers,
		"Groups": len(c.w.Groups), "GroupsQuota": maxGroups,
		"Roles": len(c.w.Roles), "RolesQuota": maxRoles,
		"Policies": len(c.w.Policies), "PoliciesQuota": maxCustomPolicies,
		"PolicySizeQuota":                     c.s.opts.MaxPolicyLength,
		"VersionsPerPolicyQuota":              maxPolicyVersions,
		"AccessKeysPerUserQuota":              maxKeysPerUser,
		"AccountAccessKeysPerAccountQuota":    maxKeysPerUser,
		"AttachedPoliciesPerUserQuota":        maxCustomPerPrincipal,
		"AttachedSystemPoliciesPerUserQuota":  maxSystemPerPrincipal,
		"AttachedPoliciesPerGroupQuota":       maxCustomPerPrincipal,
		"AttachedSystemPoliciesPerGroupQuota": maxSystemPerPrincipal,
		"AttachedPoliciesPerRoleQuota":        maxCustomPerPrincipal,
		"AttachedSystemPoliciesPerRoleQuota":  maxSystemPerPrincipal,
		"GroupsPerUserQuota":                  maxGroupsPerUser,
		"MFADevices":                          inUse,
		"MFADevicesInUse":                     inUse,
		"VirtualMFADevicesQuota":              maxUsers + 1,
		"ConditionsPerAKPolicyQuota":          8,
		"IPItemsPerAKPolicyQuota":             maxAKPolicyIPs,
	}}, nil
}

// --- recycle bin ---------------------------------------------------------

// purgeRecycleBin drops keys whose retention ended by the lab clock.
func purgeRecycleBin(c *call) {
	for id, r := range c.w.RecycleBin {
		if !r.DeleteDate.IsZero() && !c.now.Before(r.DeleteDate) {
			delete(c.w.RecycleBin, id)
		}
	}
}

// ownerUserID is the UserId of a recycled key's owner ("" for root keys or
// vanished users).
func ownerUserID(w *World, owner string) string {
	if owner == "" {
		return w.Account.ID
	}
	if u := w.Users[owner]; u != nil {
		return u.UserID
	}
	return ""
}

func (c *call) recycled() (*RecycledKey, *apiError) {
	purgeRecycleBin(c)
	id, aerr := c.require("UserAccessKeyId")
	if aerr != nil {
		return nil, aerr
	}
	r, ok := c.w.RecycleBin[id]
	if !ok {
		return nil, errNotExist("EntityNotExist.User.AccessKey", "The access key %s is not in the recycle bin.", id)
	}
	if uid := c.param("UserId"); uid != "" && uid != ownerUserID(c.w, r.Key.Owner) {
		return nil, errNotExist("EntityNotExist.User.AccessKey", "The access key %s in the recycle bin does not belong to user id %s.", id, uid)
	}
	return r, nil
}

func imsListAccessKeysInRecycleBin(c *call) (jobj, *apiError) {
	purgeRecycleBin(c)
	uid := c.param("UserId")
	var ids []string
	for id, r := range c.w.RecycleBin {
		if uid == "" || ownerUserID(c.w, r.Key.Owner) == uid {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	list := []jobj{}
	for _, id := range ids {
		r := c.w.RecycleBin[id]
		list = append(list, jobj{"AccessKeyId": id, "CreateDate": fmtTime(r.Key.CreateDate), "RecycleDate": fmtTime(r.RecycleDate), "DeleteDate": fmtTime(r.DeleteDate)})
	}
	return jobj{"AccessKeys": jobj{"AccessKey": list}}, nil
}

func imsGetAccessKeyInfoInRecycleBin(c *call) (jobj, *apiError) {
	r, aerr := c.recycled()
	if aerr != nil {
		return nil, aerr
	}
	o := jobj{
		"AccessKeyId": r.Key.ID, "UserId": ownerUserID(c.w, r.Key.Owner),
		"UserRecycled": r.Key.Owner != "" && c.w.Users[r.Key.Owner] == nil,
		"CreateDate":   fmtTime(r.Key.CreateDate), "RecycleDate": fmtTime(r.RecycleDate), "DeleteDate": fmtTime(r.DeleteDate),
	}
	if r.Key.Owner != "" {
		o["UserPrincipalName"] = upn(c.w, r.Key.Owner)
	}
	return jobj{"AccessKey": o}, nil
}

func imsRestoreAccessKeyFromRecycleBin(c *call) (jobj, *apiError) {
	r, aerr := c.recycled()
	if aerr != nil {
		return nil, aerr
	}
	owner := r.Key.Owner
	if owner != "" {
		if _, aerr := c.user(owner); aerr != nil {
			return nil, aerr
		}
	}
	if len(keysOf(c.w, owner)) >= maxKeysPerUser {
		return nil, errConflict("LimitExceeded.User.AccessKey", "The owner of %s already has %d access keys; restoring would exceed the limit.", r.Key.ID, maxKeysPerUser)
	}
	k := cloneKey(&r.Key)
	k.UpdateDate = c.now
	c.w.AccessKeys[k.ID] = k
	c.w.keysChanged()
	delete(c.w.RecycleBin, k.ID)
	return jobj{}, nil
}

func imsDeleteAccessKeyInRecycleBin(c *call) (jobj, *apiError) {
	r, aerr := c.recycled()
	if aerr != nil {
		return nil, aerr
	}
	delete(c.w.RecycleBin, r.Key.ID)
	return jobj{}, nil
}
