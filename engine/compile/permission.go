package compile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/schema"
)

// sessionMarker prefixes the Raw text of a synthetic variable value that
// stands for a session variable in a permission expression.
const sessionMarker = "\x00session:"

// columnOps are the column-to-column comparison operators of permissions.
var columnOps = map[string]string{"_ceq": "=", "_cne": "<>", "_cgt": ">", "_clt": "<", "_cgte": ">=", "_clte": "<="}

// permFilter returns the row condition of a role table's select permission
// over alias, or "" when the table is unrestricted (admin, or no filter).
func (c *compiler) permFilter(t *schema.Table, alias string) (string, error) {
	if t.Select == nil || len(bytes.TrimSpace(t.Select.Filter)) == 0 {
		return "", nil
	}
	return c.permExp(c.fullTable(t), alias, alias, t.Select.Filter)
}

// fullTable is the admin model of a role table: permission expressions may
// use columns and relationships the role itself cannot select.
func (c *compiler) fullTable(t *schema.Table) *schema.Table {
	if c.s.Admin != nil {
		if ft := c.s.Admin.TablesByName[t.Name]; ft != nil {
			return ft
		}
	}
	return t
}

// cell is a column's value as the role may see it: with an inherited
// role's cell-level permission, null on the rows outside the filter of the
// parents that allow the column. Every use of a column the user controls
// (selection, where, order_by, aggregates) goes through it.
func (c *compiler) cell(t *schema.Table, alias string, colm *schema.Column) (string, error) {
	expr := col(alias, colm.Name)
	if t.Select == nil || t.Select.ColumnFilters[colm.Name] == nil {
		return expr, nil
	}
	cond, err := c.permExp(c.fullTable(t), alias, alias, t.Select.ColumnFilters[colm.Name])
	if err != nil {
		return "", err
	}
	return "(CASE WHEN " + cond + " THEN " + expr + " END)", nil
}

// permLimit caps a user limit (a placeholder or "") with the permission's.
func (c *compiler) permLimit(t *schema.Table, limit string) string {
	if t.Select == nil || t.Select.Limit == nil {
		return limit
	}
	p := c.bind(Arg{Value: fmt.Sprint(*t.Select.Limit)}, "integer", false)
	if limit == "" {
		return p
	}
	return "LEAST(" + limit + ", " + p + ")"
}

// permExp compiles a permission boolean expression (metadata JSON) over
// the row alias of table t; root is the alias "$" refers to.
func (c *compiler) permExp(t *schema.Table, alias, root string, raw json.RawMessage) (string, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return "", hasuraerr.New(hasuraerr.CodeUnexpected, "$", "invalid permission expression on %s", t.Name.String())
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var conds []string
	for _, k := range keys {
		v := obj[k]
		switch k {
		case "_and", "_or":
			var items []json.RawMessage
			if err := json.Unmarshal(v, &items); err != nil {
				return "", permErr(t, k)
			}
			if len(items) == 0 {
				conds = append(conds, map[string]string{"_and": "true", "_or": "false"}[k])
				continue
			}
			parts := make([]string, len(items))
			for i, it := range items {
				p, err := c.permExp(t, alias, root, it)
				if err != nil {
					return "", err
				}
				parts[i] = p
			}
			op := map[string]string{"_and": " AND ", "_or": " OR "}[k]
			conds = append(conds, "("+strings.Join(parts, op)+")")
		case "_not":
			p, err := c.permExp(t, alias, root, v)
			if err != nil {
				return "", err
			}
			conds = append(conds, "(NOT "+p+")")
		case "_exists":
			p, err := c.permExists(v)
			if err != nil {
				return "", err
			}
			conds = append(conds, p)
		default:
			p, err := c.permField(t, alias, root, k, v)
			if err != nil {
				return "", err
			}
			conds = append(conds, p)
		}
	}
	return and(conds), nil
}

// permField compiles one column or relationship entry of a permission.
func (c *compiler) permField(t *schema.Table, alias, root, name string, v json.RawMessage) (string, error) {
	for _, r := range t.Relationships {
		if r.Name == name {
			ta := c.newAlias("_t")
			inner, err := c.permExp(r.Target, ta, root, v)
			if err != nil {
				return "", err
			}
			return "EXISTS (SELECT 1 FROM " + c.from(r.Target) + " AS " + ta + " WHERE " + joinCond(r, alias)(ta) + " AND " + inner + ")", nil
		}
	}
	for _, r := range t.Relationships {
		if r.Kind == schema.ArrayRel && r.Name+"_aggregate" == name {
			return c.aggregatePredicate(r, alias, jsonToValue(v), []string{"permission", name})
		}
	}
	expr, colm := "", t.Column(name)
	if colm != nil {
		expr = col(alias, colm.Name)
	} else {
		for _, cf := range t.ComputedFields {
			if cf.Name == name && cf.Returns == nil {
				call, err := c.computedField(cf, alias, &ast.Field{}, []string{"permission", name})
				if err != nil {
					return "", err
				}
				expr, colm = call, &schema.Column{Name: name, Scalar: cf.Scalar, Type: cf.Function.ReturnType}
			}
		}
	}
	if colm == nil {
		return "", permErr(t, name)
	}
	var ops map[string]json.RawMessage
	if err := json.Unmarshal(v, &ops); err != nil {
		return "", permErr(t, name)
	}
	var conds []string
	rest := &ast.Value{Kind: ast.ObjectValue}
	for op, ov := range ops {
		if sqlOp, ok := columnOps[op]; ok {
			other, otherAlias, err := columnRef(t, ov, alias, root, c)
			if err != nil {
				return "", err
			}
			conds = append(conds, expr+" "+sqlOp+" "+col(otherAlias, other))
			continue
		}
		rest.Children = append(rest.Children, &ast.ChildValue{Name: op, Value: jsonToValue(ov)})
	}
	if len(rest.Children) > 0 {
		sort.Slice(rest.Children, func(i, j int) bool { return rest.Children[i].Name < rest.Children[j].Name })
		p, err := c.comparison(expr, colm, rest, []string{"permission", name})
		if err != nil {
			return "", err
		}
		conds = append(conds, p)
	}
	return and(conds), nil
}

// columnRef resolves the operand of _ceq & co: "col" (same row) or
// ["$", "col"] (the root table's row).
func columnRef(t *schema.Table, v json.RawMessage, alias, root string, c *compiler) (string, string, error) {
	var name string
	if err := json.Unmarshal(v, &name); err == nil {
		if t.Column(name) == nil {
			return "", "", permErr(t, name)
		}
		return t.Column(name).Name, alias, nil
	}
	var path []string
	if err := json.Unmarshal(v, &path); err != nil || len(path) != 2 || path[0] != "$" {
		return "", "", hasuraerr.New(hasuraerr.CodeUnexpected, "$", "invalid column reference in permission on %s", t.Name.String())
	}
	return path[1], root, nil
}

// permExists compiles {"_table": {...}, "_where": {...}} (a filter on an
// unrelated table).
func (c *compiler) permExists(v json.RawMessage) (string, error) {
	var ex struct {
		Table json.RawMessage `json:"_table"`
		Where json.RawMessage `json:"_where"`
	}
	if err := json.Unmarshal(v, &ex); err != nil || ex.Table == nil {
		return "", hasuraerr.New(hasuraerr.CodeUnexpected, "$", "invalid _exists in permission")
	}
	var name struct{ Schema, Name string }
	if err := json.Unmarshal(ex.Table, &name); err != nil {
		var bare string
		if json.Unmarshal(ex.Table, &bare) != nil {
			return "", hasuraerr.New(hasuraerr.CodeUnexpected, "$", "invalid _exists table in permission")
		}
		name.Name = bare
	}
	if name.Schema == "" {
		name.Schema = "public"
	}
	full := c.s
	if c.s.Admin != nil {
		full = c.s.Admin
	}
	for q, t := range full.TablesByName {
		if q.Schema == name.Schema && q.Name == name.Name {
			ta := c.newAlias("_t")
			where := "true"
			if len(ex.Where) > 0 {
				w, err := c.permExp(t, ta, ta, ex.Where)
				if err != nil {
					return "", err
				}
				where = w
			}
			return "EXISTS (SELECT 1 FROM " + c.from(t) + " AS " + ta + " WHERE " + where + ")", nil
		}
	}
	return "", hasuraerr.New(hasuraerr.CodeUnexpected, "$", "table %q used in _exists is not tracked", name.Name)
}

func permErr(t *schema.Table, name string) *hasuraerr.Error {
	return hasuraerr.New(hasuraerr.CodeUnexpected, "$", "permission on %s refers to unknown field %q", t.Name.String(), name)
}

// jsonToValue converts a permission's JSON value into an AST value; strings
// naming a session variable become session references.
func jsonToValue(raw json.RawMessage) *ast.Value {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return &ast.Value{Kind: ast.NullValue}
	}
	return anyToValue(x)
}

func anyToValue(x any) *ast.Value {
	switch t := x.(type) {
	case string:
		if strings.HasPrefix(strings.ToLower(t), "x-hasura-") {
			return &ast.Value{Kind: ast.Variable, Raw: sessionMarker + strings.ToLower(t)}
		}
		return &ast.Value{Kind: ast.StringValue, Raw: t}
	case json.Number:
		if strings.ContainsAny(t.String(), ".eE") {
			return &ast.Value{Kind: ast.FloatValue, Raw: t.String()}
		}
		return &ast.Value{Kind: ast.IntValue, Raw: t.String()}
	case bool:
		if t {
			return &ast.Value{Kind: ast.BooleanValue, Raw: "true"}
		}
		return &ast.Value{Kind: ast.BooleanValue, Raw: "false"}
	case []any:
		v := &ast.Value{Kind: ast.ListValue}
		for _, it := range t {
			v.Children = append(v.Children, &ast.ChildValue{Value: anyToValue(it)})
		}
		return v
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		v := &ast.Value{Kind: ast.ObjectValue}
		for _, k := range keys {
			v.Children = append(v.Children, &ast.ChildValue{Name: k, Value: anyToValue(t[k])})
		}
		return v
	}
	return &ast.Value{Kind: ast.NullValue}
}

// sessionRef returns the session variable a value refers to, if any.
func sessionRef(v *ast.Value) (string, bool) {
	if v != nil && v.Kind == ast.Variable && strings.HasPrefix(v.Raw, sessionMarker) {
		return strings.TrimPrefix(v.Raw, sessionMarker), true
	}
	return "", false
}
