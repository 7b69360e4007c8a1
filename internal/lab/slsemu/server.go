package slsemu

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pierrec/lz4/v4"
)

// Options configure a Server.
type Options struct {
	// Credentials maps AccessKey IDs to their secrets; requests signed with
	// anything else are refused.
	Credentials map[string]string
	// Clock is the server's time for the Date skew check; nil = time.Now.
	Clock func() time.Time
	// MaxSkew is the largest accepted Date offset; 0 = 15 minutes.
	MaxSkew time.Duration
	Faults  Faults
}

// Faults inject SLS's non-error imperfections and its quota errors.
type Faults struct {
	// IncompleteFirst: the first N answers to each distinct request
	// (query, from, to, line, offset) are Incomplete, the nth computed over
	// the first n/(N+1) of the matching rows.
	IncompleteFirst int
	// ScanCap: a request whose search part matches more rows than this is
	// answered over the first ScanCap rows (by time) and marked Incomplete,
	// however often it is repeated; 0 = no cap.
	ScanCap int64
	// QuotaFirst: the first N GetLogs requests get 403 ReadQuotaExceed.
	QuotaFirst int
	// BusyFirst: the first N GetLogs requests get 503 ServerBusy.
	BusyFirst int
	// MaxConcurrent: GetLogs requests beyond this many at once get 403
	// ReadQuotaExceed; 0 = 15, SLS's standard per-project limit.
	MaxConcurrent int
}

// Stats count the traffic the server saw.
type Stats struct {
	Requests      int64 // every request, including refused ones
	GetLogs       int64 // GetLogs requests answered 200
	Incomplete    int64 // answers marked Incomplete
	BytesIn       int64 // request bodies
	BytesOut      int64 // response bodies as sent (lz4-compressed when asked)
	RawBytesOut   int64 // response bodies before compression
	ProcessedRows int64 // rows matched by the search parts
}

// Server is the emulated SLS endpoint.
type Server struct {
	opts  Options
	st    *store
	ln    net.Listener
	srv   *http.Server
	mu    sync.Mutex
	seen  map[string]int // request fingerprint -> answers given
	calls int            // GetLogs requests so far (for QuotaFirst/BusyFirst)
	busy  atomic.Int64   // GetLogs in flight
	stats struct {
		requests, getLogs, incomplete, in, out, rawOut, processed atomic.Int64
	}
	// alerts are the alert rules created (alerts.go), by project/name;
	// guarded by mu.
	alerts map[string]json.RawMessage
}

// New starts a server on 127.0.0.1 with an ephemeral port.
func New(opts Options) (*Server, error) {
	st, err := openStore()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		st.close()
		return nil, fmt.Errorf("slsemu: listen: %w", err)
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.MaxSkew == 0 {
		opts.MaxSkew = 15 * time.Minute
	}
	s := &Server{opts: opts, st: st, ln: ln, seen: map[string]int{}}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	return s, nil
}

// Addr is the host:port the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server and frees the database.
func (s *Server) Close() error {
	err := s.srv.Close()
	return errors.Join(err, s.st.close())
}

// CreateLogstore adds an empty logstore.
func (s *Server) CreateLogstore(spec LogstoreSpec) error { return s.st.create(spec) }

// Append loads rows into a logstore (the delivery path of a trail).
func (s *Server) Append(ctx context.Context, project, logstore string, rows []Row) error {
	return s.st.appendRows(ctx, project, logstore, rows)
}

// SetFaults replaces the injected faults and forgets past answers.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.Faults = f
	s.seen = map[string]int{}
	s.calls = 0
}

// Stats returns the traffic counters so far.
func (s *Server) Stats() Stats {
	return Stats{
		Requests: s.stats.requests.Load(), GetLogs: s.stats.getLogs.Load(), Incomplete: s.stats.incomplete.Load(),
		BytesIn: s.stats.in.Load(), BytesOut: s.stats.out.Load(), RawBytesOut: s.stats.rawOut.Load(),
		ProcessedRows: s.stats.processed.Load(),
	}
}

// ResetStats zeroes the traffic counters.
func (s *Server) ResetStats() {
	for _, c := range []*atomic.Int64{&s.stats.requests, &s.stats.getLogs, &s.stats.incomplete, &s.stats.in, &s.stats.out, &s.stats.rawOut, &s.stats.processed} {
		c.Store(0)
	}
}

// DialContext connects to the server whatever address is asked: the SDK
// always dials <project>.<endpoint>, a name that does not resolve in the
// lab (sls-pushdown.md section 1.1).
func (s *Server) DialContext(ctx context.Context, network, _ string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, network, s.Addr())
}

type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func newRequestID() string {
	var b [12]byte
	rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.stats.requests.Add(1)
	reqID := newRequestID()
	w.Header().Set("x-log-requestid", reqID)
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	s.stats.in.Add(int64(len(body)))
	if err != nil {
		s.fail(w, &apiError{400, "RequestBodyInvalid", "cannot read the request body"})
		return
	}
	if err := s.checkSignature(r, body); err != nil {
		s.fail(w, err)
		return
	}
	project, _, _ := strings.Cut(r.Host, ".")
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.Method == http.MethodGet && len(parts) == 1 && parts[0] == "logstores":
		names := s.st.list(project)
		if names == nil {
			names = []string{}
		}
		s.reply(w, r, map[string]any{"count": len(names), "total": len(names), "logstores": names})
	case len(parts) >= 2 && parts[0] == "logstores":
		ls := s.st.get(project, parts[1])
		if ls == nil {
			if len(s.st.list(project)) == 0 {
				s.fail(w, &apiError{404, "ProjectNotExist", fmt.Sprintf("project %s does not exist", project)})
				return
			}
			s.fail(w, &apiError{404, "LogStoreNotExist", fmt.Sprintf("logstore %s does not exist", parts[1])})
			return
		}
		switch {
		case r.Method == http.MethodGet && len(parts) == 2 && r.URL.Query().Get("type") == "":
			s.reply(w, r, map[string]any{"logstoreName": ls.name, "ttl": ls.ttl, "shardCount": 2})
		case r.Method == http.MethodGet && len(parts) == 3 && parts[2] == "index":
			s.reply(w, r, ls.index())
		case r.Method == http.MethodPost && len(parts) == 3 && parts[2] == "logs":
			s.getLogs(w, r, ls, body)
		default:
			s.fail(w, &apiError{400, "InvalidParameter", fmt.Sprintf("the lab SLS endpoint does not implement %s %s", r.Method, r.URL.Path)})
		}
	case len(parts) >= 1 && parts[0] == "jobs":
		s.serveJobs(w, r, project, parts, body)
	default:
		s.fail(w, &apiError{400, "InvalidParameter", fmt.Sprintf("the lab SLS endpoint does not implement %s %s", r.Method, r.URL.Path)})
	}
}

func (ls *logstore) index() map[string]any {
	jk := map[string]any{}
	for _, k := range ls.keys {
		jk[strings.TrimPrefix(k, "event.")] = map[string]any{"type": "text", "doc_value": true}
	}
	return map[string]any{
		"keys": map[string]any{
			"event":      map[string]any{"type": "json", "doc_value": true, "caseSensitive": false, "token": strings.Split(", '\";=()[]{}?@&<>/:\n\t\r", ""), "json_keys": jk},
			"__topic__":  map[string]any{"type": "text", "doc_value": true},
			"__source__": map[string]any{"type": "text", "doc_value": true},
		},
		"ttl": ls.ttl,
	}
}

func (s *Server) fail(w http.ResponseWriter, e error) {
	var ae *apiError
	if !errors.As(e, &ae) {
		var qe *queryError
		if errors.As(e, &qe) {
			ae = &apiError{400, "InvalidQueryString", qe.msg}
		} else {
			ae = &apiError{500, "InternalServerError", e.Error()}
		}
	}
	b, _ := json.Marshal(map[string]string{"errorCode": ae.code, "errorMessage": ae.msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(ae.status)
	w.Write(b)
	s.stats.out.Add(int64(len(b)))
	s.stats.rawOut.Add(int64(len(b)))
}

func (s *Server) reply(w http.ResponseWriter, r *http.Request, v any) {
	raw, err := json.Marshal(v)
	if err != nil {
		s.fail(w, err)
		return
	}
	out := raw
	if strings.Contains(r.Header.Get("Accept-Encoding"), "lz4") && len(raw) > 0 {
		buf := make([]byte, lz4.CompressBlockBound(len(raw)))
		n, err := lz4.CompressBlock(raw, buf, nil)
		if err == nil && n > 0 {
			out = buf[:n]
			w.Header().Set("x-log-bodyrawsize", strconv.Itoa(len(raw)))
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(http.StatusOK)
	w.Write(out)
	s.stats.out.Add(int64(len(out)))
	s.stats.rawOut.Add(int64(len(raw)))
}

// checkSignature verifies a V1 signature (sls-pushdown.md section 2.1).
func (s *Server) checkSignature(r *http.Request, body []byte) error {
	auth := r.Header.Get("Authorization")
	if strings.HasPrefix(auth, "SLS4-HMAC-SHA256") {
		return &apiError{401, "Unauthorized", "the lab SLS endpoint checks V1 signatures only; do not set AuthV4"}
	}
	rest, ok := strings.CutPrefix(auth, "LOG ")
	ak, sig, ok2 := strings.Cut(rest, ":")
	if !ok || !ok2 || ak == "" || sig == "" {
		return &apiError{401, "Unauthorized", "missing or malformed Authorization header (want LOG <AccessKeyId>:<signature>)"}
	}
	secret, known := s.opts.Credentials[ak]
	if !known {
		return &apiError{401, "Unauthorized", "AccessKeyId not found: " + ak}
	}
	date := r.Header.Get("Date")
	t, err := time.Parse(time.RFC1123, date)
	if err != nil {
		return &apiError{400, "InvalidDate", fmt.Sprintf("Date header %q is not RFC 1123", date)}
	}
	if d := s.opts.Clock().Sub(t); d > s.opts.MaxSkew || d < -s.opts.MaxSkew {
		return &apiError{400, "RequestTimeTooSkewed", fmt.Sprintf("Date %s is %s off the server time", date, d.Round(time.Second))}
	}
	md5hex := r.Header.Get("Content-MD5")
	if len(body) > 0 {
		want := fmt.Sprintf("%X", md5.Sum(body))
		if md5hex != want {
			return &apiError{400, "InvalidContentMD5", "Content-MD5 does not match the body"}
		}
	}
	if m := r.Header.Get("x-log-signaturemethod"); m != "hmac-sha1" {
		return &apiError{400, "InvalidSignatureMethod", fmt.Sprintf("x-log-signaturemethod %q, want hmac-sha1", m)}
	}
	hdr := map[string]string{}
	for k, v := range r.Header {
		l := strings.ToLower(k)
		if strings.HasPrefix(l, "x-log-") || strings.HasPrefix(l, "x-acs-") {
			hdr[l] = strings.TrimSpace(strings.Join(v, ","))
		}
	}
	keys := slices.Sorted(maps.Keys(hdr))
	var canon []string
	for _, k := range keys {
		canon = append(canon, k+":"+hdr[k])
	}
	resource := r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return &apiError{400, "InvalidParameter", "malformed query string"}
		}
		qk := slices.Collect(maps.Keys(q))
		sort.Strings(qk)
		var pairs []string
		for _, k := range qk {
			pairs = append(pairs, k+"="+strings.Join(q[k], ""))
		}
		resource += "?" + strings.Join(pairs, "&")
	}
	sts := strings.Join([]string{r.Method, md5hex, r.Header.Get("Content-Type"), date, strings.Join(canon, "\n"), resource}, "\n")
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(sts))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return &apiError{401, "SignatureNotMatch", "signature " + sig + " does not match"}
	}
	return nil
}

// getLogsRequest is the GetLogsV2/V3 body (SDK model.go GetLogRequest).
type getLogsRequest struct {
	From    int64  `json:"from"`
	To      int64  `json:"to"`
	Topic   string `json:"topic"`
	Line    int64  `json:"line"`
	Offset  int64  `json:"offset"`
	Reverse bool   `json:"reverse"`
	Query   string `json:"query"`
	Power   bool   `json:"powerSql"`
}

func (s *Server) getLogs(w http.ResponseWriter, r *http.Request, ls *logstore, body []byte) {
	var req getLogsRequest
	if err := json.Unmarshal(body, &req); err != nil {
		s.fail(w, &apiError{400, "InvalidParameter", "the GetLogs body is not JSON: " + err.Error()})
		return
	}
	s.mu.Lock()
	f := s.opts.Faults
	s.calls++
	calls := s.calls
	s.mu.Unlock()
	if calls <= f.QuotaFirst {
		s.fail(w, &apiError{403, "ReadQuotaExceed", "project read quota exceeded (injected)"})
		return
	}
	if calls <= f.QuotaFirst+f.BusyFirst {
		s.fail(w, &apiError{503, "ServerBusy", "server busy (injected)"})
		return
	}
	maxc := int64(f.MaxConcurrent)
	if maxc <= 0 {
		maxc = 15
	}
	if s.busy.Add(1) > maxc {
		s.busy.Add(-1)
		s.fail(w, &apiError{403, "ReadQuotaExceed", fmt.Sprintf("more than %d concurrent queries in project %s", maxc, ls.project)})
		return
	}
	defer s.busy.Add(-1)

	resp, err := s.run(r.Context(), ls, req, f)
	if err != nil {
		s.fail(w, err)
		return
	}
	s.stats.getLogs.Add(1)
	s.reply(w, r, resp)
}

type meta struct {
	Progress      string   `json:"progress"`
	AggQuery      string   `json:"aggQuery"`
	WhereQuery    string   `json:"whereQuery"`
	HasSQL        bool     `json:"hasSQL"`
	ProcessedRows int64    `json:"processedRows"`
	Elapsed       int64    `json:"elapsedMillisecond"`
	Count         int64    `json:"count"`
	Limited       int64    `json:"limited"`
	Keys          []string `json:"keys"`
	IsAccurate    bool     `json:"isAccurate"`
}

func (s *Server) run(ctx context.Context, ls *logstore, req getLogsRequest, f Faults) (any, error) {
	start := time.Now()
	switch {
	case req.From >= req.To:
		return nil, &apiError{400, "InvalidTimeRange", fmt.Sprintf("from %d must be before to %d", req.From, req.To)}
	case req.Line < 0 || req.Line > MaxLines:
		return nil, &apiError{400, "InvalidLine", fmt.Sprintf("line %d is outside 0..%d", req.Line, MaxLines)}
	case req.Offset < 0:
		return nil, &apiError{400, "InvalidOffset", fmt.Sprintf("offset %d is negative", req.Offset)}
	case req.Power:
		return nil, &apiError{400, "InvalidQueryString", "the lab does not emulate Dedicated SQL (powerSql)"}
	}
	search, sqlPart, hasSQL := splitQuery(req.Query)
	if search == "" && !hasSQL {
		search = "*"
	}
	pred, err := compileSearch(ls, search)
	if err != nil {
		return nil, err
	}
	var duck string
	if hasSQL {
		if duck, err = rewriteSQL(sqlPart); err != nil {
			return nil, err
		}
	}
	where := fmt.Sprintf(`"__time__" >= %d AND "__time__" < %d AND %s`, req.From, req.To, pred)
	var matched int64
	if err := s.st.db.QueryRowContext(ctx, "SELECT count(*) FROM "+ls.table+" WHERE "+where).Scan(&matched); err != nil {
		return nil, duckError(err)
	}
	s.stats.processed.Add(matched)

	// Incomplete: the scan cap, or an injected first answer.
	progress, scan := "Complete", matched
	if f.ScanCap > 0 && matched > f.ScanCap {
		progress, scan = "Incomplete", f.ScanCap
	}
	fp := fmt.Sprintf("%s/%s\x00%s\x00%d\x00%d\x00%d\x00%d\x00%v", ls.project, ls.name, req.Query, req.From, req.To, req.Line, req.Offset, req.Reverse)
	s.mu.Lock()
	s.seen[fp]++
	n := s.seen[fp]
	s.mu.Unlock()
	if n <= f.IncompleteFirst && matched > 1 {
		// As on SLS, each repeat of the same request scans further (the
		// server-side cache fills) until the answer is complete.
		progress, scan = "Incomplete", min(scan, matched*int64(n)/int64(f.IncompleteFirst+1))
	}
	if progress == "Incomplete" {
		s.stats.incomplete.Add(1)
	}
	base := "SELECT * FROM " + ls.table + " WHERE " + where
	if scan < matched {
		base += fmt.Sprintf(` ORDER BY "__time__" LIMIT %d`, scan)
	}

	var stmt string
	if hasSQL {
		stmt = "WITH log AS (" + base + ") " + duck
	} else {
		order := "ASC"
		if req.Reverse {
			order = "DESC"
		}
		line := req.Line
		if line == 0 {
			line = MaxLines
		}
		// Ties on __time__ break on the event id read from the raw event:
		// the "event.eventId" column exists only when that key is indexed.
		stmt = fmt.Sprintf(`SELECT "__time__", "__topic__", "__source__", "event" FROM (%s) ORDER BY "__time__" %s, json_extract_string("event", '$.eventId') %s LIMIT %d OFFSET %d`, base, order, order, line, req.Offset)
	}
	rows, err := s.st.db.QueryContext(ctx, stmt)
	if err != nil {
		return nil, duckError(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, duckError(err)
	}
	data := []map[string]string{}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, duckError(err)
		}
		m := make(map[string]string, len(cols))
		for i, c := range cols {
			m[c] = render(vals[i])
		}
		data = append(data, m)
	}
	if err := rows.Err(); err != nil {
		return nil, duckError(err)
	}
	m := meta{Progress: progress, HasSQL: hasSQL, ProcessedRows: scan, Count: int64(len(data)), Keys: cols,
		Elapsed: time.Since(start).Milliseconds(), WhereQuery: search, AggQuery: sqlPart, IsAccurate: true}
	return map[string]any{"meta": m, "data": data}, nil
}

// render writes a value the way SLS returns it: always a string; NULL as
// "null"; lists and maps as JSON text.
func render(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case []byte:
		return string(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.UTC().Format("2006-01-02 15:04:05")
	}
	b, err := json.Marshal(jsonable(v))
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// jsonable converts DuckDB maps (map[any]any) to string-keyed maps.
func jsonable(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonable(e)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[render(k)] = jsonable(e)
		}
		return out
	}
	return v
}

// duckError maps an engine error to SLS's answer: bind and parse errors are
// the client's query (400 InvalidQueryString).
func duckError(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &apiError{500, "RequestTimeout", "the query was cancelled"}
	}
	if errors.Is(err, sql.ErrNoRows) {
		return &apiError{500, "InternalServerError", err.Error()}
	}
	msg := err.Error()
	for _, p := range []string{"Binder Error", "Parser Error", "Catalog Error", "Conversion Error", "Invalid Input Error"} {
		if strings.Contains(msg, p) {
			return &queryError{msg: "sql: " + msg}
		}
	}
	return &apiError{500, "InternalServerError", msg}
}
