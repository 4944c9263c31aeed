package metadataapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/stratagql/strata/engine/metadata"
)

// object decodes a JSON object's fields one by one so that every error
// names the JSON path of the offending value, as Hasura's do.
type object struct {
	path string
	m    map[string]json.RawMessage
	seen map[string]bool
}

// jsonKind names the JSON type of raw the way Hasura's messages do.
func jsonKind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "Null"
	}
	switch raw[0] {
	case '{':
		return "Object"
	case '[':
		return "Array"
	case '"':
		return "String"
	case 't', 'f':
		return "Boolean"
	case 'n':
		return "Null"
	}
	return "Number"
}

func newObject(raw json.RawMessage, path string) (*object, *Error) {
	if jsonKind(raw) == "Null" && len(bytes.TrimSpace(raw)) == 0 {
		raw = json.RawMessage(`{}`)
	}
	if jsonKind(raw) != "Object" {
		return nil, parseFailed(path, "expected Object, but encountered %s", jsonKind(raw))
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, parseFailed(path, "%s", err.Error())
	}
	return &object{path: path, m: m, seen: map[string]bool{}}, nil
}

func (o *object) has(key string) bool {
	v, ok := o.m[key]
	return ok && jsonKind(v) != "Null"
}

// req decodes a required field.
func (o *object) req(key string, dst any) *Error {
	o.seen[key] = true
	v, ok := o.m[key]
	if !ok {
		return parseFailed(o.path, "key %q not found", key)
	}
	return decode(v, o.path+"."+key, dst)
}

// opt decodes a field if present and not null.
func (o *object) opt(key string, dst any) *Error {
	o.seen[key] = true
	if !o.has(key) {
		return nil
	}
	return decode(o.m[key], o.path+"."+key, dst)
}

// raw returns a field as given (nil when absent).
func (o *object) raw(key string) json.RawMessage {
	o.seen[key] = true
	return o.m[key]
}

// ignore marks keys that are accepted and not used.
func (o *object) ignore(keys ...string) {
	for _, k := range keys {
		o.seen[k] = true
	}
}

// done rejects keys that were not read.
func (o *object) done() *Error {
	var extra []string
	for k := range o.m {
		if !o.seen[k] {
			extra = append(extra, k)
		}
	}
	if len(extra) == 0 {
		return nil
	}
	sort.Strings(extra)
	return parseFailed(o.path, "unexpected keys in object: %s", strings.Join(extra, ", "))
}

// decode unmarshals raw into dst, reporting type mismatches Hasura-style.
func decode(raw json.RawMessage, path string, dst any) *Error {
	if err := json.Unmarshal(raw, dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			p := path
			if te.Field != "" {
				p += "." + te.Field
			}
			return parseFailed(p, "expected %s, but encountered %s", goKind(te.Type.Kind().String()), te.Value)
		}
		return parseFailed(path, "%s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

func goKind(k string) string {
	switch k {
	case "string":
		return "String"
	case "bool":
		return "Boolean"
	case "slice", "array":
		return "Array"
	case "struct", "map":
		return "Object"
	}
	return "Number"
}

// target is the (source, table) most commands act on.
type target struct {
	Source string
	Table  metadata.QualifiedTable
}

// tableArgs reads "source" (default "default") and "table".
func (o *object) tableArgs() (target, *Error) {
	t := target{Source: metadata.DefaultSource}
	if err := o.opt("source", &t.Source); err != nil {
		return t, err
	}
	if err := o.req("table", &t.Table); err != nil {
		return t, err
	}
	return t, nil
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("metadataapi: marshal %T: %v", v, err))
	}
	return b
}
