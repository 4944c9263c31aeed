package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync/atomic"

	"github.com/stratagql/strata/engine/hasuraerr"
)

// panics counts the panics Recover turned into errors, process-wide.
var panics atomic.Uint64

// Panics is the number of request panics recovered since the process
// started (for metrics).
func Panics() uint64 { return panics.Load() }

// graphQLPaths are the endpoints whose errors have the GraphQL shape
// ({"errors": [...]}); every other endpoint's have the REST shape.
var graphQLPaths = map[string]bool{"/v1/graphql": true}

// Recover wraps h so that a panic while serving a request is logged with
// its stack, counted (Panics) and answered with Hasura's unexpected error
// and status 500, in the endpoint's error shape, instead of dropping the
// connection. When the handler had already started its response, nothing
// valid can be sent any more: the connection is aborted.
// http.ErrAbortHandler, the deliberate abort, passes through.
func Recover(h http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rw := &startedWriter{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(v)
			}
			panics.Add(1)
			log.Error("request panicked", "method", r.Method, "path", r.URL.Path,
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if rw.started {
				panic(http.ErrAbortHandler)
			}
			e := &hasuraerr.Error{Code: hasuraerr.CodeUnexpected, Message: "internal error: the request failed unexpectedly", Status: http.StatusInternalServerError}
			if graphQLPaths[r.URL.Path] {
				WriteJSON(w, e.Status, hasuraerr.GraphQLResponse(e))
				return
			}
			WriteError(w, 0, e)
		}()
		h.ServeHTTP(rw, r)
	})
}

// startedWriter records whether the response was started.
type startedWriter struct {
	http.ResponseWriter
	started bool
}

func (w *startedWriter) WriteHeader(status int) {
	w.started = true
	w.ResponseWriter.WriteHeader(status)
}

func (w *startedWriter) Write(b []byte) (int, error) {
	w.started = true
	return w.ResponseWriter.Write(b)
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *startedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
