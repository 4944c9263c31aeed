// Package auth resolves the session a request acts as, following Hasura
// v2's authentication modes: the admin secret (HASURA_GRAPHQL_ADMIN_SECRET
// and _SECRETS), JWT (HASURA_GRAPHQL_JWT_SECRET and _SECRETS, with static
// keys or a refreshed JWK set), the authentication webhook
// (HASURA_GRAPHQL_AUTH_HOOK, GET or POST), and the unauthorized role
// (HASURA_GRAPHQL_UNAUTHORIZED_ROLE) for requests without credentials.
package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/stratagql/strata/engine/config"
	"github.com/stratagql/strata/engine/hasuraerr"
)

// Defaults for the tunables of Config.
const (
	DefaultHookTimeout        = 10 * time.Second
	DefaultHookCacheSize      = 4096
	DefaultJWKRefetchInterval = 10 * time.Second
)

// Config is what the authenticator needs from the engine configuration.
type Config struct {
	AdminSecrets            []string
	JWTSecrets              []config.JWTSecret
	AuthHook                string
	AuthHookMode            string // GET (default) or POST
	AuthHookSendRequestBody bool
	UnauthorizedRole        string

	// HookTimeout bounds one webhook call (DefaultHookTimeout when 0).
	HookTimeout time.Duration
	// HookCacheSize bounds the cached webhook answers (DefaultHookCacheSize
	// when 0).
	HookCacheSize int
	// JWKRefetchInterval is the least time between two fetches of a JWK set
	// triggered by tokens naming an unknown key, and the retry delay after
	// a failed fetch (DefaultJWKRefetchInterval when 0).
	JWKRefetchInterval time.Duration
}

// ConfigFrom takes the authentication settings of the engine configuration.
func ConfigFrom(c *config.Config) Config {
	return Config{
		AdminSecrets:            c.AdminSecrets,
		JWTSecrets:              c.JWTSecrets,
		AuthHook:                c.AuthHook,
		AuthHookMode:            c.AuthHookMode,
		AuthHookSendRequestBody: c.AuthHookSendRequestBody,
		UnauthorizedRole:        c.UnauthorizedRole,
	}
}

// Authenticator resolves request sessions. It is safe for concurrent use.
type Authenticator struct {
	secrets          secretSet
	unauthorizedRole string
	jwts             []*jwtVerifier
	hook             *webhook
	log              *slog.Logger

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New builds an Authenticator. JWK sets named by jwk_url are fetched once
// before New returns (a failure is logged, not fatal: the keys are fetched
// again in the background) and then refreshed in the background until ctx
// ends or Close is called. httpClient is used for JWK sets and the webhook;
// nil means a client with a 30s timeout.
func New(ctx context.Context, cfg Config, httpClient *http.Client, log *slog.Logger) (*Authenticator, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.HookTimeout <= 0 {
		cfg.HookTimeout = DefaultHookTimeout
	}
	if cfg.HookCacheSize <= 0 {
		cfg.HookCacheSize = DefaultHookCacheSize
	}
	if cfg.JWKRefetchInterval <= 0 {
		cfg.JWKRefetchInterval = DefaultJWKRefetchInterval
	}
	if len(cfg.JWTSecrets) > 0 && cfg.AuthHook != "" {
		return nil, errors.New("auth: JWT and an auth hook cannot be configured together")
	}
	a := &Authenticator{
		secrets:          newSecretSet(cfg.AdminSecrets),
		unauthorizedRole: cfg.UnauthorizedRole,
		log:              log,
	}
	var sets []*jwkSet
	for i, s := range cfg.JWTSecrets {
		v, err := newJWTVerifier(s, httpClient, cfg.JWKRefetchInterval, log)
		if err != nil {
			return nil, fmt.Errorf("auth: JWT configuration %d: %w", i, err)
		}
		a.jwts = append(a.jwts, v)
		if v.jwks != nil {
			sets = append(sets, v.jwks)
		}
	}
	if cfg.AuthHook != "" {
		h, err := newWebhook(cfg, httpClient, log)
		if err != nil {
			return nil, fmt.Errorf("auth: auth hook: %w", err)
		}
		a.hook = h
	}
	bg, cancel := context.WithCancel(ctx)
	a.cancel = cancel
	for _, s := range sets {
		s.initialFetch(bg)
		a.wg.Add(1)
		go func(s *jwkSet) {
			defer a.wg.Done()
			s.run(bg)
		}(s)
	}
	return a, nil
}

// Close stops background JWK refreshes and waits for them to end.
func (a *Authenticator) Close() {
	a.cancel()
	a.wg.Wait()
}

// NeedsBody reports whether Authenticate uses the request body (POST-mode
// webhook sending the GraphQL request), so callers can skip reading it
// before authenticating otherwise.
func (a *Authenticator) NeedsBody() bool {
	return a.hook != nil && a.hook.post && a.hook.sendBody
}

// Authenticate resolves the session of a request from its headers. body is
// the raw GraphQL request, sent to a POST-mode webhook; it may be nil
// otherwise. The order is Hasura's: no admin secret configured means every
// request is admin; a sent admin secret must be valid and bypasses JWT and
// the webhook; otherwise JWT, the webhook, or the unauthorized role decide.
func (a *Authenticator) Authenticate(ctx context.Context, h http.Header, body []byte) (*Session, *hasuraerr.Error) {
	if len(a.secrets) == 0 {
		return adminSession(h), nil
	}
	if v, sent := sentAdminSecret(h); sent {
		if !a.secrets.match(v) {
			return nil, errInvalidAdminSecret()
		}
		return adminSession(h), nil
	}
	switch {
	case len(a.jwts) > 0:
		return a.authenticateJWT(ctx, h)
	case a.hook != nil:
		return a.hook.authenticate(ctx, h, body)
	case a.unauthorizedRole != "":
		return a.unauthorizedSession(h), nil
	}
	return nil, errAdminSecretRequired()
}

// unauthorizedSession is the session of a request without credentials when
// an unauthorized role is configured. As in Hasura, the request's own
// x-hasura-* headers are its session variables: they are not trustworthy,
// which is why permissions of that role should not use them.
func (a *Authenticator) unauthorizedSession(h http.Header) *Session {
	return newSession(a.unauthorizedRole, headerVars(h), nil)
}
