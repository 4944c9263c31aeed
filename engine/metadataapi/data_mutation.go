package metadataapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/stratagql/strata/engine/schema"
)

// The legacy insert, update and delete commands become a GraphQL mutation
// on the admin schema (insert_t, update_t, delete_t), so they share the
// mutation compiler, its single transaction and its error mapping.

func insertData(ctx context.Context, c *call) (any, error) {
	o, t, perr := c.tableCommand()
	if perr != nil {
		return nil, perr
	}
	var objects []json.RawMessage
	var returning []json.RawMessage
	var onConflict json.RawMessage
	if perr := o.req("objects", &objects); perr != nil {
		return nil, perr
	}
	if perr := o.opt("returning", &returning); perr != nil {
		return nil, perr
	}
	if perr := o.opt("on_conflict", &onConflict); perr != nil {
		return nil, perr
	}
	if perr := o.done(); perr != nil {
		return nil, perr
	}
	tbl, root, perr := c.mutationRoot(t, schema.RootInsert)
	if perr != nil {
		return nil, perr
	}
	rows := make([]any, len(objects))
	for i, obj := range objects {
		rows[i] = renameColumns(tbl, obj)
	}
	vars := map[string]any{"objects": rows}
	decls := []string{"$objects: [" + tbl.TypeName + "_insert_input!]!"}
	args := []string{"objects: $objects"}
	if len(onConflict) > 0 && string(onConflict) != "null" {
		var oc map[string]any
		_ = json.Unmarshal(onConflict, &oc)
		if action, _ := oc["action"].(string); action != "" {
			// v1's {"constraint", "action": "ignore"|"update"} form.
			delete(oc, "action")
			if action == "ignore" {
				oc["update_columns"] = []any{}
			}
		}
		vars["on_conflict"] = oc
		decls = append(decls, "$on_conflict: "+tbl.TypeName+"_on_conflict")
		args = append(args, "on_conflict: $on_conflict")
	}
	return c.runMutation(ctx, tbl, root, decls, args, vars, returning)
}

func updateData(ctx context.Context, c *call) (any, error) {
	o, t, perr := c.tableCommand()
	if perr != nil {
		return nil, perr
	}
	var where json.RawMessage
	var returning []json.RawMessage
	if perr := o.req("where", &where); perr != nil {
		return nil, perr
	}
	if perr := o.opt("returning", &returning); perr != nil {
		return nil, perr
	}
	tbl, root, perr := c.mutationRoot(t, schema.RootUpdate)
	if perr != nil {
		return nil, perr
	}
	vars := map[string]any{"where": renameBoolExp(tbl, where)}
	decls := []string{"$where: " + tbl.TypeName + "_bool_exp!"}
	args := []string{"where: $where"}
	ops := map[string]string{"$set": "_set:set_input", "$inc": "_inc:inc_input", "$append": "_append:append_input",
		"$prepend": "_prepend:prepend_input", "$delete_key": "_delete_key:delete_key_input",
		"$delete_elem": "_delete_elem:delete_elem_input", "$delete_at_path": "_delete_at_path:delete_at_path_input"}
	for key, spec := range ops {
		for _, k := range []string{key, "_" + key[1:]} {
			var v json.RawMessage
			if perr := o.opt(k, &v); perr != nil {
				return nil, perr
			}
			if len(v) == 0 || string(v) == "null" {
				continue
			}
			arg, typ, _ := strings.Cut(spec, ":")
			name := arg[1:]
			vars[name] = renameColumns(tbl, v)
			decls = append(decls, "$"+name+": "+tbl.TypeName+"_"+typ)
			args = append(args, arg+": $"+name)
		}
	}
	if perr := o.done(); perr != nil {
		return nil, perr
	}
	return c.runMutation(ctx, tbl, root, decls, args, vars, returning)
}

func deleteData(ctx context.Context, c *call) (any, error) {
	o, t, perr := c.tableCommand()
	if perr != nil {
		return nil, perr
	}
	var where json.RawMessage
	var returning []json.RawMessage
	if perr := o.req("where", &where); perr != nil {
		return nil, perr
	}
	if perr := o.opt("returning", &returning); perr != nil {
		return nil, perr
	}
	if perr := o.done(); perr != nil {
		return nil, perr
	}
	tbl, root, perr := c.mutationRoot(t, schema.RootDelete)
	if perr != nil {
		return nil, perr
	}
	vars := map[string]any{"where": renameBoolExp(tbl, where)}
	return c.runMutation(ctx, tbl, root, []string{"$where: " + tbl.TypeName + "_bool_exp!"}, []string{"where: $where"}, vars, returning)
}

// mutationRoot finds the table's mutation_root field of the given kind.
func (c *call) mutationRoot(t target, kind schema.RootKind) (*schema.Table, string, *Error) {
	s := c.api.cfg.State.Current().Schema
	tbl := s.TablesByName[t.Table]
	if tbl == nil {
		return nil, "", newErr(http.StatusBadRequest, codeNotExists, c.path+".table", "table %q does not exist", t.Table.Name)
	}
	for name, rf := range s.MutationRoot {
		if rf.Table == tbl && rf.Kind == kind {
			return tbl, name, nil
		}
	}
	return nil, "", newErr(http.StatusBadRequest, codeNotSupported, c.path+".table", "table %q cannot be written", t.Table.Name)
}

// runMutation runs the generated mutation and answers Hasura's
// {"affected_rows", "returning"} shape.
func (c *call) runMutation(ctx context.Context, tbl *schema.Table, root string, decls, args []string, vars map[string]any, returning []json.RawMessage) (any, error) {
	sel := "affected_rows"
	if len(returning) > 0 {
		cols, perr := c.selection(tbl, returning, c.path+".returning")
		if perr != nil {
			return nil, perr
		}
		sel += " returning { " + cols + " }"
	}
	query := "mutation (" + strings.Join(decls, ", ") + ") { r: " + root + "(" + strings.Join(args, ", ") + ") { " + sel + " } }"
	return c.runGraphQL(ctx, query, vars)
}

// renameColumns maps an object keyed by SQL column names onto GraphQL
// field names (custom column names); other keys are kept.
func renameColumns(t *schema.Table, raw json.RawMessage) any {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		var v any
		_ = json.Unmarshal(raw, &v)
		return v
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		if col := t.Column(k); col != nil {
			k = col.Field
		}
		out[k] = v
	}
	return out
}
