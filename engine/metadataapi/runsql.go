package metadataapi

import (
	"context"
	"errors"
	"net/http"
	"regexp"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/state"
)

// ddlWords spots SQL that may change the schema; other SQL skips the
// metadata check, as Hasura's heuristic does.
var ddlWords = regexp.MustCompile(`(?i)\b(create|alter|drop|rename|comment|replace|do|call|execute)\b`)

// runSQLResult is run_sql's answer.
type runSQLResult struct {
	ResultType string `json:"result_type"`
	Result     any    `json:"result"`
}

// runSQL is run_sql: the SQL runs in one transaction; after DDL the
// metadata follows renames and drops (see reconcile) and is saved in the
// same transaction, so a dependency error or new inconsistency rolls the
// SQL back too.
func runSQL(ctx context.Context, c *call) (any, error) {
	o, perr := newObject(c.args, c.path)
	if perr != nil {
		return nil, perr
	}
	var sql string
	var cascade, readOnly bool
	var check *bool
	source := metadata.DefaultSource
	if err := o.req("sql", &sql); err != nil {
		return nil, err
	}
	if err := o.opt("cascade", &cascade); err != nil {
		return nil, err
	}
	if err := o.opt("read_only", &readOnly); err != nil {
		return nil, err
	}
	if err := o.opt("check_metadata_consistency", &check); err != nil {
		return nil, err
	}
	if err := o.opt("source", &source); err != nil {
		return nil, err
	}
	if err := o.done(); err != nil {
		return nil, err
	}
	snap := c.api.cfg.State.Current()
	if source != metadata.DefaultSource {
		return nil, notExists(c.path, "source with name %q does not exist", source)
	}
	reconcile := !readOnly && ddlWords.MatchString(sql)
	if check != nil {
		reconcile = *check && !readOnly
	}
	opts := pgx.TxOptions{}
	if readOnly {
		opts.AccessMode = pgx.ReadOnly
	}
	tx, err := c.api.cfg.DB.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()

	var before map[int64]*relation
	if reconcile {
		var names []metadata.QualifiedTable
		if src := snap.Metadata.Source(source); src != nil {
			for _, t := range src.Tables {
				names = append(names, t.Table)
			}
		}
		if before, err = relationsByName(ctx, tx, names); err != nil {
			return nil, err
		}
	}
	results, err := tx.Conn().PgConn().Exec(ctx, sql).ReadAll()
	if err != nil {
		return nil, postgresError(err, sql)
	}
	res := sqlResult(results)
	if !reconcile {
		if err := tx.Commit(ctx); err != nil {
			return nil, postgresError(err, sql)
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
	diff := diffRelations(before, after)
	beforeCat := snap.Catalog
	next, err := c.api.cfg.State.Apply(ctx, func(md *metadata.Metadata, _ *catalog.Catalog) error {
		src := md.Source(source)
		if src == nil || diff.empty() {
			return nil
		}
		return c.reconcile(src, diff, cascade, beforeCat)
	}, state.ApplyOptions{Tx: tx, Force: true})
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, postgresError(err, sql)
	}
	c.api.cfg.State.Publish(next)
	return res, nil
}

// sqlResult shapes the last statement's outcome: rows as strings (SQL
// NULL as "NULL") with the column names first, or CommandOk.
func sqlResult(results []*pgconn.Result) runSQLResult {
	if len(results) == 0 {
		return runSQLResult{ResultType: "CommandOk"}
	}
	last := results[len(results)-1]
	if len(last.FieldDescriptions) == 0 {
		return runSQLResult{ResultType: "CommandOk"}
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
	return runSQLResult{ResultType: "TuplesOk", Result: rows}
}

// postgresError is Hasura's postgres-error with the server's details.
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
	e := newErr(http.StatusBadRequest, codePostgres, "$", "query execution failed")
	e.Internal = map[string]any{
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
	}
	return e
}
