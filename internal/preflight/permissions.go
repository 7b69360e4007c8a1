package preflight

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/akresp/akresp/internal/cloud"
	"github.com/akresp/akresp/internal/policy"
)

// CommandActions are the RAM actions each akresp command calls (the
// actions of the APIs in internal/cloud it uses; IMS APIs authorise as
// ram:<Action>). A command whose actions are not all allowed would fail
// with NoPermission on the first call that needs one.
var CommandActions = []struct {
	Command string
	Actions []string
}{
	{"audit", []string{"actiontrail:LookupEvents", "actiontrail:GetAccessKeyLastUsedInfo", "actiontrail:GetAccessKeyLastUsedProducts", "actiontrail:GetAccessKeyLastUsedIps", "actiontrail:GetAccessKeyLastUsedResources", "ram:GetUser", "ram:ListAccessKeys"}},
	{"audit --idle", []string{"ram:ListUsers", "ram:ListAccessKeys", "ram:GetLoginProfile", "ram:GetUserMFAInfo", "ram:GenerateCredentialReport", "ram:GetCredentialReport"}},
	{"contain", []string{"ram:GetUser", "ram:GetAccessKeyPolicy", "ram:SetAccessKeyPolicy", "ram:GetAccessKeyPolicyForAccount", "ram:CreatePolicy", "ram:CreatePolicyVersion", "ram:GetPolicy", "ram:AttachPolicyToUser", "ram:ListPoliciesForUser", "ram:UpdateLoginProfile", "actiontrail:LookupEvents"}},
	{"disable", []string{"ram:ListAccessKeys", "ram:UpdateAccessKey", "ram:DeleteAccessKey", "actiontrail:GetAccessKeyLastUsedInfo"}},
	{"rotate", []string{"ram:CreateAccessKey", "ram:UpdateAccessKey", "ram:DeleteAccessKey", "ram:ListAccessKeys", "ram:GetAccessKeyPolicy", "ram:SetAccessKeyPolicy", "actiontrail:LookupEvents"}},
	{"eradicate", []string{"ram:DeleteLoginProfile", "ram:DetachPolicyFromUser", "ram:RemoveUserFromGroup", "ram:DeleteAccessKey", "ram:DeleteUser", "ecs:DescribeInstances", "ecs:StopInstances", "ecs:RevokeSecurityGroup", "bssapi:QueryInstanceBill"}},
	{"leaks", []string{"yundun-aegis:DescribeAccesskeyLeakList", "yundun-aegis:DescribeAccessKeyLeakDetail"}},
	{"leaks resolve", []string{"yundun-sas:ModifyAccessKeyLeakDeal"}},
	{"preflight", []string{"actiontrail:DescribeTrails", "actiontrail:GetTrailStatus", "ram:GetCredentialReport", "ram:GetAccessKeyPolicyForAccount", "ram:ListPoliciesForUser", "ram:ListGroupsForUser", "ram:ListPoliciesForGroup", "ram:GetPolicy"}},
	{"preflight --fix", []string{"actiontrail:EnableInsight"}},
	{"watch", []string{"actiontrail:LookupEvents"}},
}

// namedDoc is a parsed policy attached to the caller.
type namedDoc struct {
	name string
	doc  policy.Document
}

// permissionsCheck reads the policies of akresp's own identity (a RAM
// user: its own and its groups') and evaluates each command's actions.
// The evaluation is simplified and says so: Resource and Condition are not
// evaluated (an Allow with a Condition counts as allowed, any Deny as
// denying), and an assumed role's policies are not read.
func permissionsCheck(ctx context.Context, c Cloud, id cloud.CallerIdentity, idErr error) Check {
	ch := Check{ID: CheckPermissions, Title: "akresp's identity has the permissions each command needs"}
	if idErr != nil {
		ch.Status, ch.Detail = Warn, "GetCallerIdentity failed: "+errText(idErr)
		return ch
	}
	switch id.IdentityType {
	case "Account":
		ch.Status = Warn
		ch.Detail = "akresp runs as the root account: every command is allowed, but the root account should have no AccessKey at all"
		ch.Fix = "run akresp as a RAM user or role with AdministratorAccess or the actions listed in docs/preflight.md"
		for _, ca := range CommandActions {
			ch.Commands = append(ch.Commands, CommandPermission{Command: ca.Command, Allowed: true})
		}
		return ch
	case "RAMUser":
	default:
		ch.Status = Warn
		ch.Detail = fmt.Sprintf("akresp runs as %s (%s): the policies of a role are not read; commands fail with NoPermission where the role lacks an action listed in docs/preflight.md", id.Arn, id.IdentityType)
		return ch
	}
	user := id.Arn[strings.LastIndex(id.Arn, "/")+1:]
	docs, err := userPolicies(ctx, c, user)
	if err != nil {
		ch.Status = Warn
		ch.Detail = fmt.Sprintf("the policies of RAM user %s could not be read (%s): not checked", user, errText(err))
		ch.Fix = "grant ram:ListPoliciesForUser, ram:ListGroupsForUser, ram:ListPoliciesForGroup and ram:GetPolicy, or check by hand against docs/preflight.md"
		return ch
	}
	var failing []string
	for _, ca := range CommandActions {
		cp := CommandPermission{Command: ca.Command, Allowed: true}
		for _, a := range ca.Actions {
			allowed, deniedBy := evaluate(docs, a)
			switch {
			case deniedBy != "":
				cp.Allowed = false
				cp.Denied = append(cp.Denied, a+" (denied by "+deniedBy+")")
			case !allowed:
				cp.Allowed = false
				cp.Missing = append(cp.Missing, a)
			}
		}
		if !cp.Allowed {
			why := append(append([]string(nil), cp.Denied...), cp.Missing...)
			failing = append(failing, fmt.Sprintf("%s (needs %s)", ca.Command, strings.Join(why, ", ")))
			ch.Items = append(ch.Items, ca.Command)
		}
		ch.Commands = append(ch.Commands, cp)
	}
	if len(failing) == 0 {
		ch.Status, ch.Detail = Pass, fmt.Sprintf("RAM user %s may run every command (%d policies read)", user, len(docs))
		return ch
	}
	ch.Status = Warn
	for _, f := range ch.Commands {
		if !f.Allowed && (f.Command == "audit" || f.Command == "contain") {
			ch.Status = Fail // the two commands an incident cannot do without
		}
	}
	ch.Detail = fmt.Sprintf("RAM user %s would fail with NoPermission in: %s", user, strings.Join(failing, "; "))
	ch.Fix = "attach a policy allowing the missing actions to " + user + " (or AdministratorAccess to a dedicated responder user), and remove the Deny statements that name them"
	return ch
}

// userPolicies returns the parsed default versions of the policies
// attached to user directly and through its groups.
func userPolicies(ctx context.Context, c Cloud, user string) ([]namedDoc, error) {
	attached, err := c.ListPoliciesForUser(ctx, user)
	if err != nil {
		return nil, err
	}
	groups, err := c.ListGroupsForUser(ctx, user)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		gp, err := c.ListPoliciesForGroup(ctx, g.GroupName)
		if err != nil {
			return nil, err
		}
		attached = append(attached, gp...)
	}
	seen := map[string]bool{}
	var out []namedDoc
	for _, a := range attached {
		k := a.PolicyType + "/" + a.PolicyName
		if seen[k] {
			continue
		}
		seen[k] = true
		p, err := c.GetPolicy(ctx, a.PolicyName, a.PolicyType)
		if err != nil {
			return nil, err
		}
		d, err := policy.ParsePolicy(p.Document)
		if err != nil {
			return nil, fmt.Errorf("policy %s: %w", a.PolicyName, err)
		}
		out = append(out, namedDoc{name: a.PolicyName, doc: d})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// evaluate says whether action is allowed by some statement and, when a
// Deny names it, which policy denies it (explicit Deny wins).
func evaluate(docs []namedDoc, action string) (allowed bool, deniedBy string) {
	for _, d := range docs {
		for _, s := range d.doc.Statement {
			if !statementMatches(s, action) {
				continue
			}
			switch s.Effect {
			case "Deny":
				if deniedBy == "" {
					deniedBy = d.name
				}
			case "Allow":
				allowed = true
			}
		}
	}
	return allowed, deniedBy
}

func statementMatches(s policy.Statement, action string) bool {
	if len(s.NotAction) > 0 {
		for _, p := range s.NotAction {
			if actionMatch(p, action) {
				return false
			}
		}
		return true
	}
	for _, p := range s.Action {
		if actionMatch(p, action) {
			return true
		}
	}
	return false
}

// actionMatch matches a RAM action pattern (* and ? wildcards, case-
// insensitive) against an action.
func actionMatch(pattern, action string) bool {
	ok, err := path.Match(strings.ToLower(pattern), strings.ToLower(action))
	return err == nil && ok
}
