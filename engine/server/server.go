// Package server is the engine's HTTP layer: it routes Hasura's endpoints
// (/healthz, /v1/version, /v1/graphql, /v1/metadata, /v2/query, ...) to their
// handlers behind the middleware every request goes through (panic
// recovery, CORS), and runs the listener with timeouts and graceful
// shutdown.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/stratagql/strata/engine/hasuraerr"
)

// Deps are what the HTTP layer needs from the rest of the engine. Handlers
// left nil are not served (their path answers Hasura's not-found error).
type Deps struct {
	Version string
	Logger  *slog.Logger
	// Ping reports whether the database answers.
	Ping func(ctx context.Context) error
	// InconsistentObjects counts metadata objects left out of the schema.
	InconsistentObjects func() int
	// Routes maps extra paths (e.g. "/v1/graphql") to their handlers.
	Routes map[string]http.Handler
	// CORS is the cross-origin policy; nil sends no CORS headers.
	CORS *CORSPolicy
}

// NewHandler builds the engine's root HTTP handler: the routes behind
// Recover and CORS.
func NewHandler(d Deps) http.Handler {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", d.healthz)
	mux.HandleFunc("GET /v1/version", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]string{"version": d.Version})
	})
	for path, h := range d.Routes {
		mux.Handle(path, h)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, http.StatusNotFound, &hasuraerr.Error{Code: hasuraerr.CodeNotFound, Message: "resource does not exist"})
	})
	return Recover(CORS(mux, d.CORS), d.Logger)
}

func (d Deps) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if d.Ping != nil {
		if err := d.Ping(ctx); err != nil {
			d.Logger.Warn("health check: database did not answer", "error", err)
			http.Error(w, "ERROR", http.StatusInternalServerError)
			return
		}
	}
	if d.InconsistentObjects != nil && d.InconsistentObjects() > 0 {
		status := http.StatusOK
		if r.URL.Query().Get("strict") == "true" {
			status = http.StatusInternalServerError
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte("WARN: inconsistent objects in schema"))
		return
	}
	_, _ = w.Write([]byte("OK"))
}

// WriteError writes e in the REST shape of Hasura's metadata and query
// APIs ({"path","error","code","internal"}) with the given HTTP status, or
// e's own (e.HTTPStatus()) when status is 0.
func WriteError(w http.ResponseWriter, status int, e *hasuraerr.Error) {
	if status == 0 {
		status = e.HTTPStatus()
	}
	WriteJSON(w, status, e.REST())
}

// WriteJSON writes v as a JSON response.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Timeouts bound the HTTP server's connections (0 means no bound).
type Timeouts struct {
	// ReadHeader bounds reading a request's headers.
	ReadHeader time.Duration
	// Read bounds reading a whole request, body included.
	Read time.Duration
	// Write bounds the time from the end of a request's headers to the
	// end of its response: it must exceed the longest a request may run.
	Write time.Duration
	// Idle bounds how long a keep-alive connection waits for its next
	// request.
	Idle time.Duration
	// Grace is how long in-flight requests may take to finish on shutdown.
	Grace time.Duration
}

// DefaultReadHeaderTimeout bounds reading request headers when
// Timeouts.ReadHeader is 0.
const DefaultReadHeaderTimeout = 10 * time.Second

// Serve runs h on ln until ctx is cancelled, then stops accepting new
// connections and gives in-flight requests up to t.Grace to finish.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, t Timeouts, log *slog.Logger) error {
	if t.ReadHeader <= 0 {
		t.ReadHeader = DefaultReadHeaderTimeout
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight requests", "grace", t.Grace.String())
	sctx, cancel := context.WithTimeout(context.Background(), t.Grace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		log.Warn("grace period over: closing remaining connections")
		_ = srv.Close()
	}
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}
