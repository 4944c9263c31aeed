// Package apiargs is the one argument decoder of Hasura's REST-style
// commands (/v1/metadata, /v1/query, /v2/query): it decodes a command's
// JSON arguments into a Go struct strictly, and every error it reports
// carries Hasura's parse-failed code and the JSON path of the value at
// fault ("$.args.table", "$.args[2].args.permission.columns").
//
// A command declares its arguments as a struct whose fields carry `json`
// tags (the key) and optionally an `args` tag:
//
//	type dropRelationship struct {
//		TableRef                          // embedded: its keys are this object's
//		Relationship string  `json:"relationship" args:"required"`
//		Cascade      bool    `json:"cascade"`
//		Extra        Ignored `json:"apollo_federation_config"` // accepted, unused
//	}
//
// Decode reads the keys in field order, so the first missing or
// ill-typed key is the one reported, then rejects keys no field names
// ("unexpected keys in object: a, b"). A required key must be present
// (`key "x" not found`); an optional key that is absent or null leaves the
// field as it was, so defaults set by SetDefaults (Defaulter) stand.
// Field values are decoded with encoding/json; a type mismatch is reported
// as "expected Boolean, but encountered string" at the value's path. A
// field whose type implements Decoder decodes itself (for a nested object
// that is strict too, or a value with several accepted shapes), and a
// type implementing Validator checks its decoded value.
//
// `args:"object"` decodes a struct-typed field as a nested arguments
// struct, strictly, by the same rules.
//
// `args:"rest"` on a map[string]json.RawMessage field collects the keys
// no other field names instead of rejecting them (for envelopes that
// tolerate extra keys).
package apiargs

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"sort"
	"strings"

	"github.com/stratagql/strata/engine/hasuraerr"
)

// Decoder is implemented by argument types that decode themselves from
// the JSON value raw found at path.
type Decoder interface {
	DecodeArgs(raw json.RawMessage, path string) *hasuraerr.Error
}

// Defaulter is implemented by argument types with defaults other than the
// zero value; Decode calls SetDefaults before decoding.
type Defaulter interface {
	SetDefaults()
}

// Validator is implemented by argument types that check their decoded
// value; Decode calls ValidateArgs with the value's path once the value,
// unknown keys included, decoded.
type Validator interface {
	ValidateArgs(path string) *hasuraerr.Error
}

// Ignored accepts any JSON value and keeps nothing: a field of this type
// names a key that is allowed and unused; a command whose arguments are
// Ignored (or embed it) accepts anything.
type Ignored struct{}

// DecodeArgs implements Decoder.
func (*Ignored) DecodeArgs(json.RawMessage, string) *hasuraerr.Error { return nil }

// ParseFailed is Hasura's parse-failed error at path.
func ParseFailed(path, format string, args ...any) *hasuraerr.Error {
	return hasuraerr.New(hasuraerr.CodeParseFailed, path, format, args...)
}

// Kind names the JSON type of raw as Hasura's messages do: Object, Array,
// String, Number, Boolean or Null.
func Kind(raw json.RawMessage) string {
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

// IsNull reports whether raw is absent or JSON null.
func IsNull(raw json.RawMessage) bool { return Kind(raw) == "Null" }

// Decode decodes raw, the JSON value at path, into dst: a pointer to an
// arguments struct (see the package comment) or to a type implementing
// Decoder; any other dst is decoded with Value. Absent arguments (empty
// raw) are an empty object.
func Decode(raw json.RawMessage, path string, dst any) *hasuraerr.Error {
	if d, ok := dst.(Defaulter); ok {
		d.SetDefaults()
	}
	if d, ok := dst.(Decoder); ok {
		if err := d.DecodeArgs(raw, path); err != nil {
			return err
		}
	} else if err := decodeObject(raw, path, dst); err != nil {
		return err
	}
	if v, ok := dst.(Validator); ok {
		return v.ValidateArgs(path)
	}
	return nil
}

// Object splits raw, the JSON value at path, into its keys, or fails
// unless it is an object (empty raw is an empty object).
func Object(raw json.RawMessage, path string) (map[string]json.RawMessage, *hasuraerr.Error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return map[string]json.RawMessage{}, nil
	}
	if k := Kind(raw); k != "Object" {
		return nil, ParseFailed(path, "expected Object, but encountered %s", k)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, ParseFailed(path, "%s", err.Error())
	}
	return m, nil
}

func decodeObject(raw json.RawMessage, path string, dst any) *hasuraerr.Error {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		// Not an arguments struct: a plain value.
		return Value(raw, path, dst)
	}
	m, err := Object(raw, path)
	if err != nil {
		return err
	}
	seen := make(map[string]bool, len(m))
	var rest reflect.Value
	for _, f := range fieldsOf(v.Elem()) {
		if f.rest {
			rest = f.v
			continue
		}
		seen[f.key] = true
		val, present := m[f.key]
		switch {
		case !present && f.required:
			return ParseFailed(path, "key %q not found", f.key)
		case !present, IsNull(val) && !f.required:
			continue
		}
		if err := f.decode(val, path+"."+f.key); err != nil {
			return err
		}
	}
	var extra []string
	for k := range m {
		if !seen[k] {
			extra = append(extra, k)
		}
	}
	if len(extra) == 0 {
		return nil
	}
	if rest.IsValid() {
		if rest.IsNil() {
			rest.Set(reflect.MakeMap(rest.Type()))
		}
		for _, k := range extra {
			rest.SetMapIndex(reflect.ValueOf(k), reflect.ValueOf(m[k]))
		}
		return nil
	}
	sort.Strings(extra)
	return ParseFailed(path, "unexpected keys in object: %s", strings.Join(extra, ", "))
}

// field is one key of an arguments struct.
type field struct {
	key                    string
	v                      reflect.Value
	required, rest, object bool
}

// decode decodes the key's value raw, at path, into the field: as a
// nested arguments struct when tagged `args:"object"` or a Decoder,
// otherwise with Value (then Validator, if implemented).
func (f field) decode(raw json.RawMessage, path string) *hasuraerr.Error {
	dst := f.v.Addr().Interface()
	if _, ok := dst.(Decoder); ok || f.object {
		return Decode(raw, path, dst)
	}
	if err := Value(raw, path, dst); err != nil {
		return err
	}
	if v, ok := dst.(Validator); ok {
		return v.ValidateArgs(path)
	}
	return nil
}

// fieldsOf lists the keys of struct value v in field order, with the keys
// of embedded untagged structs in place.
func fieldsOf(v reflect.Value) []field {
	var out []field
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if sf.Anonymous && name == "" && sf.Type.Kind() == reflect.Struct {
			out = append(out, fieldsOf(v.Field(i))...)
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		f := field{key: name, v: v.Field(i)}
		for _, opt := range strings.Split(sf.Tag.Get("args"), ",") {
			switch opt {
			case "required":
				f.required = true
			case "rest":
				f.rest = true
			case "object":
				f.object = true
			}
		}
		out = append(out, f)
	}
	return out
}

// Value decodes the JSON value raw at path into dst with encoding/json
// (not strictly: unknown keys of nested objects are the target type's
// business), reporting a type mismatch as Hasura does.
func Value(raw json.RawMessage, path string, dst any) *hasuraerr.Error {
	if err := json.Unmarshal(raw, dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			p := path
			if te.Field != "" {
				p += "." + te.Field
			}
			return ParseFailed(p, "expected %s, but encountered %s", kindOf(te.Type), te.Value)
		}
		return ParseFailed(path, "%s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

// kindOf names a Go type's JSON kind as Hasura's messages do.
func kindOf(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "String"
	case reflect.Bool:
		return "Boolean"
	case reflect.Slice, reflect.Array:
		return "Array"
	case reflect.Struct, reflect.Map:
		return "Object"
	}
	return "Number"
}
