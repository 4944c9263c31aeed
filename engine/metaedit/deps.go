package metaedit

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/metadata"
)

// objRef names a metadata object that depends on something being dropped.
type objRef struct {
	Kind  string // "relationship", "permission", "computed field"
	Table metadata.QualifiedTable
	Name  string // relationship or computed field name, or role
	Perm  string // select, insert, update, delete (permissions)
}

// report renders the object as Hasura's dependency errors do.
func (o objRef) report(source string) string {
	tn := o.Table.Display()
	var s string
	switch o.Kind {
	case "permission":
		s = "permission " + tn + "." + o.Name + "." + o.Perm
	default:
		s = o.Kind + " " + tn + "." + o.Name
	}
	return s + " in source " + strconv.Quote(source)
}

// dependencyError is Hasura's refusal to drop what deps depend on.
func dependencyError(source string, deps []objRef) *hasuraerr.Error {
	parts := make([]string, len(deps))
	for i, d := range deps {
		parts[i] = d.report(source)
	}
	return hasuraerr.New(hasuraerr.CodeDependencyError, "$", "cannot drop due to the following dependent objects : %s", strings.Join(parts, ", "))
}

// addRef appends o unless already listed.
func addRef(list []objRef, o objRef) []objRef {
	if slices.Contains(list, o) {
		return list
	}
	return append(list, o)
}

// removeRefs deletes the objects from src.
func removeRefs(src *metadata.Source, deps []objRef) {
	for _, d := range deps {
		t := src.Table(d.Table)
		if t == nil {
			continue
		}
		switch d.Kind {
		case "relationship":
			t.ObjectRelationships = slices.DeleteFunc(t.ObjectRelationships, func(r metadata.ObjectRelationship) bool { return r.Name == d.Name })
			t.ArrayRelationships = slices.DeleteFunc(t.ArrayRelationships, func(r metadata.ArrayRelationship) bool { return r.Name == d.Name })
		case "computed field":
			t.ComputedFields = slices.DeleteFunc(t.ComputedFields, func(f metadata.ComputedField) bool { return f.Name == d.Name })
		case "permission":
			dropPermission(t, d.Perm, d.Name)
		}
	}
}

// boolExpFields lists the field names a boolean expression tests at its
// top level (through _and, _or and _not).
func boolExpFields(raw json.RawMessage) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		for k, sub := range m {
			switch k {
			case "_and", "_or":
				if list, ok := sub.([]any); ok {
					for _, x := range list {
						walk(x)
					}
				}
			case "_not":
				walk(sub)
			case "_exists":
			default:
				out = append(out, k)
			}
		}
	}
	var v any
	if json.Unmarshal(raw, &v) == nil {
		walk(v)
	}
	return out
}

// renameBoolExpField renames a field in a boolean expression (same levels
// as boolExpFields).
func renameBoolExpField(raw json.RawMessage, from, to string) json.RawMessage {
	if len(raw) == 0 {
		return raw
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return raw
	}
	var walk func(v any) any
	walk = func(v any) any {
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		out := make(map[string]any, len(m))
		for k, sub := range m {
			switch k {
			case "_and", "_or":
				if list, ok := sub.([]any); ok {
					for i := range list {
						list[i] = walk(list[i])
					}
				}
			case "_not":
				sub = walk(sub)
			case from:
				k = to
			}
			out[k] = sub
		}
		return out
	}
	b, err := json.Marshal(walk(v))
	if err != nil {
		return raw
	}
	return b
}

// permsUsing lists t's permissions that test field (a column,
// relationship or computed field) or list it as a column.
func permsUsing(t *metadata.Table, field string, asColumn bool) []objRef {
	var out []objRef
	ref := func(perm, role string) objRef {
		return objRef{Kind: "permission", Table: t.Table, Name: role, Perm: perm}
	}
	usesCols := func(c metadata.Columns) bool { return asColumn && slices.Contains(c.Names, field) }
	for _, p := range t.SelectPermissions {
		if usesCols(p.Permission.Columns) || slices.Contains(boolExpFields(p.Permission.Filter), field) ||
			(!asColumn && slices.Contains(p.Permission.ComputedFields, field)) {
			out = append(out, ref("select", p.Role))
		}
	}
	for _, p := range t.InsertPermissions {
		_, inSet := p.Permission.Set[field]
		if usesCols(p.Permission.Columns) || slices.Contains(boolExpFields(p.Permission.Check), field) || (asColumn && inSet) {
			out = append(out, ref("insert", p.Role))
		}
	}
	for _, p := range t.UpdatePermissions {
		_, inSet := p.Permission.Set[field]
		if usesCols(p.Permission.Columns) || slices.Contains(boolExpFields(p.Permission.Filter), field) ||
			slices.Contains(boolExpFields(p.Permission.Check), field) || (asColumn && inSet) {
			out = append(out, ref("update", p.Role))
		}
	}
	for _, p := range t.DeletePermissions {
		if slices.Contains(boolExpFields(p.Permission.Filter), field) {
			out = append(out, ref("delete", p.Role))
		}
	}
	return out
}

// relRef is a relationship plus the permissions that test it.
func relRef(deps []objRef, t *metadata.Table, name string) []objRef {
	deps = addRef(deps, objRef{Kind: "relationship", Table: t.Table, Name: name})
	for _, p := range permsUsing(t, name, false) {
		deps = addRef(deps, p)
	}
	return deps
}

// objectRelTarget resolves where an object relationship points, using cat
// for foreign keys on the relationship's own table.
func objectRelTarget(t *metadata.Table, r metadata.ObjectRelationship, cat *catalog.Catalog) (metadata.QualifiedTable, bool) {
	switch u := r.Using; {
	case u.ManualConfiguration != nil:
		return u.ManualConfiguration.RemoteTable, true
	case u.ForeignKeyConstraintOn != nil && u.ForeignKeyConstraintOn.Table != nil:
		return *u.ForeignKeyConstraintOn.Table, true
	case u.ForeignKeyConstraintOn != nil:
		if fk := cat.Table(t.Table).ForeignKeyOn(u.ForeignKeyConstraintOn.Columns, nil); fk != nil {
			return fk.RefTable, true
		}
	}
	return metadata.QualifiedTable{}, false
}

// dependentsOfTable lists objects on other tables that point at target
// (relationships and the permissions testing them); cat resolves foreign
// keys as they were.
func dependentsOfTable(src *metadata.Source, target metadata.QualifiedTable, cat *catalog.Catalog) []objRef {
	var deps []objRef
	for i := range src.Tables {
		t := &src.Tables[i]
		if t.Table == target {
			continue
		}
		for _, r := range t.ObjectRelationships {
			if to, ok := objectRelTarget(t, r, cat); ok && to == target {
				deps = relRef(deps, t, r.Name)
			}
		}
		for _, r := range t.ArrayRelationships {
			u := r.Using
			if (u.ForeignKeyConstraintOn != nil && u.ForeignKeyConstraintOn.Table == target) ||
				(u.ManualConfiguration != nil && u.ManualConfiguration.RemoteTable == target) {
				deps = relRef(deps, t, r.Name)
			}
		}
	}
	return deps
}

// dependentsOfColumn lists objects that use column col of table target.
func dependentsOfColumn(src *metadata.Source, target metadata.QualifiedTable, col string) []objRef {
	var deps []objRef
	for i := range src.Tables {
		t := &src.Tables[i]
		if t.Table == target {
			for _, p := range permsUsing(t, col, true) {
				deps = addRef(deps, p)
			}
			for _, r := range t.ObjectRelationships {
				u := r.Using
				if (u.ForeignKeyConstraintOn != nil && u.ForeignKeyConstraintOn.Table == nil && slices.Contains(u.ForeignKeyConstraintOn.Columns, col)) ||
					(u.ManualConfiguration != nil && hasKey(u.ManualConfiguration.ColumnMapping, col)) {
					deps = relRef(deps, t, r.Name)
				}
			}
			for _, r := range t.ArrayRelationships {
				if m := r.Using.ManualConfiguration; m != nil && hasKey(m.ColumnMapping, col) {
					deps = relRef(deps, t, r.Name)
				}
			}
		}
		for _, r := range t.ObjectRelationships {
			u := r.Using
			if (u.ForeignKeyConstraintOn != nil && u.ForeignKeyConstraintOn.Table != nil && *u.ForeignKeyConstraintOn.Table == target && slices.Contains(u.ForeignKeyConstraintOn.Columns, col)) ||
				(u.ManualConfiguration != nil && u.ManualConfiguration.RemoteTable == target && hasValue(u.ManualConfiguration.ColumnMapping, col)) {
				deps = relRef(deps, t, r.Name)
			}
		}
		for _, r := range t.ArrayRelationships {
			u := r.Using
			if (u.ForeignKeyConstraintOn != nil && u.ForeignKeyConstraintOn.Table == target && slices.Contains(u.ForeignKeyConstraintOn.Columns, col)) ||
				(u.ManualConfiguration != nil && u.ManualConfiguration.RemoteTable == target && hasValue(u.ManualConfiguration.ColumnMapping, col)) {
				deps = relRef(deps, t, r.Name)
			}
		}
	}
	return deps
}

func hasKey(m map[string]string, k string) bool { _, ok := m[k]; return ok }

func hasValue(m map[string]string, v string) bool {
	for _, x := range m {
		if x == v {
			return true
		}
	}
	return false
}
