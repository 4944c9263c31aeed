package auth

import "net/http"

// Error is an authentication failure in Hasura's terms.
type Error struct {
	// Message is Hasura's message for the failure.
	Message string
	// Code is Hasura's error code (access-denied, invalid-jwt, ...).
	Code string
	// Status is the HTTP status Hasura answers with on its non-GraphQL APIs
	// (/v1/metadata, /v1/query, /v2/query). The GraphQL endpoint answers
	// every authentication failure with 200 and the error in the body.
	Status int
}

// Error implements error.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Hasura's error codes used by authentication.
const (
	CodeAccessDenied     = "access-denied"
	CodeInvalidJWT       = "invalid-jwt"
	CodeJWTInvalidClaims = "jwt-invalid-claims"
	CodeInvalidHeaders   = "invalid-headers"
	CodeUnexpected       = "unexpected"
)

func newError(status int, code, msg string) *Error {
	return &Error{Message: msg, Code: code, Status: status}
}

var (
	errAdminSecretRequired = newError(http.StatusUnauthorized, CodeAccessDenied,
		"x-hasura-admin-secret/x-hasura-access-key required, but not found")
	errInvalidAdminSecret = newError(http.StatusUnauthorized, CodeAccessDenied,
		"invalid x-hasura-admin-secret/x-hasura-access-key")
	errRoleNotAllowed = newError(http.StatusBadRequest, CodeAccessDenied,
		"Your requested role is not in allowed roles")
	errMissingToken = newError(http.StatusBadRequest, CodeInvalidHeaders,
		"Missing 'Authorization' or 'Cookie' header in JWT authentication mode")
	errMalformedAuthorization = newError(http.StatusBadRequest, CodeInvalidHeaders,
		"Malformed Authorization header")
	errHookUnauthorized = newError(http.StatusUnauthorized, CodeAccessDenied,
		"Authentication hook unauthorized this request")
	errHookFailed = newError(http.StatusInternalServerError, CodeUnexpected,
		"webhook authentication request failed")
	errHookInvalidResponse = newError(http.StatusInternalServerError, CodeUnexpected,
		"Invalid response from authorization hook")
)

// invalidJWT is Hasura's "Could not verify JWT: <reason>".
func invalidJWT(reason string) *Error {
	return newError(http.StatusBadRequest, CodeInvalidJWT, "Could not verify JWT: "+reason)
}

func invalidClaims(msg string) *Error {
	return newError(http.StatusBadRequest, CodeJWTInvalidClaims, msg)
}
