package metadataapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/stratagql/strata/engine/schema"
)

// The legacy data commands of /v1/query and /v2/query (select, count) are
// translated into a GraphQL query on the admin schema and answered by the
// same compiler and executor as /v1/graphql (Config.GraphQL), so their SQL,
// permissions and value binding are the GraphQL path's.

// selectArgs are the args of a `select` command.
type selectArgs struct {
	Columns []json.RawMessage `json:"columns"`
	Where   json.RawMessage   `json:"where"`
	OrderBy json.RawMessage   `json:"order_by"`
	Limit   *int              `json:"limit"`
	Offset  *int              `json:"offset"`
}

func selectData(ctx context.Context, c *call) (any, error) {
	o, t, perr := c.tableCommand()
	if perr != nil {
		return nil, perr
	}
	var a selectArgs
	for key, dst := range map[string]any{"columns": &a.Columns, "where": &a.Where, "order_by": &a.OrderBy, "limit": &a.Limit, "offset": &a.Offset} {
		if perr := o.opt(key, dst); perr != nil {
			return nil, perr
		}
	}
	if perr := o.done(); perr != nil {
		return nil, perr
	}
	tbl, root, perr := c.servedTable(t)
	if perr != nil {
		return nil, perr
	}
	sel, perr := c.selection(tbl, a.Columns, c.path+".columns")
	if perr != nil {
		return nil, perr
	}
	q := &gqlBuilder{}
	args := q.args(tbl, a.Where, a.OrderBy, a.Limit, a.Offset)
	query := q.header() + "{ r: " + root + args + " { " + sel + " } }"
	return c.runGraphQL(ctx, query, q.vars)
}

func countData(ctx context.Context, c *call) (any, error) {
	o, t, perr := c.tableCommand()
	if perr != nil {
		return nil, perr
	}
	var where json.RawMessage
	var distinct []string
	if perr := o.opt("where", &where); perr != nil {
		return nil, perr
	}
	if perr := o.opt("distinct", &distinct); perr != nil {
		return nil, perr
	}
	if perr := o.done(); perr != nil {
		return nil, perr
	}
	tbl, _, perr := c.servedTable(t)
	if perr != nil {
		return nil, perr
	}
	var aggRoot string
	for name, rf := range c.api.cfg.State.Current().Schema.QueryRoot {
		if rf.Table == tbl && rf.Kind == schema.RootSelectAggregate {
			aggRoot = name
		}
	}
	countArgs := ""
	if len(distinct) > 0 {
		fields := make([]string, len(distinct))
		for i, d := range distinct {
			col := tbl.Column(d)
			if col == nil {
				return nil, newErr(http.StatusBadRequest, codeNotExists, c.path+".distinct", "no such column exists: %q", d)
			}
			fields[i] = col.Field
		}
		countArgs = "(columns: [" + strings.Join(fields, ", ") + "], distinct: true)"
	}
	q := &gqlBuilder{}
	args := q.args(tbl, where, nil, nil, nil)
	body, err := c.runGraphQL(ctx, q.header()+"{ r: "+aggRoot+args+" { aggregate { count"+countArgs+" } } }", q.vars)
	if err != nil {
		return nil, err
	}
	var out struct {
		Aggregate struct {
			Count int64 `json:"count"`
		} `json:"aggregate"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("count: decode result: %w", err)
	}
	return map[string]int64{"count": out.Aggregate.Count}, nil
}

// tableCommand opens a data command's args and reads its source and table.
func (c *call) tableCommand() (*object, target, *Error) {
	o, perr := newObject(c.args, c.path)
	if perr != nil {
		return nil, target{}, perr
	}
	t, perr := o.tableArgs()
	return o, t, perr
}

// servedTable finds a tracked, consistent table and its select root field.
func (c *call) servedTable(t target) (*schema.Table, string, *Error) {
	s := c.api.cfg.State.Current().Schema
	tbl := s.TablesByName[t.Table]
	if tbl == nil {
		return nil, "", newErr(http.StatusBadRequest, codeNotExists, c.path+".table", "table %q does not exist", t.Table.Name)
	}
	for name, rf := range s.QueryRoot {
		if rf.Table == tbl && rf.Kind == schema.RootSelect {
			return tbl, name, nil
		}
	}
	return nil, "", newErr(http.StatusBadRequest, codeNotExists, c.path+".table", "table %q is not queryable", t.Table.Name)
}

// selection renders v1 `columns` ("*", names, and {"name": rel, "columns": [...]}).
func (c *call) selection(t *schema.Table, cols []json.RawMessage, path string) (string, *Error) {
	if len(cols) == 0 {
		cols = []json.RawMessage{json.RawMessage(`"*"`)}
	}
	var parts []string
	for i, raw := range cols {
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
				return "", newErr(http.StatusBadRequest, codeNotExists, fmt.Sprintf("%s[%d]", path, i), "no such column exists: %q", name)
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
			return "", parseFailed(fmt.Sprintf("%s[%d]", path, i), "expected a column name or a relationship object")
		}
		var r *schema.Relationship
		for _, x := range t.Relationships {
			if x.Name == rel.Name {
				r = x
			}
		}
		if r == nil {
			return "", newErr(http.StatusBadRequest, codeNotExists, fmt.Sprintf("%s[%d]", path, i), "no such relationship exists: %q", rel.Name)
		}
		sub, perr := c.selection(r.Target, rel.Columns, fmt.Sprintf("%s[%d].columns", path, i))
		if perr != nil {
			return "", perr
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
	if len(where) > 0 && string(where) != "null" {
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
	if len(where) > 0 && string(where) != "null" {
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
	if len(raw) == 0 || string(raw) == "null" {
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

// runGraphQL runs a generated query as admin and returns the data of its
// single root field `r`, or the first error in Hasura's query-API shape.
func (c *call) runGraphQL(ctx context.Context, query string, vars map[string]any) (json.RawMessage, error) {
	if c.api.cfg.GraphQL == nil {
		return nil, newErr(http.StatusBadRequest, codeNotSupported, c.base, "%q is not available: the GraphQL API is disabled", c.req.Type)
	}
	body := c.api.cfg.GraphQL(ctx, query, vars)
	var resp struct {
		Data   map[string]json.RawMessage `json:"data"`
		Errors []struct {
			Message    string `json:"message"`
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("%s: decode GraphQL response: %w", c.req.Type, err)
	}
	if len(resp.Errors) > 0 {
		e := resp.Errors[0]
		return nil, newErr(http.StatusBadRequest, e.Extensions.Code, c.path, "%s", e.Message)
	}
	return resp.Data["r"], nil
}
