package schema

import (
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"
)

// streamRootField is subscription_root's "<t>_stream".
func (g *gen) streamRootField(t *Table) *ast.FieldDefinition {
	return g.fieldArgs(t.streamName, []*ast.ArgumentDefinition{
		g.arg("batch_size", g.nonNull("Int"), "maximum number of rows returned in a single batch"),
		g.arg("cursor", g.list(g.named(g.streamCursorInput(t)), true), "cursor to stream the results returned by the query"),
		g.arg("where", g.named(g.boolExpType(t)), "filter the rows returned"),
	}, g.nonNullListOf(g.objectType(t)),
		fmt.Sprintf("fetch data from the table in a streaming manner: %q", displayName(t.Name)))
}

// streamCursorInput is "<t>_stream_cursor_input".
func (g *gen) streamCursorInput(t *Table) string {
	name := t.TypeName + "_stream_cursor_input"
	if g.has(name) {
		return name
	}
	g.add(&ast.Definition{Kind: ast.InputObject, Name: name,
		Description: fmt.Sprintf("Streaming cursor of the table %q", displayName(t.Name)),
		Fields: ast.FieldList{
			g.field("initial_value", g.nonNull(g.streamCursorValueInput(t)), "Stream column input with initial value"),
			g.field("ordering", g.named(g.cursorOrdering()), "cursor ordering"),
		}})
	return name
}

// streamCursorValueInput is "<t>_stream_cursor_value_input".
func (g *gen) streamCursorValueInput(t *Table) string {
	name := t.TypeName + "_stream_cursor_value_input"
	if g.has(name) {
		return name
	}
	def := &ast.Definition{Kind: ast.InputObject, Name: name,
		Description: "Initial value of the column from where the streaming should start"}
	for _, c := range t.Columns {
		def.Fields = append(def.Fields, g.field(c.Field, g.named(g.columnScalar(c)), c.description))
	}
	g.add(def)
	return name
}

// cursorOrdering is the shared cursor_ordering enum.
func (g *gen) cursorOrdering() string {
	const name = "cursor_ordering"
	if !g.has(name) {
		g.add(&ast.Definition{Kind: ast.Enum, Name: name, Description: "ordering argument of a cursor",
			EnumValues: ast.EnumValueList{
				{Name: "ASC", Description: "ascending ordering of the cursor"},
				{Name: "DESC", Description: "descending ordering of the cursor"},
			}})
	}
	return name
}
