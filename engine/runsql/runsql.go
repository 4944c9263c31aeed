// Package runsql is Hasura's run_sql: it runs SQL on the default source's
// database in one transaction and, after DDL, keeps the metadata in step
// in the same transaction — renamed tables and columns are renamed in
// metadata, dropped ones untracked, and objects that depended on what was
// dropped fail the statement (or go with it under cascade).
//
// The steps are: read the tracked relations (by OID, with their columns
// by attribute number) before and after the SQL, diff them (Diff, pure)
// into a metaedit.DDL, and apply metaedit.FollowDDL through state.Apply on
// the same transaction, which also saves the metadata there; the
// transaction commits only if all of it succeeded.
package runsql

import (
	"context"
	"errors"
	"regexp"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/metaedit"
	"github.com/stratagql/strata/engine/state"
)

// Args are run_sql's arguments.
type Args struct {
	SQL      string `json:"sql" args:"required"`
	Cascade  bool   `json:"cascade"`
	ReadOnly bool   `json:"read_only"`
	// CheckMetadataConsistency forces (true) or skips (false) following
	// DDL; unset, it follows SQL that looks like DDL.
	CheckMetadataConsistency *bool  `json:"check_metadata_consistency"`
	Source                   string `json:"source"`
}

// SetDefaults implements apiargs.Defaulter.
func (a *Args) SetDefaults() { a.Source = metadata.DefaultSource }

// Result is run_sql's answer: the last statement's rows as strings (SQL
// NULL as "NULL") with the column names first, or CommandOk.
type Result struct {
	ResultType string `json:"result_type"`
	Result     any    `json:"result"`
}

// Runner runs run_sql.
type Runner struct {
	// DB reaches the default source's database.
	DB *pgxpool.Pool
	// State holds the metadata kept in step with DDL.
	State *state.Manager
}

// ddlWords spots SQL that may change the schema; other SQL skips the
// metadata check, as Hasura's heuristic does.
var ddlWords = regexp.MustCompile(`(?i)\b(create|alter|drop|rename|comment|replace|do|call|execute)\b`)

// Run runs a. path is the JSON path of the arguments, where errors about
// them are reported; a PostgreSQL error is Hasura's postgres-error at "$".
func (r *Runner) Run(ctx context.Context, a *Args, path string) (*Result, error) {
	snap := r.State.Current()
	if a.Source != metadata.DefaultSource {
		return nil, hasuraerr.New(hasuraerr.CodeNotExists, path, "source with name %q does not exist", a.Source)
	}
	follow := !a.ReadOnly && ddlWords.MatchString(a.SQL)
	if a.CheckMetadataConsistency != nil {
		follow = *a.CheckMetadataConsistency && !a.ReadOnly
	}
	opts := pgx.TxOptions{}
	if a.ReadOnly {
		opts.AccessMode = pgx.ReadOnly
	}
	tx, err := r.DB.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()

	var before map[int64]*Relation
	if follow {
		var names []metadata.QualifiedTable
		if src := snap.Metadata.Source(a.Source); src != nil {
			for _, t := range src.Tables {
				names = append(names, t.Table)
			}
		}
		if before, err = relationsByName(ctx, tx, names); err != nil {
			return nil, err
		}
	}
	results, err := tx.Conn().PgConn().Exec(ctx, a.SQL).ReadAll()
	if err != nil {
		return nil, postgresError(err, a.SQL)
	}
	res := shape(results)
	if !follow {
		if err := tx.Commit(ctx); err != nil {
			return nil, postgresError(err, a.SQL)
		}
		return res, nil
	}
	oids := make([]int64, 0, len(before))
	for oid := range before {
		oids = append(oids, oid)
	}
	after, err := relationsByOID(ctx, tx, oids)
	if err != nil {
		return nil, err
	}
	ddl := Diff(before, after)
	beforeCat := snap.Catalog
	next, err := r.State.Apply(ctx, func(md *metadata.Metadata, _ *catalog.Catalog) error {
		src := md.Source(a.Source)
		if src == nil || ddl.Empty() {
			return nil
		}
		if err := metaedit.FollowDDL(src, ddl, a.Cascade, beforeCat); err != nil {
			if e, ok := hasuraerr.As(err); ok {
				return e.At(path)
			}
			return err
		}
		return nil
	}, state.ApplyOptions{Tx: tx, Force: true})
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, postgresError(err, a.SQL)
	}
	r.State.Publish(next)
	return res, nil
}

// shape makes the answer from the statements' results: the last one's.
func shape(results []*pgconn.Result) *Result {
	if len(results) == 0 {
		return &Result{ResultType: "CommandOk"}
	}
	last := results[len(results)-1]
	if len(last.FieldDescriptions) == 0 {
		return &Result{ResultType: "CommandOk"}
	}
	rows := make([][]string, 0, len(last.Rows)+1)
	header := make([]string, len(last.FieldDescriptions))
	for i, f := range last.FieldDescriptions {
		header[i] = f.Name
	}
	rows = append(rows, header)
	for _, r := range last.Rows {
		row := make([]string, len(r))
		for i, v := range r {
			if v == nil {
				row[i] = "NULL"
			} else {
				row[i] = string(v)
			}
		}
		rows = append(rows, row)
	}
	return &Result{ResultType: "TuplesOk", Result: rows}
}

// postgresError is Hasura's postgres-error with the server's details; an
// error that is not PostgreSQL's is returned as it is.
func postgresError(err error, sql string) error {
	var pg *pgconn.PgError
	if !errors.As(err, &pg) {
		return err
	}
	nullable := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	return &hasuraerr.Error{Code: hasuraerr.CodePostgresError, Path: "$", Message: "query execution failed", Err: err,
		Internal: map[string]any{
			"arguments": []any{},
			"error": map[string]any{
				"description": nullable(pg.Detail),
				"exec_status": "FatalError",
				"hint":        nullable(pg.Hint),
				"message":     pg.Message,
				"status_code": pg.Code,
			},
			"prepared":  false,
			"statement": sql,
		}}
}
