package metaedit

import (
	"slices"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/metadata"
)

func init() {
	register(
		sourceSpec("add_computed_field", func() Edit { return new(addComputedField) }),
		sourceSpec("drop_computed_field", func() Edit { return new(dropComputedField) }),
	)
}

// addComputedField is pg_add_computed_field.
type addComputedField struct {
	TableRef
	Name       string                           `json:"name" args:"required"`
	Definition metadata.ComputedFieldDefinition `json:"definition" args:"required"`
	Comment    *string                          `json:"comment"`
}

// Apply implements Edit.
func (a *addComputedField) Apply(md *metadata.Metadata, cat *catalog.Catalog) error {
	_, tbl, err := a.tracked(md)
	if err != nil {
		return err
	}
	if err := fieldTaken(tbl, cat.Table(a.Table), a.Name); err != nil {
		return err
	}
	if len(cat.Functions[a.Definition.Function]) == 0 {
		return notExists("$.definition.function", "no such function exists: %q", a.Definition.Function.Display())
	}
	tbl.ComputedFields = append(tbl.ComputedFields, metadata.ComputedField{Name: a.Name, Definition: a.Definition, Comment: a.Comment})
	return nil
}

// dropComputedField is pg_drop_computed_field.
type dropComputedField struct {
	TableRef
	Name    string `json:"name" args:"required"`
	Cascade bool   `json:"cascade"`
}

// Apply implements Edit.
func (a *dropComputedField) Apply(md *metadata.Metadata, _ *catalog.Catalog) error {
	src, tbl, err := a.tracked(md)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(tbl.ComputedFields, func(f metadata.ComputedField) bool { return f.Name == a.Name }) {
		return notExists("$", "computed field %q does not exist", a.Name)
	}
	if deps := permsUsing(tbl, a.Name, false); len(deps) > 0 {
		if !a.Cascade {
			return dependencyError(src.Name, deps)
		}
		removeRefs(src, deps)
	}
	removeRefs(src, []objRef{{Kind: "computed field", Table: a.Table, Name: a.Name}})
	return nil
}
