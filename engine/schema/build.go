package schema

import (
	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/metadata"
)

// Build resolves the default source of md against cat and generates the
// admin GraphQL schema. Objects that do not match the database are left out
// and reported in Schema.Inconsistencies; Build fails only on internal errors.
func Build(md *metadata.Metadata, cat *catalog.Catalog) (*Schema, error) {
	// Placeholder until the resolver and generator land (being written now).
	return &Schema{TablesByName: map[metadata.QualifiedTable]*Table{}, QueryRoot: map[string]*RootField{}}, nil
}
