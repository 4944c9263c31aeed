package schema

import (
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"
)

// boolExpType is "<t>_bool_exp", the where argument of t.
func (g *gen) boolExpType(t *Table) string {
	name := t.TypeName + "_bool_exp"
	if g.has(name) {
		return name
	}
	def := &ast.Definition{Kind: ast.InputObject, Name: name,
		Description: fmt.Sprintf("Boolean expression to filter rows from the table %q. All fields are combined with a logical 'AND'.", displayName(t.Name))}
	g.add(def)
	def.Fields = ast.FieldList{
		g.field("_and", g.listOf(name), ""),
		g.field("_not", g.named(name), ""),
		g.field("_or", g.listOf(name), ""),
	}
	for _, c := range t.Columns {
		def.Fields = append(def.Fields, g.field(c.Field, g.named(g.columnComparison(c)), ""))
	}
	for _, r := range t.Relationships {
		def.Fields = append(def.Fields, g.field(r.Name, g.named(g.boolExpType(r.Target)), ""))
		if r.Kind == ArrayRel && aggregatable(r.Target) {
			def.Fields = append(def.Fields, g.field(r.Name+"_aggregate", g.named(g.aggregateBoolExpType(r.Target)), ""))
		}
	}
	for _, cf := range t.ComputedFields {
		switch {
		case cf.ArgsType != "":
		case cf.Returns != nil:
			def.Fields = append(def.Fields, g.field(cf.Name, g.named(g.boolExpType(cf.Returns)), ""))
		default:
			def.Fields = append(def.Fields, g.field(cf.Name, g.named(g.comparisonType(cf.kind)), ""))
		}
	}
	return name
}

// columnComparison is the comparison expression of a column's type.
func (g *gen) columnComparison(c *Column) string {
	if c.EnumTable != nil {
		return g.enumComparisonType(c.EnumTable)
	}
	return g.comparisonType(c.kind)
}

// comparisonType is "<Scalar>_comparison_exp" with Hasura's operators for
// the scalar: equality and ordering for all, pattern matching for strings,
// containment and keys for jsonb.
func (g *gen) comparisonType(k scalarKind) string {
	name := k.Name + "_comparison_exp"
	if g.has(name) {
		return name
	}
	s := g.scalarName(k.Name)
	def := &ast.Definition{Kind: ast.InputObject, Name: name,
		Description: fmt.Sprintf("Boolean expression to compare columns of type %q. All fields are combined with logical 'AND'.", k.Name)}
	g.add(def)
	def.Fields = g.basicOperators(s)
	if k.String {
		for _, op := range stringOperators {
			def.Fields = append(def.Fields, g.field(op[0], g.named("String"), op[1]))
		}
	}
	if k.JSONB {
		def.Fields = append(def.Fields,
			g.field("_cast", g.named(g.jsonbCastType()), ""),
			g.field("_contained_in", g.named(s), "is the column contained in the given json value"),
			g.field("_contains", g.named(s), "does the column contain the given json value at the top level"),
			g.field("_has_key", g.named("String"), "does the string exist as a top-level key in the column"),
			g.field("_has_keys_all", g.listOf("String"), "do all of these strings exist as top-level keys in the column"),
			g.field("_has_keys_any", g.listOf("String"), "do any of these strings exist as top-level keys in the column"),
		)
	}
	return name
}

// basicOperators are the operators of every comparison expression.
func (g *gen) basicOperators(s string) ast.FieldList {
	return ast.FieldList{
		g.field("_eq", g.named(s), ""),
		g.field("_gt", g.named(s), ""),
		g.field("_gte", g.named(s), ""),
		g.field("_in", g.listOf(s), ""),
		g.field("_is_null", g.named("Boolean"), ""),
		g.field("_lt", g.named(s), ""),
		g.field("_lte", g.named(s), ""),
		g.field("_neq", g.named(s), ""),
		g.field("_nin", g.listOf(s), ""),
	}
}

// stringOperators are the pattern operators of string comparison
// expressions, with their descriptions.
var stringOperators = [][2]string{
	{"_ilike", "does the column match the given case-insensitive pattern"},
	{"_iregex", "does the column match the given POSIX regular expression, case insensitive"},
	{"_like", "does the column match the given pattern"},
	{"_nilike", "does the column NOT match the given case-insensitive pattern"},
	{"_niregex", "does the column NOT match the given POSIX regular expression, case insensitive"},
	{"_nlike", "does the column NOT match the given pattern"},
	{"_nregex", "does the column NOT match the given POSIX regular expression, case sensitive"},
	{"_nsimilar", "does the column NOT match the given SQL regular expression"},
	{"_regex", "does the column match the given POSIX regular expression, case sensitive"},
	{"_similar", "does the column match the given SQL regular expression"},
}

// jsonbCastType is jsonb_cast_exp: a jsonb column compared as text.
func (g *gen) jsonbCastType() string {
	const name = "jsonb_cast_exp"
	if !g.has(name) {
		g.add(&ast.Definition{Kind: ast.InputObject, Name: name,
			Fields: ast.FieldList{g.field("String", g.named(g.comparisonType(builtinScalars["text"])), "")}})
	}
	return name
}

// enumComparisonType is "<enum>_comparison_exp" for columns referencing
// an enum table.
func (g *gen) enumComparisonType(t *Table) string {
	e := g.enumTableType(t)
	name := e + "_comparison_exp"
	if g.has(name) {
		return name
	}
	g.add(&ast.Definition{Kind: ast.InputObject, Name: name,
		Description: fmt.Sprintf("Boolean expression to compare columns of type %q. All fields are combined with logical 'AND'.", e),
		Fields: ast.FieldList{
			g.field("_eq", g.named(e), ""),
			g.field("_in", g.listOf(e), ""),
			g.field("_is_null", g.named("Boolean"), ""),
			g.field("_neq", g.named(e), ""),
			g.field("_nin", g.listOf(e), ""),
		}})
	return name
}

// aggregateBoolExpType is "<t>_aggregate_bool_exp": filters on aggregates
// of an array relationship's rows (count, and bool_and/bool_or when t has
// Boolean columns).
func (g *gen) aggregateBoolExpType(t *Table) string {
	name := t.TypeName + "_aggregate_bool_exp"
	if g.has(name) {
		return name
	}
	def := &ast.Definition{Kind: ast.InputObject, Name: name}
	g.add(def)
	var bools []*Column
	for _, c := range t.Columns {
		if c.EnumTable == nil && c.Scalar == "Boolean" {
			bools = append(bools, c)
		}
	}
	if len(bools) > 0 {
		for _, fn := range []string{"bool_and", "bool_or"} {
			def.Fields = append(def.Fields, g.field(fn, g.named(g.aggregateBoolExpBoolType(t, fn, bools)), ""))
		}
	}
	countName := name + "_count"
	if !g.has(countName) {
		g.add(&ast.Definition{Kind: ast.InputObject, Name: countName, Fields: ast.FieldList{
			g.field("arguments", g.listOf(g.selectColumnEnum(t)), ""),
			g.field("distinct", g.named("Boolean"), ""),
			g.field("filter", g.named(g.boolExpType(t)), ""),
			g.field("predicate", g.nonNull(g.comparisonType(builtinScalars["int4"])), ""),
		}})
	}
	def.Fields = append(def.Fields, g.field("count", g.named(countName), ""))
	return name
}

// aggregateBoolExpBoolType is "<t>_aggregate_bool_exp_bool_and" (or
// bool_or) with its enum of Boolean columns.
func (g *gen) aggregateBoolExpBoolType(t *Table, fn string, bools []*Column) string {
	name := t.TypeName + "_aggregate_bool_exp_" + fn
	if g.has(name) {
		return name
	}
	cols := t.TypeName + "_select_column_" + name + "_arguments_columns"
	enum := &ast.Definition{Kind: ast.Enum, Name: cols,
		Description: fmt.Sprintf("select %q columns of table %q", name+"_arguments_columns", displayName(t.Name))}
	for _, c := range bools {
		enum.EnumValues = append(enum.EnumValues, &ast.EnumValueDefinition{Name: c.Field, Description: "column name"})
	}
	g.add(enum)
	g.add(&ast.Definition{Kind: ast.InputObject, Name: name, Fields: ast.FieldList{
		g.field("arguments", g.nonNull(cols), ""),
		g.field("distinct", g.named("Boolean"), ""),
		g.field("filter", g.named(g.boolExpType(t)), ""),
		g.field("predicate", g.nonNull(g.comparisonType(builtinScalars["bool"])), ""),
	}})
	return name
}
