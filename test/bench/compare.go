package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
)

// decodeJSON decodes b keeping numbers exact (json.Number).
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode JSON: %w", err)
	}
	return v, nil
}

// unwrapNodes replaces every object whose only member is "nodes" (a
// PostGraphile connection) by that member's value.
func unwrapNodes(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if n, ok := x["nodes"]; ok && len(x) == 1 {
			return unwrapNodes(n)
		}
		for k, e := range x {
			x[k] = unwrapNodes(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = unwrapNodes(e)
		}
		return x
	}
	return v
}

// sameData reports where got differs from want, or "" when they hold the
// same data. Numbers compare by value (to 1e-9 relative), and a string
// holding a number equals that number: engines differ in how they encode
// numeric and bigint values.
func sameData(got, want any) string {
	return diff("$", got, want)
}

func diff(path string, got, want any) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: got %s, want an object", path, describe(got))
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			gv, ok := g[k]
			if !ok {
				return fmt.Sprintf("%s: member %q missing", path, k)
			}
			if d := diff(path+"."+k, gv, w[k]); d != "" {
				return d
			}
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				return fmt.Sprintf("%s: unexpected member %q", path, k)
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok {
			return fmt.Sprintf("%s: got %s, want an array", path, describe(got))
		}
		if len(g) != len(w) {
			return fmt.Sprintf("%s: got %d elements, want %d", path, len(g), len(w))
		}
		for i := range w {
			if d := diff(fmt.Sprintf("%s[%d]", path, i), g[i], w[i]); d != "" {
				return d
			}
		}
		return ""
	case json.Number, float64:
		wf, _ := number(w)
		gf, ok := number(got)
		if !ok || !near(gf, wf) {
			return fmt.Sprintf("%s: got %s, want %v", path, describe(got), w)
		}
		return ""
	case string:
		if g, ok := got.(string); ok && g == w {
			return ""
		}
		if wf, ok := number(w); ok {
			if gf, ok := number(got); ok && near(gf, wf) {
				return ""
			}
		}
		return fmt.Sprintf("%s: got %s, want %q", path, describe(got), w)
	default: // bool, nil
		if got != want {
			return fmt.Sprintf("%s: got %s, want %v", path, describe(got), want)
		}
		return ""
	}
}

// number reads v as a number: a JSON number or a string holding one.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}

func near(a, b float64) bool {
	return a == b || math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
}

func describe(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	if len(b) > 80 {
		return string(b[:80]) + "..."
	}
	return string(b)
}
