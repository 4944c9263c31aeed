package compile

import (
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/schema"
)

// MutationField is how one mutation root field runs: its statements, in
// order, inside the transaction of the whole mutation (all root fields,
// in order, all or nothing).
//
// Each write (one INSERT, UPDATE or DELETE) is one statement. A statement
// whose rows later statements need — the parent row of a nested insert,
// the rows a `returning` with relationships is built from — keeps them as
// JSON in a transaction-local setting (strata.w<N>), which the later
// statements read back: the whole mutation still goes to the database in
// one round trip. When a root field is one write with a flat selection,
// the write and its response are one statement.
type MutationField struct {
	Statements []*Statement
	// List makes the field's value the JSON array of the values of its
	// Result statements (update_<t>_many); otherwise there is exactly one
	// Result statement and its value is the field's.
	List bool
}

// Statement is one SQL statement of a mutation. It returns one row with
// one column: the field's JSON value for a Result statement, anything
// otherwise.
type Statement struct {
	SQL  string
	Args []Arg
	// Result marks statements whose value is (part of) the field's value.
	Result bool
	// Path is the error path of database errors the statement raises.
	Path string
	// Raises are the errors the statement raises on purpose: SQL cannot
	// raise an error of its own, so it reads the missing setting
	// strata_raise.e<i> (see RaisedError) and the executor answers
	// Raises[i] instead.
	Raises []*hasuraerr.Error

	// setting is the strata.w<N> setting a write keeps its rows in (0:
	// none); the rows count as affected.
	setting int
}

// RaisedError returns the error st raised on purpose with the message of
// PostgreSQL's error (42704 unrecognized configuration parameter), or nil.
func (st *Statement) RaisedError(pgMessage string) *hasuraerr.Error {
	const prefix = `unrecognized configuration parameter "strata_raise.e`
	if !strings.HasPrefix(pgMessage, prefix) {
		return nil
	}
	i, err := strconv.Atoi(strings.TrimSuffix(pgMessage[len(prefix):], `"`))
	if err != nil || i < 0 || i >= len(st.Raises) {
		return nil
	}
	return st.Raises[i]
}

// mutation compiles the root fields of a mutation operation.
type mutation struct {
	*compiler
	// stmts are the current root field's statements.
	stmts []*Statement
	// raises are the current statement's deliberate errors.
	raises []*hasuraerr.Error
	// settings numbers the strata.w<N> settings across the operation.
	settings int
}

// compileMutation compiles a mutation operation: every root field into its
// statements.
func compileMutation(s *schema.Schema, op *ast.OperationDefinition, vars map[string]any, opts Options) (*Plan, error) {
	m := &mutation{compiler: &compiler{s: s, vars: vars, slots: SlotVariables(op), opts: opts}}
	plan := &Plan{Operation: op.Operation}
	fields, err := m.collect(op.SelectionSet, "mutation_root")
	if err != nil {
		return nil, err
	}
	for _, f := range fields {
		if f.Name == "__typename" {
			plan.Fields = append(plan.Fields, &RootField{Alias: f.Alias, Kind: FieldTypename, Typename: "mutation_root"})
			continue
		}
		root := s.MutationRoot[f.Name]
		if root == nil {
			return nil, validationErr([]string{"selectionSet", f.Name}, "field '%s' not found in type: 'mutation_root'", f.Name)
		}
		mf, err := m.rootField(root, f)
		if err != nil {
			return nil, err
		}
		plan.Fields = append(plan.Fields, &RootField{Alias: f.Alias, Kind: FieldSQL, Mutation: mf})
	}
	return plan, nil
}

// rootField compiles one mutation root field.
func (m *mutation) rootField(root *schema.RootField, f *ast.Field) (*MutationField, error) {
	m.stmts = nil
	var err error
	list := false
	switch root.Kind {
	case schema.RootInsert, schema.RootInsertOne:
		err = m.insert(root, f)
	case schema.RootUpdate, schema.RootUpdateByPk:
		err = m.update(root, f)
	case schema.RootUpdateMany:
		list = true
		err = m.updateMany(root, f)
	case schema.RootDelete, schema.RootDeleteByPk:
		err = m.delete(root, f)
	default:
		err = hasuraerr.New(hasuraerr.CodeNotSupported, "$", "unsupported root field %s", f.Name)
	}
	if err != nil {
		return nil, err
	}
	return &MutationField{Statements: m.stmts, List: list}, nil
}

// begin starts a statement: its bind parameters and raises.
func (m *mutation) begin() {
	m.args = nil
	m.raises = nil
}

// emit ends the current statement.
func (m *mutation) emit(sql string, result bool, path string) {
	m.stmts = append(m.stmts, &Statement{SQL: sql, Args: m.args, Result: result, Path: path, Raises: m.raises})
	m.args, m.raises = nil, nil
}

// raise returns a text expression that fails the statement with e.
func (m *mutation) raise(e *hasuraerr.Error) string {
	m.raises = append(m.raises, e)
	return "current_setting('strata_raise.e" + strconv.Itoa(len(m.raises)-1) + "')"
}

// newSetting allocates a transaction-local setting for a write's rows.
func (m *mutation) newSetting() int {
	m.settings++
	return m.settings
}

// settingName is the name of a write's rows setting.
func settingName(n int) string { return "strata.w" + strconv.Itoa(n) }

// storeRows is the select list that keeps the rows of the CTE w as a JSON
// array in setting n.
func storeRows(n int, w string) string {
	return "set_config('" + settingName(n) + "', (SELECT coalesce(jsonb_agg(to_jsonb(" + w + ")), '[]')::text FROM " + w + "), true)"
}

// storedRows is a FROM item over the rows kept in the settings, in order,
// as rows of t named alias.
func storedRows(t *schema.Table, settings []int, alias string) string {
	if len(settings) == 1 {
		return "jsonb_populate_recordset(NULL::" + qualified(t) + ", current_setting('" + settingName(settings[0]) + "')::jsonb) AS " + alias
	}
	return "(SELECT _r.* FROM unnest(" + settingsArray(settings) + "::jsonb[]) WITH ORDINALITY AS _s(v, i)" +
		" CROSS JOIN LATERAL jsonb_populate_recordset(NULL::" + qualified(t) + ", _s.v) AS _r ORDER BY _s.i) AS " + alias
}

// storedCount counts the rows kept in the settings.
func storedCount(settings []int) string {
	if len(settings) == 0 {
		return "0"
	}
	if len(settings) == 1 {
		return "jsonb_array_length(current_setting('" + settingName(settings[0]) + "')::jsonb)"
	}
	return "(SELECT coalesce(sum(jsonb_array_length(_v)), 0)::int FROM unnest(" + settingsArray(settings) + "::jsonb[]) AS _v)"
}

func settingsArray(settings []int) string {
	parts := make([]string, len(settings))
	for i, n := range settings {
		parts[i] = "current_setting('" + settingName(n) + "')"
	}
	return "ARRAY[" + strings.Join(parts, ", ") + "]"
}

// flat reports whether a selection of t's rows reads nothing but their
// columns, so it can be answered from the rows a write returns in the
// same statement. Relationships and computed fields must see the effects
// of the write, which only a later statement does.
func (m *mutation) flat(t *schema.Table, set ast.SelectionSet) (bool, error) {
	fields, err := m.collect(set, t.TypeName)
	if err != nil {
		return false, err
	}
	for _, f := range fields {
		if f.Name == "__typename" {
			continue
		}
		fd, ok := t.FieldsByName[f.Name]
		if !ok || fd.Column == nil {
			return false, nil
		}
	}
	return true, nil
}

// responseFlat reports whether the field's selection (a mutation response
// or a row) is flat.
func (m *mutation) responseFlat(t *schema.Table, f *ast.Field, single bool) (bool, error) {
	if single {
		return m.flat(t, f.SelectionSet)
	}
	fields, err := m.collect(f.SelectionSet, t.TypeName+"_mutation_response")
	if err != nil {
		return false, err
	}
	for _, sub := range fields {
		if sub.Name != "returning" {
			continue
		}
		if ok, err := m.flat(t, sub.SelectionSet); !ok || err != nil {
			return false, err
		}
	}
	return true, nil
}

// rowsSource gives the rows a response is built from: a FROM item naming
// them alias, and their count.
type rowsSource struct {
	from  func(alias string) string
	count string
}

// cteRows are the rows of the CTE w in the same statement.
func cteRows(w string) rowsSource {
	return rowsSource{from: func(a string) string { return w + " AS " + a }, count: "(SELECT count(*) FROM " + w + ")"}
}

// settingRows are the rows kept in settings; counted are all the writes
// whose rows count as affected.
func settingRows(t *schema.Table, rows, counted []int) rowsSource {
	return rowsSource{from: func(a string) string { return storedRows(t, rows, a) }, count: storedCount(counted)}
}

// response builds a root field's JSON value from the affected rows: the
// mutation response object, or (single) the one row or null.
func (m *mutation) response(t *schema.Table, f *ast.Field, single bool, src rowsSource, path []string) (string, error) {
	if single && !m.s.CanReturn(t) {
		// Validation already refuses it: a role without select permission
		// has no single-row mutation fields.
		return "", validationErr(path, "field '%s' not found in type: 'mutation_root'", f.Name)
	}
	if single {
		alias := m.newAlias("_t")
		obj, joins, err := m.object(t, alias, f.SelectionSet, path)
		if err != nil {
			return "", err
		}
		where, err := m.returnFilter(t, alias)
		if err != nil {
			return "", err
		}
		return "(SELECT " + obj + " FROM " + src.from(alias) + joins + where + " LIMIT 1)", nil
	}
	var pairs []string
	fields, err := m.collect(f.SelectionSet, t.TypeName+"_mutation_response")
	if err != nil {
		return "", err
	}
	for _, sub := range fields {
		key := quoteLiteral(sub.Alias)
		spath := append(path[:len(path):len(path)], sub.Alias)
		switch sub.Name {
		case "__typename":
			pairs = append(pairs, key, quoteLiteral(t.TypeName+"_mutation_response"))
		case "affected_rows":
			pairs = append(pairs, key, src.count)
		case "returning":
			if !m.s.CanReturn(t) {
				return "", validationErr(spath, "field 'returning' not found in type: '%s_mutation_response'", t.TypeName)
			}
			alias := m.newAlias("_t")
			obj, joins, err := m.object(t, alias, sub.SelectionSet, spath)
			if err != nil {
				return "", err
			}
			where, err := m.returnFilter(t, alias)
			if err != nil {
				return "", err
			}
			pairs = append(pairs, key, "(SELECT coalesce(json_agg("+obj+"), '[]') FROM "+src.from(alias)+joins+where+")")
		default:
			return "", validationErr(spath, "field '%s' not found in type: '%s_mutation_response'", sub.Name, t.TypeName)
		}
	}
	return buildObject(pairs), nil
}

// returnFilter is the WHERE clause hiding returned rows the role may not
// select ("" for admin and unrestricted roles).
func (m *mutation) returnFilter(t *schema.Table, alias string) (string, error) {
	w, err := m.permFilter(t, alias)
	if err != nil || w == "" {
		return "", err
	}
	return " WHERE " + w, nil
}

// fieldPath is "$.selectionSet.<alias>.args.<arg>", the path of errors in
// an argument.
func fieldPath(f *ast.Field, arg string) string {
	return "$.selectionSet." + f.Alias + ".args." + arg
}

// argValue returns the (variable-resolved) value of a field argument, or nil.
func (m *mutation) argValue(f *ast.Field, name string) *ast.Value {
	a := f.Arguments.ForName(name)
	if a == nil {
		return nil
	}
	v := m.value(a.Value)
	if v == nil || v.Kind == ast.NullValue {
		return nil
	}
	return v
}

// child returns the (variable-resolved) value of an input object field.
func (m *mutation) child(v *ast.Value, name string) *ast.Value {
	if v == nil {
		return nil
	}
	for _, ch := range v.Children {
		if ch.Name == name {
			cv := m.value(ch.Value)
			if cv == nil || cv.Kind == ast.NullValue {
				return nil
			}
			return cv
		}
	}
	return nil
}
