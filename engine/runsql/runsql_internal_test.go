package runsql

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/metaedit"
)

func q(name string) metadata.QualifiedTable {
	return metadata.QualifiedTable{Schema: "public", Name: name}
}

func rel(oid int64, name string, cols ...string) *Relation {
	r := &Relation{OID: oid, Name: q(name), Columns: map[int16]string{}}
	for i, c := range cols {
		if c != "" {
			r.Columns[int16(i+1)] = c
		}
	}
	return r
}

func TestDiff(t *testing.T) {
	before := map[int64]*Relation{
		10: rel(10, "author", "id", "name", "bio"),
		11: rel(11, "article", "id", "title"),
		12: rel(12, "tag", "id"),
		13: rel(13, "same", "id", "x"),
	}
	after := map[int64]*Relation{
		// author: name renamed, bio dropped, a column added (not reported)
		10: rel(10, "author", "id", "full_name", "", "extra"),
		// article renamed, its columns kept
		11: rel(11, "post", "id", "title"),
		// tag dropped; same unchanged
		13: rel(13, "same", "id", "x"),
	}
	want := &metaedit.DDL{
		DroppedTables:  []metadata.QualifiedTable{q("tag")},
		RenamedTables:  map[metadata.QualifiedTable]metadata.QualifiedTable{q("article"): q("post")},
		DroppedColumns: map[metadata.QualifiedTable][]string{q("author"): {"bio"}},
		RenamedColumns: map[metadata.QualifiedTable]map[string]string{q("author"): {"name": "full_name"}},
	}
	if got := Diff(before, after); !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	if d := Diff(map[int64]*Relation{13: rel(13, "same", "id")}, map[int64]*Relation{13: rel(13, "same", "id")}); !d.Empty() {
		t.Fatalf("no change: %+v", d)
	}
	// Drops are listed in OID order, whatever the map order.
	many := map[int64]*Relation{}
	for i := int64(1); i <= 20; i++ {
		many[i] = rel(i, string(rune('a'+i)), "id")
	}
	d := Diff(many, nil)
	for i, tbl := range d.DroppedTables {
		if tbl.Name != string(rune('a'+i+1)) {
			t.Fatalf("drop %d is %s", i, tbl.Name)
		}
	}
}

func TestShape(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []*pgconn.Result
		want string
	}{
		{"nothing", nil, `{"result_type":"CommandOk","result":null}`},
		{"command last", []*pgconn.Result{{FieldDescriptions: []pgconn.FieldDescription{{Name: "a"}}, Rows: [][][]byte{{[]byte("1")}}}, {}},
			`{"result_type":"CommandOk","result":null}`},
		{"rows with null", []*pgconn.Result{{FieldDescriptions: []pgconn.FieldDescription{{Name: "id"}, {Name: "bio"}},
			Rows: [][][]byte{{[]byte("1"), nil}, {[]byte("2"), []byte("x")}}}},
			`{"result_type":"TuplesOk","result":[["id","bio"],["1","NULL"],["2","x"]]}`},
		{"no rows", []*pgconn.Result{{FieldDescriptions: []pgconn.FieldDescription{{Name: "id"}}}},
			`{"result_type":"TuplesOk","result":[["id"]]}`},
	} {
		if got, _ := json.Marshal(shape(tc.in)); string(got) != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestPostgresError(t *testing.T) {
	pg := &pgconn.PgError{Code: "42601", Message: "syntax error", Hint: "look"}
	e, ok := hasuraerr.As(postgresError(pg, "SELEC 1"))
	if !ok || e.Code != hasuraerr.CodePostgresError || e.PathOr() != "$" || e.Message != "query execution failed" || !errors.Is(e, pg) {
		t.Fatalf("%+v", e)
	}
	got, _ := json.Marshal(e.Internal)
	want := `{"arguments":[],"error":{"description":null,"exec_status":"FatalError","hint":"look","message":"syntax error","status_code":"42601"},"prepared":false,"statement":"SELEC 1"}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	other := errors.New("broken pipe")
	if postgresError(other, "x") != other {
		t.Fatal("a non-PostgreSQL error was rewritten")
	}
}
