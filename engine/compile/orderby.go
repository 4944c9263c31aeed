package compile

import (
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/stratagql/strata/engine/schema"
)

// directions maps the order_by enum to SQL.
var directions = map[string]string{
	"asc":              "ASC NULLS LAST",
	"asc_nulls_first":  "ASC NULLS FIRST",
	"asc_nulls_last":   "ASC NULLS LAST",
	"desc":             "DESC NULLS FIRST",
	"desc_nulls_first": "DESC NULLS FIRST",
	"desc_nulls_last":  "DESC NULLS LAST",
}

// orderBy compiles one `<table>_order_by` object into ORDER BY terms. cols
// lists the plain columns among them (for the distinct_on rule).
func (c *compiler) orderBy(t *schema.Table, alias string, v *ast.Value, path []string) (terms, cols []string, err error) {
	v = c.value(v)
	if v == nil || v.Kind == ast.NullValue {
		return nil, nil, nil
	}
	for _, ch := range v.Children {
		cpath := append(path[:len(path):len(path)], ch.Name)
		val := c.value(ch.Value)
		if val.Kind == ast.NullValue {
			continue
		}
		field, ok := t.FieldsByName[ch.Name]
		switch {
		case ok && field.Column != nil:
			dir, err := direction(val, cpath)
			if err != nil {
				return nil, nil, err
			}
			expr, err := c.cell(t, alias, field.Column)
			if err != nil {
				return nil, nil, err
			}
			terms = append(terms, expr+" "+dir)
			cols = append(cols, field.Column.Name)
		case ok && field.Relationship != nil && field.Aggregate:
			aggTerms, err := c.aggregateOrderBy(field.Relationship, alias, val, cpath)
			if err != nil {
				return nil, nil, err
			}
			terms = append(terms, aggTerms...)
		case ok && field.Relationship != nil && field.Relationship.Kind == schema.ObjectRel:
			r := field.Relationship
			ta := c.newAlias("_t")
			sub, _, err := c.orderBy(r.Target, ta, val, cpath)
			if err != nil {
				return nil, nil, err
			}
			cond, err := c.relCond(r, alias, ta)
			if err != nil {
				return nil, nil, err
			}
			from := " FROM " + c.from(r.Target) + " AS " + ta + " WHERE " + cond + " LIMIT 1)"
			for _, term := range sub {
				expr, dir := splitTerm(term)
				terms = append(terms, "(SELECT "+expr+from+" "+dir)
			}
		default:
			return nil, nil, validationErr(cpath, "field '%s' not found in type: '%s_order_by'", ch.Name, t.TypeName)
		}
	}
	return terms, cols, nil
}

// aggregateOrderBy compiles `<rel>_aggregate: {count: asc, max: {col: desc}}`.
func (c *compiler) aggregateOrderBy(r *schema.Relationship, alias string, v *ast.Value, path []string) ([]string, error) {
	var terms []string
	for _, fn := range v.Children {
		fpath := append(path[:len(path):len(path)], fn.Name)
		fv := c.value(fn.Value)
		if fv.Kind == ast.NullValue {
			continue
		}
		ta := c.newAlias("_t")
		cond, err := c.relCond(r, alias, ta)
		if err != nil {
			return nil, err
		}
		from := " FROM " + c.from(r.Target) + " AS " + ta + " WHERE " + cond + ")"
		if fn.Name == "count" {
			dir, err := direction(fv, fpath)
			if err != nil {
				return nil, err
			}
			terms = append(terms, "(SELECT count(*)"+from+" "+dir)
			continue
		}
		sqlFn, ok := aggregateFuncs[fn.Name]
		if !ok {
			return nil, validationErr(fpath, "field '%s' not found in type: '%s_aggregate_order_by'", fn.Name, r.Target.TypeName)
		}
		for _, cv := range fv.Children {
			colm := r.Target.FieldsByName[cv.Name].Column
			if colm == nil {
				return nil, validationErr(append(fpath, cv.Name), "field '%s' not found in type: '%s_%s_order_by'", cv.Name, r.Target.TypeName, fn.Name)
			}
			dv := c.value(cv.Value)
			if dv.Kind == ast.NullValue {
				continue
			}
			dir, err := direction(dv, append(fpath, cv.Name))
			if err != nil {
				return nil, err
			}
			expr, err := c.cell(r.Target, ta, colm)
			if err != nil {
				return nil, err
			}
			terms = append(terms, "(SELECT "+sqlFn+"("+expr+")"+from+" "+dir)
		}
	}
	return terms, nil
}

func direction(v *ast.Value, path []string) (string, error) {
	dir, ok := directions[v.Raw]
	if !ok {
		return "", validationErr(path, "unexpected value %q for enum: 'order_by'", v.Raw)
	}
	return dir, nil
}

// splitTerm splits "expr DIR NULLS X" into the expression and direction.
func splitTerm(term string) (string, string) {
	for _, d := range directions {
		if len(term) > len(d)+1 && term[len(term)-len(d):] == d {
			return term[:len(term)-len(d)-1], d
		}
	}
	return term, ""
}
