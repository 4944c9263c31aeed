package metaedit

import (
	"slices"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/metadata"
)

func init() {
	register(
		globalSpec("add_inherited_role", func() Edit { return new(addInheritedRole) }),
		globalSpec("drop_inherited_role", func() Edit { return new(dropInheritedRole) }),
	)
}

// addInheritedRole is add_inherited_role.
type addInheritedRole struct {
	RoleName string   `json:"role_name" args:"required"`
	RoleSet  []string `json:"role_set" args:"required"`
}

// ValidateArgs implements apiargs.Validator.
func (a *addInheritedRole) ValidateArgs(path string) *hasuraerr.Error {
	if len(a.RoleSet) == 0 {
		return hasuraerr.New(hasuraerr.CodeInvalidParams, path+".role_set", "role_set cannot be empty")
	}
	return nil
}

// Apply implements Edit.
func (a *addInheritedRole) Apply(md *metadata.Metadata, _ *catalog.Catalog) error {
	if slices.ContainsFunc(md.InheritedRoles, func(x metadata.InheritedRole) bool { return x.RoleName == a.RoleName }) {
		return alreadyExists("$", "inherited role %q already exists", a.RoleName)
	}
	md.InheritedRoles = append(md.InheritedRoles, metadata.InheritedRole{RoleName: a.RoleName, RoleSet: a.RoleSet})
	return nil
}

// dropInheritedRole is drop_inherited_role.
type dropInheritedRole struct {
	RoleName string `json:"role_name" args:"required"`
}

// Apply implements Edit.
func (a *dropInheritedRole) Apply(md *metadata.Metadata, _ *catalog.Catalog) error {
	n := len(md.InheritedRoles)
	md.InheritedRoles = slices.DeleteFunc(md.InheritedRoles, func(x metadata.InheritedRole) bool { return x.RoleName == a.RoleName })
	if len(md.InheritedRoles) == n {
		return notExists("$", "inherited role %q does not exist", a.RoleName)
	}
	return nil
}
