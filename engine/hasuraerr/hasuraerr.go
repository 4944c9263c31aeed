// Package hasuraerr is the engine's one error type: a failure in Hasura's
// terms (a code, a message, a JSON path, optional internal detail and the
// HTTP status of the non-GraphQL APIs), with Hasura's two wire renderings.
//
// Every engine package that produces a client-visible error builds an
// *Error with one of the Code constants; the HTTP edges render it with
// REST (/v1/metadata, /v1/query, /v2/query: {"path","error","code"}) or
// GraphQL ({"errors":[{"message","extensions":{"path","code"}}]}).
package hasuraerr

import (
	"errors"
	"fmt"
	"net/http"
)

// Code is one of Hasura's error codes, as sent in "code" (REST) or
// "extensions.code" (GraphQL).
type Code = string

// Hasura's error codes used by the engine.
const (
	CodeAccessDenied        Code = "access-denied"
	CodeAlreadyExists       Code = "already-exists"
	CodeAlreadyTracked      Code = "already-tracked"
	CodeAlreadyUntracked    Code = "already-untracked"
	CodeBadRequest          Code = "bad-request"
	CodeConcurrentUpdate    Code = "concurrent-update"
	CodeConflict            Code = "conflict"
	CodeConstraintError     Code = "constraint-error"
	CodeConstraintViolation Code = "constraint-violation"
	CodeDataException       Code = "data-exception"
	CodeDependencyError     Code = "dependency-error"
	CodeInvalidHeaders      Code = "invalid-headers"
	CodeInvalidJSON         Code = "invalid-json"
	CodeInvalidJWT          Code = "invalid-jwt"
	CodeInvalidParams       Code = "invalid-params"
	CodeJWTInvalidClaims    Code = "jwt-invalid-claims"
	CodeMethodNotAllowed    Code = "method-not-allowed"
	CodeNotExists           Code = "not-exists"
	CodeNotFound            Code = "not-found"
	CodeNotSupported        Code = "not-supported"
	CodeParseFailed         Code = "parse-failed"
	CodePermissionError     Code = "permission-error"
	CodePostgresError       Code = "postgres-error"
	CodeUnexpected          Code = "unexpected"
	CodeValidationFailed    Code = "validation-failed"
)

// Error is a failure in Hasura's terms.
type Error struct {
	// Code is Hasura's error code.
	Code Code
	// Message is the human-readable message ("error" in REST bodies,
	// "message" in GraphQL ones).
	Message string
	// Path is the JSON path of the input at fault ("$", "$.args.table",
	// "$.selectionSet.author.args.where"); empty means "$".
	Path string
	// Internal is extra detail (a PostgreSQL error, a statement) that
	// Hasura shows only to admins or in dev mode; nil leaves it out.
	Internal any
	// Status is the HTTP status on the REST APIs; 0 means 400 there. The
	// GraphQL endpoint answers request errors with 200 unless Status is
	// set by the request layer.
	Status int
	// Err is the underlying cause, kept for logs and errors.Is/As; it is
	// never rendered.
	Err error
}

// New returns an error with code, path and a formatted message.
func New(code Code, path, format string, args ...any) *Error {
	if len(args) > 0 {
		format = fmt.Sprintf(format, args...)
	}
	return &Error{Code: code, Path: path, Message: format}
}

// WithStatus returns e with its HTTP status set (e is modified).
func (e *Error) WithStatus(status int) *Error {
	e.Status = status
	return e
}

// Error implements error.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// PathOr returns the path, "$" when unset.
func (e *Error) PathOr() string {
	if e.Path == "" {
		return "$"
	}
	return e.Path
}

// HTTPStatus is the status of e on the REST APIs (400 when unset).
func (e *Error) HTTPStatus() int {
	if e.Status != 0 {
		return e.Status
	}
	return http.StatusBadRequest
}

// At returns a copy of e whose path is re-rooted under prefix: "$" + rest
// becomes prefix + rest (a bulk item's error sits at "$.args[i]...").
func (e *Error) At(prefix string) *Error {
	c := *e
	if p := c.PathOr(); p[0] == '$' {
		c.Path = prefix + p[1:]
	} else {
		c.Path = prefix
	}
	return &c
}

// As returns err as an *Error when it is or wraps one.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// Wrap returns err as an *Error: itself when it is or wraps one, otherwise
// an unexpected error at "$" carrying err's message (and err as its cause).
func Wrap(err error) *Error {
	if e, ok := As(err); ok {
		return e
	}
	return &Error{Code: CodeUnexpected, Message: err.Error(), Path: "$", Err: err}
}

// REST is the error body of Hasura's REST-style APIs (/v1/metadata,
// /v1/query, /v2/query, /v1/graphql/explain).
type REST struct {
	Path     string `json:"path"`
	Message  string `json:"error"`
	Code     string `json:"code"`
	Internal any    `json:"internal,omitempty"`
}

// REST renders e as a REST error body.
func (e *Error) REST() REST {
	return REST{Path: e.PathOr(), Message: e.Message, Code: e.Code, Internal: e.Internal}
}

// GraphQLError is one entry of a GraphQL response's "errors".
type GraphQLError struct {
	Message    string     `json:"message"`
	Extensions Extensions `json:"extensions"`
}

// Extensions is a GraphQL error's "extensions" in Hasura's shape (keys in
// the order the engine has always written them).
type Extensions struct {
	Code     string `json:"code"`
	Internal any    `json:"internal,omitempty"`
	Path     string `json:"path"`
}

// GraphQL renders e as one GraphQL error.
func (e *Error) GraphQL() GraphQLError {
	return GraphQLError{Message: e.Message, Extensions: Extensions{Code: e.Code, Internal: e.Internal, Path: e.PathOr()}}
}

// GraphQLBody is a GraphQL response that failed as a whole:
// {"errors": [...]}.
type GraphQLBody struct {
	Errors []GraphQLError `json:"errors"`
}

// GraphQLResponse renders errs as a GraphQL error response body.
func GraphQLResponse(errs ...*Error) GraphQLBody {
	out := GraphQLBody{Errors: make([]GraphQLError, len(errs))}
	for i, e := range errs {
		out.Errors[i] = e.GraphQL()
	}
	return out
}
