package main

import (
	"strings"
	"testing"

	"github.com/stratagql/strata/test/bench/internal/chinook"
)

func mustDecode(t *testing.T, s string) any {
	t.Helper()
	v, err := decodeJSON([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSameData(t *testing.T) {
	want := mustDecode(t, `{"t":[{"id":1,"price":0.99,"avg":393599.212103910933,"a":{"title":"x"},"g":null}]}`)
	for _, got := range []string{
		`{"t":[{"id":1,"price":0.99,"avg":393599.212103910933,"a":{"title":"x"},"g":null}]}`,
		`{"t":[{"id" : 1, "price" : "0.99", "avg":"393599.212103910933", "a":{"title":"x"},"g":null}]}`,
		`{"t":{"nodes":[{"id":"1","price":0.990,"avg":393599.2121039109,"a":{"title":"x"},"g":null}]}}`,
	} {
		if d := sameData(unwrapNodes(mustDecode(t, got)), want); d != "" {
			t.Errorf("%s: %s", got, d)
		}
	}
	for got, where := range map[string]string{
		`{"t":[]}`: "got 0 elements",
		`{"t":[{"id":2,"price":0.99,"avg":393599.212103910933,"a":{"title":"x"},"g":null}]}`:       "$.t[0].id",
		`{"t":[{"id":1,"price":0.99,"avg":393599.212103910933,"a":{"title":"y"},"g":null}]}`:       "$.t[0].a.title",
		`{"t":[{"id":1,"price":0.99,"avg":393599.212103910933,"a":{"title":"x"},"g":{}}]}`:         "$.t[0].g",
		`{"t":[{"id":1,"price":0.99,"avg":393599.212103910933,"a":{"title":"x"},"g":null,"z":1}]}`: "unexpected member",
		`{"t":[{"id":1,"price":0.99,"a":{"title":"x"},"g":null}]}`:                                 `"avg" missing`,
	} {
		d := sameData(unwrapNodes(mustDecode(t, got)), want)
		if !strings.Contains(d, where) {
			t.Errorf("%s: diff %q, want one naming %q", got, d, where)
		}
	}
}

func TestQueriesAreWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, q := range chinook.Queries {
		if q.Name == "" || seen[q.Name] || q.Strata == "" || q.PostGraphile == "" || q.Oracle == "" {
			t.Errorf("query %q is incomplete or repeated", q.Name)
		}
		seen[q.Name] = true
		if (q.Role != "") != (q.Unfiltered != "") {
			t.Errorf("query %q: a role-filtered query needs an unfiltered oracle and the reverse", q.Name)
		}
	}
	agg := mustDecode(t, `{"track_aggregate":{"count":3,"aggregate":{"avg":{"milliseconds":"1.5"}}}}`).(map[string]any)
	for _, q := range chinook.Queries {
		if q.Name == "aggregate" {
			got := q.Normalize(agg)
			want := mustDecode(t, `{"track_aggregate":{"aggregate":{"count":3,"avg":{"milliseconds":1.5}}}}`)
			if d := sameData(got, want); d != "" {
				t.Error(d)
			}
		}
	}
}
