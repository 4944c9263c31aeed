package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/stratagql/strata/engine/metadata"
)

// roleCache holds the role schemas derived from one admin schema.
type roleCache struct {
	// m maps a role name to its *roleEntry.
	m sync.Map
	// empty is the schema of roles without any permission, shared.
	emptyOnce sync.Once
	empty     *Schema
}

// roleEntry builds one role's schema once.
type roleEntry struct {
	once sync.Once
	s    *Schema
	err  error
}

// ForRole returns the schema role sees: the admin schema itself for
// "admin", otherwise a schema derived from it with only the tables,
// columns, computed fields, relationships, aggregates and root fields the
// role's select permissions (or, for an inherited role, its parents')
// allow, and a GraphQL schema generated from that model, so that
// validation and introspection know nothing else. Each table's Select
// carries the permission the compiler enforces.
//
// Role schemas are built on first use and cached in s; ForRole is safe for
// concurrent use. A role without permissions gets a schema whose
// query_root only has the placeholder field no_queries_available (shared
// by all such roles). Called on a role schema, ForRole answers for its
// admin schema.
func (s *Schema) ForRole(role string) (*Schema, error) {
	if s == nil {
		return nil, errors.New("schema: ForRole on a nil schema")
	}
	if s.Admin != nil {
		return s.Admin.ForRole(role)
	}
	if role == "admin" {
		return s, nil
	}
	if s.roles == nil || s.perms == nil {
		return nil, errors.New("schema: ForRole needs a schema made by Build")
	}
	return s.forRole(role, false)
}

// ForBackend is ForRole for trusted backend requests (the admin secret with
// x-hasura-use-backend-only-permissions: true): the role's backend_only
// insert, update and delete permissions count too.
func (s *Schema) ForBackend(role string) (*Schema, error) {
	if s.Admin != nil {
		return s.Admin.ForBackend(role)
	}
	if role == "admin" {
		return s, nil
	}
	if s.roles == nil || s.perms == nil {
		return nil, errors.New("schema: ForBackend needs a schema made by Build")
	}
	return s.forRole(role, true)
}

func (s *Schema) forRole(role string, backend bool) (*Schema, error) {
	if !s.perms.known[role] {
		return s.emptyRole(role)
	}
	key := role
	if backend {
		key += "\x00backend-only"
	}
	v, _ := s.roles.m.LoadOrStore(key, &roleEntry{})
	e := v.(*roleEntry)
	e.once.Do(func() { e.s, e.err = s.deriveRole(role, s.perms.selectsOf(role), backend) })
	return e.s, e.err
}

// emptyRole is the schema of a role without any permission: a copy of the
// shared empty schema naming the role.
func (s *Schema) emptyRole(role string) (*Schema, error) {
	c := s.roles
	var err error
	// Named after the first such role: an empty Role would mean admin.
	c.emptyOnce.Do(func() { c.empty, err = s.deriveRole(role, nil, false) })
	if c.empty == nil {
		if err == nil {
			err = errors.New("schema: the empty role schema failed to build")
		}
		return nil, err
	}
	out := *c.empty
	out.Role = role
	return &out, nil
}

// deriveRole builds the schema of a role with the given select
// permissions from the admin model: copies of the tables it can select
// (the admin tables are never changed), restricted to what it may see and
// linked to each other, then the GraphQL schema generated from them.
func (s *Schema) deriveRole(role string, perms map[metadata.QualifiedTable]*selectPerm, backend bool) (out *Schema, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("schema: building the schema of role %q failed: %v", role, p)
		}
	}()
	out = &Schema{
		TablesByName:     map[metadata.QualifiedTable]*Table{},
		QueryRoot:        map[string]*RootField{},
		SubscriptionRoot: map[string]*RootField{},
		Inconsistencies:  s.Inconsistencies,
		Role:             role,
		Admin:            s,
		BackendOnly:      backend,
	}
	visible := map[*Table]*selectPerm{}
	for _, t := range s.Tables {
		if sp := perms[t.Name]; sp != nil {
			visible[t] = sp
		}
	}
	// A table the role could select but see no field of has no GraphQL
	// object type; leaving it out can leave others without fields.
	for changed := true; changed; {
		changed = false
		for _, t := range s.Tables {
			if sp := visible[t]; sp != nil && !hasVisibleField(t, sp, visible) {
				delete(visible, t)
				changed = true
			}
		}
	}
	copies := map[*Table]*Table{}
	for _, t := range s.Tables {
		sp := visible[t]
		if sp == nil {
			if s.perms.writes(role, t.Name) {
				c := writeOnlyTable(t)
				out.Tables = append(out.Tables, c)
				out.TablesByName[c.Name] = c
			}
			continue
		}
		c := new(Table)
		*c = *t
		c.Select = &SelectPermission{
			Filter:            sp.filter,
			Limit:             sp.limit,
			AllowAggregations: sp.aggregations,
			ColumnFilters:     sp.columnFilters,
		}
		c.queryRoots, c.subscriptionRoots = sp.queryRoots, sp.subscriptionRoots
		c.Columns, c.Relationships, c.ComputedFields, c.PrimaryKey = nil, nil, nil, nil
		c.FieldsByName = make(map[string]Field, len(t.FieldsByName))
		for _, col := range t.Columns {
			if !sp.columns[col.Name] {
				continue
			}
			if sp.columnFilters[col.Name] != nil && !col.Nullable {
				// Null on the rows where no parent allowing it sees the row.
				cc := *col
				cc.Nullable = true
				col = &cc
			}
			c.Columns = append(c.Columns, col)
			c.FieldsByName[col.Field] = Field{Column: col}
		}
		// _by_pk needs every primary key column.
		for _, pk := range t.PrimaryKey {
			rc := c.column(pk.Name)
			if rc == nil {
				c.PrimaryKey = nil
				break
			}
			c.PrimaryKey = append(c.PrimaryKey, rc)
		}
		copies[t] = c
		out.Tables = append(out.Tables, c)
		out.TablesByName[c.Name] = c
	}
	for _, t := range s.Tables {
		c := copies[t]
		if c == nil {
			continue
		}
		sp := visible[t]
		for _, rel := range t.Relationships {
			target := copies[rel.Target]
			if target == nil {
				continue
			}
			nr := new(Relationship)
			*nr = *rel
			nr.Target = target
			if nr.Kind == ObjectRel && !isTrivialFilter(target.Select.Filter) {
				// The related row may be filtered out.
				nr.Nullable = true
			}
			c.Relationships = append(c.Relationships, nr)
			c.FieldsByName[nr.Name] = Field{Relationship: nr}
			if nr.Kind == ArrayRel && target.Select.AllowAggregations {
				c.FieldsByName[nr.Name+"_aggregate"] = Field{Relationship: nr, Aggregate: true}
			}
		}
		for _, cf := range t.ComputedFields {
			if !sp.computed[cf.Name] {
				continue
			}
			if cf.Returns != nil {
				target := copies[cf.Returns]
				if target == nil {
					continue
				}
				ncf := new(ComputedField)
				*ncf = *cf
				ncf.Returns = target
				cf = ncf
			}
			c.ComputedFields = append(c.ComputedFields, cf)
			c.FieldsByName[cf.Name] = Field{ComputedField: cf}
		}
	}
	s.attachMutationPermissions(out, role)
	g := &gen{m: out, admin: s.GraphQL}
	g.generate()
	return out, nil
}

// denyAll is a row filter no row passes.
var denyAll = json.RawMessage(`{"_or":[]}`)

// writeOnlyTable is the role copy of t for a role that may insert into,
// update or delete from t but not select it. As Hasura documents, such a
// role gets insert_<t>, update_<t>, update_<t>_many and delete_<t>
// answering affected_rows only: returning, insert_<t>_one and the _by_pk
// fields return rows and need the select permission. The copy has no
// field of its own (so <t>_bool_exp has only _and, _or and _not: a where
// cannot test what the role cannot read), no query or subscription root
// field and, should anything still select its rows, a filter no row
// passes.
func writeOnlyTable(t *Table) *Table {
	c := new(Table)
	*c = *t
	c.Select = &SelectPermission{Filter: denyAll}
	c.writeOnly = true
	c.queryRoots, c.subscriptionRoots = rootSet{}, rootSet{}
	c.Columns, c.Relationships, c.ComputedFields, c.PrimaryKey = nil, nil, nil, nil
	c.FieldsByName = map[string]Field{}
	return c
}

// hasVisibleField reports whether a role with select permission sp on t
// sees at least one field of it, given the tables it can select.
func hasVisibleField(t *Table, sp *selectPerm, visible map[*Table]*selectPerm) bool {
	if len(sp.columns) > 0 {
		return true
	}
	for _, cf := range t.ComputedFields {
		if sp.computed[cf.Name] && (cf.Returns == nil || visible[cf.Returns] != nil) {
			return true
		}
	}
	for _, r := range t.Relationships {
		if visible[r.Target] != nil {
			return true
		}
	}
	return false
}

// Roles returns the roles with a consistent permission or inherited role
// definition, sorted (admin is not listed).
func (s *Schema) Roles() []string {
	if s.Admin != nil {
		return s.Admin.Roles()
	}
	if s.perms == nil {
		return nil
	}
	out := make([]string, 0, len(s.perms.known))
	for r := range s.perms.known {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// insertPerm, updatePerm and deletePerm return role's consistent
// (validated at Build, or for an inherited role derived from its parents')
// mutation permission on table q, with its filter and check in
// NormalizeBoolExp's canonical form, or nil.
func (s *Schema) insertPerm(role string, q metadata.QualifiedTable) *metadata.InsertPermDef {
	if s.Admin != nil {
		return s.Admin.insertPerm(role, q)
	}
	return s.perms.inserts[role][q]
}

func (s *Schema) updatePerm(role string, q metadata.QualifiedTable) *metadata.UpdatePermDef {
	if s.Admin != nil {
		return s.Admin.updatePerm(role, q)
	}
	return s.perms.updates[role][q]
}

func (s *Schema) deletePerm(role string, q metadata.QualifiedTable) *metadata.DeletePermDef {
	if s.Admin != nil {
		return s.Admin.deletePerm(role, q)
	}
	return s.perms.deletes[role][q]
}

// writes reports whether role has an insert, update or delete permission
// on table q.
func (p *rolePerms) writes(role string, q metadata.QualifiedTable) bool {
	return p.inserts[role][q] != nil || p.updates[role][q] != nil || p.deletes[role][q] != nil
}
