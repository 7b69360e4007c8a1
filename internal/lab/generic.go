package lab

import "strconv"

// Generic RPC services: every API version in Services without a route table
// of its own (ECS 2014-05-26, RDS 2014-08-15, Dysms 2017-05-25, ...). Any
// well-formed action succeeds when RAM policy allows "<product>:<Action>" and
// is recorded; the lab keeps no state for these products. A few actions get
// a plausible body so clients that read it keep working.

var labRegions = []string{"cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-shenzhen", "cn-hongkong", "ap-southeast-1", "ap-northeast-1", "us-west-1", "us-east-1", "eu-central-1", "eu-west-1"}

func genericHandler(c *call) (jobj, *apiError) {
	if r, aerr, ok := ecsRoute(c); ok { // stateful ECS and BSS (ecs.go, bss.go)
		return r, aerr
	}
	switch c.version + "/" + c.action {
	case "2014-05-26/RunInstances":
		amount, aerr := c.intParam("Amount", 1, 1, 100)
		if aerr != nil {
			return nil, aerr
		}
		ids := make([]string, amount)
		for i := range ids {
			ids[i] = "i-" + randomString(lowerAlnum, 20)
		}
		return jobj{"InstanceIdSets": jobj{"InstanceIdSet": ids}, "OrderId": randomID(15), "TradePrice": 0}, nil
	case "2014-05-26/CreateInstance":
		return jobj{"InstanceId": "i-" + randomString(lowerAlnum, 20), "OrderId": randomID(15), "TradePrice": 0}, nil
	case "2014-05-26/DescribeRegions":
		list := make([]jobj, 0, len(labRegions))
		for _, r := range labRegions {
			list = append(list, jobj{"RegionId": r, "LocalName": r, "RegionEndpoint": "ecs." + r + ".aliyuncs.com", "Status": "available"})
		}
		return jobj{"Regions": jobj{"Region": list}}, nil
	case "2014-05-26/DescribeInstances":
		pageSize, aerr := c.intParam("PageSize", 10, 1, 100)
		if aerr != nil {
			return nil, aerr
		}
		pageNumber, aerr := c.intParam("PageNumber", 1, 1, 1<<30)
		if aerr != nil {
			return nil, aerr
		}
		return jobj{"Instances": jobj{"Instance": []jobj{}}, "TotalCount": 0, "PageNumber": pageNumber, "PageSize": pageSize}, nil
	case "2017-05-25/SendSms":
		if c.param("PhoneNumbers") == "" {
			return nil, errMissing("PhoneNumbers")
		}
		return jobj{"Code": "OK", "Message": "OK", "BizId": randomID(15) + "^" + randomID(10)}, nil
	case "2014-08-15/CreateDBInstance":
		return jobj{"DBInstanceId": "rm-" + randomString(lowerAlnum, 20), "OrderId": randomID(15),
			"ConnectionString": "rm-lab.mysql." + c.region + ".rds.aliyuncs.com", "Port": strconv.Itoa(3306)}, nil
	case "2014-08-15/DescribeDBInstances":
		return jobj{"Items": jobj{"DBInstance": []jobj{}}, "TotalRecordCount": 0, "PageNumber": 1, "PageRecordCount": 0}, nil
	}
	return jobj{}, nil
}
