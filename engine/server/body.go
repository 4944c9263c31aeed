package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/stratagql/strata/engine/hasuraerr"
)

// DefaultMaxBodyBytes bounds a request body unless the endpoint is given
// another limit.
const DefaultMaxBodyBytes = 16 << 20

// ReadBody reads r's body, at most limit bytes (DefaultMaxBodyBytes when
// limit <= 0). A larger body is refused with 413 and Hasura's error shape,
// never truncated; a body that cannot be read is a 400.
func ReadBody(r *http.Request, limit int64) ([]byte, *hasuraerr.Error) {
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, bodyTooLarge(tooLarge.Limit)
		}
		return nil, &hasuraerr.Error{Code: hasuraerr.CodeBadRequest, Path: "$",
			Message: "cannot read the request body: " + err.Error(), Status: http.StatusBadRequest, Err: err}
	}
	if int64(len(body)) > limit {
		return nil, bodyTooLarge(limit)
	}
	return body, nil
}

func bodyTooLarge(limit int64) *hasuraerr.Error {
	return &hasuraerr.Error{Code: hasuraerr.CodeBadRequest, Path: "$", Status: http.StatusRequestEntityTooLarge,
		Message: fmt.Sprintf("request body too large: the limit is %d bytes", limit)}
}
