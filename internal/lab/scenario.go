package lab

// Scenario files seed a World: the account, its identities and policies, and
// the ActionTrail history (explicit events plus generated traffic). The
// format is documented in docs/scenario.md. Every time in a scenario is
// relative to the lab clock, so a scenario stays valid on any day, and
// generation is deterministic: two builds at the same instant give identical
// worlds.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/akresp/akresp/internal/lazyre"
	"hash/fnv"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // scenarios name IANA zones; do not depend on the host's zoneinfo
)

// Scenario is a parsed, statically validated scenario file. Build turns it
// into a World at a given instant.
type Scenario struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Seed drives every random choice; 0 means "derived from Name".
	Seed uint64 `json:"seed,omitempty"`
	// Region is the default acsRegion of events (default cn-hangzhou).
	Region string `json:"region,omitempty"`
	// Timezone is the zone of "@HH:MM" clock times and the default zone of
	// schedules (default UTC).
	Timezone string          `json:"timezone,omitempty"`
	Account  ScenarioAccount `json:"account"`
	// Anchors name instants that other times may be relative to, e.g.
	// {"leak": "-2d@02:40"} then "leak+5m".
	Anchors map[string]string `json:"anchors,omitempty"`
	// Notes are facts handed to tests and drills verbatim; TimeNotes are time
	// expressions, resolved to RFC 3339 UTC and merged into the notes.
	Notes     map[string]string `json:"notes,omitempty"`
	TimeNotes map[string]string `json:"time_notes,omitempty"`

	Users                []ScenarioUser         `json:"users,omitempty"`
	AccessKeys           []ScenarioAccessKey    `json:"access_keys,omitempty"`
	Policies             []ScenarioPolicy       `json:"policies,omitempty"`
	Attachments          []ScenarioAttachment   `json:"attachments,omitempty"`
	Groups               []ScenarioGroup        `json:"groups,omitempty"`
	Roles                []ScenarioRole         `json:"roles,omitempty"`
	LoginProfiles        []ScenarioLoginProfile `json:"login_profiles,omitempty"`
	MFADevices           []ScenarioMFADevice    `json:"mfa_devices,omitempty"`
	AccountNetworkPolicy *ScenarioNetworkPolicy `json:"account_network_policy,omitempty"`
	Events               []ScenarioEvent        `json:"events,omitempty"`
	Traffic              []ScenarioTraffic      `json:"traffic,omitempty"`
	// Leaks are Security Center AccessKey leak records (sas.go).
	Leaks []ScenarioLeak `json:"leaks,omitempty"`
	// ECSInstances and SecurityGroups exist at the start (scenario_ecs.go).
	ECSInstances   []ScenarioInstance      `json:"ecs_instances,omitempty"`
	SecurityGroups []ScenarioSecurityGroup `json:"security_groups,omitempty"`
	// KeyPairs and Commands (SSH key pairs, Cloud Assistant commands)
	// exist at the start (scenario_ecs.go).
	KeyPairs []ScenarioKeyPair `json:"key_pairs,omitempty"`
	Commands []ScenarioCommand `json:"commands,omitempty"`
	// Trails replace the default trail; Insights lists the Insights types
	// enabled at the start (trails.go).
	Trails   []ScenarioTrail `json:"trails,omitempty"`
	Insights []string        `json:"insights,omitempty"`
}

// ScenarioAccount is the emulated account.
type ScenarioAccount struct {
	ID    string `json:"id"`
	Alias string `json:"alias,omitempty"`
}

// ScenarioUser is a RAM user.
type ScenarioUser struct {
	Name        string `json:"name"`
	ID          string `json:"id,omitempty"` // default: generated from the seed
	DisplayName string `json:"display_name,omitempty"`
	Email       string `json:"email,omitempty"`
	MobilePhone string `json:"mobile_phone,omitempty"`
	Comments    string `json:"comments,omitempty"`
	Created     string `json:"created,omitempty"` // default -365d
	LastLogin   string `json:"last_login,omitempty"`
}

// ScenarioAccessKey is a permanent AccessKey pair of a user or of root.
type ScenarioAccessKey struct {
	ID            string                 `json:"id"`
	Secret        string                 `json:"secret"`
	Owner         string                 `json:"owner"`            // user name or "root"
	Status        string                 `json:"status,omitempty"` // Active (default) | Inactive
	Created       string                 `json:"created,omitempty"`
	NetworkPolicy *ScenarioNetworkPolicy `json:"network_policy,omitempty"`
}

// MarshalJSON never writes the secret.
func (k ScenarioAccessKey) MarshalJSON() ([]byte, error) {
	type plain ScenarioAccessKey
	p := plain(k)
	p.Secret = ""
	return json.Marshal(struct {
		plain
		Secret string `json:"secret,omitempty"`
	}{plain: p})
}

// ScenarioNetworkPolicy is an AccessKey network access policy (IMS
// SetAccessKeyPolicy / SetAccessKeyPolicyForAccount).
type ScenarioNetworkPolicy struct {
	Status     string                     `json:"status,omitempty"` // Active (default) | Inactive
	Statements []ScenarioNetworkStatement `json:"statements"`
}

// ScenarioNetworkStatement is one statement of a network policy.
type ScenarioNetworkStatement struct {
	Type   string   `json:"type"`            // ClassicWhiteList | VPCWhiteList
	Value  string   `json:"value,omitempty"` // VPC id for VPCWhiteList
	IPList []string `json:"ip_list"`
}

// ScenarioPolicy is a custom RAM policy: either one Document (v1) or up to
// five Versions.
type ScenarioPolicy struct {
	Name        string                  `json:"name"`
	Description string                  `json:"description,omitempty"`
	Created     string                  `json:"created,omitempty"`
	Document    PolicyText              `json:"document,omitempty"`
	Versions    []ScenarioPolicyVersion `json:"versions,omitempty"`
}

// ScenarioPolicyVersion is one version of a custom policy. When no version
// says "default", the last one is the default.
type ScenarioPolicyVersion struct {
	Document PolicyText `json:"document"`
	Created  string     `json:"created,omitempty"`
	Default  bool       `json:"default,omitempty"`
}

// PolicyText is a policy document written either as a JSON object or as a
// JSON string holding the document; it holds the document text.
type PolicyText string

// UnmarshalJSON accepts an object (kept as compact JSON) or a string.
func (p *PolicyText) UnmarshalJSON(b []byte) error {
	switch peJSONKind(b) {
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*p = PolicyText(s)
	case '{':
		var buf bytes.Buffer
		if err := json.Compact(&buf, b); err != nil {
			return err
		}
		*p = PolicyText(buf.String())
	case 'n':
		*p = ""
	default:
		return fmt.Errorf("policy document must be a JSON object or a string")
	}
	return nil
}

// MarshalJSON writes a valid JSON document as an object, anything else as a
// string.
func (p PolicyText) MarshalJSON() ([]byte, error) {
	if json.Valid([]byte(p)) && peJSONKind([]byte(p)) == '{' {
		return []byte(p), nil
	}
	return json.Marshal(string(p))
}

// ScenarioAttachment attaches a policy to exactly one of a user, group or
// role.
type ScenarioAttachment struct {
	Policy     string `json:"policy"`
	PolicyType string `json:"policy_type,omitempty"` // System | Custom; default: Custom if the scenario defines it, else System
	User       string `json:"user,omitempty"`
	Group      string `json:"group,omitempty"`
	Role       string `json:"role,omitempty"`
	Attached   string `json:"attached,omitempty"` // default: when both sides exist
}

// ScenarioGroup is a RAM group and its members (user names).
type ScenarioGroup struct {
	Name     string   `json:"name"`
	ID       string   `json:"id,omitempty"`
	Comments string   `json:"comments,omitempty"`
	Created  string   `json:"created,omitempty"`
	Members  []string `json:"members,omitempty"`
}

// ScenarioRole is a RAM role.
type ScenarioRole struct {
	Name               string     `json:"name"`
	ID                 string     `json:"id,omitempty"`
	Description        string     `json:"description,omitempty"`
	TrustPolicy        PolicyText `json:"trust_policy,omitempty"` // default: trust the account's root
	MaxSessionDuration int64      `json:"max_session_duration,omitempty"`
	Created            string     `json:"created,omitempty"`
}

// ScenarioLoginProfile is a user's console login.
type ScenarioLoginProfile struct {
	User                  string `json:"user"`
	Status                string `json:"status,omitempty"` // Active (default) | Inactive
	PasswordResetRequired bool   `json:"password_reset_required,omitempty"`
	MFABindRequired       bool   `json:"mfa_bind_required,omitempty"`
	Created               string `json:"created,omitempty"`
	LastLogin             string `json:"last_login,omitempty"`
}

// ScenarioMFADevice is a user's bound MFA device.
type ScenarioMFADevice struct {
	User         string `json:"user"`
	SerialNumber string `json:"serial_number,omitempty"` // default acs:ram::<acct>:mfa/<user>
	Type         string `json:"type,omitempty"`          // VMFA (default) | U2F
	Bound        string `json:"bound,omitempty"`
}

// ScenarioEvent is one explicit past event.
type ScenarioEvent struct {
	Time         string         `json:"time"`
	AccessKey    string         `json:"access_key,omitempty"` // the calling key, or
	User         string         `json:"user,omitempty"`       // a user (or "root") without a key, e.g. console events
	SourceIP     string         `json:"source_ip"`
	UserAgent    string         `json:"user_agent,omitempty"`
	EventType    string         `json:"event_type,omitempty"` // ApiCall (default) | ConsoleSignin | ConsoleOperation | AliyunServiceEvent
	Version      string         `json:"version"`
	Action       string         `json:"action"`
	Region       string         `json:"region,omitempty"`
	Params       ParamMap       `json:"params,omitempty"`
	Response     map[string]any `json:"response,omitempty"`
	ErrorCode    string         `json:"error_code,omitempty"`
	ErrorMessage string         `json:"error_message,omitempty"`
}

// ParamMap holds wire parameters; JSON numbers and booleans are accepted and
// kept as their text.
type ParamMap map[string]string

// UnmarshalJSON accepts an object of strings, numbers and booleans.
func (m *ParamMap) UnmarshalJSON(b []byte) error {
	if peJSONKind(b) == 'n' {
		*m = nil
		return nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("params must be an object")
	}
	out := make(ParamMap, len(raw))
	for k, v := range raw {
		vals, err := peScalarList(v)
		if err != nil || peJSONKind(v) == '[' {
			return fmt.Errorf("params.%s: must be a string, number or boolean", k)
		}
		out[k] = vals[0]
	}
	*m = out
	return nil
}

// ScenarioTraffic generates events for one key: either on a Schedule (calls
// drawn by weight on active days and hours) or as a Burst (the calls in
// order, evenly spaced).
type ScenarioTraffic struct {
	Name      string            `json:"name,omitempty"`
	AccessKey string            `json:"access_key"`
	SourceIPs []string          `json:"source_ips"`
	UserAgent string            `json:"user_agent,omitempty"`
	Region    string            `json:"region,omitempty"`
	Calls     []ScenarioCall    `json:"calls"`
	Schedule  *ScenarioSchedule `json:"schedule,omitempty"`
	Burst     *ScenarioBurst    `json:"burst,omitempty"`
}

// ScenarioCall is one API call a traffic pattern makes.
type ScenarioCall struct {
	Version      string         `json:"version"`
	Action       string         `json:"action"`
	Region       string         `json:"region,omitempty"`
	Regions      []string       `json:"regions,omitempty"` // schedule: one drawn per call; burst: one call per region, in order
	Params       ParamMap       `json:"params,omitempty"`
	Response     map[string]any `json:"response,omitempty"`
	ErrorCode    string         `json:"error_code,omitempty"`
	ErrorMessage string         `json:"error_message,omitempty"`
	Weight       *float64       `json:"weight,omitempty"` // schedule only; default 1
	Repeat       int            `json:"repeat,omitempty"` // burst only; default 1
	UserAgent    string         `json:"user_agent,omitempty"`
	SourceIP     string         `json:"source_ip,omitempty"`
}

// ScenarioSchedule spreads calls over active days and hours.
type ScenarioSchedule struct {
	From           string        `json:"from"`
	To             string        `json:"to,omitempty"`   // default now
	Zone           string        `json:"zone,omitempty"` // default: the scenario timezone
	Days           []string      `json:"days,omitempty"` // Mon..Sun, weekdays, weekends, all (default all)
	Hours          string        `json:"hours,omitempty"`
	CallsPerDay    ScenarioRange `json:"calls_per_day"`
	DayProbability *float64      `json:"day_probability,omitempty"` // chance a matching day is active; default 1
}

// ScenarioRange is an inclusive integer range.
type ScenarioRange struct {
	Min int `json:"min"`
	Max int `json:"max"`
}

// ScenarioBurst places the calls in order from Start, Spacing apart.
type ScenarioBurst struct {
	Start   string `json:"start"`
	Spacing string `json:"spacing,omitempty"` // default 10s
}

// Credential is an AccessKey pair a scenario hands to its users.
type Credential struct {
	AccessKeyID     string `json:"access_key_id"`
	AccessKeySecret string `json:"access_key_secret"`
}

// ScenarioInfo is what a built scenario tells its user.
type ScenarioInfo struct {
	Name        string
	Region      string // default cn-hangzhou
	AccountID   string
	Credentials map[string]Credential // principal name -> first active key of each user and of root
	Notes       map[string]string     // scenario-declared facts; time notes resolved to RFC 3339 UTC
}

// ScenarioError lists every problem found in a scenario, each prefixed with
// the JSON path of the offending value.
type ScenarioError struct {
	Problems []string
}

func (e *ScenarioError) Error() string {
	switch len(e.Problems) {
	case 0:
		return "invalid scenario"
	case 1:
		return "invalid scenario: " + e.Problems[0]
	}
	const show = 20
	ps := e.Problems
	more := ""
	if len(ps) > show {
		more = fmt.Sprintf("; and %d more", len(ps)-show)
		ps = ps[:show]
	}
	return fmt.Sprintf("invalid scenario: %d problems: %s%s", len(e.Problems), strings.Join(ps, "; "), more)
}

type scProblems struct{ list []string }

func (p *scProblems) add(path, format string, args ...any) {
	p.list = append(p.list, path+": "+fmt.Sprintf(format, args...))
}

func (p *scProblems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return &ScenarioError{Problems: p.list}
}

// Limits that keep a scenario (and a fuzzed one) cheap to build.
const (
	scMaxEvents      = 100_000
	scMaxSpanDays    = 1000
	scMaxCallsPerDay = 5000
	scMaxRepeat      = 1000
	scMaxIPEntries   = 50
)

// Default user agent of generated events: the official Go SDK.
const scDefaultUserAgent = "AlibabaCloud (linux; amd64) Golang/1.22 Core/0.01 TeaDSL/2"

// ParseScenario parses and statically validates a scenario. Unknown fields
// are errors; every problem is reported with its JSON path.
func ParseScenario(data []byte) (*Scenario, error) {
	var generic any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&generic); err != nil {
		return nil, scSyntaxError(data, err)
	}
	if len(bytes.TrimSpace(data[dec.InputOffset():])) != 0 {
		line, col := scLineCol(data, dec.InputOffset())
		return nil, &ScenarioError{Problems: []string{fmt.Sprintf("line %d column %d: unexpected data after the scenario object", line, col)}}
	}
	var probs scProblems
	scCheckShape("", generic, reflect.TypeOf(Scenario{}), &probs)
	if err := probs.err(); err != nil {
		return nil, err
	}
	var s Scenario
	dec = json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, &ScenarioError{Problems: []string{"decode: " + err.Error()}}
	}
	if _, err := s.validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

func scSyntaxError(data []byte, err error) error {
	var off int64 = -1
	switch e := err.(type) {
	case *json.SyntaxError:
		off = max(e.Offset-1, 0) // Offset is just past the offending byte
	case *json.UnmarshalTypeError:
		off = e.Offset
	}
	if off >= 0 {
		line, col := scLineCol(data, off)
		return &ScenarioError{Problems: []string{fmt.Sprintf("line %d column %d: %v", line, col, err)}}
	}
	return &ScenarioError{Problems: []string{"not JSON: " + err.Error()}}
}

func scLineCol(data []byte, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line, col := 1, 1
	for _, c := range data[:off] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

var (
	scTypePolicyText = reflect.TypeOf(PolicyText(""))
	scTypeParamMap   = reflect.TypeOf(ParamMap(nil))
	scTypeAny        = reflect.TypeOf((*any)(nil)).Elem()
)

// scCheckShape walks the generic JSON value v against Go type t and reports
// unknown fields and wrong kinds with their paths, which encoding/json alone
// reports without indexes.
func scCheckShape(path string, v any, t reflect.Type, probs *scProblems) {
	if v == nil {
		return // null leaves the zero value
	}
	at := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	where := path
	if where == "" {
		where = "(top level)"
	}
	switch t {
	case scTypePolicyText:
		switch v.(type) {
		case string, map[string]any:
		default:
			probs.add(where, "must be a policy document (a JSON object or a string)")
		}
		return
	case scTypeParamMap:
		m, ok := v.(map[string]any)
		if !ok {
			probs.add(where, "must be an object of parameters")
			return
		}
		for _, k := range scSortedKeys(m) {
			switch m[k].(type) {
			case string, json.Number, bool:
			default:
				probs.add(at(k), "must be a string, number or boolean")
			}
		}
		return
	case scTypeAny:
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		scCheckShape(path, v, t.Elem(), probs)
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			probs.add(where, "must be an object")
			return
		}
		fields := map[string]reflect.Type{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fields[name] = f.Type
		}
		for _, k := range scSortedKeys(m) {
			ft, ok := fields[k]
			if !ok {
				probs.add(at(k), "unknown field")
				continue
			}
			scCheckShape(at(k), m[k], ft, probs)
		}
	case reflect.Slice:
		l, ok := v.([]any)
		if !ok {
			probs.add(where, "must be an array")
			return
		}
		for i, e := range l {
			scCheckShape(fmt.Sprintf("%s[%d]", path, i), e, t.Elem(), probs)
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			probs.add(where, "must be an object")
			return
		}
		for _, k := range scSortedKeys(m) {
			scCheckShape(at(k), m[k], t.Elem(), probs)
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			probs.add(where, "must be a string")
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			probs.add(where, "must be true or false")
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		n, ok := v.(json.Number)
		if !ok {
			probs.add(where, "must be a number")
		} else if _, err := strconv.ParseInt(n.String(), 10, 64); err != nil {
			probs.add(where, "must be an integer, got %s", n)
		}
	case reflect.Uint64, reflect.Uint, reflect.Uint32:
		n, ok := v.(json.Number)
		if !ok {
			probs.add(where, "must be a number")
		} else if _, err := strconv.ParseUint(n.String(), 10, 64); err != nil {
			probs.add(where, "must be a non-negative integer, got %s", n)
		}
	case reflect.Float64, reflect.Float32:
		n, ok := v.(json.Number)
		if !ok {
			probs.add(where, "must be a number")
		} else if _, err := n.Float64(); err != nil {
			probs.add(where, "must be a number, got %s", n)
		}
	}
}

func scSortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ---------------------------------------------------------------------------
// Static validation.

var (
	scReAccountID   = lazyre.New(`^[0-9]{16}$`)
	scReAlias       = lazyre.New(`^[a-z0-9](?:[a-z0-9-]{1,30})[a-z0-9]$`)
	scReRegion      = lazyre.New(`^[a-z]{2,4}(?:-[a-z0-9]+)+$`)
	scReUserName    = lazyre.New(`^[A-Za-z0-9._-]{1,64}$`)
	scReRoleName    = lazyre.New(`^[A-Za-z0-9.-]{1,64}$`)
	scRePolicyName  = lazyre.New(`^[A-Za-z0-9-]{1,128}$`)
	scReNumericID   = lazyre.New(`^[0-9]{16,19}$`)
	scReKeyIDLTAI   = lazyre.New(`^LTAI[A-Za-z0-9]{20}$`)
	scReKeyIDLegacy = lazyre.New(`^[A-Za-z0-9]{16,24}$`)
	scReSecret      = lazyre.New(`^[A-Za-z0-9]{30}$`)
	scReAction      = lazyre.New(`^[A-Z][A-Za-z0-9]{1,127}$`)
	scReAnchor      = lazyre.New(`^[a-z_][a-z0-9_]*$`)
	scReVPC         = lazyre.New(`^(?:vpc-[a-z0-9]{1,64}|AllowAllVPC)$`)
)

// ValidAccessKeyID reports whether id has the shape of a permanent AccessKey
// ID: LTAI plus 20 alphanumerics, or a legacy 16-24 alphanumerics.
func ValidAccessKeyID(id string) bool {
	return scReKeyIDLTAI.MatchString(id) || scReKeyIDLegacy.MatchString(id)
}

var scEventTypes = map[string]bool{"ApiCall": true, "ConsoleSignin": true, "ConsoleOperation": true, "AliyunServiceEvent": true}

// scSecretKeys may never appear in a recorded event.
var scSecretKeys = map[string]bool{"accesskeysecret": true, "securitytoken": true, "password": true, "newpassword": true, "oldpassword": true, "signature": true}

// scZones are the time zones a valid scenario names, loaded.
type scZones struct {
	scenario  *time.Location
	schedules map[int]*time.Location // by traffic index
}

// validate checks everything that does not depend on the build instant. It
// does not modify s, so one parsed scenario can be built concurrently.
func (s *Scenario) validate() (*scZones, error) {
	var p scProblems
	zones := &scZones{scenario: time.UTC, schedules: map[int]*time.Location{}}
	if strings.TrimSpace(s.Name) == "" {
		p.add("name", "empty")
	}
	if !scReAccountID.MatchString(s.Account.ID) {
		p.add("account.id", "%q is not a 16-digit account id", s.Account.ID)
	}
	if s.Account.Alias != "" && !scReAlias.MatchString(s.Account.Alias) {
		p.add("account.alias", "%q is not 3-32 lower-case letters, digits and hyphens", s.Account.Alias)
	}
	if s.Region != "" && !scReRegion.MatchString(s.Region) {
		p.add("region", "%q is not a region id", s.Region)
	}
	if s.Timezone != "" {
		loc, err := time.LoadLocation(s.Timezone)
		if err != nil {
			p.add("timezone", "unknown zone %q", s.Timezone)
		} else {
			zones.scenario = loc
		}
	}
	for _, name := range scSortedKeys(s.Anchors) {
		path := "anchors." + name
		if !scReAnchor.MatchString(name) || name == "now" {
			p.add(path, "anchor names are lower-case identifiers other than \"now\"")
			continue
		}
		t, err := scParseTime(s.Anchors[name])
		if err != nil {
			p.add(path, "%v", err)
		} else if t.anchor != "" {
			p.add(path, "an anchor is relative to now, not to another anchor")
		}
	}
	checkTime := func(path, expr string, required bool) {
		if expr == "" {
			if required {
				p.add(path, "empty")
			}
			return
		}
		t, err := scParseTime(expr)
		if err != nil {
			p.add(path, "%v", err)
			return
		}
		if t.anchor != "" {
			if _, ok := s.Anchors[t.anchor]; !ok {
				p.add(path, "unknown anchor %q", t.anchor)
			}
		}
	}
	for _, k := range scSortedKeys(s.Notes) {
		if strings.TrimSpace(k) == "" {
			p.add("notes", "empty key")
		}
	}
	for _, k := range scSortedKeys(s.TimeNotes) {
		if _, dup := s.Notes[k]; dup {
			p.add("time_notes."+k, "also set in notes")
		}
		checkTime("time_notes."+k, s.TimeNotes[k], true)
	}

	users := map[string]bool{}
	for i, u := range s.Users {
		path := fmt.Sprintf("users[%d]", i)
		switch {
		case u.Name == "":
			p.add(path+".name", "empty")
		case u.Name == "root":
			p.add(path+".name", `"root" names the account itself`)
		case !scReUserName.MatchString(u.Name):
			p.add(path+".name", "%q is not 1-64 letters, digits, '.', '_' or '-'", u.Name)
		case users[u.Name]:
			p.add(path+".name", "duplicate user %q", u.Name)
		}
		users[u.Name] = true
		if u.ID != "" && !scReNumericID.MatchString(u.ID) {
			p.add(path+".id", "%q is not 16-19 digits", u.ID)
		}
		if len(u.DisplayName) > 128 {
			p.add(path+".display_name", "longer than 128 characters")
		}
		checkTime(path+".created", u.Created, false)
		checkTime(path+".last_login", u.LastLogin, false)
	}

	keys := map[string]bool{}
	perOwner := map[string]int{}
	for i, k := range s.AccessKeys {
		path := fmt.Sprintf("access_keys[%d]", i)
		switch {
		case k.ID == "":
			p.add(path+".id", "empty")
		case !ValidAccessKeyID(k.ID):
			p.add(path+".id", "%q is not LTAI plus 20 letters or digits (or 16-24 letters or digits)", k.ID)
		case keys[k.ID]:
			p.add(path+".id", "duplicate access key %q", k.ID)
		}
		keys[k.ID] = true
		if !scReSecret.MatchString(k.Secret) {
			p.add(path+".secret", "not 30 letters or digits")
		}
		switch {
		case k.Owner == "":
			p.add(path+".owner", "empty")
		case k.Owner != "root" && !users[k.Owner]:
			p.add(path+".owner", "unknown user %q", k.Owner)
		default:
			perOwner[k.Owner]++
			if perOwner[k.Owner] == 3 {
				p.add(path+".owner", "%q would have more than 2 access keys", k.Owner)
			}
		}
		if k.Status != "" && k.Status != "Active" && k.Status != "Inactive" {
			p.add(path+".status", "%q is not Active or Inactive", k.Status)
		}
		checkTime(path+".created", k.Created, false)
		if k.NetworkPolicy != nil {
			scValidateNetworkPolicy(path+".network_policy", k.NetworkPolicy, &p)
		}
	}

	policies := map[string]bool{}
	for i, pol := range s.Policies {
		path := fmt.Sprintf("policies[%d]", i)
		switch {
		case pol.Name == "":
			p.add(path+".name", "empty")
		case !scRePolicyName.MatchString(pol.Name):
			p.add(path+".name", "%q is not 1-128 letters, digits or '-'", pol.Name)
		case policies[pol.Name]:
			p.add(path+".name", "duplicate policy %q", pol.Name)
		default:
			if _, sys := SystemPolicies[pol.Name]; sys {
				p.add(path+".name", "%q is a system policy name", pol.Name)
			}
		}
		policies[pol.Name] = true
		if len(pol.Description) > 1024 {
			p.add(path+".description", "longer than 1024 characters")
		}
		checkTime(path+".created", pol.Created, false)
		switch {
		case pol.Document != "" && len(pol.Versions) > 0:
			p.add(path, "set either document or versions, not both")
		case pol.Document == "" && len(pol.Versions) == 0:
			p.add(path+".document", "empty")
		case pol.Document != "":
			if err := ValidatePolicyDocument(string(pol.Document), DefaultPolicyDocumentMaxLength); err != nil {
				p.add(path+".document", "%v", err)
			}
		case len(pol.Versions) > 5:
			p.add(path+".versions", "%d versions, a policy has at most 5", len(pol.Versions))
		default:
			defaults := 0
			for j, v := range pol.Versions {
				vpath := fmt.Sprintf("%s.versions[%d]", path, j)
				if v.Document == "" {
					p.add(vpath+".document", "empty")
				} else if err := ValidatePolicyDocument(string(v.Document), DefaultPolicyDocumentMaxLength); err != nil {
					p.add(vpath+".document", "%v", err)
				}
				checkTime(vpath+".created", v.Created, false)
				if v.Default {
					defaults++
				}
			}
			if defaults > 1 {
				p.add(path+".versions", "%d versions marked default, at most one may be", defaults)
			}
		}
	}

	groups := map[string]bool{}
	for i, g := range s.Groups {
		path := fmt.Sprintf("groups[%d]", i)
		switch {
		case g.Name == "":
			p.add(path+".name", "empty")
		case !scReUserName.MatchString(g.Name):
			p.add(path+".name", "%q is not 1-64 letters, digits, '.', '_' or '-'", g.Name)
		case groups[g.Name]:
			p.add(path+".name", "duplicate group %q", g.Name)
		}
		groups[g.Name] = true
		if g.ID != "" && !scReNumericID.MatchString(g.ID) {
			p.add(path+".id", "%q is not 16-19 digits", g.ID)
		}
		checkTime(path+".created", g.Created, false)
		seen := map[string]bool{}
		for j, m := range g.Members {
			mpath := fmt.Sprintf("%s.members[%d]", path, j)
			switch {
			case !users[m]:
				p.add(mpath, "unknown user %q", m)
			case seen[m]:
				p.add(mpath, "duplicate member %q", m)
			}
			seen[m] = true
		}
	}

	roles := map[string]bool{}
	for i, r := range s.Roles {
		path := fmt.Sprintf("roles[%d]", i)
		switch {
		case r.Name == "":
			p.add(path+".name", "empty")
		case !scReRoleName.MatchString(r.Name):
			p.add(path+".name", "%q is not 1-64 letters, digits, '.' or '-'", r.Name)
		case roles[strings.ToLower(r.Name)]:
			p.add(path+".name", "duplicate role %q", r.Name)
		}
		roles[strings.ToLower(r.Name)] = true
		if r.ID != "" && !scReNumericID.MatchString(r.ID) {
			p.add(path+".id", "%q is not 16-19 digits", r.ID)
		}
		if r.TrustPolicy != "" {
			if err := ValidatePolicyDocument(string(r.TrustPolicy), DefaultPolicyDocumentMaxLength); err != nil {
				p.add(path+".trust_policy", "%v", err)
			}
		}
		if r.MaxSessionDuration != 0 && (r.MaxSessionDuration < 3600 || r.MaxSessionDuration > 43200) {
			p.add(path+".max_session_duration", "%d is outside 3600-43200 seconds", r.MaxSessionDuration)
		}
		checkTime(path+".created", r.Created, false)
	}

	type attKey struct{ policy, ptype, kind, name string }
	attached := map[attKey]bool{}
	for i, a := range s.Attachments {
		path := fmt.Sprintf("attachments[%d]", i)
		ptype := a.PolicyType
		if ptype == "" {
			ptype = "System"
			if policies[a.Policy] {
				ptype = "Custom"
			}
		}
		switch {
		case a.Policy == "":
			p.add(path+".policy", "empty")
		case ptype == "System":
			if _, ok := SystemPolicies[a.Policy]; !ok {
				p.add(path+".policy", "unknown system policy %q", a.Policy)
			}
		case ptype == "Custom":
			if !policies[a.Policy] {
				p.add(path+".policy", "unknown custom policy %q", a.Policy)
			}
		default:
			p.add(path+".policy_type", "%q is not System or Custom", a.PolicyType)
		}
		n := 0
		var kind, name string
		if a.User != "" {
			n++
			kind, name = "User", a.User
			if !users[a.User] {
				p.add(path+".user", "unknown user %q", a.User)
			}
		}
		if a.Group != "" {
			n++
			kind, name = "Group", a.Group
			if !groups[a.Group] {
				p.add(path+".group", "unknown group %q", a.Group)
			}
		}
		if a.Role != "" {
			n++
			kind, name = "Role", a.Role
			if !roles[strings.ToLower(a.Role)] {
				p.add(path+".role", "unknown role %q", a.Role)
			}
		}
		if n != 1 {
			p.add(path, "set exactly one of user, group and role")
		} else {
			k := attKey{a.Policy, ptype, kind, name}
			if attached[k] {
				p.add(path, "policy %q is already attached to %s %q", a.Policy, strings.ToLower(kind), name)
			}
			attached[k] = true
		}
		checkTime(path+".attached", a.Attached, false)
	}

	logins := map[string]bool{}
	for i, l := range s.LoginProfiles {
		path := fmt.Sprintf("login_profiles[%d]", i)
		switch {
		case !users[l.User]:
			p.add(path+".user", "unknown user %q", l.User)
		case logins[l.User]:
			p.add(path+".user", "user %q already has a login profile", l.User)
		}
		logins[l.User] = true
		if l.Status != "" && l.Status != "Active" && l.Status != "Inactive" {
			p.add(path+".status", "%q is not Active or Inactive", l.Status)
		}
		checkTime(path+".created", l.Created, false)
		checkTime(path+".last_login", l.LastLogin, false)
	}

	mfas := map[string]bool{}
	for i, m := range s.MFADevices {
		path := fmt.Sprintf("mfa_devices[%d]", i)
		switch {
		case !users[m.User]:
			p.add(path+".user", "unknown user %q", m.User)
		case mfas[m.User]:
			p.add(path+".user", "user %q already has an MFA device", m.User)
		}
		mfas[m.User] = true
		if m.Type != "" && m.Type != "VMFA" && m.Type != "U2F" {
			p.add(path+".type", "%q is not VMFA or U2F", m.Type)
		}
		checkTime(path+".bound", m.Bound, false)
	}

	if s.AccountNetworkPolicy != nil {
		scValidateNetworkPolicy("account_network_policy", s.AccountNetworkPolicy, &p)
	}

	s.validateHistory(&p, zones, users, keys, checkTime)
	s.scValidateLeaks(&p, checkTime)
	if err := p.err(); err != nil {
		return nil, err
	}
	return zones, nil
}

// validateHistory checks explicit events and traffic patterns.
func (s *Scenario) validateHistory(p *scProblems, zones *scZones, users, keys map[string]bool, checkTime func(path, expr string, required bool)) {
	for i, e := range s.Events {
		path := fmt.Sprintf("events[%d]", i)
		checkTime(path+".time", e.Time, true)
		switch {
		case e.AccessKey != "" && e.User != "":
			p.add(path, "set access_key or user, not both")
		case e.AccessKey != "":
			if !keys[e.AccessKey] {
				p.add(path+".access_key", "unknown access key %q", e.AccessKey)
			}
		case e.User != "":
			if e.User != "root" && !users[e.User] {
				p.add(path+".user", "unknown user %q", e.User)
			}
		default:
			p.add(path, "set access_key or user")
		}
		if _, err := netip.ParseAddr(e.SourceIP); err != nil {
			p.add(path+".source_ip", "%q is not an IP address", e.SourceIP)
		}
		if e.EventType != "" && !scEventTypes[e.EventType] {
			p.add(path+".event_type", "%q is not ApiCall, ConsoleSignin, ConsoleOperation or AliyunServiceEvent", e.EventType)
		}
		scValidateCall(path, e.Version, e.Action, e.Region, nil, e.Params, e.Response, p)
	}

	for i, tr := range s.Traffic {
		path := fmt.Sprintf("traffic[%d]", i)
		if !keys[tr.AccessKey] {
			if tr.AccessKey == "" {
				p.add(path+".access_key", "empty")
			} else {
				p.add(path+".access_key", "unknown access key %q", tr.AccessKey)
			}
		}
		if len(tr.SourceIPs) == 0 {
			p.add(path+".source_ips", "empty")
		}
		for j, ip := range tr.SourceIPs {
			if _, err := netip.ParseAddr(ip); err != nil {
				p.add(fmt.Sprintf("%s.source_ips[%d]", path, j), "%q is not an IP address", ip)
			}
		}
		if tr.Region != "" && !scReRegion.MatchString(tr.Region) {
			p.add(path+".region", "%q is not a region id", tr.Region)
		}
		if len(tr.Calls) == 0 {
			p.add(path+".calls", "empty")
		}
		switch {
		case tr.Schedule != nil && tr.Burst != nil:
			p.add(path, "set schedule or burst, not both")
		case tr.Schedule == nil && tr.Burst == nil:
			p.add(path, "set schedule or burst")
		case tr.Schedule != nil:
			sc := tr.Schedule
			spath := path + ".schedule"
			checkTime(spath+".from", sc.From, true)
			checkTime(spath+".to", sc.To, false)
			zones.schedules[i] = zones.scenario
			if sc.Zone != "" {
				loc, err := time.LoadLocation(sc.Zone)
				if err != nil {
					p.add(spath+".zone", "unknown zone %q", sc.Zone)
				} else {
					zones.schedules[i] = loc
				}
			}
			if _, err := scParseDays(sc.Days); err != nil {
				p.add(spath+".days", "%v", err)
			}
			if _, _, err := scParseHours(sc.Hours); err != nil {
				p.add(spath+".hours", "%v", err)
			}
			if sc.CallsPerDay.Min < 0 || sc.CallsPerDay.Max < sc.CallsPerDay.Min || sc.CallsPerDay.Max > scMaxCallsPerDay {
				p.add(spath+".calls_per_day", "need 0 <= min <= max <= %d, got %d-%d", scMaxCallsPerDay, sc.CallsPerDay.Min, sc.CallsPerDay.Max)
			}
			if dp := sc.DayProbability; dp != nil && !(*dp >= 0 && *dp <= 1) {
				p.add(spath+".day_probability", "%v is outside 0-1", *dp)
			}
			total := 0.0
			for j, c := range tr.Calls {
				if c.Weight != nil {
					if !(*c.Weight >= 0 && *c.Weight <= 1e6) {
						p.add(fmt.Sprintf("%s.calls[%d].weight", path, j), "%v is outside 0-1000000", *c.Weight)
						continue
					}
					total += *c.Weight
				} else {
					total++
				}
				if c.Repeat != 0 {
					p.add(fmt.Sprintf("%s.calls[%d].repeat", path, j), "only bursts repeat calls")
				}
			}
			if len(tr.Calls) > 0 && total <= 0 {
				p.add(path+".calls", "every weight is 0")
			}
		default:
			bpath := path + ".burst"
			checkTime(bpath+".start", tr.Burst.Start, true)
			if tr.Burst.Spacing != "" {
				d, err := scParseDuration(tr.Burst.Spacing)
				if err != nil {
					p.add(bpath+".spacing", "%v", err)
				} else if d < time.Second {
					p.add(bpath+".spacing", "at least 1s (events have one-second resolution)")
				}
			}
			for j, c := range tr.Calls {
				if c.Repeat < 0 || c.Repeat > scMaxRepeat {
					p.add(fmt.Sprintf("%s.calls[%d].repeat", path, j), "%d is outside 0-%d", c.Repeat, scMaxRepeat)
				}
				if c.Weight != nil {
					p.add(fmt.Sprintf("%s.calls[%d].weight", path, j), "only schedules weigh calls")
				}
			}
		}
		for j, c := range tr.Calls {
			cpath := fmt.Sprintf("%s.calls[%d]", path, j)
			scValidateCall(cpath, c.Version, c.Action, c.Region, c.Regions, c.Params, c.Response, p)
			if c.SourceIP != "" {
				if _, err := netip.ParseAddr(c.SourceIP); err != nil {
					p.add(cpath+".source_ip", "%q is not an IP address", c.SourceIP)
				}
			}
			if c.Region != "" && len(c.Regions) > 0 {
				p.add(cpath, "set region or regions, not both")
			}
		}
	}
}

func scValidateCall(path, version, action, region string, regions []string, params ParamMap, resp map[string]any, p *scProblems) {
	if _, ok := Services[version]; !ok {
		known := scSortedKeys(Services)
		p.add(path+".version", "unknown API version %q (known: %s)", version, strings.Join(known, ", "))
	}
	if !scReAction.MatchString(action) {
		p.add(path+".action", "%q is not an API name such as DescribeInstances", action)
	}
	if region != "" && !scReRegion.MatchString(region) {
		p.add(path+".region", "%q is not a region id", region)
	}
	for i, r := range regions {
		if !scReRegion.MatchString(r) {
			p.add(fmt.Sprintf("%s.regions[%d]", path, i), "%q is not a region id", r)
		}
	}
	for _, k := range scSortedKeys(params) {
		if scSecretKeys[strings.ToLower(k)] {
			p.add(path+".params."+k, "secrets, tokens and signatures are never recorded in events")
		}
	}
	scCheckNoSecrets(path+".response", resp, p)
}

func scCheckNoSecrets(path string, v any, p *scProblems) {
	switch t := v.(type) {
	case map[string]any:
		for _, k := range scSortedKeys(t) {
			if scSecretKeys[strings.ToLower(k)] {
				p.add(path+"."+k, "secrets, tokens and signatures are never recorded in events")
				continue
			}
			scCheckNoSecrets(path+"."+k, t[k], p)
		}
	case []any:
		for i, e := range t {
			scCheckNoSecrets(fmt.Sprintf("%s[%d]", path, i), e, p)
		}
	}
}

func scValidateNetworkPolicy(path string, np *ScenarioNetworkPolicy, p *scProblems) {
	if np.Status != "" && np.Status != "Active" && np.Status != "Inactive" {
		p.add(path+".status", "%q is not Active or Inactive", np.Status)
	}
	entries := 0
	for i, st := range np.Statements {
		spath := fmt.Sprintf("%s.statements[%d]", path, i)
		switch st.Type {
		case "ClassicWhiteList":
			if st.Value != "" {
				p.add(spath+".value", "must be empty for ClassicWhiteList")
			}
			if len(st.IPList) == 0 {
				p.add(spath+".ip_list", "empty")
			}
		case "VPCWhiteList":
			if !scReVPC.MatchString(st.Value) {
				p.add(spath+".value", "%q is not a VPC id (vpc-...) or AllowAllVPC", st.Value)
			}
		default:
			p.add(spath+".type", "%q is not ClassicWhiteList or VPCWhiteList", st.Type)
		}
		for j, ip := range st.IPList {
			entries++
			if _, ok := peParsePrefix(ip); !ok {
				p.add(fmt.Sprintf("%s.ip_list[%d]", spath, j), "%q is not an IP address or CIDR", ip)
			}
		}
	}
	if entries > scMaxIPEntries {
		p.add(path, "%d IP entries, a policy holds at most %d", entries, scMaxIPEntries)
	}
}

// ---------------------------------------------------------------------------
// Time expressions.

// scTime is a parsed time expression:
//
//	now | RFC 3339 | [anchor][(+|-)duration][@HH:MM[:SS]]
//
// where duration is a run of <n>d, <n>h, <n>m and <n>s. A leading sign means
// "relative to now"; "@HH:MM" then moves to that clock time on the same day
// in the scenario's zone.
type scTime struct {
	abs    time.Time
	isAbs  bool
	anchor string // "" = now
	offset time.Duration
	clock  time.Duration // time of day; valid when hasClock
	hasCk  bool
}

func scParseTime(expr string) (scTime, error) {
	s := strings.TrimSpace(expr)
	if s == "" {
		return scTime{}, fmt.Errorf("empty time")
	}
	if s == "now" {
		return scTime{}, nil
	}
	if len(s) >= 20 && s[4] == '-' && s[0] >= '0' && s[0] <= '9' {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return scTime{}, fmt.Errorf("%q is not an RFC 3339 time", expr)
		}
		return scTime{abs: t.UTC(), isAbs: true}, nil
	}
	var t scTime
	if i := strings.IndexByte(s, '@'); i >= 0 {
		ck, err := scParseClock(s[i+1:])
		if err != nil {
			return scTime{}, fmt.Errorf("%q: %v", expr, err)
		}
		t.clock, t.hasCk = ck, true
		s = s[:i]
	}
	if i := strings.IndexAny(s, "+-"); i >= 0 {
		t.anchor = s[:i]
		d, err := scParseDuration(s[i+1:])
		if err != nil {
			return scTime{}, fmt.Errorf("%q: %v", expr, err)
		}
		t.offset = d
		if s[i] == '-' {
			t.offset = -d
		}
	} else {
		t.anchor = s
	}
	if t.anchor == "now" {
		t.anchor = ""
	}
	if t.anchor != "" && !scReAnchor.MatchString(t.anchor) {
		return scTime{}, fmt.Errorf("%q is not now, an RFC 3339 time or [anchor](+|-)<duration>[@HH:MM] such as -2d3h", expr)
	}
	return t, nil
}

// scParseDuration parses a run of <n>d, <n>h, <n>m and <n>s, e.g. 2d3h15m.
func scParseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	var total time.Duration
	rest := s
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i == len(rest) || i > 6 {
			return 0, fmt.Errorf("duration %q is not like 2d3h15m30s", s)
		}
		n, _ := strconv.Atoi(rest[:i])
		var unit time.Duration
		switch rest[i] {
		case 'd':
			unit = 24 * time.Hour
		case 'h':
			unit = time.Hour
		case 'm':
			unit = time.Minute
		case 's':
			unit = time.Second
		default:
			return 0, fmt.Errorf("duration %q: unit %q is not d, h, m or s", s, rest[i])
		}
		const limit = scMaxSpanDays * 10 * 24 * time.Hour
		if time.Duration(n) > limit/unit || total+time.Duration(n)*unit > limit {
			return 0, fmt.Errorf("duration %q is longer than %d days", s, scMaxSpanDays*10)
		}
		total += time.Duration(n) * unit
		rest = rest[i+1:]
	}
	return total, nil
}

func scParseClock(s string) (time.Duration, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, fmt.Errorf("clock time %q is not HH:MM or HH:MM:SS", s)
	}
	limits := []int{23, 59, 59}
	var d time.Duration
	units := []time.Duration{time.Hour, time.Minute, time.Second}
	for i, part := range parts {
		n, err := strconv.Atoi(part)
		if err != nil || len(part) != 2 || n < 0 || n > limits[i] {
			return 0, fmt.Errorf("clock time %q is not HH:MM or HH:MM:SS", s)
		}
		d += time.Duration(n) * units[i]
	}
	return d, nil
}

// scParseHours parses "HH:MM-HH:MM" (default the whole day).
func scParseHours(s string) (from, to time.Duration, err error) {
	if s == "" {
		return 0, 24 * time.Hour, nil
	}
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, fmt.Errorf("%q is not HH:MM-HH:MM", s)
	}
	if from, err = scParseClock(a); err != nil {
		return 0, 0, err
	}
	if b == "24:00" {
		to = 24 * time.Hour
	} else if to, err = scParseClock(b); err != nil {
		return 0, 0, err
	}
	if to <= from {
		return 0, 0, fmt.Errorf("%q ends before it starts", s)
	}
	return from, to, nil
}

// scParseDays parses day names into a weekday set (default every day).
func scParseDays(days []string) ([7]bool, error) {
	var set [7]bool
	if len(days) == 0 {
		return [7]bool{true, true, true, true, true, true, true}, nil
	}
	names := map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday,
		"wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}
	for _, d := range days {
		switch l := strings.ToLower(d); l {
		case "all", "daily":
			for i := range set {
				set[i] = true
			}
		case "weekdays":
			for i := time.Monday; i <= time.Friday; i++ {
				set[i] = true
			}
		case "weekends":
			set[time.Saturday], set[time.Sunday] = true, true
		default:
			wd, ok := names[l]
			if !ok && len(l) > 3 {
				wd, ok = names[l[:3]]
				ok = ok && strings.HasPrefix(strings.ToLower(time.Weekday(wd).String()), l)
			}
			if !ok {
				return set, fmt.Errorf("%q is not a day (Mon..Sun, weekdays, weekends, all)", d)
			}
			set[wd] = true
		}
	}
	return set, nil
}

// scClock resolves time expressions against one instant.
type scClock struct {
	now     time.Time
	loc     *time.Location
	anchors map[string]time.Time
}

func (c *scClock) resolve(expr string) time.Time {
	t, err := scParseTime(expr)
	if err != nil { // validated already
		return c.now
	}
	return c.resolveParsed(t)
}

func (c *scClock) resolveParsed(t scTime) time.Time {
	if t.isAbs {
		return t.abs
	}
	base := c.now
	if t.anchor != "" {
		base = c.anchors[t.anchor]
	}
	r := base.Add(t.offset)
	if t.hasCk {
		l := r.In(c.loc)
		h, m, s := int(t.clock/time.Hour), int(t.clock%time.Hour/time.Minute), int(t.clock%time.Minute/time.Second)
		r = time.Date(l.Year(), l.Month(), l.Day(), h, m, s, 0, c.loc)
	}
	return r.UTC().Truncate(time.Second)
}

// at resolves an optional expression, falling back to def.
func (c *scClock) at(expr string, def time.Time) time.Time {
	if expr == "" {
		return def
	}
	return c.resolve(expr)
}

// ---------------------------------------------------------------------------
// Build.

// seed returns the scenario's seed, derived from its name when unset.
func (s *Scenario) seed() uint64 {
	if s.Seed != 0 {
		return s.Seed
	}
	h := fnv.New64a()
	h.Write([]byte(s.Name))
	return h.Sum64()
}

func (s *Scenario) region() string {
	if s.Region != "" {
		return s.Region
	}
	return "cn-hangzhou"
}

// Build creates the World the scenario describes as of now, with its
// generated history, and the facts a test or drill needs. The same scenario
// and the same now always give the same world and events.
func (s *Scenario) Build(now time.Time) (*World, *ScenarioInfo, error) {
	if s == nil {
		return nil, nil, fmt.Errorf("build scenario: nil scenario")
	}
	// Validate again: the scenario may have been built from a literal or
	// changed since it was parsed, and bad input must not panic below.
	zones, err := s.validate()
	if err != nil {
		return nil, nil, err
	}
	now = now.UTC().Truncate(time.Second)
	clk := &scClock{now: now, loc: zones.scenario, anchors: map[string]time.Time{}}
	for _, name := range scSortedKeys(s.Anchors) {
		clk.anchors[name] = clk.resolve(s.Anchors[name])
	}
	var p scProblems
	idRNG := rand.New(rand.NewPCG(s.seed(), 0x1d))
	w := NewWorld(Account{ID: s.Account.ID, Alias: s.Account.Alias})
	defaultCreated := now.Add(-365 * 24 * time.Hour)

	for i, su := range s.Users {
		created := clk.at(su.Created, defaultCreated)
		id := su.ID
		if id == "" {
			id = scDigits(idRNG, "2", 16)
		}
		display := su.DisplayName
		if display == "" {
			display = su.Name
		}
		u := &User{UserID: id, UserName: su.Name, DisplayName: display, Email: su.Email, MobilePhone: su.MobilePhone,
			Comments: su.Comments, CreateDate: created, UpdateDate: created}
		if su.LastLogin != "" {
			u.LastLoginDate = clk.resolve(su.LastLogin)
			if u.LastLoginDate.Before(created) {
				p.add(fmt.Sprintf("users[%d].last_login", i), "before the user was created")
			}
		}
		if created.After(now) {
			p.add(fmt.Sprintf("users[%d].created", i), "in the future")
		}
		w.Users[su.Name] = u
	}
	ownerCreated := func(owner string) time.Time {
		if u, ok := w.Users[owner]; ok {
			return u.CreateDate
		}
		return time.Time{}
	}

	for i, sk := range s.AccessKeys {
		path := fmt.Sprintf("access_keys[%d]", i)
		owner := sk.Owner
		if owner == "root" {
			owner = ""
		}
		def := defaultCreated
		if oc := ownerCreated(sk.Owner); !oc.IsZero() {
			def = oc
		}
		created := clk.at(sk.Created, def)
		if oc := ownerCreated(sk.Owner); !oc.IsZero() && created.Before(oc) {
			p.add(path+".created", "before its owner %q was created", sk.Owner)
		}
		if created.After(now) {
			p.add(path+".created", "in the future")
		}
		status := sk.Status
		if status == "" {
			status = "Active"
		}
		k := &AccessKey{ID: sk.ID, Secret: sk.Secret, Owner: owner, Status: status, CreateDate: created, UpdateDate: created}
		if sk.NetworkPolicy != nil {
			k.Policy = scNetworkPolicy(sk.NetworkPolicy)
		}
		w.AccessKeys[sk.ID] = k
	}

	for i, sp := range s.Policies {
		path := fmt.Sprintf("policies[%d]", i)
		created := clk.at(sp.Created, defaultCreated)
		pol := &Policy{Name: sp.Name, Type: "Custom", Description: sp.Description, CreateDate: created, UpdateDate: created}
		versions := sp.Versions
		if sp.Document != "" {
			versions = []ScenarioPolicyVersion{{Document: sp.Document, Default: true}}
		}
		def := len(versions) - 1
		prev := created
		for j, v := range versions {
			vc := clk.at(v.Created, prev)
			if vc.Before(prev) {
				p.add(fmt.Sprintf("%s.versions[%d].created", path, j), "before the previous version")
			}
			prev = vc
			if v.Default {
				def = j
			}
			pol.Versions = append(pol.Versions, &PolicyVersion{VersionID: fmt.Sprintf("v%d", j+1), Document: string(v.Document), CreateDate: vc})
			pol.UpdateDate = vc
		}
		pol.DefaultVersion = fmt.Sprintf("v%d", def+1)
		pol.NextVersion = len(versions) + 1
		w.Policies[sp.Name] = pol
	}

	for i, sg := range s.Groups {
		created := clk.at(sg.Created, defaultCreated)
		id := sg.ID
		if id == "" {
			id = scDigits(idRNG, "2", 16)
		}
		g := &Group{GroupName: sg.Name, GroupID: id, Comments: sg.Comments, CreateDate: created, Members: map[string]time.Time{}}
		for _, m := range sg.Members {
			joined := created
			if uc := ownerCreated(m); uc.After(joined) {
				joined = uc
			}
			g.Members[m] = joined
		}
		if created.After(now) {
			p.add(fmt.Sprintf("groups[%d].created", i), "in the future")
		}
		w.Groups[sg.Name] = g
	}

	for i, sr := range s.Roles {
		created := clk.at(sr.Created, defaultCreated)
		id := sr.ID
		if id == "" {
			id = scDigits(idRNG, "3", 19)
		}
		trust := string(sr.TrustPolicy)
		if trust == "" {
			trust = fmt.Sprintf(`{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":["acs:ram::%s:root"]}}]}`, s.Account.ID)
		}
		maxDur := sr.MaxSessionDuration
		if maxDur == 0 {
			maxDur = 3600
		}
		if created.After(now) {
			p.add(fmt.Sprintf("roles[%d].created", i), "in the future")
		}
		// Role ARNs carry the role name in lower case, as RAM returns them.
		w.Roles[sr.Name] = &Role{RoleName: sr.Name, RoleID: id, Arn: fmt.Sprintf("acs:ram::%s:role/%s", s.Account.ID, strings.ToLower(sr.Name)),
			Description: sr.Description, AssumeRolePolicyDocument: trust, MaxSessionDuration: maxDur, CreateDate: created, UpdateDate: created}
	}

	principalCreated := func(a ScenarioAttachment) time.Time {
		switch {
		case a.User != "":
			return ownerCreated(a.User)
		case a.Group != "":
			if g, ok := w.Groups[a.Group]; ok {
				return g.CreateDate
			}
		case a.Role != "":
			if r, ok := w.Roles[a.Role]; ok {
				return r.CreateDate
			}
		}
		return time.Time{}
	}
	for i, sa := range s.Attachments {
		ptype, kind, name := sa.PolicyType, "User", sa.User
		if ptype == "" {
			ptype = "System"
			if _, ok := w.Policies[sa.Policy]; ok {
				ptype = "Custom"
			}
		}
		switch {
		case sa.Group != "":
			kind, name = "Group", sa.Group
		case sa.Role != "":
			kind, name = "Role", sa.Role
		}
		def := principalCreated(sa)
		if pol, ok := w.Policies[sa.Policy]; ok && ptype == "Custom" && pol.CreateDate.After(def) {
			def = pol.CreateDate
		}
		when := clk.at(sa.Attached, def)
		if when.Before(def) {
			p.add(fmt.Sprintf("attachments[%d].attached", i), "before both the policy and the %s existed", strings.ToLower(kind))
		}
		w.Attachments = append(w.Attachments, Attachment{PolicyName: sa.Policy, PolicyType: ptype, PrincipalType: kind, PrincipalName: name, AttachDate: when})
	}

	for i, sl := range s.LoginProfiles {
		created := clk.at(sl.Created, ownerCreated(sl.User))
		status := sl.Status
		if status == "" {
			status = "Active"
		}
		lp := &LoginProfile{UserName: sl.User, Status: status, PasswordResetRequired: sl.PasswordResetRequired,
			MFABindRequired: sl.MFABindRequired, CreateDate: created, UpdateDate: created}
		if sl.LastLogin != "" {
			lp.LastLoginTime = clk.resolve(sl.LastLogin)
			if lp.LastLoginTime.Before(created) {
				p.add(fmt.Sprintf("login_profiles[%d].last_login", i), "before the login profile was created")
			}
			if u := w.Users[sl.User]; u != nil && u.LastLoginDate.Before(lp.LastLoginTime) {
				u.LastLoginDate = lp.LastLoginTime
			}
		}
		if created.Before(ownerCreated(sl.User)) {
			p.add(fmt.Sprintf("login_profiles[%d].created", i), "before the user was created")
		}
		w.Logins[sl.User] = lp
	}

	for i, sm := range s.MFADevices {
		bound := clk.at(sm.Bound, ownerCreated(sm.User))
		if bound.Before(ownerCreated(sm.User)) {
			p.add(fmt.Sprintf("mfa_devices[%d].bound", i), "before the user was created")
		}
		serial := sm.SerialNumber
		if serial == "" {
			serial = fmt.Sprintf("acs:ram::%s:mfa/%s", s.Account.ID, sm.User)
		}
		typ := sm.Type
		if typ == "" {
			typ = "VMFA"
		}
		w.MFADevices[sm.User] = &MFADevice{UserName: sm.User, SerialNumber: serial, Type: typ, BindDate: bound}
	}

	if s.AccountNetworkPolicy != nil {
		w.AccountACL = scNetworkPolicy(s.AccountNetworkPolicy)
	}

	s.scBuildLeaks(w, clk, &p)
	s.scBuildTrails(w, &p)
	events, evProblems := s.generateEvents(w, clk, zones)
	p.list = append(p.list, evProblems...)
	if err := p.err(); err != nil {
		return nil, nil, err
	}
	w.Events = events
	if err := s.buildECS(w, clk, now); err != nil {
		return nil, nil, err
	}

	info := &ScenarioInfo{
		Name:        s.Name,
		Region:      s.region(),
		AccountID:   s.Account.ID,
		Credentials: map[string]Credential{},
		Notes:       map[string]string{},
	}
	for _, k := range s.AccessKeys {
		if k.Status != "" && k.Status != "Active" {
			continue
		}
		if _, ok := info.Credentials[k.Owner]; !ok {
			info.Credentials[k.Owner] = Credential{AccessKeyID: k.ID, AccessKeySecret: k.Secret}
		}
	}
	for k, v := range s.Notes {
		info.Notes[k] = v
	}
	for k, v := range s.TimeNotes {
		info.Notes[k] = clk.resolve(v).Format(time.RFC3339)
	}
	return w, info, nil
}

// scDigits returns first followed by random digits, n characters in all.
func scDigits(r *rand.Rand, first string, n int) string {
	var b strings.Builder
	b.WriteString(first)
	for b.Len() < n {
		b.WriteByte(byte('0' + r.IntN(10)))
	}
	return b.String()
}

// scNetworkPolicy renders a scenario network policy as the lab's AKPolicy,
// with Raw in the IMS document shape GetAccessKeyPolicy echoes.
func scNetworkPolicy(np *ScenarioNetworkPolicy) *AKPolicy {
	status := np.Status
	if status == "" {
		status = "Active"
	}
	type rawStatement struct {
		Type   string   `json:"Type"`
		Value  string   `json:"Value,omitempty"`
		IPList []string `json:"IPList"`
	}
	raw := struct {
		Version    int            `json:"Version"`
		Status     string         `json:"Status"`
		Statements []rawStatement `json:"Statements"`
	}{Version: 1, Status: status, Statements: []rawStatement{}}
	out := &AKPolicy{Version: 1, Status: status, Statements: []AKStatement{}}
	for _, st := range np.Statements {
		ips := append([]string{}, st.IPList...)
		raw.Statements = append(raw.Statements, rawStatement{Type: st.Type, Value: st.Value, IPList: ips})
		out.Statements = append(out.Statements, AKStatement{Type: st.Type, Value: st.Value, IPList: append([]string{}, ips...)})
	}
	b, _ := json.Marshal(raw)
	out.Raw = string(b)
	return out
}
