package audit

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// benchEvents is a realistic mix for one key: a fleet of 20 sources calling
// 40 APIs over two weeks, with some errors and a few sensitive writes.
func benchEvents(n int) []*Event {
	rng := rand.New(rand.NewPCG(1, 2))
	apis := []struct{ svc, name string }{}
	for i := 0; i < 30; i++ {
		apis = append(apis, struct{ svc, name string }{"Ecs", fmt.Sprintf("DescribeThing%d", i)})
	}
	apis = append(apis,
		struct{ svc, name string }{"Ram", "ListUsers"}, struct{ svc, name string }{"Sts", "GetCallerIdentity"},
		struct{ svc, name string }{"Ecs", "RunInstances"}, struct{ svc, name string }{"Ram", "CreateUser"},
		struct{ svc, name string }{"Oss", "GetBucketInfo"}, struct{ svc, name string }{"Rds", "DescribeDBInstances"},
		struct{ svc, name string }{"Ecs", "StartInstance"}, struct{ svc, name string }{"Dysms", "SendSms"},
		struct{ svc, name string }{"Ecs", "DescribeRegions"}, struct{ svc, name string }{"Ecs", "StopInstance"})
	regions := []string{"cn-hangzhou", "cn-shanghai", "cn-beijing"}
	ips := make([]string, 20)
	for i := range ips {
		ips[i] = fmt.Sprintf("203.0.113.%d", i+1)
	}
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	span := 14 * 24 * time.Hour
	out := make([]*Event, n)
	for i := range out {
		a := apis[rng.IntN(len(apis))]
		e := &Event{
			ID: fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i), RequestID: fmt.Sprintf("REQ%010d", i),
			Time: start.Add(time.Duration(rng.Int64N(int64(span)))), Name: a.name, Service: a.svc, Type: "ApiCall",
			RW: DeriveRW(a.name), Region: regions[rng.IntN(len(regions))], SourceIP: ips[rng.IntN(len(ips))],
			UserAgent: officeUA, AccessKeyID: testKey, UserType: "ram-user", UserName: "app", AccountID: testAccount,
			Params: map[string]string{"UserName": "u1", "InstanceId": "i-1"},
			Source: Origin{Kind: OriginTrail, File: "bench.json", Pos: int64(i)},
		}
		if rng.IntN(50) == 0 {
			e.ErrorCode = "NoPermission"
		}
		out[i] = e
	}
	// Readers deliver events file by file, each file in time order: model
	// 8 files of interleaved sources.
	for f := 0; f < 8; f++ {
		chunk := out[f*n/8 : (f+1)*n/8]
		slices.SortFunc(chunk, func(a, b *Event) int { return a.Time.Compare(b.Time) })
	}
	return out
}

// BenchmarkEngineAdd measures Add alone; the offline pipeline's budget is
// 4 us per event on 2 cores for parsing and analysis together (250,000
// events/s), so Add should stay well under 1 us.
func BenchmarkEngineAdd(b *testing.B) {
	evs := benchEvents(200_000)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		e := NewEngine(Options{KeyID: testKey, Now: testNow})
		for _, x := range evs {
			e.Add(x)
		}
		n += len(evs)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/event")
}

// BenchmarkEngineResult measures finalisation of 200,000 events.
func BenchmarkEngineResult(b *testing.B) {
	evs := benchEvents(200_000)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		e := NewEngine(Options{KeyID: testKey, Now: testNow})
		for _, x := range evs {
			e.Add(x)
		}
		b.StartTimer()
		_ = e.Result()
	}
}
