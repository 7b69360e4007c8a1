package lab

import (
	"fmt"
	"sort"
	"strings"
)

// Scenario trails and Insights settings (issue 18). Trails live on the
// server (actiontrail.go); a scenario that lists "trails" replaces the
// default trail (defaultTrails: all regions, all events, delivered to SLS)
// with its own, and "insights" lists the Insights types enabled at the
// start (none by default, as on a new account).

// ScenarioTrail is a trail a scenario starts with.
type ScenarioTrail struct {
	Name          string `json:"name"`
	EventRW       string `json:"event_rw,omitempty"`     // All (default) | Read | Write
	TrailRegion   string `json:"trail_region,omitempty"` // All (default) or a comma-separated region list
	HomeRegion    string `json:"home_region,omitempty"`  // default: the scenario's region
	OssBucketName string `json:"oss_bucket_name,omitempty"`
	OssKeyPrefix  string `json:"oss_key_prefix,omitempty"`
	SlsProjectArn string `json:"sls_project_arn,omitempty"`
	// Logging is true unless set to false.
	Logging *bool `json:"logging,omitempty"`
}

// TrailSeed is a trail the server starts with (World.Trails, from a
// scenario).
type TrailSeed struct {
	Name, EventRW, TrailRegion, HomeRegion string
	OssBucketName, OssKeyPrefix            string
	SlsProjectArn                          string
	Logging                                bool
}

// scBuildTrails copies the scenario's trails and Insights types into w.
func (s *Scenario) scBuildTrails(w *World, p *scProblems) {
	seen := map[string]bool{}
	for i, t := range s.Trails {
		path := fmt.Sprintf("trails[%d]", i)
		switch {
		case !reTrailName.MatchString(t.Name):
			p.add(path+".name", "%q is not a trail name: 6-36 characters, starting with a lower-case letter, then a-z 0-9 _ -", t.Name)
			continue
		case seen[t.Name]:
			p.add(path+".name", "trail %q is listed twice", t.Name)
			continue
		case t.EventRW != "" && t.EventRW != "All" && t.EventRW != "Read" && t.EventRW != "Write":
			p.add(path+".event_rw", "%q: want All, Read or Write", t.EventRW)
			continue
		case t.OssBucketName == "" && t.SlsProjectArn == "":
			p.add(path, "a trail needs a destination: oss_bucket_name or sls_project_arn")
			continue
		}
		seen[t.Name] = true
		seed := &TrailSeed{Name: t.Name, EventRW: scFirst(t.EventRW, "All"), TrailRegion: scFirst(t.TrailRegion, "All"),
			HomeRegion: scFirst(t.HomeRegion, s.region()), OssBucketName: t.OssBucketName, OssKeyPrefix: t.OssKeyPrefix,
			SlsProjectArn: t.SlsProjectArn, Logging: t.Logging == nil || *t.Logging}
		w.Trails = append(w.Trails, seed)
	}
	if len(s.Trails) > maxTrails {
		p.add("trails", "%d trails: the limit is %d", len(s.Trails), maxTrails)
	}
	for i, it := range s.Insights {
		if !labInsightType(it) {
			p.add(fmt.Sprintf("insights[%d]", i), "%q is not an Insights type (want one of %s)", it, strings.Join(labInsightTypes, ", "))
			continue
		}
		w.InsightTypes = append(w.InsightTypes, it)
	}
	sort.Strings(w.InsightTypes)
}

// seedTrails is the server's starting trails: the world's when it lists
// any, else the default trail.
func seedTrails(w *World) map[string]*trail {
	if w == nil || len(w.Trails) == 0 {
		return defaultTrails()
	}
	out := map[string]*trail{}
	for _, t := range w.Trails {
		tr := &trail{Name: t.Name, EventRW: t.EventRW, Region: t.TrailRegion, HomeRegion: t.HomeRegion,
			OssBucketName: t.OssBucketName, OssKeyPrefix: t.OssKeyPrefix, SlsProjectArn: t.SlsProjectArn,
			Logging: t.Logging, Created: labEpoch, Updated: labEpoch}
		if t.Logging {
			tr.StartedAt = labEpoch
		}
		out[t.Name] = tr
	}
	return out
}
