package audit

import (
	"context"
	"fmt"
)

// ReadSLSLogs reads Simple Log Service operation logs (the
// internal-operation_log logstore of CloudLens for SLS, "Detailed logs")
// exported as JSON lines or a JSON array of rows. Each row becomes an Event
// with Service "Sls", DataPlane true, Name the SLS API (Method, e.g.
// GetLogStoreLogs, PostLogStoreLogs, DeleteLogStore), SourceIP, AccessKeyID
// (AccessKeyId), and Params "Project", "LogStore", "Status" plus every other
// scalar field of the row except the SLS system fields (__time__ ...).
func ReadSLSLogs(ctx context.Context, paths []string, opts ReadOptions, sink Sink) (Stats, []Problem, error) {
	return readFiles(ctx, paths, opts, sink, OriginSLSLog, readSLSFile)
}

func readSLSFile(r *fileReader, src *source) error {
	p := &slsParser{in: r.ws.interner()}
	r.parse = p.parse
	return splitJSON(r, src)
}

type slsParser struct {
	in *interner
	tb timeBound
}

// parse reads one SLS operation log row.
func (p *slsParser) parse(ev *Event, raw []byte, o Origin) error {
	*ev = Event{Source: o, Service: "Sls", Type: "ApiCall", DataPlane: true}
	var micro, secs, text []byte
	var project, logstore string
	params := make(map[string]string, 8)
	err := flatObject(raw, func(k, v []byte) error {
		switch string(k) {
		case "microtime":
			micro = append(micro[:0], v...)
		case "__time__":
			secs = append(secs[:0], v...)
		case "Time", "time":
			text = append(text[:0], v...)
		case "Method":
			ev.Name = p.in.get(v)
		case "SourceIP", "SourceIp", "ClientIp", "ClientIP":
			if ev.SourceIP == "" {
				ev.SourceIP = p.in.get(v)
			}
		case "AccessKeyId", "AccessKeyID":
			ev.AccessKeyID = p.in.get(v)
		case "CallerType":
			ev.UserType = p.in.get(v)
		case "InvokerUid":
			ev.AccountID = p.in.get(v)
		case "ErrorCode":
			ev.ErrorCode = p.in.get(v)
		case "ErrorMsg", "ErrorMessage":
			ev.ErrorMessage = string(v)
		case "RequestId", "RequestID":
			ev.RequestID = string(v)
		case "UserAgent":
			ev.UserAgent = p.in.get(v)
		case "Region", "region":
			ev.Region = p.in.get(v)
		case "Project":
			project = p.in.get(v)
			params["Project"] = project
		case "LogStore", "Logstore":
			logstore = p.in.get(v)
			params["LogStore"] = logstore
		default:
			if len(v) == 0 || len(k) >= 2 && k[0] == '_' && k[1] == '_' {
				return nil // SLS system fields: __topic__, __source__, __tag__:...
			}
			if len(v) <= 32 {
				params[p.in.get(k)] = p.in.get(v)
			} else {
				params[p.in.get(k)] = string(v)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if ev.Name == "" {
		return fmt.Errorf("SLS operation log row has no Method")
	}
	var field string
	switch {
	case len(micro) > 0:
		t, err := unixAuto(micro)
		if err != nil {
			return fmt.Errorf("microtime: %w", err)
		}
		ev.Time, field = t, "microtime"
	case len(secs) > 0:
		t, err := parseTimeText(secs)
		if err != nil {
			return fmt.Errorf("__time__: %w", err)
		}
		ev.Time, field = t, "__time__"
	case len(text) > 0:
		t, err := parseTimeText(text)
		if err != nil {
			return fmt.Errorf("Time: %w", err)
		}
		ev.Time, field = t, "Time"
	default:
		return fmt.Errorf("SLS operation log row %s has no microtime, __time__ or Time", truncate(ev.Name, 64))
	}
	if err := p.tb.check(field, ev.Time); err != nil {
		return err
	}
	ev.ID = ev.RequestID
	ev.RW = DeriveRW(ev.Name)
	if len(params) > 0 {
		ev.Params = params
	}
	if project != "" {
		ev.Resources = append(ev.Resources, Resource{Type: "ACS::SLS::Project", Name: project})
		if logstore != "" {
			ev.Resources = append(ev.Resources, Resource{Type: "ACS::SLS::LogStore", Name: project + "/" + logstore})
		}
	}
	return nil
}
