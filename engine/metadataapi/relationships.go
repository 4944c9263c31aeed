package metadataapi

import (
	"encoding/json"
	"slices"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/metadata"
)

// fieldTaken reports a name clash with a column, relationship or
// computed field of the table.
func (c *call) fieldTaken(tbl *metadata.Table, ct *catalog.Table, name string) *Error {
	clash := ct != nil && ct.Column(name) != nil
	for _, r := range tbl.ObjectRelationships {
		clash = clash || r.Name == name
	}
	for _, r := range tbl.ArrayRelationships {
		clash = clash || r.Name == name
	}
	for _, f := range tbl.ComputedFields {
		clash = clash || f.Name == name
	}
	if clash {
		return alreadyExists(c.path, "column/relationship %q of table %q already exists", name, tbl.Table.Display())
	}
	return nil
}

// relArgs reads the arguments shared by both create calls.
type relArgs struct {
	target
	Name    string
	Using   json.RawMessage
	Comment *string
}

func parseRelArgs(c *call) (relArgs, *Error) {
	var a relArgs
	o, err := newObject(c.args, c.path)
	if err != nil {
		return a, err
	}
	if a.target, err = o.tableArgs(); err != nil {
		return a, err
	}
	if err := o.req("name", &a.Name); err != nil {
		return a, err
	}
	if err := o.req("using", &a.Using); err != nil {
		return a, err
	}
	if err := o.opt("comment", &a.Comment); err != nil {
		return a, err
	}
	if err := o.done(); err != nil {
		return a, err
	}
	uo, err := newObject(a.Using, c.path+".using")
	if err != nil {
		return a, err
	}
	if uo.has("foreign_key_constraint_on") == uo.has("manual_configuration") {
		return a, parseFailed(c.path+".using", "one of foreign_key_constraint_on or manual_configuration should be present")
	}
	uo.ignore("foreign_key_constraint_on", "manual_configuration")
	if err := uo.done(); err != nil {
		return a, err
	}
	return a, nil
}

// manual checks a manual_configuration.
func (c *call) manual(cat *catalog.Catalog, ct *catalog.Table, m *metadata.ManualConfiguration) *Error {
	path := c.path + ".using.manual_configuration"
	rt := cat.Table(m.RemoteTable)
	if rt == nil {
		return notExists(path, "table %q does not exist", m.RemoteTable.Display())
	}
	for from, to := range m.ColumnMapping {
		if ct.Column(from) == nil {
			return notExists(path+".column_mapping", "no such column exists: %q", from)
		}
		if rt.Column(to) == nil {
			return notExists(path+".column_mapping", "no such column exists: %q", to)
		}
	}
	return nil
}

// createObjectRelationship is pg_create_object_relationship.
func createObjectRelationship(c *call) (edit, *Error) {
	a, perr := parseRelArgs(c)
	if perr != nil {
		return nil, perr
	}
	var using metadata.ObjectRelUsing
	if err := decode(a.Using, c.path+".using", &using); err != nil {
		return nil, err
	}
	return func(md *metadata.Metadata, cat *catalog.Catalog) error {
		_, tbl, err := c.tracked(md, a.target)
		if err != nil {
			return err
		}
		ct, err := c.dbTable(cat, a.Table)
		if err != nil {
			return err
		}
		if err := c.fieldTaken(tbl, ct, a.Name); err != nil {
			return err
		}
		path := c.path + ".using.foreign_key_constraint_on"
		switch fk := using.ForeignKeyConstraintOn; {
		case using.ManualConfiguration != nil:
			if err := c.manual(cat, ct, using.ManualConfiguration); err != nil {
				return err
			}
		case fk.Table != nil:
			rt := cat.Table(*fk.Table)
			if rt == nil {
				return notExists(path, "table %q does not exist", fk.Table.Display())
			}
			if err := c.columns(rt, fk.Columns, path); err != nil {
				return err
			}
			if rt.ForeignKeyOn(fk.Columns, &a.Table) == nil {
				return notExists(path, "no foreign constraint exists on the given column(s)")
			}
		default:
			if err := c.columns(ct, fk.Columns, path); err != nil {
				return err
			}
			if ct.ForeignKeyOn(fk.Columns, nil) == nil {
				return notExists(path, "no foreign constraint exists on the given column(s)")
			}
		}
		tbl.ObjectRelationships = append(tbl.ObjectRelationships, metadata.ObjectRelationship{Name: a.Name, Using: using, Comment: a.Comment})
		return nil
	}, nil
}

// createArrayRelationship is pg_create_array_relationship.
func createArrayRelationship(c *call) (edit, *Error) {
	a, perr := parseRelArgs(c)
	if perr != nil {
		return nil, perr
	}
	var using metadata.ArrayRelUsing
	if err := decode(a.Using, c.path+".using", &using); err != nil {
		return nil, err
	}
	return func(md *metadata.Metadata, cat *catalog.Catalog) error {
		_, tbl, err := c.tracked(md, a.target)
		if err != nil {
			return err
		}
		ct, err := c.dbTable(cat, a.Table)
		if err != nil {
			return err
		}
		if err := c.fieldTaken(tbl, ct, a.Name); err != nil {
			return err
		}
		if using.ManualConfiguration != nil {
			if err := c.manual(cat, ct, using.ManualConfiguration); err != nil {
				return err
			}
		} else {
			fk := using.ForeignKeyConstraintOn
			path := c.path + ".using.foreign_key_constraint_on"
			rt := cat.Table(fk.Table)
			if rt == nil {
				return notExists(path, "table %q does not exist", fk.Table.Display())
			}
			if err := c.columns(rt, fk.Columns, path); err != nil {
				return err
			}
			if rt.ForeignKeyOn(fk.Columns, &a.Table) == nil {
				return notExists(path, "no foreign constraint exists on the given column(s)")
			}
		}
		tbl.ArrayRelationships = append(tbl.ArrayRelationships, metadata.ArrayRelationship{Name: a.Name, Using: using, Comment: a.Comment})
		return nil
	}, nil
}

// hasRelationship reports whether tbl has the named relationship.
func hasRelationship(tbl *metadata.Table, name string) bool {
	return slices.ContainsFunc(tbl.ObjectRelationships, func(r metadata.ObjectRelationship) bool { return r.Name == name }) ||
		slices.ContainsFunc(tbl.ArrayRelationships, func(r metadata.ArrayRelationship) bool { return r.Name == name })
}

func (c *call) relationship(md *metadata.Metadata, t target, name string) (*metadata.Source, *metadata.Table, *Error) {
	src, tbl, err := c.tracked(md, t)
	if err != nil {
		return nil, nil, err
	}
	if !hasRelationship(tbl, name) {
		return nil, nil, notExists(c.path, "relationship %q does not exist in table %q", name, t.Table.Display())
	}
	return src, tbl, nil
}

// dropRelationship is pg_drop_relationship.
func dropRelationship(c *call) (edit, *Error) {
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
	if err := o.req("relationship", &name); err != nil {
		return nil, err
	}
	if err := o.opt("cascade", &cascade); err != nil {
		return nil, err
	}
	if err := o.done(); err != nil {
		return nil, err
	}
	return func(md *metadata.Metadata, _ *catalog.Catalog) error {
		src, tbl, err := c.relationship(md, t, name)
		if err != nil {
			return err
		}
		if deps := permsUsing(tbl, name, false); len(deps) > 0 {
			if !cascade {
				return dependencyError(c.path, src.Name, deps)
			}
			removeRefs(src, deps)
		}
		removeRefs(src, []objRef{{Kind: "relationship", Table: t.Table, Name: name}})
		return nil
	}, nil
}

// renameRelationship is pg_rename_relationship.
func renameRelationship(c *call) (edit, *Error) {
	o, err := newObject(c.args, c.path)
	if err != nil {
		return nil, err
	}
	t, err := o.tableArgs()
	if err != nil {
		return nil, err
	}
	var name, newName string
	if err := o.req("name", &name); err != nil {
		return nil, err
	}
	if err := o.req("new_name", &newName); err != nil {
		return nil, err
	}
	if err := o.done(); err != nil {
		return nil, err
	}
	return func(md *metadata.Metadata, cat *catalog.Catalog) error {
		_, tbl, err := c.relationship(md, t, name)
		if err != nil {
			return err
		}
		if err := c.fieldTaken(tbl, cat.Table(t.Table), newName); err != nil {
			return err
		}
		for i := range tbl.ObjectRelationships {
			if tbl.ObjectRelationships[i].Name == name {
				tbl.ObjectRelationships[i].Name = newName
			}
		}
		for i := range tbl.ArrayRelationships {
			if tbl.ArrayRelationships[i].Name == name {
				tbl.ArrayRelationships[i].Name = newName
			}
		}
		renameFieldInPermissions(tbl, name, newName)
		return nil
	}, nil
}

// setRelationshipComment is pg_set_relationship_comment.
func setRelationshipComment(c *call) (edit, *Error) {
	o, err := newObject(c.args, c.path)
	if err != nil {
		return nil, err
	}
	t, err := o.tableArgs()
	if err != nil {
		return nil, err
	}
	var name string
	var comment *string
	if err := o.req("relationship", &name); err != nil {
		return nil, err
	}
	if err := o.opt("comment", &comment); err != nil {
		return nil, err
	}
	if err := o.done(); err != nil {
		return nil, err
	}
	return func(md *metadata.Metadata, _ *catalog.Catalog) error {
		_, tbl, err := c.relationship(md, t, name)
		if err != nil {
			return err
		}
		for i := range tbl.ObjectRelationships {
			if tbl.ObjectRelationships[i].Name == name {
				tbl.ObjectRelationships[i].Comment = comment
			}
		}
		for i := range tbl.ArrayRelationships {
			if tbl.ArrayRelationships[i].Name == name {
				tbl.ArrayRelationships[i].Comment = comment
			}
		}
		return nil
	}, nil
}

// renameFieldInPermissions renames a field in every boolean expression of
// tbl's permissions.
func renameFieldInPermissions(tbl *metadata.Table, from, to string) {
	for i := range tbl.SelectPermissions {
		p := &tbl.SelectPermissions[i].Permission
		p.Filter = renameBoolExpField(p.Filter, from, to)
	}
	for i := range tbl.InsertPermissions {
		p := &tbl.InsertPermissions[i].Permission
		p.Check = renameBoolExpField(p.Check, from, to)
	}
	for i := range tbl.UpdatePermissions {
		p := &tbl.UpdatePermissions[i].Permission
		p.Filter = renameBoolExpField(p.Filter, from, to)
		p.Check = renameBoolExpField(p.Check, from, to)
	}
	for i := range tbl.DeletePermissions {
		p := &tbl.DeletePermissions[i].Permission
		p.Filter = renameBoolExpField(p.Filter, from, to)
	}
}
