package lab

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

type faultKind int

const (
	faultNone faultKind = iota
	faultUnavailable
	faultDrop
)

func (s *Server) currentLatency() time.Duration {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	return s.latency
}

// drawFault decides, from the seeded sequence, whether this request gets a
// fault: one draw u in [0,1) per request; u < rate/2 is a 503, u < rate a
// dropped connection. The same seed and request order give the same faults.
func (s *Server) drawFault() faultKind {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	if s.faultRate <= 0 {
		return faultNone
	}
	u := s.rng.Float64()
	switch {
	case u < s.faultRate/2:
		return faultUnavailable
	case u < s.faultRate:
		return faultDrop
	}
	return faultNone
}

// dropConnection closes the client connection without an answer.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		// HTTP/2 or a test recorder: the closest thing is aborting the
		// handler, which net/http turns into a reset stream.
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// quotaFor is the per-second quota of one API (alibaba-cloud-api.md
// section 19). IMS has no published numbers; it follows RAM's pattern.
func quotaFor(version, action string) float64 {
	switch version {
	case "2015-05-01", "2019-08-15":
		switch {
		case action == "AddUserToGroup", action == "RemoveUserFromGroup",
			strings.HasPrefix(action, "AttachPolicyTo"), strings.HasPrefix(action, "DetachPolicyFrom"),
			action == "DecodeDiagnosticMessage", action == "UntagResources":
			return 10
		case ActionRW(action) == "Read":
			return 100
		default:
			return 20
		}
	case "2020-07-06":
		switch {
		case action == "LookupEvents":
			return 2
		case strings.HasPrefix(action, "GetAccessKeyLastUsed"):
			return 50
		case action == "ListDeliveryHistoryJobs", action == "GetDeliveryHistoryJob":
			return 10
		case ActionRW(action) == "Read":
			return 100
		default:
			return 5
		}
	}
	// STS (AssumeRole, GetCallerIdentity) and the generic ECS/RDS/Dysms
	// services.
	return 100
}

// throttle takes one token from the (version, action) bucket. Buckets hold
// one second of quota (quota x scale, at least 1) and refill continuously.
func (s *Server) throttle(version, action string) *apiError {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	if s.quotaScale <= 0 {
		return nil
	}
	key := version + "/" + action
	lim, ok := s.limiters[key]
	if !ok {
		perSec := quotaFor(version, action) * s.quotaScale
		lim = rate.NewLimiter(rate.Limit(perSec), max(1, int(math.Floor(perSec))))
		s.limiters[key] = lim
	}
	now := time.Now()
	if lim.AllowN(now, 1) {
		return nil
	}
	perSec := float64(lim.Limit())
	tokens := lim.TokensAt(now)
	timeLeft := int64(math.Ceil((1 - tokens) / perSec * 1000))
	reset := int64(math.Ceil((float64(lim.Burst()) - tokens) / perSec * 1000))
	e := newError(http.StatusBadRequest, "Throttling.User", msgThrottlingUser)
	e.Header = map[string]string{
		"x-ratelimit-user-api": fmt.Sprintf("Limit:%d,Remain:0,TimeLeft:%d,Reset:%d", int64(math.Round(perSec)), max(timeLeft, 1), max(reset, 1)),
	}
	return e
}
