package rotate

import (
	"net/netip"
	"sort"
	"time"

	"github.com/akresp/akresp/internal/incident"
	"github.com/akresp/akresp/internal/policy"
)

// judge tells legitimate use of the old key from the attacker still trying:
// cut-over and observation count legitimate use only. It reads the incident
// record (flagged sources, the trusted sources and containment periods of
// the fence, akresp's own request IDs) and the old key's network ACL.
type judge struct {
	rec   *incident.Record
	fence *policy.ACL
}

// judge loads the incident record of the key; a record that cannot be read
// leaves only the error codes and the fence to judge by (with a warning).
func (m *Machine) judge() (judge, []string) {
	var warns []string
	rec, err := incident.Load(m.o.StateDir, m.o.KeyID)
	if err != nil {
		warns = append(warns, "incident record: "+err.Error()+"; judging the old key's callers by error code and network ACL only")
		rec = nil
	}
	j := judge{rec: rec, fence: m.st.fence()}
	if j.fence == nil && rec != nil && rec.FenceACL != "" {
		if a, err := policy.ReadNetworkACL(rec.FenceACL); err == nil && a.Status == policy.ACLStatusActive {
			j.fence = &a
		}
	}
	return j, warns
}

// Why values of a non-legitimate source.
const (
	whyFlagged      = "flagged"
	whyRefused      = "refused"
	whyOutsideFence = "outside-fence"
)

// classify returns "" for legitimate use, "own" for akresp's own calls
// (ignored), or why the call is not legitimate.
func (j judge) classify(e trailEvent) string {
	ip, _ := netip.ParseAddr(e.SourceIPAddress)
	c := incident.Call{Time: e.time, SourceIP: ip, ErrorCode: e.ErrorCode, RequestID: e.RequestID}
	cls := j.rec.Classify(c)
	switch {
	case cls == incident.Own:
		return "own"
	case j.rec.IsFlagged(ip):
		return whyFlagged
	case cls == incident.Responder:
		// A trusted source after containment: the responder's tests or the
		// application itself, which has not switched yet.
		return ""
	case cls == incident.Refused, incident.IsFenceRefusal(e.ErrorCode):
		return whyRefused
	case disabledKeyCodes[e.ErrorCode] && j.fence != nil && !j.fence.Allows(ip):
		// Refused because the key is disabled, but the fence would have
		// refused it anyway: no application works from there.
		return whyOutsideFence
	}
	return ""
}

// split sorts events into legitimate callers and the rest, and returns the
// time of the last legitimate and of the last event of any kind.
func (j judge) split(evs []trailEvent) (legit []Source, others []Source, lastLegit, lastAny time.Time) {
	var good, bad []trailEvent
	why := map[string]string{}
	for _, e := range evs {
		if e.time.After(lastAny) {
			lastAny = e.time
		}
		switch w := j.classify(e); w {
		case "own":
		case "":
			good = append(good, e)
			if e.time.After(lastLegit) {
				lastLegit = e.time
			}
		default:
			bad = append(bad, e)
			if why[e.SourceIPAddress] == "" || w == whyFlagged {
				why[e.SourceIPAddress] = w
			}
		}
	}
	legit, others = callers(good), callers(bad)
	for i := range others {
		others[i].Why = why[others[i].IP]
	}
	return legit, others, lastLegit, lastAny
}

// failures picks the legitimate calls that failed because the key is
// disabled (a missed application), oldest first, and the rest grouped by
// source.
func (j judge) failures(evs []trailEvent) (missed []Failure, others []Source) {
	var legit []trailEvent
	var bad []trailEvent
	why := map[string]string{}
	for _, e := range evs {
		switch w := j.classify(e); w {
		case "own":
		case "":
			legit = append(legit, e)
		default:
			bad = append(bad, e)
			if why[e.SourceIPAddress] == "" || w == whyFlagged {
				why[e.SourceIPAddress] = w
			}
		}
	}
	missed = failures(legit)
	others = callers(bad)
	for i := range others {
		others[i].Why = why[others[i].IP]
	}
	sort.SliceStable(others, func(a, b int) bool { return others[a].Count > others[b].Count })
	return missed, others
}
