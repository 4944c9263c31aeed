package gqlcollect_test

import (
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/stratagql/strata/engine/gqlcollect"
	"github.com/stratagql/strata/engine/hasuraerr"
)

// parse parses a document and links its fragment spreads to their
// definitions as validation does (without validating, so a test can hold
// a cycle validation would refuse). It returns the first operation's
// selection set.
func parse(t *testing.T, q string) ast.SelectionSet {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: q})
	if err != nil {
		t.Fatal(err)
	}
	var link func(ast.SelectionSet)
	link = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				link(s.SelectionSet)
			case *ast.InlineFragment:
				link(s.SelectionSet)
			case *ast.FragmentSpread:
				s.Definition = doc.Fragments.ForName(s.Name)
			}
		}
	}
	for _, f := range doc.Fragments {
		link(f.SelectionSet)
	}
	link(doc.Operations[0].SelectionSet)
	return doc.Operations[0].SelectionSet
}

// keys renders groups as "key:count" items, count being the number of
// fields of the group.
func keys(groups []gqlcollect.Group) string {
	var out []string
	for _, g := range groups {
		s := g.Key
		if len(g.Fields) > 1 {
			s += ":" + strings.Repeat("+", len(g.Fields)-1)
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

func TestFields(t *testing.T) {
	tests := []struct {
		name  string
		query string
		vars  map[string]any
		want  string
	}{
		{"no directives", `{ a b c }`, nil, "a b c"},
		{"skip and include literals",
			`{ a @skip(if: true) b @skip(if: false) c @include(if: true) d @include(if: false) }`, nil, "b c"},
		{"skip and include variables",
			`query($t: Boolean!, $f: Boolean!) { a @skip(if: $t) b @skip(if: $f) c @include(if: $t) d @include(if: $f) }`,
			map[string]any{"t": true, "f": false}, "b c"},
		{"both directives: included only when neither excludes",
			`{ a @skip(if: false) @include(if: true) b @skip(if: true) @include(if: true) c @skip(if: false) @include(if: false) d @include(if: true) @skip(if: true) }`,
			nil, "a"},
		{"aliases are response keys", `{ x: a y: a a }`, nil, "x y a"},
		{"same key merges in first-seen order", `{ a b x: c a @include(if: true) x: c }`, nil, "a:+ b x:+"},
		{"inline fragments, nested and by type condition",
			`{ a ... on T { b ... { c ... on T { d } } ... on U { no } } ... on U { no2 } ... @skip(if: true) { no3 } }`, nil, "a b c d"},
		{"fragment spreads, nested and by type condition",
			`{ a ...F ...G } fragment F on T { b ...H } fragment H on T { c } fragment G on U { no }`, nil, "a b c"},
		{"spread inside an inline fragment and the reverse",
			`{ ... on T { ...F } } fragment F on T { a ... on T { b } }`, nil, "a b"},
		{"a repeated spread is expanded once",
			`{ ...F a ...F ... on T { ...F } } fragment F on T { a b }`, nil, "a:+ b"},
		{"a spread reached through two fragments is expanded once",
			`{ ...F ...G } fragment F on T { ...H } fragment G on T { ...H } fragment H on T { a }`, nil, "a"},
		{"a skipped spread does not count as expanded",
			`{ ...F @skip(if: true) ...F } fragment F on T { a }`, nil, "a"},
		{"a directive on a spread excludes it",
			`query($v: Boolean!) { ...F @include(if: $v) b } fragment F on T { a }`, map[string]any{"v": false}, "b"},
		{"a cycle terminates", `{ ...F } fragment F on T { a ...G } fragment G on T { b ...F }`, nil, "a b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			groups, err := gqlcollect.Fields(parse(t, tt.query), "T", tt.vars)
			if err != nil {
				t.Fatal(err)
			}
			if got := keys(groups); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestGroupField(t *testing.T) {
	groups, err := gqlcollect.Fields(parse(t, `{ x: a { p } y: b { q } x: a { r ...F } } fragment F on T { s }`), "T", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 2 {
		t.Fatalf("groups: %s", keys(groups))
	}
	one := groups[1]
	if one.Field() != one.Fields[0] {
		t.Error("a one-field group must answer its field itself")
	}
	g := groups[0]
	f := g.Field()
	if f.Name != "a" || f.Alias != "x" || len(f.SelectionSet) != 3 {
		t.Fatalf("merged field %s: %s with %d selections", f.Alias, f.Name, len(f.SelectionSet))
	}
	if len(g.Fields[0].SelectionSet) != 1 || len(g.Fields[1].SelectionSet) != 2 {
		t.Error("merging modified the document")
	}
	sub, err := gqlcollect.Fields(f.SelectionSet, "A", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := keys(sub); got != "p r" {
		t.Errorf("merged selection of x: %q (fragment F on T must not apply to A)", got)
	}
}

func TestBadIfValue(t *testing.T) {
	tests := []struct {
		name  string
		query string
		vars  map[string]any
		want  string
	}{
		{"null variable", `query($v: Boolean) { a @skip(if: $v) }`, map[string]any{"v": nil}, "found null"},
		{"unset variable", `query($v: Boolean) { a @include(if: $v) }`, nil, "found null"},
		{"string variable", `query($v: Boolean) { a @include(if: $v) }`, map[string]any{"v": "true"}, "found a string"},
		{"int literal", `{ a @skip(if: 1) }`, nil, "found a number"},
		{"unparsable literal", `{ a @skip(if: 99999999999999999999) }`, nil, "invalid value"},
		{"null literal", `{ a @include(if: null) }`, nil, "found null"},
		{"missing if", `{ a @include }`, nil, "missing required argument 'if'"},
		{"in an inline fragment", `{ ... @include(if: null) { a } }`, nil, "found null"},
		{"on a spread", `{ ...F @skip(if: "x") } fragment F on T { a }`, nil, "found a string"},
		{"inside a fragment", `{ ...F } fragment F on T { a @skip(if: null) }`, nil, "found null"},
		{"after a good one", `{ a @skip(if: false) @include(if: null) }`, nil, "found null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			groups, err := gqlcollect.Fields(parse(t, tt.query), "T", tt.vars)
			if err == nil {
				t.Fatalf("no error; groups %q", keys(groups))
			}
			e, ok := hasuraerr.As(err)
			if !ok || e.Code != hasuraerr.CodeValidationFailed {
				t.Fatalf("want a validation-failed error, got %#v", err)
			}
			if !strings.Contains(e.Message, tt.want) {
				t.Errorf("message %q does not contain %q", e.Message, tt.want)
			}
		})
	}
}

func TestIncluded(t *testing.T) {
	field := parse(t, `{ a @deprecated @skip(if: false) @include(if: true) }`)[0].(*ast.Field)
	ok, err := gqlcollect.Included(field.Directives, nil)
	if err != nil || !ok {
		t.Errorf("Included = %v, %v; want true (other directives are ignored)", ok, err)
	}
	ok, err = gqlcollect.Included(nil, nil)
	if err != nil || !ok {
		t.Errorf("Included(no directives) = %v, %v", ok, err)
	}
}
