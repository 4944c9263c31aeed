package schema

import "encoding/json"

// SelectPermission is what one role may read of a table, resolved from
// its select permission (or, for an inherited role, from the union of its
// parents'). It is set on the tables of a role schema (see ForRole) and nil
// on the admin schema's tables, which see everything.
type SelectPermission struct {
	// Filter is the row filter as written in metadata: a boolean
	// expression over the table whose leaf values may name session
	// variables ("X-Hasura-User-Id"). Empty means every row. For an
	// inherited role it is {"_or": [parent filters]}.
	Filter json.RawMessage
	// Limit caps the rows of any selection of this table; nil means none.
	Limit *int
	// AllowAggregations enables <table>_aggregate and <rel>_aggregate.
	AllowAggregations bool
	// ColumnFilters, for inherited roles, hides a column's value (null) on
	// rows outside the filter of the parents that allow the column
	// (Hasura's cell-level semantics). Columns allowed by every parent that
	// can see a row are absent. Keys are SQL column names.
	ColumnFilters map[string]json.RawMessage
}
