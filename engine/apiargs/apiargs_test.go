package apiargs_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/stratagql/strata/engine/apiargs"
	"github.com/stratagql/strata/engine/hasuraerr"
)

type ref struct {
	Source string `json:"source"`
	Table  string `json:"table" args:"required"`
}

func (r *ref) SetDefaults() { r.Source = "default" }

type inner struct {
	Column string `json:"column" args:"required"`
}

// kind is a string restricted to two values.
type kind string

func (k kind) ValidateArgs(path string) *hasuraerr.Error {
	if k != "a" && k != "b" {
		return apiargs.ParseFailed(path, "expected one of a, b")
	}
	return nil
}

// loose accepts a string or {"name": string}.
type loose struct{ Name string }

func (l *loose) DecodeArgs(raw json.RawMessage, path string) *hasuraerr.Error {
	if apiargs.Kind(raw) == "String" {
		return apiargs.Value(raw, path, &l.Name)
	}
	var o struct {
		Name string `json:"name" args:"required"`
	}
	if err := apiargs.Decode(raw, path, &o); err != nil {
		return err
	}
	l.Name = o.Name
	return nil
}

type args struct {
	ref
	Cascade bool             `json:"cascade"`
	Count   *int             `json:"count"`
	Names   []string         `json:"names"`
	Inner   inner            `json:"inner" args:"object"`
	Kind    kind             `json:"kind"`
	Loose   loose            `json:"loose"`
	Skip    apiargs.Ignored  `json:"skip"`
	Raw     json.RawMessage  `json:"raw"`
	Any     map[string]any   `json:"any"`
	hidden  string           // unexported: not a key
	Omitted string           `json:"-"`
	Pair    [2]int           `json:"pair"`
	Nested  struct{ X bool } `json:"nested"`
}

func (a *args) ValidateArgs(path string) *hasuraerr.Error {
	if a.Cascade && a.Count != nil {
		return hasuraerr.New(hasuraerr.CodeInvalidParams, path+".count", "count and cascade exclude each other")
	}
	return nil
}

func TestDecode(t *testing.T) {
	three := 3
	for _, tc := range []struct {
		name, in   string
		want       args
		path, msg  string
		code       string
		wantNoMore bool
	}{
		{name: "minimal with default", in: `{"table":"t"}`,
			want: args{ref: ref{Source: "default", Table: "t"}}},
		{name: "everything", in: `{"source":"s","table":"t","cascade":false,"count":3,"names":["a"],"inner":{"column":"c"},"kind":"b",
			"loose":{"name":"n"},"skip":[1,{"x":2}],"raw":{"k":1},"any":{"k":[1]},"pair":[1,2],"nested":{"X":true,"Y":1}}`,
			want: args{ref: ref{Source: "s", Table: "t"}, Count: &three, Names: []string{"a"}, Inner: inner{Column: "c"}, Kind: "b",
				Loose: loose{Name: "n"}, Raw: json.RawMessage(`{"k":1}`), Any: map[string]any{"k": []any{1.0}}, Pair: [2]int{1, 2},
				Nested: struct{ X bool }{true}}},
		{name: "null optional keeps the default", in: `{"table":"t","source":null,"count":null,"inner":null,"kind":null}`,
			want: args{ref: ref{Source: "default", Table: "t"}}},
		{name: "loose as a string", in: `{"table":"t","loose":"n"}`,
			want: args{ref: ref{Source: "default", Table: "t"}, Loose: loose{Name: "n"}}},
		{name: "absent args are an empty object", in: ``, path: "$.args", msg: `key "table" not found`},
		{name: "not an object", in: `[1]`, path: "$.args", msg: "expected Object, but encountered Array"},
		{name: "null args", in: `null`, path: "$.args", msg: "expected Object, but encountered Null"},
		{name: "missing required", in: `{"source":"s"}`, path: "$.args", msg: `key "table" not found`},
		{name: "required before unknown keys", in: `{"zz":1,"source":"s"}`, path: "$.args", msg: `key "table" not found`},
		{name: "unknown keys sorted", in: `{"table":"t","zz":1,"aa":2,"hidden":3,"Omitted":4}`, path: "$.args",
			msg: "unexpected keys in object: Omitted, aa, hidden, zz"},
		{name: "wrong type", in: `{"table":"t","cascade":"yes"}`, path: "$.args.cascade", msg: "expected Boolean, but encountered string"},
		{name: "wrong type in embedded", in: `{"table":1}`, path: "$.args.table", msg: "expected String, but encountered number"},
		{name: "first bad key in field order", in: `{"table":"t","names":"x","cascade":"yes"}`, path: "$.args.cascade", msg: "expected Boolean, but encountered string"},
		{name: "wrong element type", in: `{"table":"t","names":[1]}`, path: "$.args.names", msg: "expected String, but encountered number"},
		{name: "number", in: `{"table":"t","count":"3"}`, path: "$.args.count", msg: "expected Number, but encountered string"},
		{name: "nested lenient value path", in: `{"table":"t","nested":{"X":1}}`, path: "$.args.nested.X", msg: "expected Boolean, but encountered number"},
		{name: "nested object strict", in: `{"table":"t","inner":{"column":"c","extra":1}}`, path: "$.args.inner", msg: "unexpected keys in object: extra"},
		{name: "nested object required", in: `{"table":"t","inner":{}}`, path: "$.args.inner", msg: `key "column" not found`},
		{name: "nested object kind", in: `{"table":"t","inner":"c"}`, path: "$.args.inner", msg: "expected Object, but encountered String"},
		{name: "field validator", in: `{"table":"t","kind":"c"}`, path: "$.args.kind", msg: "expected one of a, b"},
		{name: "decoder", in: `{"table":"t","loose":{}}`, path: "$.args.loose", msg: `key "name" not found`},
		{name: "decoder kind", in: `{"table":"t","loose":5}`, path: "$.args.loose", msg: "expected Object, but encountered Number"},
		{name: "struct validator after unknown keys", in: `{"table":"t","cascade":true,"count":1,"x":1}`, path: "$.args", msg: "unexpected keys in object: x"},
		{name: "struct validator", in: `{"table":"t","cascade":true,"count":1}`, path: "$.args.count", code: hasuraerr.CodeInvalidParams,
			msg: "count and cascade exclude each other"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got args
			err := apiargs.Decode(json.RawMessage(tc.in), "$.args", &got)
			if tc.msg == "" {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("got  %+v\nwant %+v", got, tc.want)
				}
				return
			}
			code := tc.code
			if code == "" {
				code = hasuraerr.CodeParseFailed
			}
			if err == nil || err.Code != code || err.Path != tc.path || err.Message != tc.msg {
				t.Fatalf("got %+v, want %s at %s: %q", err, code, tc.path, tc.msg)
			}
		})
	}
}

// envelope tolerates unknown keys.
type envelope struct {
	Type string                     `json:"type" args:"required"`
	Rest map[string]json.RawMessage `args:"rest"`
}

func TestRest(t *testing.T) {
	var e envelope
	if err := apiargs.Decode(json.RawMessage(`{"type":"x","b":2,"a":[1]}`), "$", &e); err != nil {
		t.Fatal(err)
	}
	if e.Type != "x" || len(e.Rest) != 2 || string(e.Rest["a"]) != "[1]" {
		t.Fatalf("%+v", e)
	}
}

func TestIgnoredAcceptsAnything(t *testing.T) {
	for _, in := range []string{``, `null`, `5`, `{"a":1}`, `[]`} {
		var a struct{ apiargs.Ignored }
		if err := apiargs.Decode(json.RawMessage(in), "$.args", &a); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
	}
}

func TestPlainValue(t *testing.T) {
	var items []json.RawMessage
	if err := apiargs.Decode(json.RawMessage(`[{"a":1},2]`), "$.args", &items); err != nil || len(items) != 2 {
		t.Fatalf("%v %v", items, err)
	}
	err := apiargs.Decode(json.RawMessage(`{"a":1}`), "$.args", &items)
	if err == nil || err.Path != "$.args" || err.Message != "expected Array, but encountered object" {
		t.Fatalf("%+v", err)
	}
}

func TestKind(t *testing.T) {
	for in, want := range map[string]string{``: "Null", ` null`: "Null", `{}`: "Object", ` [1]`: "Array", `"s"`: "String",
		`true`: "Boolean", `false`: "Boolean", `-1.5`: "Number", `0`: "Number"} {
		if got := apiargs.Kind(json.RawMessage(in)); got != want {
			t.Errorf("Kind(%q) = %s, want %s", in, got, want)
		}
	}
}
