package schema

import (
	"github.com/stratagql/strata/engine/catalog"
)

// scalarKind says what a column's scalar supports in the generated schema.
type scalarKind struct {
	// Name is the GraphQL scalar name.
	Name string
	// String types get the pattern-matching operators (_like, _regex, ...).
	String bool
	// Numeric types get avg/stddev/sum/var* aggregates.
	Numeric bool
	// Comparable types get max/min aggregates.
	Comparable bool
	// JSONB gets the containment and key operators and _cast.
	JSONB bool
}

// builtinScalars maps pg_catalog type names to Hasura's GraphQL scalars:
// the four GraphQL built-ins where Hasura uses them, the PostgreSQL name
// otherwise.
var builtinScalars = map[string]scalarKind{
	"int4":        {Name: "Int", Numeric: true, Comparable: true},
	"int2":        {Name: "smallint", Numeric: true, Comparable: true},
	"int8":        {Name: "bigint", Numeric: true, Comparable: true},
	"float4":      {Name: "Float", Numeric: true, Comparable: true},
	"float8":      {Name: "float8", Numeric: true, Comparable: true},
	"numeric":     {Name: "numeric", Numeric: true, Comparable: true},
	"money":       {Name: "money", Numeric: true, Comparable: true},
	"bool":        {Name: "Boolean"},
	"text":        {Name: "String", String: true, Comparable: true},
	"varchar":     {Name: "String", String: true, Comparable: true},
	"bpchar":      {Name: "bpchar", String: true, Comparable: true},
	"citext":      {Name: "citext", String: true, Comparable: true},
	"date":        {Name: "date", Comparable: true},
	"timestamp":   {Name: "timestamp", Comparable: true},
	"timestamptz": {Name: "timestamptz", Comparable: true},
	"timetz":      {Name: "timetz", Comparable: true},
	"uuid":        {Name: "uuid", Comparable: true},
	"ltree":       {Name: "ltree", Comparable: true},
	"lquery":      {Name: "lquery", Comparable: true},
	"ltxtquery":   {Name: "ltxtquery", Comparable: true},
	"jsonb":       {Name: "jsonb", JSONB: true},
	"json":        {Name: "json"},
}

// extensionScalars are types Hasura knows by name wherever the extension
// that defines them is installed.
var extensionScalars = map[string]bool{"citext": true, "ltree": true, "lquery": true, "ltxtquery": true}

// scalarFor maps a PostgreSQL type to its GraphQL scalar. Domains are
// replaced by their base type; arrays are scalars named after the array
// type (e.g. "_text"); every other type is a scalar named after the type.
func scalarFor(t *catalog.Type) scalarKind {
	for t != nil && t.Kind == catalog.TypeDomain && t.Base != nil {
		t = t.Base
	}
	if t == nil {
		return scalarKind{Name: "unknown"}
	}
	if t.Kind != catalog.TypeArray && (t.Schema == "pg_catalog" || extensionScalars[t.Name]) {
		if k, ok := builtinScalars[t.Name]; ok {
			return k
		}
	}
	return scalarKind{Name: t.Name}
}
