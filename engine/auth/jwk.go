package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
)

// jwk is one usable verification key of a JWK set.
type jwk struct {
	kid     string
	methods []string
	key     any
}

func (k jwk) allows(alg string) bool { return slices.Contains(k.methods, alg) }

type rawJWK struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	Crv string `json:"crv"`
	N   string `json:"n"`
	E   string `json:"e"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// maxJWKs bounds the keys read from one JWK set.
const maxJWKs = 100

// parseJWKSet reads {"keys": [...]}, keeping the signature keys it can use
// (RSA, EC P-256/384/521, Ed25519) and reporting how many it skipped.
func parseJWKSet(b []byte) ([]jwk, int, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, 0, fmt.Errorf("decode JWK set: %w", err)
	}
	var keys []jwk
	skipped := 0
	for i, raw := range set.Keys {
		if i == maxJWKs {
			skipped += len(set.Keys) - maxJWKs
			break
		}
		k, err := parseJWK(raw)
		if err != nil {
			skipped++
			continue
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, skipped, errors.New("the JWK set has no usable signature key")
	}
	return keys, skipped, nil
}

func parseJWK(raw json.RawMessage) (jwk, error) {
	var r rawJWK
	if err := json.Unmarshal(raw, &r); err != nil {
		return jwk{}, err
	}
	if r.Use != "" && r.Use != "sig" {
		return jwk{}, errors.New("not a signature key")
	}
	var k jwk
	k.kid = r.Kid
	switch r.Kty {
	case "RSA":
		n, err := b64BigInt(r.N)
		if err != nil {
			return jwk{}, err
		}
		e, err := b64BigInt(r.E)
		if err != nil || !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 {
			return jwk{}, errors.New("invalid RSA exponent")
		}
		if n.BitLen() < 1024 {
			return jwk{}, errors.New("RSA key too small")
		}
		k.key = &rsa.PublicKey{N: n, E: int(e.Int64())}
		k.methods = rsaMethods
		if r.Alg != "" {
			if !slices.Contains([]string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}, r.Alg) {
				return jwk{}, errors.New("alg does not fit an RSA key")
			}
			k.methods = []string{r.Alg}
		}
	case "EC":
		var curve elliptic.Curve
		switch r.Crv {
		case "P-256":
			curve = elliptic.P256()
		case "P-384":
			curve = elliptic.P384()
		case "P-521":
			curve = elliptic.P521()
		default:
			return jwk{}, errors.New("unsupported curve")
		}
		x, err := b64Fixed(r.X, (curve.Params().BitSize+7)/8)
		if err != nil {
			return jwk{}, err
		}
		y, err := b64Fixed(r.Y, (curve.Params().BitSize+7)/8)
		if err != nil {
			return jwk{}, err
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, append(append([]byte{4}, x...), y...))
		if err != nil {
			return jwk{}, fmt.Errorf("invalid EC point: %w", err)
		}
		m, _ := ecMethodForCurve(curve)
		if r.Alg != "" && r.Alg != m {
			return jwk{}, errors.New("alg does not fit the curve")
		}
		k.key, k.methods = pub, []string{m}
	case "OKP":
		if r.Crv != "Ed25519" {
			return jwk{}, errors.New("unsupported OKP curve")
		}
		x, err := b64Fixed(r.X, ed25519.PublicKeySize)
		if err != nil {
			return jwk{}, err
		}
		if r.Alg != "" && r.Alg != "EdDSA" && r.Alg != "Ed25519" {
			return jwk{}, errors.New("alg does not fit an Ed25519 key")
		}
		k.key, k.methods = ed25519.PublicKey(x), edMethods
	default:
		return jwk{}, errors.New("unsupported key type")
	}
	return k, nil
}

func b64BigInt(s string) (*big.Int, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, errors.New("invalid base64url integer")
	}
	return new(big.Int).SetBytes(b), nil
}

func b64Fixed(s string, size int) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != size {
		return nil, errors.New("invalid base64url coordinate")
	}
	return b, nil
}
