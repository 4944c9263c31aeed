package compile

import (
	"encoding/json"
	"strings"

	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/schema"
)

// checkFailed is Hasura's error for rows an insert or update permission's
// check refuses.
func checkFailed() *hasuraerr.Error {
	return hasuraerr.New(hasuraerr.CodePermissionError, "$", "check constraint of an insert/update permission has failed")
}

// preset is a column set by a permission (set): a static value or a
// session variable, as a SQL expression.
type preset struct {
	col  *schema.Column
	expr string
}

// presets binds a permission's column presets, leaving out the columns in
// skip.
func (m *mutation) presets(t *schema.Table, set map[string]any, skip func(string) bool) ([]preset, error) {
	full := m.fullTable(t)
	var out []preset
	for _, name := range schema.PresetColumns(set) {
		if skip != nil && skip(name) {
			continue
		}
		c := full.Column(name)
		if c == nil {
			return nil, hasuraerr.New(hasuraerr.CodeUnexpected, "$", "permission on %s presets unknown column %s", t.Name.String(), name)
		}
		v := set[name]
		if s, ok := v.(string); ok && strings.HasPrefix(strings.ToLower(s), "x-hasura-") {
			out = append(out, preset{c, m.bind(Arg{Session: strings.ToLower(s)}, c.Type.SQL(), false)})
			continue
		}
		if v == nil {
			out = append(out, preset{c, m.bind(Arg{}, c.Type.SQL(), false)})
			continue
		}
		var text string
		var err error
		if isJSONColumn(c) {
			text, err = jsonText(v)
		} else {
			text, err = scalarText(v)
		}
		if err != nil {
			return nil, &hasuraerr.Error{Code: hasuraerr.CodeUnexpected, Path: "$", Message: err.Error(), Err: err}
		}
		out = append(out, preset{c, m.bind(Arg{Value: text}, c.Type.SQL(), false)})
	}
	return out, nil
}

// insertPresets are the insert permission's presets of t, but for the
// columns given (given) or filled from a parent row (fixed).
func (m *mutation) insertPresets(t *schema.Table, given map[string]bool, fixed []fixedCol) ([]preset, error) {
	if t.Insert == nil || len(t.Insert.Set) == 0 {
		return nil, nil
	}
	return m.presets(t, t.Insert.Set, func(name string) bool {
		if given[name] {
			return true
		}
		for _, f := range fixed {
			if f.col.Name == name {
				return true
			}
		}
		return false
	})
}

// updatePresets are the update permission's presets of t but for the
// columns the update sets itself (by).
func (m *mutation) updatePresets(t *schema.Table, by map[string]string) ([]preset, error) {
	if t.Update == nil || len(t.Update.Set) == 0 {
		return nil, nil
	}
	return m.presets(t, t.Update.Set, func(name string) bool { _, ok := by[name]; return ok })
}

// updateFilter is the update permission's row filter over alias ("" when
// unrestricted).
func (m *mutation) updateFilter(t *schema.Table, alias string) (string, error) {
	if t.Update == nil {
		return "", nil
	}
	return m.permCondition(t, alias, t.Update.Filter)
}

// deleteFilter is the delete permission's row filter over alias.
func (m *mutation) deleteFilter(t *schema.Table, alias string) (string, error) {
	if t.Delete == nil {
		return "", nil
	}
	return m.permCondition(t, alias, t.Delete.Filter)
}

// permCondition compiles a permission expression over alias ("" for none).
func (m *mutation) permCondition(t *schema.Table, alias string, exp json.RawMessage) (string, error) {
	if len(exp) == 0 || string(exp) == "{}" || string(exp) == "null" {
		return "", nil
	}
	return m.permExp(m.fullTable(t), alias, alias, exp)
}

// insertCheck returns sel (a SELECT over the inserted rows of CTE w) with
// the insert permission's check of every row: the statement fails with
// Hasura's permission error when a row does not pass. When the insert is
// an upsert that may update rows (upsert), w has the column
// upsertInserted and the rows the ON CONFLICT clause updated are checked
// against the update permission's check instead: Hasura applies the
// update permission to the conflicting rows an upsert updates.
func (m *mutation) insertCheck(t *schema.Table, w, sel string, upsert bool) (string, error) {
	if !upsert {
		if t.Insert == nil {
			return sel, nil
		}
		return m.rowCheck(t, w, sel, t.Insert.Check)
	}
	alias := m.newAlias("_c")
	var ins, upd string
	var err error
	if t.Insert != nil {
		if ins, err = m.permCondition(t, alias, t.Insert.Check); err != nil {
			return "", err
		}
	}
	if t.Update != nil {
		if upd, err = m.permCondition(t, alias, t.Update.Check); err != nil {
			return "", err
		}
	}
	if ins == "" && upd == "" {
		return sel, nil
	}
	if ins == "" {
		ins = "true"
	}
	if upd == "" {
		upd = "true"
	}
	return m.guard(w, alias, sel, "(CASE WHEN "+alias+"."+upsertInserted+" THEN "+ins+" ELSE "+upd+" END)"), nil
}

// upsertInserted is the column an upsert's RETURNING adds to tell the
// rows it inserted (true) from those its ON CONFLICT clause updated: a row
// version written by the insert has no xmax, one written by the update has
// the transaction's. The name cannot clash with a column Strata reads.
const upsertInserted = `"strata.inserted"`

// needsUpsertColumn reports whether an upsert into t that may update rows
// must tell inserted rows from updated ones (a check to apply to either).
func needsUpsertColumn(t *schema.Table) bool {
	return t.Insert != nil && len(t.Insert.Check) > 0 || t.Update != nil && len(t.Update.Check) > 0
}

// updateCheck is insertCheck for the update permission's check.
func (m *mutation) updateCheck(t *schema.Table, w, sel string) (string, error) {
	if t.Update == nil {
		return sel, nil
	}
	return m.rowCheck(t, w, sel, t.Update.Check)
}

// rowCheck guards sel with a check of every row of w.
func (m *mutation) rowCheck(t *schema.Table, w, sel string, check json.RawMessage) (string, error) {
	alias := m.newAlias("_c")
	cond, err := m.permCondition(t, alias, check)
	if err != nil || cond == "" {
		return sel, err
	}
	return m.guard(w, alias, sel, cond), nil
}

// guard makes sel fail with Hasura's permission error when a row of w
// (named alias in cond) does not satisfy cond.
func (m *mutation) guard(w, alias, sel, cond string) string {
	return sel + " WHERE (CASE WHEN EXISTS (SELECT 1 FROM " + w + " AS " + alias + " WHERE NOT coalesce(" + cond + ", false)) THEN " +
		m.raise(checkFailed()) + " ELSE '' END) = ''"
}

// jsonText encodes a JSON input value.
func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
