// Package app assembles a running engine from its configuration: it opens the
// database pool, starts the metadata state (store, catalogue, schema), mounts
// the GraphQL and metadata APIs on the HTTP layer and serves until the
// context ends.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	crconfig "sigs.k8s.io/controller-runtime/pkg/client/config"

	"github.com/stratagql/strata/engine/auth"
	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/compile"
	"github.com/stratagql/strata/engine/config"
	"github.com/stratagql/strata/engine/database"
	"github.com/stratagql/strata/engine/execute"
	"github.com/stratagql/strata/engine/graphql"
	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/metadataapi"
	"github.com/stratagql/strata/engine/metastore"
	"github.com/stratagql/strata/engine/schema"
	"github.com/stratagql/strata/engine/server"
	"github.com/stratagql/strata/engine/state"
	"github.com/stratagql/strata/engine/ws"
	"github.com/stratagql/strata/internal/version"
)

// Engine is an engine whose database answers and whose metadata is loaded,
// ready to serve.
type Engine struct {
	cfg     *config.Config
	log     *slog.Logger
	pool    *pgxpool.Pool
	state   *state.Manager
	auth    *auth.Authenticator
	stop    context.CancelFunc
	handler http.Handler
	// graphql serves /v1/graphql over HTTP, ws over WebSocket (nil when
	// the graphql API is disabled).
	graphql *graphql.Handler
	ws      *ws.Handler
	// bg tracks the engine's own background goroutines (stopped by stop).
	bg   sync.WaitGroup
	opts options
}

// New connects to the database, loads metadata and builds the handler.
// Background work (metadata watch, and what opts add) runs until Close.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger, opts ...Option) (*Engine, error) {
	pool, err := database.Connect(ctx, cfg.DatabaseURL, database.PoolOptions{
		MaxConns:        cfg.PGConnections,
		MaxConnIdleTime: cfg.PGIdleTimeout,
		MaxConnLifetime: cfg.PGConnLifetime,
		ConnectTimeout:  cfg.ConnectTimeout,
	})
	if err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, log: log, pool: pool}
	for _, o := range opts {
		o(&e.opts)
	}
	if err := e.start(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return e, nil
}

func (e *Engine) start(ctx context.Context) error {
	cfg, log := e.cfg, e.log
	if len(cfg.AdminSecrets) == 0 {
		log.Warn("no admin secret is set: every request is treated as admin (HASURA_GRAPHQL_ADMIN_SECRET)")
	}
	store, err := e.openStore(ctx)
	if err != nil {
		return err
	}
	mgr, err := state.New(state.Config{
		Store:       store,
		DB:          e.pool,
		LoadCatalog: loadCatalog,
		Build:       schema.Build,
		Logger:      log,
	})
	if err != nil {
		return err
	}
	bg, stop := context.WithCancel(context.Background())
	releaseAfterSwaps(bg, mgr, &e.bg)
	if err := mgr.Start(bg); err != nil {
		stop()
		e.bg.Wait()
		return fmt.Errorf("load metadata: %w", err)
	}
	e.state, e.stop = mgr, stop
	for _, fn := range e.opts.background {
		e.bg.Go(func() { fn(bg, store, mgr, log) })
	}
	authn, err := auth.New(bg, auth.ConfigFrom(cfg), nil, log)
	if err != nil {
		stop()
		mgr.Wait()
		e.bg.Wait()
		return err
	}
	e.auth = authn

	routes := map[string]http.Handler{}
	if cfg.APIEnabled("graphql") {
		gh := &graphql.Handler{
			Schema: func() (*schema.Schema, int64) {
				s := mgr.Current()
				return s.Schema, int64(s.Generation)
			},
			Exec: &execute.Executor{
				Pool:             e.pool,
				StatementTimeout: cfg.StatementTimeout,
				AcquireTimeout:   cfg.PGPoolTimeout,
			},
			Opts:           compile.Options{StringifyNumeric: cfg.StringifyNumericTypes},
			Authenticate:   e.authenticate,
			DevMode:        cfg.DevMode,
			MaxQueryBytes:  cfg.MaxQueryBytes,
			MaxQueryTokens: cfg.MaxQueryTokens,
		}
		e.ws = &ws.Handler{
			Authenticate:    e.authenticate,
			GraphQL:         gh,
			Subscriptions:   e.startSubscriptions(bg, gh, mgr),
			KeepAlive:       cfg.WebSocketKeepAlive,
			InitTimeout:     cfg.WebSocketInitTimeout,
			MaxOperations:   cfg.WebSocketMaxSubscriptions,
			MaxMessageBytes: int64(cfg.WebSocketMaxMessageBytes),
			SendQueue:       cfg.WebSocketSendQueue,
			WriteTimeout:    cfg.WebSocketWriteTimeout,
			Logger:          log,
		}
		if cfg.CORS != nil {
			e.ws.AllowOrigin = cfg.CORS.Allows
		}
		routes["/v1/graphql"] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if ws.IsUpgrade(r) {
				e.ws.ServeHTTP(w, r)
				return
			}
			gh.ServeHTTP(w, r)
		})
		routes["/v1/graphql/explain"] = gh.Explain()
		e.graphql = gh
	}
	if cfg.APIEnabled("metadata") {
		mcfg := metadataapi.Config{State: mgr, DB: e.pool, IsAdmin: e.isAdmin, Logger: log}
		if gh := e.graphql; gh != nil {
			admin := &auth.Session{Role: "admin", Vars: map[string]string{"x-hasura-role": "admin"}, Admin: true}
			mcfg.GraphQL = func(ctx context.Context, query string, vars map[string]any) []byte {
				return gh.Do(ctx, &graphql.Request{Query: query, Variables: vars}, admin)
			}
		}
		api, err := metadataapi.New(mcfg)
		if err != nil {
			return err
		}
		routes["/v1/metadata"] = api.Metadata()
		routes["/v1/query"] = api.Query()
		routes["/v2/query"] = api.V2Query()
	}
	e.handler = server.NewHandler(server.Deps{
		Version:             version.Version,
		Logger:              log,
		Ping:                e.pool.Ping,
		InconsistentObjects: mgr.InconsistentObjects,
		Routes:              routes,
		CORS:                cfg.CORS,
	})
	return nil
}

// openStore picks the metadata store the configuration names.
func (e *Engine) openStore(ctx context.Context) (metastore.Store, error) {
	switch {
	case e.cfg.MetadataFile != "":
		return metastore.NewFile(e.cfg.MetadataFile, e.log)
	case e.cfg.MetadataConfigMap != "":
		// The operator publishes the ConfigMap; a new engine waits a while
		// for it (and for valid content) rather than crash-looping.
		const configMapWait = 45 * time.Second
		ns, name, _ := strings.Cut(e.cfg.MetadataConfigMap, "/")
		rc, err := crconfig.GetConfig()
		if err != nil {
			return nil, fmt.Errorf("--metadata-configmap %s: no Kubernetes API server configured (in-cluster or KUBECONFIG): %w", e.cfg.MetadataConfigMap, err)
		}
		wait, cancel := context.WithTimeout(ctx, configMapWait)
		defer cancel()
		return metastore.NewConfigMap(wait, rc, ns, name, e.log)
	}
	return metastore.NewPostgres(ctx, e.pool, e.log)
}

func loadCatalog(ctx context.Context, q state.Querier) (*catalog.Catalog, error) {
	return catalog.Load(ctx, q)
}

// isAdmin reports whether r acts as the admin role: a valid admin secret,
// no secret configured (Hasura's development mode), or a JWT or webhook
// session whose role is admin.
func (e *Engine) isAdmin(r *http.Request) bool {
	if e.auth.IsAdminRequest(r.Header) {
		return true
	}
	s, err := e.auth.Authenticate(r.Context(), r.Header, nil)
	return err == nil && s.Admin
}

// authenticate resolves a GraphQL request's session.
func (e *Engine) authenticate(r *http.Request, body []byte) (*auth.Session, *hasuraerr.Error) {
	return e.auth.Authenticate(r.Context(), r.Header, body)
}

// Handler is the engine's root HTTP handler.
func (e *Engine) Handler() http.Handler { return e.handler }

// Close stops background work and releases the database pool.
func (e *Engine) Close() {
	if e.stop != nil {
		e.stop()
		e.state.Wait()
		e.bg.Wait()
		e.auth.Close()
	}
	e.pool.Close()
}

// Run serves on the configured address until ctx ends, then drains in-flight
// requests within the configured grace period and closes the pool.
func (e *Engine) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", e.cfg.ListenAddr())
	if err != nil {
		e.Close()
		return fmt.Errorf("listen on %s: %w", e.cfg.ListenAddr(), err)
	}
	return e.Serve(ctx, ln)
}

// Serve is Run on an existing listener.
func (e *Engine) Serve(ctx context.Context, ln net.Listener) error {
	defer e.Close()
	e.log.Info("serving", "address", ln.Addr().String(), "version", version.Version)
	if e.ws != nil {
		// http.Server's shutdown does not see hijacked connections: close
		// the WebSockets (completing their subscriptions) alongside it.
		served, closed := make(chan struct{}), make(chan struct{})
		defer func() { close(served); <-closed }()
		go func() {
			defer close(closed)
			select {
			case <-ctx.Done():
				grace, cancel := context.WithTimeout(context.Background(), e.cfg.ShutdownTimeout)
				defer cancel()
				_ = e.ws.Shutdown(grace)
			case <-served:
			}
		}()
	}
	return server.Serve(ctx, ln, e.handler, server.Timeouts{
		Read:  e.cfg.HTTPReadTimeout,
		Write: e.cfg.HTTPWriteTimeout,
		Idle:  e.cfg.HTTPIdleTimeout,
		Grace: e.cfg.ShutdownTimeout,
	}, e.log)
}
