package metadataapi

import (
	"errors"
	"net/http"

	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/metastore"
	"github.com/stratagql/strata/engine/state"
)

// apiError turns any failure into the error the client sees; path is
// where argument-independent failures are reported.
func apiError(err error, path string) *hasuraerr.Error {
	var conflict *state.ConflictError
	var inc *state.InconsistentError
	if e, ok := hasuraerr.As(err); ok {
		return e
	}
	switch {
	case errors.As(err, &conflict):
		return &hasuraerr.Error{Code: hasuraerr.CodeConflict, Path: "$", Message: conflict.Error(), Status: http.StatusConflict, Err: err}
	case errors.As(err, &inc):
		return &hasuraerr.Error{Code: hasuraerr.CodeUnexpected, Path: path, Message: inc.Error(), Internal: inc.Objects, Err: err}
	case errors.Is(err, metastore.ErrManagedByKubernetes):
		return &hasuraerr.Error{Code: hasuraerr.CodeNotSupported, Path: path, Message: metastore.ErrManagedByKubernetes.Error(), Err: err}
	case errors.Is(err, metastore.ErrReadOnly):
		return &hasuraerr.Error{Code: hasuraerr.CodeNotSupported, Path: path,
			Message: "metadata is read-only: it is served from a file (--metadata-file)", Err: err}
	case errors.Is(err, metastore.ErrConflict):
		return &hasuraerr.Error{Code: hasuraerr.CodeConflict, Path: "$",
			Message: "metadata resource version did not match current version", Status: http.StatusConflict, Err: err}
	}
	return &hasuraerr.Error{Code: hasuraerr.CodeUnexpected, Path: path, Message: "an unexpected error occurred",
		Status: http.StatusInternalServerError, Err: err}
}
