package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// secretSet holds the accepted admin secrets as SHA-256 digests, so that a
// comparison takes the same time whatever the length of the candidate.
type secretSet [][sha256.Size]byte

func newSecretSet(secrets []string) secretSet {
	s := make(secretSet, 0, len(secrets))
	for _, v := range secrets {
		s = append(s, sha256.Sum256([]byte(v)))
	}
	return s
}

// match reports whether candidate is one of the secrets, comparing against
// every secret in constant time.
func (s secretSet) match(candidate string) bool {
	d := sha256.Sum256([]byte(candidate))
	ok := 0
	for i := range s {
		ok |= subtle.ConstantTimeCompare(d[:], s[i][:])
	}
	return ok == 1
}

// sentAdminSecret returns the admin secret the request carries, in
// x-hasura-admin-secret or else the legacy x-hasura-access-key.
func sentAdminSecret(h http.Header) (string, bool) {
	if v, ok := headerValue(h, headerAdminSecret); ok {
		return v, true
	}
	return headerValue(h, headerAccessKey)
}

// adminSession is the session of a request made with a valid admin secret
// (or of any request when no secret is configured): the admin role, or the
// role named by x-hasura-role, with every x-hasura-* header as a session
// variable.
func adminSession(h http.Header) *Session {
	vars := headerVars(h)
	role := vars[varRole]
	if role == "" {
		role = AdminRole
	}
	s := newSession(role, vars, nil)
	if v, ok := headerValue(h, headerBackendOnly); ok {
		s.BackendOnly = strings.EqualFold(strings.TrimSpace(v), "true")
	}
	return s
}

// IsAdminRequest reports whether the headers carry a valid admin secret, or
// no admin secret is configured (development mode). It does not consult
// JWT or the webhook; see Authenticate for the full resolution.
func (a *Authenticator) IsAdminRequest(h http.Header) bool {
	if len(a.secrets) == 0 {
		return true
	}
	v, ok := sentAdminSecret(h)
	return ok && a.secrets.match(v)
}
