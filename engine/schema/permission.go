package schema

import "encoding/json"

// SelectPermission is what one role may read of a table, resolved from
// its select permission (or, for an inherited role, from the union of its
// parents'). It is set on the tables of a role schema (see ForRole) and nil
// on the admin schema's tables, which see everything.
type SelectPermission struct {
	// Filter is the row filter in the canonical form of NormalizeBoolExp:
	// a boolean expression over the table in metadata terms (SQL column
	// names, relationship and computed field names) whose operator values
	// may name session variables ("x-hasura-user-id"). It is written
	// against the admin model of the table (Schema.Admin): it may use
	// columns and relationships the role cannot select. {} means every
	// row. For an inherited role it is {"_or": [parent filters]}.
	Filter json.RawMessage
	// Limit caps the rows of any selection of this table; nil means none.
	Limit *int
	// AllowAggregations enables <table>_aggregate and <rel>_aggregate.
	AllowAggregations bool
	// ColumnFilters, for inherited roles, hides a column's value (null) on
	// rows outside the filter of the parents that allow the column
	// (Hasura's cell-level semantics). Columns allowed by every parent that
	// can see a row are absent. Keys are SQL column names; values are in
	// the canonical form of Filter.
	ColumnFilters map[string]json.RawMessage
}

// rootSet is the set of root fields a role may use for a table in
// query_root or subscription_root; nil allows all of them.
type rootSet map[RootKind]bool

// allows reports whether the set admits root fields of kind k.
func (s rootSet) allows(k RootKind) bool { return s == nil || s[k] }

// rootFieldKinds maps query_root_fields / subscription_root_fields values
// to root field kinds.
var rootFieldKinds = map[string]RootKind{
	"select":           RootSelect,
	"select_by_pk":     RootSelectByPk,
	"select_aggregate": RootSelectAggregate,
	"select_stream":    RootSelectStream,
}

// selectPerm is one role's consistent select permission on one table, as
// validated at Build (direct roles) or merged from parents (inherited).
type selectPerm struct {
	// columns are the selectable columns' SQL names; computed the
	// selectable computed fields.
	columns, computed map[string]bool
	filter            json.RawMessage
	limit             *int
	aggregations      bool
	queryRoots        rootSet
	subscriptionRoots rootSet
	columnFilters     map[string]json.RawMessage
}

// aggregatable reports whether aggregates of t may be exposed: always on
// the admin schema, with allow_aggregations on a role schema.
func aggregatable(t *Table) bool { return t.Select == nil || t.Select.AllowAggregations }
