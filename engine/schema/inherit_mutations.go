package schema

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/stratagql/strata/engine/metadata"
)

// Inherited roles and mutations (Hasura's "Inherited roles" documentation
// and its inherited-roles RFC): an inherited role's insert, update or
// delete permission on a table is its own when it has one; otherwise it is
// the permission its parents have, when every parent that has one has the
// same; parents without one do not count. Parents with different
// permissions conflict: the role gets no permission of that kind on the
// table and the conflict is reported as an "inherited role permission
// inconsistency" until a permission is defined on the inherited role
// itself. A conflict on a parent (itself inherited) is a conflict on its
// children too.

// inheritedConflict identifies a conflict: an inherited role could not
// inherit a permission kind ("insert", "update", "delete") on a table.
type inheritedConflict struct {
	role, kind string
	table      metadata.QualifiedTable
}

// inheritMutationPermissions derives the insert, update and delete
// permissions of every consistent inherited role from its parents' (see
// above) and reports the conflicts.
func (r *resolver) inheritMutationPermissions() {
	p := r.out.perms
	roles := make([]string, 0, len(p.parents))
	for role := range p.parents {
		roles = append(roles, role)
	}
	sort.Strings(roles)
	conflicts := map[inheritedConflict]bool{}
	done := map[string]bool{}
	var derive func(role string)
	derive = func(role string) {
		if done[role] {
			return
		}
		done[role] = true
		// Parents first: an inherited role may inherit from inherited
		// roles (cycles were rejected by resolveInheritedRoles).
		for _, parent := range p.parents[role] {
			if _, ok := p.parents[parent]; ok {
				derive(parent)
			}
		}
		inherit(p.inserts, role, p.parents[role], "insert", conflicts, canonicalInsert)
		inherit(p.updates, role, p.parents[role], "update", conflicts, canonicalUpdate)
		inherit(p.deletes, role, p.parents[role], "delete", conflicts, canonicalDelete)
	}
	for _, role := range roles {
		derive(role)
	}
	list := make([]inheritedConflict, 0, len(conflicts))
	for c := range conflicts {
		list = append(list, c)
	}
	slices.SortFunc(list, func(a, b inheritedConflict) int {
		if a.role != b.role {
			return cmp.Compare(a.role, b.role)
		}
		if a.table != b.table {
			return cmp.Compare(a.table.String(), b.table.String())
		}
		return cmp.Compare(a.kind, b.kind)
	})
	for _, c := range list {
		r.out.Inconsistencies = append(r.out.Inconsistencies, metadata.Inconsistency{
			Kind: metadata.KindInheritedPermission,
			Role: c.role,
			Reason: fmt.Sprintf("Could not inherit permission for the role '%s' for the entity: '%s permission, table: %s, source: '%s''",
				c.role, c.kind, displayName(c.table), metadata.DefaultSource),
		})
	}
}

// inherit derives role's permissions of one kind in m from its parents'
// on every table they have one (or a conflict) on, recording conflicts.
// canonical renders a permission so that equal permissions render alike.
func inherit[D any](m map[string]map[metadata.QualifiedTable]*D, role string, parents []string, kind string,
	conflicts map[inheritedConflict]bool, canonical func(*D) string) {
	var tables []metadata.QualifiedTable
	seen := map[metadata.QualifiedTable]bool{}
	add := func(q metadata.QualifiedTable) {
		if !seen[q] {
			seen[q] = true
			tables = append(tables, q)
		}
	}
	for _, parent := range parents {
		for q := range m[parent] {
			add(q)
		}
	}
	for c := range conflicts {
		if c.kind == kind && slices.Contains(parents, c.role) {
			add(c.table)
		}
	}
	for _, q := range tables {
		if m[role][q] != nil {
			continue // the role's own permission overrides
		}
		var got *D
		key, conflict := "", false
		for _, parent := range parents {
			if conflicts[inheritedConflict{parent, kind, q}] {
				conflict = true
				break
			}
			d := m[parent][q]
			if d == nil {
				continue
			}
			if got == nil {
				got, key = d, canonical(d)
				continue
			}
			if canonical(d) != key {
				conflict = true
				break
			}
		}
		switch {
		case conflict:
			conflicts[inheritedConflict{role, kind, q}] = true
		case got != nil:
			put(m, role, q, got)
		}
	}
}

// canonicalColumns is a permission's column list in a comparable form.
func canonicalColumns(c metadata.Columns) metadata.Columns {
	if c.All {
		return metadata.Columns{All: true}
	}
	names := slices.Clone(c.Names)
	sort.Strings(names)
	return metadata.Columns{Names: names}
}

// canonicalJSON renders v as JSON (map keys sorted); "" if it cannot.
func canonicalJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

func canonicalInsert(d *metadata.InsertPermDef) string {
	return canonicalJSON(map[string]any{
		"check": normalizeBoolExp(d.Check), "set": d.Set, "columns": canonicalColumns(d.Columns),
		"backend_only": d.BackendOnly, "validate_input": d.Validate,
	})
}

func canonicalUpdate(d *metadata.UpdatePermDef) string {
	return canonicalJSON(map[string]any{
		"filter": normalizeBoolExp(d.Filter), "check": normalizeBoolExp(d.Check), "set": d.Set,
		"columns": canonicalColumns(d.Columns), "backend_only": d.BackendOnly, "validate_input": d.Validate,
	})
}

func canonicalDelete(d *metadata.DeletePermDef) string {
	return canonicalJSON(map[string]any{
		"filter": normalizeBoolExp(d.Filter), "backend_only": d.BackendOnly, "validate_input": d.Validate,
	})
}
