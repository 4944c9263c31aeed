package schema

import (
	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/metadata"
)

// Root field kinds of mutation_root (kept apart from the query kinds).
const (
	// RootInsert is insert_<t>(objects, on_conflict): <t>_mutation_response.
	RootInsert RootKind = iota + 100
	// RootInsertOne is insert_<t>_one(object, on_conflict): <t>.
	RootInsertOne
	// RootUpdate is update_<t>(where, _set, _inc, ...): <t>_mutation_response.
	RootUpdate
	// RootUpdateByPk is update_<t>_by_pk(pk_columns, _set, ...): <t>.
	RootUpdateByPk
	// RootUpdateMany is update_<t>_many(updates): [<t>_mutation_response].
	RootUpdateMany
	// RootDelete is delete_<t>(where): <t>_mutation_response.
	RootDelete
	// RootDeleteByPk is delete_<t>_by_pk(<pk columns>): <t>.
	RootDeleteByPk
)

// IsMutation reports whether k is a mutation_root kind.
func (k RootKind) IsMutation() bool { return k >= RootInsert && k <= RootDeleteByPk }

// Writable reports whether a column can be given a value by an insert or
// an update: generated columns and identity ALWAYS columns cannot.
func (c *Column) Writable() bool { return c.Catalog == nil || !c.Catalog.Generated }

// Constraints are the table's primary key and unique constraints: the
// values of its "<t>_constraint" enum (on_conflict), in catalogue order.
// Constraints whose name is no GraphQL name are left out.
func (t *Table) Constraints() []*catalog.Constraint {
	var out []*catalog.Constraint
	if t.Catalog.PrimaryKey != nil && IsGraphQLName(t.Catalog.PrimaryKey.Name) {
		out = append(out, t.Catalog.PrimaryKey)
	}
	for _, u := range t.Catalog.UniqueConstraints {
		if IsGraphQLName(u.Name) {
			out = append(out, u)
		}
	}
	return out
}

// Constraint returns the primary key or unique constraint with the name.
func (t *Table) Constraint(name string) *catalog.Constraint {
	for _, c := range t.Constraints() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// IsAdmin reports whether the schema is the admin role's, which may write
// every tracked table without permissions.
func (s *Schema) IsAdmin() bool { return s.Role == "" || s.Role == "admin" }

// CanInsert reports whether the schema's role may insert into t (and t is
// insertable at all). Backend-only permissions count only on the schema of
// trusted backend requests (ForBackend).
func (s *Schema) CanInsert(t *Table) bool {
	if !t.Catalog.Insertable {
		return false
	}
	if s.IsAdmin() {
		return true
	}
	return t.Insert != nil && (!t.Insert.BackendOnly || s.BackendOnly)
}

// CanUpdate reports whether the schema's role may update t.
func (s *Schema) CanUpdate(t *Table) bool {
	if !t.Catalog.Updatable {
		return false
	}
	if s.IsAdmin() {
		return true
	}
	return t.Update != nil && (!t.Update.BackendOnly || s.BackendOnly)
}

// CanDelete reports whether the schema's role may delete from t.
func (s *Schema) CanDelete(t *Table) bool {
	if !t.Catalog.Deletable {
		return false
	}
	if s.IsAdmin() {
		return true
	}
	return t.Delete != nil && (!t.Delete.BackendOnly || s.BackendOnly)
}

// CanReturn reports whether mutations of t may return its rows (the
// role's select permission): admin always may, a role that may write t but
// not select it may not.
func (s *Schema) CanReturn(t *Table) bool { return s.IsAdmin() || t.Select != nil && !t.writeOnly }

// InsertColumns are the columns of t the schema's role may give on insert.
func (s *Schema) InsertColumns(t *Table) []*Column {
	var out []*Column
	for _, c := range s.allColumns(t) {
		if !c.Writable() {
			continue
		}
		if !s.IsAdmin() && (t.Insert == nil || !t.Insert.Columns[c.Name]) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// UpdateColumns are the columns of t the schema's role may set on update
// (and name in on_conflict's update_columns).
func (s *Schema) UpdateColumns(t *Table) []*Column {
	var out []*Column
	for _, c := range s.allColumns(t) {
		if !c.Writable() {
			continue
		}
		if !s.IsAdmin() && (t.Update == nil || !t.Update.Columns[c.Name]) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// allColumns are the columns of t's table in the admin model: a role may
// write columns it cannot select.
func (s *Schema) allColumns(t *Table) []*Column {
	if s.Admin != nil {
		if at := s.Admin.TablesByName[t.Name]; at != nil {
			return at.Columns
		}
	}
	return t.Columns
}

// IsNumeric reports whether _inc applies to the column.
func (c *Column) IsNumeric() bool { return c.EnumTable == nil && c.kind.Numeric }

// IsJSONB reports whether the jsonb update operators apply to the column.
func (c *Column) IsJSONB() bool { return c.EnumTable == nil && c.kind.JSONB }

// mutationNames are a table's mutation root field names and descriptions
// (custom_root_fields or the defaults).
type mutationNames struct {
	insert, insertOne, update, updateByPk, updateMany, delete, deleteByPk string
	descs                                                                 map[RootKind]*string
}

// mutationRootNames resolves the table's mutation root field names.
func mutationRootNames(t *Table) mutationNames {
	n := mutationNames{
		insert:     "insert_" + t.TypeName,
		insertOne:  "insert_" + t.TypeName + "_one",
		update:     "update_" + t.TypeName,
		updateByPk: "update_" + t.TypeName + "_by_pk",
		updateMany: "update_" + t.TypeName + "_many",
		delete:     "delete_" + t.TypeName,
		deleteByPk: "delete_" + t.TypeName + "_by_pk",
		descs:      map[RootKind]*string{},
	}
	if t.Metadata == nil || t.Metadata.Configuration == nil || t.Metadata.Configuration.CustomRootFields == nil {
		return n
	}
	c := t.Metadata.Configuration.CustomRootFields
	for _, o := range []struct {
		kind RootKind
		v    *metadata.RootFieldName
		name *string
	}{
		{RootInsert, c.Insert, &n.insert},
		{RootInsertOne, c.InsertOne, &n.insertOne},
		{RootUpdate, c.Update, &n.update},
		{RootUpdateByPk, c.UpdateByPk, &n.updateByPk},
		{RootUpdateMany, c.UpdateMany, &n.updateMany},
		{RootDelete, c.Delete, &n.delete},
		{RootDeleteByPk, c.DeleteByPk, &n.deleteByPk},
	} {
		if o.v == nil {
			continue
		}
		if o.v.Name != "" && IsGraphQLName(o.v.Name) {
			*o.name = o.v.Name
		}
		if o.v.Comment != nil {
			n.descs[o.kind] = o.v.Comment
		}
	}
	return n
}
