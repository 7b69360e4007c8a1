package slsemu

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"strings"
)

// Alert rules (CreateAlert, POST /jobs; GetAlert, GET /jobs/<name>): the
// emulator keeps each project's rules as the JSON it was given, after
// checking what a wrong rule would get wrong: name, type Alert,
// configuration version 2.0, a FixedRate schedule, at least one severity
// configuration, and a query list whose queries name an existing logstore
// of the project and run (each query is executed once over its relative
// window, so a rule whose query SLS would refuse is refused here too). The
// emulator does not evaluate the rules on a schedule. Codes JobAlreadyExist
// and JobNotExist are assumed (the CreateAlert reference does not list its
// errors).

var alertNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{2,62}[a-z0-9]$`)

var relativeRe = regexp.MustCompile(`^-(\d+)([smhd])$`)

type alertDef struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	DisplayName string `json:"displayName"`
	Schedule    *struct {
		Type     string `json:"type"`
		Interval string `json:"interval"`
	} `json:"schedule"`
	Configuration *struct {
		Version   string `json:"version"`
		QueryList []struct {
			StoreType    string `json:"storeType"`
			Project      string `json:"project"`
			Store        string `json:"store"`
			Query        string `json:"query"`
			TimeSpanType string `json:"timeSpanType"`
			Start        string `json:"start"`
			End          string `json:"end"`
		} `json:"queryList"`
		SeverityConfigurations []struct {
			Severity      int `json:"severity"`
			EvalCondition struct {
				Condition string `json:"condition"`
			} `json:"evalCondition"`
		} `json:"severityConfigurations"`
	} `json:"configuration"`
}

// serveJobs answers /jobs requests of project.
func (s *Server) serveJobs(w http.ResponseWriter, r *http.Request, project string, parts []string, body []byte) {
	switch {
	case r.Method == http.MethodPost && len(parts) == 1:
		if err := s.createAlert(r.Context(), project, body); err != nil {
			s.fail(w, err)
			return
		}
		w.WriteHeader(http.StatusOK)
	case r.Method == http.MethodGet && len(parts) == 2:
		s.mu.Lock()
		def, ok := s.alerts[project+"/"+parts[1]]
		s.mu.Unlock()
		if !ok {
			s.fail(w, &apiError{404, "JobNotExist", fmt.Sprintf("job %s does not exist", parts[1])})
			return
		}
		var v any
		_ = json.Unmarshal(def, &v)
		s.reply(w, r, v)
	default:
		s.fail(w, &apiError{400, "InvalidParameter", fmt.Sprintf("the lab SLS endpoint does not implement %s %s", r.Method, r.URL.Path)})
	}
}

func (s *Server) createAlert(ctx context.Context, project string, body []byte) error {
	var d alertDef
	if err := json.Unmarshal(body, &d); err != nil {
		return &apiError{400, "ParameterInvalid", "the alert body is not JSON: " + err.Error()}
	}
	bad := func(format string, args ...any) error {
		return &apiError{400, "ParameterInvalid", fmt.Sprintf(format, args...)}
	}
	switch {
	case !alertNameRe.MatchString(d.Name):
		return bad("alert name %q: want 4-64 lower-case letters, digits, _ and -", d.Name)
	case d.Type != "Alert":
		return bad("job type %q: want Alert", d.Type)
	case d.DisplayName == "":
		return bad("displayName is required")
	case d.Schedule == nil || d.Schedule.Type != "FixedRate" || !strings.HasSuffix(d.Schedule.Interval, "m"):
		return bad("the lab accepts only a FixedRate schedule with an interval in minutes")
	case d.Configuration == nil || d.Configuration.Version != "2.0":
		return bad("configuration version: want 2.0")
	case len(d.Configuration.QueryList) == 0:
		return bad("queryList is empty")
	case len(d.Configuration.SeverityConfigurations) == 0:
		return bad("severityConfigurations is empty")
	}
	for _, sc := range d.Configuration.SeverityConfigurations {
		if sc.Severity < 2 || sc.Severity > 10 || sc.EvalCondition.Condition == "" {
			return bad("severity configuration %d %q: want a severity 2-10 and a condition", sc.Severity, sc.EvalCondition.Condition)
		}
	}
	for i, q := range d.Configuration.QueryList {
		if q.StoreType != "log" || q.Project != project || q.TimeSpanType != "Relative" || q.End != "now" {
			return bad("query %d: the lab accepts log queries of this project over a Relative window ending now", i)
		}
		m := relativeRe.FindStringSubmatch(q.Start)
		if m == nil {
			return bad("query %d: start %q: want -<n>[smhd]", i, q.Start)
		}
		ls := s.st.get(project, q.Store)
		if ls == nil {
			return &apiError{404, "LogStoreNotExist", fmt.Sprintf("logstore %s does not exist", q.Store)}
		}
		var n int64
		fmt.Sscan(m[1], &n)
		unit := map[string]int64{"s": 1, "m": 60, "h": 3600, "d": 86400}[m[2]]
		now := s.opts.Clock().Unix()
		if _, err := s.run(ctx, ls, getLogsRequest{From: now - n*unit, To: now + 1, Query: q.Query}, Faults{}); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.alerts == nil {
		s.alerts = map[string]json.RawMessage{}
	}
	key := project + "/" + d.Name
	if _, dup := s.alerts[key]; dup {
		return &apiError{400, "JobAlreadyExist", fmt.Sprintf("job %s already exists", d.Name)}
	}
	s.alerts[key] = append(json.RawMessage(nil), body...)
	return nil
}

// Alerts returns the alert rules created in project, by name, as the
// JSON they were created with.
func (s *Server) Alerts(project string) map[string]json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]json.RawMessage{}
	for k, v := range maps.All(s.alerts) {
		if p, name, _ := strings.Cut(k, "/"); p == project {
			out[name] = v
		}
	}
	return out
}
