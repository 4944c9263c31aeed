package compile

import (
	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/schema"
)

var (
	textType = &catalog.Type{Schema: "pg_catalog", Name: "text", Kind: catalog.TypeBase, Category: "S"}
	// countColumn describes a count(*) result for comparisons on it.
	countColumn = &schema.Column{Name: "count", Scalar: "Int", Type: &catalog.Type{Schema: "pg_catalog", Name: "int8", Kind: catalog.TypeBase, Category: "N"}}
)

// isStringType reports whether LIKE-style operators apply to the column's
// own type (text, varchar, citext, ...) rather than to text.
func isStringType(c *schema.Column) bool {
	return c.Type != nil && c.Type.Category == "S"
}

// numericAggregate reports whether sum/avg/... apply to the type.
func isNumeric(t *catalog.Type) bool {
	return t != nil && t.Category == "N"
}
