package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// hmacMinKeyBytes is the least HMAC key length per algorithm: the output
// size of its hash, as Hasura documents for HS256 (32 characters).
var hmacMinKeyBytes = map[string]int{"HS256": 32, "HS384": 48, "HS512": 64}

var (
	hmacMethods = []string{"HS256", "HS384", "HS512"}
	rsaMethods  = []string{"RS256", "RS384", "RS512"}
	edMethods   = []string{"EdDSA"}
)

// methodFamily is the algorithms a configured "type" admits.
func methodFamily(typ string) ([]string, bool) {
	switch typ {
	case "HS256", "HS384", "HS512":
		return hmacMethods, true
	case "RS256", "RS384", "RS512":
		return rsaMethods, true
	case "ES256", "ES384", "ES512":
		return []string{typ}, true
	case "Ed25519":
		return edMethods, true
	}
	return nil, false
}

// ecMethodForCurve is the only ECDSA algorithm a key on that curve verifies.
func ecMethodForCurve(c elliptic.Curve) (string, bool) {
	switch c {
	case elliptic.P256():
		return "ES256", true
	case elliptic.P384():
		return "ES384", true
	case elliptic.P521():
		return "ES512", true
	}
	return "", false
}

// staticKey turns a configured "type" and "key" into a verification key and
// the algorithms it may verify: the configured algorithm's family only, so
// that a token can never pick another kind of key (algorithm confusion).
func staticKey(typ, key string) (any, []string, error) {
	switch typ {
	case "HS256", "HS384", "HS512":
		if len(key) < hmacMinKeyBytes[typ] {
			return nil, nil, fmt.Errorf("the %s key must be at least %d characters long", typ, hmacMinKeyBytes[typ])
		}
		return []byte(key), hmacMethods, nil
	case "RS256", "RS384", "RS512":
		pub, err := parsePublicKeyPEM(key)
		if err != nil {
			return nil, nil, err
		}
		k, ok := pub.(*rsa.PublicKey)
		if !ok {
			return nil, nil, fmt.Errorf("type %s needs an RSA public key", typ)
		}
		return k, rsaMethods, nil
	case "ES256", "ES384", "ES512":
		pub, err := parsePublicKeyPEM(key)
		if err != nil {
			return nil, nil, err
		}
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok {
			return nil, nil, fmt.Errorf("type %s needs an ECDSA public key", typ)
		}
		m, ok := ecMethodForCurve(k.Curve)
		if !ok || m != typ {
			return nil, nil, fmt.Errorf("the ECDSA key's curve does not match type %s", typ)
		}
		return k, []string{m}, nil
	case "Ed25519":
		pub, err := parsePublicKeyPEM(key)
		if err != nil {
			return nil, nil, err
		}
		k, ok := pub.(ed25519.PublicKey)
		if !ok {
			return nil, nil, errors.New("type Ed25519 needs an Ed25519 public key")
		}
		return k, edMethods, nil
	}
	return nil, nil, fmt.Errorf("unsupported key type %q", typ)
}

// parsePublicKeyPEM reads a PEM public key (PKIX, PKCS#1 RSA) or X.509
// certificate.
func parsePublicKeyPEM(s string) (any, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(s)))
	if block == nil {
		return nil, errors.New(`"key" is not a PEM-encoded public key or certificate`)
	}
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse public key: %w", err)
		}
		return k, nil
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse RSA public key: %w", err)
		}
		return k, nil
	case "CERTIFICATE":
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse certificate: %w", err)
		}
		return c.PublicKey, nil
	}
	return nil, fmt.Errorf("unsupported PEM block %q (want PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE)", block.Type)
}
