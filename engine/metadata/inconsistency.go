package metadata

import (
	"encoding/json"
	"strings"
)

// Inconsistency is a metadata object that does not match the database (or
// cannot be served), as get_inconsistent_metadata reports it. Such objects
// are left out of the GraphQL schema; the rest keeps serving.
//
// It is a structured value: producers fill the fields, consumers read them,
// and MarshalJSON renders Hasura's shape ({"type","name","reason",
// "definition"}) in this one place. Nothing parses the rendered name back.
type Inconsistency struct {
	// Source is the metadata source the object belongs to; empty for
	// objects outside sources (inherited roles).
	Source string
	// Kind is Hasura's object type: table, object_relation,
	// array_relation, computed_field, select_permission, ...,
	// inherited_role.
	Kind string
	// Table is the table the object is, or is attached to; nil when the
	// object is not a table's.
	Table *QualifiedTable
	// Name is the object's own name: a relationship or computed field name
	// within Table, or an inherited role's name. Empty for tables and
	// permissions.
	Name string
	// Role is the role of a permission (or of a conflicting inherited
	// permission).
	Role string
	// Reason says what is wrong, in Hasura's words.
	Reason string
	// Definition is the object's metadata as the user wrote it.
	Definition any
}

// KindTable, KindInheritedRole and KindInheritedPermission are the kinds
// whose rendering is not "<kind> <name> in table <table> in source <src>".
const (
	KindTable               = "table"
	KindInheritedRole       = "inherited_role"
	KindInheritedPermission = "inherited role permission inconsistency"
)

// IsPermission reports whether the object is a table permission
// (select_permission, insert_permission, ...).
func (i Inconsistency) IsPermission() bool { return strings.HasSuffix(i.Kind, "_permission") }

// PermissionType is the permission's type (select, insert, update,
// delete), or "" for other objects.
func (i Inconsistency) PermissionType() string {
	if !i.IsPermission() {
		return ""
	}
	return strings.TrimSuffix(i.Kind, "_permission")
}

// ObjectName renders the object's name as get_inconsistent_metadata does:
// "table author in source default", "array_relation articles in table
// author in source default", "select_permission user in table author in
// source default", "inherited_role staff".
func (i Inconsistency) ObjectName() string {
	switch {
	case i.Kind == KindTable && i.Table != nil:
		return "table " + i.Table.Display() + " in source " + i.source()
	case i.Kind == KindInheritedRole:
		return KindInheritedRole + " " + i.Name
	case i.Kind == KindInheritedPermission:
		return i.Role
	case i.Table != nil:
		name := i.Name
		if i.IsPermission() {
			name = i.Role
		}
		return i.Kind + " " + name + " in table " + i.Table.Display() + " in source " + i.source()
	case i.Name != "":
		return i.Kind + " " + i.Name
	default:
		return i.Kind
	}
}

func (i Inconsistency) source() string {
	if i.Source == "" {
		return DefaultSource
	}
	return i.Source
}

// Key identifies the object among inconsistencies (two reports of the same
// object have the same key).
func (i Inconsistency) Key() string { return i.Kind + "\x00" + i.ObjectName() }

// inconsistencyJSON is Hasura's wire shape of an inconsistent object.
type inconsistencyJSON struct {
	Type       string `json:"type"`
	Name       string `json:"name"`
	Reason     string `json:"reason"`
	Definition any    `json:"definition"`
}

// MarshalJSON renders the inconsistency in Hasura's shape.
func (i Inconsistency) MarshalJSON() ([]byte, error) {
	return json.Marshal(inconsistencyJSON{Type: i.Kind, Name: i.ObjectName(), Reason: i.Reason, Definition: i.Definition})
}
