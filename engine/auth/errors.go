package auth

import (
	"net/http"

	"github.com/stratagql/strata/engine/hasuraerr"
)

// Authentication failures are *hasuraerr.Error values whose Status is the
// HTTP status Hasura answers with on its non-GraphQL APIs (/v1/metadata,
// /v1/query, /v2/query); the GraphQL endpoint answers every
// authentication failure with 200 and the error in the body. Each call
// returns a new value, so callers may change it.

func authError(status int, code hasuraerr.Code, msg string) *hasuraerr.Error {
	return &hasuraerr.Error{Code: code, Message: msg, Status: status}
}

func errAdminSecretRequired() *hasuraerr.Error {
	return authError(http.StatusUnauthorized, hasuraerr.CodeAccessDenied,
		"x-hasura-admin-secret/x-hasura-access-key required, but not found")
}

func errInvalidAdminSecret() *hasuraerr.Error {
	return authError(http.StatusUnauthorized, hasuraerr.CodeAccessDenied,
		"invalid x-hasura-admin-secret/x-hasura-access-key")
}

func errRoleNotAllowed() *hasuraerr.Error {
	return authError(http.StatusBadRequest, hasuraerr.CodeAccessDenied,
		"Your requested role is not in allowed roles")
}

func errMissingToken() *hasuraerr.Error {
	return authError(http.StatusBadRequest, hasuraerr.CodeInvalidHeaders,
		"Missing 'Authorization' or 'Cookie' header in JWT authentication mode")
}

func errMalformedAuthorization() *hasuraerr.Error {
	return authError(http.StatusBadRequest, hasuraerr.CodeInvalidHeaders, "Malformed Authorization header")
}

func errHookUnauthorized() *hasuraerr.Error {
	return authError(http.StatusUnauthorized, hasuraerr.CodeAccessDenied,
		"Authentication hook unauthorized this request")
}

func errHookFailed() *hasuraerr.Error {
	return authError(http.StatusInternalServerError, hasuraerr.CodeUnexpected,
		"webhook authentication request failed")
}

// hookInvalidMessage is Hasura's message for a webhook answer it cannot use.
const hookInvalidMessage = "Invalid response from authorization hook"

func errHookInvalidResponse() *hasuraerr.Error {
	return authError(http.StatusInternalServerError, hasuraerr.CodeUnexpected, hookInvalidMessage)
}

// hookInvalid is errHookInvalidResponse with the reason.
func hookInvalid(reason string) *hasuraerr.Error {
	return authError(http.StatusInternalServerError, hasuraerr.CodeUnexpected,
		hookInvalidMessage+": Error in $: "+reason)
}

// invalidJWT is Hasura's "Could not verify JWT: <reason>".
func invalidJWT(reason string) *hasuraerr.Error {
	return authError(http.StatusBadRequest, hasuraerr.CodeInvalidJWT, "Could not verify JWT: "+reason)
}

func invalidClaims(msg string) *hasuraerr.Error {
	return authError(http.StatusBadRequest, hasuraerr.CodeJWTInvalidClaims, msg)
}
