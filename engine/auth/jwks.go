package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Bounds of JWK set fetching.
const (
	jwksFetchTimeout = 10 * time.Second
	maxJWKSBytes     = 1 << 20
	minJWKSRefresh   = time.Second
	maxJWKSRefresh   = 24 * time.Hour
)

// jwkSet is the JWK set behind one jwk_url: fetched once at start, then
// refreshed when the response's Cache-Control max-age or Expires says so,
// and on demand (at most once per minInterval) when a token names a key it
// does not hold. A failed fetch keeps the last good keys.
type jwkSet struct {
	url         string
	logURL      string
	client      *http.Client
	log         *slog.Logger
	minInterval time.Duration

	mu        sync.RWMutex
	keys      []jwk
	refreshIn time.Duration // from the last good response; 0: no refresh asked
	fetchedAt time.Time     // last attempt
	failed    bool          // the last attempt failed

	fetchMu sync.Mutex // one fetch at a time
	changed chan struct{}
}

func newJWKSet(rawURL string, client *http.Client, minInterval time.Duration, log *slog.Logger) (*jwkSet, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New(`"jwk_url" must be an http or https URL`)
	}
	return &jwkSet{
		url:         rawURL,
		logURL:      logSafeURL(u),
		client:      client,
		log:         log,
		minInterval: minInterval,
		changed:     make(chan struct{}, 1),
	}, nil
}

// initialFetch loads the keys before the engine serves; failure is logged
// and retried by run.
func (s *jwkSet) initialFetch(ctx context.Context) {
	if err := s.refresh(ctx, true); err != nil {
		s.log.Warn("could not fetch the JWK set; will retry", "jwk_url", s.logURL, "error", err)
	}
}

// run refreshes the keys in the background until ctx ends.
func (s *jwkSet) run(ctx context.Context) {
	for {
		d, ok := s.nextRefresh(time.Now())
		var timer *time.Timer
		var fire <-chan time.Time
		if ok {
			timer = time.NewTimer(d)
			fire = timer.C
		}
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return
		case <-s.changed:
			if timer != nil {
				timer.Stop()
			}
		case <-fire:
			if err := s.refresh(ctx, true); err != nil && ctx.Err() == nil {
				s.log.Warn("could not refresh the JWK set; keeping the previous keys", "jwk_url", s.logURL, "error", err)
			}
		}
	}
}

// nextRefresh is the delay before the next background fetch, if any.
func (s *jwkSet) nextRefresh(now time.Time) (time.Duration, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var every time.Duration
	switch {
	case s.failed:
		every = max(s.minInterval, minJWKSRefresh)
	case s.refreshIn > 0:
		every = min(max(s.refreshIn, minJWKSRefresh), maxJWKSRefresh)
	default:
		return 0, false
	}
	return max(s.fetchedAt.Add(every).Sub(now), 0), true
}

// keysFor returns the keys that may verify a token with this kid and alg,
// fetching the set again when none does and the last fetch is old enough.
func (s *jwkSet) keysFor(ctx context.Context, kid, alg string) []any {
	if keys := s.match(kid, alg); len(keys) > 0 {
		return keys
	}
	if err := s.refresh(ctx, false); err != nil {
		s.log.Warn("could not refetch the JWK set for an unknown key", "jwk_url", s.logURL, "error", err)
	}
	return s.match(kid, alg)
}

func (s *jwkSet) match(kid, alg string) []any {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []any
	for _, k := range s.keys {
		if (kid == "" || k.kid == kid) && k.allows(alg) {
			out = append(out, k.key)
		}
	}
	return out
}

// refresh fetches the set. Unless force is set, it does nothing when the
// last attempt is more recent than minInterval.
func (s *jwkSet) refresh(ctx context.Context, force bool) error {
	s.fetchMu.Lock()
	defer s.fetchMu.Unlock()
	s.mu.RLock()
	recent := time.Since(s.fetchedAt) < s.minInterval
	s.mu.RUnlock()
	if !force && recent {
		return nil
	}
	keys, refreshIn, err := s.fetch(ctx)
	s.mu.Lock()
	s.fetchedAt = time.Now()
	s.failed = err != nil
	if err == nil {
		s.keys, s.refreshIn = keys, refreshIn
	}
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
	return err
}

func (s *jwkSet) fetch(ctx context.Context) ([]jwk, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, jwksFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("GET: %w", unwrapURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("GET: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, 0, fmt.Errorf("read body: %w", err)
	}
	if len(body) > maxJWKSBytes {
		return nil, 0, fmt.Errorf("the JWK set exceeds %d bytes", maxJWKSBytes)
	}
	keys, skipped, err := parseJWKSet(body)
	if err != nil {
		return nil, 0, err
	}
	if skipped > 0 {
		s.log.Debug("skipped unusable keys of the JWK set", "jwk_url", s.logURL, "skipped", skipped)
	}
	refreshIn, _ := cacheLifetime(resp.Header, time.Now())
	return keys, refreshIn, nil
}

// keyFunc verifies with the JWK set's keys fitting the token's kid and alg.
func (s *jwkSet) keyFunc(ctx context.Context) jwt.Keyfunc {
	return func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		keys := s.keysFor(ctx, kid, t.Method.Alg())
		switch len(keys) {
		case 0:
			return nil, errNoUsableKeys
		case 1:
			return keys[0], nil
		}
		set := jwt.VerificationKeySet{Keys: make([]jwt.VerificationKey, len(keys))}
		for i, k := range keys {
			set.Keys[i] = k
		}
		return set, nil
	}
}

// unwrapURLError drops the URL net/http puts in its errors (it may carry
// credentials); the logs name the redacted URL instead.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// logSafeURL is the URL without credentials, query or fragment, which may
// carry secrets.
func logSafeURL(u *url.URL) string {
	c := *u
	c.User, c.RawQuery, c.ForceQuery, c.Fragment, c.RawFragment = nil, "", false, "", ""
	return c.String()
}
