package audit

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// ReadOSSLogs reads OSS access logs: the space-separated files OSS logging
// writes to a bucket (one request per line, optionally gzip-compressed) and
// the JSON rows (lines or an array) exported from the OSS real-time log
// query in Simple Log Service (topic oss_access_log). Each request becomes
// an Event with Service "Oss", DataPlane true, Name the OSS operation
// (GetObject, PutObject, ...), SourceIP the client IP, AccessKeyID the
// requester's AccessKey ID, and Params "bucket", "object" (URL-decoded),
// "http_status" and the other fields listed in docs/trail-formats.md.
func ReadOSSLogs(ctx context.Context, paths []string, opts ReadOptions, sink Sink) (Stats, []Problem, error) {
	return readFiles(ctx, paths, opts, sink, OriginOSSLog, readOSSFile)
}

func readOSSFile(r *fileReader, src *source) error {
	p := &ossParser{in: r.ws.interner()}
	src.skipBOM()
	c, ok := src.skipSpace()
	if !ok {
		return src.readErr("at the start of the file")
	}
	if c == '[' || c == '{' {
		r.parse = p.parseJSON
		return splitJSON(r, src)
	}
	r.parse = p.parseLine
	return splitLines(r, src)
}

// splitLines feeds every non-empty line of src to r.record.
func splitLines(r *fileReader, src *source) error {
	s := src
	for {
		if err := r.ctx.Err(); err != nil {
			r.fatal = err
			return errStop
		}
		s.keep = s.pos
		s.overflowed = false
		if s.pos >= s.end && !s.fill() {
			return s.readErr("between lines")
		}
		line := s.lineAt(s.pos)
		for {
			if i := bytes.IndexByte(s.buf[s.pos:s.end], '\n'); i >= 0 {
				s.pos += i
				break
			}
			s.pos = s.end
			if !s.fill() {
				if s.rerr != nil {
					return s.inputErr(fmt.Sprintf("inside line %d", line))
				}
				break
			}
		}
		rec := bytes.TrimSpace(s.buf[s.keep:s.pos])
		long := s.tooLong()
		if s.pos < s.end {
			s.pos++ // the newline
		}
		if long {
			s.overflowed = false
			if err := r.problem("line", line, fmt.Sprintf("line longer than %d bytes, skipped", s.max)); err != nil {
				return err
			}
			continue
		}
		if len(rec) == 0 {
			continue
		}
		if err := r.record(rec, "line", line); err != nil {
			return err
		}
	}
}

// ossParser turns OSS access log records into Events.
type ossParser struct {
	in *interner
	tb timeBound
}

// OSS logging field positions (OSS documentation "Logging": the fields of a
// log object, left to right, separated by spaces). OSS may append fields;
// anything after the last known one is ignored.
const (
	ossRemoteIP      = 0
	ossTime          = 3
	ossRequestURI    = 4
	ossHTTPStatus    = 5
	ossSentBytes     = 6
	ossReferer       = 8
	ossUserAgent     = 9
	ossHostName      = 10
	ossRequestID     = 11
	ossRequester     = 13
	ossOperation     = 14
	ossBucket        = 15
	ossKey           = 16
	ossObjectSize    = 17
	ossErrorCode     = 19
	ossRequestLength = 20
	ossOwnerID       = 21
	ossSyncRequest   = 23
	ossStorageClass  = 24
	ossAccessKeyID   = 27
	ossMinFields     = ossKey + 1
	ossMaxFields     = 48
	ossTimeLayout    = "02/Jan/2006:15:04:05 -0700"
	ossTimeLayoutUTC = "02/Jan/2006:15:04:05"
)

// splitOSSFields splits a log line into fields: space separated, "quoted"
// (a backslash escapes the next byte) or [bracketed]. It returns how many
// fields it found.
func splitOSSFields(line []byte, f *[ossMaxFields][]byte) (int, error) {
	n := 0
	i := 0
	for i < len(line) && n < ossMaxFields {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i >= len(line) {
			break
		}
		switch line[i] {
		case '"':
			j := i + 1
			for j < len(line) && line[j] != '"' {
				if line[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(line) {
				return n, fmt.Errorf("field %d: unterminated quoted field", n+1)
			}
			f[n] = line[i+1 : j]
			i = j + 1
		case '[':
			j := bytes.IndexByte(line[i:], ']')
			if j < 0 {
				return n, fmt.Errorf("field %d: unterminated [time] field", n+1)
			}
			f[n] = line[i+1 : i+j]
			i += j + 1
		default:
			j := i
			for j < len(line) && line[j] != ' ' && line[j] != '\t' {
				j++
			}
			f[n] = line[i:j]
			i = j
		}
		n++
	}
	return n, nil
}

// unquoteOSS removes backslash escapes from a quoted field.
func unquoteOSS(b []byte) []byte {
	if bytes.IndexByte(b, '\\') < 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' && i+1 < len(b) {
			i++
		}
		out = append(out, b[i])
	}
	return out
}

// parseLine parses one line of an OSS access log object. A line starting
// with '{' is taken as an SLS JSON row.
func (p *ossParser) parseLine(ev *Event, line []byte, o Origin) error {
	if len(line) > 0 && line[0] == '{' {
		return p.parseJSON(ev, line, o)
	}
	*ev = Event{Source: o}
	for _, c := range line {
		if c < 0x20 && c != '\t' || c == 0x7f {
			return fmt.Errorf("OSS access log line holds control byte 0x%02x (binary data?)", c)
		}
	}
	var f [ossMaxFields][]byte
	n, err := splitOSSFields(line, &f)
	if err != nil {
		return err
	}
	if n < ossMinFields {
		return fmt.Errorf("OSS access log line has %d fields, want at least %d", n, ossMinFields)
	}
	get := func(i int) []byte {
		if i >= n {
			return nil
		}
		v := f[i]
		if len(v) == 1 && v[0] == '-' {
			return nil
		}
		return unquoteOSS(v)
	}
	ts := string(f[ossTime])
	t, err := time.Parse(ossTimeLayout, ts)
	if err != nil {
		return fmt.Errorf("time %q: want [02/Jan/2006:15:04:05 -0700]", truncate(ts, 40))
	}
	rec := ossRecord{
		time:          t.UTC(),
		clientIP:      get(ossRemoteIP),
		requestURI:    get(ossRequestURI),
		status:        get(ossHTTPStatus),
		sentBytes:     get(ossSentBytes),
		referer:       get(ossReferer),
		userAgent:     get(ossUserAgent),
		host:          get(ossHostName),
		requestID:     get(ossRequestID),
		requester:     get(ossRequester),
		operation:     get(ossOperation),
		bucket:        get(ossBucket),
		object:        get(ossKey),
		objectSize:    get(ossObjectSize),
		errorCode:     get(ossErrorCode),
		requestLength: get(ossRequestLength),
		ownerID:       get(ossOwnerID),
		syncReq:       get(ossSyncRequest),
		storage:       get(ossStorageClass),
		accessKey:     get(ossAccessKeyID),
	}
	return p.fill(ev, &rec)
}

// ossRecord holds the fields of one OSS request, whatever the layout.
type ossRecord struct {
	time                                  time.Time
	clientIP, requestURI, status          []byte
	sentBytes, referer, userAgent, host   []byte
	requestID, requester, operation       []byte
	bucket, object, objectSize, errorCode []byte
	ownerID, syncReq, storage, accessKey  []byte
	method, region, vpcID, requestLength  []byte
	haveTime                              bool
}

func (p *ossParser) fill(ev *Event, r *ossRecord) error {
	name := r.operation
	if len(name) == 0 {
		// Old lines without an operation: use the HTTP method.
		method, _, _ := bytes.Cut(r.requestURI, []byte(" "))
		if len(r.method) > 0 {
			method = r.method
		}
		name = method
	}
	if len(name) == 0 {
		return fmt.Errorf("OSS access log record has no operation")
	}
	ev.Name = p.in.get(name)
	ev.Service = "Oss"
	ev.Type = "ApiCall"
	ev.RW = DeriveRW(ev.Name)
	ev.DataPlane = true
	if err := p.tb.check("time", r.time); err != nil {
		return err
	}
	ev.Time = r.time
	ev.SourceIP = p.in.get(r.clientIP)
	ev.UserAgent = p.in.get(r.userAgent)
	ev.RequestID = string(r.requestID)
	ev.ID = ev.RequestID
	ev.PrincipalID = p.in.get(r.requester)
	ev.AccessKeyID = p.in.get(r.accessKey)
	ev.ErrorCode = p.in.get(r.errorCode)
	ev.VpcID = p.in.get(r.vpcID)
	if len(r.region) > 0 {
		ev.Region = p.in.get(bytes.TrimPrefix(r.region, []byte("oss-")))
	} else {
		ev.Region = p.in.get(ossRegion(r.host))
	}
	params := make(map[string]string, 12)
	set := func(k string, v []byte) {
		if len(v) > 0 {
			params[k] = p.in.get(v)
		}
	}
	set("bucket", r.bucket)
	if len(r.object) > 0 {
		params["object"] = decodeObjectKey(r.object)
	}
	set("http_status", r.status)
	if len(r.requestURI) > 0 {
		params["request_uri"] = string(r.requestURI)
	}
	set("http_method", r.method)
	set("host", r.host)
	set("object_size", r.objectSize)
	set("response_body_length", r.sentBytes)
	set("request_length", r.requestLength)
	set("referer", r.referer)
	set("owner_id", r.ownerID)
	set("sync_request", r.syncReq)
	set("storage_class", r.storage)
	ev.Params = params
	if b := params["bucket"]; b != "" {
		ev.Resources = append(ev.Resources, Resource{Type: "ACS::OSS::Bucket", Name: b})
		if obj := params["object"]; obj != "" {
			ev.Resources = append(ev.Resources, Resource{Type: "ACS::OSS::Object", Name: b + "/" + obj})
		}
	}
	return nil
}

// decodeObjectKey URL-decodes an object key as OSS logs it; a key that is
// not valid percent-encoding is kept as logged.
func decodeObjectKey(b []byte) string {
	s := string(b)
	if !strings.ContainsRune(s, '%') {
		return s
	}
	if d, err := url.PathUnescape(s); err == nil {
		return d
	}
	return s
}

// ossRegion extracts the region from an OSS host name such as
// "bucket.oss-cn-hangzhou.aliyuncs.com" or "oss-cn-beijing-internal.aliyuncs.com".
func ossRegion(host []byte) []byte {
	for len(host) > 0 {
		label, rest, _ := bytes.Cut(host, []byte("."))
		if bytes.HasPrefix(label, []byte("oss-")) && len(label) > 4 {
			r := bytes.TrimPrefix(label, []byte("oss-"))
			r = bytes.TrimSuffix(r, []byte("-internal"))
			return r
		}
		host = rest
	}
	return nil
}

// parseJSON parses one OSS access log row exported from Simple Log Service.
func (p *ossParser) parseJSON(ev *Event, raw []byte, o Origin) error {
	*ev = Event{Source: o}
	var r ossRecord
	var timeText []byte
	err := flatObject(raw, func(k, v []byte) error {
		switch string(k) {
		case "__time__":
			if len(v) > 0 {
				t, err := parseTimeText(v)
				if err != nil {
					return fmt.Errorf("__time__: %w", err)
				}
				r.time, r.haveTime = t, true
			}
		case "time":
			timeText = v
		case "client_ip":
			r.clientIP = v
		case "request_uri":
			r.requestURI = v
		case "http_status":
			r.status = v
		case "response_body_length":
			r.sentBytes = v
		case "referer":
			r.referer = v
		case "user_agent", "User-Agent", "user-agent":
			r.userAgent = v
		case "host":
			r.host = v
		case "request_id":
			r.requestID = v
		case "requester_id":
			r.requester = v
		case "operation":
			r.operation = v
		case "bucket":
			r.bucket = v
		case "object":
			r.object = v
		case "object_size":
			r.objectSize = v
		case "error_code":
			r.errorCode = v
		case "owner_id":
			r.ownerID = v
		case "sync_request":
			r.syncReq = v
		case "bucket_storage_type":
			r.storage = v
		case "access_id":
			r.accessKey = v
		case "http_method":
			r.method = v
		case "region", "bucket_location":
			if len(r.region) == 0 {
				r.region = v
			}
		case "vpc_id":
			r.vpcID = v
		case "request_length":
			r.requestLength = v
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !r.haveTime {
		if len(timeText) == 0 {
			return fmt.Errorf("OSS access log row has no __time__ or time")
		}
		t, err := parseOSSTime(timeText)
		if err != nil {
			return err
		}
		r.time = t
	}
	return p.fill(ev, &r)
}

// parseOSSTime reads the "time" field of an SLS OSS row: the OSS layout,
// with or without a zone (without one it is taken as UTC), or any time
// parseTimeText accepts.
func parseOSSTime(b []byte) (time.Time, error) {
	s := strings.Trim(string(b), "[]")
	if t, err := time.Parse(ossTimeLayout, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(ossTimeLayoutUTC, s); err == nil {
		return t, nil
	}
	if t, err := parseTimeText([]byte(s)); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("time %q: want 02/Jan/2006:15:04:05 -0700 or a Unix time", truncate(s, 40))
}

// "-" means "no value" in every OSS and SLS field.
func dash(v []byte) []byte {
	if len(v) == 1 && v[0] == '-' {
		return nil
	}
	return v
}

// flatObject calls fn for each member of a flat JSON object with the text of
// its value: strings decoded, numbers and booleans as written, nested
// values as compact JSON text, null and "-" as nil. The slices are only
// valid during the call.
func flatObject(raw []byte, fn func(k, v []byte) error) error {
	s := scanner{b: raw}
	if c := s.peek(); c != '{' {
		if c == 0 {
			return fmt.Errorf("empty record, want a JSON object")
		}
		return fmt.Errorf("record is a JSON %s, want an object", valueKind(c))
	}
	if err := s.enter('{'); err != nil {
		return err
	}
	for first := true; ; first = false {
		ok, err := s.more('}', first)
		if err != nil {
			return err
		}
		if !ok {
			return s.end()
		}
		k, err := s.key()
		if err != nil {
			return err
		}
		var v []byte
		switch c := s.peek(); {
		case c == '"':
			raw, plain, err := s.rawString()
			if err != nil {
				return err
			}
			v = raw
			if !plain {
				v = []byte(decodeString(raw, false))
			}
		case c == '{' || c == '[':
			start := s.i
			if err := s.skip(); err != nil {
				return err
			}
			v = []byte(compactJSON(s.b[start:s.i]))
		case c == 'n':
			if err := s.literal("null"); err != nil {
				return err
			}
		case c == 't':
			v = []byte("true")
			err = s.literal("true")
		case c == 'f':
			v = []byte("false")
			err = s.literal("false")
		default:
			v, err = s.number()
		}
		if err != nil {
			return err
		}
		if err := fn(k, dash(v)); err != nil {
			return err
		}
	}
}
