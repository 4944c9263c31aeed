// Package database opens the engine's PostgreSQL connection pool and waits,
// within a bounded time, for the database to answer.
package database

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// PoolOptions are the pool settings from the engine configuration.
type PoolOptions struct {
	MaxConns        int
	MaxConnIdleTime time.Duration
	MaxConnLifetime time.Duration
	// ConnectTimeout bounds how long Connect waits for the first answer.
	ConnectTimeout time.Duration
}

// Connect creates a pool for url and pings the database until it answers or
// ConnectTimeout passes. The error names the address, never the password.
func Connect(ctx context.Context, url string, o PoolOptions) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("invalid database URL: %s", scrub(err))
	}
	if o.MaxConns > 0 {
		cfg.MaxConns = int32(o.MaxConns)
	}
	if o.MaxConnIdleTime > 0 {
		cfg.MaxConnIdleTime = o.MaxConnIdleTime
	}
	if o.MaxConnLifetime > 0 {
		cfg.MaxConnLifetime = o.MaxConnLifetime
	}
	addr := net.JoinHostPort(cfg.ConnConfig.Host, fmt.Sprint(cfg.ConnConfig.Port))
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("database at %s: %s", addr, scrub(err))
	}
	timeout := o.ConnectTimeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	deadline := time.Now().Add(timeout)
	for {
		pctx, cancel := context.WithTimeout(ctx, time.Until(deadline))
		err = pool.Ping(pctx)
		cancel()
		if err == nil {
			return pool, nil
		}
		if ctx.Err() != nil || time.Now().Add(250*time.Millisecond).After(deadline) || isPermanent(err) {
			pool.Close()
			return nil, fmt.Errorf("database at %s did not answer within %s: %s", addr, timeout, scrub(err))
		}
		select {
		case <-ctx.Done():
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// isPermanent reports errors that retrying cannot fix (bad password, unknown database).
func isPermanent(err error) bool {
	var pgErr interface{ SQLState() string }
	if errors.As(err, &pgErr) {
		switch pgErr.SQLState()[:2] {
		case "28", "3D": // invalid authorization, invalid catalog name
			return true
		}
	}
	return false
}

// scrub keeps only the last, most specific part of a connection error so the
// message stays one line and carries no credentials.
func scrub(err error) string {
	msg := err.Error()
	for _, sep := range []string{"): ", "failed to connect to "} {
		if i := strings.LastIndex(msg, sep); i >= 0 {
			msg = msg[i+len(sep):]
			break
		}
	}
	return msg
}
