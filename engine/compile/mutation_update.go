package compile

import (
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/schema"
)

// update compiles update_<t> and update_<t>_by_pk.
func (m *mutation) update(root *schema.RootField, f *ast.Field) error {
	t := root.Table
	single := root.Kind == schema.RootUpdateByPk
	args := map[string]*ast.Value{}
	for _, a := range f.Arguments {
		args[a.Name] = m.value(a.Value)
	}
	return m.updateOne(t, f, single, args, "$", []string{"selectionSet", f.Alias})
}

// updateMany compiles update_<t>_many: each update one statement, in
// order, each seeing the effects of those before.
func (m *mutation) updateMany(root *schema.RootField, f *ast.Field) error {
	t := root.Table
	for i, u := range children(m.argValue(f, "updates")) {
		args := map[string]*ast.Value{}
		for _, ch := range m.value(u).Children {
			args[ch.Name] = m.value(ch.Value)
		}
		_ = i
		if err := m.updateOne(t, f, false, args, "$", []string{"selectionSet", f.Alias}); err != nil {
			return err
		}
	}
	return nil
}

// updateOne compiles one update of t with the given arguments (where or,
// for by_pk, pk_columns, and the operators) into its statement(s).
func (m *mutation) updateOne(t *schema.Table, f *ast.Field, single bool, args map[string]*ast.Value, path string, respPath []string) error {
	m.begin()
	alias := "_t"
	var where string
	var err error
	if single {
		where, err = m.pkCondition(t, alias, args["pk_columns"], true, respPath)
	} else {
		where, err = m.boolExp(t, alias, args["where"], append(respPath[:len(respPath):len(respPath)], "args", "where"))
	}
	if err != nil {
		return err
	}
	sets, err := m.updateSets(t, alias, args, f)
	if err != nil {
		return err
	}
	filter, err := m.updateFilter(t, alias)
	if err != nil {
		return err
	}
	if filter != "" {
		where = "(" + where + ") AND " + filter
	}
	dml := "UPDATE " + qualified(t) + " AS " + alias + " SET " + strings.Join(sets, ", ") + " WHERE " + where + " RETURNING " + alias + ".*"
	return m.writeAndRespond(t, f, single, dml, path, respPath, m.updateCheck)
}

// writeAndRespond emits a single write (an UPDATE or DELETE) and the
// field's response: one statement when the response is flat, else the
// write keeps its rows for a second statement that builds the response.
// check, if set, wraps the select of the write statement with the role's
// check of the written rows.
func (m *mutation) writeAndRespond(t *schema.Table, f *ast.Field, single bool, dml, path string, respPath []string,
	check func(t *schema.Table, w, sel string) (string, error)) error {
	if check == nil {
		check = func(_ *schema.Table, _ string, sel string) (string, error) { return sel, nil }
	}
	flat, err := m.responseFlat(t, f, single)
	if err != nil {
		return err
	}
	if flat {
		resp, err := m.response(t, f, single, cteRows("_w"), respPath)
		if err != nil {
			return err
		}
		sel, err := check(t, "_w", "SELECT "+resp)
		if err != nil {
			return err
		}
		m.emit("WITH _w AS ("+dml+") "+sel, true, path)
		return nil
	}
	n := m.newSetting()
	sel, err := check(t, "_w", "SELECT "+storeRows(n, "_w"))
	if err != nil {
		return err
	}
	m.emit("WITH _w AS ("+dml+") "+sel, false, path)
	m.stmts[len(m.stmts)-1].setting = n
	m.begin()
	resp, err := m.response(t, f, single, settingRows(t, []int{n}, []int{n}), respPath)
	if err != nil {
		return err
	}
	m.emit("SELECT "+resp, true, path)
	return nil
}

// pkCondition compiles primary key values (pk_columns, or the field's own
// arguments for delete_by_pk) into a condition over alias.
func (m *mutation) pkCondition(t *schema.Table, alias string, v *ast.Value, object bool, path []string) (string, error) {
	var conds []string
	for _, pk := range t.PrimaryKey {
		var pv *ast.Value
		if object {
			for _, ch := range v.Children {
				if ch.Name == pk.Field {
					pv = ch.Value
				}
			}
		}
		if pv == nil {
			return "", validationErr(path, "missing required field '%s'", pk.Field)
		}
		p, err := m.param(pv, pk.Type.SQL(), false)
		if err != nil {
			return "", err
		}
		conds = append(conds, col(alias, pk.Name)+" = "+p)
	}
	return strings.Join(conds, " AND "), nil
}

// updateOps maps the update operators to how they set a column.
var updateOps = []string{"_set", "_inc", "_prepend", "_append", "_delete_key", "_delete_elem", "_delete_at_path"}

// updateSets compiles the update operators into SET items.
func (m *mutation) updateSets(t *schema.Table, alias string, args map[string]*ast.Value, f *ast.Field) ([]string, error) {
	var sets []string
	by := map[string]string{} // column -> operator that sets it
	for _, op := range updateOps {
		v := args[op]
		if v == nil || v.Kind == ast.NullValue {
			continue
		}
		for _, ch := range v.Children {
			c := m.writeColumn(t, ch.Name)
			if c == nil {
				return nil, hasuraerr.New(hasuraerr.CodeValidationFailed, fieldPath(f, op), "field '%s' not found in type: '%s%s_input'", ch.Name, t.TypeName, op)
			}
			if prev, dup := by[c.Name]; dup {
				return nil, hasuraerr.New(hasuraerr.CodeValidationFailed, fieldPath(f, op), "column found in multiple operators; %q in %s, %s", c.Field, prev, op)
			}
			by[c.Name] = op
			target := catalog.QuoteIdent(c.Name)
			cur := col(alias, c.Name)
			var expr string
			var err error
			switch op {
			case "_set":
				expr, err = m.columnParam(c, ch.Value)
			case "_inc":
				var p string
				p, err = m.columnParam(c, ch.Value)
				expr = cur + " + " + p
			case "_append":
				var p string
				p, err = m.columnParam(c, ch.Value)
				expr = cur + " || " + p
			case "_prepend":
				var p string
				p, err = m.columnParam(c, ch.Value)
				expr = p + " || " + cur
			case "_delete_key":
				var p string
				p, err = m.param(ch.Value, "text", false)
				expr = cur + " - " + p
			case "_delete_elem":
				var p string
				p, err = m.param(ch.Value, "integer", false)
				expr = cur + " - " + p
			case "_delete_at_path":
				var p string
				p, err = m.param(ch.Value, "text", true)
				expr = cur + " #- " + p
			}
			if err != nil {
				return nil, err
			}
			sets = append(sets, target+" = "+expr)
		}
	}
	presets, err := m.updatePresets(t, by)
	if err != nil {
		return nil, err
	}
	for _, p := range presets {
		sets = append(sets, catalog.QuoteIdent(p.col.Name)+" = "+p.expr)
	}
	if len(sets) == 0 {
		return nil, hasuraerr.New(hasuraerr.CodeValidationFailed, "$.selectionSet."+f.Alias+".args",
			"at least any one of %s is expected", strings.Join(m.s.UpdateOperatorNames(t), ", "))
	}
	return sets, nil
}

// delete compiles delete_<t> and delete_<t>_by_pk.
func (m *mutation) delete(root *schema.RootField, f *ast.Field) error {
	t := root.Table
	single := root.Kind == schema.RootDeleteByPk
	respPath := []string{"selectionSet", f.Alias}
	m.begin()
	alias := "_t"
	var where string
	var err error
	if single {
		obj := &ast.Value{Kind: ast.ObjectValue}
		for _, a := range f.Arguments {
			obj.Children = append(obj.Children, &ast.ChildValue{Name: a.Name, Value: a.Value})
		}
		where, err = m.pkCondition(t, alias, obj, true, respPath)
	} else {
		where, err = m.boolExp(t, alias, m.argValue(f, "where"), append(respPath[:len(respPath):len(respPath)], "args", "where"))
	}
	if err != nil {
		return err
	}
	filter, err := m.deleteFilter(t, alias)
	if err != nil {
		return err
	}
	if filter != "" {
		where = "(" + where + ") AND " + filter
	}
	dml := "DELETE FROM " + qualified(t) + " AS " + alias + " WHERE " + where + " RETURNING " + alias + ".*"
	return m.writeAndRespond(t, f, single, dml, "$", respPath, nil)
}
