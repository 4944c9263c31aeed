package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/stratagql/strata/engine/config"
	"github.com/stratagql/strata/engine/hasuraerr"
)

// maxTokenBytes bounds the size of a token read from a request.
const maxTokenBytes = 64 << 10

var errNoUsableKeys = errors.New("no usable keys")

// asymmetricMethods are the algorithms a JWK set may verify (never HMAC).
var asymmetricMethods = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// tokenLocation says where a configuration reads its token.
type tokenLocation struct {
	kind string // Authorization, Cookie or CustomHeader
	name string
}

// jwtVerifier is one HASURA_GRAPHQL_JWT_SECRET(S) configuration.
type jwtVerifier struct {
	issuer   string
	audience []string
	skew     time.Duration
	loc      tokenLocation
	methods  []string
	key      any     // static key, or nil with jwks
	jwks     *jwkSet // jwk_url, or nil with key
	claims   claimsSpec
}

func newJWTVerifier(s config.JWTSecret, client *http.Client, minInterval time.Duration, log *slog.Logger) (*jwtVerifier, error) {
	v := &jwtVerifier{
		issuer:   s.Issuer,
		audience: s.Audience,
		skew:     time.Duration(s.AllowedSkew) * time.Second,
		loc:      tokenLocation{kind: "Authorization"},
	}
	if s.Header != nil && s.Header.Type != "" {
		v.loc = tokenLocation{kind: s.Header.Type, name: s.Header.Name}
		if v.loc.kind != "Authorization" && v.loc.name == "" {
			return nil, fmt.Errorf(`"header" of type %s needs a "name"`, v.loc.kind)
		}
	}
	var err error
	switch {
	case s.Key != "" && s.JWKURL != "":
		return nil, errors.New(`"key" and "jwk_url" are exclusive`)
	case s.Key != "":
		if v.key, v.methods, err = staticKey(s.Type, s.Key); err != nil {
			return nil, fmt.Errorf(`"key": %w`, err)
		}
	case s.JWKURL != "":
		if v.jwks, err = newJWKSet(s.JWKURL, client, minInterval, log); err != nil {
			return nil, err
		}
		v.methods = asymmetricMethods
		if s.Type != "" {
			// A type next to jwk_url narrows the accepted algorithms.
			fam, ok := methodFamily(s.Type)
			if !ok {
				return nil, fmt.Errorf("unsupported key type %q", s.Type)
			}
			v.methods = fam
		}
	default:
		return nil, errors.New(`one of "key" or "jwk_url" is required`)
	}
	if v.claims, err = newClaimsSpec(s); err != nil {
		return nil, err
	}
	return v, nil
}

// token reads the configuration's token from the request headers.
func (v *jwtVerifier) token(h http.Header) (string, bool, *hasuraerr.Error) {
	switch v.loc.kind {
	case "Cookie":
		var vals []string
		for k, vs := range h {
			if strings.EqualFold(k, "Cookie") {
				vals = append(vals, vs...)
			}
		}
		c, err := (&http.Request{Header: http.Header{"Cookie": vals}}).Cookie(v.loc.name)
		if err != nil || c.Value == "" {
			return "", false, nil
		}
		return c.Value, true, nil
	case "CustomHeader":
		val, ok := headerValue(h, v.loc.name)
		val = strings.TrimSpace(val)
		return val, ok && val != "", nil
	}
	val, ok := headerValue(h, "Authorization")
	if !ok {
		return "", false, nil
	}
	scheme, tok, found := strings.Cut(strings.TrimSpace(val), " ")
	tok = strings.TrimSpace(tok)
	if !found || !strings.EqualFold(scheme, "Bearer") || tok == "" || strings.ContainsAny(tok, " \t") {
		return "", false, errMalformedAuthorization()
	}
	return tok, true, nil
}

// tokenHead is what is read from a token before verifying it.
type tokenHead struct {
	alg, kid, iss string
}

// peek decodes a token's header and, without trusting it, its issuer.
func peek(tok string) (tokenHead, *hasuraerr.Error) {
	if len(tok) > maxTokenBytes {
		return tokenHead{}, invalidJWT(fmt.Sprintf("JWSError (CompactDecodeError token larger than %d bytes)", maxTokenBytes))
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return tokenHead{}, invalidJWT(fmt.Sprintf("JWSError (CompactDecodeError Invalid number of parts: Expected 3 parts; got %d)", len(parts)))
	}
	var head struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || json.Unmarshal(hb, &head) != nil {
		return tokenHead{}, invalidJWT("JWSError (CompactDecodeError the JWS header is not base64url-encoded JSON)")
	}
	th := tokenHead{alg: head.Alg, kid: head.Kid}
	var payload struct {
		Iss any `json:"iss"`
	}
	if pb, err := base64.RawURLEncoding.DecodeString(parts[1]); err == nil && json.Unmarshal(pb, &payload) == nil {
		th.iss, _ = payload.Iss.(string)
	}
	return th, nil
}

// verify checks the token's signature, algorithm, times, audience and
// issuer, and returns its claims.
func (v *jwtVerifier) verify(ctx context.Context, tok string, th tokenHead) (jwt.MapClaims, *hasuraerr.Error) {
	if !slices.Contains(v.methods, th.alg) {
		// alg "none", an unknown algorithm, or one of another key family
		// (e.g. HS256 against an RSA key): no configured key may verify it.
		return nil, invalidJWT("JWSError NoUsableKeys")
	}
	keyFunc := func(*jwt.Token) (any, error) { return v.key, nil }
	if v.jwks != nil {
		keyFunc = v.jwks.keyFunc(ctx)
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods(v.methods),
		jwt.WithLeeway(v.skew),
		jwt.WithIssuedAt(),
		jwt.WithJSONNumber(),
	)
	claims := jwt.MapClaims{}
	if _, err := parser.ParseWithClaims(tok, claims, keyFunc); err != nil {
		return nil, jwtError(err)
	}
	if len(v.audience) > 0 {
		aud, err := claims.GetAudience()
		if err != nil || !slices.ContainsFunc(aud, func(a string) bool { return slices.Contains(v.audience, a) }) {
			return nil, invalidJWT("JWTNotInAudience")
		}
	}
	if v.issuer != "" {
		if iss, err := claims.GetIssuer(); err != nil || iss != v.issuer {
			return nil, invalidJWT("JWTNotInIssuer")
		}
	}
	return claims, nil
}

// jwtError words golang-jwt's errors as Hasura (hs-jose) does.
func jwtError(err error) *hasuraerr.Error {
	switch {
	case errors.Is(err, errNoUsableKeys):
		return invalidJWT("JWSError NoUsableKeys")
	case errors.Is(err, jwt.ErrTokenMalformed):
		return invalidJWT("JWSError (CompactDecodeError the token is not a valid compact JWS)")
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return invalidJWT("JWSError NoUsableKeys")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return invalidJWT("JWSError JWSInvalidSignature")
	case errors.Is(err, jwt.ErrTokenExpired):
		return invalidJWT("JWTExpired")
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return invalidJWT("JWTNotYetValid")
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return invalidJWT("JWTIssuedAtFuture")
	}
	return invalidJWT("JWTClaimsSetDecodeError \"invalid registered claim\"")
}

// authenticate verifies the token and builds the session from its claims.
func (v *jwtVerifier) authenticate(ctx context.Context, tok string, th tokenHead, h http.Header) (*Session, *hasuraerr.Error) {
	claims, err := v.verify(ctx, tok, th)
	if err != nil {
		return nil, err
	}
	hc, err := v.claims.extract(claims)
	if err != nil {
		return nil, err
	}
	s, err := sessionFromClaims(hc, h)
	if err != nil {
		return nil, err
	}
	if exp, xerr := claims.GetExpirationTime(); xerr == nil && exp != nil {
		s.Expires = exp.Add(v.skew)
	}
	return s, nil
}

// authenticateJWT resolves a request in JWT mode. Each configuration reads
// its own token location; configurations whose issuer equals the token's
// iss are tried first, then those without an issuer, and the first that
// verifies wins. A request with no token gets the unauthorized role, if
// one is set.
func (a *Authenticator) authenticateJWT(ctx context.Context, h http.Header) (*Session, *hasuraerr.Error) {
	type candidate struct {
		v   *jwtVerifier
		tok string
		th  tokenHead
	}
	var found []candidate
	for _, v := range a.jwts {
		tok, ok, err := v.token(h)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		th, err := peek(tok)
		if err != nil {
			return nil, err
		}
		found = append(found, candidate{v, tok, th})
	}
	if len(found) == 0 {
		if a.unauthorizedRole != "" {
			return a.unauthorizedSession(h), nil
		}
		return nil, errMissingToken()
	}
	var exact, open []candidate
	for _, c := range found {
		switch c.v.issuer {
		case c.th.iss:
			exact = append(exact, c)
		case "":
			open = append(open, c)
		}
	}
	ordered := append(exact, open...)
	if len(ordered) == 0 {
		ordered = found // no issuer fits: verification reports why
	}
	var first *hasuraerr.Error
	for _, c := range ordered {
		s, err := c.v.authenticate(ctx, c.tok, c.th, h)
		if err == nil {
			return s, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}
