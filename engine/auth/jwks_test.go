package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// jwksServer serves a JWK set that tests can change.
type jwksServer struct {
	mu           sync.Mutex
	keys         []map[string]any
	cacheControl string
	status       int
	hits         atomic.Int32
	srv          *httptest.Server
}

func newJWKSServer(t *testing.T, cacheControl string, keys ...map[string]any) *jwksServer {
	t.Helper()
	s := &jwksServer{keys: keys, cacheControl: cacheControl, status: http.StatusOK}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.cacheControl != "" {
			w.Header().Set("Cache-Control", s.cacheControl)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(s.status)
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": s.keys})
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *jwksServer) set(status int, keys ...map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.keys = status, keys
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func rsaJWK(kid string, k *rsa.PublicKey) map[string]any {
	return map[string]any{"kty": "RSA", "kid": kid, "use": "sig", "n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}
}

func ecJWK(t *testing.T, kid string, k *ecdsa.PublicKey) map[string]any {
	t.Helper()
	raw, err := k.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	n := (len(raw) - 1) / 2
	crv := map[int]string{256: "P-256", 384: "P-384", 521: "P-521"}[k.Curve.Params().BitSize]
	return map[string]any{"kty": "EC", "kid": kid, "crv": crv, "x": b64(raw[1 : 1+n]), "y": b64(raw[1+n:])}
}

func edJWK(kid string, k ed25519.PublicKey) map[string]any {
	return map[string]any{"kty": "OKP", "kid": kid, "crv": "Ed25519", "x": b64(k)}
}

func jwksAuth(t *testing.T, url string, refetch time.Duration) *Authenticator {
	t.Helper()
	cfg := jwtConfig(t, secretJSON(t, map[string]any{"jwk_url": url}))
	cfg.JWKRefetchInterval = refetch
	return newAuth(t, cfg)
}

func TestJWKSKeyTypes(t *testing.T) {
	rk, ek, dk := rsaKey(t), ecKey(t, elliptic.P384()), edKey(t)
	srv := newJWKSServer(t, "", rsaJWK("r", &rk.PublicKey), ecJWK(t, "e", &ek.PublicKey), edJWK("d", dk.Public().(ed25519.PublicKey)),
		map[string]any{"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
		map[string]any{"kty": "oct", "kid": "h", "k": b64([]byte(hmacKey))})
	a := jwksAuth(t, srv.srv.URL, time.Hour)
	ok := []string{
		sign(t, jwt.SigningMethodRS256, rk, userClaims(nil), "r"),
		sign(t, jwt.SigningMethodRS512, rk, userClaims(nil), "r"),
		sign(t, jwt.SigningMethodRS256, rk, userClaims(nil), ""), // no kid: matched by algorithm
		sign(t, jwt.SigningMethodES384, ek, userClaims(nil), "e"),
		sign(t, jwt.SigningMethodEdDSA, dk, userClaims(nil), "d"),
	}
	for i, tok := range ok {
		s, err := a.Authenticate(t.Context(), bearer(tok), nil)
		if err != nil {
			t.Fatalf("token %d: %v", i, err)
		}
		wantSession(t, s, err, "user")
	}
	bad := []string{
		sign(t, jwt.SigningMethodHS256, []byte(hmacKey), userClaims(nil), "h"), // HMAC never verifies from a JWK set
		sign(t, jwt.SigningMethodRS256, rk, userClaims(nil), "e"),              // kid of an EC key
		sign(t, jwt.SigningMethodES384, ek, userClaims(nil), "unknown"),
	}
	for i, tok := range bad {
		s, err := a.Authenticate(t.Context(), bearer(tok), nil)
		if err == nil || err.Code != "invalid-jwt" || err.Message != "Could not verify JWT: JWSError NoUsableKeys" {
			t.Fatalf("bad token %d: %+v %v", i, s, err)
		}
	}
	if n := srv.hits.Load(); n != 1 {
		t.Fatalf("JWK endpoint hit %d times, want 1 (refetch throttled)", n)
	}
}

func TestJWKSRotationOnUnknownKid(t *testing.T) {
	oldK, newK := rsaKey(t), rsaKey(t)
	srv := newJWKSServer(t, "", rsaJWK("old", &oldK.PublicKey))
	a := jwksAuth(t, srv.srv.URL, time.Hour)
	s, err := a.Authenticate(t.Context(), bearer(sign(t, jwt.SigningMethodRS256, oldK, userClaims(nil), "old")), nil)
	wantSession(t, s, err, "user")

	newTok := sign(t, jwt.SigningMethodRS256, newK, userClaims(nil), "new")
	pastRefetchInterval(a)
	s, err = a.Authenticate(t.Context(), bearer(newTok), nil)
	wantError(t, s, err, "invalid-jwt", "NoUsableKeys", 400)
	if n := srv.hits.Load(); n != 2 {
		t.Fatalf("hits = %d, want 2 (one refetch for the unknown kid)", n)
	}
	// Within the refetch interval an unknown kid does not hit the endpoint.
	_, _ = a.Authenticate(t.Context(), bearer(newTok), nil)
	if n := srv.hits.Load(); n != 2 {
		t.Fatalf("hits = %d, want 2 (throttled)", n)
	}

	srv.set(http.StatusOK, rsaJWK("new", &newK.PublicKey))
	pastRefetchInterval(a)
	s, err = a.Authenticate(t.Context(), bearer(newTok), nil)
	wantSession(t, s, err, "user")
	// The old key left the set.
	pastRefetchInterval(a)
	s, err = a.Authenticate(t.Context(), bearer(sign(t, jwt.SigningMethodRS256, oldK, userClaims(nil), "old")), nil)
	wantError(t, s, err, "invalid-jwt", "NoUsableKeys", 400)
	if n := srv.hits.Load(); n != 4 {
		t.Fatalf("hits = %d, want 4 (a refetch for the old kid)", n)
	}
}

// pastRefetchInterval makes the last fetch of a's JWK sets older than the
// refetch interval, instead of waiting for the interval to pass.
func pastRefetchInterval(a *Authenticator) {
	for _, v := range a.jwts {
		if s := v.jwks; s != nil {
			s.mu.Lock()
			s.fetchedAt = s.fetchedAt.Add(-s.minInterval)
			s.mu.Unlock()
		}
	}
}

func TestJWKSRefreshHonoursCacheControl(t *testing.T) {
	oldK, newK := rsaKey(t), rsaKey(t)
	srv := newJWKSServer(t, "public, max-age=1", rsaJWK("old", &oldK.PublicKey))
	a := jwksAuth(t, srv.srv.URL, time.Hour) // on-demand refetch suppressed
	srv.set(http.StatusOK, rsaJWK("old", &oldK.PublicKey), rsaJWK("new", &newK.PublicKey))
	newTok := sign(t, jwt.SigningMethodRS256, newK, userClaims(nil), "new")

	start := time.Now()
	s, err := a.Authenticate(t.Context(), bearer(newTok), nil)
	wantError(t, s, err, "invalid-jwt", "NoUsableKeys", 400)
	deadline := time.Now().Add(5 * time.Second)
	for err != nil && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		s, err = a.Authenticate(t.Context(), bearer(newTok), nil)
	}
	wantSession(t, s, err, "user")
	if waited := time.Since(start); waited < 800*time.Millisecond {
		t.Fatalf("the new key was picked up after %v, before max-age", waited)
	}
}

func TestJWKSFailureKeepsLastGoodKeys(t *testing.T) {
	k := rsaKey(t)
	srv := newJWKSServer(t, "max-age=1", rsaJWK("k", &k.PublicKey))
	a := jwksAuth(t, srv.srv.URL, time.Hour)
	srv.set(http.StatusInternalServerError)
	deadline := time.Now().Add(5 * time.Second)
	for srv.hits.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if srv.hits.Load() < 2 {
		t.Fatal("no background refresh happened")
	}
	s, err := a.Authenticate(t.Context(), bearer(sign(t, jwt.SigningMethodRS256, k, userClaims(nil), "k")), nil)
	wantSession(t, s, err, "user")
}

func TestJWKSUnreachableAtStart(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	a := jwksAuth(t, url, time.Hour)
	k := rsaKey(t)
	s, err := a.Authenticate(t.Context(), bearer(sign(t, jwt.SigningMethodRS256, k, userClaims(nil), "k")), nil)
	wantError(t, s, err, "invalid-jwt", "NoUsableKeys", 400)
}

func TestCacheLifetime(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		h    http.Header
		want time.Duration
		ok   bool
	}{
		{hdr("Cache-Control", "public, max-age=300"), 300 * time.Second, true},
		{hdr("Cache-Control", `max-age="60", must-revalidate`), time.Minute, true},
		{hdr("Cache-Control", "no-cache, max-age=300"), 0, true},
		{hdr("Cache-Control", "no-store"), 0, true},
		{hdr("Cache-Control", "max-age=99999999999999"), maxCacheSeconds * time.Second, true},
		{hdr("Expires", now.Add(90*time.Second).Format(http.TimeFormat)), 90 * time.Second, true},
		{hdr("Expires", now.Add(90*time.Second).Format(http.TimeFormat), "Date", now.Add(30*time.Second).Format(http.TimeFormat)), time.Minute, true},
		{hdr("Expires", "0"), 0, true},
		{hdr("Expires", now.Add(-time.Hour).Format(http.TimeFormat)), 0, true},
		{hdr(), 0, false},
		{hdr("Cache-Control", "private"), 0, false},
	}
	for i, c := range cases {
		got, ok := cacheLifetime(c.h, now)
		if got != c.want || ok != c.ok {
			t.Errorf("case %d: got %v %v, want %v %v", i, got, ok, c.want, c.ok)
		}
	}
}

func TestJWKSTypeNarrowsAlgorithms(t *testing.T) {
	rk, ek := rsaKey(t), ecKey(t, elliptic.P256())
	srv := newJWKSServer(t, "", rsaJWK("r", &rk.PublicKey), ecJWK(t, "e", &ek.PublicKey))
	a := newAuth(t, jwtConfig(t, secretJSON(t, map[string]any{"jwk_url": srv.srv.URL, "type": "ES256"})))
	s, err := a.Authenticate(t.Context(), bearer(sign(t, jwt.SigningMethodES256, ek, userClaims(nil), "e")), nil)
	wantSession(t, s, err, "user")
	s, err = a.Authenticate(t.Context(), bearer(sign(t, jwt.SigningMethodRS256, rk, userClaims(nil), "r")), nil)
	wantError(t, s, err, "invalid-jwt", "NoUsableKeys", 400)
}

func TestConcurrentAuthentication(t *testing.T) {
	k := rsaKey(t)
	srv := newJWKSServer(t, "max-age=1", rsaJWK("k", &k.PublicKey))
	a := jwksAuth(t, srv.srv.URL, time.Millisecond)
	good := sign(t, jwt.SigningMethodRS256, k, userClaims(nil), "k")
	unknown := sign(t, jwt.SigningMethodRS256, k, userClaims(nil), "other")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 25 {
				tok := good
				if (i+j)%3 == 0 {
					tok = unknown
				}
				s, err := a.Authenticate(t.Context(), bearer(tok), nil)
				if tok == good && err != nil {
					t.Errorf("good token refused: %v", err)
					return
				}
				if tok == unknown && s != nil {
					t.Errorf("unknown kid accepted")
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestCloseStopsBackgroundRefresh(t *testing.T) {
	k := rsaKey(t)
	srv := newJWKSServer(t, "max-age=1", rsaJWK("k", &k.PublicKey))
	cfg := jwtConfig(t, secretJSON(t, map[string]any{"jwk_url": srv.srv.URL}))
	a, err := New(t.Context(), cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	before := srv.hits.Load()
	time.Sleep(1300 * time.Millisecond)
	if after := srv.hits.Load(); after != before {
		t.Fatalf("JWK set fetched %d times after Close", after-before)
	}
}
