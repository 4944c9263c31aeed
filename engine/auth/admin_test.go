package auth

import (
	"net/http"
	"testing"
)

func TestDevModeEveryRequestIsAdmin(t *testing.T) {
	a := newAuth(t, Config{})
	s, err := a.Authenticate(t.Context(), hdr(), nil)
	s = wantSession(t, s, err, "admin")
	if !s.Admin {
		t.Fatal("dev mode session is not admin")
	}
	s, err = a.Authenticate(t.Context(), hdr("X-Hasura-Role", "user", "X-Hasura-User-Id", "7"), nil)
	s = wantSession(t, s, err, "user")
	if s.Admin || s.Vars["x-hasura-user-id"] != "7" {
		t.Fatalf("role switch in dev mode: %+v", s)
	}
	if !a.IsAdminRequest(hdr()) {
		t.Fatal("IsAdminRequest in dev mode")
	}
}

func TestAdminSecret(t *testing.T) {
	a := newAuth(t, Config{AdminSecrets: []string{"first-secret", testSecret}})
	ctx := t.Context()

	t.Run("right", func(t *testing.T) {
		s, err := a.Authenticate(ctx, hdr("X-Hasura-Admin-Secret", testSecret), nil)
		s = wantSession(t, s, err, "admin")
		if !s.Admin || s.BackendOnly {
			t.Fatalf("%+v", s)
		}
		if _, leaked := s.Vars["x-hasura-admin-secret"]; leaked {
			t.Fatal("the admin secret became a session variable")
		}
	})
	t.Run("list", func(t *testing.T) {
		s, err := a.Authenticate(ctx, hdr("X-Hasura-Admin-Secret", "first-secret"), nil)
		wantSession(t, s, err, "admin")
	})
	t.Run("legacy access key", func(t *testing.T) {
		s, err := a.Authenticate(ctx, hdr("X-Hasura-Access-Key", testSecret), nil)
		wantSession(t, s, err, "admin")
	})
	t.Run("lower-case header map", func(t *testing.T) {
		s, err := a.Authenticate(ctx, http.Header{"x-hasura-admin-secret": {testSecret}}, nil)
		wantSession(t, s, err, "admin")
	})
	t.Run("wrong", func(t *testing.T) {
		for _, v := range []string{"nope", "", testSecret + "x", testSecret[:5]} {
			s, err := a.Authenticate(ctx, hdr("X-Hasura-Admin-Secret", v), nil)
			wantError(t, s, err, "access-denied", "invalid x-hasura-admin-secret/x-hasura-access-key", 401)
		}
	})
	t.Run("missing", func(t *testing.T) {
		s, err := a.Authenticate(ctx, hdr("X-Hasura-Role", "user"), nil)
		wantError(t, s, err, "access-denied", "x-hasura-admin-secret/x-hasura-access-key required, but not found", 401)
	})
	t.Run("role switch", func(t *testing.T) {
		s, err := a.Authenticate(ctx, hdr("X-Hasura-Admin-Secret", testSecret, "X-Hasura-Role", "user",
			"X-Hasura-User-Id", "12", "Authorization", "Bearer ignored", "X-Other", "no"), nil)
		s = wantSession(t, s, err, "user")
		if s.Admin || s.Vars["x-hasura-user-id"] != "12" || len(s.Vars) != 2 {
			t.Fatalf("%+v", s)
		}
	})
	t.Run("backend only", func(t *testing.T) {
		s, err := a.Authenticate(ctx, hdr("X-Hasura-Admin-Secret", testSecret, "X-Hasura-Use-Backend-Only-Permissions", "TRUE"), nil)
		s = wantSession(t, s, err, "admin")
		if !s.BackendOnly {
			t.Fatal("backend-only flag lost")
		}
	})
	t.Run("IsAdminRequest", func(t *testing.T) {
		if !a.IsAdminRequest(hdr("X-Hasura-Admin-Secret", testSecret)) || a.IsAdminRequest(hdr("X-Hasura-Admin-Secret", "no")) || a.IsAdminRequest(hdr()) {
			t.Fatal("IsAdminRequest")
		}
	})
}

func TestUnauthorizedRoleWithAdminSecretOnly(t *testing.T) {
	a := newAuth(t, Config{AdminSecrets: []string{testSecret}, UnauthorizedRole: "anonymous"})
	s, err := a.Authenticate(t.Context(), hdr("X-Hasura-Role", "admin", "X-Hasura-User-Id", "1"), nil)
	s = wantSession(t, s, err, "anonymous")
	if s.Admin || s.Vars["x-hasura-user-id"] != "1" {
		t.Fatalf("%+v", s)
	}
	// A wrong secret is still refused, not downgraded.
	s, err = a.Authenticate(t.Context(), hdr("X-Hasura-Admin-Secret", "bad"), nil)
	wantError(t, s, err, "access-denied", "invalid x-hasura-admin-secret", 401)
}

func TestHeaderValuesPassThroughVerbatim(t *testing.T) {
	a := newAuth(t, Config{AdminSecrets: []string{testSecret}})
	values := []string{`a"b`, `back\slash`, "nul\x00byte", "ünïcödé ✓ 日本", `'); DROP TABLE x; --`, `{1,2}`}
	for _, v := range values {
		s, err := a.Authenticate(t.Context(), hdr("X-Hasura-Admin-Secret", testSecret, "X-Hasura-Role", "user", "X-Hasura-User-Id", v), nil)
		s = wantSession(t, s, err, "user")
		if s.Vars["x-hasura-user-id"] != v {
			t.Fatalf("got %q, want %q", s.Vars["x-hasura-user-id"], v)
		}
	}
}

func TestSessionValue(t *testing.T) {
	cases := []struct {
		in   any
		want string
	}{
		{"plain", "plain"},
		{[]any{"a", "b"}, "{a,b}"},
		{[]any{"a b", `q"t`, `b\s`, "", "NULL", nil, "x,y", "{z}"}, `{"a b","q\"t","b\\s","","NULL",NULL,"x,y","{z}"}`},
		{[]any{[]any{"1"}, []any{"2"}}, "{{1},{2}}"},
		{true, "true"},
		{map[string]any{"k": "v"}, `{"k":"v"}`},
	}
	for _, c := range cases {
		if got, _ := sessionValue(c.in); got != c.want {
			t.Errorf("sessionValue(%v) = %s, want %s", c.in, got, c.want)
		}
	}
}
