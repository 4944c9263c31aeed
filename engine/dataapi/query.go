package dataapi

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/stratagql/strata/engine/apiargs"
	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/schema"
)

// selectArgs are the arguments of `select`.
type selectArgs struct {
	table
	Columns []json.RawMessage `json:"columns"`
	Where   json.RawMessage   `json:"where"`
	OrderBy json.RawMessage   `json:"order_by"`
	Limit   *int              `json:"limit"`
	Offset  *int              `json:"offset"`
}

// Translate implements Command.
func (a *selectArgs) Translate(s *schema.Schema) (*Request, error) {
	tbl, root, err := a.selectRoot(s)
	if err != nil {
		return nil, err
	}
	sel, err := selection(tbl, a.Columns, "$.columns")
	if err != nil {
		return nil, err
	}
	q := &gqlBuilder{}
	args := q.args(tbl, a.Where, a.OrderBy, a.Limit, a.Offset)
	return &Request{Query: q.header() + "{ r: " + root + args + " { " + sel + " } }", Variables: q.vars}, nil
}

// countArgs are the arguments of `count`.
type countArgs struct {
	table
	Where    json.RawMessage `json:"where"`
	Distinct []string        `json:"distinct"`
}

// Translate implements Command.
func (a *countArgs) Translate(s *schema.Schema) (*Request, error) {
	tbl, _, err := a.selectRoot(s)
	if err != nil {
		return nil, err
	}
	var aggRoot string
	for name, rf := range s.QueryRoot {
		if rf.Table == tbl && rf.Kind == schema.RootSelectAggregate {
			aggRoot = name
		}
	}
	countArgs := ""
	if len(a.Distinct) > 0 {
		fields := make([]string, len(a.Distinct))
		for i, d := range a.Distinct {
			col := tbl.Column(d)
			if col == nil {
				return nil, hasuraerr.New(hasuraerr.CodeNotExists, "$.distinct", "no such column exists: %q", d)
			}
			fields[i] = col.Field
		}
		countArgs = "(columns: [" + strings.Join(fields, ", ") + "], distinct: true)"
	}
	q := &gqlBuilder{}
	args := q.args(tbl, a.Where, nil, nil, nil)
	return &Request{
		Query:     q.header() + "{ r: " + aggRoot + args + " { aggregate { count" + countArgs + " } } }",
		Variables: q.vars,
		answer: func(data json.RawMessage) (any, error) {
			var out struct {
				Aggregate struct {
					Count int64 `json:"count"`
				} `json:"aggregate"`
			}
			if err := json.Unmarshal(data, &out); err != nil {
				return nil, fmt.Errorf("count: decode result: %w", err)
			}
			return map[string]int64{"count": out.Aggregate.Count}, nil
		},
	}, nil
}

// selection renders v1 `columns` ("*", names, and {"name": rel, "columns":
// [...]}) at path.
func selection(t *schema.Table, cols []json.RawMessage, path string) (string, error) {
	if len(cols) == 0 {
		cols = []json.RawMessage{json.RawMessage(`"*"`)}
	}
	var parts []string
	for i, raw := range cols {
		at := fmt.Sprintf("%s[%d]", path, i)
		var name string
		if json.Unmarshal(raw, &name) == nil {
			if name == "*" {
				for _, col := range t.Columns {
					parts = append(parts, col.Field)
				}
				continue
			}
			col := t.Column(name)
			if col == nil {
				return "", hasuraerr.New(hasuraerr.CodeNotExists, at, "no such column exists: %q", name)
			}
			parts = append(parts, col.Field)
			continue
		}
		var rel struct {
			Name    string            `json:"name"`
			Columns []json.RawMessage `json:"columns"`
			Where   json.RawMessage   `json:"where"`
			OrderBy json.RawMessage   `json:"order_by"`
			Limit   *int              `json:"limit"`
			Offset  *int              `json:"offset"`
		}
		if err := json.Unmarshal(raw, &rel); err != nil || rel.Name == "" {
			return "", apiargs.ParseFailed(at, "expected a column name or a relationship object")
		}
		var r *schema.Relationship
		for _, x := range t.Relationships {
			if x.Name == rel.Name {
				r = x
			}
		}
		if r == nil {
			return "", hasuraerr.New(hasuraerr.CodeNotExists, at, "no such relationship exists: %q", rel.Name)
		}
		sub, err := selection(r.Target, rel.Columns, at+".columns")
		if err != nil {
			return "", err
		}
		args := ""
		if r.Kind == schema.ArrayRel {
			args = inlineArgs(r.Target, rel.Where, rel.OrderBy, rel.Limit, rel.Offset)
		}
		parts = append(parts, rel.Name+args+" { "+sub+" }")
	}
	return strings.Join(parts, " "), nil
}

// gqlBuilder collects variables for the generated query.
type gqlBuilder struct {
	vars  map[string]any
	decls []string
}

func (q *gqlBuilder) header() string {
	if len(q.decls) == 0 {
		return ""
	}
	return "query (" + strings.Join(q.decls, ", ") + ") "
}

func (q *gqlBuilder) args(t *schema.Table, where, orderBy json.RawMessage, limit, offset *int) string {
	if q.vars == nil {
		q.vars = map[string]any{}
	}
	var a []string
	add := func(name, typ string, v any) {
		q.vars[name] = v
		q.decls = append(q.decls, "$"+name+": "+typ)
		a = append(a, name+": $"+name)
	}
	if !apiargs.IsNull(where) {
		add("where", t.TypeName+"_bool_exp", renameBoolExp(t, where))
	}
	if ob := orderByValue(t, orderBy, false); ob != nil {
		add("order_by", "["+t.TypeName+"_order_by!]", ob)
	}
	if limit != nil {
		add("limit", "Int", *limit)
	}
	if offset != nil {
		add("offset", "Int", *offset)
	}
	if len(a) == 0 {
		return ""
	}
	return "(" + strings.Join(a, ", ") + ")"
}

// inlineArgs renders nested relationship arguments as JSON-literal GraphQL
// (values are still bound as parameters by the compiler).
func inlineArgs(t *schema.Table, where, orderBy json.RawMessage, limit, offset *int) string {
	var a []string
	if !apiargs.IsNull(where) {
		a = append(a, "where: "+graphqlLiteral(renameBoolExp(t, where)))
	}
	if ob := orderByValue(t, orderBy, true); ob != nil {
		a = append(a, "order_by: "+graphqlLiteral(ob))
	}
	if limit != nil {
		a = append(a, fmt.Sprintf("limit: %d", *limit))
	}
	if offset != nil {
		a = append(a, fmt.Sprintf("offset: %d", *offset))
	}
	if len(a) == 0 {
		return ""
	}
	return "(" + strings.Join(a, ", ") + ")"
}

// graphqlLiteral renders a JSON value as a GraphQL input literal; object
// keys are GraphQL names and order_by directions become enum values.
func graphqlLiteral(v any) string {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ": " + graphqlLiteral(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case []any:
		parts := make([]string, len(x))
		for i, it := range x {
			parts[i] = graphqlLiteral(it)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case enumValue:
		return string(x)
	case nil:
		return "null"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// enumValue is an order_by direction, written bare in GraphQL literals.
type enumValue string

// renameBoolExp maps a v1 boolean expression (SQL column names, `$eq`
// style operators allowed) onto the GraphQL bool_exp of t.
func renameBoolExp(t *schema.Table, raw json.RawMessage) any {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		var v any
		_ = json.Unmarshal(raw, &v)
		return v
	}
	out := map[string]any{}
	for k, v := range m {
		switch k {
		case "$and", "_and", "$or", "_or":
			var items []json.RawMessage
			_ = json.Unmarshal(v, &items)
			list := make([]any, len(items))
			for i, it := range items {
				list[i] = renameBoolExp(t, it)
			}
			out["_"+strings.TrimLeft(k, "$_")] = list
		case "$not", "_not":
			out["_not"] = renameBoolExp(t, v)
		default:
			if col := t.Column(k); col != nil {
				out[col.Field] = renameOps(v)
				continue
			}
			for _, r := range t.Relationships {
				if r.Name == k {
					out[k] = renameBoolExp(r.Target, v)
				}
			}
			if _, ok := out[k]; !ok {
				out[k] = renameOps(v) // unknown: the GraphQL validator reports it
			}
		}
	}
	return out
}

// renameOps accepts v1's `$eq` spelling of operators (and a bare value as `_eq`).
func renameOps(raw json.RawMessage) any {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		var v any
		_ = json.Unmarshal(raw, &v)
		return map[string]any{"_eq": v}
	}
	out := map[string]any{}
	for k, v := range m {
		if strings.HasPrefix(k, "$") {
			k = "_" + k[1:]
		}
		out[k] = v
	}
	return out
}

// orderByValue maps v1 order_by ("+col", "-col", {"column", "type",
// "nulls"}, or a list of them) onto [t_order_by!]; inline marks values
// for a GraphQL literal (bare enum values) rather than a variable.
func orderByValue(t *schema.Table, raw json.RawMessage, inline bool) []any {
	if apiargs.IsNull(raw) {
		return nil
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		items = []json.RawMessage{raw}
	}
	var out []any
	for _, it := range items {
		var s string
		var col, dir, nulls string
		if json.Unmarshal(it, &s) == nil {
			dir = "asc"
			switch {
			case strings.HasPrefix(s, "+"):
				s = s[1:]
			case strings.HasPrefix(s, "-"):
				s, dir = s[1:], "desc"
			}
			col = s
		} else {
			var o struct {
				Column string `json:"column"`
				Type   string `json:"type"`
				Nulls  string `json:"nulls"`
			}
			if json.Unmarshal(it, &o) != nil {
				continue
			}
			col, dir, nulls = o.Column, o.Type, o.Nulls
			if dir == "" {
				dir = "asc"
			}
		}
		if c := t.Column(col); c != nil {
			col = c.Field
		}
		if nulls != "" {
			dir += "_nulls_" + nulls
		}
		if inline {
			out = append(out, map[string]any{col: enumValue(dir)})
		} else {
			out = append(out, map[string]any{col: dir})
		}
	}
	return out
}
