package introspection_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/introspection"
)

// fullQuery is the introspection query GraphiQL sends (with the newer
// specifiedByURL, isRepeatable, schema description and deprecated inputs).
const fullQuery = `
query IntrospectionQuery {
  __schema {
    description
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives {
      name
      description
      isRepeatable
      locations
      args(includeDeprecated: true) { ...InputValue }
    }
  }
}
fragment FullType on __Type {
  kind
  name
  description
  specifiedByURL
  fields(includeDeprecated: true) {
    name
    description
    args(includeDeprecated: true) { ...InputValue }
    type { ...TypeRef }
    isDeprecated
    deprecationReason
  }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) {
    name
    description
    isDeprecated
    deprecationReason
  }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue {
  name
  description
  type { ...TypeRef }
  defaultValue
  isDeprecated
  deprecationReason
}
fragment TypeRef on __Type {
  kind
  name
  ofType {
    kind
    name
    ofType {
      kind
      name
      ofType {
        kind
        name
        ofType {
          kind
          name
          ofType { kind name ofType { kind name ofType { kind name } } }
        }
      }
    }
  }
}`

const fixtureSDL = `
schema { query: query_root subscription: subscription_root }
"a point in time"
scalar timestamptz @specifiedBy(url: "https://example.com/ts")
interface node { id: Int! }
"a writer"
type author implements node {
  id: Int!
  name(upper: Boolean = false): String
  old: String @deprecated(reason: "use name")
  posts(limit: Int, order: order_by = asc): [post!]!
}
type post implements node { id: Int! title: String created: timestamptz }
union anything = author | post
enum order_by {
  "ascending"
  asc
  desc
  older @deprecated
}
input author_bool_exp { _and: [author_bool_exp!] id: Int = 3 name: String }
type unused { x: ID }
type query_root {
  author(where: author_bool_exp): [author!]!
  node: node
  anything: anything
}
type subscription_root { author: [author!]! }
`

// run parses, validates and answers every introspection root field of q.
func run(t *testing.T, s *ast.Schema, q string, vars map[string]any) map[string]any {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: q})
	if err != nil {
		t.Fatal(err)
	}
	if errs := validator.Validate(s, doc); len(errs) > 0 {
		t.Fatal(errs)
	}
	op := doc.Operations[0]
	out := map[string]any{}
	for _, sel := range op.SelectionSet {
		f := sel.(*ast.Field)
		raw, err := introspection.Execute(s, op, f, vars)
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(raw) {
			t.Fatalf("invalid JSON: %s", raw)
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		key := f.Alias
		if key == "" {
			key = f.Name
		}
		out[key] = v
	}
	return out
}

func load(t *testing.T) *ast.Schema {
	t.Helper()
	s, err := gqlparser.LoadSchema(&ast.Source{Name: "fixture.graphql", Input: fixtureSDL})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// find returns the element of list whose "name" is name.
func find(t *testing.T, list any, name string) map[string]any {
	t.Helper()
	for _, x := range list.([]any) {
		m := x.(map[string]any)
		if m["name"] == name {
			return m
		}
	}
	t.Fatalf("%s not found", name)
	return nil
}

func TestFullIntrospectionQuery(t *testing.T) {
	s := load(t)
	res := run(t, s, fullQuery, nil)
	schema := res["__schema"].(map[string]any)
	if schema["queryType"].(map[string]any)["name"] != "query_root" || schema["mutationType"] != nil ||
		schema["subscriptionType"].(map[string]any)["name"] != "subscription_root" || schema["description"] != nil {
		t.Errorf("roots: %v", schema)
	}
	types := schema["types"].([]any)
	var names []string
	for _, x := range types {
		names = append(names, x.(map[string]any)["name"].(string))
	}
	joined := strings.Join(names, " ")
	// Sorted by name, unreachable types (unused, ID) left out, introspection
	// types included.
	want := "Boolean Int String __Directive __DirectiveLocation __EnumValue __Field __InputValue __Schema __Type __TypeKind anything author author_bool_exp node order_by post query_root subscription_root timestamptz"
	if joined != want {
		t.Errorf("types:\n got %s\nwant %s", joined, want)
	}

	author := find(t, types, "author")
	if author["kind"] != "OBJECT" || author["description"] != "a writer" || author["inputFields"] != nil || author["enumValues"] != nil {
		t.Errorf("author: %v", author)
	}
	if ifs := author["interfaces"].([]any); len(ifs) != 1 || ifs[0].(map[string]any)["name"] != "node" {
		t.Errorf("interfaces: %v", ifs)
	}
	fields := author["fields"].([]any)
	if len(fields) != 4 {
		t.Errorf("fields with includeDeprecated: %v", fields)
	}
	old := find(t, fields, "old")
	if old["isDeprecated"] != true || old["deprecationReason"] != "use name" {
		t.Errorf("old: %v", old)
	}
	posts := find(t, fields, "posts")
	// [post!]! is NON_NULL of LIST of NON_NULL of OBJECT post.
	typ := posts["type"].(map[string]any)
	if typ["kind"] != "NON_NULL" || typ["name"] != nil {
		t.Errorf("posts type: %v", typ)
	}
	l := typ["ofType"].(map[string]any)
	nn := l["ofType"].(map[string]any)
	obj := nn["ofType"].(map[string]any)
	if l["kind"] != "LIST" || nn["kind"] != "NON_NULL" || obj["kind"] != "OBJECT" || obj["name"] != "post" || obj["ofType"] != nil {
		t.Errorf("posts type chain: %v", typ)
	}
	order := find(t, posts["args"], "order")
	if order["defaultValue"] != "asc" || order["type"].(map[string]any)["name"] != "order_by" {
		t.Errorf("order arg: %v", order)
	}
	if a := find(t, find(t, fields, "name")["args"], "upper"); a["defaultValue"] != "false" {
		t.Errorf("upper arg: %v", a)
	}

	enum := find(t, types, "order_by")
	if vals := enum["enumValues"].([]any); len(vals) != 3 || find(t, vals, "asc")["description"] != "ascending" ||
		find(t, vals, "older")["isDeprecated"] != true || find(t, vals, "older")["deprecationReason"] != "No longer supported" {
		t.Errorf("enum: %v", enum)
	}
	input := find(t, types, "author_bool_exp")
	if input["fields"] != nil || input["interfaces"] != nil || find(t, input["inputFields"], "id")["defaultValue"] != "3" {
		t.Errorf("input: %v", input)
	}
	if ts := find(t, types, "timestamptz"); ts["specifiedByURL"] != "https://example.com/ts" || ts["description"] != "a point in time" {
		t.Errorf("scalar: %v", ts)
	}
	union := find(t, types, "anything")
	if ps := union["possibleTypes"].([]any); len(ps) != 2 || ps[0].(map[string]any)["name"] != "author" {
		t.Errorf("union: %v", union)
	}
	iface := find(t, types, "node")
	if ps := iface["possibleTypes"].([]any); len(ps) != 2 {
		t.Errorf("interface: %v", iface)
	}
	q := find(t, types, "query_root")
	for _, f := range q["fields"].([]any) {
		if strings.HasPrefix(f.(map[string]any)["name"].(string), "__") {
			t.Errorf("introspection fields must not be listed: %v", f)
		}
	}
	dirs := schema["directives"].([]any)
	// include and skip first, then the other executable directives (the
	// gqlparser prelude's @defer); @deprecated and @specifiedBy are SDL-only.
	if len(dirs) != 3 || dirs[0].(map[string]any)["name"] != "include" || dirs[1].(map[string]any)["name"] != "skip" ||
		dirs[2].(map[string]any)["name"] != "defer" {
		t.Errorf("directives: %v", dirs)
	}
	inc := dirs[0].(map[string]any)
	if locs := inc["locations"].([]any); len(locs) != 3 || inc["isRepeatable"] != false {
		t.Errorf("include: %v", inc)
	}
}

func TestTypeAliasesFragmentsDirectives(t *testing.T) {
	s := load(t)
	q := `query Q($n: String!, $skip: Boolean!, $dep: Boolean = true) {
	  a: __type(name: $n) {
	    kind
	    n1: name
	    ... on __Type { n2: name fields(includeDeprecated: $dep) { name } }
	    ...F @skip(if: $skip)
	    desc: description @include(if: $skip)
	    __typename
	  }
	  missing: __type(name: "unused") { name }
	  none: __type(name: "nope") { name }
	  __typename
	}
	fragment F on __Type { interfaces { name } }`
	res := run(t, s, q, map[string]any{"n": "author", "skip": false})
	a := res["a"].(map[string]any)
	b, _ := json.Marshal(a)
	if string(b) == "" || a["kind"] != "OBJECT" || a["n1"] != "author" || a["n2"] != "author" || a["__typename"] != "__Type" {
		t.Errorf("a: %s", b)
	}
	if _, ok := a["desc"]; ok {
		t.Error("@include(if: false) must drop the field")
	}
	if _, ok := a["interfaces"]; !ok {
		t.Error("fragment spread with @skip(if: false) must be kept")
	}
	if len(a["fields"].([]any)) != 4 {
		t.Errorf("includeDeprecated from a variable default: %v", a["fields"])
	}
	if res["missing"] != nil || res["none"] != nil {
		t.Errorf("unreachable and unknown types are null: %v %v", res["missing"], res["none"])
	}
	if res["__typename"] != "query_root" {
		t.Errorf("__typename: %v", res["__typename"])
	}
	// Key order follows the request.
	raw, err := introspection.Execute(s, nil, fieldOf(t, s, `{ __type(name: "post") { name kind description } }`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != `{"name":"post","kind":"OBJECT","description":null}` {
		t.Errorf("order: %s", raw)
	}
}

// fieldOf returns the first root field of a validated query.
func fieldOf(t *testing.T, s *ast.Schema, q string) *ast.Field {
	t.Helper()
	doc, err := gqlparser.LoadQuery(s, q)
	if err != nil {
		t.Fatal(err)
	}
	return doc.Operations[0].SelectionSet[0].(*ast.Field)
}

// TestBadDirectiveValue checks that an @include whose if: is null (a
// nullable variable with a default, set to null) is a validation error,
// not taken as false.
func TestBadDirectiveValue(t *testing.T) {
	s := load(t)
	doc, gerr := gqlparser.LoadQuery(s, `query($v: Boolean = true) { __type(name: "author") { name @include(if: $v) } }`)
	if gerr != nil {
		t.Fatal(gerr)
	}
	op := doc.Operations[0]
	_, err := introspection.Execute(s, op, op.SelectionSet[0].(*ast.Field), map[string]any{"v": nil})
	if e, ok := hasuraerr.As(err); !ok || e.Code != hasuraerr.CodeValidationFailed {
		t.Fatalf("want a validation-failed error, got %v", err)
	}
}
