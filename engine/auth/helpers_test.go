package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/stratagql/strata/engine/hasuraerr"
)

const (
	testSecret = "test-admin-secret"
	namespace  = "https://hasura.io/jwt/claims"
	hmacKey    = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" // 64 bytes
)

func newAuth(t *testing.T, cfg Config) *Authenticator {
	t.Helper()
	a, err := New(t.Context(), cfg, &http.Client{Timeout: 5 * time.Second}, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(a.Close)
	return a
}

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func bearer(tok string) http.Header { return hdr("Authorization", "Bearer "+tok) }

func rsaKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func ecKey(t *testing.T, c elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func edKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pemPublic(t *testing.T, pub any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func sign(t *testing.T, m jwt.SigningMethod, key any, claims jwt.MapClaims, kid string) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return s
}

// userClaims are valid claims for roles user and editor (default user).
func userClaims(extra map[string]any) jwt.MapClaims {
	hc := map[string]any{
		"x-hasura-allowed-roles": []string{"user", "editor"},
		"x-hasura-default-role":  "user",
		"x-hasura-user-id":       "42",
	}
	for k, v := range extra {
		hc[k] = v
	}
	return jwt.MapClaims{
		"sub":     "42",
		"iat":     time.Now().Add(-time.Minute).Unix(),
		"exp":     time.Now().Add(time.Hour).Unix(),
		namespace: hc,
	}
}

func wantSession(t *testing.T, s *Session, err *hasuraerr.Error, role string) *Session {
	t.Helper()
	if err != nil {
		t.Fatalf("want role %q, got error %s (status %d)", role, err, err.Status)
	}
	if s.Role != role || s.Vars["x-hasura-role"] != role {
		t.Fatalf("role = %q / vars %v, want %q", s.Role, s.Vars, role)
	}
	return s
}

func wantError(t *testing.T, s *Session, err *hasuraerr.Error, code, msg string, status int) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s %q, got session %+v", code, msg, s)
	}
	if err.Code != code || !strings.Contains(err.Message, msg) || err.Status != status {
		t.Fatalf("got %s %q (status %d), want %s containing %q (status %d)", err.Code, err.Message, err.Status, code, msg, status)
	}
}
