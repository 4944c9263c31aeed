package metastore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stratagql/strata/engine/database"
	"github.com/stratagql/strata/engine/metadata"
)

// Channel is the PostgreSQL NOTIFY channel a save announces its new
// resource_version on.
const Channel = "strata_metadata"

// DefaultPollInterval is how often Watch reads resource_version as a
// fallback to LISTEN (a notification can be lost while reconnecting), unless
// WithPollInterval says otherwise.
const DefaultPollInterval = 500 * time.Millisecond

// initLock is the advisory lock key serialising catalogue creation across
// engines starting at the same time ("strata" + "meta" in ASCII).
const initLock int64 = 0x7374726174616d65

const initSQL = `CREATE SCHEMA IF NOT EXISTS hdb_catalog;
CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_metadata (
  id integer PRIMARY KEY,
  metadata json NOT NULL,
  resource_version integer NOT NULL DEFAULT 1
)`

// Postgres keeps metadata in hdb_catalog.hdb_metadata (row id 1), the
// table Hasura v2 uses, so several engines on one database share it.
type Postgres struct {
	pool *pgxpool.Pool
	log  *slog.Logger
	poll time.Duration
}

var _ TxStore = (*Postgres)(nil)

// PostgresOption changes a Postgres store made by NewPostgres.
type PostgresOption func(*Postgres)

// WithPollInterval sets how often Watch reads resource_version besides
// LISTEN (DefaultPollInterval when d <= 0). Tests of LISTEN set it very long,
// so that the poll cannot cover for a notification that never came.
func WithPollInterval(d time.Duration) PostgresOption {
	return func(p *Postgres) {
		if d > 0 {
			p.poll = d
		}
	}
}

// NewPostgres creates hdb_catalog.hdb_metadata if it is missing (safely
// under concurrent starts) and returns the store.
func NewPostgres(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger, opts ...PostgresOption) (*Postgres, error) {
	if log == nil {
		log = slog.Default()
	}
	p := &Postgres{pool: pool, log: log, poll: DefaultPollInterval}
	for _, o := range opts {
		o(p)
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("metastore: begin catalogue set-up: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", initLock); err != nil {
		return nil, fmt.Errorf("metastore: lock catalogue set-up: %w", err)
	}
	if _, err := tx.Exec(ctx, initSQL); err != nil {
		return nil, fmt.Errorf("metastore: create hdb_catalog.hdb_metadata: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO hdb_catalog.hdb_metadata (id, metadata, resource_version)
		VALUES (1, $1::json, 1) ON CONFLICT (id) DO NOTHING`, string(metadata.Empty().JSON())); err != nil {
		return nil, fmt.Errorf("metastore: initialise metadata row: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("metastore: commit catalogue set-up: %w", err)
	}
	return p, nil
}

// Load implements Store.
func (p *Postgres) Load(ctx context.Context) (*metadata.Metadata, int64, error) {
	return load(ctx, p.pool.QueryRow(ctx, `SELECT metadata::text, resource_version FROM hdb_catalog.hdb_metadata WHERE id = 1`))
}

// LoadTx implements TxStore.
func (p *Postgres) LoadTx(ctx context.Context, tx pgx.Tx) (*metadata.Metadata, int64, error) {
	return load(ctx, tx.QueryRow(ctx, `SELECT metadata::text, resource_version FROM hdb_catalog.hdb_metadata WHERE id = 1 FOR UPDATE`))
}

func load(_ context.Context, row pgx.Row) (*metadata.Metadata, int64, error) {
	var text string
	var version int64
	if err := row.Scan(&text, &version); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return metadata.Empty(), 0, nil
		}
		return nil, 0, fmt.Errorf("metastore: read hdb_catalog.hdb_metadata: %w", err)
	}
	md, err := metadata.Parse([]byte(text))
	if err != nil {
		return nil, 0, fmt.Errorf("metastore: stored metadata (resource_version %d): %w", version, err)
	}
	return md, version, nil
}

// Save implements Store.
func (p *Postgres) Save(ctx context.Context, md *metadata.Metadata, expected int64) (int64, error) {
	var v int64
	err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		var err error
		v, err = p.SaveTx(ctx, tx, md, expected)
		return err
	})
	return v, err
}

// SaveTx implements TxStore.
func (p *Postgres) SaveTx(ctx context.Context, tx pgx.Tx, md *metadata.Metadata, expected int64) (int64, error) {
	doc := string(md.JSON())
	var v int64
	var err error
	if expected == 0 {
		err = tx.QueryRow(ctx, `INSERT INTO hdb_catalog.hdb_metadata (id, metadata, resource_version)
			VALUES (1, $1::json, 1) ON CONFLICT (id) DO NOTHING RETURNING resource_version`, doc).Scan(&v)
	} else {
		err = tx.QueryRow(ctx, `UPDATE hdb_catalog.hdb_metadata SET metadata = $1::json, resource_version = resource_version + 1
			WHERE id = 1 AND resource_version = $2 RETURNING resource_version`, doc, expected).Scan(&v)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, ErrConflict
	}
	if err != nil {
		return 0, fmt.Errorf("metastore: write hdb_catalog.hdb_metadata: %w", err)
	}
	if _, err := tx.Exec(ctx, "SELECT pg_notify($1, $2)", Channel, strconv.FormatInt(v, 10)); err != nil {
		return 0, fmt.Errorf("metastore: notify %s: %w", Channel, err)
	}
	return v, nil
}

// Watch implements Store: LISTEN on a dedicated connection, plus a
// resource_version poll every poll interval; the connection is re-opened
// after failures.
func (p *Postgres) Watch(ctx context.Context, fn func(version int64)) error {
	var last int64 = -1
	report := func(v int64) {
		if v != last {
			last = v
			fn(v)
		}
	}
	// Report the version at start: a change made between the caller's
	// Load and this point would otherwise go unnoticed.
	if v, err := p.version(ctx); err == nil {
		report(v)
	}
	backoff := 250 * time.Millisecond
	for ctx.Err() == nil {
		conn, err := p.listen(ctx)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			p.log.Warn("metadata watch: cannot listen, polling until reconnected", "error", err, "retry_in", backoff.String())
			p.pollFor(ctx, backoff, report)
			backoff = min(backoff*2, 5*time.Second)
			continue
		}
		backoff = 250 * time.Millisecond
		err = p.wait(ctx, conn, report)
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		_ = conn.Close(closeCtx)
		cancel()
		if err != nil && ctx.Err() == nil {
			p.log.Warn("metadata watch: listen connection failed, reconnecting", "error", err)
		}
	}
	return nil
}

func (p *Postgres) listen(ctx context.Context) (*pgx.Conn, error) {
	return database.Listen(ctx, p.pool, Channel, "")
}

// wait relays notifications and polls between them until ctx ends or the
// connection fails.
func (p *Postgres) wait(ctx context.Context, conn *pgx.Conn, report func(int64)) error {
	for {
		wctx, cancel := context.WithTimeout(ctx, p.poll)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			if v, perr := strconv.ParseInt(n.Payload, 10, 64); perr == nil {
				report(v)
			}
			continue
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		v, err := p.version(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		report(v)
	}
}

// pollFor polls resource_version every poll interval (at least once) for d.
func (p *Postgres) pollFor(ctx context.Context, d time.Duration, report func(int64)) {
	deadline := time.Now().Add(d)
	for {
		if v, err := p.version(ctx); err == nil {
			report(v)
		}
		wait := min(p.poll, time.Until(deadline))
		if wait <= 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

func (p *Postgres) version(ctx context.Context) (int64, error) {
	var v int64
	err := p.pool.QueryRow(ctx, `SELECT resource_version FROM hdb_catalog.hdb_metadata WHERE id = 1`).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("metastore: read resource_version: %w", err)
	}
	return v, nil
}
