package metadata

// Inconsistency is a metadata object that does not match the database, as
// get_inconsistent_metadata reports it. Such objects are left out of the
// GraphQL schema; the rest keeps serving.
type Inconsistency struct {
	// Type is the kind of object: table, object_relation, array_relation,
	// computed_field, select_permission, insert_permission, ...
	Type string `json:"type"`
	// Name identifies the object, e.g. "array_relation articles in table
	// author in source default".
	Name string `json:"name"`
	// Reason says what is wrong, e.g. `Inconsistent object: no such table/view exists in source: "author"`.
	Reason string `json:"reason"`
	// Definition is the object's metadata as the user wrote it.
	Definition any `json:"definition"`
}
