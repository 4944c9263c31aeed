package compile

import (
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/stratagql/strata/engine/schema"
)

// aggregateFuncs maps aggregate fields to SQL aggregate functions.
var aggregateFuncs = map[string]string{
	"sum": "sum", "avg": "avg", "max": "max", "min": "min",
	"stddev": "stddev", "stddev_pop": "stddev_pop", "stddev_samp": "stddev_samp",
	"variance": "variance", "var_pop": "var_pop", "var_samp": "var_samp",
}

// selectAggregate compiles `t_aggregate` (root or `<rel>_aggregate`) into an
// expression returning {"aggregate": {...}, "nodes": [...]}.
func (c *compiler) selectAggregate(t *schema.Table, f *ast.Field, join func(string) string, path []string) (string, error) {
	src, err := c.selectArgs(t, f, join, path)
	if err != nil {
		return "", err
	}
	var pairs []string
	var joins string
	fields, err := c.collect(f.SelectionSet, t.TypeName+"_aggregate")
	if err != nil {
		return "", err
	}
	for _, sf := range fields {
		spath := append(path[:len(path):len(path)], sf.Alias)
		key := quoteLiteral(sf.Alias)
		switch sf.Name {
		case "__typename":
			pairs = append(pairs, key, quoteLiteral(t.TypeName+"_aggregate"))
		case "nodes":
			obj, j, err := c.object(t, src.alias, sf.SelectionSet, spath)
			if err != nil {
				return "", err
			}
			joins += j
			pairs = append(pairs, key, "coalesce(json_agg("+obj+"), '[]')")
		case "aggregate":
			expr, err := c.aggregateFields(t, src.alias, sf, spath)
			if err != nil {
				return "", err
			}
			pairs = append(pairs, key, expr)
		default:
			return "", validationErr(spath, "field '%s' not found in type: '%s_aggregate'", sf.Name, t.TypeName)
		}
	}
	return "SELECT " + buildObject(pairs) + " FROM " + src.from + joins, nil
}

// aggregateFields compiles the `aggregate { count sum { col } ... }` object.
func (c *compiler) aggregateFields(t *schema.Table, alias string, f *ast.Field, path []string) (string, error) {
	var pairs []string
	fields, err := c.collect(f.SelectionSet, t.TypeName+"_aggregate_fields")
	if err != nil {
		return "", err
	}
	for _, af := range fields {
		apath := append(path[:len(path):len(path)], af.Alias)
		key := quoteLiteral(af.Alias)
		switch af.Name {
		case "__typename":
			pairs = append(pairs, key, quoteLiteral(t.TypeName+"_aggregate_fields"))
		case "count":
			expr, err := c.count(t, alias, af, apath)
			if err != nil {
				return "", err
			}
			pairs = append(pairs, key, expr)
		default:
			fn, ok := aggregateFuncs[af.Name]
			if !ok {
				return "", validationErr(apath, "field '%s' not found in type: '%s_aggregate_fields'", af.Name, t.TypeName)
			}
			var inner []string
			cols, err := c.collect(af.SelectionSet, t.TypeName+"_"+af.Name+"_fields")
			if err != nil {
				return "", err
			}
			for _, cf := range cols {
				ckey := quoteLiteral(cf.Alias)
				if cf.Name == "__typename" {
					inner = append(inner, ckey, quoteLiteral(t.TypeName+"_"+af.Name+"_fields"))
					continue
				}
				colm := t.FieldsByName[cf.Name].Column
				if colm == nil {
					return "", validationErr(append(apath, cf.Alias), "field '%s' not found in type: '%s_%s_fields'", cf.Name, t.TypeName, af.Name)
				}
				cellExpr, err := c.cell(t, alias, colm)
				if err != nil {
					return "", err
				}
				expr := fn + "(" + cellExpr + ")"
				if c.opts.StringifyNumeric && (isNumeric(colm.Type) || fn != "max" && fn != "min") {
					expr += "::text"
				}
				inner = append(inner, ckey, expr)
			}
			pairs = append(pairs, key, buildObject(inner))
		}
	}
	return buildObject(pairs), nil
}

// count compiles `count(columns: [...], distinct: Boolean)`.
func (c *compiler) count(t *schema.Table, alias string, f *ast.Field, path []string) (string, error) {
	var cols []string
	distinct := false
	for _, a := range f.Arguments {
		v := c.value(a.Value)
		switch a.Name {
		case "columns":
			for _, it := range children(v) {
				colm := t.FieldsByName[it.Raw].Column
				if colm == nil {
					return "", validationErr(path, "unexpected value %q for enum: '%s_select_column'", it.Raw, t.TypeName)
				}
				cellExpr, err := c.cell(t, alias, colm)
				if err != nil {
					return "", err
				}
				cols = append(cols, cellExpr)
			}
		case "distinct":
			distinct = v.Raw == "true"
		}
	}
	d := ""
	if distinct {
		d = "DISTINCT "
	}
	switch len(cols) {
	case 0:
		if distinct {
			return "count(DISTINCT " + alias + ".*)", nil
		}
		return "count(*)", nil
	case 1:
		return "count(" + d + cols[0] + ")", nil
	}
	// Rows where every listed column is non-null, as count(col) does for one.
	return "count(" + d + "ROW(" + strings.Join(cols, ", ") + ")) FILTER (WHERE " + strings.Join(cols, " IS NOT NULL AND ") + " IS NOT NULL)", nil
}
