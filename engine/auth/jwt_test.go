package auth

import (
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/stratagql/strata/engine/config"
)

func jwtConfig(t *testing.T, secrets ...string) Config {
	t.Helper()
	cfg := Config{AdminSecrets: []string{testSecret}}
	for _, s := range secrets {
		js, err := config.ParseJWTSecret([]byte(s))
		if err != nil {
			t.Fatalf("ParseJWTSecret(%s): %v", s, err)
		}
		cfg.JWTSecrets = append(cfg.JWTSecrets, js)
	}
	return cfg
}

func secretJSON(t *testing.T, fields map[string]any) string {
	t.Helper()
	b, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestJWTValidTokensEveryAlgorithm(t *testing.T) {
	rsaK, ec256, ec384, ec521, ed := rsaKey(t), ecKey(t, elliptic.P256()), ecKey(t, elliptic.P384()), ecKey(t, elliptic.P521()), edKey(t)
	cases := []struct {
		typ    string
		key    string
		method jwt.SigningMethod
		sign   any
	}{
		{"HS256", hmacKey[:32], jwt.SigningMethodHS256, []byte(hmacKey[:32])},
		{"HS384", hmacKey[:48], jwt.SigningMethodHS384, []byte(hmacKey[:48])},
		{"HS512", hmacKey, jwt.SigningMethodHS512, []byte(hmacKey)},
		{"RS256", pemPublic(t, &rsaK.PublicKey), jwt.SigningMethodRS256, rsaK},
		{"RS384", pemPublic(t, &rsaK.PublicKey), jwt.SigningMethodRS384, rsaK},
		{"RS512", pemPublic(t, &rsaK.PublicKey), jwt.SigningMethodRS512, rsaK},
		{"ES256", pemPublic(t, &ec256.PublicKey), jwt.SigningMethodES256, ec256},
		{"ES384", pemPublic(t, &ec384.PublicKey), jwt.SigningMethodES384, ec384},
		{"ES512", pemPublic(t, &ec521.PublicKey), jwt.SigningMethodES512, ec521},
		{"Ed25519", pemPublic(t, ed.Public()), jwt.SigningMethodEdDSA, ed},
	}
	for _, c := range cases {
		t.Run(c.typ, func(t *testing.T) {
			a := newAuth(t, jwtConfig(t, secretJSON(t, map[string]any{"type": c.typ, "key": c.key})))
			tok := sign(t, c.method, c.sign, userClaims(nil), "")
			s, err := a.Authenticate(t.Context(), bearer(tok), nil)
			s = wantSession(t, s, err, "user")
			if s.Vars["x-hasura-user-id"] != "42" || s.Admin {
				t.Fatalf("%+v", s)
			}
			if len(s.AllowedRoles) != 2 {
				t.Fatalf("allowed roles %v", s.AllowedRoles)
			}
		})
	}
}

func TestJWTAttackMatrix(t *testing.T) {
	signer, other := rsaKey(t), rsaKey(t)
	pubPEM := pemPublic(t, &signer.PublicKey)
	cfg := jwtConfig(t, secretJSON(t, map[string]any{
		"type": "RS256", "key": pubPEM, "audience": []string{"app-1", "app-2"},
		"issuer": "https://issuer.example", "allowed_skew": 30,
	}))
	a := newAuth(t, cfg)
	now := time.Now()
	base := func(mut func(c jwt.MapClaims)) jwt.MapClaims {
		c := userClaims(nil)
		c["aud"] = "app-2"
		c["iss"] = "https://issuer.example"
		if mut != nil {
			mut(c)
		}
		return c
	}
	rs := func(c jwt.MapClaims) string { return sign(t, jwt.SigningMethodRS256, signer, c, "") }

	// The valid token, and its audience given as a list.
	s, err := a.Authenticate(t.Context(), bearer(rs(base(nil))), nil)
	wantSession(t, s, err, "user")
	s, err = a.Authenticate(t.Context(), bearer(rs(base(func(c jwt.MapClaims) { c["aud"] = []string{"x", "app-1"} }))), nil)
	wantSession(t, s, err, "user")
	// Within allowed_skew.
	s, err = a.Authenticate(t.Context(), bearer(rs(base(func(c jwt.MapClaims) { c["exp"] = now.Add(-10 * time.Second).Unix() }))), nil)
	wantSession(t, s, err, "user")
	s, err = a.Authenticate(t.Context(), bearer(rs(base(func(c jwt.MapClaims) { c["nbf"] = now.Add(10 * time.Second).Unix() }))), nil)
	wantSession(t, s, err, "user")

	noneTok := sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, base(nil), "")
	confused := sign(t, jwt.SigningMethodHS256, []byte(pubPEM), base(nil), "")
	valid := rs(base(nil))
	tampered := valid[:strings.LastIndexByte(valid, '.')+1] + base64.RawURLEncoding.EncodeToString([]byte("not a signature at all, padded out"))
	payloadSwap := func() string {
		p := strings.Split(valid, ".")
		evil, _ := json.Marshal(base(func(c jwt.MapClaims) { c[namespace].(map[string]any)["x-hasura-default-role"] = "admin" }))
		return p[0] + "." + base64.RawURLEncoding.EncodeToString(evil) + "." + p[2]
	}()

	cases := []struct {
		name, tok, code, msg string
		role                 string
	}{
		{"alg none", noneTok, "invalid-jwt", "Could not verify JWT: JWSError NoUsableKeys", ""},
		{"HS256 with the RSA public key (confusion)", confused, "invalid-jwt", "Could not verify JWT: JWSError NoUsableKeys", ""},
		{"signed by another key", sign(t, jwt.SigningMethodRS256, other, base(nil), ""), "invalid-jwt", "Could not verify JWT: JWSError JWSInvalidSignature", ""},
		{"tampered signature", tampered, "invalid-jwt", "Could not verify JWT: JWSError JWSInvalidSignature", ""},
		{"tampered payload", payloadSwap, "invalid-jwt", "Could not verify JWT: JWSError JWSInvalidSignature", ""},
		{"expired", rs(base(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Minute).Unix() })), "invalid-jwt", "Could not verify JWT: JWTExpired", ""},
		{"not yet valid", rs(base(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Minute).Unix() })), "invalid-jwt", "Could not verify JWT: JWTNotYetValid", ""},
		{"issued in the future", rs(base(func(c jwt.MapClaims) { c["iat"] = now.Add(time.Hour).Unix() })), "invalid-jwt", "Could not verify JWT: JWTIssuedAtFuture", ""},
		{"wrong aud", rs(base(func(c jwt.MapClaims) { c["aud"] = "app-3" })), "invalid-jwt", "Could not verify JWT: JWTNotInAudience", ""},
		{"no aud", rs(base(func(c jwt.MapClaims) { delete(c, "aud") })), "invalid-jwt", "Could not verify JWT: JWTNotInAudience", ""},
		{"wrong iss", rs(base(func(c jwt.MapClaims) { c["iss"] = "https://evil.example" })), "invalid-jwt", "Could not verify JWT: JWTNotInIssuer", ""},
		{"exp of the wrong type", rs(base(func(c jwt.MapClaims) { c["exp"] = "tomorrow" })), "invalid-jwt", "Could not verify JWT: JWTClaimsSetDecodeError", ""},
		{"missing namespace", rs(base(func(c jwt.MapClaims) { delete(c, namespace) })), "jwt-invalid-claims", "claims key: 'https://hasura.io/jwt/claims' not found", ""},
		{"namespace not an object", rs(base(func(c jwt.MapClaims) { c[namespace] = "x" })), "jwt-invalid-claims", "invalid claims", ""},
		{"missing allowed roles", rs(base(func(c jwt.MapClaims) { delete(c[namespace].(map[string]any), "x-hasura-allowed-roles") })), "jwt-invalid-claims", "JWT claim does not contain x-hasura-allowed-roles", ""},
		{"allowed roles not a list", rs(base(func(c jwt.MapClaims) { c[namespace].(map[string]any)["x-hasura-allowed-roles"] = "user" })), "jwt-invalid-claims", "invalid x-hasura-allowed-roles; should be a list of roles", ""},
		{"missing default role", rs(base(func(c jwt.MapClaims) { delete(c[namespace].(map[string]any), "x-hasura-default-role") })), "jwt-invalid-claims", "JWT claim does not contain x-hasura-default-role", ""},
		{"role not allowed", rs(base(nil)), "access-denied", "Your requested role is not in allowed roles", "admin"},
		{"malformed: one part", "abcdef", "invalid-jwt", "Expected 3 parts; got 1", ""},
		{"malformed: four parts", "a.b.c.d", "invalid-jwt", "Expected 3 parts; got 4", ""},
		{"malformed: garbage", "!!!.???.***", "invalid-jwt", "CompactDecodeError", ""},
		{"malformed: bad payload", strings.Split(valid, ".")[0] + ".!!!.sig", "invalid-jwt", "CompactDecodeError", ""},
		{"oversize", strings.Repeat("a", 70<<10) + ".b.c", "invalid-jwt", "CompactDecodeError token larger than", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := bearer(c.tok)
			if c.role != "" {
				h.Set("X-Hasura-Role", c.role)
			}
			s, err := a.Authenticate(t.Context(), h, nil)
			status := 400
			wantError(t, s, err, c.code, c.msg, status)
		})
	}

	t.Run("requested role among allowed", func(t *testing.T) {
		h := bearer(valid)
		h.Set("X-Hasura-Role", "editor")
		s, err := a.Authenticate(t.Context(), h, nil)
		wantSession(t, s, err, "editor")
	})
	t.Run("x-hasura headers do not become variables", func(t *testing.T) {
		h := bearer(valid)
		h.Set("X-Hasura-User-Id", "999")
		h.Set("X-Hasura-Org-Id", "5")
		s, err := a.Authenticate(t.Context(), h, nil)
		s = wantSession(t, s, err, "user")
		if s.Vars["x-hasura-user-id"] != "42" || s.Vars["x-hasura-org-id"] != "" {
			t.Fatalf("%v", s.Vars)
		}
	})
	t.Run("malformed Authorization", func(t *testing.T) {
		for _, v := range []string{"Basic abc", "Bearer", "Bearer  ", "Token " + valid, "Bearer a b"} {
			s, err := a.Authenticate(t.Context(), hdr("Authorization", v), nil)
			wantError(t, s, err, "invalid-headers", "Malformed Authorization header", 400)
		}
	})
	t.Run("lower-case bearer", func(t *testing.T) {
		s, err := a.Authenticate(t.Context(), hdr("Authorization", "bearer "+valid), nil)
		wantSession(t, s, err, "user")
	})
	t.Run("no token", func(t *testing.T) {
		s, err := a.Authenticate(t.Context(), hdr("X-Hasura-Role", "user"), nil)
		wantError(t, s, err, "invalid-headers", "Missing 'Authorization' or 'Cookie' header in JWT authentication mode", 400)
	})
	t.Run("admin secret bypasses JWT", func(t *testing.T) {
		s, err := a.Authenticate(t.Context(), hdr("X-Hasura-Admin-Secret", testSecret, "Authorization", "Bearer expired.junk.token"), nil)
		wantSession(t, s, err, "admin")
		s, err = a.Authenticate(t.Context(), hdr("X-Hasura-Admin-Secret", "wrong", "Authorization", "Bearer "+valid), nil)
		wantError(t, s, err, "access-denied", "invalid x-hasura-admin-secret/x-hasura-access-key", 401)
	})
}

func TestJWTUnauthorizedRoleWithoutToken(t *testing.T) {
	cfg := jwtConfig(t, secretJSON(t, map[string]any{"type": "HS256", "key": hmacKey}))
	cfg.UnauthorizedRole = "anonymous"
	a := newAuth(t, cfg)
	s, err := a.Authenticate(t.Context(), hdr("X-Hasura-Role", "admin"), nil)
	wantSession(t, s, err, "anonymous")
	// A bad token is refused, not downgraded.
	s, err = a.Authenticate(t.Context(), bearer("a.b.c"), nil)
	if err == nil || err.Code != "invalid-jwt" {
		t.Fatalf("bad token with an unauthorized role: %+v %v", s, err)
	}
}

func TestJWTSessionVariables(t *testing.T) {
	a := newAuth(t, jwtConfig(t, secretJSON(t, map[string]any{"type": "HS256", "key": hmacKey})))
	tok := sign(t, jwt.SigningMethodHS256, []byte(hmacKey), userClaims(map[string]any{
		"X-Hasura-Org-Ids": []string{"1", "2", "a b"},
		"x-hasura-age":     30,
		"x-hasura-big":     json.Number("12345678901234567890"),
		"x-hasura-flag":    false,
		"x-hasura-quote":   `O'Brien "\ \x00 ✓`,
		"not-hasura":       "ignored",
	}), "")
	s, err := a.Authenticate(t.Context(), bearer(tok), nil)
	s = wantSession(t, s, err, "user")
	want := map[string]string{
		"x-hasura-role": "user", "x-hasura-user-id": "42", "x-hasura-org-ids": `{1,2,"a b"}`,
		"x-hasura-age": "30", "x-hasura-big": "12345678901234567890", "x-hasura-flag": "false",
		"x-hasura-quote": `O'Brien "\ \x00 ✓`,
	}
	if len(s.Vars) != len(want) {
		t.Fatalf("vars %v, want %v", s.Vars, want)
	}
	for k, v := range want {
		if s.Vars[k] != v {
			t.Errorf("%s = %q, want %q", k, s.Vars[k], v)
		}
	}
}

func TestJWTAdminRoleFromToken(t *testing.T) {
	a := newAuth(t, jwtConfig(t, secretJSON(t, map[string]any{"type": "HS256", "key": hmacKey})))
	tok := sign(t, jwt.SigningMethodHS256, []byte(hmacKey), userClaims(map[string]any{"x-hasura-allowed-roles": []string{"user", "admin"}}), "")
	h := bearer(tok)
	h.Set("X-Hasura-Role", "admin")
	s, err := a.Authenticate(t.Context(), h, nil)
	s = wantSession(t, s, err, "admin")
	if !s.Admin || s.BackendOnly {
		t.Fatalf("%+v", s)
	}
}

func TestJWTStringifiedClaims(t *testing.T) {
	a := newAuth(t, jwtConfig(t, secretJSON(t, map[string]any{"type": "HS256", "key": hmacKey, "claims_format": "stringified_json"})))
	claims := userClaims(nil)
	inner, _ := json.Marshal(claims[namespace])
	claims[namespace] = string(inner)
	s, err := a.Authenticate(t.Context(), bearer(sign(t, jwt.SigningMethodHS256, []byte(hmacKey), claims, "")), nil)
	s = wantSession(t, s, err, "user")
	if s.Vars["x-hasura-user-id"] != "42" {
		t.Fatalf("%v", s.Vars)
	}
	// An object where a string is expected.
	s, err = a.Authenticate(t.Context(), bearer(sign(t, jwt.SigningMethodHS256, []byte(hmacKey), userClaims(nil), "")), nil)
	wantError(t, s, err, "jwt-invalid-claims", "stringified_json", 400)
	claims[namespace] = "{not json"
	s, err = a.Authenticate(t.Context(), bearer(sign(t, jwt.SigningMethodHS256, []byte(hmacKey), claims, "")), nil)
	wantError(t, s, err, "jwt-invalid-claims", "not valid JSON", 400)
}

func TestJWTClaimsNamespaceOptions(t *testing.T) {
	t.Run("custom namespace", func(t *testing.T) {
		a := newAuth(t, jwtConfig(t, secretJSON(t, map[string]any{"type": "HS256", "key": hmacKey, "claims_namespace": "hasura"})))
		c := userClaims(nil)
		c["hasura"] = c[namespace]
		delete(c, namespace)
		s, err := a.Authenticate(t.Context(), bearer(sign(t, jwt.SigningMethodHS256, []byte(hmacKey), c, "")), nil)
		wantSession(t, s, err, "user")
	})
	t.Run("claims_namespace_path", func(t *testing.T) {
		a := newAuth(t, jwtConfig(t, secretJSON(t, map[string]any{"type": "HS256", "key": hmacKey, "claims_namespace_path": "$.app['hasura.claims']"})))
		c := userClaims(nil)
		c["app"] = map[string]any{"hasura.claims": c[namespace]}
		delete(c, namespace)
		s, err := a.Authenticate(t.Context(), bearer(sign(t, jwt.SigningMethodHS256, []byte(hmacKey), c, "")), nil)
		wantSession(t, s, err, "user")
		delete(c, "app")
		s, err = a.Authenticate(t.Context(), bearer(sign(t, jwt.SigningMethodHS256, []byte(hmacKey), c, "")), nil)
		wantError(t, s, err, "jwt-invalid-claims", "claims not found at claims_namespace_path: '$.app['hasura.claims']'", 400)
	})
}

func TestJWTClaimsMap(t *testing.T) {
	a := newAuth(t, jwtConfig(t, `{"type":"HS256","key":"`+hmacKey+`","claims_map":{
		"x-hasura-allowed-roles": {"path": "$.user.appRoles"},
		"x-hasura-default-role": {"path": "$.user.appRoles[0]"},
		"x-hasura-user-id": {"path": "$.user.id", "default": "anon-id"},
		"x-hasura-org": "acme",
		"X-Hasura-Teams": {"path": "$.teams", "default": ["none"]}
	}}`))
	claims := jwt.MapClaims{
		"sub":  "1",
		"exp":  time.Now().Add(time.Hour).Unix(),
		"user": map[string]any{"id": "u-9", "appRoles": []string{"editor", "user"}},
	}
	s, err := a.Authenticate(t.Context(), bearer(sign(t, jwt.SigningMethodHS256, []byte(hmacKey), claims, "")), nil)
	s = wantSession(t, s, err, "editor")
	if s.Vars["x-hasura-user-id"] != "u-9" || s.Vars["x-hasura-org"] != "acme" || s.Vars["x-hasura-teams"] != "{none}" {
		t.Fatalf("%v", s.Vars)
	}
	claims["user"] = map[string]any{"appRoles": []string{"user"}}
	claims["teams"] = []string{"red", "blue"}
	s, err = a.Authenticate(t.Context(), bearer(sign(t, jwt.SigningMethodHS256, []byte(hmacKey), claims, "")), nil)
	s = wantSession(t, s, err, "user")
	if s.Vars["x-hasura-user-id"] != "anon-id" || s.Vars["x-hasura-teams"] != "{red,blue}" {
		t.Fatalf("%v", s.Vars)
	}
	delete(claims, "user")
	s, err = a.Authenticate(t.Context(), bearer(sign(t, jwt.SigningMethodHS256, []byte(hmacKey), claims, "")), nil)
	wantError(t, s, err, "jwt-invalid-claims", "JWT claim from claims_map, x-hasura-allowed-roles not found", 400)
}

func TestJWTLiteralClaimsMap(t *testing.T) {
	a := newAuth(t, jwtConfig(t, `{"type":"HS256","key":"`+hmacKey+`","claims_map":{
		"x-hasura-allowed-roles": ["reader"], "x-hasura-default-role": "reader",
		"x-hasura-user-id": {"path": "$.sub"}}}`))
	s, err := a.Authenticate(t.Context(), bearer(sign(t, jwt.SigningMethodHS256, []byte(hmacKey), jwt.MapClaims{"sub": "s-1"}, "")), nil)
	s = wantSession(t, s, err, "reader")
	if s.Vars["x-hasura-user-id"] != "s-1" {
		t.Fatalf("%v", s.Vars)
	}
}

func TestJWTTokenLocations(t *testing.T) {
	tok := sign(t, jwt.SigningMethodHS256, []byte(hmacKey), userClaims(nil), "")
	t.Run("cookie", func(t *testing.T) {
		a := newAuth(t, jwtConfig(t, secretJSON(t, map[string]any{"type": "HS256", "key": hmacKey, "header": map[string]any{"type": "Cookie", "name": "session"}})))
		s, err := a.Authenticate(t.Context(), hdr("Cookie", "theme=dark; session="+tok+"; other=1"), nil)
		wantSession(t, s, err, "user")
		s, err = a.Authenticate(t.Context(), bearer(tok), nil)
		wantError(t, s, err, "invalid-headers", "Missing 'Authorization' or 'Cookie' header", 400)
		s, err = a.Authenticate(t.Context(), hdr("Cookie", "theme=dark"), nil)
		wantError(t, s, err, "invalid-headers", "Missing 'Authorization' or 'Cookie' header", 400)
	})
	t.Run("custom header", func(t *testing.T) {
		a := newAuth(t, jwtConfig(t, secretJSON(t, map[string]any{"type": "HS256", "key": hmacKey, "header": map[string]any{"type": "CustomHeader", "name": "X-Auth-Token"}})))
		s, err := a.Authenticate(t.Context(), hdr("X-Auth-Token", tok), nil)
		wantSession(t, s, err, "user")
		s, err = a.Authenticate(t.Context(), bearer(tok), nil)
		wantError(t, s, err, "invalid-headers", "Missing", 400)
	})
}

func TestJWTSeveralConfigsChosenByIssuer(t *testing.T) {
	keyA, keyB := strings.Repeat("a", 32), strings.Repeat("b", 32)
	rsaK := rsaKey(t)
	a := newAuth(t, jwtConfig(t,
		secretJSON(t, map[string]any{"type": "HS256", "key": keyA, "issuer": "issuer-a"}),
		secretJSON(t, map[string]any{"type": "HS256", "key": keyB, "issuer": "issuer-b", "claims_namespace": "b-claims"}),
		secretJSON(t, map[string]any{"type": "RS256", "key": pemPublic(t, &rsaK.PublicKey)}),
	))
	withIss := func(iss, ns string) jwt.MapClaims {
		c := userClaims(nil)
		c["iss"] = iss
		if ns != namespace {
			c[ns] = c[namespace]
			delete(c, namespace)
		}
		return c
	}
	s, err := a.Authenticate(t.Context(), bearer(sign(t, jwt.SigningMethodHS256, []byte(keyA), withIss("issuer-a", namespace), "")), nil)
	wantSession(t, s, err, "user")
	s, err = a.Authenticate(t.Context(), bearer(sign(t, jwt.SigningMethodHS256, []byte(keyB), withIss("issuer-b", "b-claims"), "")), nil)
	wantSession(t, s, err, "user")
	// The config without an issuer takes any other issuer.
	s, err = a.Authenticate(t.Context(), bearer(sign(t, jwt.SigningMethodRS256, rsaK, withIss("elsewhere", namespace), "")), nil)
	wantSession(t, s, err, "user")
	// Claiming issuer-b but signed with issuer-a's key: refused.
	s, err = a.Authenticate(t.Context(), bearer(sign(t, jwt.SigningMethodHS256, []byte(keyA), withIss("issuer-b", "b-claims"), "")), nil)
	wantError(t, s, err, "invalid-jwt", "JWSInvalidSignature", 400)
}

func TestJWTIssuerMismatchWithSingleConfig(t *testing.T) {
	a := newAuth(t, jwtConfig(t, secretJSON(t, map[string]any{"type": "HS256", "key": hmacKey, "issuer": "good"})))
	c := userClaims(nil)
	c["iss"] = "bad"
	s, err := a.Authenticate(t.Context(), bearer(sign(t, jwt.SigningMethodHS256, []byte(hmacKey), c, "")), nil)
	wantError(t, s, err, "invalid-jwt", "JWTNotInIssuer", 400)
}

func TestJWTConfigErrors(t *testing.T) {
	rsaK := rsaKey(t)
	ec := ecKey(t, elliptic.P256())
	bad := []config.JWTSecret{
		{Type: "HS256", Key: "too-short"},
		{Type: "HS512", Key: hmacKey[:40]},
		{Type: "RS256", Key: "not pem"},
		{Type: "RS256", Key: pemPublic(t, &ec.PublicKey)},
		{Type: "ES384", Key: pemPublic(t, &ec.PublicKey)},
		{Type: "Ed25519", Key: pemPublic(t, &rsaK.PublicKey)},
		{Type: "HS256", Key: hmacKey, ClaimsNamespacePath: "hasura.claims"},
		{Type: "HS256", Key: hmacKey, ClaimsMap: map[string]json.RawMessage{"x-hasura-default-role": json.RawMessage(`"u"`)}},
		{Type: "HS256", Key: hmacKey, ClaimsMap: map[string]json.RawMessage{"x-hasura-allowed-roles": json.RawMessage(`{"default":"x"}`), "x-hasura-default-role": json.RawMessage(`"u"`)}},
		{JWKURL: "ftp://example/jwks"},
	}
	for i, s := range bad {
		if _, err := New(t.Context(), Config{AdminSecrets: []string{testSecret}, JWTSecrets: []config.JWTSecret{s}}, nil, nil); err == nil {
			t.Errorf("config %d accepted", i)
		} else if strings.Contains(err.Error(), hmacKey) {
			t.Errorf("config %d: the error leaks the key: %v", i, err)
		}
	}
}

func TestJSONPath(t *testing.T) {
	doc := map[string]any{"a": map[string]any{"b.c": []any{"x", map[string]any{"d": "y"}}}}
	cases := map[string]any{"$.a['b.c'][0]": "x", `$.a["b.c"][1].d`: "y", "$['a']['b.c'][1]['d']": "y"}
	for p, want := range cases {
		jp, err := parseJSONPath(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if got, ok := jp.get(doc); !ok || got != want {
			t.Errorf("%s = %v, want %v", p, got, want)
		}
	}
	for _, p := range []string{"a.b", "$.", "$[", "$['x", "$[-1]", "$..a", "$a"} {
		if _, err := parseJSONPath(p); err == nil {
			t.Errorf("%q accepted", p)
		}
	}
}
