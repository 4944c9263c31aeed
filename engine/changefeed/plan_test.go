package changefeed

import (
	"reflect"
	"strings"
	"testing"

	"github.com/stratagql/strata/engine/metadata"
)

func TestPayloadRoundTrip(t *testing.T) {
	for _, tab := range []metadata.QualifiedTable{
		{Schema: "public", Name: "a"},
		{Schema: "we.ird", Name: `it's a "\table"`},
		{Schema: "ünï", Name: "côdé"},
	} {
		got, ok := parsePayload(payload(tab))
		if !ok || got != tab {
			t.Fatalf("parsePayload(payload(%v)) = %v, %v", tab, got, ok)
		}
	}
	// The longest identifiers (63 bytes), all escaped by JSON, stay far
	// below pg_notify's 8000-byte payload limit.
	worst := strings.Repeat("\x01", 63)
	if n := len(payload(metadata.QualifiedTable{Schema: worst, Name: worst})); n >= 8000 {
		t.Fatalf("worst payload: %d bytes", n)
	}
	for _, bad := range []string{"", "public.a", `["a"]`, `["a","b","c"]`, `{"schema":"a"}`} {
		if _, ok := parsePayload(bad); ok {
			t.Fatalf("parsePayload(%q) accepted", bad)
		}
	}
}

func TestTriggerNameFitsAndDistinguishesTargets(t *testing.T) {
	long := metadata.QualifiedTable{Schema: "s", Name: string(make([]byte, 63))}
	a, b := triggerName(metadata.QualifiedTable{Schema: "public", Name: "a"}), triggerName(metadata.QualifiedTable{Schema: "public.a", Name: ""})
	if a == b || len(triggerName(long)) > 63 || a[:len(TriggerPrefix)] != TriggerPrefix {
		t.Fatalf("trigger names: %q %q %q", a, b, triggerName(long))
	}
}

func TestMissingAndUnneeded(t *testing.T) {
	a := metadata.QualifiedTable{Schema: "public", Name: "a"}
	b := metadata.QualifiedTable{Schema: "public", Name: "b"}
	v := metadata.QualifiedTable{Schema: "public", Name: "v"}
	tr := func(rel, target metadata.QualifiedTable) trigger {
		return trigger{Rel: rel, Name: triggerName(target), Target: target}
	}
	installed := func(trs ...trigger) []trigger {
		out := make([]trigger, len(trs))
		for i, t := range trs {
			out[i] = trigger{Rel: t.Rel, Name: t.Name}
		}
		return out
	}
	needed := []trigger{tr(b, b), tr(a, v), tr(a, a), tr(b, v), tr(a, a)}
	if create, want := missing(needed, nil), []trigger{tr(a, a), tr(a, v), tr(b, b), tr(b, v)}; !samePairs(create, want) || len(create) != len(want) {
		t.Fatalf("from nothing: create %v", create)
	}
	all := installed(tr(a, a), tr(a, v), tr(b, b), tr(b, v))
	if create, drop := missing(needed, all), unneeded(needed, all); len(create) != 0 || len(drop) != 0 {
		t.Fatalf("in place: create %v, drop %v", create, drop)
	}
	if create := missing([]trigger{tr(a, a), tr(b, v)}, installed(tr(a, a))); !samePairs(create, []trigger{tr(b, v)}) {
		t.Fatalf("v half installed: create %v", create)
	}
	if drop := unneeded([]trigger{tr(a, a)}, installed(tr(a, a), tr(a, v), tr(b, v))); !samePairs(drop, installed(tr(a, v), tr(b, v))) {
		t.Fatalf("untrack v: drop %v", drop)
	}
}

// samePairs compares sets of triggers by table and name.
func samePairs(got, want []trigger) bool {
	set := func(s []trigger) map[trigger]int {
		out := map[trigger]int{}
		for _, t := range s {
			out[trigger{Rel: t.Rel, Name: t.Name}]++
		}
		return out
	}
	return reflect.DeepEqual(set(got), set(want))
}
