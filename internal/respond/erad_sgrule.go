package respond

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/akresp/akresp/internal/cloud"
)

// KindSecurityGroupRule revokes an ingress rule the attacker opened (or
// authorizes it again on undo).
const KindSecurityGroupRule = "security-group-rule"

type sgRuleState struct {
	Group   string                  `json:"security_group"`
	Region  string                  `json:"region"`
	Rule    cloud.SecurityGroupRule `json:"rule"`
	Present bool                    `json:"present"`
}

type sgRuleResource struct {
	c             EradicateCloud
	group, region string
	rule          cloud.SecurityGroupRule
}

func (r *sgRuleResource) kind() string     { return KindSecurityGroupRule }
func (r *sgRuleResource) target() string   { return r.group }
func (r *sgRuleResource) reversible() bool { return true }
func (r *sgRuleResource) observe(ctx context.Context) (any, error) {
	rules, err := r.c.SecurityGroupRules(ctx, r.region, r.group)
	if errors.Is(err, cloud.ErrNotFound) {
		return sgRuleState{Group: r.group, Region: r.region, Rule: r.rule}, nil
	}
	if err != nil {
		return nil, err
	}
	for _, x := range rules {
		if x.Same(r.rule) {
			return sgRuleState{Group: r.group, Region: r.region, Rule: r.rule, Present: true}, nil
		}
	}
	return sgRuleState{Group: r.group, Region: r.region, Rule: r.rule}, nil
}
func (r *sgRuleResource) set(ctx context.Context, _, to any) (string, error) {
	if to.(sgRuleState).Present {
		return r.c.AuthorizeSecurityGroupRule(ctx, r.region, r.group, r.rule)
	}
	return r.c.RevokeSecurityGroupRule(ctx, r.region, r.group, r.rule)
}
func (r *sgRuleResource) equal(a, b any) bool {
	return a.(sgRuleState).Present == b.(sgRuleState).Present
}
func (r *sgRuleResource) text(s any) string {
	st := s.(sgRuleState)
	desc := st.Rule.IPProtocol + " " + st.Rule.PortRange + " from " + orDash(st.Rule.SourceCidrIP)
	if st.Present {
		return desc + " open"
	}
	return desc + " closed"
}

func planRevokeRule(c EradicateCloud, cur sgRuleState) *Action {
	to := cur
	to.Present = false
	return newAction("revoke-rule:"+cur.Group+":"+cur.Rule.IPProtocol+":"+cur.Rule.PortRange+":"+cur.Rule.SourceCidrIP,
		&sgRuleResource{c: c, group: cur.Group, region: cur.Region, rule: cur.Rule}, cur, to,
		"revoke "+cur.Rule.IPProtocol+" "+cur.Rule.PortRange+" from "+orDash(cur.Rule.SourceCidrIP)+" on "+cur.Group)
}

func init() {
	registerEradicateKind(KindSecurityGroupRule, func(c EradicateCloud, b, a []byte) (resource, any, any, error) {
		var x, y sgRuleState
		if err := errors.Join(json.Unmarshal(b, &x), json.Unmarshal(a, &y)); err != nil {
			return nil, nil, nil, err
		}
		return &sgRuleResource{c: c, group: x.Group, region: x.Region, rule: x.Rule}, x, y, nil
	})
}
