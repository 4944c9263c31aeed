package graphql

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/compile"
	"github.com/stratagql/strata/engine/execute"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/schema"
	"github.com/stratagql/strata/internal/testdb"
)

// fixture is a demo database with its schema, shared by this package's tests.
type fixture struct {
	pool   *pgxpool.Pool
	schema *schema.Schema
}

var shared *fixture

func TestMain(m *testing.M) {
	os.Exit(func() int {
		ctx := context.Background()
		url, drop, err := testdb.Create(ctx, "graphql")
		if err != nil {
			panic(err)
		}
		defer drop()
		demo, err := os.ReadFile("../../hack/demo.sql")
		if err != nil {
			panic(err)
		}
		if err := testdb.Exec(ctx, url, string(demo)); err != nil {
			panic(err)
		}
		pool, err := pgxpool.New(ctx, url)
		if err != nil {
			panic(err)
		}
		defer pool.Close()
		s, err := buildSchema(ctx, pool, "../../hack/demo-metadata.json")
		if err != nil {
			panic(err)
		}
		shared = &fixture{pool: pool, schema: s}
		return m.Run()
	}())
}

func buildSchema(ctx context.Context, pool *pgxpool.Pool, mdFile string) (*schema.Schema, error) {
	raw, err := os.ReadFile(mdFile)
	if err != nil {
		return nil, err
	}
	md, err := metadata.Parse(raw)
	if err != nil {
		return nil, err
	}
	cat, err := catalog.Load(ctx, pool)
	if err != nil {
		return nil, err
	}
	return schema.Build(md, cat)
}

func newHandler(opts compile.Options) *Handler {
	return &Handler{
		Schema: func() (*schema.Schema, int64) { return shared.schema, 1 },
		Exec:   &execute.Executor{Pool: shared.pool},
		Opts:   opts,
	}
}

// post sends a raw body to the handler and returns status and body.
func post(t *testing.T, h http.Handler, body string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/v1/graphql", strings.NewReader(body)))
	b, _ := io.ReadAll(rec.Body)
	return rec.Code, string(b)
}

func gql(t *testing.T, h http.Handler, query string, vars map[string]any) string {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	_, out := post(t, h, string(b))
	return out
}

// compact normalises JSON whitespace for comparisons that keep key order.
func compact(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatalf("invalid JSON %q: %v", s, err)
	}
	return b.String()
}

func TestQueries(t *testing.T) {
	h := newHandler(compile.Options{})
	cases := []struct {
		name, query string
		vars        map[string]any
		want        string
	}{
		{"simple list with order and limit",
			`{ artist(order_by: {name: asc}, limit: 2) { id name } }`, nil,
			`{"data":{"artist":[{"id":3,"name":"Björk"},{"id":1,"name":"Miles Davis"}]}}`},
		{"by pk",
			`{ artist_by_pk(id: 2) { name country } }`, nil,
			`{"data":{"artist_by_pk":{"name":"Nina Simone","country":"US"}}}`},
		{"by pk missing row is null",
			`{ artist_by_pk(id: 99) { name } }`, nil,
			`{"data":{"artist_by_pk":null}}`},
		{"nested three levels",
			`{ artist(where: {id: {_eq: 4}}) { name albums(order_by: {id: asc}) { title tracks(order_by: {id: asc}, limit: 1) { name genre { name } } } } }`, nil,
			`{"data":{"artist":[{"name":"Radiohead","albums":[{"title":"OK Computer","tracks":[{"name":"Paranoid Android","genre":{"name":"Rock"}}]},{"title":"Kid A","tracks":[{"name":"Idioteque","genre":{"name":"Electronic"}}]}]}]}}`},
		{"object relationship upwards",
			`{ track(where: {name: {_eq: "Jóga"}}) { album { title artist { name } } } }`, nil,
			`{"data":{"track":[{"album":{"title":"Homogenic","artist":{"name":"Björk"}}}]}}`},
		{"aliases typename and several root fields",
			`{ a: artist_by_pk(id: 1) { __typename n: name } b: genre(order_by: {id: desc}, limit: 1) { name } __typename }`, nil,
			`{"data":{"a":{"__typename":"artist","n":"Miles Davis"},"b":[{"name":"Rock"}],"__typename":"query_root"}}`},
		{"variables fragments and directives",
			`query Q($id: Int!, $withCountry: Boolean!) { artist(where: {id: {_eq: $id}}) { ...F country @include(if: $withCountry) } } fragment F on artist { name }`,
			map[string]any{"id": 3, "withCountry": false},
			`{"data":{"artist":[{"name":"Björk"}]}}`},
		{"where operators",
			`{ track(where: {_and: [{name: {_ilike: "%a%"}}, {_or: [{milliseconds: {_gt: 600000}}, {unit_price: {_lt: 1}}]}], _not: {album_id: {_in: [3]}}}, order_by: {id: asc}) { id } }`, nil,
			`{"data":{"track":[{"id":1},{"id":2},{"id":4}]}}`},
		{"relationship filter",
			`{ album(where: {artist: {country: {_eq: "GB"}}}, order_by: {title: asc}) { title } }`, nil,
			`{"data":{"album":[{"title":"Kid A"},{"title":"OK Computer"}]}}`},
		{"array relationship filter",
			`{ artist(where: {albums: {tracks: {milliseconds: {_gt: 1000000}}}}) { name } }`, nil,
			`{"data":{"artist":[{"name":"Miles Davis"}]}}`},
		{"jsonb operators",
			`{ a: album(where: {tags: {_contains: {label: "Parlophone"}}}, order_by: {id: asc}) { id } b: album(where: {tags: {_has_key: "modal"}}) { id } }`, nil,
			`{"data":{"a":[{"id":5},{"id":6}],"b":[{"id":1}]}}`},
		{"is_null and nin",
			`{ track(where: {genre_id: {_is_null: false}, id: {_nin: [1,2,3,4,5,6,7,8,9,10]}}, order_by: {id: asc}) { id } }`, nil,
			`{"data":{"track":[{"id":11},{"id":12}]}}`},
		{"order by object relationship and nulls",
			`{ album(order_by: [{artist: {name: desc}}, {released: asc}], limit: 3) { title } }`, nil,
			`{"data":{"album":[{"title":"OK Computer"},{"title":"Kid A"},{"title":"Pastel Blues"}]}}`},
		{"order by array aggregate",
			`{ artist(order_by: {albums_aggregate: {count: desc}, name: asc}, limit: 2) { name } }`, nil,
			`{"data":{"artist":[{"name":"Miles Davis"},{"name":"Radiohead"}]}}`},
		{"distinct on",
			`{ track(distinct_on: album_id, order_by: [{album_id: asc}, {milliseconds: desc}], where: {album_id: {_lte: 2}}) { album_id name } }`, nil,
			`{"data":{"track":[{"album_id":1,"name":"Freddie Freeloader"},{"album_id":2,"name":"Pharaoh's Dance"}]}}`},
		{"pagination",
			`{ track(order_by: {id: asc}, limit: 2, offset: 10) { id } }`, nil,
			`{"data":{"track":[{"id":11},{"id":12}]}}`},
		{"aggregate",
			`{ track_aggregate(where: {album_id: {_eq: 1}}) { aggregate { count sum { milliseconds } max { name } avg { unit_price } } nodes { id } } }`, nil,
			`{"data":{"track_aggregate":{"aggregate":{"count":3,"sum":{"milliseconds":1485000},"max":{"name":"So What"},"avg":{"unit_price":0.99000000000000000000}},"nodes":[{"id":1},{"id":2},{"id":3}]}}}`},
		{"count distinct columns",
			`{ track_aggregate { aggregate { count(columns: genre_id, distinct: true) } } }`, nil,
			`{"data":{"track_aggregate":{"aggregate":{"count":4}}}}`},
		{"array relationship aggregate",
			`{ artist_by_pk(id: 1) { albums_aggregate { aggregate { count } } } }`, nil,
			`{"data":{"artist_by_pk":{"albums_aggregate":{"aggregate":{"count":2}}}}}`},
		{"aggregate predicate in where",
			`{ artist(where: {albums_aggregate: {count: {predicate: {_gte: 2}}}}, order_by: {id: asc}) { name } }`, nil,
			`{"data":{"artist":[{"name":"Miles Davis"},{"name":"Radiohead"}]}}`},
		{"empty result",
			`{ artist(where: {name: {_eq: "nobody"}}) { id } }`, nil,
			`{"data":{"artist":[]}}`},
		{"variables in where as object",
			`query($w: artist_bool_exp) { artist(where: $w, order_by: {id: asc}) { id } }`,
			map[string]any{"w": map[string]any{"country": map[string]any{"_eq": "US"}}},
			`{"data":{"artist":[{"id":1},{"id":2}]}}`},
		{"manual relationship",
			`{ genre(where: {name: {_eq: "Soul"}}) { tracks(order_by: {id: asc}) { name } } }`, nil,
			`{"data":{"genre":[{"tracks":[{"name":"Sinnerman"},{"name":"Be My Husband"}]}]}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := gql(t, h, tc.query, tc.vars)
			if compact(t, got) != compact(t, tc.want) {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	h := newHandler(compile.Options{})
	cases := []struct {
		name, body string
		status     int
		want       string
	}{
		{"invalid json", `{"query": `, 400, `"code":"invalid-json"`},
		{"parse error", `{"query": "{ artist { "}`, 200, `{"errors":[{"message":"not a valid graphql query","extensions":{"code":"validation-failed","path":"$.query"}}]}`},
		{"unknown field", `{"query": "{ nope { id } }"}`, 200, `{"errors":[{"message":"field 'nope' not found in type: 'query_root'","extensions":{"code":"validation-failed","path":"$.selectionSet.nope"}}]}`},
		{"unknown nested field", `{"query": "{ artist { albums { nope } } }"}`, 200, `{"errors":[{"message":"field 'nope' not found in type: 'album'","extensions":{"code":"validation-failed","path":"$.selectionSet.artist.selectionSet.albums.selectionSet.nope"}}]}`},
		{"null in boolean expression", `{"query": "{ artist(where: {name: {_eq: null}}) { id } }"}`, 200, `unexpected null value for type \"String\"`},
		{"unexpected variable", `{"query": "{ artist { id } }", "variables": {"x": 1}}`, 200, `unexpected variables in variableValues: x`},
		{"missing variable", `{"query": "query($id: Int!) { artist_by_pk(id: $id) { id } }"}`, 200, `expecting a value for non-nullable variable: \"id\"`},
		{"bad value for type", `{"query": "query($d: date) { album(where: {released: {_eq: $d}}) { id } }", "variables": {"d": "not a date"}}`, 200, `"code":"data-exception"`},
		{"distinct on rule", `{"query": "{ track(distinct_on: album_id, order_by: {name: asc}) { id } }"}`, 200, `\"distinct_on\" columns must match initial \"order_by\" columns`},
		{"operation name", `{"query": "query A { artist { id } } query B { genre { id } }"}`, 200, `exactly one operation has to be present`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := post(t, h, tc.body)
			if status != tc.status || !strings.Contains(body, tc.want) {
				t.Errorf("got %d %s\nwant %d containing %s", status, body, tc.status, tc.want)
			}
			if strings.Contains(body, `"data"`) {
				t.Errorf("an error response must not carry data: %s", body)
			}
		})
	}
}

func TestBatch(t *testing.T) {
	h := newHandler(compile.Options{})
	_, body := post(t, h, `[{"query": "{ artist_by_pk(id: 1) { name } }"}, {"query": "{ nope }"}, {"query": "{ genre_by_pk(id: 1) { name } }"}]`)
	var out []map[string]any
	if err := json.Unmarshal([]byte(body), &out); err != nil || len(out) != 3 {
		t.Fatalf("batch response %s: %v", body, err)
	}
	if out[0]["data"] == nil || out[1]["errors"] == nil || out[2]["data"] == nil {
		t.Fatalf("unexpected batch response %s", body)
	}
}

func TestStringifyNumeric(t *testing.T) {
	h := newHandler(compile.Options{StringifyNumeric: true})
	got := gql(t, h, `{ track_by_pk(id: 1) { unit_price milliseconds } }`, nil)
	if compact(t, got) != `{"data":{"track_by_pk":{"unit_price":"0.99","milliseconds":562000}}}` {
		t.Fatalf("got %s", got)
	}
}

func TestPlanCacheReusesPlanAcrossSlotValues(t *testing.T) {
	h := newHandler(compile.Options{})
	q := `query($id: Int!) { artist_by_pk(id: $id) { name } }`
	a := gql(t, h, q, map[string]any{"id": 1})
	b := gql(t, h, q, map[string]any{"id": 2})
	if !strings.Contains(a, "Miles Davis") || !strings.Contains(b, "Nina Simone") {
		t.Fatalf("got %s and %s", a, b)
	}
	if h.docs.Len() != 1 {
		t.Fatalf("expected one cached document, have %d", h.docs.Len())
	}
	p, _ := h.docs.Get(1, docKey{role: "admin", query: sha256.Sum256([]byte(q))})
	if p == nil || p.plans.Len() != 1 {
		t.Fatalf("expected one cached plan for both values, have %v", p)
	}
	if h.docs.Bytes() <= docSize(q) {
		t.Errorf("the plan's size is not accounted to its document: %d bytes", h.docs.Bytes())
	}
}

// Documents that fail to parse or validate are not cached: they would
// only fill the cache.
func TestFailedDocumentsAreNotCached(t *testing.T) {
	h := newHandler(compile.Options{})
	for _, q := range []string{`{ artist { `, `{ nope }`, `query A { artist { id } } query B { genre { id } }`} {
		if got := gql(t, h, q, nil); !strings.Contains(got, `"errors"`) {
			t.Fatalf("%s: %s", q, got)
		}
	}
	if n := h.docs.Len(); n != 0 {
		t.Fatalf("%d failed documents cached", n)
	}
}

func TestIntrospection(t *testing.T) {
	h := newHandler(compile.Options{})
	got := gql(t, h, `{ __schema { queryType { name fields { name } } } t: __type(name: "artist") { name kind } }`, nil)
	for _, want := range []string{`"queryType":{"name":"query_root"`, `{"name":"artist"}`, `{"name":"artist_aggregate"}`, `{"name":"artist_by_pk"}`, `"t":{"name":"artist","kind":"OBJECT"}`} {
		if !strings.Contains(got, want) {
			t.Errorf("introspection lacks %s: %s", want, got)
		}
	}
}
