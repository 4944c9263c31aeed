package schema

import (
	"fmt"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/metadata"
)

// Build resolves the default source of md against cat and generates the
// admin GraphQL schema. Objects that do not match the database are left out
// and reported in Schema.Inconsistencies; Build fails only on internal errors.
//
// The rows of is_enum tables must have been read into cat.EnumValues first
// (catalog.LoadEnumValues); an enum table without them is inconsistent.
func Build(md *metadata.Metadata, cat *catalog.Catalog) (s *Schema, err error) {
	defer func() {
		// Build works on user-provided metadata: a bug must surface as an
		// error, never take the engine down.
		if p := recover(); p != nil {
			s, err = nil, fmt.Errorf("schema: build failed: %v", p)
		}
	}()
	if cat == nil {
		cat = &catalog.Catalog{}
	}
	out := &Schema{
		TablesByName:     map[metadata.QualifiedTable]*Table{},
		QueryRoot:        map[string]*RootField{},
		SubscriptionRoot: map[string]*RootField{},
		Role:             "admin",
		perms:            newRolePerms(),
		roles:            &roleCache{},
	}
	r := &resolver{
		cat:       cat,
		out:       out,
		typeNames: map[string]metadata.QualifiedTable{},
		rootNames: map[string]metadata.QualifiedTable{},
	}
	if md != nil {
		if src := md.Source(metadata.DefaultSource); src != nil {
			r.resolveTables(src)
			r.resolveEnumTables()
			r.resolveEnumReferences()
			r.resolveRelationships()
			r.resolveComputedFields()
		}
		r.resolvePermissions(md)
	}
	g := &gen{m: out}
	g.generate()
	return out, nil
}
