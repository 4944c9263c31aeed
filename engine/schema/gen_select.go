package schema

import (
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"
)

// rootField pairs a root field definition with what it selects and the
// roots it belongs to.
type rootField struct {
	def                 *ast.FieldDefinition
	root                *RootField
	query, subscription bool
}

// selectRootFields returns a table's select, select_aggregate and (with a
// primary key) select_by_pk root fields, those of a role schema's table as
// its permission allows (aggregations, query_root_fields and
// subscription_root_fields). Fields in neither root are not generated, so
// that their types are not either.
func (g *gen) selectRootFields(t *Table) []rootField {
	name := displayName(t.Name)
	var out []rootField
	add := func(kind RootKind, def func() *ast.FieldDefinition) {
		q, s := t.queryRoots.allows(kind), t.subscriptionRoots.allows(kind)
		if q || s {
			out = append(out, rootField{def(), &RootField{Kind: kind, Table: t}, q, s})
		}
	}
	add(RootSelect, func() *ast.FieldDefinition {
		return g.fieldArgs(t.selectName, g.selectArgs(t), g.nonNullListOf(g.objectType(t)),
			orDefault(t.selectDesc, fmt.Sprintf("fetch data from the table: %q", name)))
	})
	if aggregatable(t) {
		add(RootSelectAggregate, func() *ast.FieldDefinition {
			return g.fieldArgs(t.aggregateName, g.selectArgs(t), g.nonNull(g.aggregateType(t)),
				orDefault(t.aggregateDesc, fmt.Sprintf("fetch aggregated fields from the table: %q", name)))
		})
	}
	if len(t.PrimaryKey) > 0 {
		add(RootSelectByPk, func() *ast.FieldDefinition {
			var args []*ast.ArgumentDefinition
			for _, c := range t.PrimaryKey {
				args = append(args, g.arg(c.Field, g.nonNull(g.columnScalar(c)), ""))
			}
			return g.fieldArgs(t.byPkName, args, g.named(g.objectType(t)),
				orDefault(t.byPkDesc, fmt.Sprintf("fetch data from the table: %q using primary key columns", name)))
		})
	}
	return out
}

// selectArgs are the arguments of every field selecting rows of t.
func (g *gen) selectArgs(t *Table) []*ast.ArgumentDefinition {
	return []*ast.ArgumentDefinition{
		g.arg("distinct_on", g.listOf(g.selectColumnEnum(t)), "distinct select on columns"),
		g.arg("limit", g.named("Int"), "limit the number of rows returned"),
		g.arg("offset", g.named("Int"), "skip the first n rows. Use only with order_by"),
		g.arg("order_by", g.listOf(g.orderByType(t)), "sort the rows by one or more columns"),
		g.arg("where", g.named(g.boolExpType(t)), "filter the rows returned"),
	}
}

// columnScalar is a column's GraphQL type name, creating the scalar or
// enum type on first use.
func (g *gen) columnScalar(c *Column) string {
	if c.EnumTable != nil {
		return g.enumTableType(c.EnumTable)
	}
	return g.scalarName(c.Scalar)
}

// scalarName makes sure a scalar exists (built-ins do already).
func (g *gen) scalarName(n string) string {
	switch n {
	case "Int", "Float", "String", "Boolean":
		return n
	}
	return g.scalar(n)
}

// enumTableType returns the GraphQL enum of an is_enum table.
func (g *gen) enumTableType(t *Table) string {
	name := t.EnumTypeName
	if g.has(name) {
		return name
	}
	def := &ast.Definition{Kind: ast.Enum, Name: name}
	if t.Catalog.Comment != "" {
		def.Description = t.Catalog.Comment
	}
	if t.Metadata.Configuration != nil && t.Metadata.Configuration.Comment != nil {
		def.Description = *t.Metadata.Configuration.Comment
	}
	for _, v := range t.EnumValues {
		ev := &ast.EnumValueDefinition{Name: v.Value}
		if v.Comment != nil {
			ev.Description = *v.Comment
		}
		def.EnumValues = append(def.EnumValues, ev)
	}
	g.add(def)
	return name
}

// objectType returns the table's object type, creating it on first use.
func (g *gen) objectType(t *Table) string {
	name := t.TypeName
	if g.has(name) {
		return name
	}
	def := &ast.Definition{Kind: ast.Object, Name: name, Description: t.description}
	g.add(def)
	for _, c := range t.Columns {
		def.Fields = append(def.Fields, g.field(c.Field, g.typ(g.columnScalar(c), !c.Nullable), c.description))
	}
	for _, r := range t.Relationships {
		if r.Kind == ObjectRel {
			def.Fields = append(def.Fields, g.field(r.Name, g.typ(g.objectType(r.Target), !r.Nullable),
				orDefault(r.comment, "An object relationship")))
			continue
		}
		def.Fields = append(def.Fields,
			g.fieldArgs(r.Name, g.selectArgs(r.Target), g.nonNullListOf(g.objectType(r.Target)),
				orDefault(r.comment, "An array relationship")))
		if aggregatable(r.Target) {
			def.Fields = append(def.Fields,
				g.fieldArgs(r.Name+"_aggregate", g.selectArgs(r.Target), g.nonNull(g.aggregateType(r.Target)),
					orDefault(r.comment, "An aggregate relationship")))
		}
	}
	for _, cf := range t.ComputedFields {
		def.Fields = append(def.Fields, g.computedField(t, cf))
	}
	return name
}

// computedField is a computed field's definition on its table's type.
func (g *gen) computedField(t *Table, cf *ComputedField) *ast.FieldDefinition {
	desc := fmt.Sprintf("A computed field, executes function %q", displayName(cf.Function.Name))
	if cf.Function.Comment != "" {
		desc = cf.Function.Comment
	}
	desc = orDefault(cf.comment, desc)
	var args []*ast.ArgumentDefinition
	if cf.ArgsType != "" {
		required := false
		for _, a := range cf.InputArgs {
			required = required || !a.HasDefault
		}
		args = append(args, g.arg("args", g.typ(g.computedArgsType(cf), required),
			fmt.Sprintf("input parameters for computed field %q defined on table %q", cf.Name, displayName(t.Name))))
	}
	if cf.Returns != nil {
		args = append(args, g.selectArgs(cf.Returns)...)
		return g.fieldArgs(cf.Name, args, g.nonNullListOf(g.objectType(cf.Returns)), desc)
	}
	return g.fieldArgs(cf.Name, args, g.named(g.scalarName(cf.Scalar)), desc)
}

// computedArgsType is the input object of a computed field's function
// arguments ("<function>_args").
func (g *gen) computedArgsType(cf *ComputedField) string {
	name := cf.ArgsType
	if g.has(name) {
		return name
	}
	def := &ast.Definition{Kind: ast.InputObject, Name: name}
	g.add(def)
	for _, a := range cf.InputArgs {
		def.Fields = append(def.Fields, g.field(a.Name, g.named(g.scalarName(scalarFor(a.Type).Name)), ""))
	}
	return name
}

// selectColumnEnum is "<t>_select_column": the table's columns.
func (g *gen) selectColumnEnum(t *Table) string {
	name := t.TypeName + "_select_column"
	if g.has(name) {
		return name
	}
	def := &ast.Definition{Kind: ast.Enum, Name: name,
		Description: fmt.Sprintf("select columns of table %q", displayName(t.Name))}
	for _, c := range t.Columns {
		def.EnumValues = append(def.EnumValues, &ast.EnumValueDefinition{Name: c.Field, Description: "column name"})
	}
	if len(def.EnumValues) == 0 {
		// A GraphQL enum needs a value; Hasura uses this placeholder.
		def.EnumValues = ast.EnumValueList{{Name: "_PLACEHOLDER", Description: "placeholder (do not use)"}}
	}
	g.add(def)
	return name
}
