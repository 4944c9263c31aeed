package schema

import (
	"fmt"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// generateMutations builds mutation_root: per table the insert, update and
// delete root fields the schema's role may use. The schema gets no
// mutation type when there are none.
func (g *gen) generateMutations() {
	if g.m.MutationRoot == nil {
		g.m.MutationRoot = map[string]*RootField{}
	}
	mut := &ast.Definition{Kind: ast.Object, Name: "mutation_root"}
	for _, t := range g.m.Tables {
		for _, f := range g.mutationRootFields(t) {
			if _, dup := g.m.MutationRoot[f.def.Name]; dup {
				continue
			}
			mut.Fields = append(mut.Fields, f.def)
			g.m.MutationRoot[f.def.Name] = f.root
		}
	}
	if len(mut.Fields) == 0 {
		return
	}
	g.add(mut)
	g.s.Mutation = mut
}

// mutationRootFields are t's mutation root fields.
func (g *gen) mutationRootFields(t *Table) []rootField {
	s := g.m
	names := mutationRootNames(t)
	name := displayName(t.Name)
	desc := func(k RootKind, def string, args ...any) string {
		return orDefault(names.descs[k], fmt.Sprintf(def, args...))
	}
	returns := s.CanReturn(t)
	var out []rootField
	add := func(kind RootKind, fname, description string, args []*ast.ArgumentDefinition, typ *ast.Type) {
		out = append(out, rootField{def: g.fieldArgs(fname, args, typ, description), root: &RootField{Kind: kind, Table: t}})
	}
	if s.CanInsert(t) {
		var conflict []*ast.ArgumentDefinition
		if oc := g.onConflictType(t); oc != "" {
			conflict = append(conflict, g.arg("on_conflict", g.named(oc), "upsert condition"))
		}
		add(RootInsert, names.insert, desc(RootInsert, "insert data into the table: %q", name),
			append([]*ast.ArgumentDefinition{g.arg("objects", g.nonNullListOf(g.insertInputType(t)), "the rows to be inserted")}, conflict...),
			g.named(g.mutationResponseType(t)))
		if returns {
			add(RootInsertOne, names.insertOne, desc(RootInsertOne, "insert a single row into the table: %q", name),
				append([]*ast.ArgumentDefinition{g.arg("object", g.nonNull(g.insertInputType(t)), "the row to be inserted")}, conflict...),
				g.named(g.objectType(t)))
		}
	}
	if s.CanUpdate(t) && len(s.UpdateColumns(t)) > 0 {
		ops := g.updateOperators(t)
		args := func(extra ...*ast.ArgumentDefinition) []*ast.ArgumentDefinition {
			var out []*ast.ArgumentDefinition
			for _, o := range ops {
				out = append(out, g.arg(o.name, g.named(o.typ), o.desc))
			}
			return append(out, extra...)
		}
		add(RootUpdate, names.update, desc(RootUpdate, "update data of the table: %q", name),
			args(g.arg("where", g.nonNull(g.boolExpType(t)), "filter the rows which have to be updated")),
			g.named(g.mutationResponseType(t)))
		if returns && len(t.PrimaryKey) > 0 {
			add(RootUpdateByPk, names.updateByPk, desc(RootUpdateByPk, "update single row of the table: %q", name),
				args(g.arg("pk_columns", g.nonNull(g.pkColumnsInputType(t)), "")),
				g.named(g.objectType(t)))
		}
		add(RootUpdateMany, names.updateMany, desc(RootUpdateMany, "update multiples rows of table: %q", name),
			[]*ast.ArgumentDefinition{g.arg("updates", g.nonNullListOf(g.updatesType(t, ops)), "updates to execute, in order")},
			g.list(g.named(g.mutationResponseType(t)), false))
	}
	if s.CanDelete(t) {
		add(RootDelete, names.delete, desc(RootDelete, "delete data from the table: %q", name),
			[]*ast.ArgumentDefinition{g.arg("where", g.nonNull(g.boolExpType(t)), "filter the rows which have to be deleted")},
			g.named(g.mutationResponseType(t)))
		if returns && len(t.PrimaryKey) > 0 {
			var args []*ast.ArgumentDefinition
			for _, c := range t.PrimaryKey {
				args = append(args, g.arg(c.Field, g.nonNull(g.columnScalar(c)), ""))
			}
			add(RootDeleteByPk, names.deleteByPk, desc(RootDeleteByPk, "delete single row from the table: %q", name),
				args, g.named(g.objectType(t)))
		}
	}
	return out
}

// mutationResponseType is "<t>_mutation_response".
func (g *gen) mutationResponseType(t *Table) string {
	name := t.TypeName + "_mutation_response"
	if g.has(name) {
		return name
	}
	def := &ast.Definition{Kind: ast.Object, Name: name,
		Description: fmt.Sprintf("response of any mutation on the table %q", displayName(t.Name))}
	g.add(def)
	def.Fields = ast.FieldList{g.field("affected_rows", g.nonNull("Int"), "number of rows affected by the mutation")}
	if g.m.CanReturn(t) {
		def.Fields = append(def.Fields, g.field("returning", g.nonNullListOf(g.objectType(t)), "data from the rows affected by the mutation"))
	}
	return name
}

// insertInputType is "<t>_insert_input": the insertable columns and the
// relationships to tables that can be inserted into along.
func (g *gen) insertInputType(t *Table) string {
	name := t.TypeName + "_insert_input"
	if g.has(name) {
		return name
	}
	def := &ast.Definition{Kind: ast.InputObject, Name: name,
		Description: fmt.Sprintf("input type for inserting data into table %q", displayName(t.Name))}
	g.add(def)
	for _, c := range g.m.InsertColumns(t) {
		def.Fields = append(def.Fields, g.field(c.Field, g.named(g.columnScalar(c)), c.description))
	}
	for _, r := range t.Relationships {
		if !g.m.CanInsert(r.Target) {
			continue
		}
		if r.Kind == ObjectRel {
			def.Fields = append(def.Fields, g.field(r.Name, g.named(g.relInsertInputType(r.Target, "obj")), ""))
		} else {
			def.Fields = append(def.Fields, g.field(r.Name, g.named(g.relInsertInputType(r.Target, "arr")), ""))
		}
	}
	if len(def.Fields) == 0 {
		// An input object needs a field; a table without insertable
		// columns can only take defaults.
		def.Fields = ast.FieldList{g.field("_PLACEHOLDER", g.named("Boolean"), "placeholder (do not use)")}
	}
	return name
}

// relInsertInputType is "<t>_obj_rel_insert_input" (kind "obj") or
// "<t>_arr_rel_insert_input" (kind "arr"): the nested insert of a related
// row or rows, with its own on_conflict.
func (g *gen) relInsertInputType(t *Table, kind string) string {
	name := t.TypeName + "_" + kind + "_rel_insert_input"
	if g.has(name) {
		return name
	}
	what := "object"
	data := g.nonNull(g.insertInputType(t))
	if kind == "arr" {
		what = "array"
		data = g.nonNullListOf(g.insertInputType(t))
	}
	def := &ast.Definition{Kind: ast.InputObject, Name: name,
		Description: fmt.Sprintf("input type for inserting %s relation for remote table %q", what, displayName(t.Name))}
	g.add(def)
	def.Fields = ast.FieldList{g.field("data", data, "")}
	if oc := g.onConflictType(t); oc != "" {
		def.Fields = append(def.Fields, g.field("on_conflict", g.named(oc), "upsert condition"))
	}
	return name
}

// onConflictType is "<t>_on_conflict", or "" when t has no primary key or
// unique constraint to conflict on, or the role may not update t: Hasura
// documents that only tables with update permissions are upsertable.
func (g *gen) onConflictType(t *Table) string {
	if len(t.Constraints()) == 0 || !g.m.CanUpdate(t) {
		return ""
	}
	name := t.TypeName + "_on_conflict"
	if g.has(name) {
		return name
	}
	def := &ast.Definition{Kind: ast.InputObject, Name: name,
		Description: fmt.Sprintf("on_conflict condition type for table %q", displayName(t.Name))}
	g.add(def)
	// The one field with a default: not shared.
	updateColumns := &ast.FieldDefinition{Name: "update_columns", Type: g.nonNullListOf(g.updateColumnEnum(t)),
		DefaultValue: &ast.Value{Kind: ast.ListValue}}
	def.Fields = ast.FieldList{
		g.field("constraint", g.nonNull(g.constraintEnum(t)), ""),
		updateColumns,
		g.field("where", g.named(g.boolExpType(t)), ""),
	}
	return name
}

// constraintEnum is "<t>_constraint": the table's unique and primary key
// constraints.
func (g *gen) constraintEnum(t *Table) string {
	name := t.TypeName + "_constraint"
	if g.has(name) {
		return name
	}
	def := &ast.Definition{Kind: ast.Enum, Name: name,
		Description: fmt.Sprintf("unique or primary key constraints on table %q", displayName(t.Name))}
	for _, c := range t.Constraints() {
		cols := make([]string, len(c.Columns))
		for i, col := range c.Columns {
			cols[i] = fmt.Sprintf("%q", col)
		}
		def.EnumValues = append(def.EnumValues, &ast.EnumValueDefinition{Name: c.Name,
			Description: "unique or primary key constraint on columns " + strings.Join(cols, ", ")})
	}
	g.add(def)
	return name
}

// updateColumnEnum is "<t>_update_column": the columns an upsert may
// update.
func (g *gen) updateColumnEnum(t *Table) string {
	name := t.TypeName + "_update_column"
	if g.has(name) {
		return name
	}
	def := &ast.Definition{Kind: ast.Enum, Name: name,
		Description: fmt.Sprintf("update columns of table %q", displayName(t.Name))}
	if t.Catalog.Updatable {
		for _, c := range g.m.UpdateColumns(t) {
			def.EnumValues = append(def.EnumValues, &ast.EnumValueDefinition{Name: c.Field, Description: "column name"})
		}
	}
	if len(def.EnumValues) == 0 {
		def.EnumValues = ast.EnumValueList{{Name: "_PLACEHOLDER", Description: "placeholder (do not use)"}}
	}
	g.add(def)
	return name
}

// pkColumnsInputType is "<t>_pk_columns_input".
func (g *gen) pkColumnsInputType(t *Table) string {
	name := t.TypeName + "_pk_columns_input"
	if g.has(name) {
		return name
	}
	def := &ast.Definition{Kind: ast.InputObject, Name: name,
		Description: "primary key columns input for table: " + displayName(t.Name)}
	for _, c := range t.PrimaryKey {
		def.Fields = append(def.Fields, g.field(c.Field, g.nonNull(g.columnScalar(c)), c.description))
	}
	g.add(def)
	return name
}

// updateOperator is one update argument (_set, _inc, _append, ...).
type updateOperator struct {
	name, typ, desc string
}

// Update operator descriptions (Hasura's).
const (
	descSet          = "sets the columns of the filtered rows to the given values"
	descInc          = "increments the numeric columns with given value of the filtered values"
	descAppend       = "append existing jsonb value of filtered columns with new jsonb value"
	descPrepend      = "prepend existing jsonb value of filtered columns with new jsonb value"
	descDeleteKey    = "delete key/value pair or string element. key/value pairs are matched based on their key value"
	descDeleteElem   = "delete the array element with specified index (negative integers count from the end). throws an error if top level container is not an array"
	descDeleteAtPath = "delete the field or element with specified path (for JSON arrays, negative integers count from the end)"
)

// updateOperators are the update arguments t's updatable columns allow,
// in Hasura's order: _set, _inc (numeric columns), then the jsonb ones.
func (g *gen) updateOperators(t *Table) []updateOperator {
	cols := g.m.UpdateColumns(t)
	var numeric, jsonb []*Column
	for _, c := range cols {
		if c.IsNumeric() {
			numeric = append(numeric, c)
		}
		if c.IsJSONB() {
			jsonb = append(jsonb, c)
		}
	}
	input := func(suffix, desc string, cols []*Column, typ func(*Column) *ast.Type) string {
		name := t.TypeName + suffix
		if !g.has(name) {
			def := &ast.Definition{Kind: ast.InputObject, Name: name, Description: desc}
			for _, c := range cols {
				def.Fields = append(def.Fields, g.field(c.Field, typ(c), c.description))
			}
			g.add(def)
		}
		return name
	}
	own := func(c *Column) *ast.Type { return g.named(g.columnScalar(c)) }
	ops := []updateOperator{{"_set", input("_set_input",
		fmt.Sprintf("input type for updating data in table %q", displayName(t.Name)), cols, own), descSet}}
	if len(numeric) > 0 {
		ops = append(ops, updateOperator{"_inc", input("_inc_input",
			fmt.Sprintf("input type for incrementing numeric columns in table %q", displayName(t.Name)), numeric, own), descInc})
	}
	if len(jsonb) > 0 {
		ops = append(ops,
			updateOperator{"_prepend", input("_prepend_input", descPrepend, jsonb, own), descPrepend},
			updateOperator{"_append", input("_append_input", descAppend, jsonb, own), descAppend},
			updateOperator{"_delete_key", input("_delete_key_input", descDeleteKey, jsonb,
				func(*Column) *ast.Type { return g.named("String") }), descDeleteKey},
			updateOperator{"_delete_elem", input("_delete_elem_input", descDeleteElem, jsonb,
				func(*Column) *ast.Type { return g.named("Int") }), descDeleteElem},
			updateOperator{"_delete_at_path", input("_delete_at_path_input", descDeleteAtPath, jsonb,
				func(*Column) *ast.Type { return g.listOf("String") }), descDeleteAtPath},
		)
	}
	return ops
}

// UpdateOperatorNames are the update operators of t in Hasura's order, for
// messages naming them.
func (s *Schema) UpdateOperatorNames(t *Table) []string {
	names := []string{"_set"}
	numeric, jsonb := false, false
	for _, c := range s.UpdateColumns(t) {
		numeric = numeric || c.IsNumeric()
		jsonb = jsonb || c.IsJSONB()
	}
	if numeric {
		names = append(names, "_inc")
	}
	if jsonb {
		names = append(names, "_prepend", "_append", "_delete_key", "_delete_elem", "_delete_at_path")
	}
	return names
}

// updatesType is "<t>_updates": one update of update_<t>_many.
func (g *gen) updatesType(t *Table, ops []updateOperator) string {
	name := t.TypeName + "_updates"
	if g.has(name) {
		return name
	}
	def := &ast.Definition{Kind: ast.InputObject, Name: name}
	for _, o := range ops {
		def.Fields = append(def.Fields, g.field(o.name, g.named(o.typ), o.desc))
	}
	def.Fields = append(def.Fields, g.field("where", g.nonNull(g.boolExpType(t)), "filter the rows which have to be updated"))
	g.add(def)
	return name
}
