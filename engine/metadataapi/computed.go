package metadataapi

import (
	"slices"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/metadata"
)

// addComputedField is pg_add_computed_field.
func addComputedField(c *call) (edit, *Error) {
	o, err := newObject(c.args, c.path)
	if err != nil {
		return nil, err
	}
	t, err := o.tableArgs()
	if err != nil {
		return nil, err
	}
	var f metadata.ComputedField
	if err := o.req("name", &f.Name); err != nil {
		return nil, err
	}
	if err := o.req("definition", &f.Definition); err != nil {
		return nil, err
	}
	if err := o.opt("comment", &f.Comment); err != nil {
		return nil, err
	}
	if err := o.done(); err != nil {
		return nil, err
	}
	return func(md *metadata.Metadata, cat *catalog.Catalog) error {
		_, tbl, err := c.tracked(md, t)
		if err != nil {
			return err
		}
		if err := c.fieldTaken(tbl, cat.Table(t.Table), f.Name); err != nil {
			return err
		}
		if len(cat.Functions[f.Definition.Function]) == 0 {
			return notExists(c.path+".definition.function", "no such function exists: %q", f.Definition.Function.Display())
		}
		tbl.ComputedFields = append(tbl.ComputedFields, f)
		return nil
	}, nil
}

// dropComputedField is pg_drop_computed_field.
func dropComputedField(c *call) (edit, *Error) {
	o, err := newObject(c.args, c.path)
	if err != nil {
		return nil, err
	}
	t, err := o.tableArgs()
	if err != nil {
		return nil, err
	}
	var name string
	var cascade bool
	if err := o.req("name", &name); err != nil {
		return nil, err
	}
	if err := o.opt("cascade", &cascade); err != nil {
		return nil, err
	}
	if err := o.done(); err != nil {
		return nil, err
	}
	return func(md *metadata.Metadata, _ *catalog.Catalog) error {
		src, tbl, err := c.tracked(md, t)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(tbl.ComputedFields, func(f metadata.ComputedField) bool { return f.Name == name }) {
			return notExists(c.path, "computed field %q does not exist", name)
		}
		if deps := permsUsing(tbl, name, false); len(deps) > 0 {
			if !cascade {
				return dependencyError(c.path, src.Name, deps)
			}
			removeRefs(src, deps)
		}
		removeRefs(src, []objRef{{Kind: "computed field", Table: t.Table, Name: name}})
		return nil
	}, nil
}
