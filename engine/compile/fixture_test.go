package compile_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/catalog/catalogtest"
	"github.com/stratagql/strata/engine/compile"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/schema"
)

// fixture is the synthetic catalogue of three tables (t0000, t0001,
// t0002; see catalogtest.Synthetic) with, on t0000, a text[] column
// "tags" and a computed field "label", and permissions for the role
// "user" that read session variables.
func fixture(t testing.TB) (*schema.Schema, *catalog.Catalog) {
	t.Helper()
	md, cat := catalogtest.Synthetic(3)
	q := func(name string) metadata.QualifiedTable {
		return metadata.QualifiedTable{Schema: "public", Name: name}
	}
	text := &catalog.Type{Schema: "pg_catalog", Name: "text", Kind: catalog.TypeBase, Category: "S"}
	t0 := cat.Tables[q("t0000")]
	t0.Columns = append(t0.Columns, &catalog.Column{Name: "tags", Position: 8, Nullable: true,
		Type: &catalog.Type{Schema: "pg_catalog", Name: "_text", Kind: catalog.TypeArray, Elem: text, Category: "A"}})
	cat.Functions[q("t0000_label")] = []*catalog.Function{{
		Name: q("t0000_label"),
		Args: []catalog.FunctionArg{
			{Name: "r", Type: &catalog.Type{Schema: "public", Name: "t0000", Kind: catalog.TypeComposite, Category: "C"}},
			{Name: "prefix", Type: text, HasDefault: true},
		},
		ReturnType: text, Volatility: "s",
	}}
	tables := md.Sources[0].Tables
	perm := func(s string) metadata.BoolExp { return metadata.BoolExp(s) }
	for i := range tables {
		mt := &tables[i]
		switch mt.Table.Name {
		case "t0000":
			mt.ComputedFields = []metadata.ComputedField{{Name: "label", Definition: metadata.ComputedFieldDefinition{Function: q("t0000_label")}}}
			limit := 20
			mt.SelectPermissions = []metadata.SelectPermission{{Role: "user", Permission: metadata.SelectPermDef{
				Columns: metadata.Columns{All: true}, ComputedFields: []string{"label"}, Limit: &limit, AllowAggregations: true,
				Filter: perm(`{"id": {"_eq": "X-Hasura-User-Id"}}`),
			}}}
			mt.InsertPermissions = []metadata.InsertPermission{{Role: "user", Permission: metadata.InsertPermDef{
				Columns: metadata.Columns{Names: []string{"name", "flag", "score", "data"}},
				Check:   perm(`{"flag": {"_eq": true}}`),
				Set:     map[string]any{"parent_id": "X-Hasura-User-Id"},
			}}}
			mt.UpdatePermissions = []metadata.UpdatePermission{{Role: "user", Permission: metadata.UpdatePermDef{
				Columns: metadata.Columns{Names: []string{"name", "score"}},
				Filter:  perm(`{"id": {"_eq": "X-Hasura-User-Id"}}`),
				Check:   perm(`{"score": {"_gte": 0}}`),
				Set:     map[string]any{"flag": true},
			}}}
			mt.DeletePermissions = []metadata.DeletePermission{{Role: "user", Permission: metadata.DeletePermDef{
				Filter: perm(`{"_exists": {"_table": {"schema": "public", "name": "t0002"}, "_where": {"name": {"_eq": "X-Hasura-Role"}}}}`),
			}}}
		case "t0001":
			mt.SelectPermissions = []metadata.SelectPermission{{Role: "user", Permission: metadata.SelectPermDef{
				Columns: metadata.Columns{Names: []string{"id", "name", "parent_id"}},
				Filter:  perm(`{"parent": {"id": {"_eq": "X-Hasura-User-Id"}}}`),
			}}}
		case "t0002":
			mt.SelectPermissions = []metadata.SelectPermission{{Role: "user", Permission: metadata.SelectPermDef{
				Columns: metadata.Columns{All: true},
				Filter:  perm(`{"_or": [{"flag": {"_eq": true}}, {"id": {"_in": "X-Hasura-Allowed-Ids"}}]}`),
			}}}
		}
	}
	s, err := schema.Build(md, cat)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Inconsistencies) > 0 {
		t.Fatalf("fixture inconsistencies: %+v", s.Inconsistencies)
	}
	return s, cat
}

// forRole returns the admin schema for "" or "admin", else the role's.
func forRole(t testing.TB, s *schema.Schema, role string) *schema.Schema {
	t.Helper()
	if role == "" || role == "admin" {
		return s
	}
	rs, err := s.ForRole(role)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// compileWith parses, validates and compiles q against s with vars (as
// decoded from a request's JSON), as the GraphQL handler does.
func compileWith(t testing.TB, s *schema.Schema, q string, vars map[string]any, opts compile.Options) (*compile.Plan, error) {
	t.Helper()
	op, coerced := prepare(t, s, q, vars)
	return compile.Compile(s, op, coerced, opts)
}

// prepare parses and validates q and coerces its variables.
func prepare(t testing.TB, s *schema.Schema, q string, vars map[string]any) (*ast.OperationDefinition, map[string]any) {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: q})
	if err != nil {
		t.Fatalf("parse %s: %v", q, err)
	}
	if errs := validator.Validate(s.GraphQL, doc); len(errs) > 0 {
		t.Fatalf("validate %s: %v", q, errs)
	}
	coerced, gerr := validator.VariableValues(s.GraphQL, doc.Operations[0], vars)
	if gerr != nil {
		t.Fatalf("variables of %s: %v", q, gerr)
	}
	return doc.Operations[0], coerced
}

// statement is one SQL statement of a plan with its arguments.
type statement struct {
	label string
	sql   string
	args  []compile.Arg
}

// statements lists the SQL of a plan: one per query root field, each
// statement of each mutation root field.
func statements(p *compile.Plan) []statement {
	var out []statement
	for _, f := range p.Fields {
		switch {
		case f.Mutation != nil:
			for i, st := range f.Mutation.Statements {
				label := fmt.Sprintf("%s[%d] result=%v path=%s", f.Alias, i, st.Result, st.Path)
				if len(st.Raises) > 0 {
					var rs []string
					for _, r := range st.Raises {
						rs = append(rs, r.Code+" at "+r.PathOr()+": "+r.Message)
					}
					label += " raises=" + strings.Join(rs, "; ")
				}
				out = append(out, statement{label, st.SQL, st.Args})
			}
		case f.Kind == compile.FieldSQL:
			out = append(out, statement{f.Alias, f.SQL, f.Args})
		}
	}
	return out
}
