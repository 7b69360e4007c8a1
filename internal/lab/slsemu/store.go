package slsemu

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// ActionTrailKeys are the "event.*" sub-keys ActionTrail's SLS delivery
// indexes (sls-pushdown.md section 4.1), without the "event." prefix.
var ActionTrailKeys = []string{
	"eventId", "eventName", "eventRW", "eventType", "eventCategory", "eventSource", "eventTime",
	"eventVersion", "acsRegion", "requestId", "apiVersion", "errorCode", "errorMessage", "serviceName",
	"sourceIpAddress", "userAgent", "vpcId", "requestParameters", "requestParameterJson",
	"responseElements", "referencedResources", "resourceName", "resourceType", "isGlobal",
	"additionalEventData", "recipientAccountId",
	"userIdentity.accessKeyId", "userIdentity.accountId", "userIdentity.principalId",
	"userIdentity.type", "userIdentity.userName",
}

// Default topic of an ActionTrail delivery.
const DefaultTopic = "actiontrail_audit_event"

// LogstoreSpec describes one logstore to create.
type LogstoreSpec struct {
	Project, Name string
	// Keys are the indexed sub-keys of the JSON field "event" (without the
	// prefix); nil = ActionTrailKeys.
	Keys []string
	// TTLDays is reported by GetLogStore; 0 = 180.
	TTLDays int
}

// Row is one log of a logstore: the event JSON text and its time.
type Row struct {
	Time   int64 // __time__, unix seconds
	Topic  string
	Source string
	Event  []byte // the ActionTrail event as JSON
}

type logstore struct {
	project, name string
	table         string
	keys          []string        // indexed sub-keys, "event." prefix included
	keySet        map[string]bool // lower-cased full key names, for search
	ttl           int
	rows          int64
}

var identRe = regexp.MustCompile(`[^a-z0-9_]`)

// store holds the DuckDB database and the logstores.
type store struct {
	mu  sync.RWMutex
	db  *sql.DB
	con *duckdb.Connector
	ls  map[string]*logstore // project/name
}

func openStore() (*store, error) {
	con, err := duckdb.NewConnector("", nil)
	if err != nil {
		return nil, fmt.Errorf("slsemu: open duckdb: %w", err)
	}
	db := sql.OpenDB(con)
	// SLS functions DuckDB lacks, as macros (sls-pushdown.md section 6.1).
	// approx_distinct is computed exactly here; ip_to_domain follows the
	// private, shared and loopback ranges.
	for _, m := range []string{
		`CREATE MACRO approx_distinct(x) AS count(DISTINCT x)`,
		`CREATE MACRO ip_to_domain(x) AS CASE WHEN x IS NULL THEN NULL WHEN regexp_matches(x, '^(10\.|192\.168\.|127\.|172\.(1[6-9]|2[0-9]|3[01])\.|100\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\.)') THEN 'intranet' ELSE 'internet' END`,
		`CREATE MACRO json_extract_scalar(j, p) AS json_extract_string(j, p)`,
		`CREATE MACRO sls_match(v, pat) AS v IS NOT NULL AND regexp_matches(lower(v), pat)`,
	} {
		if _, err := db.Exec(m); err != nil {
			db.Close()
			return nil, fmt.Errorf("slsemu: define %q: %w", m, err)
		}
	}
	return &store{db: db, con: con, ls: map[string]*logstore{}}, nil
}

func (s *store) close() error { return s.db.Close() }

func (s *store) create(spec LogstoreSpec) error {
	if spec.Project == "" || spec.Name == "" {
		return fmt.Errorf("slsemu: logstore needs a project and a name (got %q/%q)", spec.Project, spec.Name)
	}
	keys := spec.Keys
	if keys == nil {
		keys = ActionTrailKeys
	}
	ls := &logstore{project: spec.Project, name: spec.Name, ttl: spec.TTLDays, keySet: map[string]bool{"__topic__": true, "__source__": true}}
	if ls.ttl == 0 {
		ls.ttl = 180
	}
	ls.table = "t_" + identRe.ReplaceAllString(strings.ToLower(spec.Project+"_"+spec.Name), "_")
	cols := []string{`"__time__" BIGINT`, `"__topic__" VARCHAR`, `"__source__" VARCHAR`, `"event" VARCHAR`}
	for _, k := range keys {
		full := "event." + k
		ls.keys = append(ls.keys, full)
		ls.keySet[strings.ToLower(full)] = true
		cols = append(cols, strconv.Quote(full)+" VARCHAR")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.ls[spec.Project+"/"+spec.Name]; dup {
		return fmt.Errorf("slsemu: logstore %s/%s already exists", spec.Project, spec.Name)
	}
	if _, err := s.db.Exec("CREATE TABLE " + ls.table + " (" + strings.Join(cols, ", ") + ")"); err != nil {
		return fmt.Errorf("slsemu: create logstore %s/%s: %w", spec.Project, spec.Name, err)
	}
	s.ls[spec.Project+"/"+spec.Name] = ls
	return nil
}

func (s *store) get(project, name string) *logstore {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.ls[project+"/"+name]
}

func (s *store) list(project string) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []string
	for _, ls := range s.ls {
		if ls.project == project {
			out = append(out, ls.name)
		}
	}
	slices.Sort(out)
	return out
}

// flatten returns the value of each indexed key of an event: scalars as
// their text, objects and arrays as compact JSON, nil when absent.
func flatten(ev map[string]any, keys []string) []driver.Value {
	out := make([]driver.Value, len(keys))
	for i, full := range keys {
		path := strings.Split(strings.TrimPrefix(full, "event."), ".")
		var cur any = ev
		for _, p := range path {
			m, ok := cur.(map[string]any)
			if !ok {
				cur = nil
				break
			}
			cur = m[p]
		}
		switch v := cur.(type) {
		case nil:
		case string:
			out[i] = v
		case bool:
			out[i] = strconv.FormatBool(v)
		case json.Number:
			out[i] = v.String()
		default:
			b, _ := json.Marshal(v)
			out[i] = string(b)
		}
	}
	return out
}

// appendRows loads rows into a logstore through DuckDB's appender.
func (s *store) appendRows(ctx context.Context, project, name string, rows []Row) error {
	ls := s.get(project, name)
	if ls == nil {
		return fmt.Errorf("slsemu: append: no logstore %s/%s", project, name)
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		app, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", ls.table)
		if err != nil {
			return fmt.Errorf("slsemu: appender for %s/%s: %w", project, name, err)
		}
		for i, r := range rows {
			var ev map[string]any
			dec := json.NewDecoder(strings.NewReader(string(r.Event)))
			dec.UseNumber()
			if err := dec.Decode(&ev); err != nil {
				app.Close()
				return fmt.Errorf("slsemu: append to %s/%s: row %d: event is not a JSON object: %w", project, name, i, err)
			}
			topic := r.Topic
			if topic == "" {
				topic = DefaultTopic
			}
			vals := append([]driver.Value{r.Time, topic, r.Source, string(r.Event)}, flatten(ev, ls.keys)...)
			if err := app.AppendRow(vals...); err != nil {
				app.Close()
				return fmt.Errorf("slsemu: append to %s/%s: row %d: %w", project, name, i, err)
			}
		}
		if err := app.Close(); err != nil {
			return fmt.Errorf("slsemu: append to %s/%s: %w", project, name, err)
		}
		s.mu.Lock()
		ls.rows += int64(len(rows))
		s.mu.Unlock()
		return nil
	})
}
