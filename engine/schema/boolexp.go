package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/stratagql/strata/engine/metadata"
)

// BoolExpError is a permission boolean expression that does not fit its
// table. Path is the JSON path of the offending key or value, rooted at the
// expression ("$", "$.author.id._like", "$._and[1]._exists._table").
type BoolExpError struct {
	Path    string
	Message string
}

func (e *BoolExpError) Error() string { return e.Path + ": " + e.Message }

// under re-roots the error's path below prefix ("$.filter").
func (e *BoolExpError) under(prefix string) *BoolExpError {
	return &BoolExpError{Path: prefix + strings.TrimPrefix(e.Path, "$"), Message: e.Message}
}

// ValidateBoolExp checks a permission boolean expression (a select, update
// or delete filter, an insert or update check, an _exists where) against
// the admin model of its table: every key must be _and, _or, _not,
// _exists (over a tracked table in tables) or a column (SQL name),
// relationship, <array relationship>_aggregate or computed field of t, and
// every comparison an operator defined for the column's type, with column
// comparisons (_ceq, _cne, _cgt, _clt, _cgte, _clte) naming existing
// columns ("col" of the current table, ["$", "col"] of the permission's
// table). The error is a *BoolExpError.
func ValidateBoolExp(t *Table, exp json.RawMessage, tables map[metadata.QualifiedTable]*Table) error {
	_, err := NormalizeBoolExp(t, exp, tables)
	return err
}

// NormalizeBoolExp validates exp as ValidateBoolExp does and returns its
// canonical form, which is what SelectPermission.Filter and ColumnFilters
// hold:
//
//   - null or absent is {};
//   - the legacy "$"-prefixed spellings ($and, $eq, ...) and aliases (_ne,
//     _cneq) become _and, _eq, _neq, _cne, ...;
//   - a column compared to a bare value ({"id": "X-Hasura-User-Id"}) gets
//     its implicit _eq;
//   - _and/_or given a single object get a one-element list;
//   - an operator's value naming a session variable ("X-Hasura-User-Id")
//     is lower-cased ("x-hasura-user-id"), as session variables are
//     case-insensitive;
//   - _exists's _table is {"schema": ..., "name": ...};
//   - a column comparison's operand is "col" (the current table) or
//     ["$", "col"] (the permission's table);
//   - keys are sorted (encoding/json order), numbers kept as written.
//
// Keys stay in metadata terms: SQL column names, relationship and computed
// field names, not GraphQL custom names.
func NormalizeBoolExp(t *Table, exp json.RawMessage, tables map[metadata.QualifiedTable]*Table) (json.RawMessage, error) {
	if t == nil {
		return nil, &BoolExpError{Path: "$", Message: "no table given"}
	}
	v, err := decodeJSON(exp)
	if err != nil {
		return nil, &BoolExpError{Path: "$", Message: "invalid JSON: " + err.Error()}
	}
	if v == nil {
		return json.RawMessage(`{}`), nil
	}
	b := &boolExpChecker{root: t, tables: tables}
	out, berr := b.exp(t, v, "$")
	if berr != nil {
		return nil, berr
	}
	raw, merr := json.Marshal(out)
	if merr != nil {
		return nil, &BoolExpError{Path: "$", Message: merr.Error()}
	}
	return raw, nil
}

// decodeJSON decodes raw keeping numbers as json.Number; empty is null.
func decodeJSON(raw json.RawMessage) (any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("unexpected data after the value")
	}
	return v, nil
}

// IsSessionVariable reports whether a permission value names a session
// variable (a string starting with x-hasura-, in any case).
func IsSessionVariable(s string) bool {
	return len(s) >= 9 && strings.EqualFold(s[:9], "x-hasura-")
}

// boolExpChecker validates and normalises one expression.
type boolExpChecker struct {
	root   *Table
	tables map[metadata.QualifiedTable]*Table
}

func bexpErr(path, format string, args ...any) *BoolExpError {
	return &BoolExpError{Path: path, Message: fmt.Sprintf(format, args...)}
}

// jsonKind names a decoded JSON value's kind as Hasura's messages do.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "Null"
	case bool:
		return "Boolean"
	case json.Number:
		return "Number"
	case string:
		return "String"
	case []any:
		return "Array"
	case map[string]any:
		return "Object"
	}
	return "unknown"
}

// sortedKeys returns an object's keys in order, for deterministic errors.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// canonical maps a "$"-prefixed key to its "_" spelling.
func canonical(k string) string {
	if strings.HasPrefix(k, "$") {
		return "_" + k[1:]
	}
	return k
}

// exp checks a boolean expression over t.
func (b *boolExpChecker) exp(t *Table, v any, path string) (map[string]any, *BoolExpError) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, bexpErr(path, "expected an object, but encountered %s", jsonKind(v))
	}
	out := make(map[string]any, len(obj))
	for _, k := range sortedKeys(obj) {
		kpath := path + "." + k
		val := obj[k]
		ck := canonical(k)
		if _, dup := out[ck]; dup {
			return nil, bexpErr(kpath, "%q is given more than once", ck)
		}
		switch ck {
		case "_and", "_or":
			items, isList := val.([]any)
			if !isList {
				if _, isObj := val.(map[string]any); !isObj {
					return nil, bexpErr(kpath, "expected an array, but encountered %s", jsonKind(val))
				}
				items = []any{val}
			}
			list := make([]any, 0, len(items))
			for i, it := range items {
				e, err := b.exp(t, it, kpath+"["+strconv.Itoa(i)+"]")
				if err != nil {
					return nil, err
				}
				list = append(list, e)
			}
			out[ck] = list
		case "_not":
			e, err := b.exp(t, val, kpath)
			if err != nil {
				return nil, err
			}
			out[ck] = e
		case "_exists":
			e, err := b.exists(val, kpath)
			if err != nil {
				return nil, err
			}
			out[ck] = e
		default:
			e, err := b.field(t, k, val, kpath)
			if err != nil {
				return nil, err
			}
			out[k] = e
		}
	}
	return out, nil
}

// exists checks {"_table": ..., "_where": ...}.
func (b *boolExpChecker) exists(v any, path string) (map[string]any, *BoolExpError) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, bexpErr(path, "expected an object, but encountered %s", jsonKind(v))
	}
	var tableV, whereV any
	var hasTable, hasWhere bool
	for _, k := range sortedKeys(obj) {
		switch canonical(k) {
		case "_table":
			tableV, hasTable = obj[k], true
		case "_where":
			whereV, hasWhere = obj[k], true
		default:
			return nil, bexpErr(path+"."+k, "unexpected key %q in _exists (expected _table and _where)", k)
		}
	}
	if !hasTable {
		return nil, bexpErr(path, `key "_table" not found`)
	}
	if !hasWhere {
		return nil, bexpErr(path, `key "_where" not found`)
	}
	raw, _ := json.Marshal(tableV)
	var q metadata.QualifiedTable
	if err := json.Unmarshal(raw, &q); err != nil {
		return nil, bexpErr(path+"._table", "%s", err.Error())
	}
	target := b.tables[q]
	if target == nil {
		return nil, bexpErr(path+"._table", "table %q is not tracked", displayName(q))
	}
	where, err := b.exp(target, whereV, path+"._where")
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"_table": map[string]any{"schema": q.Schema, "name": q.Name},
		"_where": where,
	}, nil
}

// field checks the entry of a column, relationship, relationship
// aggregate or computed field of t.
func (b *boolExpChecker) field(t *Table, name string, v any, path string) (any, *BoolExpError) {
	if c := t.column(name); c != nil {
		return b.comparison(t, operand{col: c, kind: c.kind, enum: c.EnumTable != nil}, v, path)
	}
	f, ok := t.FieldsByName[name]
	switch {
	case !ok || f.Column != nil:
		return nil, bexpErr(path, "no column, relationship or computed field %q exists in table %q", name, displayName(t.Name))
	case f.Relationship != nil && f.Aggregate:
		return b.aggregate(f.Relationship.Target, v, path)
	case f.Relationship != nil:
		return b.exp(f.Relationship.Target, v, path)
	}
	cf := f.ComputedField
	switch {
	case cf.ArgsType != "":
		return nil, bexpErr(path, "computed field %q takes input arguments and cannot be used in a boolean expression", name)
	case cf.Returns != nil:
		return b.exp(cf.Returns, v, path)
	}
	return b.comparison(t, operand{kind: cf.kind}, v, path)
}

// operand is what a comparison expression applies to: a column, a scalar
// computed field or an aggregate (col nil: no column comparisons).
type operand struct {
	col  *Column
	kind scalarKind
	// enum columns (referencing an is_enum table) only have equality.
	enum bool
}

// Comparison operators of permissions, by what they apply to.
var (
	equalityOps = map[string]bool{"_eq": true, "_neq": true, "_in": true, "_nin": true, "_is_null": true}
	orderOps    = map[string]bool{"_gt": true, "_lt": true, "_gte": true, "_lte": true}
	patternOps  = map[string]bool{
		"_like": true, "_nlike": true, "_ilike": true, "_nilike": true, "_similar": true, "_nsimilar": true,
		"_regex": true, "_nregex": true, "_iregex": true, "_niregex": true,
	}
	jsonbOps        = map[string]bool{"_contains": true, "_contained_in": true, "_has_key": true, "_has_keys_any": true, "_has_keys_all": true, "_cast": true}
	columnCompareOp = map[string]bool{"_ceq": true, "_cne": true, "_cgt": true, "_clt": true, "_cgte": true, "_clte": true}
	opAliases       = map[string]string{"_ne": "_neq", "_cneq": "_cne"}
	listOps         = map[string]bool{"_in": true, "_nin": true, "_has_keys_any": true, "_has_keys_all": true}
)

// comparison checks a column's (or computed field's) comparison
// expression: an object of operators, or a bare value meaning _eq.
func (b *boolExpChecker) comparison(t *Table, o operand, v any, path string) (map[string]any, *BoolExpError) {
	obj, ok := v.(map[string]any)
	if !ok {
		val, err := b.value(o, "_eq", v, path)
		if err != nil {
			return nil, err
		}
		return map[string]any{"_eq": val}, nil
	}
	out := make(map[string]any, len(obj))
	for _, k := range sortedKeys(obj) {
		kpath := path + "." + k
		op := canonical(k)
		if a, ok := opAliases[op]; ok {
			op = a
		}
		if _, dup := out[op]; dup {
			return nil, bexpErr(kpath, "operator %q is given more than once", op)
		}
		switch {
		case columnCompareOp[op]:
			if o.col == nil {
				return nil, bexpErr(kpath, "column comparison operator %q can only be applied to a column", op)
			}
			ref, err := b.columnRef(t, obj[k], kpath)
			if err != nil {
				return nil, err
			}
			out[op] = ref
			continue
		case op == "_cast" && o.kind.JSONB && !o.enum:
			cast, err := b.cast(obj[k], kpath)
			if err != nil {
				return nil, err
			}
			out[op] = cast
			continue
		case !operatorDefined(o, op):
			return nil, bexpErr(kpath, "operator %q is not defined for type %q", k, typeName(o))
		}
		val, err := b.value(o, op, obj[k], kpath)
		if err != nil {
			return nil, err
		}
		out[op] = val
	}
	return out, nil
}

// operatorDefined reports whether op applies to the operand's type; these
// are the operators of the type's <scalar>_comparison_exp.
func operatorDefined(o operand, op string) bool {
	switch {
	case equalityOps[op]:
		return true
	case o.enum:
		return false
	case orderOps[op]:
		return true
	case patternOps[op]:
		return o.kind.String
	case jsonbOps[op]:
		return o.kind.JSONB
	}
	return false
}

// typeName names the operand's GraphQL type in messages.
func typeName(o operand) string {
	if o.col != nil && o.col.EnumTable != nil {
		return o.col.Scalar
	}
	return o.kind.Name
}

// value checks an operator's value, lower-casing session variables.
func (b *boolExpChecker) value(o operand, op string, v any, path string) (any, *BoolExpError) {
	if s, ok := v.(string); ok && IsSessionVariable(s) {
		return strings.ToLower(s), nil
	}
	switch {
	case op == "_is_null":
		if _, ok := v.(bool); !ok {
			return nil, bexpErr(path, "expected a Boolean, but encountered %s", jsonKind(v))
		}
	case listOps[op]:
		list, ok := v.([]any)
		if !ok {
			return nil, bexpErr(path, "expected an array or a session variable, but encountered %s", jsonKind(v))
		}
		if op == "_has_keys_any" || op == "_has_keys_all" {
			for i, it := range list {
				if _, ok := it.(string); !ok {
					return nil, bexpErr(path+"["+strconv.Itoa(i)+"]", "expected a String, but encountered %s", jsonKind(it))
				}
			}
		}
	case op == "_has_key" || patternOps[op]:
		if _, ok := v.(string); !ok {
			return nil, bexpErr(path, "expected a String, but encountered %s", jsonKind(v))
		}
	case op == "_contains" || op == "_contained_in":
	default:
		// A structured value only makes sense for json and jsonb.
		if _, isObj := v.(map[string]any); isObj && !o.kind.JSONB && o.kind.Name != "json" {
			return nil, bexpErr(path, "expected a value of type %q, but encountered an Object", typeName(o))
		}
	}
	return v, nil
}

// cast checks a jsonb _cast: {"String": <String comparison>}.
func (b *boolExpChecker) cast(v any, path string) (map[string]any, *BoolExpError) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, bexpErr(path, "expected an object, but encountered %s", jsonKind(v))
	}
	out := map[string]any{}
	for _, k := range sortedKeys(obj) {
		if k != "String" {
			return nil, bexpErr(path+"."+k, "jsonb can only be cast to String")
		}
		cmp, err := b.comparison(nil, operand{kind: builtinScalars["text"]}, obj[k], path+"."+k)
		if err != nil {
			return nil, err
		}
		out[k] = cmp
	}
	return out, nil
}

// columnRef checks a column comparison's operand: "col" or ["col"] (the
// current table t) or ["$", "col"] (the permission's table).
func (b *boolExpChecker) columnRef(t *Table, v any, path string) (any, *BoolExpError) {
	var name string
	root := false
	switch x := v.(type) {
	case string:
		name = x
	case []any:
		var parts []string
		for _, p := range x {
			s, ok := p.(string)
			if !ok {
				return nil, bexpErr(path, "expected a column name or a path [\"$\", column], but encountered %s", jsonKind(p))
			}
			parts = append(parts, s)
		}
		switch {
		case len(parts) == 1:
			name = parts[0]
		case len(parts) == 2 && parts[0] == "$":
			name, root = parts[1], true
		default:
			return nil, bexpErr(path, "expected a column name or a path [\"$\", column]")
		}
	default:
		return nil, bexpErr(path, "expected a column name or a path [\"$\", column], but encountered %s", jsonKind(v))
	}
	in := t
	if root {
		in = b.root
	}
	if in.column(name) == nil {
		return nil, bexpErr(path, "column %q does not exist in table %q", name, displayName(in.Name))
	}
	if root {
		return []any{"$", name}, nil
	}
	return name, nil
}

// aggregate checks an aggregation predicate over an array relationship's
// rows: {"count": {...}} or {"bool_and"/"bool_or": {...}} with arguments,
// distinct, filter and a predicate.
func (b *boolExpChecker) aggregate(target *Table, v any, path string) (map[string]any, *BoolExpError) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, bexpErr(path, "expected an object, but encountered %s", jsonKind(v))
	}
	out := map[string]any{}
	for _, fn := range sortedKeys(obj) {
		fpath := path + "." + fn
		var predKind scalarKind
		switch fn {
		case "count":
			predKind = builtinScalars["int4"]
		case "bool_and", "bool_or":
			predKind = builtinScalars["bool"]
		default:
			return nil, bexpErr(fpath, "unknown aggregate function %q (expected count, bool_and or bool_or)", fn)
		}
		args, ok := obj[fn].(map[string]any)
		if !ok {
			return nil, bexpErr(fpath, "expected an object, but encountered %s", jsonKind(obj[fn]))
		}
		res := map[string]any{}
		for _, k := range sortedKeys(args) {
			kpath := fpath + "." + k
			switch k {
			case "arguments":
				a, err := b.aggregateArguments(target, fn, args[k], kpath)
				if err != nil {
					return nil, err
				}
				res[k] = a
			case "distinct":
				if _, ok := args[k].(bool); !ok {
					return nil, bexpErr(kpath, "expected a Boolean, but encountered %s", jsonKind(args[k]))
				}
				res[k] = args[k]
			case "filter":
				e, err := b.exp(target, args[k], kpath)
				if err != nil {
					return nil, err
				}
				res[k] = e
			case "predicate":
				p, err := b.comparison(target, operand{kind: predKind}, args[k], kpath)
				if err != nil {
					return nil, err
				}
				res[k] = p
			default:
				return nil, bexpErr(kpath, "unexpected key %q (expected arguments, distinct, filter or predicate)", k)
			}
		}
		if _, ok := res["predicate"]; !ok {
			return nil, bexpErr(fpath, `key "predicate" not found`)
		}
		if _, ok := res["arguments"]; !ok && fn != "count" {
			return nil, bexpErr(fpath, `key "arguments" not found`)
		}
		out[fn] = res
	}
	return out, nil
}

// aggregateArguments checks the columns an aggregation predicate applies
// to: a list of columns for count, one Boolean column for bool_and/or.
func (b *boolExpChecker) aggregateArguments(target *Table, fn string, v any, path string) (any, *BoolExpError) {
	check := func(x any, p string) *BoolExpError {
		s, ok := x.(string)
		if !ok {
			return bexpErr(p, "expected a column name, but encountered %s", jsonKind(x))
		}
		c := target.column(s)
		if c == nil {
			return bexpErr(p, "column %q does not exist in table %q", s, displayName(target.Name))
		}
		if fn != "count" && (c.EnumTable != nil || c.Scalar != "Boolean") {
			return bexpErr(p, "%s applies to Boolean columns; column %q is of type %q", fn, s, c.Scalar)
		}
		return nil
	}
	if fn != "count" {
		if err := check(v, path); err != nil {
			return nil, err
		}
		return v, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, bexpErr(path, "expected an array, but encountered %s", jsonKind(v))
	}
	for i, it := range list {
		if err := check(it, path+"["+strconv.Itoa(i)+"]"); err != nil {
			return nil, err
		}
	}
	return list, nil
}

// isTrivialFilter reports whether a normalised filter admits every row:
// {}, or an _and of such filters, or an _or with one.
func isTrivialFilter(f json.RawMessage) bool {
	v, err := decodeJSON(f)
	return err == nil && trivial(v)
}

func trivial(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case map[string]any:
		for k, sub := range x {
			items, _ := sub.([]any)
			switch {
			case k == "_and":
				for _, it := range items {
					if !trivial(it) {
						return false
					}
				}
			case k == "_or":
				some := false
				for _, it := range items {
					some = some || trivial(it)
				}
				if !some {
					return false
				}
			default:
				return false
			}
		}
		return true
	}
	return false
}
