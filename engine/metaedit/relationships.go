package metaedit

import (
	"encoding/json"
	"slices"

	"github.com/stratagql/strata/engine/apiargs"
	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/metadata"
)

func init() {
	register(
		sourceSpec("create_object_relationship", func() Edit { return new(createObjectRelationship) }),
		sourceSpec("create_array_relationship", func() Edit { return new(createArrayRelationship) }),
		sourceSpec("drop_relationship", func() Edit { return new(dropRelationship) }),
		sourceSpec("rename_relationship", func() Edit { return new(renameRelationship) }),
		sourceSpec("set_relationship_comment", func() Edit { return new(setRelationshipComment) }),
	)
}

// fieldTaken reports a name clash with a column, relationship or
// computed field of the table.
func fieldTaken(tbl *metadata.Table, ct *catalog.Table, name string) error {
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
		return alreadyExists("$", "column/relationship %q of table %q already exists", name, tbl.Table.Display())
	}
	return nil
}

// createRelationship holds the arguments both create commands share;
// "using" is checked and decoded into U once the rest is read.
type createRelationship[U any] struct {
	TableRef
	Name    string          `json:"name" args:"required"`
	Using   json.RawMessage `json:"using" args:"required"`
	Comment *string         `json:"comment"`

	using U
}

// ValidateArgs implements apiargs.Validator: "using" is an object with
// exactly one of foreign_key_constraint_on and manual_configuration.
func (a *createRelationship[U]) ValidateArgs(path string) *hasuraerr.Error {
	path += ".using"
	m, err := apiargs.Object(a.Using, path)
	if err != nil {
		return err
	}
	has := func(k string) bool { v, ok := m[k]; return ok && !apiargs.IsNull(v) }
	if has("foreign_key_constraint_on") == has("manual_configuration") {
		return apiargs.ParseFailed(path, "one of foreign_key_constraint_on or manual_configuration should be present")
	}
	var keys struct {
		FK     apiargs.Ignored `json:"foreign_key_constraint_on"`
		Manual apiargs.Ignored `json:"manual_configuration"`
	}
	if err := apiargs.Decode(a.Using, path, &keys); err != nil {
		return err
	}
	return apiargs.Value(a.Using, path, &a.using)
}

// create checks the table and the name, then "using" (check, given the
// table's catalogue entry), and adds the relationship (add).
func (a *createRelationship[U]) create(md *metadata.Metadata, cat *catalog.Catalog, check func(ct *catalog.Table) error, add func(tbl *metadata.Table)) error {
	_, tbl, err := a.tracked(md)
	if err != nil {
		return err
	}
	ct, err := dbTable(cat, a.Table)
	if err != nil {
		return err
	}
	if err := fieldTaken(tbl, ct, a.Name); err != nil {
		return err
	}
	if err := check(ct); err != nil {
		return err
	}
	add(tbl)
	return nil
}

// checkManual checks a manual_configuration.
func checkManual(cat *catalog.Catalog, ct *catalog.Table, m *metadata.ManualConfiguration) error {
	const path = "$.using.manual_configuration"
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

// fkPath is where foreign-key errors are reported.
const fkPath = "$.using.foreign_key_constraint_on"

// checkRemoteFK checks a foreign key on table remote, over cols,
// referencing table to.
func checkRemoteFK(cat *catalog.Catalog, remote metadata.QualifiedTable, cols []string, to metadata.QualifiedTable) error {
	rt := cat.Table(remote)
	if rt == nil {
		return notExists(fkPath, "table %q does not exist", remote.Display())
	}
	if err := columns(rt, cols, fkPath); err != nil {
		return err
	}
	if rt.ForeignKeyOn(cols, &to) == nil {
		return notExists(fkPath, "no foreign constraint exists on the given column(s)")
	}
	return nil
}

// createObjectRelationship is pg_create_object_relationship.
type createObjectRelationship struct {
	createRelationship[metadata.ObjectRelUsing]
}

// Apply implements Edit.
func (a *createObjectRelationship) Apply(md *metadata.Metadata, cat *catalog.Catalog) error {
	u := a.using
	return a.create(md, cat, func(ct *catalog.Table) error {
		switch fk := u.ForeignKeyConstraintOn; {
		case u.ManualConfiguration != nil:
			return checkManual(cat, ct, u.ManualConfiguration)
		case fk.Table != nil:
			return checkRemoteFK(cat, *fk.Table, fk.Columns, a.Table)
		default:
			if err := columns(ct, fk.Columns, fkPath); err != nil {
				return err
			}
			if ct.ForeignKeyOn(fk.Columns, nil) == nil {
				return notExists(fkPath, "no foreign constraint exists on the given column(s)")
			}
			return nil
		}
	}, func(tbl *metadata.Table) {
		tbl.ObjectRelationships = append(tbl.ObjectRelationships, metadata.ObjectRelationship{Name: a.Name, Using: u, Comment: a.Comment})
	})
}

// createArrayRelationship is pg_create_array_relationship.
type createArrayRelationship struct {
	createRelationship[metadata.ArrayRelUsing]
}

// Apply implements Edit.
func (a *createArrayRelationship) Apply(md *metadata.Metadata, cat *catalog.Catalog) error {
	u := a.using
	return a.create(md, cat, func(ct *catalog.Table) error {
		if u.ManualConfiguration != nil {
			return checkManual(cat, ct, u.ManualConfiguration)
		}
		return checkRemoteFK(cat, u.ForeignKeyConstraintOn.Table, u.ForeignKeyConstraintOn.Columns, a.Table)
	}, func(tbl *metadata.Table) {
		tbl.ArrayRelationships = append(tbl.ArrayRelationships, metadata.ArrayRelationship{Name: a.Name, Using: u, Comment: a.Comment})
	})
}

// hasRelationship reports whether tbl has the named relationship.
func hasRelationship(tbl *metadata.Table, name string) bool {
	return slices.ContainsFunc(tbl.ObjectRelationships, func(r metadata.ObjectRelationship) bool { return r.Name == name }) ||
		slices.ContainsFunc(tbl.ArrayRelationships, func(r metadata.ArrayRelationship) bool { return r.Name == name })
}

// eachRelationship calls f with the name and comment of each relationship
// of tbl called name.
func eachRelationship(tbl *metadata.Table, name string, f func(name *string, comment **string)) {
	for i := range tbl.ObjectRelationships {
		if r := &tbl.ObjectRelationships[i]; r.Name == name {
			f(&r.Name, &r.Comment)
		}
	}
	for i := range tbl.ArrayRelationships {
		if r := &tbl.ArrayRelationships[i]; r.Name == name {
			f(&r.Name, &r.Comment)
		}
	}
}

// relationship returns the source and table holding r's relationship name.
func (r TableRef) relationship(md *metadata.Metadata, name string) (*metadata.Source, *metadata.Table, error) {
	src, tbl, err := r.tracked(md)
	if err != nil {
		return nil, nil, err
	}
	if !hasRelationship(tbl, name) {
		return nil, nil, notExists("$", "relationship %q does not exist in table %q", name, r.Table.Display())
	}
	return src, tbl, nil
}

// dropRelationship is pg_drop_relationship.
type dropRelationship struct {
	TableRef
	Relationship string `json:"relationship" args:"required"`
	Cascade      bool   `json:"cascade"`
}

// Apply implements Edit.
func (a *dropRelationship) Apply(md *metadata.Metadata, _ *catalog.Catalog) error {
	src, tbl, err := a.relationship(md, a.Relationship)
	if err != nil {
		return err
	}
	if deps := permsUsing(tbl, a.Relationship, false); len(deps) > 0 {
		if !a.Cascade {
			return dependencyError(src.Name, deps)
		}
		removeRefs(src, deps)
	}
	removeRefs(src, []objRef{{Kind: "relationship", Table: a.Table, Name: a.Relationship}})
	return nil
}

// renameRelationship is pg_rename_relationship.
type renameRelationship struct {
	TableRef
	Name    string `json:"name" args:"required"`
	NewName string `json:"new_name" args:"required"`
}

// Apply implements Edit.
func (a *renameRelationship) Apply(md *metadata.Metadata, cat *catalog.Catalog) error {
	_, tbl, err := a.relationship(md, a.Name)
	if err != nil {
		return err
	}
	if err := fieldTaken(tbl, cat.Table(a.Table), a.NewName); err != nil {
		return err
	}
	eachRelationship(tbl, a.Name, func(name *string, _ **string) { *name = a.NewName })
	renameFieldInPermissions(tbl, a.Name, a.NewName)
	return nil
}

// setRelationshipComment is pg_set_relationship_comment.
type setRelationshipComment struct {
	TableRef
	Relationship string  `json:"relationship" args:"required"`
	Comment      *string `json:"comment"`
}

// Apply implements Edit.
func (a *setRelationshipComment) Apply(md *metadata.Metadata, _ *catalog.Catalog) error {
	_, tbl, err := a.relationship(md, a.Relationship)
	if err != nil {
		return err
	}
	eachRelationship(tbl, a.Relationship, func(_ *string, comment **string) { *comment = a.Comment })
	return nil
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
