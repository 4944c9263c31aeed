package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// JWTSecret is one HASURA_GRAPHQL_JWT_SECRET configuration object, as Hasura
// documents it. The auth package turns it into a verifier.
type JWTSecret struct {
	Type                string                     `json:"type,omitempty"`
	Key                 string                     `json:"key,omitempty"`
	JWKURL              string                     `json:"jwk_url,omitempty"`
	ClaimsNamespace     string                     `json:"claims_namespace,omitempty"`
	ClaimsNamespacePath string                     `json:"claims_namespace_path,omitempty"`
	ClaimsFormat        string                     `json:"claims_format,omitempty"`
	ClaimsMap           map[string]json.RawMessage `json:"claims_map,omitempty"`
	Audience            StringList                 `json:"audience,omitempty"`
	Issuer              string                     `json:"issuer,omitempty"`
	AllowedSkew         int                        `json:"allowed_skew,omitempty"`
	Header              *JWTHeader                 `json:"header,omitempty"`
}

// JWTHeader says where the token is read from: the Authorization header
// (default), a Cookie, or a custom header.
type JWTHeader struct {
	Type string `json:"type"`
	Name string `json:"name,omitempty"`
}

// StringList accepts a JSON string or a list of strings (as `audience` does).
type StringList []string

// UnmarshalJSON implements json.Unmarshaler.
func (l *StringList) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*l = StringList{s}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return errors.New("must be a string or a list of strings")
	}
	*l = list
	return nil
}

var jwtTypes = map[string]bool{
	"HS256": true, "HS384": true, "HS512": true,
	"RS256": true, "RS384": true, "RS512": true,
	"ES256": true, "ES384": true, "ES512": true,
	"Ed25519": true,
}

// ParseJWTSecret decodes and validates one JWT configuration object.
func ParseJWTSecret(b []byte) (JWTSecret, error) {
	var s JWTSecret
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return s, fmt.Errorf("not a valid JWT configuration object: %w", err)
	}
	switch {
	case s.Key != "" && s.JWKURL != "":
		return s, errors.New(`"key" and "jwk_url" are exclusive`)
	case s.Key == "" && s.JWKURL == "":
		return s, errors.New(`one of "key" or "jwk_url" is required`)
	case s.Key != "" && !jwtTypes[s.Type]:
		return s, fmt.Errorf(`"type" must be one of HS256/384/512, RS256/384/512, ES256/384/512, Ed25519; got %q`, s.Type)
	case s.JWKURL != "":
		if err := checkURL(s.JWKURL, "http", "https"); err != nil {
			return s, fmt.Errorf(`"jwk_url": %w`, err)
		}
	}
	if s.ClaimsNamespace != "" && s.ClaimsNamespacePath != "" {
		return s, errors.New(`"claims_namespace" and "claims_namespace_path" are exclusive`)
	}
	if s.ClaimsNamespace == "" && s.ClaimsNamespacePath == "" && s.ClaimsMap == nil {
		s.ClaimsNamespace = "https://hasura.io/jwt/claims"
	}
	switch s.ClaimsFormat {
	case "":
		s.ClaimsFormat = "json"
	case "json", "stringified_json":
	default:
		return s, errors.New(`"claims_format" must be json or stringified_json`)
	}
	if s.Header != nil {
		switch s.Header.Type {
		case "Authorization":
		case "Cookie", "CustomHeader":
			if s.Header.Name == "" {
				return s, fmt.Errorf(`"header" of type %s needs a "name"`, s.Header.Type)
			}
		default:
			return s, errors.New(`"header.type" must be Authorization, Cookie or CustomHeader`)
		}
	}
	if s.AllowedSkew < 0 {
		return s, errors.New(`"allowed_skew" must not be negative`)
	}
	return s, nil
}
