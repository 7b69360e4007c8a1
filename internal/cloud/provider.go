package cloud

import (
	"context"
	"time"

	"github.com/akresp/akresp/internal/redact"
)

// CredentialLease is how long a credential handed out by CredentialFunc
// is declared valid. The credentials-go providers refresh STS and role
// credentials themselves before they expire, so a consumer that caches
// the answer (the SLS SDK refreshes two minutes ahead of expiry) asks
// again well within any STS token's life.
const CredentialLease = 10 * time.Minute

// CredentialFunc returns the credentials c signs with (the static
// credential, the profile or the default chain, including STS tokens that
// credentials-go refreshes), for the clients of services internal/cloud
// does not wrap itself, such as SLS (internal/cloud/slsq). The secret and
// token come back as redact.Secret; expire is when to ask again (a lease,
// see CredentialLease). Resolving may mean a network round trip inside
// credentials-go; the returned function gives up when ctx ends.
//
// Errors are *APIError with class ErrInvalidCredentials; they never carry
// secret values.
func (c *Clients) CredentialFunc(ctx context.Context) func() (id string, secret, token redact.Secret, expire time.Time, err error) {
	const api = "credentials:GetCredential"
	return func() (string, redact.Secret, redact.Secret, time.Time, error) {
		if sc := c.s.Credential; sc != nil {
			return sc.AccessKeyID, sc.AccessKeySecret, sc.SecurityToken, time.Now().Add(CredentialLease), nil
		}
		type result struct {
			id, secret, token string
			err               error
		}
		ch := make(chan result, 1)
		go func() {
			m, err := c.cred.GetCredential()
			if err != nil {
				ch <- result{err: err}
				return
			}
			ch <- result{id: str(m.AccessKeyId), secret: str(m.AccessKeySecret), token: str(m.SecurityToken)}
		}()
		var r result
		select {
		case r = <-ch:
		case <-ctx.Done():
			return "", "", "", time.Time{}, &APIError{API: api, Err: ctx.Err(), Message: "interrupted: " + ctx.Err().Error(), class: errNoClass}
		}
		switch {
		case r.err != nil:
			return "", "", "", time.Time{}, &APIError{API: api, Message: r.err.Error(), Err: r.err, class: ErrInvalidCredentials}
		case r.id == "" || r.secret == "":
			return "", "", "", time.Time{}, &APIError{API: api, Message: "the credential has no AccessKey pair (bearer token?)", class: ErrInvalidCredentials}
		}
		return r.id, redact.Secret(r.secret), redact.Secret(r.token), time.Now().Add(CredentialLease), nil
	}
}
