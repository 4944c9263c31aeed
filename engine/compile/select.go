package compile

import (
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/schema"
)

// rowSource is the FROM part of a selection: the table's rows filtered,
// ordered and limited by the field's arguments (and an optional join
// condition to the parent row), as a subquery named alias.
type rowSource struct {
	from  string // "(SELECT ... ) AS alias"
	alias string
}

// selectArgs compiles where/order_by/distinct_on/limit/offset (and join,
// a condition correlating to the parent row) into a row source.
func (c *compiler) selectArgs(t *schema.Table, f *ast.Field, join func(alias string) string, path []string) (rowSource, error) {
	alias := c.newAlias("_t")
	var where []string
	if join != nil {
		where = append(where, join(alias))
	}
	perm, err := c.permFilter(t, alias)
	if err != nil {
		return rowSource{}, err
	}
	if perm != "" {
		where = append(where, perm)
	}
	var orderBy, distinct []string
	var limit, offset string
	var orderCols []string // plain columns at the start of order_by, for distinct_on validation
	orderPlain := true
	for _, a := range f.Arguments {
		apath := append(path[:len(path):len(path)], a.Name)
		v := c.value(a.Value)
		switch a.Name {
		case "where":
			if v.Kind == ast.NullValue {
				continue
			}
			w, err := c.boolExp(t, alias, v, apath)
			if err != nil {
				return rowSource{}, err
			}
			where = append(where, w)
		case "order_by":
			for _, item := range children(v) {
				obs, cols, err := c.orderBy(t, alias, item, apath)
				if err != nil {
					return rowSource{}, err
				}
				orderBy = append(orderBy, obs...)
				if orderPlain {
					if len(cols) == len(obs) {
						orderCols = append(orderCols, cols...)
					} else {
						orderPlain = false
					}
				}
			}
		case "distinct_on":
			for _, item := range children(v) {
				colm := t.FieldsByName[item.Raw].Column
				if colm == nil {
					return rowSource{}, validationErr(apath, "unexpected value %q for enum: '%s_select_column'", item.Raw, t.TypeName)
				}
				if t.Select != nil && t.Select.ColumnFilters[colm.Name] != nil {
					return rowSource{}, validationErr(apath, "distinct_on is not allowed on column %q for this role", colm.Field)
				}
				distinct = append(distinct, colm.Name)
			}
		case "limit":
			if v.Kind != ast.NullValue {
				p, err := c.param(a.Value, "integer", false)
				if err != nil {
					return rowSource{}, err
				}
				limit = p
			}
		case "offset":
			if v.Kind != ast.NullValue {
				p, err := c.param(a.Value, "bigint", false)
				if err != nil {
					return rowSource{}, err
				}
				offset = p
			}
		}
	}
	limit = c.permLimit(t, limit)
	var b strings.Builder
	b.WriteString("(SELECT ")
	if len(distinct) > 0 {
		// Hasura's rule (and PostgreSQL's): order_by must start with the
		// distinct_on columns.
		if len(orderBy) > 0 && !samePrefix(distinct, orderCols) {
			return rowSource{}, validationErr(path, `"distinct_on" columns must match initial "order_by" columns`)
		}
		b.WriteString("DISTINCT ON (")
		for i, d := range distinct {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(col(alias, d))
		}
		b.WriteString(") ")
	}
	b.WriteString(alias + ".* FROM " + c.from(t) + " AS " + alias)
	if len(where) > 0 {
		b.WriteString(" WHERE " + strings.Join(where, " AND "))
	}
	if len(distinct) > 0 && len(orderBy) == 0 {
		for i, d := range distinct {
			if i > 0 {
				b.WriteString(", ")
			} else {
				b.WriteString(" ORDER BY ")
			}
			b.WriteString(col(alias, d))
		}
	}
	if len(orderBy) > 0 {
		b.WriteString(" ORDER BY " + strings.Join(orderBy, ", "))
	}
	if limit != "" {
		b.WriteString(" LIMIT " + limit)
	}
	if offset != "" {
		b.WriteString(" OFFSET " + offset)
	}
	b.WriteString(") AS " + alias)
	return rowSource{from: b.String(), alias: alias}, nil
}

// samePrefix reports whether the first len(set) items of list are the
// columns of set, in any order.
func samePrefix(set, list []string) bool {
	if len(list) < len(set) {
		return false
	}
	seen := map[string]bool{}
	for _, x := range list[:len(set)] {
		seen[x] = true
	}
	for _, x := range set {
		if !seen[x] {
			return false
		}
	}
	return true
}

// selectList compiles a list selection (`t(...)` or an array relationship)
// into an expression returning a JSON array.
func (c *compiler) selectList(t *schema.Table, f *ast.Field, join func(string) string, path []string) (string, error) {
	src, err := c.selectArgs(t, f, join, path)
	if err != nil {
		return "", err
	}
	obj, joins, err := c.object(t, src.alias, f.SelectionSet, path)
	if err != nil {
		return "", err
	}
	return "SELECT coalesce(json_agg(" + obj + "), '[]') FROM " + src.from + joins, nil
}

// selectByPk compiles `t_by_pk(pk: ...)` into an expression returning one
// JSON object or null.
func (c *compiler) selectByPk(t *schema.Table, f *ast.Field, path []string) (string, error) {
	alias := c.newAlias("_t")
	var conds []string
	for _, pk := range t.PrimaryKey {
		a := f.Arguments.ForName(pk.Field)
		if a == nil {
			return "", validationErr(path, "missing required field '%s'", pk.Field)
		}
		p, err := c.param(a.Value, pk.Type.SQL(), false)
		if err != nil {
			return "", err
		}
		conds = append(conds, col(alias, pk.Name)+" = "+p)
	}
	perm, err := c.permFilter(t, alias)
	if err != nil {
		return "", err
	}
	if perm != "" {
		conds = append(conds, perm)
	}
	from := "(SELECT " + alias + ".* FROM " + c.from(t) + " AS " + alias + " WHERE " + strings.Join(conds, " AND ") + ") AS " + alias
	obj, joins, err := c.object(t, alias, f.SelectionSet, path)
	if err != nil {
		return "", err
	}
	return "SELECT " + obj + " FROM " + from + joins, nil
}

// object compiles the selection set of a table's object type over the row
// alias into a json_build_object expression plus the lateral joins it needs.
func (c *compiler) object(t *schema.Table, alias string, set ast.SelectionSet, path []string) (string, string, error) {
	var pairs []string
	var joins strings.Builder
	fields, err := c.collect(set, t.TypeName)
	if err != nil {
		return "", "", err
	}
	for _, f := range fields {
		fpath := append(path[:len(path):len(path)], f.Alias)
		key := quoteLiteral(f.Alias)
		if f.Name == "__typename" {
			pairs = append(pairs, key, quoteLiteral(t.TypeName))
			continue
		}
		field, ok := t.FieldsByName[f.Name]
		switch {
		case ok && field.Column != nil:
			out, err := c.cell(t, alias, field.Column)
			if err != nil {
				return "", "", err
			}
			pairs = append(pairs, key, c.stringify(out, field.Column))
		case ok && field.Relationship != nil && field.Aggregate:
			r := field.Relationship
			expr, err := c.selectAggregate(r.Target, f, joinCond(r, alias), fpath)
			if err != nil {
				return "", "", err
			}
			ra := c.newAlias("_r")
			joins.WriteString(" LEFT OUTER JOIN LATERAL (" + expr + ") AS " + ra + "(j) ON true")
			pairs = append(pairs, key, ra+".j")
		case ok && field.Relationship != nil:
			r := field.Relationship
			expr, err := c.relationship(r, alias, f, fpath)
			if err != nil {
				return "", "", err
			}
			ra := c.newAlias("_r")
			joins.WriteString(" LEFT OUTER JOIN LATERAL (" + expr + ") AS " + ra + "(j) ON true")
			pairs = append(pairs, key, ra+".j")
		case ok && field.ComputedField != nil:
			expr, err := c.computedField(field.ComputedField, alias, f, fpath)
			if err != nil {
				return "", "", err
			}
			pairs = append(pairs, key, expr)
		default:
			return "", "", validationErr(fpath, "field '%s' not found in type: '%s'", f.Name, t.TypeName)
		}
	}
	return buildObject(pairs), joins.String(), nil
}

// buildObject renders key/value pairs as a JSON object constructor.
// json_build_object takes at most 100 arguments, so larger objects are
// built from chunks and concatenated as text, keeping the key order.
func buildObject(pairs []string) string {
	if len(pairs) <= 100 {
		return "json_build_object(" + strings.Join(pairs, ", ") + ")"
	}
	var parts []string
	for i := 0; i < len(pairs); i += 100 {
		end := min(i+100, len(pairs))
		parts = append(parts, "json_build_object("+strings.Join(pairs[i:end], ", ")+")::text")
	}
	// '{"a":1}' || '{"b":2}' -> '{"a":1,"b":2}': strip the braces between chunks.
	expr := "left(" + parts[0] + ", -1)"
	for i := 1; i < len(parts)-1; i++ {
		expr += " || ',' || substr(left(" + parts[i] + ", -1), 2)"
	}
	expr += " || ',' || substr(" + parts[len(parts)-1] + ", 2)"
	return "(" + expr + ")::json"
}

// stringify renders a column's value as text when numeric types are
// stringified (HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES).
func (c *compiler) stringify(expr string, colm *schema.Column) string {
	if c.opts.StringifyNumeric && colm.Type != nil {
		switch colm.Type.Name {
		case "int8", "numeric", "float8":
			return expr + "::text"
		}
	}
	return expr
}

// joinCond returns the correlation of a relationship's target rows to the
// parent row alias.
func joinCond(r *schema.Relationship, parent string) func(string) string {
	return func(alias string) string {
		conds := make([]string, len(r.Mapping))
		for i, m := range r.Mapping {
			conds[i] = col(alias, m.Target) + " = " + col(parent, m.Source)
		}
		return strings.Join(conds, " AND ")
	}
}

// relationship compiles an object or array relationship field into a
// subquery that yields one row with one JSON column.
func (c *compiler) relationship(r *schema.Relationship, parent string, f *ast.Field, path []string) (string, error) {
	if r.Kind == schema.ArrayRel {
		return c.selectList(r.Target, f, joinCond(r, parent), path)
	}
	alias := c.newAlias("_t")
	cond, err := c.relCond(r, parent, alias)
	if err != nil {
		return "", err
	}
	from := "(SELECT " + alias + ".* FROM " + c.from(r.Target) + " AS " + alias +
		" WHERE " + cond + " LIMIT 1) AS " + alias
	obj, joins, err := c.object(r.Target, alias, f.SelectionSet, path)
	if err != nil {
		return "", err
	}
	return "SELECT " + obj + " FROM " + from + joins, nil
}

// relCond is the join of a relationship's target rows (alias) to the parent
// row, plus the target's select permission filter for role schemas.
func (c *compiler) relCond(r *schema.Relationship, parent, alias string) (string, error) {
	cond := joinCond(r, parent)(alias)
	perm, err := c.permFilter(r.Target, alias)
	if err != nil || perm == "" {
		return cond, err
	}
	return cond + " AND " + perm, nil
}

// computedField compiles a scalar computed field as a function call on the row.
func (c *compiler) computedField(cf *schema.ComputedField, alias string, f *ast.Field, path []string) (string, error) {
	if cf.Returns != nil {
		return "", hasuraerr.New(hasuraerr.CodeNotSupported, "$."+strings.Join(path, "."), "set-returning computed fields are not supported yet")
	}
	args := make([]string, len(cf.Function.Args))
	for i, a := range cf.Function.Args {
		switch {
		case i == cf.TableArgument:
			args[i] = alias
		case i == cf.SessionArgument:
			args[i] = "current_setting('hasura.user', true)::json"
		default:
			name := a.Name
			var argv *ast.Argument
			if ga := f.Arguments.ForName("args"); ga != nil {
				for _, ch := range c.value(ga.Value).Children {
					if ch.Name == name {
						argv = &ast.Argument{Name: name, Value: ch.Value}
					}
				}
			}
			if argv == nil {
				args[i] = "DEFAULT"
				continue
			}
			p, err := c.param(argv.Value, a.Type.SQL(), false)
			if err != nil {
				return "", err
			}
			args[i] = catalog.QuoteIdent(name) + " => " + p
		}
	}
	// Named arguments after positional ones; drop DEFAULTs (not allowed in calls).
	var call []string
	for _, a := range args {
		if a != "DEFAULT" {
			call = append(call, a)
		}
	}
	fn := catalog.QuoteIdent(cf.Function.Name.Schema) + "." + catalog.QuoteIdent(cf.Function.Name.Name)
	return fn + "(" + strings.Join(call, ", ") + ")", nil
}
