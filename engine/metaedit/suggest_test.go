package metaedit_test

import (
	"encoding/json"
	"testing"

	"github.com/stratagql/strata/engine/apiargs"
	"github.com/stratagql/strata/engine/metaedit"
)

func TestSuggestRelationships(t *testing.T) {
	obj := func(from, col, to string) string {
		return `{"type":"object","from":{"table":{"schema":"public","name":"` + from + `"},"columns":["` + col + `"],"constraint_name":"` + from + `_` + col + `_fkey"},` +
			`"to":{"table":{"schema":"public","name":"` + to + `"},"columns":["id"]}}`
	}
	arr := func(from, col, to string) string {
		return `{"type":"array","from":{"table":{"schema":"public","name":"` + to + `"},"columns":["id"]},` +
			`"to":{"table":{"schema":"public","name":"` + from + `"},"columns":["` + col + `"],"constraint_name":"` + from + `_` + col + `_fkey"}}`
	}
	for _, tc := range []struct{ name, args, want string }{
		{"tracked tables", `{}`, `{"relationships":[` + arr("extra", "t0_id", "t0000") + `,` +
			obj("t0000", "parent_id", "t0002") + `,` + arr("t0000", "parent_id", "t0002") + `,` +
			obj("t0001", "parent_id", "t0000") + `,` + arr("t0001", "parent_id", "t0000") + `,` +
			obj("t0002", "parent_id", "t0001") + `,` + arr("t0002", "parent_id", "t0001") + `]}`},
		{"untracked ones only", `{"omit_tracked":true}`, `{"relationships":[` + arr("extra", "t0_id", "t0000") + `]}`},
		{"named tables", `{"tables":["extra","t0000"]}`, `{"relationships":[` +
			obj("extra", "t0_id", "t0000") + `,` + arr("extra", "t0_id", "t0000") + `,` +
			`{"type":"object","from":{"table":{"schema":"public","name":"extra"},"columns":["pair_a","pair_b"],"constraint_name":"extra_pair_fkey"},` +
			`"to":{"table":{"schema":"public","name":"pair"},"columns":["a","b"]}},` +
			obj("t0000", "parent_id", "t0002") + `,` + arr("t0001", "parent_id", "t0000") + `]}`},
	} {
		spec, _ := metaedit.Lookup("pg_suggest_relationships", false)
		r := spec.Read()
		if err := apiargs.Decode(json.RawMessage(tc.args), "$", r); err != nil {
			t.Fatal(err)
		}
		md, cat := fixture()
		got, err := r.Answer(md, cat)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(tc.name, func(t *testing.T) { jsonEq(t, got, tc.want) })
	}
	spec, _ := metaedit.Lookup("pg_suggest_relationships", false)
	r := spec.Read()
	_ = apiargs.Decode(json.RawMessage(`{"source":"other"}`), "$", r)
	md, cat := fixture()
	_, err := r.Answer(md, cat)
	wantErr(t, err, "not-exists", "$", `source with name "other" does not exist`)
}
