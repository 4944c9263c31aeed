// Package data is the benchmarks' vendored Chinook dataset (chinook.sql.gz,
// with its licence and provenance beside it), Strata's metadata for it
// (metadata.json), and the loader that creates the strata_bench database
// from them once.
package data

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	_ "embed"

	"github.com/jackc/pgx/v5"
)

var (
	//go:embed chinook.sql.gz
	chinookGz []byte
	// Metadata is Strata's metadata for the dataset (replace_metadata's
	// args): every table tracked with its relationships, role customer.
	//
	//go:embed metadata.json
	Metadata []byte
)

// DBName is the database Ensure loads and every benchmark target serves.
const DBName = "strata_bench"

// datasetMark, stored as the database's comment, says the load finished; a
// database without it (an interrupted load, an older layout) is rebuilt.
const datasetMark = "strata bench: chinook 1.4.5, rls v1"

// rlsSQL gives PostGraphile the customer permission the PostgreSQL way:
// row-level security for a role it switches to per request. Superusers and
// the tables' owner (Strata and the floor) are not affected.
const rlsSQL = `
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'strata_bench_customer') THEN
    CREATE ROLE strata_bench_customer NOLOGIN;
  END IF;
END $$;
GRANT strata_bench_customer TO CURRENT_USER;
GRANT USAGE ON SCHEMA public TO strata_bench_customer;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO strata_bench_customer;
ALTER TABLE invoice ENABLE ROW LEVEL SECURITY;
ALTER TABLE invoice_line ENABLE ROW LEVEL SECURITY;
CREATE POLICY customer_own ON invoice FOR SELECT TO strata_bench_customer
  USING (customer_id = nullif(current_setting('bench.user_id', true), '')::int);
CREATE POLICY customer_own ON invoice_line FOR SELECT TO strata_bench_customer
  USING (EXISTS (SELECT FROM invoice i WHERE i.invoice_id = invoice_line.invoice_id
                 AND i.customer_id = nullif(current_setting('bench.user_id', true), '')::int));
ANALYZE;
`

// URL returns server with its database replaced by name and, unless
// the server URL chooses one, sslmode=disable.
func URL(server, name string) (string, error) {
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("DATABASE_URL must be a postgres:// URL")
	}
	u.Path = "/" + name
	// Every target gets the same transport: without a choice in DATABASE_URL,
	// pgx would negotiate TLS (sslmode=prefer) where node-postgres does not.
	if q := u.Query(); q.Get("sslmode") == "" {
		q.Set("sslmode", "disable")
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

// Ensure creates and loads strata_bench on the server at serverURL unless a
// finished load is already there, and returns its URL and the server's
// version. logf reports what it does.
func Ensure(ctx context.Context, serverURL string, logf func(string, ...any)) (dbURL, version string, err error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	dbURL, err = URL(serverURL, DBName)
	if err != nil {
		return "", "", err
	}
	admin, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return "", "", fmt.Errorf("connect to PostgreSQL (DATABASE_URL): %w", err)
	}
	defer admin.Close(context.Background())
	if err := admin.QueryRow(ctx, "SHOW server_version").Scan(&version); err != nil {
		return "", "", fmt.Errorf("read the server version: %w", err)
	}
	var mark *string
	err = admin.QueryRow(ctx, `SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1`, DBName).Scan(&mark)
	switch {
	case err == nil && mark != nil && *mark == datasetMark:
		return dbURL, version, nil
	case err == nil:
		logf("%s exists but its load is not marked finished: rebuilding it", DBName)
		if _, err := admin.Exec(ctx, "DROP DATABASE "+DBName+" WITH (FORCE)"); err != nil {
			return "", "", fmt.Errorf("drop the unfinished %s: %w", DBName, err)
		}
	case err != pgx.ErrNoRows:
		return "", "", fmt.Errorf("look for database %s: %w", DBName, err)
	}
	logf("creating database %s and loading Chinook (test/bench/data/chinook.sql.gz)", DBName)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+DBName); err != nil {
		return "", "", fmt.Errorf("create database %s: %w", DBName, err)
	}
	script, err := gunzip(chinookGz)
	if err != nil {
		return "", "", err
	}
	db, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return "", "", fmt.Errorf("connect to %s: %w", DBName, err)
	}
	defer db.Close(context.Background())
	// The simple protocol runs a multi-statement script in one round trip.
	if _, err := db.PgConn().Exec(ctx, script).ReadAll(); err != nil {
		return "", "", fmt.Errorf("load chinook.sql into %s: %w", DBName, err)
	}
	if _, err := db.PgConn().Exec(ctx, rlsSQL).ReadAll(); err != nil {
		return "", "", fmt.Errorf("set up row-level security for PostGraphile in %s: %w", DBName, err)
	}
	var tracks int
	if err := db.QueryRow(ctx, "SELECT count(*) FROM track").Scan(&tracks); err != nil || tracks != 3503 {
		return "", "", fmt.Errorf("after loading, track holds %d rows, want 3503 (%v)", tracks, err)
	}
	if _, err := admin.Exec(ctx, fmt.Sprintf("COMMENT ON DATABASE %s IS '%s'", DBName, datasetMark)); err != nil {
		return "", "", fmt.Errorf("mark %s loaded: %w", DBName, err)
	}
	return dbURL, version, nil
}

func gunzip(b []byte) (string, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return "", fmt.Errorf("open chinook.sql.gz: %w", err)
	}
	var sb strings.Builder
	if _, err := io.Copy(&sb, io.LimitReader(zr, 64<<20)); err != nil {
		return "", fmt.Errorf("decompress chinook.sql.gz: %w", err)
	}
	return sb.String(), nil
}
