package schema

import (
	"encoding/json"
	"sort"

	"github.com/stratagql/strata/engine/metadata"
)

// InsertPermission is what one role may insert into a table, resolved from
// its insert permission. It is set on the tables of a role schema and nil
// on the admin schema's tables (which may insert anything) and on tables
// the role may not insert into.
type InsertPermission struct {
	// Check is the boolean expression every inserted row must satisfy
	// (evaluated after the insert, before commit), as written in metadata:
	// leaf values may name session variables. Empty means no check.
	Check json.RawMessage
	// Columns are the SQL names of the columns the role may give values
	// for (presets excluded).
	Columns map[string]bool
	// Set are the column presets: SQL column name -> a static value or a
	// session variable name ("X-Hasura-User-Id"), applied to every row.
	Set map[string]any
	// BackendOnly restricts the permission to trusted backends (requests
	// with x-hasura-use-backend-only-permissions: true and the admin
	// secret); such tables get no insert fields in the ordinary schema.
	BackendOnly bool
}

// UpdatePermission is what one role may update in a table.
type UpdatePermission struct {
	// Filter selects the rows the role may update (empty: every row).
	Filter json.RawMessage
	// Check must hold for every row after the update (empty: no check).
	Check json.RawMessage
	// Columns are the SQL names of the columns the role may set (presets
	// excluded).
	Columns map[string]bool
	// Set are the column presets applied on every update.
	Set         map[string]any
	BackendOnly bool
}

// DeletePermission is what one role may delete from a table.
type DeletePermission struct {
	// Filter selects the rows the role may delete (empty: every row).
	Filter      json.RawMessage
	BackendOnly bool
}

// attachMutationPermissions sets role's insert, update and delete
// permissions (validated at Build) on the tables of its schema out, which
// is derived from the admin schema s (an inherited role's are derived from
// its parents' at Build, see inheritMutationPermissions).
func (s *Schema) attachMutationPermissions(out *Schema, role string) {
	if s.perms == nil || role == "" {
		return
	}
	for _, t := range out.Tables {
		admin := s.TablesByName[t.Name]
		if admin == nil {
			continue
		}
		if d := s.insertPerm(role, t.Name); d != nil {
			t.Insert = &InsertPermission{
				Check:       normalizeBoolExp(d.Check),
				Columns:     permittedColumns(admin, d.Columns, d.Set),
				Set:         d.Set,
				BackendOnly: d.BackendOnly,
			}
		}
		if d := s.updatePerm(role, t.Name); d != nil {
			t.Update = &UpdatePermission{
				Filter:      normalizeBoolExp(d.Filter),
				Check:       normalizeBoolExp(d.Check),
				Columns:     permittedColumns(admin, d.Columns, d.Set),
				Set:         d.Set,
				BackendOnly: d.BackendOnly,
			}
		}
		if d := s.deletePerm(role, t.Name); d != nil {
			t.Delete = &DeletePermission{Filter: normalizeBoolExp(d.Filter), BackendOnly: d.BackendOnly}
		}
	}
}

// permittedColumns resolves a permission's column list ("*" or names) to
// the set of exposed columns, leaving out preset columns.
func permittedColumns(t *Table, cols metadata.Columns, set map[string]any) map[string]bool {
	out := map[string]bool{}
	if cols.All {
		for _, c := range t.Columns {
			out[c.Name] = true
		}
	} else {
		for _, n := range cols.Names {
			if t.column(n) != nil {
				out[n] = true
			}
		}
	}
	for n := range set {
		delete(out, n)
	}
	return out
}

// normalizeBoolExp turns null, "{}" and absent expressions into nil.
func normalizeBoolExp(b json.RawMessage) json.RawMessage {
	var m map[string]json.RawMessage
	if len(b) == 0 || string(b) == "null" || json.Unmarshal(b, &m) == nil && len(m) == 0 {
		return nil
	}
	return b
}

// PresetColumns returns the SQL names of preset columns in a stable order.
func PresetColumns(set map[string]any) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
