package schema

import (
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"
)

// numericAggregates are the aggregate functions over numeric columns, in
// Hasura's order; avg and the statistical ones return Float, sum keeps
// the column's type.
var numericAggregates = []string{"avg", "stddev", "stddev_pop", "stddev_samp", "sum", "var_pop", "var_samp", "variance"}

// aggField is a column or argument-less scalar computed field that
// aggregate functions apply to.
type aggField struct {
	name, scalar string
}

// aggregateColumns splits t's columns and argument-less scalar computed
// fields (when computed is set: aggregate queries have them, aggregate
// order_by has not) into those with numeric aggregates and those with
// max/min.
func aggregateColumns(t *Table, computed bool) (numeric, comparable []aggField) {
	add := func(name, scalar string, k scalarKind) {
		if k.Numeric {
			numeric = append(numeric, aggField{name, scalar})
		}
		if k.Comparable {
			comparable = append(comparable, aggField{name, scalar})
		}
	}
	for _, c := range t.Columns {
		if c.EnumTable == nil {
			add(c.Field, c.Scalar, c.kind)
		}
	}
	for _, cf := range t.ComputedFields {
		if computed && cf.ArgsType == "" && cf.Returns == nil {
			add(cf.Name, cf.Scalar, cf.kind)
		}
	}
	return numeric, comparable
}

// aggregateType is "<t>_aggregate": the aggregate and the rows.
func (g *gen) aggregateType(t *Table) string {
	name := t.TypeName + "_aggregate"
	if g.has(name) {
		return name
	}
	def := &ast.Definition{Kind: ast.Object, Name: name,
		Description: fmt.Sprintf("aggregated selection of %q", displayName(t.Name))}
	g.add(def)
	def.Fields = ast.FieldList{
		g.field("aggregate", g.named(g.aggregateFieldsType(t)), ""),
		g.field("nodes", g.nonNullListOf(g.objectType(t)), ""),
	}
	return name
}

// aggregateFieldsType is "<t>_aggregate_fields": count plus the aggregate
// functions that apply to t's columns.
func (g *gen) aggregateFieldsType(t *Table) string {
	name := t.TypeName + "_aggregate_fields"
	if g.has(name) {
		return name
	}
	def := &ast.Definition{Kind: ast.Object, Name: name,
		Description: fmt.Sprintf("aggregate fields of %q", displayName(t.Name))}
	g.add(def)
	def.Fields = ast.FieldList{g.fieldArgs("count", []*ast.ArgumentDefinition{
		g.arg("columns", g.listOf(g.selectColumnEnum(t)), ""),
		g.arg("distinct", g.named("Boolean"), ""),
	}, g.nonNull("Int"), "")}
	numeric, comparable := aggregateColumns(t, true)
	if len(numeric) > 0 {
		for _, fn := range numericAggregates {
			def.Fields = append(def.Fields, g.field(fn, g.named(g.aggregateFnFields(t, fn, numeric)), ""))
		}
	}
	if len(comparable) > 0 {
		for _, fn := range []string{"max", "min"} {
			def.Fields = append(def.Fields, g.field(fn, g.named(g.aggregateFnFields(t, fn, comparable)), ""))
		}
	}
	return name
}

// aggregateFnFields is "<t>_<fn>_fields": one nullable field per column.
func (g *gen) aggregateFnFields(t *Table, fn string, cols []aggField) string {
	name := t.TypeName + "_" + fn + "_fields"
	if g.has(name) {
		return name
	}
	def := &ast.Definition{Kind: ast.Object, Name: name, Description: fmt.Sprintf("aggregate %s on columns", fn)}
	for _, c := range cols {
		typ := "Float"
		if fn == "sum" || fn == "max" || fn == "min" {
			typ = g.scalarName(c.scalar)
		}
		def.Fields = append(def.Fields, g.field(c.name, g.named(typ), ""))
	}
	g.add(def)
	return name
}

// aggregateOrderByType is "<t>_aggregate_order_by": ordering parents by
// aggregates of an array relationship's rows.
func (g *gen) aggregateOrderByType(t *Table) string {
	name := t.TypeName + "_aggregate_order_by"
	if g.has(name) {
		return name
	}
	def := &ast.Definition{Kind: ast.InputObject, Name: name,
		Description: fmt.Sprintf("order by aggregate values of table %q", displayName(t.Name))}
	g.add(def)
	def.Fields = ast.FieldList{g.field("count", g.named(g.orderByEnum()), "")}
	numeric, comparable := aggregateColumns(t, false)
	if len(numeric) > 0 {
		for _, fn := range numericAggregates {
			def.Fields = append(def.Fields, g.field(fn, g.named(g.aggregateFnOrderBy(t, fn, numeric)), ""))
		}
	}
	if len(comparable) > 0 {
		for _, fn := range []string{"max", "min"} {
			def.Fields = append(def.Fields, g.field(fn, g.named(g.aggregateFnOrderBy(t, fn, comparable)), ""))
		}
	}
	return name
}

// aggregateFnOrderBy is "<t>_<fn>_order_by".
func (g *gen) aggregateFnOrderBy(t *Table, fn string, cols []aggField) string {
	name := t.TypeName + "_" + fn + "_order_by"
	if g.has(name) {
		return name
	}
	def := &ast.Definition{Kind: ast.InputObject, Name: name,
		Description: fmt.Sprintf("order by %s() on columns of table %q", fn, displayName(t.Name))}
	ob := g.orderByEnum()
	for _, c := range cols {
		def.Fields = append(def.Fields, g.field(c.name, g.named(ob), ""))
	}
	g.add(def)
	return name
}
