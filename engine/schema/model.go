package schema

import (
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/metadata"
)

// Schema is everything the compiler needs for one metadata version: the
// GraphQL schema to validate requests against and the resolved model that
// maps each GraphQL field back to SQL.
type Schema struct {
	// GraphQL is the admin role's schema (query_root, ...).
	GraphQL *ast.Schema
	// Tables are the consistent tracked tables, in metadata order.
	Tables []*Table
	// TablesByName looks a table up by its qualified SQL name.
	TablesByName map[metadata.QualifiedTable]*Table
	// QueryRoot maps each query_root field name to what it selects.
	QueryRoot map[string]*RootField
	// SubscriptionRoot maps each subscription_root field name to what it
	// selects: the query_root select fields plus <table>_stream.
	SubscriptionRoot map[string]*RootField
	// MutationRoot maps each mutation_root field name to the table it
	// writes (kinds RootInsert ... RootDeleteByPk, see gen_mutation.go).
	MutationRoot map[string]*RootField
	// Inconsistencies are metadata objects left out because they do not
	// match the database.
	Inconsistencies []metadata.Inconsistency
	// Role is the role this schema serves ("admin" for the full schema).
	Role string
	// BackendOnly marks the schema of trusted backend requests (see
	// ForBackend), where backend_only mutation permissions count.
	BackendOnly bool
	// Admin is the admin schema a role schema derives from (nil on the
	// admin schema itself). Permission expressions are written against
	// its tables.
	Admin *Schema

	// perms are the consistent permissions of every role (admin schema).
	perms *rolePerms
	// roles caches the role schemas derived from this admin schema.
	roles *roleCache
}

// Table is a tracked table resolved against the catalogue.
type Table struct {
	Name metadata.QualifiedTable
	// TypeName is the GraphQL object type name (custom_name or default).
	TypeName string
	Catalog  *catalog.Table
	IsEnum   bool
	// Columns in catalogue order; FieldsByName indexes every field below.
	Columns        []*Column
	Relationships  []*Relationship
	ComputedFields []*ComputedField
	// PrimaryKey is empty for views and tables without one (no _by_pk then).
	PrimaryKey []*Column
	// FieldsByName maps a GraphQL field name of the table's object type to
	// its column, relationship or computed field (exactly one is set).
	FieldsByName map[string]Field
	// Metadata is the table's metadata entry.
	Metadata *metadata.Table
	// EnumValues are the rows of an is_enum table (IsEnum), sorted by value.
	EnumValues []catalog.EnumValue
	// EnumTypeName is the GraphQL enum generated for an is_enum table
	// ("<TypeName>_enum"), used by the columns referencing it.
	EnumTypeName string
	// Select is the role's select permission on a role schema's table
	// (nil for admin): the compiler adds its filter and limit.
	Select *SelectPermission
	// Insert, Update and Delete are the role's mutation permissions on a
	// role schema's table (nil for admin, and where the role has none; see
	// mutation_permission.go).
	Insert *InsertPermission
	Update *UpdatePermission
	Delete *DeletePermission

	// writeOnly marks a role schema's table the role may write but not
	// select (see writeOnlyTable).
	writeOnly bool

	// queryRoots and subscriptionRoots are the root fields a role schema's
	// table has (query_root_fields / subscription_root_fields); nil: all.
	queryRoots, subscriptionRoots rootSet

	// root field names (custom_root_fields or defaults) and descriptions.
	selectName, byPkName, aggregateName, streamName string
	selectDesc, byPkDesc, aggregateDesc             *string
	// description is the object type's description.
	description string
}

// Field is one field of a table's object type.
type Field struct {
	Column        *Column
	Relationship  *Relationship
	ComputedField *ComputedField
	// Aggregate is set on the "<rel>_aggregate" field of an array
	// relationship (Relationship is then that relationship).
	Aggregate bool
}

// Column is a column with its GraphQL name and scalar type.
type Column struct {
	Name  string // SQL name
	Field string // GraphQL field name (column_config custom_name or the SQL name)
	Type  *catalog.Type
	// Scalar is the GraphQL scalar (or enum) type name, e.g. "Int",
	// "String", "timestamptz", "jsonb", "_text" for arrays. For a column
	// referencing an is_enum table it is that table's enum type name.
	Scalar   string
	Nullable bool
	// EnumTable is set when the column is a foreign key to an is_enum table.
	EnumTable *Table
	Catalog   *catalog.Column

	kind        scalarKind
	description string
}

// RelKind tells object (many-to-one) from array (one-to-many) relationships.
type RelKind int

// Relationship kinds.
const (
	ObjectRel RelKind = iota
	ArrayRel
)

// Relationship joins a table to another tracked table.
type Relationship struct {
	Name   string // GraphQL field name (the relationship name)
	Kind   RelKind
	Target *Table
	// Mapping pairs this table's columns with the target's columns; the
	// join condition is AND over all pairs.
	Mapping []ColumnPair
	// Nullable is true for object relationships that may find no row
	// (manual ones, or foreign keys over nullable columns).
	Nullable bool

	comment *string
}

// ColumnPair is one equality of a relationship's join: Source column of
// the parent table = Target column of the related table.
type ColumnPair struct {
	Source, Target string
}

// ComputedField is a SQL function of the row exposed as a field.
type ComputedField struct {
	Name     string
	Function *catalog.Function
	// TableArgument is the position of the row argument in Function.Args.
	TableArgument int
	// SessionArgument is the position of the session JSON argument, or -1.
	SessionArgument int
	// Scalar is the GraphQL type of a scalar computed field; for a
	// set-returning function over a tracked table, Returns is set instead.
	Scalar  string
	Returns *Table
	// InputArgs are the function's arguments other than the row and the
	// session, exposed as the field's "args" input; ArgsType names that
	// input type ("" when there are none).
	InputArgs []catalog.FunctionArg
	ArgsType  string

	comment *string
	kind    scalarKind
}

// RootKind is what a root field does.
type RootKind int

// Root field kinds of query_root.
const (
	RootSelect RootKind = iota
	RootSelectByPk
	RootSelectAggregate
	// RootSelectStream is subscription_root's <table>_stream.
	RootSelectStream
)

// RootField is a query_root field bound to its table.
type RootField struct {
	Kind  RootKind
	Table *Table
}
