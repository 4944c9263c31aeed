package metadataapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/metastore"
	"github.com/stratagql/strata/engine/state"
)

// Error is an API failure in Hasura's shape, with its HTTP status.
type Error struct {
	Status   int
	Code     string
	Message  string
	Path     string
	Internal any
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// body is the error as written on the wire.
func (e *Error) body() hasuraerr.REST {
	return hasuraerr.REST{Path: e.Path, Message: e.Message, Code: e.Code, Internal: e.Internal}
}

// at returns a copy of e whose path is prefixed: "$" + rest becomes
// prefix + rest (used to place a bulk item's error at "$.args[i]").
func (e *Error) at(prefix string) *Error {
	c := *e
	if len(c.Path) >= 1 && c.Path[0] == '$' {
		c.Path = prefix + c.Path[1:]
	} else {
		c.Path = prefix
	}
	return &c
}

func newErr(status int, code, path, format string, a ...any) *Error {
	return &Error{Status: status, Code: code, Path: path, Message: fmt.Sprintf(format, a...)}
}

// Hasura's error codes used here.
const (
	codeParseFailed       = "parse-failed"
	codeInvalidJSON       = "invalid-json"
	codeNotExists         = "not-exists"
	codeAlreadyExists     = "already-exists"
	codeAlreadyTracked    = "already-tracked"
	codeAlreadyUntracked  = "already-untracked"
	codeNotSupported      = "not-supported"
	codeBadRequest        = "bad-request"
	codeAccessDenied      = "access-denied"
	codeConflict          = "conflict"
	codeDependency        = "dependency-error"
	codeUnexpected        = "unexpected"
	codePostgres          = "postgres-error"
	codeConstraintViolate = "constraint-violation"
	codeInvalidParams     = "invalid-params"
)

func parseFailed(path, format string, a ...any) *Error {
	return newErr(http.StatusBadRequest, codeParseFailed, path, format, a...)
}

func notExists(path, format string, a ...any) *Error {
	return newErr(http.StatusBadRequest, codeNotExists, path, format, a...)
}

func alreadyExists(path, format string, a ...any) *Error {
	return newErr(http.StatusBadRequest, codeAlreadyExists, path, format, a...)
}

// toAPIError turns any failure into the error the client sees; path is
// where argument-independent failures are reported.
func toAPIError(err error, path string) *Error {
	var apiErr *Error
	var conflict *state.ConflictError
	var inc *state.InconsistentError
	switch {
	case errors.As(err, &apiErr):
		return apiErr
	case errors.As(err, &conflict):
		return newErr(http.StatusConflict, codeConflict, "$", "%s", conflict.Error())
	case errors.As(err, &inc):
		e := newErr(http.StatusBadRequest, codeUnexpected, path, "%s", inc.Error())
		e.Internal = inc.Objects
		return e
	case errors.Is(err, metastore.ErrManagedByKubernetes):
		return newErr(http.StatusBadRequest, codeNotSupported, path, "%s", metastore.ErrManagedByKubernetes.Error())
	case errors.Is(err, metastore.ErrReadOnly):
		return newErr(http.StatusBadRequest, codeNotSupported, path, "metadata is read-only: it is served from a file (--metadata-file)")
	case errors.Is(err, metastore.ErrConflict):
		return newErr(http.StatusConflict, codeConflict, "$", "metadata resource version did not match current version")
	}
	return &Error{Status: http.StatusInternalServerError, Code: codeUnexpected, Path: path, Message: "an unexpected error occurred", Internal: nil}
}
