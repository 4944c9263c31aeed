// Package catalog reads what the PostgreSQL database actually contains —
// tables, views, columns, types, keys, constraints and functions — from
// pg_catalog, so metadata can be checked against it and the GraphQL schema
// built from it.
package catalog

import (
	"github.com/stratagql/strata/engine/metadata"
)

// Catalog is a snapshot of the database's relations, functions and types.
type Catalog struct {
	Tables    map[metadata.QualifiedTable]*Table
	Functions map[metadata.QualifiedTable][]*Function
	// EnumValues holds the rows of tables tracked with is_enum, read by
	// LoadEnumValues (Load leaves it empty): the primary-key values in
	// order, with the optional comment column.
	EnumValues map[metadata.QualifiedTable][]EnumValue
}

// EnumValue is one row of an enum table: the value (a GraphQL enum value
// name) and its description from the table's comment column, if any.
type EnumValue struct {
	Value   string
	Comment *string
}

// Table returns the relation, or nil.
func (c *Catalog) Table(q metadata.QualifiedTable) *Table {
	if c == nil {
		return nil
	}
	return c.Tables[q]
}

// TableKind is the relation kind.
type TableKind string

// Relation kinds.
const (
	KindTable            TableKind = "table"
	KindView             TableKind = "view"
	KindMaterializedView TableKind = "materialized_view"
	KindForeignTable     TableKind = "foreign_table"
	KindPartitionedTable TableKind = "partitioned_table"
)

// Table is one relation (table, view, ...).
type Table struct {
	Name    metadata.QualifiedTable
	Kind    TableKind
	Comment string
	// Columns in ordinal order.
	Columns           []*Column
	PrimaryKey        *Constraint
	UniqueConstraints []*Constraint
	ForeignKeys       []*ForeignKey
	// Insertable, Updatable, Deletable are true for tables and for
	// auto-updatable views.
	Insertable, Updatable, Deletable bool
}

// Column returns the named column, or nil.
func (t *Table) Column(name string) *Column {
	for _, c := range t.Columns {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Column is one column of a relation.
type Column struct {
	Name       string
	Position   int
	Type       *Type
	Nullable   bool
	HasDefault bool
	// Generated is true for identity ALWAYS and generated columns, which
	// cannot be written.
	Generated bool
	Comment   string
	// Identity is "ALWAYS", "BY DEFAULT" or "" for an identity column.
	Identity string
	// GeneratedStored is true for GENERATED ALWAYS AS (expr) STORED columns.
	GeneratedStored bool
	// Default is the column's default expression as PostgreSQL prints it,
	// or "" when there is none.
	Default string
}

// TypeKind classifies a PostgreSQL type.
type TypeKind string

// Type kinds.
const (
	TypeBase      TypeKind = "base"
	TypeEnum      TypeKind = "enum"
	TypeComposite TypeKind = "composite"
	TypeDomain    TypeKind = "domain"
	TypeArray     TypeKind = "array"
	TypeRange     TypeKind = "range"
	TypePseudo    TypeKind = "pseudo"
)

// Type is a PostgreSQL type as pg_type names it (e.g. schema "pg_catalog",
// name "int4"; arrays are "_int4" with Elem set).
type Type struct {
	// OID is the type's pg_type oid.
	OID    uint32
	Schema string
	Name   string
	Kind   TypeKind
	// Elem is the element type of an array type.
	Elem *Type
	// Base is the underlying type of a domain.
	Base *Type
	// EnumValues lists the labels of an enum type, in sort order.
	EnumValues []string
	// Category is pg_type.typcategory (N numeric, S string, B boolean, D
	// date/time, U user, A array, ...).
	Category string
}

// SQL renders the type for casts, schema-qualified and quoted when needed.
func (t *Type) SQL() string {
	if t.Kind == TypeArray && t.Elem != nil {
		return t.Elem.SQL() + "[]"
	}
	if t.Schema == "pg_catalog" || t.Schema == "" {
		return QuoteIdent(t.Name)
	}
	return QuoteIdent(t.Schema) + "." + QuoteIdent(t.Name)
}

// Constraint is a primary-key or unique constraint.
type Constraint struct {
	Name    string
	Columns []string
}

// ForeignKey is a foreign-key constraint of a table.
type ForeignKey struct {
	Name       string
	Columns    []string
	RefTable   metadata.QualifiedTable
	RefColumns []string
}

// Function is a SQL function usable as a computed field or tracked function.
type Function struct {
	Name metadata.QualifiedTable
	// Args are the input arguments in order.
	Args []FunctionArg
	// ReturnType is the result type; for set-returning functions of a
	// table's row type it names that table's composite type.
	ReturnType *Type
	ReturnsSet bool
	// Volatility is "i", "s" or "v" (immutable, stable, volatile).
	Volatility string
	Comment    string
}

// FunctionArg is one input argument.
type FunctionArg struct {
	Name       string
	Type       *Type
	HasDefault bool
}

// QuoteIdent quotes a SQL identifier unless it is a plain lower-case name.
func QuoteIdent(s string) string {
	plain := s != ""
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r == '_' || i > 0 && r >= '0' && r <= '9') {
			plain = false
			break
		}
	}
	if plain && !reserved[s] {
		return s
	}
	out := make([]byte, 0, len(s)+2)
	out = append(out, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			out = append(out, '"')
		}
		out = append(out, s[i])
	}
	return string(append(out, '"'))
}

// reserved are SQL key words that cannot stand unquoted as identifiers.
var reserved = map[string]bool{
	"all": true, "analyse": true, "analyze": true, "and": true, "any": true, "array": true, "as": true, "asc": true,
	"asymmetric": true, "both": true, "case": true, "cast": true, "check": true, "collate": true, "column": true,
	"constraint": true, "create": true, "current_catalog": true, "current_date": true, "current_role": true,
	"current_time": true, "current_timestamp": true, "current_user": true, "default": true, "deferrable": true,
	"desc": true, "distinct": true, "do": true, "else": true, "end": true, "except": true, "false": true,
	"fetch": true, "for": true, "foreign": true, "from": true, "grant": true, "group": true, "having": true,
	"in": true, "initially": true, "intersect": true, "into": true, "lateral": true, "leading": true, "limit": true,
	"localtime": true, "localtimestamp": true, "not": true, "null": true, "offset": true, "on": true, "only": true,
	"or": true, "order": true, "placing": true, "primary": true, "references": true, "returning": true,
	"select": true, "session_user": true, "some": true, "symmetric": true, "system_user": true, "table": true,
	"then": true, "to": true, "trailing": true, "true": true, "union": true, "unique": true, "user": true,
	"using": true, "variadic": true, "when": true, "where": true, "window": true, "with": true,
	"authorization": true, "binary": true, "collation": true, "concurrently": true, "cross": true,
	"current_schema": true, "freeze": true, "full": true, "ilike": true, "inner": true, "is": true, "isnull": true,
	"join": true, "left": true, "like": true, "natural": true, "notnull": true, "outer": true, "overlaps": true,
	"right": true, "similar": true, "tablesample": true, "verbose": true,
}
