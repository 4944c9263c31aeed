package metadataapi

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/metadata"
)

// relation is a relation's identity (OID) with its name and columns by
// attribute number, so renames can be told from drops after DDL.
type relation struct {
	oid  int64
	name metadata.QualifiedTable
	cols map[int16]string
}

const relationsSQL = `SELECT c.oid::int8, n.nspname::text, c.relname::text, a.attnum, a.attname::text
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE `

// relationsByName reads the named relations.
func relationsByName(ctx context.Context, tx pgx.Tx, names []metadata.QualifiedTable) (map[int64]*relation, error) {
	schemas, tables := make([]string, len(names)), make([]string, len(names))
	for i, n := range names {
		schemas[i], tables[i] = n.Schema, n.Name
	}
	return readRelations(ctx, tx, relationsSQL+`(n.nspname, c.relname) IN (SELECT * FROM unnest($1::text[], $2::text[]))`, schemas, tables)
}

// relationsByOID reads the relations with the given OIDs.
func relationsByOID(ctx context.Context, tx pgx.Tx, oids []int64) (map[int64]*relation, error) {
	return readRelations(ctx, tx, relationsSQL+`c.oid::int8 = ANY($1::int8[])`, oids)
}

func readRelations(ctx context.Context, tx pgx.Tx, sql string, args ...any) (map[int64]*relation, error) {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("read relations: %w", err)
	}
	defer rows.Close()
	out := map[int64]*relation{}
	for rows.Next() {
		var oid int64
		var s, n string
		var num *int16
		var col *string
		if err := rows.Scan(&oid, &s, &n, &num, &col); err != nil {
			return nil, fmt.Errorf("read relations: %w", err)
		}
		r := out[oid]
		if r == nil {
			r = &relation{oid: oid, name: metadata.QualifiedTable{Schema: s, Name: n}, cols: map[int16]string{}}
			out[oid] = r
		}
		if num != nil && col != nil {
			r.cols[*num] = *col
		}
	}
	return out, rows.Err()
}

// ddlDiff is what DDL did to the tracked relations.
type ddlDiff struct {
	droppedTables []metadata.QualifiedTable
	renamedTables map[metadata.QualifiedTable]metadata.QualifiedTable
	// droppedColumns and renamedColumns are keyed by the table's old name.
	droppedColumns map[metadata.QualifiedTable][]string
	renamedColumns map[metadata.QualifiedTable]map[string]string
}

func (d *ddlDiff) empty() bool {
	return len(d.droppedTables) == 0 && len(d.renamedTables) == 0 && len(d.droppedColumns) == 0 && len(d.renamedColumns) == 0
}

func diffRelations(before, after map[int64]*relation) *ddlDiff {
	d := &ddlDiff{
		renamedTables:  map[metadata.QualifiedTable]metadata.QualifiedTable{},
		droppedColumns: map[metadata.QualifiedTable][]string{},
		renamedColumns: map[metadata.QualifiedTable]map[string]string{},
	}
	oids := make([]int64, 0, len(before))
	for oid := range before {
		oids = append(oids, oid)
	}
	slices.Sort(oids)
	for _, oid := range oids {
		b, a := before[oid], after[oid]
		if a == nil {
			d.droppedTables = append(d.droppedTables, b.name)
			continue
		}
		if a.name != b.name {
			d.renamedTables[b.name] = a.name
		}
		nums := make([]int16, 0, len(b.cols))
		for n := range b.cols {
			nums = append(nums, n)
		}
		slices.Sort(nums)
		for _, n := range nums {
			old := b.cols[n]
			switch now, ok := a.cols[n]; {
			case !ok:
				d.droppedColumns[b.name] = append(d.droppedColumns[b.name], old)
			case now != old:
				if d.renamedColumns[b.name] == nil {
					d.renamedColumns[b.name] = map[string]string{}
				}
				d.renamedColumns[b.name][old] = now
			}
		}
	}
	return d
}

// reconcile follows DDL in metadata: dropped tables are untracked, and
// objects depending on dropped tables or columns fail the change with a
// dependency error unless cascade removes them; renamed tables and columns
// are renamed everywhere. before resolves foreign keys as they were.
func (c *call) reconcile(src *metadata.Source, d *ddlDiff, cascade bool, before *catalog.Catalog) error {
	var deps []objRef
	for _, t := range d.droppedTables {
		for _, o := range dependentsOfTable(src, t, before) {
			if !slices.Contains(d.droppedTables, o.Table) {
				deps = addRef(deps, o)
			}
		}
	}
	for t, cols := range d.droppedColumns {
		for _, col := range cols {
			for _, o := range dependentsOfColumn(src, t, col) {
				if !slices.Contains(d.droppedTables, o.Table) {
					deps = addRef(deps, o)
				}
			}
		}
	}
	if len(deps) > 0 {
		if !cascade {
			return dependencyError(c.path, src.Name, deps)
		}
		removeRefs(src, deps)
	}
	src.Tables = slices.DeleteFunc(src.Tables, func(t metadata.Table) bool { return slices.Contains(d.droppedTables, t.Table) })
	for t, cols := range d.droppedColumns {
		if tbl := src.Table(t); tbl != nil && tbl.Configuration != nil {
			for _, col := range cols {
				delete(tbl.Configuration.ColumnConfig, col)
				delete(tbl.Configuration.CustomColumnNames, col)
			}
		}
	}
	for t, m := range d.renamedColumns {
		for from, to := range m {
			renameColumn(src, t, from, to)
		}
	}
	for from, to := range d.renamedTables {
		renameTable(src, from, to)
	}
	return nil
}

func renameIn(list []string, from, to string) {
	for i := range list {
		if list[i] == from {
			list[i] = to
		}
	}
}

func renameKey[V any](m map[string]V, from, to string) {
	if v, ok := m[from]; ok {
		delete(m, from)
		m[to] = v
	}
}

func renameValue(m map[string]string, from, to string) {
	for k, v := range m {
		if v == from {
			m[k] = to
		}
	}
}

// renameColumn renames column from of table target to to everywhere.
func renameColumn(src *metadata.Source, target metadata.QualifiedTable, from, to string) {
	for i := range src.Tables {
		t := &src.Tables[i]
		if t.Table == target {
			if cfg := t.Configuration; cfg != nil {
				renameKey(cfg.ColumnConfig, from, to)
				renameKey(cfg.CustomColumnNames, from, to)
			}
			renameFieldInPermissions(t, from, to)
			for j := range t.SelectPermissions {
				renameIn(t.SelectPermissions[j].Permission.Columns.Names, from, to)
			}
			for j := range t.InsertPermissions {
				renameIn(t.InsertPermissions[j].Permission.Columns.Names, from, to)
				renameKey(t.InsertPermissions[j].Permission.Set, from, to)
			}
			for j := range t.UpdatePermissions {
				renameIn(t.UpdatePermissions[j].Permission.Columns.Names, from, to)
				renameKey(t.UpdatePermissions[j].Permission.Set, from, to)
			}
			for _, r := range t.ObjectRelationships {
				if fk := r.Using.ForeignKeyConstraintOn; fk != nil && fk.Table == nil {
					renameIn(fk.Columns, from, to)
				}
				if m := r.Using.ManualConfiguration; m != nil {
					renameKey(m.ColumnMapping, from, to)
				}
			}
			for _, r := range t.ArrayRelationships {
				if m := r.Using.ManualConfiguration; m != nil {
					renameKey(m.ColumnMapping, from, to)
				}
			}
		}
		for _, r := range t.ObjectRelationships {
			if fk := r.Using.ForeignKeyConstraintOn; fk != nil && fk.Table != nil && *fk.Table == target {
				renameIn(fk.Columns, from, to)
			}
			if m := r.Using.ManualConfiguration; m != nil && m.RemoteTable == target {
				renameValue(m.ColumnMapping, from, to)
			}
		}
		for _, r := range t.ArrayRelationships {
			if fk := r.Using.ForeignKeyConstraintOn; fk != nil && fk.Table == target {
				renameIn(fk.Columns, from, to)
			}
			if m := r.Using.ManualConfiguration; m != nil && m.RemoteTable == target {
				renameValue(m.ColumnMapping, from, to)
			}
		}
	}
}

// renameTable points every reference to table from at to.
func renameTable(src *metadata.Source, from, to metadata.QualifiedTable) {
	for i := range src.Tables {
		t := &src.Tables[i]
		if t.Table == from {
			t.Table = to
		}
		for j := range t.ObjectRelationships {
			u := &t.ObjectRelationships[j].Using
			if fk := u.ForeignKeyConstraintOn; fk != nil && fk.Table != nil && *fk.Table == from {
				nt := to
				fk.Table = &nt
			}
			if m := u.ManualConfiguration; m != nil && m.RemoteTable == from {
				m.RemoteTable = to
			}
		}
		for j := range t.ArrayRelationships {
			u := &t.ArrayRelationships[j].Using
			if fk := u.ForeignKeyConstraintOn; fk != nil && fk.Table == from {
				fk.Table = to
			}
			if m := u.ManualConfiguration; m != nil && m.RemoteTable == from {
				m.RemoteTable = to
			}
		}
	}
}
