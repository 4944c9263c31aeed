package metadataapi

import "context"

// edits and runs wrap the two kinds of command.
func editCmd(f func(c *call) (edit, *Error)) command { return command{edit: f} }

func runCmd(f func(ctx context.Context, c *call) (any, error)) command { return command{run: f} }

// metadataCommands are the request types of POST /v1/metadata.
var metadataCommands = commands{}

// v1QueryCommands are the legacy request types of POST /v1/query.
var v1QueryCommands = commands{}

// v2QueryCommands are the request types of POST /v2/query.
var v2QueryCommands = commands{}

func init() {
	shared := map[string]command{
		"export_metadata":            runCmd(exportMetadata),
		"replace_metadata":           runCmd(replaceMetadata),
		"reload_metadata":            runCmd(reloadMetadata),
		"clear_metadata":             editCmd(clearMetadata),
		"get_inconsistent_metadata":  runCmd(getInconsistentMetadata),
		"drop_inconsistent_metadata": runCmd(dropInconsistentMetadata),
		"add_inherited_role":         editCmd(addInheritedRole),
		"drop_inherited_role":        editCmd(dropInheritedRole),
	}
	// Source-specific operations: pg_<name> on /v1/metadata, <name> on /v1/query.
	sourceOps := map[string]command{
		"track_table":                editCmd(trackTable),
		"untrack_table":              editCmd(untrackTable),
		"set_table_customization":    editCmd(setTableCustomization),
		"set_table_is_enum":          editCmd(setTableIsEnum),
		"create_object_relationship": editCmd(createObjectRelationship),
		"create_array_relationship":  editCmd(createArrayRelationship),
		"drop_relationship":          editCmd(dropRelationship),
		"rename_relationship":        editCmd(renameRelationship),
		"set_relationship_comment":   editCmd(setRelationshipComment),
		"add_computed_field":         editCmd(addComputedField),
		"drop_computed_field":        editCmd(dropComputedField),
		"set_permission_comment":     editCmd(setPermissionComment),
	}
	for _, k := range permKinds {
		sourceOps["create_"+k+"_permission"] = editCmd(createPermission(k))
		sourceOps["drop_"+k+"_permission"] = editCmd(dropPermissionCmd(k))
	}
	for name, cmd := range shared {
		metadataCommands[name] = cmd
		v1QueryCommands[name] = cmd
	}
	for name, cmd := range sourceOps {
		metadataCommands["pg_"+name] = cmd
		v1QueryCommands[name] = cmd
	}
	metadataCommands["pg_suggest_relationships"] = runCmd(suggestRelationships)
	metadataCommands["pg_track_tables"] = runCmd(trackTables)
	metadataCommands["pg_untrack_tables"] = runCmd(untrackTables)
	metadataCommands["bulk"] = runCmd(bulk)
	metadataCommands["bulk_keep_going"] = runCmd(bulkKeepGoing)

	v1QueryCommands["add_existing_table_or_view"] = editCmd(trackTable)
	v1QueryCommands["set_table_custom_fields"] = editCmd(setTableCustomFields)
	v1QueryCommands["run_sql"] = runCmd(runSQL)
	v1QueryCommands["bulk"] = runCmd(bulk)

	v2QueryCommands["run_sql"] = runCmd(runSQL)
	v2QueryCommands["pg_run_sql"] = runCmd(runSQL)
	v2QueryCommands["bulk"] = runCmd(bulk)
	for name, cmd := range map[string]command{
		"select": runCmd(selectData), "count": runCmd(countData),
		"insert": runCmd(insertData), "update": runCmd(updateData), "delete": runCmd(deleteData),
	} {
		v1QueryCommands[name] = cmd
		v2QueryCommands[name] = cmd
	}
}
