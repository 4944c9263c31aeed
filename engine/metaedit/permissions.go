package metaedit

import (
	"encoding/json"
	"slices"

	"github.com/stratagql/strata/engine/apiargs"
	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/metadata"
)

// permKinds are the permission types, in Hasura's order.
var permKinds = []string{"insert", "select", "update", "delete"}

func init() {
	for _, k := range permKinds {
		register(
			sourceSpec("create_"+k+"_permission", func() Edit { return &createPermission{kind: k} }),
			sourceSpec("drop_"+k+"_permission", func() Edit { return &dropPermissionArgs{kind: k} }),
		)
	}
	register(sourceSpec("set_permission_comment", func() Edit { return new(setPermissionComment) }))
}

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

// createPermission is pg_create_<kind>_permission.
type createPermission struct {
	TableRef
	Role       string          `json:"role" args:"required"`
	Comment    *string         `json:"comment"`
	Permission json.RawMessage `json:"permission" args:"required"`

	kind string
	// Decoded from Permission by ValidateArgs.
	columns  []string
	computed []string
	add      func(tbl *metadata.Table)
}

// ValidateArgs implements apiargs.Validator: it decodes the permission
// body of the command's kind.
func (a *createPermission) ValidateArgs(path string) *hasuraerr.Error {
	path += ".permission"
	m, err := apiargs.Object(a.Permission, path)
	if err != nil {
		return err
	}
	var exprs []string // boolean expressions, which must be objects
	var needsColumns bool
	switch a.kind {
	case "select":
		var d metadata.SelectPermDef
		if err := apiargs.Value(a.Permission, path, &d); err != nil {
			return err
		}
		d.Filter = orEmpty(d.Filter)
		a.columns, a.computed, exprs, needsColumns = d.Columns.Names, d.ComputedFields, []string{"filter"}, true
		p := metadata.SelectPermission{Role: a.Role, Permission: d, Comment: a.Comment}
		a.add = func(tbl *metadata.Table) { tbl.SelectPermissions = append(tbl.SelectPermissions, p) }
	case "insert":
		var d metadata.InsertPermDef
		if err := apiargs.Value(a.Permission, path, &d); err != nil {
			return err
		}
		d.Check = orEmpty(d.Check)
		a.columns, exprs = d.Columns.Names, []string{"check"}
		p := metadata.InsertPermission{Role: a.Role, Permission: d, Comment: a.Comment}
		a.add = func(tbl *metadata.Table) { tbl.InsertPermissions = append(tbl.InsertPermissions, p) }
	case "update":
		var d metadata.UpdatePermDef
		if err := apiargs.Value(a.Permission, path, &d); err != nil {
			return err
		}
		d.Filter = orEmpty(d.Filter)
		a.columns, exprs, needsColumns = d.Columns.Names, []string{"filter", "check"}, true
		p := metadata.UpdatePermission{Role: a.Role, Permission: d, Comment: a.Comment}
		a.add = func(tbl *metadata.Table) { tbl.UpdatePermissions = append(tbl.UpdatePermissions, p) }
	case "delete":
		var d metadata.DeletePermDef
		if err := apiargs.Value(a.Permission, path, &d); err != nil {
			return err
		}
		d.Filter = orEmpty(d.Filter)
		exprs = []string{"filter"}
		p := metadata.DeletePermission{Role: a.Role, Permission: d, Comment: a.Comment}
		a.add = func(tbl *metadata.Table) { tbl.DeletePermissions = append(tbl.DeletePermissions, p) }
	}
	if _, ok := m["columns"]; needsColumns && !ok {
		return apiargs.ParseFailed(path, "key %q not found", "columns")
	}
	for _, k := range exprs {
		if v, ok := m[k]; ok && apiargs.Kind(v) != "Object" && !apiargs.IsNull(v) {
			return apiargs.ParseFailed(path+"."+k, "expected Object, but encountered %s", apiargs.Kind(v))
		}
	}
	return nil
}

// orEmpty is an absent boolean expression as {} (always true).
func orEmpty(e metadata.BoolExp) metadata.BoolExp {
	if e == nil {
		return json.RawMessage(`{}`)
	}
	return e
}

// Apply implements Edit.
func (a *createPermission) Apply(md *metadata.Metadata, cat *catalog.Catalog) error {
	_, tbl, err := a.tracked(md)
	if err != nil {
		return err
	}
	if a.Role == "admin" {
		return hasuraerr.New(hasuraerr.CodeConstraintViolation, "$", "cannot define permission for admin role")
	}
	if hasPermission(tbl, a.kind, a.Role) {
		return alreadyExists("$", "%s permission already defined on table %q with role %q", a.kind, a.Table.Display(), a.Role)
	}
	ct, err := dbTable(cat, a.Table)
	if err != nil {
		return err
	}
	if err := columns(ct, a.columns, "$.permission.columns"); err != nil {
		return err
	}
	for _, f := range a.computed {
		if !slices.ContainsFunc(tbl.ComputedFields, func(x metadata.ComputedField) bool { return x.Name == f }) {
			return notExists("$.permission.computed_fields", "computed field %q does not exist", f)
		}
	}
	a.add(tbl)
	return nil
}

// dropPermissionArgs is pg_drop_<kind>_permission.
type dropPermissionArgs struct {
	TableRef
	Role string `json:"role" args:"required"`

	kind string
}

// Apply implements Edit.
func (a *dropPermissionArgs) Apply(md *metadata.Metadata, _ *catalog.Catalog) error {
	_, tbl, err := a.permission(md, a.kind, a.Role)
	if err != nil {
		return err
	}
	dropPermission(tbl, a.kind, a.Role)
	return nil
}

// permission returns the table holding r's kind permission for role.
func (r TableRef) permission(md *metadata.Metadata, kind, role string) (*metadata.Source, *metadata.Table, error) {
	src, tbl, err := r.tracked(md)
	if err != nil {
		return nil, nil, err
	}
	if !hasPermission(tbl, kind, role) {
		return nil, nil, notExists("$", "%s permission for role %q does not exist on table %q", kind, role, r.Table.Display())
	}
	return src, tbl, nil
}

// permKind is a permission type argument: insert, select, update or delete.
type permKind string

// ValidateArgs implements apiargs.Validator.
func (k permKind) ValidateArgs(path string) *hasuraerr.Error {
	if !slices.Contains(permKinds, string(k)) {
		return apiargs.ParseFailed(path, "expected one of insert, select, update, delete")
	}
	return nil
}

// setPermissionComment is pg_set_permission_comment.
type setPermissionComment struct {
	TableRef
	Role    string   `json:"role" args:"required"`
	Type    permKind `json:"type" args:"required"`
	Comment *string  `json:"comment"`
}

// Apply implements Edit.
func (a *setPermissionComment) Apply(md *metadata.Metadata, _ *catalog.Catalog) error {
	kind := string(a.Type)
	_, tbl, err := a.permission(md, kind, a.Role)
	if err != nil {
		return err
	}
	for i := range tbl.SelectPermissions {
		if kind == "select" && tbl.SelectPermissions[i].Role == a.Role {
			tbl.SelectPermissions[i].Comment = a.Comment
		}
	}
	for i := range tbl.InsertPermissions {
		if kind == "insert" && tbl.InsertPermissions[i].Role == a.Role {
			tbl.InsertPermissions[i].Comment = a.Comment
		}
	}
	for i := range tbl.UpdatePermissions {
		if kind == "update" && tbl.UpdatePermissions[i].Role == a.Role {
			tbl.UpdatePermissions[i].Comment = a.Comment
		}
	}
	for i := range tbl.DeletePermissions {
		if kind == "delete" && tbl.DeletePermissions[i].Role == a.Role {
			tbl.DeletePermissions[i].Comment = a.Comment
		}
	}
	return nil
}
