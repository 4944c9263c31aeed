// Package app assembles a running engine from its configuration: it opens the
// database pool, loads metadata, builds the HTTP handler and serves it until
// the context ends.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stratagql/strata/engine/config"
	"github.com/stratagql/strata/engine/database"
	"github.com/stratagql/strata/engine/server"
	"github.com/stratagql/strata/internal/version"
)

// Engine is an engine whose database answers, ready to serve.
type Engine struct {
	cfg     *config.Config
	log     *slog.Logger
	pool    *pgxpool.Pool
	handler http.Handler
}

// New connects to the database and builds the engine's handler.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger) (*Engine, error) {
	pool, err := database.Connect(ctx, cfg.DatabaseURL, database.PoolOptions{
		MaxConns:        cfg.PGConnections,
		MaxConnIdleTime: cfg.PGIdleTimeout,
		MaxConnLifetime: cfg.PGConnLifetime,
		ConnectTimeout:  cfg.ConnectTimeout,
	})
	if err != nil {
		return nil, err
	}
	if len(cfg.AdminSecrets) == 0 {
		log.Warn("no admin secret is set: every request is treated as admin (HASURA_GRAPHQL_ADMIN_SECRET)")
	}
	e := &Engine{cfg: cfg, log: log, pool: pool}
	e.handler = server.NewHandler(server.Deps{
		Version: version.Version,
		Logger:  log,
		Ping:    pool.Ping,
	})
	return e, nil
}

// Handler is the engine's root HTTP handler.
func (e *Engine) Handler() http.Handler { return e.handler }

// Close releases the database pool.
func (e *Engine) Close() { e.pool.Close() }

// Run serves on the configured address until ctx ends, then drains in-flight
// requests within the configured grace period and closes the pool.
func (e *Engine) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", e.cfg.ListenAddr())
	if err != nil {
		return fmt.Errorf("listen on %s: %w", e.cfg.ListenAddr(), err)
	}
	return e.Serve(ctx, ln)
}

// Serve is Run on an existing listener.
func (e *Engine) Serve(ctx context.Context, ln net.Listener) error {
	defer e.Close()
	e.log.Info("serving", "address", ln.Addr().String(), "version", version.Version)
	return server.Serve(ctx, ln, e.handler, e.cfg.ShutdownTimeout, e.log)
}
