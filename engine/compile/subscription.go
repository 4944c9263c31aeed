package compile

import (
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/schema"
)

// Subscription is a compiled subscription: its one root field as a
// statement that can be multiplexed (see Multiplex).
type Subscription struct {
	// Alias is the root field's response key.
	Alias string
	// SQL returns one row with one json column, root: the field's value
	// for a live query; for a stream (Stream), {"rows": [...], "cursor":
	// [...]} where cursor holds, as text, the cursor columns of the last
	// row sent (null when no row was).
	SQL  string
	Args []Arg
	// Stream marks a <table>_stream field.
	Stream bool
	// Cursor are, for a stream, the indices in Args of the cursor values,
	// in the order of the cursor array of the result: a subscriber's next
	// refetch sets them to the cursor its last batch ended on.
	Cursor []int
	// Batch is, for a stream, the index in Args of batch_size: a batch
	// that full may be followed by more rows at once.
	Batch int
	// MaxBatch is, for a stream, the role's row limit that caps batch_size
	// (0: none).
	MaxBatch int
	// Tables are the tables the SQL reads, sorted (functions called by
	// computed fields may read others).
	Tables []metadata.QualifiedTable
}

// SingleRootFieldMessage is Hasura's error for a subscription selecting
// more than one root field.
const SingleRootFieldMessage = "subscriptions must select one top level field"

// CompileSubscription compiles the subscription op of a validated document:
// exactly one root field of subscription_root (<t>, <t>_by_pk,
// <t>_aggregate or <t>_stream), compiled as the query of the same field.
func CompileSubscription(s *schema.Schema, op *ast.OperationDefinition, vars map[string]any, opts Options) (*Subscription, error) {
	if op.Operation != ast.Subscription {
		return nil, hasuraerr.New(hasuraerr.CodeValidationFailed, "$", "expected a subscription operation, found a %s", op.Operation)
	}
	c := &compiler{s: s, vars: vars, slots: SlotVariables(op), opts: opts}
	fields, err := c.collect(op.SelectionSet, "subscription_root")
	if err != nil {
		return nil, err
	}
	if len(fields) != 1 {
		return nil, hasuraerr.New(hasuraerr.CodeValidationFailed, "$", SingleRootFieldMessage)
	}
	f := fields[0]
	root := s.SubscriptionRoot[f.Name]
	if root == nil {
		if strings.HasPrefix(f.Name, "__") {
			return nil, hasuraerr.New(hasuraerr.CodeNotSupported, "$.selectionSet."+f.Alias, "%s is not supported as a subscription's root field", f.Name)
		}
		return nil, validationErr([]string{"selectionSet", f.Name}, "field '%s' not found in type: 'subscription_root'", f.Name)
	}
	sub := &Subscription{Alias: f.Alias, Stream: root.Kind == schema.RootSelectStream}
	if sub.Stream {
		sub.SQL, sub.Cursor, sub.Batch, err = c.selectStream(root.Table, f, []string{"selectionSet", f.Alias})
		if sel := root.Table.Select; sel != nil && sel.Limit != nil {
			sub.MaxBatch = *sel.Limit
		}
	} else {
		sub.SQL, err = c.selectRoot(root, f)
	}
	if err != nil {
		return nil, err
	}
	sub.Args = c.args
	for t := range c.tables {
		sub.Tables = append(sub.Tables, t)
	}
	sort.Slice(sub.Tables, func(i, j int) bool {
		a, b := sub.Tables[i], sub.Tables[j]
		return a.Schema < b.Schema || a.Schema == b.Schema && a.Name < b.Name
	})
	return sub, nil
}

// selectStream compiles <t>_stream(batch_size, cursor, where): the next
// batch_size rows after the cursor, in cursor order, and the cursor of the
// last of them. Several cursor columns order lexicographically, each in
// its own direction (within one initial_value, in the order written).
func (c *compiler) selectStream(t *schema.Table, f *ast.Field, path []string) (sql string, cursorArgs []int, batchArg int, err error) {
	alias := c.newAlias("_t")
	var where []string
	perm, err := c.permFilter(t, alias)
	if err != nil {
		return "", nil, 0, err
	}
	if perm != "" {
		where = append(where, perm)
	}
	type cursorCol struct{ expr, param, dir string }
	var cursor []cursorCol
	var limit string
	for _, a := range f.Arguments {
		apath := append(path[:len(path):len(path)], a.Name)
		v := c.value(a.Value)
		switch a.Name {
		case "where":
			if v.Kind == ast.NullValue {
				continue
			}
			w, err := c.boolExp(t, alias, v, apath)
			if err != nil {
				return "", nil, 0, err
			}
			where = append(where, w)
		case "batch_size":
			if limit, err = c.param(a.Value, "integer", false); err != nil {
				return "", nil, 0, err
			}
			batchArg = len(c.args) - 1
		case "cursor":
			for _, item := range children(v) {
				item = c.value(item)
				dir := "ASC"
				var initial *ast.Value
				for _, ch := range item.Children {
					switch ch.Name {
					case "ordering":
						if o := c.value(ch.Value); o.Kind == ast.EnumValue && o.Raw == "DESC" {
							dir = "DESC"
						}
					case "initial_value":
						initial = c.value(ch.Value)
					}
				}
				if initial == nil {
					continue
				}
				for _, ch := range initial.Children {
					field, ok := t.FieldsByName[ch.Name]
					if !ok || field.Column == nil {
						return "", nil, 0, validationErr(apath, "field '%s' not found in type: '%s_stream_cursor_value_input'", ch.Name, t.TypeName)
					}
					p, err := c.param(ch.Value, field.Column.Type.SQL(), false)
					if err != nil {
						return "", nil, 0, err
					}
					cursorArgs = append(cursorArgs, len(c.args)-1)
					cursor = append(cursor, cursorCol{col(alias, field.Column.Name), p, dir})
				}
			}
		}
	}
	if len(cursor) == 0 {
		return "", nil, 0, validationErr(append(path[:len(path):len(path)], "cursor"), "one or more cursor columns are expected")
	}
	if limit == "" {
		return "", nil, 0, validationErr(path, "missing required field 'batch_size'")
	}
	// (c1 > v1) OR (c1 = v1 AND c2 > v2) OR ...: rows strictly after the
	// cursor in its order ("<" for DESC columns).
	var after, order, reverse, values []string
	for i, cc := range cursor {
		op, rev := ">", "DESC"
		if cc.dir == "DESC" {
			op, rev = "<", "ASC"
		}
		var conj []string
		for _, prev := range cursor[:i] {
			conj = append(conj, prev.expr+" = "+prev.param)
		}
		conj = append(conj, cc.expr+" "+op+" "+cc.param)
		after = append(after, "("+strings.Join(conj, " AND ")+")")
		order = append(order, cc.expr+" "+cc.dir)
		reverse = append(reverse, cc.expr+" "+rev)
		values = append(values, cc.expr+"::text")
	}
	where = append(where, "("+strings.Join(after, " OR ")+")")
	limit = c.permLimit(t, limit)
	from := "(SELECT " + alias + ".* FROM " + c.from(t) + " AS " + alias + " WHERE " + strings.Join(where, " AND ") +
		" ORDER BY " + strings.Join(order, ", ") + " LIMIT " + limit + ") AS " + alias
	obj, joins, err := c.object(t, alias, f.SelectionSet, path)
	if err != nil {
		return "", nil, 0, err
	}
	ordered := " ORDER BY " + strings.Join(order, ", ")
	sql = "SELECT json_build_object('rows', coalesce(json_agg(" + obj + ordered + "), '[]'), 'cursor', (array_agg(json_build_array(" +
		strings.Join(values, ", ") + ") ORDER BY " + strings.Join(reverse, ", ") + "))[1]) AS root FROM " + from + joins
	return sql, cursorArgs, batchArg, nil
}
