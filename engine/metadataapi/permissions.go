package metadataapi

import (
	"encoding/json"
	"net/http"
	"slices"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/metadata"
)

// permKinds are the permission types, in Hasura's order.
var permKinds = []string{"insert", "select", "update", "delete"}

// hasPermission reports whether tbl has a kind permission for role.
func hasPermission(tbl *metadata.Table, kind, role string) bool {
	switch kind {
	case "select":
		return slices.ContainsFunc(tbl.SelectPermissions, func(p metadata.SelectPermission) bool { return p.Role == role })
	case "insert":
		return slices.ContainsFunc(tbl.InsertPermissions, func(p metadata.InsertPermission) bool { return p.Role == role })
	case "update":
		return slices.ContainsFunc(tbl.UpdatePermissions, func(p metadata.UpdatePermission) bool { return p.Role == role })
	case "delete":
		return slices.ContainsFunc(tbl.DeletePermissions, func(p metadata.DeletePermission) bool { return p.Role == role })
	}
	return false
}

// dropPermission removes tbl's kind permission for role.
func dropPermission(tbl *metadata.Table, kind, role string) {
	switch kind {
	case "select":
		tbl.SelectPermissions = slices.DeleteFunc(tbl.SelectPermissions, func(p metadata.SelectPermission) bool { return p.Role == role })
	case "insert":
		tbl.InsertPermissions = slices.DeleteFunc(tbl.InsertPermissions, func(p metadata.InsertPermission) bool { return p.Role == role })
	case "update":
		tbl.UpdatePermissions = slices.DeleteFunc(tbl.UpdatePermissions, func(p metadata.UpdatePermission) bool { return p.Role == role })
	case "delete":
		tbl.DeletePermissions = slices.DeleteFunc(tbl.DeletePermissions, func(p metadata.DeletePermission) bool { return p.Role == role })
	}
}

// createPermission returns pg_create_<kind>_permission.
func createPermission(kind string) func(c *call) (edit, *Error) {
	return func(c *call) (edit, *Error) {
		o, err := newObject(c.args, c.path)
		if err != nil {
			return nil, err
		}
		t, err := o.tableArgs()
		if err != nil {
			return nil, err
		}
		var role string
		var comment *string
		if err := o.req("role", &role); err != nil {
			return nil, err
		}
		if err := o.opt("comment", &comment); err != nil {
			return nil, err
		}
		raw := o.raw("permission")
		if raw == nil {
			return nil, parseFailed(c.path, "key %q not found", "permission")
		}
		if err := o.done(); err != nil {
			return nil, err
		}
		ppath := c.path + ".permission"
		po, err := newObject(raw, ppath)
		if err != nil {
			return nil, err
		}
		var cols metadata.Columns
		var check []string // boolean expressions that must be objects
		var apply func(tbl *metadata.Table)
		switch kind {
		case "select":
			var d metadata.SelectPermDef
			if err := decode(raw, ppath, &d); err != nil {
				return nil, err
			}
			if d.Filter == nil {
				d.Filter = json.RawMessage(`{}`)
			}
			cols, check = d.Columns, []string{"filter"}
			apply = func(tbl *metadata.Table) {
				tbl.SelectPermissions = append(tbl.SelectPermissions, metadata.SelectPermission{Role: role, Permission: d, Comment: comment})
			}
			if err := po.req("columns", new(json.RawMessage)); err != nil {
				return nil, err
			}
		case "insert":
			var d metadata.InsertPermDef
			if err := decode(raw, ppath, &d); err != nil {
				return nil, err
			}
			if d.Check == nil {
				d.Check = json.RawMessage(`{}`)
			}
			cols, check = d.Columns, []string{"check"}
			apply = func(tbl *metadata.Table) {
				tbl.InsertPermissions = append(tbl.InsertPermissions, metadata.InsertPermission{Role: role, Permission: d, Comment: comment})
			}
		case "update":
			var d metadata.UpdatePermDef
			if err := decode(raw, ppath, &d); err != nil {
				return nil, err
			}
			if d.Filter == nil {
				d.Filter = json.RawMessage(`{}`)
			}
			cols, check = d.Columns, []string{"filter", "check"}
			apply = func(tbl *metadata.Table) {
				tbl.UpdatePermissions = append(tbl.UpdatePermissions, metadata.UpdatePermission{Role: role, Permission: d, Comment: comment})
			}
			if err := po.req("columns", new(json.RawMessage)); err != nil {
				return nil, err
			}
		case "delete":
			var d metadata.DeletePermDef
			if err := decode(raw, ppath, &d); err != nil {
				return nil, err
			}
			if d.Filter == nil {
				d.Filter = json.RawMessage(`{}`)
			}
			check = []string{"filter"}
			apply = func(tbl *metadata.Table) {
				tbl.DeletePermissions = append(tbl.DeletePermissions, metadata.DeletePermission{Role: role, Permission: d, Comment: comment})
			}
		}
		for _, k := range check {
			if v := po.raw(k); v != nil && jsonKind(v) != "Object" && jsonKind(v) != "Null" {
				return nil, parseFailed(ppath+"."+k, "expected Object, but encountered %s", jsonKind(v))
			}
		}
		var computed []string
		if kind == "select" {
			var d metadata.SelectPermDef
			_ = json.Unmarshal(raw, &d)
			computed = d.ComputedFields
		}
		return func(md *metadata.Metadata, cat *catalog.Catalog) error {
			_, tbl, err := c.tracked(md, t)
			if err != nil {
				return err
			}
			if role == "admin" {
				return newErr(http.StatusBadRequest, codeConstraintViolate, c.path, "cannot define permission for admin role")
			}
			if hasPermission(tbl, kind, role) {
				return alreadyExists(c.path, "%s permission already defined on table %q with role %q", kind, t.Table.Display(), role)
			}
			ct, err := c.dbTable(cat, t.Table)
			if err != nil {
				return err
			}
			if err := c.columns(ct, cols.Names, ppath+".columns"); err != nil {
				return err
			}
			for _, f := range computed {
				if !slices.ContainsFunc(tbl.ComputedFields, func(x metadata.ComputedField) bool { return x.Name == f }) {
					return notExists(ppath+".computed_fields", "computed field %q does not exist", f)
				}
			}
			apply(tbl)
			return nil
		}, nil
	}
}

// dropPermissionCmd returns pg_drop_<kind>_permission.
func dropPermissionCmd(kind string) func(c *call) (edit, *Error) {
	return func(c *call) (edit, *Error) {
		o, err := newObject(c.args, c.path)
		if err != nil {
			return nil, err
		}
		t, err := o.tableArgs()
		if err != nil {
			return nil, err
		}
		var role string
		if err := o.req("role", &role); err != nil {
			return nil, err
		}
		if err := o.done(); err != nil {
			return nil, err
		}
		return func(md *metadata.Metadata, _ *catalog.Catalog) error {
			_, tbl, err := c.tracked(md, t)
			if err != nil {
				return err
			}
			if !hasPermission(tbl, kind, role) {
				return notExists(c.path, "%s permission for role %q does not exist on table %q", kind, role, t.Table.Display())
			}
			dropPermission(tbl, kind, role)
			return nil
		}, nil
	}
}

// setPermissionComment is pg_set_permission_comment.
func setPermissionComment(c *call) (edit, *Error) {
	o, err := newObject(c.args, c.path)
	if err != nil {
		return nil, err
	}
	t, err := o.tableArgs()
	if err != nil {
		return nil, err
	}
	var role, kind string
	var comment *string
	if err := o.req("role", &role); err != nil {
		return nil, err
	}
	if err := o.req("type", &kind); err != nil {
		return nil, err
	}
	if !slices.Contains(permKinds, kind) {
		return nil, parseFailed(c.path+".type", "expected one of insert, select, update, delete")
	}
	if err := o.opt("comment", &comment); err != nil {
		return nil, err
	}
	if err := o.done(); err != nil {
		return nil, err
	}
	return func(md *metadata.Metadata, _ *catalog.Catalog) error {
		_, tbl, err := c.tracked(md, t)
		if err != nil {
			return err
		}
		if !hasPermission(tbl, kind, role) {
			return notExists(c.path, "%s permission for role %q does not exist on table %q", kind, role, t.Table.Display())
		}
		for i := range tbl.SelectPermissions {
			if kind == "select" && tbl.SelectPermissions[i].Role == role {
				tbl.SelectPermissions[i].Comment = comment
			}
		}
		for i := range tbl.InsertPermissions {
			if kind == "insert" && tbl.InsertPermissions[i].Role == role {
				tbl.InsertPermissions[i].Comment = comment
			}
		}
		for i := range tbl.UpdatePermissions {
			if kind == "update" && tbl.UpdatePermissions[i].Role == role {
				tbl.UpdatePermissions[i].Comment = comment
			}
		}
		for i := range tbl.DeletePermissions {
			if kind == "delete" && tbl.DeletePermissions[i].Role == role {
				tbl.DeletePermissions[i].Comment = comment
			}
		}
		return nil
	}, nil
}

// addInheritedRole is add_inherited_role.
func addInheritedRole(c *call) (edit, *Error) {
	o, err := newObject(c.args, c.path)
	if err != nil {
		return nil, err
	}
	var r metadata.InheritedRole
	if err := o.req("role_name", &r.RoleName); err != nil {
		return nil, err
	}
	if err := o.req("role_set", &r.RoleSet); err != nil {
		return nil, err
	}
	if err := o.done(); err != nil {
		return nil, err
	}
	if len(r.RoleSet) == 0 {
		return nil, newErr(http.StatusBadRequest, codeInvalidParams, c.path+".role_set", "role_set cannot be empty")
	}
	return func(md *metadata.Metadata, _ *catalog.Catalog) error {
		if slices.ContainsFunc(md.InheritedRoles, func(x metadata.InheritedRole) bool { return x.RoleName == r.RoleName }) {
			return alreadyExists(c.path, "inherited role %q already exists", r.RoleName)
		}
		md.InheritedRoles = append(md.InheritedRoles, r)
		return nil
	}, nil
}

// dropInheritedRole is drop_inherited_role.
func dropInheritedRole(c *call) (edit, *Error) {
	o, err := newObject(c.args, c.path)
	if err != nil {
		return nil, err
	}
	var name string
	if err := o.req("role_name", &name); err != nil {
		return nil, err
	}
	if err := o.done(); err != nil {
		return nil, err
	}
	return func(md *metadata.Metadata, _ *catalog.Catalog) error {
		n := len(md.InheritedRoles)
		md.InheritedRoles = slices.DeleteFunc(md.InheritedRoles, func(x metadata.InheritedRole) bool { return x.RoleName == name })
		if len(md.InheritedRoles) == n {
			return notExists(c.path, "inherited role %q does not exist", name)
		}
		return nil
	}, nil
}
