package changefeed

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/stratagql/strata/engine/metadata"
)

// TriggerPrefix starts the name of every trigger Sync installs; Sync drops
// the triggers with this prefix that the tracked set no longer needs.
const TriggerPrefix = "strata_changefeed_"

// Function is the trigger function every change trigger executes.
const Function = "hdb_catalog.strata_notify_table_changed"

// functionBody is the source of Function: the trigger's one argument is the
// payload, computed when the trigger is created.
const functionBody = `
BEGIN
  PERFORM pg_notify('` + Channel + `', TG_ARGV[0]);
  RETURN NULL;
END
`

// functionLock is the advisory lock key serialising the creation of
// Function across engines starting together ("strata" + "cf" in ASCII).
const functionLock int64 = 0x7374726174616366

// lockTimeout bounds how long one trigger's creation or removal waits for
// the table's lock (a long transaction writing the table holds it); the
// table is then skipped until the next Sync rather than queueing every
// writer of it behind Sync.
const lockTimeout = "5s"

// trigger is one change trigger: on relation Rel, notifying Target.
type trigger struct {
	Rel    metadata.QualifiedTable // the table the trigger is on
	Name   string                  // the trigger's name
	Target metadata.QualifiedTable // the tracked table or view it notifies (create only)
}

// observedSQL lists, for each tracked relation that exists, the tables whose
// write statements can change what it reads: itself (a table), the tables a
// view reads (recursively through views), the partitions and inheritance
// children of each (recursively), and the ancestors of all those (a
// statement on a parent writes rows of its partitions and children, and
// fires only the parent's statement triggers). Only ordinary and
// partitioned tables outside PostgreSQL's own schemas qualify.
const observedSQL = `WITH RECURSIVE edges(parent, child) AS (
  SELECT r.ev_class, d.refobjid
  FROM pg_rewrite r
  JOIN pg_class v ON v.oid = r.ev_class AND v.relkind = 'v'
  JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
    AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> r.ev_class
  UNION
  SELECT inhparent, inhrelid FROM pg_inherits
), target AS (
  SELECT t.schema, t.name, c.oid AS relid
  FROM unnest($1::text[], $2::text[]) AS t(schema, name)
  JOIN pg_namespace n ON n.nspname = t.schema
  JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.name
), observed(schema, name, relid) AS (
  SELECT schema, name, relid FROM target
  UNION
  SELECT o.schema, o.name, e.child FROM observed o JOIN edges e ON e.parent = o.relid
), ancestors(schema, name, relid) AS (
  SELECT schema, name, relid FROM observed
  UNION
  SELECT a.schema, a.name, i.inhparent FROM ancestors a JOIN pg_inherits i ON i.inhrelid = a.relid
)
SELECT o.schema, o.name, n.nspname, c.relname
FROM ancestors o
JOIN pg_class c ON c.oid = o.relid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'`

// installedSQL lists the change triggers in place.
const installedSQL = `SELECT n.nspname, c.relname, t.tgname
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT t.tgisinternal AND starts_with(t.tgname, '` + TriggerPrefix + `')`

// Sync makes the change triggers match exactly tables (the tracked tables
// and views of the database): it creates the function in hdb_catalog if it
// is missing or different, creates the missing triggers and drops those of
// relations no longer tracked. When everything is in place it changes
// nothing. It wakes the watchers of a table or view it created a trigger
// for, since writes made before went unnoticed. Several engines may Sync the same database at once. Each trigger
// is created or dropped in its own short transaction, so that Sync never
// holds many tables' locks at once; a trigger that cannot be created (no
// privilege, lock timeout) does not stop the others: Sync reports them all
// in its error, and the readers of those tables rely on the fallback
// interval.
func (f *Feed) Sync(ctx context.Context, tables []metadata.QualifiedTable) error {
	if err := f.ensureFunction(ctx); err != nil {
		return err
	}
	schemas := make([]string, len(tables))
	names := make([]string, len(tables))
	for i, t := range tables {
		schemas[i], names[i] = t.Schema, t.Name
	}
	rows, _ := f.pool.Query(ctx, observedSQL, schemas, names)
	observed, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (trigger, error) {
		var tr trigger
		err := r.Scan(&tr.Target.Schema, &tr.Target.Name, &tr.Rel.Schema, &tr.Rel.Name)
		tr.Name = triggerName(tr.Target)
		return tr, err
	})
	if err != nil {
		return fmt.Errorf("changefeed: find the tables to observe: %w", err)
	}
	rows, _ = f.pool.Query(ctx, installedSQL)
	installed, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (trigger, error) {
		var tr trigger
		err := r.Scan(&tr.Rel.Schema, &tr.Rel.Name, &tr.Name)
		return tr, err
	})
	if err != nil {
		return fmt.Errorf("changefeed: list installed triggers: %w", err)
	}
	create, drop := plan(observed, installed)
	var errs []error
	for _, tr := range drop {
		if err := f.ddl(ctx, dropSQL(tr)); err != nil {
			errs = append(errs, fmt.Errorf("drop trigger %s on %s: %w", tr.Name, tr.Rel.Display(), err))
		}
	}
	for _, tr := range create {
		err := f.ddl(ctx, createSQL(tr))
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42710" { // duplicate_object: a concurrent Sync made it
			err = nil
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("create trigger on %s for %s: %w", tr.Rel.Display(), tr.Target.Display(), err))
			continue
		}
		// Writes made before this trigger existed were not notified.
		f.wake(tr.Target)
	}
	if len(create)+len(drop) > 0 {
		f.log.Info("change feed triggers synchronised", "to_create", len(create), "to_drop", len(drop), "failed", len(errs))
	}
	if len(errs) > 0 {
		return fmt.Errorf("changefeed: sync triggers: %w", errors.Join(errs...))
	}
	return nil
}

// ensureFunction creates Function (and hdb_catalog) unless it is already in
// place with the current body.
func (f *Feed) ensureFunction(ctx context.Context) error {
	var body *string
	err := f.pool.QueryRow(ctx, `SELECT (SELECT prosrc FROM pg_proc WHERE oid = to_regprocedure($1))`, Function+"()").Scan(&body)
	if err != nil {
		return fmt.Errorf("changefeed: read %s: %w", Function, err)
	}
	if body != nil && *body == functionBody {
		return nil
	}
	err = pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", functionLock); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		_, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS hdb_catalog;
CREATE OR REPLACE FUNCTION `+Function+`() RETURNS trigger LANGUAGE plpgsql AS $strata$`+functionBody+`$strata$`)
		return err
	})
	if err != nil {
		return fmt.Errorf("changefeed: create %s: %w", Function, err)
	}
	return nil
}

// ddl runs one statement in its own transaction with a lock timeout.
func (f *Feed) ddl(ctx context.Context, sql string) error {
	return pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL lock_timeout = '"+lockTimeout+"'"); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, sql)
		return err
	})
}

// plan compares the triggers the tracked set needs with those installed
// and returns those to create and those to drop, in a stable order.
func plan(needed, installed []trigger) (create, drop []trigger) {
	type key struct {
		rel  metadata.QualifiedTable
		name string
	}
	have := map[key]bool{}
	for _, tr := range installed {
		have[key{tr.Rel, tr.Name}] = true
	}
	want := map[key]bool{}
	for _, tr := range needed {
		k := key{tr.Rel, tr.Name}
		if !want[k] && !have[k] {
			create = append(create, tr)
		}
		want[k] = true
	}
	for _, tr := range installed {
		if !want[key{tr.Rel, tr.Name}] {
			drop = append(drop, tr)
		}
	}
	order := func(a, b trigger) int {
		return cmp.Or(cmp.Compare(a.Rel.Schema, b.Rel.Schema), cmp.Compare(a.Rel.Name, b.Rel.Name), cmp.Compare(a.Name, b.Name))
	}
	slices.SortFunc(create, order)
	slices.SortFunc(drop, order)
	return create, drop
}

// triggerName names the triggers notifying target: the prefix and a hash of
// the payload, so that the name fits PostgreSQL's 63 bytes whatever the
// target's name and tells the triggers of two targets on one table apart.
func triggerName(target metadata.QualifiedTable) string {
	sum := sha256.Sum256([]byte(payload(target)))
	return TriggerPrefix + hex.EncodeToString(sum[:8])
}

func createSQL(tr trigger) string {
	return "CREATE TRIGGER " + pgx.Identifier{tr.Name}.Sanitize() +
		" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON " + pgx.Identifier{tr.Rel.Schema, tr.Rel.Name}.Sanitize() +
		" FOR EACH STATEMENT EXECUTE FUNCTION " + Function + "(" + quoteLiteral(payload(tr.Target)) + ")"
}

func dropSQL(tr trigger) string {
	return "DROP TRIGGER IF EXISTS " + pgx.Identifier{tr.Name}.Sanitize() + " ON " + pgx.Identifier{tr.Rel.Schema, tr.Rel.Name}.Sanitize()
}

// quoteLiteral renders s as an escape-string literal, valid whatever
// standard_conforming_strings says.
func quoteLiteral(s string) string {
	return "E'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
