// Package policy renders and validates the documents akresp uses to contain
// a leaked Alibaba Cloud AccessKey, and parses the identifiers those
// documents talk about:
//
//   - ParseAccessKeyID: the shape of an AccessKey ID (current LTAI…, legacy,
//     STS.…), refusing — without echoing it — anything that looks like a
//     secret;
//   - ParseCIDR: one IPv4/IPv6 address or CIDR block;
//   - DenyHighRisk / ParsePolicy / SemanticallyEqual: the deny-high-risk RAM
//     permission policy (Alibaba's leak-response example plus optional
//     extended groups) and RAM policy documents in general;
//   - NetworkACL / ParseNetworkACL / ACL.Allows / ACLInactive: the
//     AccessKey network access policy (IMS SetAccessKeyPolicy document);
//   - CoversAllIPv4 / CoversAllIPv6 / ListCoverage / CheckAllowList /
//     ACL.PublicAccess / ACL.AllowedBeyond / Uncovered: what an allow list
//     really admits, computed over address ranges (0.0.0.0/1 + 128.0.0.0/1
//     covers IPv4 as 0.0.0.0/0 does), never by matching strings.
//
// Everything here is a pure function of its inputs: no I/O, no clock, no
// logging, no globals that change. The package must not import internal/cli,
// internal/cloud, internal/lab, cobra, any Alibaba Cloud SDK, or any printing
// package; callers (contain, the policy commands, the lab's tests) decide how
// to show the values and errors it returns.
//
// Errors wrap one of the sentinels ErrInvalidAccessKeyID, ErrInvalidCIDR,
// ErrInvalidPolicy or ErrInvalidACL, so callers can classify them with
// errors.Is (the CLI maps all four to a usage error, exit code 2).
package policy
