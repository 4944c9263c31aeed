package schema

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/stratagql/strata/engine/metadata"
)

// rolePerms are the consistent permissions of every role, kept on the
// admin schema; role schemas are derived from them (ForRole).
type rolePerms struct {
	// selects[role][table] are the select permissions written in metadata
	// (for inherited roles, the ones overriding the inherited permission).
	selects map[string]map[metadata.QualifiedTable]*selectPerm
	// inserts, updates and deletes are the mutation permissions, for
	// inherited roles their own and those inherited from their parents
	// (see inheritMutationPermissions).
	inserts map[string]map[metadata.QualifiedTable]*metadata.InsertPermDef
	updates map[string]map[metadata.QualifiedTable]*metadata.UpdatePermDef
	deletes map[string]map[metadata.QualifiedTable]*metadata.DeletePermDef
	// parents are the role sets of the consistent inherited roles.
	parents map[string][]string
	// known are the roles named by a consistent permission or inherited
	// role: the ones whose schema ForRole builds and caches.
	known map[string]bool
}

func newRolePerms() *rolePerms {
	return &rolePerms{
		selects: map[string]map[metadata.QualifiedTable]*selectPerm{},
		inserts: map[string]map[metadata.QualifiedTable]*metadata.InsertPermDef{},
		updates: map[string]map[metadata.QualifiedTable]*metadata.UpdatePermDef{},
		deletes: map[string]map[metadata.QualifiedTable]*metadata.DeletePermDef{},
		parents: map[string][]string{},
		known:   map[string]bool{},
	}
}

// put stores v under roles[role][q].
func put[V any](m map[string]map[metadata.QualifiedTable]V, role string, q metadata.QualifiedTable, v V) {
	if m[role] == nil {
		m[role] = map[metadata.QualifiedTable]V{}
	}
	m[role][q] = v
}

// resolvePermissions validates the permissions of every consistent table
// and the inherited roles; what is invalid is reported and left out.
func (r *resolver) resolvePermissions(md *metadata.Metadata) {
	p := newRolePerms()
	r.out.perms = p
	for _, t := range r.out.Tables {
		mt := t.Metadata
		seen := map[string]bool{}
		for i := range mt.SelectPermissions {
			mp := &mt.SelectPermissions[i]
			sp, reason := r.selectPermission(t, mp, seen)
			if reason != "" {
				r.permInconsistent("select", t, mp.Role, mp.Comment, mp.Permission, reason)
				continue
			}
			put(p.selects, mp.Role, t.Name, sp)
			p.known[mp.Role] = true
		}
		seen = map[string]bool{}
		for i := range mt.InsertPermissions {
			mp := &mt.InsertPermissions[i]
			d := mp.Permission
			reason := r.permRole(mp.Role, seen)
			if reason == "" {
				reason = r.permColumns(t, d.Columns)
			}
			if reason == "" {
				reason = r.permSet(t, d.Set)
			}
			if reason == "" {
				d.Check, reason = r.permBoolExp(t, d.Check, "$.check")
			}
			if reason != "" {
				r.permInconsistent("insert", t, mp.Role, mp.Comment, mp.Permission, reason)
				continue
			}
			put(p.inserts, mp.Role, t.Name, &d)
			p.known[mp.Role] = true
		}
		seen = map[string]bool{}
		for i := range mt.UpdatePermissions {
			mp := &mt.UpdatePermissions[i]
			d := mp.Permission
			reason := r.permRole(mp.Role, seen)
			if reason == "" {
				reason = r.permColumns(t, d.Columns)
			}
			if reason == "" {
				reason = r.permSet(t, d.Set)
			}
			if reason == "" {
				d.Filter, reason = r.permBoolExp(t, d.Filter, "$.filter")
			}
			if reason == "" && d.Check != nil {
				d.Check, reason = r.permBoolExp(t, d.Check, "$.check")
			}
			if reason != "" {
				r.permInconsistent("update", t, mp.Role, mp.Comment, mp.Permission, reason)
				continue
			}
			put(p.updates, mp.Role, t.Name, &d)
			p.known[mp.Role] = true
		}
		seen = map[string]bool{}
		for i := range mt.DeletePermissions {
			mp := &mt.DeletePermissions[i]
			d := mp.Permission
			reason := r.permRole(mp.Role, seen)
			if reason == "" {
				d.Filter, reason = r.permBoolExp(t, d.Filter, "$.filter")
			}
			if reason != "" {
				r.permInconsistent("delete", t, mp.Role, mp.Comment, mp.Permission, reason)
				continue
			}
			put(p.deletes, mp.Role, t.Name, &d)
			p.known[mp.Role] = true
		}
	}
	if md != nil {
		r.resolveInheritedRoles(md.InheritedRoles)
	}
	r.inheritMutationPermissions()
}

// permInconsistent reports a permission as get_inconsistent_metadata does,
// e.g. "select_permission user in table author in source default".
func (r *resolver) permInconsistent(kind string, t *Table, role string, comment *string, perm any, reason string) {
	q := t.Name
	r.inconsistent(metadata.Inconsistency{Kind: kind + "_permission", Table: &q, Role: role,
		Reason: fmt.Sprintf("in table %q: in permission for role %q: %s", displayName(t.Name), role, reason),
		Definition: map[string]any{
			"role":       role,
			"source":     metadata.DefaultSource,
			"comment":    comment,
			"permission": perm,
			"table":      t.Name,
		}})
}

// permRole checks the role a permission is for; seen are the roles with a
// permission of the same kind on the table so far.
func (r *resolver) permRole(role string, seen map[string]bool) string {
	switch {
	case role == "":
		return "the role name is empty"
	case role == "admin":
		return "cannot define permission for admin role"
	case seen[role]:
		return fmt.Sprintf("the permission for role %q is defined more than once", role)
	}
	seen[role] = true
	return ""
}

// permColumns checks that every listed column exists in the table.
func (r *resolver) permColumns(t *Table, cols metadata.Columns) string {
	if cols.All {
		return ""
	}
	for _, c := range cols.Names {
		if t.Catalog.Column(c) == nil {
			return fmt.Sprintf("column %q does not exist", c)
		}
	}
	return ""
}

// permSet checks the column presets of an insert or update permission.
func (r *resolver) permSet(t *Table, set map[string]any) string {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if t.Catalog.Column(k) == nil {
			return fmt.Sprintf("column %q in \"set\" does not exist", k)
		}
	}
	return ""
}

// permBoolExp validates and normalises a filter or check; path names it
// in the reason ("$.filter").
func (r *resolver) permBoolExp(t *Table, exp json.RawMessage, path string) (json.RawMessage, string) {
	norm, err := NormalizeBoolExp(t, exp, r.out.TablesByName)
	if err != nil {
		if be, ok := err.(*BoolExpError); ok {
			return nil, be.under(path).Error()
		}
		return nil, err.Error()
	}
	return norm, ""
}

// selectPermission validates one select permission.
func (r *resolver) selectPermission(t *Table, mp *metadata.SelectPermission, seen map[string]bool) (*selectPerm, string) {
	if reason := r.permRole(mp.Role, seen); reason != "" {
		return nil, reason
	}
	d := &mp.Permission
	if reason := r.permColumns(t, d.Columns); reason != "" {
		return nil, reason
	}
	sp := &selectPerm{
		columns:      map[string]bool{},
		computed:     map[string]bool{},
		limit:        d.Limit,
		aggregations: d.AllowAggregations,
	}
	for _, c := range t.Columns {
		if d.Columns.All {
			sp.columns[c.Name] = true
		}
	}
	for _, c := range d.Columns.Names {
		if t.column(c) != nil {
			sp.columns[c] = true
		}
	}
	for _, name := range d.ComputedFields {
		if f := t.FieldsByName[name]; f.ComputedField == nil || f.ComputedField.Name != name {
			return nil, fmt.Sprintf("computed field %q does not exist", name)
		}
		sp.computed[name] = true
	}
	var reason string
	if sp.filter, reason = r.permBoolExp(t, d.Filter, "$.filter"); reason != "" {
		return nil, reason
	}
	if d.Limit != nil && *d.Limit < 0 {
		return nil, fmt.Sprintf("\"limit\" must be a non-negative integer, got %d", *d.Limit)
	}
	if sp.queryRoots, reason = rootFields(d.QueryRootFields, "query_root_fields", false, d.AllowAggregations); reason != "" {
		return nil, reason
	}
	if sp.subscriptionRoots, reason = rootFields(d.SubscriptionRootFields, "subscription_root_fields", true, d.AllowAggregations); reason != "" {
		return nil, reason
	}
	return sp, ""
}

// rootFields resolves query_root_fields or subscription_root_fields: nil
// (absent or null) allows every root field, a list only those listed.
func rootFields(names []string, key string, stream, aggregations bool) (rootSet, string) {
	if names == nil {
		return nil, ""
	}
	set := rootSet{}
	for _, n := range names {
		k, ok := rootFieldKinds[n]
		if !ok || k == RootSelectStream && !stream {
			allowed := "select, select_by_pk, select_aggregate"
			if stream {
				allowed += ", select_stream"
			}
			return nil, fmt.Sprintf("invalid value %q in %q (expected one of %s)", n, key, allowed)
		}
		if k == RootSelectAggregate && !aggregations {
			return nil, fmt.Sprintf("the \"select_aggregate\" root field can only be enabled in %q when \"allow_aggregations\" is true", key)
		}
		set[k] = true
	}
	return set, ""
}

// resolveInheritedRoles checks the inherited roles: names, role sets and
// cycles (an inherited role may inherit from inherited roles).
func (r *resolver) resolveInheritedRoles(irs []metadata.InheritedRole) {
	p := r.out.perms
	bad := func(ir metadata.InheritedRole, reason string) {
		r.inconsistent(metadata.Inconsistency{Kind: metadata.KindInheritedRole, Name: ir.RoleName, Reason: reason, Definition: ir})
	}
	defined := map[string]metadata.InheritedRole{}
	first := map[int]bool{} // the consistent definitions, by index in irs
	for i, ir := range irs {
		switch {
		case ir.RoleName == "":
			bad(ir, "the inherited role's name is empty")
		case ir.RoleName == "admin":
			bad(ir, "the admin role cannot be an inherited role")
		case len(ir.RoleSet) == 0:
			bad(ir, fmt.Sprintf("the role set of inherited role %q is empty", ir.RoleName))
		case hasRole(ir.RoleSet, "admin"):
			bad(ir, fmt.Sprintf("inherited role %q cannot inherit from the admin role", ir.RoleName))
		default:
			if _, dup := defined[ir.RoleName]; dup {
				bad(ir, fmt.Sprintf("the inherited role %q is defined more than once", ir.RoleName))
				continue
			}
			defined[ir.RoleName] = ir
			first[i] = true
		}
	}
	// Roles on a cycle are inconsistent; the others keep their role sets.
	const (
		unvisited = iota
		visiting
		done
	)
	state := map[string]int{}
	cyclic := map[string]string{}
	var stack []string
	var visit func(role string)
	visit = func(role string) {
		state[role] = visiting
		stack = append(stack, role)
		for _, parent := range defined[role].RoleSet {
			if _, inherited := defined[parent]; !inherited {
				continue
			}
			switch state[parent] {
			case unvisited:
				visit(parent)
			case visiting:
				i := len(stack) - 1
				for stack[i] != parent {
					i--
				}
				cycle := append(append([]string{}, stack[i:]...), parent)
				for _, c := range stack[i:] {
					if _, ok := cyclic[c]; !ok {
						cyclic[c] = strings.Join(cycle, " -> ")
					}
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[role] = done
	}
	names := make([]string, 0, len(defined))
	for n := range defined {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if state[n] == unvisited {
			visit(n)
		}
	}
	for i, ir := range irs {
		if !first[i] {
			continue
		}
		if cycle, ok := cyclic[ir.RoleName]; ok {
			bad(ir, "found cycle in inherited roles: "+cycle)
			continue
		}
		p.parents[ir.RoleName] = ir.RoleSet
		p.known[ir.RoleName] = true
	}
}

func hasRole(set []string, role string) bool {
	for _, r := range set {
		if r == role {
			return true
		}
	}
	return false
}

// selectsOf returns role's select permissions by table: its own, or for an
// inherited role the union of its parents' overridden by its own.
func (p *rolePerms) selectsOf(role string) map[metadata.QualifiedTable]*selectPerm {
	return p.resolveSelects(role, map[string]map[metadata.QualifiedTable]*selectPerm{}, map[string]bool{})
}

func (p *rolePerms) resolveSelects(role string, memo map[string]map[metadata.QualifiedTable]*selectPerm, onPath map[string]bool) map[metadata.QualifiedTable]*selectPerm {
	if m, ok := memo[role]; ok {
		return m
	}
	parents, inherited := p.parents[role]
	if !inherited || onPath[role] {
		return p.selects[role]
	}
	onPath[role] = true
	defer delete(onPath, role)
	byTable := map[metadata.QualifiedTable][]*selectPerm{}
	var order []metadata.QualifiedTable
	for _, parent := range parents {
		for q, sp := range p.resolveSelects(parent, memo, onPath) {
			if byTable[q] == nil {
				order = append(order, q)
			}
			byTable[q] = append(byTable[q], sp)
		}
	}
	out := make(map[metadata.QualifiedTable]*selectPerm, len(order))
	for _, q := range order {
		out[q] = mergeSelects(byTable[q])
	}
	for q, sp := range p.selects[role] {
		out[q] = sp
	}
	memo[role] = out
	return out
}

// mergeSelects is the select permission of an inherited role on a table
// the parents ps can select: the union of their rows, columns, root fields
// and aggregations, the largest limit, and for every column not visible on
// all those rows the filter of the rows where it is (cell-level nulls).
// Computed fields are kept only when every parent allows them, as their
// values cannot be nulled per cell.
func mergeSelects(ps []*selectPerm) *selectPerm {
	out := &selectPerm{columns: map[string]bool{}, computed: map[string]bool{}}
	filters := make([]json.RawMessage, len(ps))
	noLimit := false
	allQuery, allSub := false, false
	for i, sp := range ps {
		filters[i] = sp.filter
		for c := range sp.columns {
			out.columns[c] = true
		}
		if sp.limit == nil {
			noLimit = true
		} else if out.limit == nil || *sp.limit > *out.limit {
			l := *sp.limit
			out.limit = &l
		}
		out.aggregations = out.aggregations || sp.aggregations
		allQuery = allQuery || sp.queryRoots == nil
		allSub = allSub || sp.subscriptionRoots == nil
		if i == 0 {
			for cf := range sp.computed {
				out.computed[cf] = true
			}
		} else {
			for cf := range out.computed {
				if !sp.computed[cf] {
					delete(out.computed, cf)
				}
			}
		}
	}
	if noLimit {
		out.limit = nil
	}
	out.filter = orFilter(filters)
	out.queryRoots = unionRoots(ps, allQuery, func(sp *selectPerm) rootSet { return sp.queryRoots })
	out.subscriptionRoots = unionRoots(ps, allSub, func(sp *selectPerm) rootSet { return sp.subscriptionRoots })
	cols := make([]string, 0, len(out.columns))
	for c := range out.columns {
		cols = append(cols, c)
	}
	sort.Strings(cols)
	for _, c := range cols {
		var where []json.RawMessage
		partial := false
		for _, sp := range ps {
			switch {
			case !sp.columns[c]:
				partial = true
			case sp.columnFilters[c] != nil:
				partial = true
				where = append(where, sp.columnFilters[c])
			default:
				where = append(where, sp.filter)
			}
		}
		if partial {
			if out.columnFilters == nil {
				out.columnFilters = map[string]json.RawMessage{}
			}
			out.columnFilters[c] = orFilter(where)
		}
	}
	return out
}

// unionRoots unions the parents' root field sets (nil when one allows all).
func unionRoots(ps []*selectPerm, all bool, get func(*selectPerm) rootSet) rootSet {
	if all {
		return nil
	}
	out := rootSet{}
	for _, sp := range ps {
		for k := range get(sp) {
			out[k] = true
		}
	}
	return out
}

// orFilter is {"_or": [filters]}.
func orFilter(filters []json.RawMessage) json.RawMessage {
	b, _ := json.Marshal(map[string][]json.RawMessage{"_or": filters})
	return b
}
