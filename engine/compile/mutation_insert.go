package compile

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/schema"
)

// insertRow is one object of an insert: its column values and the
// related rows to insert along.
type insertRow struct {
	cols []colValue
	// before are object relationships whose row is inserted first (this
	// row references it); after are array relationships and object
	// relationships through a foreign key on the related table, inserted
	// after this row and referencing it.
	before, after []relInsert
}

// colValue is a column and its input value.
type colValue struct {
	col *schema.Column
	v   *ast.Value
}

// relInsert is a nested insert through a relationship.
type relInsert struct {
	rel        *schema.Relationship
	data       []*ast.Value
	onConflict *ast.Value
}

// fixedCol is a column whose value comes from a related row inserted
// before (a SQL expression reading that row's setting).
type fixedCol struct {
	col  *schema.Column
	expr string
}

// insert compiles insert_<t> and insert_<t>_one.
func (m *mutation) insert(root *schema.RootField, f *ast.Field) error {
	t := root.Table
	single := root.Kind == schema.RootInsertOne
	argName := "objects"
	if single {
		argName = "object"
	}
	path := fieldPath(f, argName)
	objs := children(m.argValue(f, argName))
	if single {
		objs = objs[:min(len(objs), 1)]
	}
	rows := make([]*insertRow, len(objs))
	nested := false
	for i, o := range objs {
		r, err := m.parseRow(t, o, path)
		if err != nil {
			return err
		}
		rows[i] = r
		nested = nested || len(r.before) > 0 || len(r.after) > 0
	}
	onConflict := m.argValue(f, "on_conflict")
	respPath := []string{"selectionSet", f.Alias}
	flat, err := m.responseFlat(t, f, single)
	if err != nil {
		return err
	}
	if len(rows) == 0 || !nested && flat {
		// One statement: the insert and its response.
		m.begin()
		dml := "SELECT * FROM " + qualified(t) + " WHERE false"
		upsert := false
		if len(rows) > 0 {
			var err error
			if dml, upsert, err = m.insertDML(t, rows, onConflict, nil, path); err != nil {
				return err
			}
		}
		resp, err := m.response(t, f, single, cteRows("_w"), respPath)
		if err != nil {
			return err
		}
		tail, err := m.insertCheck(t, "_w", "SELECT "+resp, upsert)
		if err != nil {
			return err
		}
		m.emit("WITH _w AS ("+dml+") "+tail, true, path)
		return nil
	}
	start := len(m.stmts)
	var rootRows []int
	if nested {
		for i, r := range rows {
			n, err := m.insertObject(t, r, onConflict, nil, fmt.Sprintf("%s[%d]", path, i), "")
			if err != nil {
				return err
			}
			rootRows = append(rootRows, n)
		}
	} else {
		n, err := m.insertStore(t, rows, onConflict, nil, path, "")
		if err != nil {
			return err
		}
		rootRows = append(rootRows, n)
	}
	var counted []int
	for _, st := range m.stmts[start:] {
		if st.setting != 0 {
			counted = append(counted, st.setting)
		}
	}
	m.begin()
	resp, err := m.response(t, f, single, settingRows(t, rootRows, counted), respPath)
	if err != nil {
		return err
	}
	m.emit("SELECT "+resp, true, path)
	return nil
}

// parseRow reads one insert input object of t.
func (m *mutation) parseRow(t *schema.Table, obj *ast.Value, path string) (*insertRow, error) {
	r := &insertRow{}
	obj = m.value(obj)
	if obj == nil || obj.Kind != ast.ObjectValue {
		return r, nil
	}
	for _, ch := range obj.Children {
		fd, ok := t.FieldsByName[ch.Name]
		if !ok {
			// A role may insert columns it cannot select.
			if c := m.writeColumn(t, ch.Name); c != nil {
				fd, ok = schema.Field{Column: c}, true
			}
		}
		switch {
		case ok && fd.Column != nil:
			r.cols = append(r.cols, colValue{fd.Column, ch.Value})
		case ok && fd.Relationship != nil && !fd.Aggregate:
			v := m.value(ch.Value)
			if v == nil || v.Kind == ast.NullValue {
				continue
			}
			rel := fd.Relationship
			ri := relInsert{rel: rel, onConflict: m.child(v, "on_conflict")}
			data := m.child(v, "data")
			if rel.Kind == schema.ObjectRel {
				if data != nil {
					ri.data = []*ast.Value{data}
				}
				if insertsAfter(t, rel) {
					r.after = append(r.after, ri)
				} else {
					r.before = append(r.before, ri)
				}
				continue
			}
			ri.data = children(data)
			r.after = append(r.after, ri)
		case ch.Name == "_PLACEHOLDER":
		default:
			return nil, hasuraerr.New(hasuraerr.CodeValidationFailed, path, "field '%s' not found in type: '%s_insert_input'", ch.Name, t.TypeName)
		}
	}
	return r, nil
}

// insertsAfter reports whether the related row of an object relationship
// is inserted after the row (the foreign key is on the related table, or
// a manual relationship says insertion_order: after_parent).
func insertsAfter(t *schema.Table, rel *schema.Relationship) bool {
	if t.Metadata != nil {
		for _, or := range t.Metadata.ObjectRelationships {
			if or.Name == rel.Name && or.Using.ManualConfiguration != nil {
				return or.Using.ManualConfiguration.InsertionOrder == "after_parent"
			}
		}
	}
	src := make([]string, len(rel.Mapping))
	dst := make([]string, len(rel.Mapping))
	for i, p := range rel.Mapping {
		src[i], dst[i] = p.Source, p.Target
	}
	if hasFK(t.Catalog, src, rel.Target.Name) {
		return false
	}
	return hasFK(rel.Target.Catalog, dst, t.Name)
}

// hasFK reports whether t has a foreign key over exactly cols referencing ref.
func hasFK(t *catalog.Table, cols []string, ref interface{ String() string }) bool {
	for _, fk := range t.ForeignKeys {
		if fk.RefTable.String() != ref.String() || len(fk.Columns) != len(cols) {
			continue
		}
		match := true
		for _, c := range cols {
			found := false
			for _, fc := range fk.Columns {
				found = found || fc == c
			}
			match = match && found
		}
		if match {
			return true
		}
	}
	return false
}

// insertObject inserts one object with its nested rows: the related rows
// it references first, then the row, then the rows referencing it. It
// returns the setting holding the row. mustMsg, when set, is the error
// raised if the insert affects no row (a related row that others need).
func (m *mutation) insertObject(t *schema.Table, r *insertRow, onConflict *ast.Value, fixed []fixedCol, path, mustMsg string) (int, error) {
	fixed = append([]fixedCol(nil), fixed...)
	for _, ri := range r.before {
		rel := ri.rel
		rpath := path + "." + rel.Name
		var determined []string
		for _, p := range rel.Mapping {
			if c := t.Column(p.Source); c != nil && (hasCol(r.cols, c) || hasFixed(fixed, c)) {
				determined = append(determined, strconv.Quote(c.Name))
			}
		}
		if len(determined) > 0 {
			return 0, hasuraerr.New(hasuraerr.CodeValidationFailed, rpath, "cannot insert object relationship %q as %s column values are already being determined", rel.Name, strings.Join(determined, ", "))
		}
		if len(ri.data) == 0 {
			continue
		}
		pr, err := m.parseRow(rel.Target, ri.data[0], rpath+".data")
		if err != nil {
			return 0, err
		}
		msg := fmt.Sprintf("cannot proceed to insert object relation %q since insert to table %q affects zero rows", rel.Name, displayName(rel.Target))
		n, err := m.insertObject(rel.Target, pr, ri.onConflict, nil, rpath+".data", msg)
		if err != nil {
			return 0, err
		}
		for _, p := range rel.Mapping {
			c, pc := t.Column(p.Source), rel.Target.Column(p.Target)
			if c == nil || pc == nil {
				continue
			}
			fixed = append(fixed, fixedCol{c, settingValue(n, pc.Name, c)})
		}
	}
	if len(r.after) > 0 && mustMsg == "" {
		mustMsg = fmt.Sprintf("cannot proceed to insert array relations since insert to table %q affects zero rows", displayName(t))
	}
	n, err := m.insertStore(t, []*insertRow{r}, onConflict, fixed, path, mustMsg)
	if err != nil {
		return 0, err
	}
	for _, ri := range r.after {
		rel := ri.rel
		rpath := path + "." + rel.Name + ".data"
		var childFixed []fixedCol
		for _, p := range rel.Mapping {
			c, pc := rel.Target.Column(p.Target), t.Column(p.Source)
			if c == nil || pc == nil {
				continue
			}
			childFixed = append(childFixed, fixedCol{c, settingValue(n, pc.Name, c)})
		}
		rows := make([]*insertRow, len(ri.data))
		nested := false
		for i, d := range ri.data {
			cr, err := m.parseRow(rel.Target, d, rpath)
			if err != nil {
				return 0, err
			}
			for _, fc := range childFixed {
				if hasCol(cr.cols, fc.col) {
					return 0, hasuraerr.New(hasuraerr.CodeValidationFailed, rpath, "cannot insert %q columns as their values are already being determined by parent insert", fc.col.Name)
				}
			}
			rows[i] = cr
			nested = nested || len(cr.before) > 0 || len(cr.after) > 0
		}
		if len(rows) == 0 {
			continue
		}
		if !nested {
			if _, err := m.insertStore(rel.Target, rows, ri.onConflict, childFixed, rpath, ""); err != nil {
				return 0, err
			}
			continue
		}
		for i, cr := range rows {
			if _, err := m.insertObject(rel.Target, cr, ri.onConflict, childFixed, fmt.Sprintf("%s[%d]", rpath, i), ""); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

// writeColumn is the column of t with the GraphQL name field, including
// columns the role may write but not select.
func (m *mutation) writeColumn(t *schema.Table, field string) *schema.Column {
	if c := t.FieldsByName[field].Column; c != nil {
		return c
	}
	return m.fullTable(t).FieldsByName[field].Column
}

func hasCol(cols []colValue, c *schema.Column) bool {
	for _, cv := range cols {
		if cv.col.Name == c.Name {
			return true
		}
	}
	return false
}

func hasFixed(fixed []fixedCol, c *schema.Column) bool {
	for _, f := range fixed {
		if f.col.Name == c.Name {
			return true
		}
	}
	return false
}

// settingValue reads column src of the one row kept in setting n, as the
// type of column dst.
func settingValue(n int, src string, dst *schema.Column) string {
	return "(current_setting('" + settingName(n) + "')::jsonb->0->>" + quoteLiteral(src) + ")::" + dst.Type.SQL()
}

// insertStore emits one INSERT of rows whose inserted rows are kept in a
// new setting, which it returns.
func (m *mutation) insertStore(t *schema.Table, rows []*insertRow, onConflict *ast.Value, fixed []fixedCol, path, mustMsg string) (int, error) {
	m.begin()
	dml, upsert, err := m.insertDML(t, rows, onConflict, fixed, path)
	if err != nil {
		return 0, err
	}
	n := m.newSetting()
	tail := storeRows(n, "_w")
	if mustMsg != "" {
		tail = "CASE WHEN NOT EXISTS (SELECT 1 FROM _w) THEN " + m.raise(&hasuraerr.Error{Code: hasuraerr.CodeNotSupported, Path: path, Message: mustMsg}) + " ELSE " + tail + " END"
	}
	sel, err := m.insertCheck(t, "_w", "SELECT "+tail, upsert)
	if err != nil {
		return 0, err
	}
	m.emit("WITH _w AS ("+dml+") "+sel, false, path)
	m.stmts[len(m.stmts)-1].setting = n
	return n, nil
}

// insertDML renders INSERT INTO t ... RETURNING * for rows. upsert
// reports an ON CONFLICT clause that may update rows whose RETURNING adds
// upsertInserted (see insertCheck).
func (m *mutation) insertDML(t *schema.Table, rows []*insertRow, onConflict *ast.Value, fixed []fixedCol, path string) (sql string, upsert bool, err error) {
	// The columns given, in first-seen order; rows lacking one take its
	// default.
	var cols []*schema.Column
	seen := map[string]bool{}
	uniform := true
	for i, r := range rows {
		if i > 0 && len(r.cols) != len(rows[0].cols) {
			uniform = false
		}
		for _, cv := range r.cols {
			if !seen[cv.col.Name] {
				if i > 0 {
					uniform = false
				}
				seen[cv.col.Name] = true
				cols = append(cols, cv.col)
			}
		}
	}
	for _, fc := range fixed {
		if seen[fc.col.Name] {
			return "", false, hasuraerr.New(hasuraerr.CodeValidationFailed, path, "cannot insert %q columns as their values are already being determined by parent insert", fc.col.Name)
		}
	}
	presets, err := m.insertPresets(t, seen, fixed)
	if err != nil {
		return "", false, err
	}
	var b strings.Builder
	b.WriteString("INSERT INTO " + qualified(t) + " AS _t")
	names := make([]string, 0, len(cols)+len(fixed)+len(presets))
	for _, c := range cols {
		names = append(names, catalog.QuoteIdent(c.Name))
	}
	var extra []string // fixed and preset values, the same for every row
	for _, fc := range fixed {
		names = append(names, catalog.QuoteIdent(fc.col.Name))
		extra = append(extra, fc.expr)
	}
	for _, p := range presets {
		names = append(names, catalog.QuoteIdent(p.col.Name))
		extra = append(extra, p.expr)
	}
	switch {
	case len(names) == 0 && len(rows) <= 1:
		b.WriteString(" DEFAULT VALUES")
	case len(names) == 0:
		// Several rows of defaults: VALUES needs a column.
		first := t.Catalog.Columns[0]
		b.WriteString(" (" + catalog.QuoteIdent(first.Name) + ") VALUES ")
		for i := range rows {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(DEFAULT)")
		}
	case uniform && len(rows) > 1 && len(cols) > 0 && m.noSlots(rows):
		// Every row gives the same columns: one text[] parameter per
		// column, the same SQL whatever the number of rows.
		b.WriteString(" (" + strings.Join(names, ", ") + ") SELECT ")
		sel := make([]string, 0, len(names))
		params := make([]string, len(cols))
		for i, c := range cols {
			vals := make([]*string, len(rows))
			for j, r := range rows {
				s, err := m.columnText(c, r.cols[indexOf(r.cols, c)].v)
				if err != nil {
					return "", false, err
				}
				vals[j] = s
			}
			params[i] = m.bind(Arg{Value: vals}, "text", true)
			sel = append(sel, "_u.c"+strconv.Itoa(i)+"::"+c.Type.SQL())
		}
		sel = append(sel, extra...)
		ucols := make([]string, len(cols))
		for i := range cols {
			ucols[i] = "c" + strconv.Itoa(i)
		}
		b.WriteString(strings.Join(sel, ", ") + " FROM unnest(" + strings.Join(params, ", ") + ") AS _u(" + strings.Join(ucols, ", ") + ")")
	default:
		b.WriteString(" (" + strings.Join(names, ", ") + ") VALUES ")
		for i, r := range rows {
			if i > 0 {
				b.WriteString(", ")
			}
			vals := make([]string, 0, len(names))
			for _, c := range cols {
				j := indexOf(r.cols, c)
				if j < 0 {
					vals = append(vals, "DEFAULT")
					continue
				}
				p, err := m.columnParam(c, r.cols[j].v)
				if err != nil {
					return "", false, err
				}
				vals = append(vals, p)
			}
			vals = append(vals, extra...)
			b.WriteString("(" + strings.Join(vals, ", ") + ")")
		}
	}
	if onConflict != nil {
		oc, updates, err := m.onConflict(t, onConflict, path)
		if err != nil {
			return "", false, err
		}
		b.WriteString(oc)
		upsert = updates && needsUpsertColumn(t)
	}
	b.WriteString(" RETURNING *")
	if upsert {
		b.WriteString(", (_t.xmax = 0) AS " + upsertInserted)
	}
	return b.String(), upsert, nil
}

func indexOf(cols []colValue, c *schema.Column) int {
	for i, cv := range cols {
		if cv.col.Name == c.Name {
			return i
		}
	}
	return -1
}

// noSlots reports whether no column value of rows is a run-time slot.
func (m *mutation) noSlots(rows []*insertRow) bool {
	for _, r := range rows {
		for _, cv := range r.cols {
			if cv.v != nil && cv.v.Kind == ast.Variable && m.slots[cv.v.Raw] {
				return false
			}
		}
	}
	return true
}

// onConflict renders the ON CONFLICT clause of an insert into t; updates
// reports DO UPDATE (update_columns not empty).
func (m *mutation) onConflict(t *schema.Table, v *ast.Value, path string) (clause string, updates bool, err error) {
	cpath := path
	name := m.child(v, "constraint")
	if name == nil {
		return "", false, hasuraerr.New(hasuraerr.CodeValidationFailed, cpath, "missing required field 'constraint'")
	}
	con := t.Constraint(name.Raw)
	if con == nil {
		return "", false, hasuraerr.New(hasuraerr.CodeValidationFailed, cpath, "unexpected value %q for enum: '%s_constraint'", name.Raw, t.TypeName)
	}
	var sets []string
	for _, it := range children(m.child(v, "update_columns")) {
		uc := m.writeColumn(t, it.Raw)
		if uc == nil {
			return "", false, hasuraerr.New(hasuraerr.CodeValidationFailed, cpath, "unexpected value %q for enum: '%s_update_column'", it.Raw, t.TypeName)
		}
		n := catalog.QuoteIdent(uc.Name)
		sets = append(sets, n+" = EXCLUDED."+n)
	}
	clause = " ON CONFLICT ON CONSTRAINT " + catalog.QuoteIdent(con.Name)
	if len(sets) == 0 {
		return clause + " DO NOTHING", false, nil
	}
	presets, err := m.updatePresets(t, nil)
	if err != nil {
		return "", false, err
	}
	for _, p := range presets {
		sets = append(sets, catalog.QuoteIdent(p.col.Name)+" = "+p.expr)
	}
	var conds []string
	if w := m.child(v, "where"); w != nil {
		cond, err := m.boolExp(t, "_t", w, []string{"selectionSet"})
		if err != nil {
			return "", false, err
		}
		conds = append(conds, cond)
	}
	filter, err := m.updateFilter(t, "_t")
	if err != nil {
		return "", false, err
	}
	if filter != "" {
		conds = append(conds, filter)
	}
	clause += " DO UPDATE SET " + strings.Join(sets, ", ")
	if len(conds) > 0 {
		clause += " WHERE " + strings.Join(conds, " AND ")
	}
	return clause, true, nil
}

// columnParam binds a column's input value and returns its placeholder,
// cast to the column's type.
func (m *mutation) columnParam(c *schema.Column, v *ast.Value) (string, error) {
	if v != nil && v.Kind == ast.Variable && m.slots[v.Raw] {
		return m.bind(Arg{Var: v.Raw, JSON: isJSONColumn(c)}, c.Type.SQL(), false), nil
	}
	s, err := m.columnText(c, v)
	if err != nil {
		return "", err
	}
	if s == nil {
		return m.bind(Arg{}, c.Type.SQL(), false), nil
	}
	return m.bind(Arg{Value: *s}, c.Type.SQL(), false), nil
}

// columnText renders a column's input value as PostgreSQL input text
// (nil for null): JSON for json and jsonb columns, array literals for
// array columns given a list.
func (m *mutation) columnText(c *schema.Column, v *ast.Value) (*string, error) {
	v = m.value(v)
	if v == nil || v.Kind == ast.NullValue {
		return nil, nil
	}
	if isJSONColumn(c) {
		x, err := v.Value(m.vars)
		if err != nil {
			return nil, invalidValue(err)
		}
		s, err := jsonText(x)
		if err != nil {
			return nil, invalidValue(err)
		}
		return &s, nil
	}
	if c.Type != nil && c.Type.Kind == catalog.TypeArray && v.Kind == ast.ListValue {
		x, err := v.Value(m.vars)
		if err != nil {
			return nil, invalidValue(err)
		}
		s := pgArray(x)
		return &s, nil
	}
	return m.leafText(v)
}

// isJSONColumn reports whether a column's values are JSON documents.
func isJSONColumn(c *schema.Column) bool {
	t := c.Type
	for t != nil && t.Kind == catalog.TypeDomain && t.Base != nil {
		t = t.Base
	}
	return t != nil && t.Schema == "pg_catalog" && (t.Name == "json" || t.Name == "jsonb")
}

// pgArray renders a list as a PostgreSQL array literal.
func pgArray(x any) string {
	items, ok := x.([]any)
	if !ok {
		if x == nil {
			return "NULL"
		}
		s, _ := scalarText(x)
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
	}
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = pgArray(it)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// displayName renders a table as Hasura does in messages.
func displayName(t *schema.Table) string {
	if t.Name.Schema == "public" {
		return t.Name.Name
	}
	return t.Name.Schema + "." + t.Name.Name
}
