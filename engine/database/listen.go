package database

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Listen opens a connection of its own with pool's settings (a LISTEN must
// outlive any pooled connection), named applicationName when not empty, and
// LISTENs on channel (a constant lower-case identifier of the engine's, sent
// as it is). The caller owns and closes the connection.
func Listen(ctx context.Context, pool *pgxpool.Pool, channel, applicationName string) (*pgx.Conn, error) {
	cfg := pool.Config().ConnConfig.Copy()
	if applicationName != "" {
		if cfg.RuntimeParams == nil {
			cfg.RuntimeParams = map[string]string{}
		}
		cfg.RuntimeParams["application_name"] = applicationName
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
		_ = conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("LISTEN %s: %w", channel, err)
	}
	return conn, nil
}
