// Package execute runs compiled plans against PostgreSQL: all root fields
// of a query in one round trip (a pipelined batch, which PostgreSQL runs as
// one implicit transaction), with the request's session variables set as
// `hasura.user` so triggers and row-level security can read them, and the
// request's statement timeout set for that transaction only.
package execute

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stratagql/strata/engine/compile"
	"github.com/stratagql/strata/engine/hasuraerr"
)

// Executor runs plans on a connection pool. The database's errors are
// returned as *hasuraerr.Error values in Hasura's terms whose cause (Err)
// is PostgreSQL's *pgconn.PgError, which the caller may show as internal
// detail (dev mode).
type Executor struct {
	Pool *pgxpool.Pool
	// StatementTimeout bounds how long PostgreSQL may run each statement
	// of a request before cancelling it (statement_timeout, local to the
	// request's transaction); 0 leaves the database's own setting.
	StatementTimeout time.Duration
	// AcquireTimeout bounds the wait for a free pool connection
	// (HASURA_GRAPHQL_PG_POOL_TIMEOUT); 0 waits as long as the request's
	// context allows.
	AcquireTimeout time.Duration
}

// begin returns a request's batch, starting with its session
// (hasura.user) and statement timeout, both local to the transaction the
// batch runs in.
func (e *Executor) begin(sessionVars map[string]string) *pgx.Batch {
	batch := &pgx.Batch{}
	session, _ := json.Marshal(sessionVars)
	if e.StatementTimeout <= 0 {
		batch.Queue("SELECT set_config('hasura.user', $1, true)", string(session))
		return batch
	}
	ms := max(e.StatementTimeout.Milliseconds(), 1) // 0 would mean no timeout
	batch.Queue("SELECT set_config('hasura.user', $1, true), set_config('statement_timeout', $2, true)",
		string(session), strconv.FormatInt(ms, 10))
	return batch
}

// acquire takes a pool connection, waiting at most AcquireTimeout.
func (e *Executor) acquire(ctx context.Context) (*pgxpool.Conn, error) {
	actx := ctx
	if e.AcquireTimeout > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(ctx, e.AcquireTimeout)
		defer cancel()
	}
	c, err := e.Pool.Acquire(actx)
	switch {
	case err == nil:
		return c, nil
	case ctx.Err() == nil && actx.Err() != nil:
		return nil, &hasuraerr.Error{Code: hasuraerr.CodeUnexpected, Err: err,
			Message: fmt.Sprintf("no database connection became free within %s", e.AcquireTimeout)}
	}
	return nil, PGError(err)
}

// Query runs the SQL root fields of plan and returns their JSON values in
// plan order (nil entries for fields not answered by SQL). sessionVars are
// the request's session variables (lower-case x-hasura-* keys).
func (e *Executor) Query(ctx context.Context, plan *compile.Plan, vars map[string]any, sessionVars map[string]string) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, len(plan.Fields))
	batch := e.begin(sessionVars)
	var idx []int
	for i, f := range plan.Fields {
		if f.Kind != compile.FieldSQL {
			continue
		}
		args, err := compile.Values(f.Args, vars, sessionVars)
		if err != nil {
			return nil, err
		}
		batch.Queue(f.SQL, args...)
		idx = append(idx, i)
	}
	if len(idx) == 0 {
		return out, nil
	}
	conn, err := e.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	br := conn.SendBatch(ctx, batch)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return nil, PGError(err)
	}
	for _, i := range idx {
		var raw []byte
		if err := br.QueryRow().Scan(&raw); err != nil {
			return nil, PGError(err)
		}
		if raw == nil {
			raw = []byte("null")
		}
		out[i] = raw
	}
	if err := br.Close(); err != nil {
		return nil, PGError(err)
	}
	return out, nil
}

// PGError maps an error of a statement (PostgreSQL's, or the connection's
// or context's) to Hasura's error codes; the HTTP and subscription paths
// both answer through it.
func PGError(err error) *hasuraerr.Error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		code := hasuraerr.CodePostgresError
		switch {
		case pe.Code[:2] == "22":
			code = hasuraerr.CodeDataException
		case pe.Code[:2] == "23":
			code = hasuraerr.CodeConstraintViolation
		case pe.Code == "42501":
			code = hasuraerr.CodePermissionError
		case pe.Code == "57014": // query_canceled: the statement timeout
			code = hasuraerr.CodeUnexpected
		}
		return &hasuraerr.Error{Code: code, Message: pe.Message, Err: pe}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &hasuraerr.Error{Code: hasuraerr.CodeUnexpected, Message: "the request was cancelled", Err: err}
	}
	return &hasuraerr.Error{Code: hasuraerr.CodeUnexpected, Message: fmt.Sprintf("database query error: %v", err), Err: err}
}

// Explain returns PostgreSQL's plan for sql with args, one line per item.
func (e *Executor) Explain(ctx context.Context, sql string, args []any) ([]string, error) {
	conn, err := e.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	rows, err := conn.Query(ctx, "EXPLAIN "+sql, args...)
	if err != nil {
		return nil, PGError(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, PGError(err)
	}
	return lines, nil
}
