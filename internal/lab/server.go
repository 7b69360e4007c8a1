package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Options configures a lab server. The zero value is usable.
type Options struct {
	// Addr is the listen address; default "127.0.0.1:0".
	Addr string
	// World is the initial world (from a scenario). New takes ownership of
	// it. nil means an empty world for account 1234567890123456, alias
	// "akresp-lab".
	World *World
	// Clock is the lab clock used for event times, dates and STS expiry;
	// default time.Now. Signature freshness is always judged against real
	// time, because clients stamp requests with the machine's clock.
	Clock func() time.Time
	// Logger receives one debug line per request; nil discards.
	Logger *slog.Logger
	// Latency is added to every answer.
	Latency time.Duration
	// FaultRate (0..1) is the fraction of requests that get an injected
	// fault: half a 503 ServiceUnavailable JSON answer, half a dropped
	// connection.
	FaultRate float64
	// FaultSeed makes the fault sequence deterministic.
	FaultSeed int64
	// QuotaScale scales Alibaba's published per-API quotas
	// (alibaba-cloud-api.md section 19): 0 disables throttling, 1 is the
	// real limits, 10 ten times them.
	QuotaScale float64
	// ACLDenyCode is the error code (HTTP 403) of a call refused by an
	// AccessKey network policy. Alibaba does not document the real code
	// (section 8.4); the default Forbidden.AccessKeyPolicy is a guess.
	ACLDenyCode string
	// MaxPolicyLength is the RAM policy document length limit; default
	// 6144 (sources disagree, section 19).
	MaxPolicyLength int
	// MaxConns bounds the connections served at once; default
	// DefaultMaxConns. Further clients wait in the listen backlog until
	// one closes, so a crowd of idle or slow clients cannot use up the
	// process's file descriptors.
	MaxConns int
	// ReadTimeout bounds reading one request, headers and body (default
	// DefaultReadTimeout; the headers alone get at most half of it), and
	// IdleTimeout how long a kept-alive connection may wait for its next
	// request (default DefaultIdleTimeout). A client that sends its body
	// slowly, or never, is disconnected instead of holding the connection.
	ReadTimeout, IdleTimeout time.Duration
	// WriteTimeout bounds one request from the end of its headers to the
	// end of the answer, Latency included; default DefaultWriteTimeout.
	WriteTimeout time.Duration
}

// The lab's HTTP limits (Options.MaxConns, ReadTimeout, IdleTimeout,
// WriteTimeout) when Options leaves them zero.
const (
	DefaultMaxConns     = 256
	DefaultReadTimeout  = 30 * time.Second
	DefaultIdleTimeout  = 60 * time.Second
	DefaultWriteTimeout = 2 * time.Minute
	maxHeaderBytes      = 64 << 10
)

// Stats counts what the server did, for tests and benchmarks.
type Stats struct {
	Requests  int64            // requests received, faulted ones included
	Faults    int64            // answered with an injected 503 or a dropped connection
	Throttled int64            // answered Throttling.User
	Denied    int64            // refused by an AccessKey network policy or by RAM policy
	ByAction  map[string]int64 // routed requests by "<serviceName>:<Action>", e.g. "Ram:ListUsers"
}

// Server is a running lab emulator.
type Server struct {
	opts   Options
	clock  func() time.Time
	log    *slog.Logger
	ln     net.Listener
	srv    *http.Server
	routes map[string]map[string]route

	mu           sync.Mutex // guards the world and everything derived from it
	world        *World
	idx          eventIndex
	nonces       map[string]time.Time
	noncePruneAt int
	report       *credentialReport
	// pendingReport is the credential report being generated (ims.go).
	pendingReport *credentialReport
	trails        map[string]*trail
	insights      *insightState // insights.go; nil until first used

	ctl        sync.Mutex // guards the knobs and the stats
	latency    time.Duration
	faultRate  float64
	rng        *rand.Rand
	quotaScale float64
	limiters   map[string]*rate.Limiter
	stats      Stats
}

// route is one served (Version, Action).
type route struct {
	handler func(c *call) (map[string]any, *apiError)
	// resource derives the ARN the call is authorised against; nil = "*".
	resource func(c *call) string
	// noAuthz skips RAM authorisation (sts:GetCallerIdentity).
	noAuthz bool
	// ramAction is the RAM action when it is not <Product>:<Action>.
	ramAction string
}

// call is one authenticated request being served. Handlers run with s.mu
// held and may read and mutate c.w freely.
type call struct {
	s         *Server
	w         *World
	now       time.Time // lab clock, UTC
	version   string
	action    string
	params    map[string]string
	principal *principal
	sourceIP  string
	userAgent string
	reqID     string
	region    string
	// host is the request's Host header; its region (actiontrail.<region>.
	// aliyuncs.com) is the endpoint's region (see endpointRegion).
	host string
}

const maxBodyBytes = 8 << 20

// New validates opts, starts listening and serves immediately.
func New(opts Options) (*Server, error) {
	if opts.FaultRate < 0 || opts.FaultRate > 1 {
		return nil, fmt.Errorf("lab: fault rate %v is outside 0..1", opts.FaultRate)
	}
	if opts.QuotaScale < 0 {
		return nil, fmt.Errorf("lab: quota scale %v is negative", opts.QuotaScale)
	}
	if opts.Latency < 0 {
		return nil, fmt.Errorf("lab: latency %v is negative", opts.Latency)
	}
	if opts.MaxPolicyLength < 0 {
		return nil, fmt.Errorf("lab: max policy length %d is negative", opts.MaxPolicyLength)
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.ACLDenyCode == "" {
		opts.ACLDenyCode = "Forbidden.AccessKeyPolicy"
	}
	if opts.MaxPolicyLength == 0 {
		opts.MaxPolicyLength = 6144
	}
	s := &Server{
		opts:       opts,
		clock:      opts.Clock,
		log:        opts.Logger,
		world:      opts.World,
		nonces:     map[string]time.Time{},
		latency:    opts.Latency,
		faultRate:  opts.FaultRate,
		rng:        rand.New(rand.NewPCG(uint64(opts.FaultSeed), 0x616b72657370)),
		quotaScale: opts.QuotaScale,
		limiters:   map[string]*rate.Limiter{},
		stats:      Stats{ByAction: map[string]int64{}},
		trails:     seedTrails(opts.World), // trails.go
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.world == nil {
		s.world = NewWorld(Account{ID: defaultAccountID, Alias: defaultAccountAlias})
	}
	if s.world.Account.ID == "" {
		return nil, errors.New("lab: world has no account id")
	}
	normalizeWorld(s.world)
	s.routes = buildRoutes()

	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("lab: listen on %s: %w", opts.Addr, err)
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = DefaultMaxConns
	}
	if opts.ReadTimeout <= 0 {
		opts.ReadTimeout = DefaultReadTimeout
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = DefaultWriteTimeout
	}
	s.opts = opts
	ll := newLimitListener(ln, opts.MaxConns)
	s.ln = ll
	s.srv = &http.Server{
		Handler:           s,
		ConnState:         ll.connState,
		ReadHeaderTimeout: opts.ReadTimeout / 2,
		ReadTimeout:       opts.ReadTimeout,
		WriteTimeout:      opts.WriteTimeout,
		IdleTimeout:       opts.IdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	go func() { _ = s.srv.Serve(ll) }()
	return s, nil
}

// Addr is the bare host:port the server listens on, the form the SDK's
// Config.Endpoint wants.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server and drops open connections.
func (s *Server) Close() error {
	if err := s.srv.Close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("lab: close: %w", err)
	}
	return nil
}

// Snapshot returns a deep copy of the world, Events included.
func (s *Server) Snapshot() *World {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneWorld(s.world)
}

// StateJSON returns the world without Events and STS tokens as canonical,
// deterministic JSON: equal bytes mean equal state.
func (s *Server) StateJSON() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return canonicalJSON(s.world)
}

// Events returns a copy of the recorded history, oldest first.
func (s *Server) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneEvents(s.world.Events)
}

// Update runs fn on the live world under the lock (tests and drills). The
// history is re-sorted afterwards, so fn may append events in any order.
func (s *Server) Update(fn func(w *World)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s.world)
	normalizeWorld(s.world)
	s.idx.dirty = true
}

// SetLatency changes the latency added to every answer.
func (s *Server) SetLatency(d time.Duration) {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	s.latency = max(d, 0)
}

// SetFaultRate changes the fault rate, clamped to 0..1.
func (s *Server) SetFaultRate(r float64) {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	s.faultRate = min(max(r, 0), 1)
}

// SetQuotaScale changes the throttling scale (0 disables throttling) and
// refills every bucket.
func (s *Server) SetQuotaScale(scale float64) {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	s.quotaScale = max(scale, 0)
	s.limiters = map[string]*rate.Limiter{}
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	st := s.stats
	st.ByAction = make(map[string]int64, len(s.stats.ByAction))
	for k, v := range s.stats.ByAction {
		st.ByAction[k] = v
	}
	return st
}

func (s *Server) count(f func(st *Stats)) {
	s.ctl.Lock()
	f(&s.stats)
	s.ctl.Unlock()
}

// answer is a fully rendered response.
type answer struct {
	status int
	body   []byte
	header map[string]string
	code   string
	reqID  string // sent as x-acs-request-id, as the real gateway does
}

// ServeHTTP serves one API call: latency, faults, parsing and routing, then
// (under the world lock) authentication, ACL, throttling, authorisation,
// the handler and the ActionTrail record.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	s.count(func(st *Stats) { st.Requests++ })
	if !sleepCtx(r.Context(), s.currentLatency()) {
		return
	}
	switch s.drawFault() {
	case faultUnavailable:
		s.count(func(st *Stats) { st.Faults++ })
		s.write(w, errorAnswer(NewRequestID(), "", newError(http.StatusServiceUnavailable, "ServiceUnavailable", msgUnavailable)))
		return
	case faultDrop:
		s.count(func(st *Stats) { st.Faults++ })
		dropConnection(w)
		return
	}

	reqID := NewRequestID()
	req, aerr := parseRequest(w, r)
	if aerr != nil {
		s.write(w, errorAnswer(reqID, "", aerr))
		return
	}
	rt, ok := s.lookupRoute(req.version, req.action)
	if !ok {
		s.write(w, errorAnswer(reqID, "", newError(http.StatusNotFound, "InvalidApi.NotFound", "%s (Version %q, Action %q)", msgApiNotFound, req.version, req.action)))
		return
	}
	s.count(func(st *Stats) { st.ByAction[Services[req.version].Name+":"+req.action]++ })

	s.mu.Lock()
	ans := s.serve(req, rt, reqID)
	s.mu.Unlock()
	s.write(w, ans)
	s.log.Debug("lab call", "version", req.version, "action", req.action, "status", ans.status,
		"code", ans.code, "source", remoteIP(r), "request_id", reqID, "duration", time.Since(start))
}

// serve runs the pipeline for a routed request. The caller holds s.mu.
func (s *Server) serve(req *request, rt route, reqID string) answer {
	r := req.http
	c := &call{
		s:         s,
		w:         s.world,
		now:       s.clock().UTC(),
		version:   req.version,
		action:    req.action,
		params:    req.params,
		sourceIP:  remoteIP(r),
		userAgent: r.UserAgent(),
		reqID:     reqID,
		region:    req.params["RegionId"],
		host:      r.Host,
	}
	if hr := hostRegion(r.Host); hr != "" {
		c.region = hr
	} else if c.region == "" {
		c.region = DefaultRegion
	}
	p, aerr := s.authenticate(req, c.now)
	c.principal = p
	// A call that failed authentication (bad signature, stale timestamp,
	// reused nonce) is not recorded: ActionTrail documents no such events,
	// and anyone knowing only an AK ID could forge them. A call with a
	// valid signature made with a disabled key IS recorded (the key is
	// proven, the status refused it): the leak-response plan's "observe
	// that there is no impact" after disabling a key reads exactly these
	// failures, and rotate's observe step depends on them
	// (internal/lab/doc.go).
	authenticated := aerr == nil || aerr.Code == "InvalidAccessKeyId.Inactive"
	if aerr == nil {
		if aerr = s.checkACL(p, c.sourceIP); aerr != nil {
			s.count(func(st *Stats) { st.Denied++ })
		}
	}
	if aerr == nil {
		if aerr = s.throttle(req.version, req.action); aerr != nil {
			s.count(func(st *Stats) { st.Throttled++ })
		}
	}
	if aerr == nil {
		if aerr = s.authorize(c, rt); aerr != nil {
			s.count(func(st *Stats) { st.Denied++ })
		}
	}
	var resp map[string]any
	if aerr == nil {
		resp, aerr = rt.handler(c)
	}
	if p != nil && authenticated {
		s.record(c, resp, aerr)
	}
	host := serviceHost(req.version, c.region)
	if aerr != nil {
		return errorAnswer(reqID, host, aerr)
	}
	if resp == nil {
		resp = map[string]any{}
	}
	resp["RequestId"] = reqID
	body, err := json.Marshal(resp)
	if err != nil {
		return errorAnswer(reqID, host, newError(http.StatusInternalServerError, "InternalError", "An internal error occurred: %v.", err))
	}
	return answer{status: http.StatusOK, body: body, reqID: reqID}
}

// record appends the ActionTrail event of a call whose AccessKey is known.
func (s *Server) record(c *call, resp map[string]any, aerr *apiError) {
	spec := EventSpec{
		Time:      c.now,
		Version:   c.version,
		Action:    c.action,
		Region:    c.region,
		SourceIP:  c.sourceIP,
		UserAgent: c.userAgent,
		Caller:    c.principal.caller(),
		Params:    ScrubParams(c.params),
		RequestID: c.reqID,
	}
	if aerr != nil {
		spec.ErrorCode, spec.ErrorMessage = aerr.Code, aerr.Message
	} else if ActionRW(c.action) == "Write" && resp != nil {
		// Write events keep the (secret-free) response, so created ids are
		// visible; read events keep only the request id.
		spec.Response = scrubResponse(resp)
		spec.Response["RequestId"] = c.reqID
	}
	insertEvent(s.world, &s.idx, s.world.NewEvent(spec))
}

// secretResponseKeys never reach an event's responseElements.
var secretResponseKeys = map[string]bool{"AccessKeySecret": true, "SecurityToken": true, "Password": true,
	"PrivateKeyBody": true, "Base32StringSeed": true, "QRCodePNG": true}

func scrubResponse(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if secretResponseKeys[k] {
			continue
		}
		switch t := v.(type) {
		case map[string]any:
			out[k] = scrubResponse(t)
		case []map[string]any:
			l := make([]map[string]any, len(t))
			for i, x := range t {
				l[i] = scrubResponse(x)
			}
			out[k] = l
		default:
			out[k] = cloneJSONValue(v)
		}
	}
	return out
}

func serviceHost(version, region string) string {
	svc, ok := Services[version]
	if !ok {
		return ""
	}
	if strings.Contains(svc.Host, "%s") {
		return fmt.Sprintf(svc.Host, region)
	}
	return svc.Host
}

func errorAnswer(reqID, host string, e *apiError) answer {
	body := map[string]any{"RequestId": reqID, "HostId": host, "Code": e.Code, "Message": e.Message,
		"Recommend": recommendURL(e.Code, host, reqID)}
	if e.Detail != nil {
		body["AccessDeniedDetail"] = e.Detail
	}
	b, _ := json.Marshal(body)
	return answer{status: e.Status, body: b, header: e.Header, code: e.Code, reqID: reqID}
}

// recommendURL is the Recommend link of an error body: the API
// troubleshooting page for the code, product (the endpoint's first label)
// and request id, as real error bodies carry it.
func recommendURL(code, host, reqID string) string {
	q := url.Values{"q": {code}}
	if product, _, ok := strings.Cut(host, "."); ok && product != "" {
		q.Set("product", product)
	}
	if reqID != "" {
		q.Set("requestId", reqID)
	}
	return "https://api.aliyun.com/troubleshoot?" + q.Encode()
}

func (s *Server) write(w http.ResponseWriter, a answer) {
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=utf-8")
	if a.reqID != "" {
		h.Set("x-acs-request-id", a.reqID)
	}
	for k, v := range a.header {
		h.Set(k, v)
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// parseRequest reads the body and parameters and finds (Version, Action).
func parseRequest(w http.ResponseWriter, r *http.Request) (*request, *apiError) {
	if r.URL.Path != "/" {
		return nil, newError(http.StatusNotFound, "InvalidApi.NotFound", "%s (path %q; the lab serves RPC-style APIs on / only)", msgApiNotFound, r.URL.Path)
	}
	if r.Body == nil {
		r.Body = http.NoBody
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, newError(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "The request body is larger than %d bytes.", maxBodyBytes)
		}
		return nil, newError(http.StatusBadRequest, "InvalidParameter", "The request body could not be read: %v.", err)
	}
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, newError(http.StatusBadRequest, "InvalidParameter", "The query string is malformed: %v.", err)
	}
	req := &request{http: r, body: body, query: query, params: map[string]string{}}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/x-www-form-urlencoded" && len(body) > 0 {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, newError(http.StatusBadRequest, "InvalidParameter", "The form body is malformed: %v.", err)
		}
		req.form = form
	}
	for k, v := range req.form {
		if len(v) > 0 {
			req.params[k] = v[0]
		}
	}
	for k, v := range query {
		if len(v) > 0 {
			req.params[k] = v[0]
		}
	}
	if r.Header.Get("Authorization") != "" {
		req.version, req.action = r.Header.Get("x-acs-version"), r.Header.Get("x-acs-action")
	} else {
		req.version, req.action = req.params["Version"], req.params["Action"]
		if req.version == "" {
			req.version = r.Header.Get("x-acs-version")
		}
		if req.action == "" {
			req.action = r.Header.Get("x-acs-action")
		}
	}
	if req.action == "" {
		return nil, errMissing("Action")
	}
	if req.version == "" {
		return nil, errMissing("Version")
	}
	return req, nil
}

// lookupRoute finds the handler of (version, action). Versions with their
// own route table answer only their listed actions; every other version in
// Services is a generic RPC product that answers any well-formed action.
func (s *Server) lookupRoute(version, action string) (route, bool) {
	if table, ok := s.routes[version]; ok {
		rt, ok := table[action]
		return rt, ok
	}
	if _, ok := Services[version]; ok && validActionName(action) {
		return route{handler: genericHandler}, true
	}
	return route{}, false
}

func validActionName(a string) bool {
	if a == "" || len(a) > 128 {
		return false
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// remoteIP is the TCP peer address of r, without port or zone.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if i := strings.IndexByte(host, '%'); i >= 0 {
		host = host[:i]
	}
	return host
}

// sleepCtx waits d unless ctx ends first; it reports whether the full wait
// happened.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// buildRoutes assembles the (Version, Action) table from the service files.
func buildRoutes() map[string]map[string]route {
	return map[string]map[string]route{
		"2015-05-01": ramRoutes(),
		"2019-08-15": imsRoutes(),
		"2020-07-06": actionTrailRoutes(),
		"2015-04-01": stsRoutes(),
		sasVersion:   sasRoutes(),
	}
}
