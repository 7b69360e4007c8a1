package cloud

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aliyun/credentials-go/credentials"
	"github.com/aliyun/credentials-go/credentials/providers"
)

// newCredential builds the credential every SDK client signs with.
//
//   - Config.Credential: a credentials-go "access_key" or "sts" credential.
//   - Config.Profile: that profile from the aliyun CLI config, falling back
//     to the credentials file; the process environment is never touched.
//   - otherwise credentials.NewCredential(nil), the default chain. The
//     openapi client does not run the chain by itself (alibaba-cloud-api.md
//     §2), so it must be passed explicitly.
//
// Nothing here touches the network: providers resolve on first use.
func newCredential(s settings) (credentials.Credential, error) {
	var (
		cred credentials.Credential
		err  error
	)
	switch {
	case s.Credential != nil:
		c := s.Credential
		cfg := new(credentials.Config).
			SetType("access_key").
			SetAccessKeyId(c.AccessKeyID).
			SetAccessKeySecret(c.AccessKeySecret.Reveal())
		if !c.SecurityToken.IsZero() {
			cfg.SetType("sts").SetSecurityToken(c.SecurityToken.Reveal())
		}
		cred, err = credentials.NewCredential(cfg)
		if err != nil {
			// credentials-go's messages name fields, never values.
			return nil, fmt.Errorf("cloud config: static credential: %w", err)
		}
	case s.Profile != "":
		cred = credentials.FromCredentialsProvider("profile", newProfileProvider(s.Profile))
	default:
		cred, err = credentials.NewCredential(nil)
		if err != nil {
			return nil, fmt.Errorf("cloud config: default credential chain: %w", err)
		}
	}
	return &lockedCredential{inner: cred, profile: s.Profile}, nil
}

// lockedCredential serialises a credentials-go Credential. The CLI-profile,
// profile and default-chain providers initialise lazily without locking,
// and akresp fans calls out over goroutines.
type lockedCredential struct {
	mu      sync.Mutex
	inner   credentials.Credential
	profile string // the --profile it resolves, for CredentialsError
}

var _ credentials.Credential = (*lockedCredential)(nil)

// String keeps the wrapped provider (which holds secrets) out of fmt.
func (l *lockedCredential) String() string { return "cloud.credential([REDACTED])" }

// GetCredential implements credentials.Credential; failures become a
// CredentialsError so the retry loop neither retries nor misreads them as
// network trouble, and the user reads the three ways to give credentials
// instead of credentials-go's chain text.
func (l *lockedCredential) GetCredential() (*credentials.CredentialModel, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m, err := l.inner.GetCredential()
	if err != nil {
		return nil, &CredentialsError{Profile: l.profile, Cause: err}
	}
	return m, nil
}

// GetAccessKeyId implements the deprecated part of credentials.Credential.
func (l *lockedCredential) GetAccessKeyId() (*string, error) {
	m, err := l.GetCredential()
	if err != nil {
		return nil, err
	}
	return m.AccessKeyId, nil
}

// GetAccessKeySecret implements the deprecated part of credentials.Credential.
func (l *lockedCredential) GetAccessKeySecret() (*string, error) {
	m, err := l.GetCredential()
	if err != nil {
		return nil, err
	}
	return m.AccessKeySecret, nil
}

// GetSecurityToken implements the deprecated part of credentials.Credential.
func (l *lockedCredential) GetSecurityToken() (*string, error) {
	m, err := l.GetCredential()
	if err != nil {
		return nil, err
	}
	return m.SecurityToken, nil
}

// GetBearerToken implements credentials.Credential.
func (l *lockedCredential) GetBearerToken() *string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.inner.GetBearerToken()
}

// GetType implements credentials.Credential.
func (l *lockedCredential) GetType() *string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.inner.GetType()
}

// resolveKeyID resolves the credential (which may mean an STS or metadata
// round trip inside credentials-go, which takes no context) and returns
// its AccessKey ID, giving up when ctx ends.
func resolveKeyID(ctx context.Context, cred credentials.Credential) (string, error) {
	type result struct {
		id  string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		m, err := cred.GetCredential()
		if err != nil {
			ch <- result{err: err}
			return
		}
		id := ""
		if m.AccessKeyId != nil {
			id = *m.AccessKeyId
		}
		ch <- result{id: id}
	}()
	select {
	case r := <-ch:
		return r.id, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// profileProvider resolves a named profile: the aliyun CLI config first
// (~/.aliyun/config.json, ALIBABA_CLOUD_CONFIG_FILE), then the credentials
// file (~/.alibabacloud/credentials, ALIBABA_CLOUD_CREDENTIALS_FILE). The
// first source that yields credentials is kept for later calls.
type profileProvider struct {
	name    string
	sources []providers.CredentialsProvider
	chosen  providers.CredentialsProvider
}

func newProfileProvider(name string) *profileProvider {
	p := &profileProvider{name: name}
	// The CLI builder fails only when ALIBABA_CLOUD_CLI_PROFILE_DISABLED is
	// set; the file builder never fails.
	if cli, err := providers.NewCLIProfileCredentialsProviderBuilder().WithProfileName(name).Build(); err == nil {
		p.sources = append(p.sources, cli)
	}
	if file, err := providers.NewProfileCredentialsProviderBuilder().WithProfileName(name).Build(); err == nil {
		p.sources = append(p.sources, file)
	}
	return p
}

// GetCredentials implements providers.CredentialsProvider.
func (p *profileProvider) GetCredentials() (*providers.Credentials, error) {
	if p.chosen != nil {
		return p.chosen.GetCredentials()
	}
	var errs []error
	for _, src := range p.sources {
		cc, err := src.GetCredentials()
		if err == nil {
			p.chosen = src
			return cc, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", src.GetProviderName(), err))
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("profile %q: no profile source is enabled", p.name)
	}
	return nil, fmt.Errorf("profile %q not usable: %w", p.name, errors.Join(errs...))
}

// GetProviderName implements providers.CredentialsProvider.
func (p *profileProvider) GetProviderName() string { return "profile" }
