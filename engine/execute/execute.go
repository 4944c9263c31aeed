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
)

// Executor runs plans on a connection pool.
type Executor struct {
	Pool *pgxpool.Pool
}

// Error is an execution error in Hasura's terms.
type Error struct {
	Message  string
	Code     string
	Internal *pgconn.PgError
	// Path is the error's path ("" for "$"), e.g. the argument of a
	// mutation whose rows the database refused.
	Path string
}

func (e *Error) Error() string { return e.Message }

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
		code := "postgres-error"
		switch {
		case pe.Code[:2] == "22":
			code = "data-exception"
		case pe.Code[:2] == "23":
			code = "constraint-violation"
		case pe.Code == "42501":
			code = "permission-error"
		case pe.Code == "57014":
			code = "unexpected"
		}
		return &Error{Message: pe.Message, Code: code, Internal: pe}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &Error{Message: "the request was cancelled", Code: "unexpected"}
	}
	return &Error{Message: fmt.Sprintf("database query error: %v", err), Code: "unexpected"}
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
