package lab

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Security Center (SAS) 2018-12-03: the AccessKey leak records its GitHub
// scanner keeps (API reference, "AK leak detection": DescribeAccesskeyLeakList,
// DescribeAccessKeyLeakDetail, ModifyAccessKeyLeakDeal, read 2026). Records
// come from the scenario ("leaks"); ModifyAccessKeyLeakDeal marks them handled.
// Written from the reference pages, not from internal/cloud.
//
// Where the reference is silent the lab guesses, and doc.go says so: the
// zone of "YYYY-MM-DD HH:mm:ss" times (UTC+8 here), and the error code of an
// unknown record id (InvalidParameter here).

const sasVersion = "2018-12-03"

// sasZone renders SAS's zone-less time strings (China Standard Time).
var sasZone = time.FixedZone("UTC+8", 8*3600)

// Leak is one Security Center AccessKey leak record.
type Leak struct {
	ID          int64  `json:"id"`
	AccessKeyID string `json:"access_key_id"`
	Source      string `json:"source"` // intelligence source, e.g. GitHub
	FileURL     string `json:"file_url"`
	RepoURL     string `json:"repo_url,omitempty"`
	GithubUser  string `json:"github_user,omitempty"`
	FileName    string `json:"file_name,omitempty"`
	FileType    string `json:"file_type,omitempty"`
	// FirstFound is GmtCreate (and the list's GmtModified, which the list
	// documents as "first detected"); LastFound is the detail's GmtModified.
	FirstFound time.Time `json:"first_found"`
	LastFound  time.Time `json:"last_found"`
	// TokenValid: 0 to be confirmed, 1 valid, 2 invalid.
	TokenValid int       `json:"token_valid"`
	Status     string    `json:"status"`    // pending | dealed
	DealType   string    `json:"deal_type"` // pending | manual | disable | add-whitelist
	DealTime   time.Time `json:"deal_time,omitzero"`
	Remark     string    `json:"remark,omitempty"`
}

// ScenarioLeak is a Security Center leak record in a scenario file.
type ScenarioLeak struct {
	AccessKeyID string `json:"access_key_id"`
	Source      string `json:"source,omitempty"` // default GitHub
	URL         string `json:"url"`              // the file's URL
	RepoURL     string `json:"repo_url,omitempty"`
	GithubUser  string `json:"github_user,omitempty"`
	FileName    string `json:"file_name,omitempty"`
	FileType    string `json:"file_type,omitempty"`
	Found       string `json:"found"`                // time expression
	LastFound   string `json:"last_found,omitempty"` // default: found
	// SecretValid is "valid", "invalid" or "unconfirmed" (default).
	SecretValid string `json:"secret_valid,omitempty"`
	// Status is "pending" (default) or "handled"; DealType and Handled
	// then say how and when (default manual, at found+1h).
	Status   string `json:"status,omitempty"`
	DealType string `json:"deal_type,omitempty"`
	Handled  string `json:"handled,omitempty"`
	Remark   string `json:"remark,omitempty"`
}

var sasDealTypes = map[string]bool{"manual": true, "disable": true, "add-whitelist": true}

// scValidateLeaks checks the scenario's leak records (called by validate).
// A leaked key the account does not hold is legal (it was deleted), so
// only the ID's shape is checked.
func (s *Scenario) scValidateLeaks(p *scProblems, checkTime func(path, expr string, required bool)) {
	for i, l := range s.Leaks {
		path := fmt.Sprintf("leaks[%d]", i)
		if !ValidAccessKeyID(l.AccessKeyID) {
			p.add(path+".access_key_id", "%q is not an AccessKey ID", l.AccessKeyID)
		}
		if !strings.HasPrefix(l.URL, "https://") && !strings.HasPrefix(l.URL, "http://") {
			p.add(path+".url", "%q is not an http(s) URL", l.URL)
		}
		checkTime(path+".found", l.Found, true)
		checkTime(path+".last_found", l.LastFound, false)
		checkTime(path+".handled", l.Handled, false)
		switch l.SecretValid {
		case "", "valid", "invalid", "unconfirmed":
		default:
			p.add(path+".secret_valid", "%q is not valid, invalid or unconfirmed", l.SecretValid)
		}
		switch l.Status {
		case "", "pending":
			if l.DealType != "" || l.Handled != "" {
				p.add(path+".status", "a pending record has no deal_type or handled time")
			}
		case "handled":
			if l.DealType != "" && !sasDealTypes[l.DealType] {
				p.add(path+".deal_type", "%q is not manual, disable or add-whitelist", l.DealType)
			}
		default:
			p.add(path+".status", "%q is not pending or handled", l.Status)
		}
	}
}

// scBuildLeaks adds the scenario's leak records to w (called by Build).
func (s *Scenario) scBuildLeaks(w *World, clk *scClock, p *scProblems) {
	for i, l := range s.Leaks {
		path := fmt.Sprintf("leaks[%d]", i)
		found := clk.resolve(l.Found)
		if found.After(clk.now) {
			p.add(path+".found", "in the future")
		}
		lk := &Leak{ID: int64(389357 + i), AccessKeyID: l.AccessKeyID, Source: l.Source, FileURL: l.URL,
			RepoURL: l.RepoURL, GithubUser: l.GithubUser, FileName: l.FileName, FileType: l.FileType,
			FirstFound: found, LastFound: clk.at(l.LastFound, found), Status: "pending", DealType: "pending", Remark: l.Remark}
		if lk.Source == "" {
			lk.Source = "GitHub"
		}
		switch l.SecretValid {
		case "valid":
			lk.TokenValid = 1
		case "invalid":
			lk.TokenValid = 2
		}
		if l.Status == "handled" {
			lk.Status, lk.DealType = "dealed", l.DealType
			if lk.DealType == "" {
				lk.DealType = "manual"
			}
			lk.DealTime = clk.at(l.Handled, found.Add(time.Hour))
		}
		w.Leaks = append(w.Leaks, lk)
	}
}

func sasRoutes() map[string]route {
	return map[string]route{
		"DescribeAccesskeyLeakList":   {handler: sasDescribeLeakList},
		"DescribeAccessKeyLeakDetail": {handler: sasDescribeLeakDetail},
		// The reference lists this one under yundun-sas, the reads under
		// yundun-aegis.
		"ModifyAccessKeyLeakDeal": {handler: sasModifyLeakDeal, ramAction: "yundun-sas:ModifyAccessKeyLeakDeal"},
	}
}

func sasTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(sasZone).Format("2006-01-02 15:04:05")
}

func sasUserType(w *World, keyID string) string {
	if k, ok := w.AccessKeys[keyID]; ok && k.Owner == "" {
		return "master"
	}
	if rk, ok := w.RecycleBin[keyID]; ok && rk.Key.Owner == "" {
		return "master"
	}
	return "ram"
}

func sasAccountName(w *World) string {
	if w.Account.Alias != "" {
		return w.Account.Alias
	}
	return w.Account.ID
}

func sasDescribeLeakList(c *call) (jobj, *apiError) {
	status := c.param("Status")
	if status != "" && status != "pending" && status != "dealed" {
		return nil, newError(http.StatusBadRequest, "InvalidParameter", "The parameter Status %q is invalid: want pending or dealed.", status)
	}
	pageSize, aerr := c.intParam("PageSize", 20, 1, 100)
	if aerr != nil {
		return nil, aerr
	}
	page, aerr := c.intParam("CurrentPage", 1, 1, 1<<30)
	if aerr != nil {
		return nil, aerr
	}
	var since int64
	if v := c.param("StartTs"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return nil, newError(http.StatusBadRequest, "InvalidParameter", "The parameter StartTs %q is not a millisecond timestamp.", v)
		}
		since = n
	}
	query := c.param("Query")
	leaks := append([]*Leak(nil), c.w.Leaks...)
	sort.SliceStable(leaks, func(i, j int) bool { return leaks[i].FirstFound.After(leaks[j].FirstFound) })
	var match []*Leak
	pending := 0
	for _, l := range leaks {
		if l.Status == "pending" {
			pending++
		}
		if status != "" && l.Status != status {
			continue
		}
		if query != "" && l.AccessKeyID != query {
			continue
		}
		if since > 0 && l.FirstFound.UnixMilli() < since {
			continue
		}
		match = append(match, l)
	}
	list := []jobj{}
	for i := (page - 1) * pageSize; i < len(match) && i < page*pageSize; i++ {
		l := match[i]
		list = append(list, jobj{
			"Id": l.ID, "AccesskeyId": l.AccessKeyID, "AliUserName": sasAccountName(c.w),
			"UserType": sasUserType(c.w, l.AccessKeyID), "Status": l.Status, "DealType": l.DealType,
			"DealTime": sasTime(l.DealTime), "GmtModified": l.FirstFound.UnixMilli(), "Url": l.FileURL,
			"Asset": "Cloud platform", "Type": "AccessKey",
		})
	}
	var last int64
	if len(leaks) > 0 {
		last = leaks[0].FirstFound.UnixMilli()
	}
	return jobj{"AccessKeyLeakList": list, "TotalCount": len(match), "AkLeakCount": pending,
		"CurrentPage": page, "PageSize": pageSize, "GmtLast": last}, nil
}

// sasLeakByID finds the record named by the Id parameter.
func sasLeakByID(c *call) (*Leak, *apiError) {
	v := c.param("Id")
	if v == "" {
		return nil, errMissing("Id")
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil, newError(http.StatusBadRequest, "InvalidParameter", "The parameter Id %q is not a number.", v)
	}
	for _, l := range c.w.Leaks {
		if l.ID == id {
			return l, nil
		}
	}
	return nil, newError(http.StatusBadRequest, "InvalidParameter", "The leak record %d does not exist.", id)
}

func sasDescribeLeakDetail(c *call) (jobj, *apiError) {
	l, aerr := sasLeakByID(c)
	if aerr != nil {
		return nil, aerr
	}
	// Code (the leaked snippet) is served masked: the lab never hands out
	// a secret outside the calls that create one.
	return jobj{
		"AccesskeyId": l.AccessKeyID, "Asset": "Cloud Platform", "Type": "AccessKey", "Source": l.Source,
		"Code": "access_key_id=" + l.AccessKeyID + "\naccess_key_secret=******", "GithubFileUrl": l.FileURL,
		"GithubRepoUrl": l.RepoURL, "GithubUser": l.GithubUser, "GithubFileName": l.FileName,
		"GithubFileType": l.FileType, "GithubFileUpdateTime": l.FirstFound.In(sasZone).Format("2006-01-02T15:04:05"),
		"GmtCreate": sasTime(l.FirstFound), "GmtModified": sasTime(l.LastFound), "TokenValid": l.TokenValid,
		"DealType": l.DealType, "DealTime": sasTime(l.DealTime), "Remark": l.Remark,
		"WhitelistStatus": map[bool]string{true: "yes", false: "no"}[l.DealType == "add-whitelist"],
	}, nil
}

func sasModifyLeakDeal(c *call) (jobj, *apiError) {
	typ := c.param("Type")
	if typ == "" {
		return nil, errMissing("Type")
	}
	if !sasDealTypes[typ] {
		return nil, newError(http.StatusBadRequest, "InvalidParameter", "The parameter Type %q is invalid: want manual, disable or add-whitelist.", typ)
	}
	var targets []*Leak
	if c.param("Id") != "" {
		l, aerr := sasLeakByID(c)
		if aerr != nil {
			return nil, aerr
		}
		targets = append(targets, l)
	}
	// IdList flattens to IdList.1, IdList.2, ... on the RPC wire.
	for n := 1; ; n++ {
		v := c.param("IdList." + strconv.Itoa(n))
		if v == "" {
			break
		}
		sub := &call{w: c.w, params: map[string]string{"Id": v}}
		l, aerr := sasLeakByID(sub)
		if aerr != nil {
			return nil, aerr
		}
		targets = append(targets, l)
	}
	if len(targets) == 0 {
		return nil, errMissing("Id")
	}
	for _, l := range targets {
		l.Status, l.DealType, l.DealTime = "dealed", typ, c.now
		if r := c.param("Remark"); r != "" {
			l.Remark = r
		}
	}
	return jobj{}, nil
}
