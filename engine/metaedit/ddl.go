package metaedit

import (
	"slices"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/metadata"
)

// DDL is what DDL did to the tracked relations of a source, as run_sql
// finds by comparing the relations before and after.
type DDL struct {
	DroppedTables []metadata.QualifiedTable
	// RenamedTables maps old names to new ones.
	RenamedTables map[metadata.QualifiedTable]metadata.QualifiedTable
	// DroppedColumns and RenamedColumns (old -> new) are keyed by the
	// table's old name.
	DroppedColumns map[metadata.QualifiedTable][]string
	RenamedColumns map[metadata.QualifiedTable]map[string]string
}

// Empty reports whether the DDL changed nothing metadata refers to.
func (d *DDL) Empty() bool {
	return len(d.DroppedTables) == 0 && len(d.RenamedTables) == 0 && len(d.DroppedColumns) == 0 && len(d.RenamedColumns) == 0
}

// FollowDDL follows DDL in src's metadata (run_sql's reconciliation):
// dropped tables are untracked, and objects depending on dropped tables or
// columns fail the change with a dependency error at "$" unless cascade
// removes them; renamed tables and columns are renamed everywhere. before
// is the catalogue before the DDL, to resolve foreign keys as they were.
func FollowDDL(src *metadata.Source, d *DDL, cascade bool, before *catalog.Catalog) error {
	var deps []objRef
	for _, t := range d.DroppedTables {
		for _, o := range dependentsOfTable(src, t, before) {
			if !slices.Contains(d.DroppedTables, o.Table) {
				deps = addRef(deps, o)
			}
		}
	}
	for t, cols := range d.DroppedColumns {
		for _, col := range cols {
			for _, o := range dependentsOfColumn(src, t, col) {
				if !slices.Contains(d.DroppedTables, o.Table) {
					deps = addRef(deps, o)
				}
			}
		}
	}
	if len(deps) > 0 {
		if !cascade {
			return dependencyError(src.Name, deps)
		}
		removeRefs(src, deps)
	}
	src.Tables = slices.DeleteFunc(src.Tables, func(t metadata.Table) bool { return slices.Contains(d.DroppedTables, t.Table) })
	for t, cols := range d.DroppedColumns {
		if tbl := src.Table(t); tbl != nil && tbl.Configuration != nil {
			for _, col := range cols {
				delete(tbl.Configuration.ColumnConfig, col)
				delete(tbl.Configuration.CustomColumnNames, col)
			}
		}
	}
	for t, m := range d.RenamedColumns {
		for from, to := range m {
			renameColumn(src, t, from, to)
		}
	}
	for from, to := range d.RenamedTables {
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
