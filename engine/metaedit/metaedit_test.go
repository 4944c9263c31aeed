package metaedit_test

import (
	"encoding/json"
	"testing"

	"github.com/stratagql/strata/engine/apiargs"
	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/catalog/catalogtest"
	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/metaedit"
)

// The commands run here as metadataapi runs them, minus HTTP and the
// database: arguments decoded by apiargs at "$", Apply on a metadata
// document and a synthetic catalogue.

func q(name string) metadata.QualifiedTable {
	return metadata.QualifiedTable{Schema: "public", Name: name}
}

func pgType(name string) *catalog.Type {
	return &catalog.Type{Schema: "pg_catalog", Name: name, Kind: catalog.TypeBase}
}

// fixture is catalogtest.Synthetic(3) — t0000, t0001, t0002 tracked, each
// with columns id, name, created_at, score, parent_id, data, flag, an
// object relationship "parent" along parent_id and an array relationship
// "children" — plus, in the database only: "extra" (id, label, t0_id
// referencing t0000, pair_a and pair_b referencing pair), "color" (an enum
// shape: value text primary key, comment text), "pair" (a, b: a two-column
// key) and the function t0000_full(t0000).
func fixture() (*metadata.Metadata, *catalog.Catalog) {
	md, cat := catalogtest.Synthetic(3)
	int4, text := pgType("int4"), pgType("text")
	cat.Tables[q("extra")] = &catalog.Table{Name: q("extra"), Kind: catalog.KindTable,
		Columns: []*catalog.Column{{Name: "id", Position: 1, Type: int4}, {Name: "label", Position: 2, Type: text},
			{Name: "t0_id", Position: 3, Type: int4}, {Name: "pair_a", Position: 4, Type: int4}, {Name: "pair_b", Position: 5, Type: text}},
		PrimaryKey: &catalog.Constraint{Name: "extra_pkey", Columns: []string{"id"}},
		ForeignKeys: []*catalog.ForeignKey{
			{Name: "extra_t0_id_fkey", Columns: []string{"t0_id"}, RefTable: q("t0000"), RefColumns: []string{"id"}},
			{Name: "extra_pair_fkey", Columns: []string{"pair_a", "pair_b"}, RefTable: q("pair"), RefColumns: []string{"a", "b"}},
		}}
	cat.Tables[q("color")] = &catalog.Table{Name: q("color"), Kind: catalog.KindTable,
		Columns:    []*catalog.Column{{Name: "value", Position: 1, Type: text}, {Name: "comment", Position: 2, Type: text, Nullable: true}},
		PrimaryKey: &catalog.Constraint{Name: "color_pkey", Columns: []string{"value"}}}
	cat.Tables[q("pair")] = &catalog.Table{Name: q("pair"), Kind: catalog.KindTable,
		Columns:    []*catalog.Column{{Name: "a", Position: 1, Type: int4}, {Name: "b", Position: 2, Type: text}},
		PrimaryKey: &catalog.Constraint{Name: "pair_pkey", Columns: []string{"a", "b"}}}
	cat.Functions[q("t0000_full")] = []*catalog.Function{{Name: q("t0000_full"), ReturnType: text, Volatility: "s",
		Args: []catalog.FunctionArg{{Name: "row", Type: &catalog.Type{Schema: "public", Name: "t0000", Kind: catalog.TypeComposite}}}}}
	return md, cat
}

// run decodes args for the /v1/metadata command name and applies it.
func run(md *metadata.Metadata, cat *catalog.Catalog, name, args string) error {
	spec, ok := metaedit.Lookup(name, false)
	if !ok || spec.Edit == nil {
		return hasuraerr.New(hasuraerr.CodeBadRequest, "$", "no edit command %q", name)
	}
	e := spec.Edit()
	if err := apiargs.Decode(json.RawMessage(args), "$", e); err != nil {
		return err
	}
	return e.Apply(md, cat)
}

// step is one command of a case's setup.
type step struct{ cmd, args string }

// editCase runs before (each must succeed) then cmd: either it fails with
// code at path with msg, or view(md) (the entry of table when view is
// nil; null when untracked) marshals to want.
type editCase struct {
	name      string
	before    []step
	cmd, args string
	table     string
	view      func(md *metadata.Metadata) any
	want      string
	code      string
	path, msg string
}

// entry returns the metadata entry of public table name, or nil.
func entry(md *metadata.Metadata, name string) any {
	if t := md.Source(metadata.DefaultSource).Table(q(name)); t != nil {
		return t
	}
	return nil
}

func runCases(t *testing.T, cases []editCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			md, cat := fixture()
			for _, s := range tc.before {
				if err := run(md, cat, s.cmd, s.args); err != nil {
					t.Fatalf("setup %s %s: %v", s.cmd, s.args, err)
				}
			}
			err := run(md, cat, tc.cmd, tc.args)
			if tc.code != "" {
				wantErr(t, err, tc.code, tc.path, tc.msg)
				return
			}
			if err != nil {
				t.Fatalf("%s %s: %v", tc.cmd, tc.args, err)
			}
			var got any
			if tc.view != nil {
				got = tc.view(md)
			} else {
				got = entry(md, tc.table)
			}
			jsonEq(t, got, tc.want)
		})
	}
}

func wantErr(t *testing.T, err error, code, path, msg string) {
	t.Helper()
	e, ok := hasuraerr.As(err)
	if !ok {
		t.Fatalf("got %v, want %s at %s: %q", err, code, path, msg)
	}
	if e.Code != code || e.PathOr() != path || e.Message != msg {
		t.Fatalf("got %s at %s: %q\nwant %s at %s: %q", e.Code, e.PathOr(), e.Message, code, path, msg)
	}
}

// jsonEq compares got, marshalled, with the JSON want (formatting aside).
func jsonEq(t *testing.T, got any, want string) {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want %s: %v", want, err)
	}
	var gv any
	_ = json.Unmarshal(g, &gv)
	gs, _ := json.Marshal(gv)
	ws, _ := json.Marshal(w)
	if string(gs) != string(ws) {
		t.Fatalf("got  %s\nwant %s", gs, ws)
	}
}

// t0000 is t0000's entry as the fixture has it.
const t0000 = `{"table":{"schema":"public","name":"t0000"},
 "object_relationships":[{"name":"parent","using":{"foreign_key_constraint_on":"parent_id"}}],
 "array_relationships":[{"name":"children","using":{"foreign_key_constraint_on":{"column":"parent_id","table":{"schema":"public","name":"t0001"}}}}]}`

func TestSpecs(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range metaedit.Specs() {
		if (s.Edit == nil) == (s.Read == nil) {
			t.Errorf("%s/%s: exactly one of Edit and Read must be set", s.Name, s.Legacy)
		}
		if s.Name == "" && s.Legacy == "" {
			t.Error("a command without a name")
		}
		for _, n := range []string{"m:" + s.Name, "q:" + s.Legacy} {
			if len(n) > 2 && seen[n] {
				t.Errorf("%s declared twice", n)
			}
			seen[n] = true
		}
	}
	for _, name := range []string{"pg_track_table", "pg_create_select_permission", "pg_drop_delete_permission", "add_inherited_role",
		"clear_metadata", "pg_suggest_relationships", "pg_set_relationship_comment"} {
		if _, ok := metaedit.Lookup(name, false); !ok {
			t.Errorf("%s is not served on /v1/metadata", name)
		}
	}
	for _, name := range []string{"track_table", "add_existing_table_or_view", "set_table_custom_fields", "create_update_permission", "clear_metadata"} {
		if _, ok := metaedit.Lookup(name, true); !ok {
			t.Errorf("%s is not served on /v1/query", name)
		}
	}
	for _, name := range []string{"track_table", "set_table_custom_fields"} {
		if _, ok := metaedit.Lookup(name, false); ok {
			t.Errorf("%s is served on /v1/metadata", name)
		}
	}
}
