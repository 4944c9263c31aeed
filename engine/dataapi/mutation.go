package dataapi

import (
	"encoding/json"
	"strings"

	"github.com/stratagql/strata/engine/apiargs"
	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/schema"
)

// The legacy insert, update and delete commands become a GraphQL mutation
// on the admin schema (insert_t, update_t, delete_t), so they share the
// mutation compiler, its single transaction and its error mapping.

// mutationRoot finds the table's mutation_root field of kind.
func (t *table) mutationRoot(s *schema.Schema, kind schema.RootKind) (*schema.Table, string, error) {
	return t.root(s, s.MutationRoot, kind, hasuraerr.CodeNotSupported, "cannot be written")
}

// insertArgs are the arguments of `insert`.
type insertArgs struct {
	table
	Objects    []json.RawMessage `json:"objects" args:"required"`
	Returning  []json.RawMessage `json:"returning"`
	OnConflict json.RawMessage   `json:"on_conflict"`
}

// Translate implements Command.
func (a *insertArgs) Translate(s *schema.Schema) (*Request, error) {
	tbl, root, err := a.mutationRoot(s, schema.RootInsert)
	if err != nil {
		return nil, err
	}
	rows := make([]any, len(a.Objects))
	for i, obj := range a.Objects {
		rows[i] = renameColumns(tbl, obj)
	}
	m := &mutation{vars: map[string]any{"objects": rows}, decls: []string{"$objects: [" + tbl.TypeName + "_insert_input!]!"},
		args: []string{"objects: $objects"}}
	if !apiargs.IsNull(a.OnConflict) {
		var oc map[string]any
		_ = json.Unmarshal(a.OnConflict, &oc)
		if action, _ := oc["action"].(string); action != "" {
			// v1's {"constraint", "action": "ignore"|"update"} form.
			delete(oc, "action")
			if action == "ignore" {
				oc["update_columns"] = []any{}
			}
		}
		m.add("on_conflict", tbl.TypeName+"_on_conflict", oc)
	}
	return m.request(tbl, root, a.Returning)
}

// updateArgs are the arguments of `update`; each operator is accepted in
// v1's "$set" and GraphQL's "_set" spelling.
type updateArgs struct {
	table
	Where     json.RawMessage   `json:"where" args:"required"`
	Returning []json.RawMessage `json:"returning"`

	Set           json.RawMessage `json:"$set"`
	SetG          json.RawMessage `json:"_set"`
	Inc           json.RawMessage `json:"$inc"`
	IncG          json.RawMessage `json:"_inc"`
	Append        json.RawMessage `json:"$append"`
	AppendG       json.RawMessage `json:"_append"`
	Prepend       json.RawMessage `json:"$prepend"`
	PrependG      json.RawMessage `json:"_prepend"`
	DeleteKey     json.RawMessage `json:"$delete_key"`
	DeleteKeyG    json.RawMessage `json:"_delete_key"`
	DeleteElem    json.RawMessage `json:"$delete_elem"`
	DeleteElemG   json.RawMessage `json:"_delete_elem"`
	DeleteAtPath  json.RawMessage `json:"$delete_at_path"`
	DeleteAtPathG json.RawMessage `json:"_delete_at_path"`
}

// Translate implements Command.
func (a *updateArgs) Translate(s *schema.Schema) (*Request, error) {
	tbl, root, err := a.mutationRoot(s, schema.RootUpdate)
	if err != nil {
		return nil, err
	}
	m := &mutation{}
	m.add("where", tbl.TypeName+"_bool_exp!", renameBoolExp(tbl, a.Where))
	for _, op := range []struct {
		name   string
		values []json.RawMessage
	}{
		{"set", []json.RawMessage{a.Set, a.SetG}},
		{"inc", []json.RawMessage{a.Inc, a.IncG}},
		{"append", []json.RawMessage{a.Append, a.AppendG}},
		{"prepend", []json.RawMessage{a.Prepend, a.PrependG}},
		{"delete_key", []json.RawMessage{a.DeleteKey, a.DeleteKeyG}},
		{"delete_elem", []json.RawMessage{a.DeleteElem, a.DeleteElemG}},
		{"delete_at_path", []json.RawMessage{a.DeleteAtPath, a.DeleteAtPathG}},
	} {
		for _, v := range op.values {
			if !apiargs.IsNull(v) {
				m.vars[op.name] = renameColumns(tbl, v)
				m.decls = append(m.decls, "$"+op.name+": "+tbl.TypeName+"_"+op.name+"_input")
				m.args = append(m.args, "_"+op.name+": $"+op.name)
			}
		}
	}
	return m.request(tbl, root, a.Returning)
}

// deleteArgs are the arguments of `delete`.
type deleteArgs struct {
	table
	Where     json.RawMessage   `json:"where" args:"required"`
	Returning []json.RawMessage `json:"returning"`
}

// Translate implements Command.
func (a *deleteArgs) Translate(s *schema.Schema) (*Request, error) {
	tbl, root, err := a.mutationRoot(s, schema.RootDelete)
	if err != nil {
		return nil, err
	}
	m := &mutation{}
	m.add("where", tbl.TypeName+"_bool_exp!", renameBoolExp(tbl, a.Where))
	return m.request(tbl, root, a.Returning)
}

// mutation collects a generated mutation's variables and arguments.
type mutation struct {
	vars        map[string]any
	decls, args []string
}

// add binds argument name, of GraphQL type typ, to a variable.
func (m *mutation) add(name, typ string, v any) {
	if m.vars == nil {
		m.vars = map[string]any{}
	}
	m.vars[name] = v
	m.decls = append(m.decls, "$"+name+": "+typ)
	m.args = append(m.args, name+": $"+name)
}

// request renders the mutation of root, answering Hasura's
// {"affected_rows", "returning"} shape.
func (m *mutation) request(tbl *schema.Table, root string, returning []json.RawMessage) (*Request, error) {
	sel := "affected_rows"
	if len(returning) > 0 {
		cols, err := selection(tbl, returning, "$.returning")
		if err != nil {
			return nil, err
		}
		sel += " returning { " + cols + " }"
	}
	query := "mutation (" + strings.Join(m.decls, ", ") + ") { r: " + root + "(" + strings.Join(m.args, ", ") + ") { " + sel + " } }"
	return &Request{Query: query, Variables: m.vars}, nil
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
