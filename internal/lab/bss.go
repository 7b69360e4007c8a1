package lab

import (
	"github.com/akresp/akresp/internal/lazyre"
	"math"
	"sort"
	"time"
)

// BSS OpenAPI (bssopenapi 2017-12-14) QueryInstanceBill, computed from the
// lab's ECS resource history: one row per instance billed in the cycle,
// PretaxAmount = the lab's hourly price (ECSPricePerHour) x the hours the
// instance was billed in the cycle (up to now for the current cycle),
// rounded to the cent. Real bills lag usage by about a day; the lab's do
// not. RAM authorises it as bssapi:QueryInstanceBill.

var reLabBillingCycle = lazyre.New(`^\d{4}-(0[1-9]|1[0-2])$`)

// billingZone is the billing calendar's zone: UTC+8, no daylight saving.
var billingZone = time.FixedZone("UTC+8", 8*3600)

func bssQueryInstanceBill(c *call) (jobj, *apiError) {
	cycle, aerr := c.require("BillingCycle")
	if aerr != nil {
		return nil, aerr
	}
	if !reLabBillingCycle.MatchString(cycle) {
		return nil, errInvalidParam("BillingCycle", "The specified parameter BillingCycle %q is not in the YYYY-MM format.", cycle)
	}
	pageNum, aerr := c.intParam("PageNum", 1, 1, 1<<30)
	if aerr != nil {
		return nil, aerr
	}
	pageSize, aerr := c.intParam("PageSize", 20, 1, 300)
	if aerr != nil {
		return nil, aerr
	}
	// A cycle is a calendar month of Alibaba Cloud's billing calendar,
	// UTC+8 (see doc.go).
	from, err := time.ParseInLocation("2006-01", cycle, billingZone)
	if err != nil {
		return nil, errInvalidParam("BillingCycle", "The specified parameter BillingCycle %q is not valid.", cycle)
	}
	to := from.AddDate(0, 1, 0)
	if c.now.Before(to) {
		to = c.now
	}
	product := c.param("ProductCode")
	if product != "" && product != "ecs" {
		return bssPage(cycle, c, nil, pageNum, pageSize), nil
	}
	e := c.w.ECS
	if e == nil {
		e = newECS()
		replayECS(e, c.w.Events)
	}
	var items []jobj
	ids := make([]string, 0, len(e.Instances))
	for id := range e.Instances {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		in := e.Instances[id]
		h := in.BilledHours(from, to)
		if h <= 0 {
			continue
		}
		amount := math.Round(h*ECSPrice(in.InstanceType)*100) / 100
		items = append(items, jobj{"InstanceID": in.ID, "ProductCode": "ecs", "ProductType": "ecs", "Region": in.Region,
			"InstanceSpec": in.InstanceType, "SubscriptionType": "PayAsYouGo", "BillingType": "PayAsYouGo",
			"PretaxGrossAmount": amount, "PretaxAmount": amount, "PaymentAmount": amount, "Currency": "CNY",
			"ServicePeriod": float64(int64(h * 3600)), "ServicePeriodUnit": "Second", "NickName": in.Name})
	}
	return bssPage(cycle, c, items, pageNum, pageSize), nil
}

func bssPage(cycle string, c *call, items []jobj, pageNum, pageSize int) jobj {
	total := len(items)
	from := min((pageNum-1)*pageSize, total)
	to := min(from+pageSize, total)
	page := items[from:to]
	if page == nil {
		page = []jobj{}
	}
	return jobj{"Code": "Success", "Message": "Successful!", "Success": true,
		"Data": jobj{"BillingCycle": cycle, "AccountID": c.w.Account.ID, "TotalCount": total, "PageNum": pageNum, "PageSize": pageSize,
			"Items": jobj{"Item": page}}}
}
