package execute

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/stratagql/strata/engine/compile"
	"github.com/stratagql/strata/engine/hasuraerr"
)

// Mutate runs the statements of a mutation plan — every root field's, in
// order — as one transaction in one round trip: a pipelined batch behind
// a single Sync, which PostgreSQL runs as one implicit transaction that
// commits when every statement succeeded and rolls back entirely when
// one fails. `hasura.user` is set first (transaction-local, like SET
// LOCAL) so that triggers can read the session. It returns the JSON value
// of each root field in plan order (nil for fields not answered by SQL).
func (e *Executor) Mutate(ctx context.Context, plan *compile.Plan, vars map[string]any, sessionVars map[string]string) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, len(plan.Fields))
	batch := e.begin(sessionVars)
	type queued struct {
		field int
		stmt  *compile.Statement
	}
	var stmts []queued
	for i, f := range plan.Fields {
		if f.Kind != compile.FieldSQL || f.Mutation == nil {
			continue
		}
		for _, st := range f.Mutation.Statements {
			args, err := compile.Values(st.Args, vars, sessionVars)
			if err != nil {
				return nil, err
			}
			batch.Queue(st.SQL, args...)
			stmts = append(stmts, queued{i, st})
		}
	}
	if len(stmts) == 0 {
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
		return nil, mutationError(err, nil)
	}
	results := make([][]json.RawMessage, len(plan.Fields))
	for _, q := range stmts {
		var raw []byte
		if err := br.QueryRow().Scan(&raw); err != nil {
			return nil, mutationError(err, q.stmt)
		}
		if !q.stmt.Result {
			continue
		}
		if raw == nil {
			raw = []byte("null")
		}
		results[q.field] = append(results[q.field], raw)
	}
	// Deferred constraints are checked at commit, which is the Sync.
	if err := br.Close(); err != nil {
		return nil, mutationError(err, nil)
	}
	for i, f := range plan.Fields {
		if f.Mutation == nil {
			continue
		}
		if !f.Mutation.List {
			if len(results[i]) > 0 {
				out[i] = results[i][0]
			} else {
				out[i] = json.RawMessage("null")
			}
			continue
		}
		var b bytes.Buffer
		b.WriteByte('[')
		for j, r := range results[i] {
			if j > 0 {
				b.WriteByte(',')
			}
			b.Write(r)
		}
		b.WriteByte(']')
		out[i] = b.Bytes()
	}
	return out, nil
}

// mutationError maps an error of a mutation statement to Hasura's error:
// errors the statement raised on purpose to theirs, PostgreSQL errors as
// Hasura reports errors of mutations (constraint violations, bad values,
// conflicts), and everything else as an unexpected database query error
// whose details only dev mode shows (Internal).
func mutationError(err error, st *compile.Statement) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return PGError(err)
	}
	path := "$"
	if st != nil && st.Path != "" {
		path = st.Path
	}
	if st != nil && pe.Code == "42704" {
		if re := st.RaisedError(pe.Message); re != nil {
			return &hasuraerr.Error{Code: re.Code, Message: re.Message, Path: re.Path}
		}
	}
	code, msg := dmlErrorMessage(pe)
	return &hasuraerr.Error{Code: code, Message: msg, Path: path, Err: pe}
}

// dmlErrorMessage is Hasura's code and message for a PostgreSQL error of
// a mutation.
func dmlErrorMessage(pe *pgconn.PgError) (hasuraerr.Code, string) {
	class := ""
	if len(pe.Code) >= 2 {
		class = pe.Code[:2]
	}
	switch class {
	case "23": // integrity constraint violation
		switch pe.Code {
		case "23001":
			return hasuraerr.CodeConstraintViolation, "Can not delete or update due to data being referred. " + pe.Message
		case "23502":
			return hasuraerr.CodeConstraintViolation, "Not-NULL violation. " + pe.Message
		case "23503":
			return hasuraerr.CodeConstraintViolation, "Foreign key violation. " + pe.Message
		case "23505":
			return hasuraerr.CodeConstraintViolation, "Uniqueness violation. " + pe.Message
		case "23514":
			return hasuraerr.CodePermissionError, "Check constraint violation. " + pe.Message
		case "23P01":
			return hasuraerr.CodeConstraintViolation, "Exclusion violation. " + pe.Message
		}
		return hasuraerr.CodeConstraintViolation, pe.Message
	case "22": // data exception
		if pe.Code == "22025" {
			return hasuraerr.CodeBadRequest, pe.Message
		}
		return hasuraerr.CodeDataException, pe.Message
	case "40": // transaction rollback
		if pe.Code == "40001" {
			return hasuraerr.CodeConcurrentUpdate, "serialization failure due to concurrent update"
		}
		return hasuraerr.CodeConcurrentUpdate, pe.Message
	}
	switch pe.Code {
	case "57014": // query_canceled: the statement timeout, or a cancel
		return hasuraerr.CodeUnexpected, pe.Message
	case "42704":
		return hasuraerr.CodeConstraintError, pe.Message
	case "42P10":
		return hasuraerr.CodeConstraintError, "there is no unique or exclusion constraint on target column(s)"
	}
	return hasuraerr.CodeUnexpected, "database query error"
}
