package auth

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// A JWT session expires at the token's exp plus the allowed skew; other
// sessions do not expire.
func TestSessionExpires(t *testing.T) {
	a := newAuth(t, jwtConfig(t, secretJSON(t, map[string]any{"type": "HS256", "key": hmacKey, "allowed_skew": 7})))
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	claims := userClaims(nil)
	claims["exp"] = exp.Unix()
	s, err := a.Authenticate(t.Context(), bearer(sign(t, jwt.SigningMethodHS256, []byte(hmacKey), claims, "")), nil)
	s = wantSession(t, s, err, "user")
	if want := exp.Add(7 * time.Second); !s.Expires.Equal(want) {
		t.Fatalf("Expires = %v, want %v", s.Expires, want)
	}
	delete(claims, "exp")
	s, err = a.Authenticate(t.Context(), bearer(sign(t, jwt.SigningMethodHS256, []byte(hmacKey), claims, "")), nil)
	if s = wantSession(t, s, err, "user"); !s.Expires.IsZero() {
		t.Fatalf("a token without exp expires at %v", s.Expires)
	}
	s, err = a.Authenticate(t.Context(), hdr("X-Hasura-Admin-Secret", testSecret), nil)
	if s = wantSession(t, s, err, "admin"); !s.Expires.IsZero() {
		t.Fatalf("an admin-secret session expires at %v", s.Expires)
	}
}
