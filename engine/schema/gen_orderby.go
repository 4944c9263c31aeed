package schema

import (
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"
)

// orderByEnum is the shared order_by enum.
func (g *gen) orderByEnum() string {
	const name = "order_by"
	if g.has(name) {
		return name
	}
	def := &ast.Definition{Kind: ast.Enum, Name: name, Description: "column ordering options"}
	for _, v := range [][2]string{
		{"asc", "in ascending order, nulls last"},
		{"asc_nulls_first", "in ascending order, nulls first"},
		{"asc_nulls_last", "in ascending order, nulls last"},
		{"desc", "in descending order, nulls first"},
		{"desc_nulls_first", "in descending order, nulls first"},
		{"desc_nulls_last", "in descending order, nulls last"},
	} {
		def.EnumValues = append(def.EnumValues, &ast.EnumValueDefinition{Name: v[0], Description: v[1]})
	}
	g.add(def)
	return name
}

// orderByType is "<t>_order_by".
func (g *gen) orderByType(t *Table) string {
	name := t.TypeName + "_order_by"
	if g.has(name) {
		return name
	}
	def := &ast.Definition{Kind: ast.InputObject, Name: name,
		Description: fmt.Sprintf("Ordering options when selecting data from %q.", displayName(t.Name))}
	g.add(def)
	ob := g.orderByEnum()
	for _, c := range t.Columns {
		def.Fields = append(def.Fields, g.field(c.Field, g.named(ob), ""))
	}
	for _, r := range t.Relationships {
		if r.Kind == ObjectRel {
			def.Fields = append(def.Fields, g.field(r.Name, g.named(g.orderByType(r.Target)), ""))
		} else if aggregatable(r.Target) {
			def.Fields = append(def.Fields, g.field(r.Name+"_aggregate", g.named(g.aggregateOrderByType(r.Target)), ""))
		}
	}
	for _, cf := range t.ComputedFields {
		if cf.ArgsType == "" && cf.Returns == nil {
			def.Fields = append(def.Fields, g.field(cf.Name, g.named(ob), ""))
		}
	}
	return name
}
