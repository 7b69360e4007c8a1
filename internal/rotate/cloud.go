package rotate

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/akresp/akresp/internal/cloud"
)

// cloudAdapter fits *cloud.Clients to the machine's interfaces: it maps
// plain cloud types to the machine's and "not found" errors to answers.
type cloudAdapter struct{ c *cloud.Clients }

// FromCloud adapts the Alibaba Cloud clients to Cloud.
func FromCloud(c *cloud.Clients) Cloud { return cloudAdapter{c} }

func (a cloudAdapter) UserByAccessKey(ctx context.Context, keyID string) (Owner, bool, error) {
	u, err := a.c.GetUserByAccessKey(ctx, keyID)
	if errors.Is(err, cloud.ErrNotFound) {
		var ae *cloud.APIError
		if errors.As(err, &ae) {
			return Owner{RequestID: ae.RequestID}, false, nil
		}
		return Owner{}, false, nil
	}
	if err != nil {
		return Owner{}, false, err
	}
	return Owner{UserName: u.UserName, UserPrincipalName: u.UserPrincipalName}, u.UserName != "", nil
}

func (a cloudAdapter) GetAccessKeyPolicy(ctx context.Context, keyID, upn string) (string, error) {
	return a.c.GetAccessKeyPolicy(ctx, keyID, upn)
}

func (a cloudAdapter) SetAccessKeyPolicy(ctx context.Context, keyID, upn, doc string) (string, error) {
	return a.c.SetAccessKeyPolicy(ctx, keyID, upn, doc)
}

func (a cloudAdapter) ListAccessKeys(ctx context.Context, userName string) ([]Key, error) {
	ks, err := a.c.ListAccessKeys(ctx, userName)
	if err != nil {
		return nil, err
	}
	out := make([]Key, 0, len(ks))
	for _, k := range ks {
		out = append(out, Key{ID: k.AccessKeyID, Status: k.Status, CreateDate: k.CreateDate})
	}
	return out, nil
}

func (a cloudAdapter) CreateAccessKey(ctx context.Context, userName string) (NewKey, error) {
	nk, err := a.c.CreateAccessKey(ctx, userName)
	if err != nil {
		return NewKey{}, err
	}
	return NewKey{ID: nk.AccessKeyID, Secret: nk.Secret, Status: nk.Status, CreateDate: nk.CreateDate, RequestID: nk.RequestID}, nil
}

func (a cloudAdapter) UpdateAccessKeyStatus(ctx context.Context, userName, keyID, status string) (string, error) {
	return a.c.UpdateAccessKeyStatus(ctx, userName, keyID, status)
}

func (a cloudAdapter) DeleteAccessKey(ctx context.Context, userName, keyID string) (string, error) {
	return a.c.DeleteAccessKey(ctx, userName, keyID)
}

func (a cloudAdapter) AccessKeyLastUsedInfo(ctx context.Context, keyID string) (LastUsedInfo, error) {
	i, err := a.c.AccessKeyLastUsedInfo(ctx, keyID)
	if err != nil {
		return LastUsedInfo{}, err
	}
	return LastUsedInfo{Found: i.Found, AccountType: i.AccountType, ServiceName: i.ServiceName, Source: i.Source, UsedAt: i.UsedAt}, nil
}

func (a cloudAdapter) GetAccessKeyLastUsed(ctx context.Context, userName, keyID string) (time.Time, error) {
	return a.c.GetAccessKeyLastUsed(ctx, userName, keyID)
}

func (a cloudAdapter) LookupEvents(ctx context.Context, q Query, page func([]json.RawMessage) error) error {
	return a.c.LookupEvents(ctx, cloud.LookupQuery{AttributeKey: q.AttributeKey, AttributeValue: q.AttributeValue,
		Start: q.Start, End: q.End, Direction: "FORWARD"}, page)
}

func (a cloudAdapter) CallerIdentity(ctx context.Context) (Caller, error) {
	c, err := a.c.GetCallerIdentity(ctx)
	if err != nil {
		return Caller{}, err
	}
	return Caller{IdentityType: c.IdentityType, AccountID: c.AccountID, Arn: c.Arn}, nil
}

func (a cloudAdapter) CredentialKeyID(ctx context.Context) (string, error) {
	return a.c.CredentialKeyID(ctx)
}

// ErrorCode extracts the cloud error code for the journal.
func (a cloudAdapter) ErrorCode(err error) string {
	var ae *cloud.APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}
