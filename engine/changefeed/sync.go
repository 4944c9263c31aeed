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

// TriggerPrefix starts the name of every trigger a Feed installs; Sync
// drops the triggers with this prefix that the tracked set no longer needs.
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

// installedSQL lists the change triggers in place, whoever installed them.
const installedSQL = `SELECT n.nspname, c.relname, t.tgname
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT t.tgisinternal AND starts_with(t.tgname, '` + TriggerPrefix + `')`

// Sync records tables as the tracked set (the tracked tables and views of
// the database) and brings the change triggers in line with it:
//   - it drops the triggers of relations no longer tracked;
//   - it keeps those already in place for tracked relations, whoever
//     installed them (another engine on the same database may serve their
//     subscribers): a relation once watched keeps its triggers until it is
//     untracked;
//   - it creates the missing triggers of the tracked relations this Feed's
//     watchers watch, and wakes those watchers once, since writes made
//     before went unnoticed.
//
// It installs nothing for a tracked relation nobody watches: Watch has Run
// install them when somebody does. Before creating a trigger it creates the
// function in hdb_catalog if it is missing or different. When everything is
// in place it changes nothing.
//
// Several engines may Sync the same database at once, and since each drops
// only the triggers of relations it does not track (they share the
// metadata), none undoes another's. Each trigger is created or dropped in
// its own short transaction, so that Sync never holds many tables' locks at
// once; a trigger that cannot be created (no privilege, lock timeout) does
// not stop the others: Sync reports them all in its error, and the readers
// of those tables rely on the fallback interval (the next Sync, or the next
// Watch of the table, tries again).
func (f *Feed) Sync(ctx context.Context, tables []metadata.QualifiedTable) error {
	f.ddlMu.Lock()
	defer f.ddlMu.Unlock()
	observed, err := f.observe(ctx, tables)
	if err != nil {
		return err
	}
	installed, err := f.listInstalled(ctx)
	if err != nil {
		return err
	}
	targets := make(map[metadata.QualifiedTable][]trigger, len(tables))
	for _, t := range tables {
		targets[t] = nil
	}
	for _, tr := range observed {
		targets[tr.Target] = append(targets[tr.Target], tr)
	}
	var watched []trigger
	f.mu.Lock()
	f.targets = targets
	for t, trs := range targets {
		if len(f.watchers[t]) > 0 {
			watched = append(watched, trs...)
		}
	}
	clear(f.pending) // Sync serves every watch registered so far
	f.mu.Unlock()

	create, drop := missing(watched, installed), unneeded(observed, installed)
	present := keys(installed)
	var errs []error
	for _, tr := range drop {
		if err := f.exec(ctx, dropSQL(tr)); err != nil {
			errs = append(errs, fmt.Errorf("drop trigger %s on %s: %w", tr.Name, tr.Rel.Display(), err))
			continue
		}
		delete(present, tr.key())
	}
	if len(create) > 0 || len(present) > 0 {
		if err := f.ensureFunction(ctx); err != nil {
			errs = append(errs, err)
			create = nil
		}
	}
	errs = append(errs, f.create(ctx, create, present)...)
	f.markReady(present)
	if len(create)+len(drop) > 0 {
		f.log.Info("change feed triggers synchronised", "to_create", len(create), "to_drop", len(drop), "failed", len(errs))
	}
	if len(errs) > 0 {
		return fmt.Errorf("changefeed: sync triggers: %w", errors.Join(errs...))
	}
	return nil
}

// installer installs the triggers of the targets Watch asks for, until ctx
// ends.
func (f *Feed) installer(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.kick:
		}
		if err := f.installPending(ctx); err != nil && ctx.Err() == nil {
			f.log.Warn("change feed: cannot install triggers; the readers of these tables rely on the fallback interval until the next Sync or Watch of them", "error", err)
		}
	}
}

// installPending creates the missing triggers of the pending targets that
// are still tracked, watched and not installed, and wakes their watchers
// once they are.
func (f *Feed) installPending(ctx context.Context) error {
	f.ddlMu.Lock()
	defer f.ddlMu.Unlock()
	var needed []trigger
	f.mu.Lock()
	for t := range f.pending {
		if !f.installed[t] && len(f.watchers[t]) > 0 {
			needed = append(needed, f.targets[t]...)
		}
	}
	clear(f.pending)
	f.mu.Unlock()
	if len(needed) == 0 {
		return nil
	}
	installed, err := f.listInstalled(ctx)
	if err != nil {
		return err
	}
	present := keys(installed)
	var errs []error
	if create := missing(needed, installed); len(create) > 0 {
		if err := f.ensureFunction(ctx); err != nil {
			return err
		}
		errs = f.create(ctx, create, present)
		f.log.Info("change feed triggers installed for watched tables", "created", len(create)-len(errs), "failed", len(errs))
	}
	f.markReady(present)
	if len(errs) > 0 {
		return fmt.Errorf("changefeed: install triggers: %w", errors.Join(errs...))
	}
	return nil
}

// observe lists the triggers that observe tables (see observedSQL).
func (f *Feed) observe(ctx context.Context, tables []metadata.QualifiedTable) ([]trigger, error) {
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
		return nil, fmt.Errorf("changefeed: find the tables to observe: %w", err)
	}
	return observed, nil
}

// listInstalled lists the change triggers in place (without their target).
func (f *Feed) listInstalled(ctx context.Context) ([]trigger, error) {
	rows, _ := f.pool.Query(ctx, installedSQL)
	installed, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (trigger, error) {
		var tr trigger
		err := r.Scan(&tr.Rel.Schema, &tr.Rel.Name, &tr.Name)
		return tr, err
	})
	if err != nil {
		return nil, fmt.Errorf("changefeed: list installed triggers: %w", err)
	}
	return installed, nil
}

// create creates trs in order (one a concurrent engine made counts as
// made), adding those in place to present, and returns the failures.
func (f *Feed) create(ctx context.Context, trs []trigger, present map[triggerKey]bool) []error {
	var errs []error
	for _, tr := range trs {
		err := f.exec(ctx, createSQL(tr))
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42710" { // duplicate_object: a concurrent engine made it
			err = nil
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("create trigger on %s for %s: %w", tr.Rel.Display(), tr.Target.Display(), err))
			continue
		}
		present[tr.key()] = true
	}
	return errs
}

// markReady records as installed the tracked targets whose triggers are all
// in present, and wakes the watchers of those that were not installed
// before, since writes made before went unnoticed.
func (f *Feed) markReady(present map[triggerKey]bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	installed := make(map[metadata.QualifiedTable]bool, len(f.targets))
	for t, trs := range f.targets {
		if slices.ContainsFunc(trs, func(tr trigger) bool { return !present[tr.key()] }) {
			continue
		}
		installed[t] = true
		if !f.installed[t] && len(trs) > 0 {
			for w := range f.watchers[t] {
				w.signal()
			}
		}
	}
	f.installed = installed
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

// exec runs one statement in its own transaction with a lock timeout.
func (f *Feed) exec(ctx context.Context, sql string) error {
	return pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL lock_timeout = '"+lockTimeout+"'"); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, sql)
		return err
	})
}

// triggerKey identifies a trigger.
type triggerKey struct {
	rel  metadata.QualifiedTable
	name string
}

func (tr trigger) key() triggerKey { return triggerKey{tr.Rel, tr.Name} }

// keys returns the set of the keys of trs.
func keys(trs []trigger) map[triggerKey]bool {
	out := make(map[triggerKey]bool, len(trs))
	for _, tr := range trs {
		out[tr.key()] = true
	}
	return out
}

// missing returns the triggers of needed not installed, once each, in a
// stable order.
func missing(needed, installed []trigger) []trigger {
	have := keys(installed)
	var out []trigger
	for _, tr := range needed {
		if !have[tr.key()] {
			have[tr.key()] = true
			out = append(out, tr)
		}
	}
	slices.SortFunc(out, order)
	return out
}

// unneeded returns the installed triggers that no tracked relation needs
// (not in observed), in a stable order.
func unneeded(observed, installed []trigger) []trigger {
	want := keys(observed)
	var out []trigger
	for _, tr := range installed {
		if !want[tr.key()] {
			out = append(out, tr)
		}
	}
	slices.SortFunc(out, order)
	return out
}

func order(a, b trigger) int {
	return cmp.Or(cmp.Compare(a.Rel.Schema, b.Rel.Schema), cmp.Compare(a.Rel.Name, b.Rel.Name), cmp.Compare(a.Name, b.Name))
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
