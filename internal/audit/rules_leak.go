package audit

// leakRules is the USE-AFTER-LEAK rule: use after the leak time, evaluated
// in rules_context.go (useAfterLeak).
var leakRules = []ruleDef{
	{
		RuleInfo: RuleInfo{ID: "USE-AFTER-LEAK", Title: "Key used after the leak time", Severity: Medium, SeverityText: "medium for uses from new or untrusted sources; info when only known sources used it",
			Logic:      "Every event at or after --leak-time from a source that is new or outside --trusted-cidr.",
			Parameters: "--leak-time, --trusted-cidr.",
			Why:        "Once a key is public, every call from an unknown place may be the attacker's.",
			Attack:     []string{"T1078.004"}},
		eval:  (*Engine).useAfterLeak,
		tests: []string{"TestUseAfterLeak"},
	},
}
