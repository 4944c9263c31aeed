package catalog

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/stratagql/strata/engine/metadata"
)

// EnumShape tells which columns of t make it usable as an enum table, the
// way Hasura requires: a single-column primary key of a text type (the
// values) and optionally one more text column (the values' descriptions),
// and nothing else. ok is false, with a reason, when t does not qualify.
func EnumShape(t *Table) (value, comment *Column, reason string, ok bool) {
	if t.PrimaryKey == nil || len(t.PrimaryKey.Columns) == 0 {
		return nil, nil, "the table must have a primary key", false
	}
	if len(t.PrimaryKey.Columns) > 1 {
		return nil, nil, fmt.Sprintf("the table’s primary key must not span multiple columns (%s)",
			strings.Join(t.PrimaryKey.Columns, ", ")), false
	}
	value = t.Column(t.PrimaryKey.Columns[0])
	if value == nil {
		return nil, nil, "the table’s primary key column does not exist", false
	}
	if !IsTextType(value.Type) {
		return nil, nil, fmt.Sprintf("the table’s primary key column (%s) must have type “text”, not type %q",
			value.Name, value.Type.Name), false
	}
	var others []*Column
	for _, c := range t.Columns {
		if c != value {
			others = append(others, c)
		}
	}
	switch {
	case len(others) > 1:
		names := make([]string, len(others))
		for i, c := range others {
			names[i] = c.Name
		}
		return nil, nil, fmt.Sprintf("the table must have exactly one primary key and optionally one comment column, not %d columns (%s)",
			len(t.Columns), strings.Join(names, ", ")), false
	case len(others) == 1:
		if !IsTextType(others[0].Type) {
			return nil, nil, fmt.Sprintf("the table’s comment column (%s) must have type “text”, not type %q",
				others[0].Name, others[0].Type.Name), false
		}
		comment = others[0]
	}
	return value, comment, "", true
}

// IsTextType reports whether t is text or a text-like string type (varchar,
// bpchar, citext), looking through domains.
func IsTextType(t *Type) bool {
	for t != nil && t.Kind == TypeDomain {
		t = t.Base
	}
	if t == nil {
		return false
	}
	switch t.Name {
	case "text", "varchar", "bpchar", "citext":
		return true
	}
	return false
}

// LoadEnumValues reads the rows of the given enum tables into
// cat.EnumValues in one query. Tables missing from cat or not shaped like
// an enum table (see EnumShape) are skipped: schema.Build reports them.
func LoadEnumValues(ctx context.Context, q Querier, cat *Catalog, tables []metadata.QualifiedTable) error {
	if cat.EnumValues == nil {
		cat.EnumValues = map[metadata.QualifiedTable][]EnumValue{}
	}
	var parts []string
	var order []metadata.QualifiedTable
	for _, name := range tables {
		t := cat.Table(name)
		if t == nil {
			continue
		}
		value, comment, _, ok := EnumShape(t)
		if !ok {
			continue
		}
		commentSQL := "NULL::text"
		if comment != nil {
			commentSQL = QuoteIdent(comment.Name) + "::text"
		}
		parts = append(parts, fmt.Sprintf("SELECT %d AS i, %s::text AS v, %s AS c FROM %s",
			len(order), QuoteIdent(value.Name), commentSQL, qualified(name)))
		order = append(order, name)
	}
	if len(parts) == 0 {
		return nil
	}
	rows, err := q.Query(ctx, strings.Join(parts, "\nUNION ALL\n"))
	if err != nil {
		return fmt.Errorf("catalog: read enum table values: %w", err)
	}
	defer rows.Close()
	values := make([][]EnumValue, len(order))
	for rows.Next() {
		var (
			i int32
			v string
			c *string
		)
		if err := rows.Scan(&i, &v, &c); err != nil {
			return fmt.Errorf("catalog: read enum table values: %w", err)
		}
		if int(i) < len(values) {
			values[i] = append(values[i], EnumValue{Value: v, Comment: c})
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("catalog: read enum table values: %w", err)
	}
	for i, name := range order {
		vs := values[i]
		sort.Slice(vs, func(a, b int) bool { return vs[a].Value < vs[b].Value })
		if vs == nil {
			vs = []EnumValue{}
		}
		cat.EnumValues[name] = vs
	}
	return nil
}

// qualified renders a table name schema-qualified and quoted for SQL.
func qualified(q metadata.QualifiedTable) string {
	return QuoteIdent(q.Schema) + "." + QuoteIdent(q.Name)
}
