package compile

import (
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/stratagql/strata/engine/schema"
)

// boolExp compiles a `<table>_bool_exp` value over the row alias into a SQL
// boolean expression.
func (c *compiler) boolExp(t *schema.Table, alias string, v *ast.Value, path []string) (string, error) {
	v = c.value(v)
	if v == nil || v.Kind == ast.NullValue {
		return "true", nil
	}
	var conds []string
	for _, ch := range v.Children {
		cpath := append(path[:len(path):len(path)], ch.Name)
		val := c.value(ch.Value)
		switch ch.Name {
		case "_and", "_or":
			items := children(val)
			if len(items) == 0 {
				if ch.Name == "_and" {
					conds = append(conds, "true")
				} else {
					conds = append(conds, "false")
				}
				continue
			}
			parts := make([]string, 0, len(items))
			for _, it := range items {
				p, err := c.boolExp(t, alias, it, cpath)
				if err != nil {
					return "", err
				}
				parts = append(parts, p)
			}
			op := " AND "
			if ch.Name == "_or" {
				op = " OR "
			}
			conds = append(conds, "("+strings.Join(parts, op)+")")
		case "_not":
			p, err := c.boolExp(t, alias, val, cpath)
			if err != nil {
				return "", err
			}
			conds = append(conds, "(NOT "+p+")")
		default:
			field, ok := t.FieldsByName[ch.Name]
			switch {
			case ok && field.Column != nil:
				expr, err := c.cell(t, alias, field.Column)
				if err != nil {
					return "", err
				}
				p, err := c.comparison(expr, field.Column, val, cpath)
				if err != nil {
					return "", err
				}
				conds = append(conds, p)
			case ok && field.Relationship != nil && field.Aggregate:
				p, err := c.aggregatePredicate(field.Relationship, alias, val, cpath)
				if err != nil {
					return "", err
				}
				conds = append(conds, p)
			case ok && field.Relationship != nil:
				r := field.Relationship
				ta := c.newAlias("_t")
				inner, err := c.boolExp(r.Target, ta, val, cpath)
				if err != nil {
					return "", err
				}
				cond, err := c.relCond(r, alias, ta)
				if err != nil {
					return "", err
				}
				conds = append(conds, "EXISTS (SELECT 1 FROM "+c.from(r.Target)+" AS "+ta+
					" WHERE "+cond+" AND "+inner+")")
			default:
				return "", validationErr(cpath, "field '%s' not found in type: '%s_bool_exp'", ch.Name, t.TypeName)
			}
		}
	}
	return and(conds), nil
}

// binaryOps maps comparison operators to SQL operators on one value.
var binaryOps = map[string]string{
	"_eq": "=", "_neq": "<>", "_gt": ">", "_lt": "<", "_gte": ">=", "_lte": "<=",
	"_like": "LIKE", "_nlike": "NOT LIKE", "_ilike": "ILIKE", "_nilike": "NOT ILIKE",
	"_similar": "SIMILAR TO", "_nsimilar": "NOT SIMILAR TO",
	"_regex": "~", "_nregex": "!~", "_iregex": "~*", "_niregex": "!~*",
	"_contains": "@>", "_contained_in": "<@",
}

// comparison compiles a `<scalar>_comparison_exp` applied to expr.
func (c *compiler) comparison(expr string, colm *schema.Column, v *ast.Value, path []string) (string, error) {
	if v == nil || v.Kind == ast.NullValue {
		return "true", nil
	}
	typ := "text"
	if colm.Type != nil {
		typ = colm.Type.SQL()
	}
	var conds []string
	for _, ch := range v.Children {
		cpath := append(path[:len(path):len(path)], ch.Name)
		val := ch.Value
		if ch.Name != "_is_null" && c.isNull(val) {
			// Hasura v2 rejects nulls in boolean expressions rather than
			// ignoring the operator (v1's behaviour).
			return "", validationErr(cpath, "unexpected null value for type %q", colm.Scalar)
		}
		if op, ok := binaryOps[ch.Name]; ok {
			ptype := typ
			if strings.Contains(ch.Name, "like") || strings.Contains(ch.Name, "similar") || strings.Contains(ch.Name, "regex") {
				ptype = "text"
				if isStringType(colm) {
					ptype = typ
				}
			}
			p, err := c.param(val, ptype, false)
			if err != nil {
				return "", err
			}
			conds = append(conds, expr+" "+op+" "+p)
			continue
		}
		switch ch.Name {
		case "_in", "_nin":
			p, err := c.param(val, typ, true)
			if err != nil {
				return "", err
			}
			if ch.Name == "_in" {
				conds = append(conds, expr+" = ANY("+p+")")
			} else {
				conds = append(conds, "NOT ("+expr+" = ANY("+p+"))")
			}
		case "_is_null":
			b := c.value(val)
			switch {
			case b.Kind == ast.NullValue:
			case b.Raw == "true":
				conds = append(conds, expr+" IS NULL")
			default:
				conds = append(conds, expr+" IS NOT NULL")
			}
		case "_has_key":
			p, err := c.param(val, "text", false)
			if err != nil {
				return "", err
			}
			conds = append(conds, expr+" ? "+p)
		case "_has_keys_any", "_has_keys_all":
			p, err := c.param(val, "text", true)
			if err != nil {
				return "", err
			}
			op := " ?| "
			if ch.Name == "_has_keys_all" {
				op = " ?& "
			}
			conds = append(conds, expr+op+p)
		case "_cast":
			for _, cast := range c.value(val).Children {
				if cast.Name != "String" {
					return "", validationErr(cpath, "field '%s' not found in type: '%s_cast_exp'", cast.Name, colm.Scalar)
				}
				textCol := &schema.Column{Name: colm.Name, Scalar: "String", Type: textType}
				p, err := c.comparison("("+expr+")::text", textCol, c.value(cast.Value), append(cpath, cast.Name))
				if err != nil {
					return "", err
				}
				conds = append(conds, p)
			}
		default:
			return "", validationErr(cpath, "field '%s' not found in type: '%s_comparison_exp'", ch.Name, colm.Scalar)
		}
	}
	return and(conds), nil
}

// aggregatePredicate compiles `<rel>_aggregate: {count: {arguments,
// distinct, filter, predicate}}` into a comparison on a correlated count.
func (c *compiler) aggregatePredicate(r *schema.Relationship, alias string, v *ast.Value, path []string) (string, error) {
	var conds []string
	for _, fn := range v.Children {
		fpath := append(path[:len(path):len(path)], fn.Name)
		if fn.Name != "count" {
			return "", validationErr(fpath, "field '%s' not found in type: '%s_aggregate_bool_exp'", fn.Name, r.Target.TypeName)
		}
		ta := c.newAlias("_t")
		var cols []string
		distinct := false
		where, err := c.relCond(r, alias, ta)
		if err != nil {
			return "", err
		}
		var predicate *ast.Value
		for _, a := range c.value(fn.Value).Children {
			av := c.value(a.Value)
			switch a.Name {
			case "arguments":
				for _, it := range children(av) {
					colm := r.Target.FieldsByName[it.Raw].Column
					if colm == nil {
						return "", validationErr(fpath, "unexpected value %q for enum: '%s_select_column'", it.Raw, r.Target.TypeName)
					}
					cellExpr, err := c.cell(r.Target, ta, colm)
					if err != nil {
						return "", err
					}
					cols = append(cols, cellExpr)
				}
			case "distinct":
				distinct = av.Raw == "true"
			case "filter":
				f, err := c.boolExp(r.Target, ta, av, append(fpath, "filter"))
				if err != nil {
					return "", err
				}
				where += " AND " + f
			case "predicate":
				predicate = av
			}
		}
		count := "count(*)"
		if len(cols) > 0 || distinct {
			arg := ta + ".*"
			if len(cols) == 1 {
				arg = cols[0]
			} else if len(cols) > 1 {
				arg = "ROW(" + strings.Join(cols, ", ") + ")"
			}
			if distinct {
				arg = "DISTINCT " + arg
			}
			count = "count(" + arg + ")"
		}
		expr := "(SELECT " + count + " FROM " + c.from(r.Target) + " AS " + ta + " WHERE " + where + ")"
		p, err := c.comparison(expr, countColumn, predicate, append(fpath, "predicate"))
		if err != nil {
			return "", err
		}
		conds = append(conds, p)
	}
	return and(conds), nil
}

// isNull reports whether an argument value is null, literally or through
// a variable.
func (c *compiler) isNull(v *ast.Value) bool {
	if v == nil || v.Kind == ast.NullValue {
		return true
	}
	if v.Kind == ast.Variable && !strings.HasPrefix(v.Raw, sessionMarker) {
		return c.vars[v.Raw] == nil
	}
	return false
}

// and joins conditions with AND ("true" for none).
func and(conds []string) string {
	switch len(conds) {
	case 0:
		return "true"
	case 1:
		return conds[0]
	}
	return "(" + strings.Join(conds, " AND ") + ")"
}
