// Package execute runs compiled plans against PostgreSQL: all root fields
// of a query in one round trip (a pipelined batch, which PostgreSQL runs as
// one implicit transaction), with the request's session variables set as
// `hasura.user` so triggers and row-level security can read them.
package execute

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stratagql/strata/engine/compile"
	"github.com/stratagql/strata/engine/hasuraerr"
)

// Executor runs plans on a connection pool.
type Executor struct {
	Pool *pgxpool.Pool
}

// Errors of Query, Mutate and Explain are *hasuraerr.Error values; a
// PostgreSQL error is their cause (Err, a *pgconn.PgError), which the
// caller may show as internal detail (dev mode).

// Query runs the SQL root fields of plan and returns their JSON values in
// plan order (nil entries for fields not answered by SQL). sessionVars are
// the request's session variables (lower-case x-hasura-* keys).
func (e *Executor) Query(ctx context.Context, plan *compile.Plan, vars map[string]any, sessionVars map[string]string) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, len(plan.Fields))
	batch := &pgx.Batch{}
	session, _ := json.Marshal(sessionVars)
	batch.Queue("SELECT set_config('hasura.user', $1, true)", string(session))
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
	br := e.Pool.SendBatch(ctx, batch)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return nil, pgError(err)
	}
	for _, i := range idx {
		var raw []byte
		if err := br.QueryRow().Scan(&raw); err != nil {
			return nil, pgError(err)
		}
		if raw == nil {
			raw = []byte("null")
		}
		out[i] = raw
	}
	if err := br.Close(); err != nil {
		return nil, pgError(err)
	}
	return out, nil
}

// pgError maps a PostgreSQL error to Hasura's error codes.
func pgError(err error) error {
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
		case pe.Code == "57014":
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
	rows, err := e.Pool.Query(ctx, "EXPLAIN "+sql, args...)
	if err != nil {
		return nil, pgError(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, pgError(err)
	}
	return lines, nil
}
