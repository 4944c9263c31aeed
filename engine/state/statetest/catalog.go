// Package statetest helps test code that needs engine state against a real
// database before the full catalogue reader is wired in: LoadCatalog reads
// relations, columns, keys and functions from pg_catalog into the
// catalog.Catalog model (without the finer details catalog.Load adds).
package statetest

import (
	"context"
	"fmt"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/state"
)

const userSchemas = `n.nspname NOT IN ('pg_catalog', 'information_schema', 'hdb_catalog')
  AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'`

var kinds = map[string]catalog.TableKind{
	"r": catalog.KindTable, "v": catalog.KindView, "m": catalog.KindMaterializedView,
	"f": catalog.KindForeignTable, "p": catalog.KindPartitionedTable,
}

var typeKinds = map[string]catalog.TypeKind{
	"b": catalog.TypeBase, "e": catalog.TypeEnum, "c": catalog.TypeComposite,
	"d": catalog.TypeDomain, "r": catalog.TypeRange, "p": catalog.TypePseudo, "m": catalog.TypeRange,
}

func typeOf(schema, name, typtype, category string) *catalog.Type {
	t := &catalog.Type{Schema: schema, Name: name, Kind: typeKinds[typtype], Category: category}
	if category == "A" {
		t.Kind = catalog.TypeArray
	}
	return t
}

// LoadCatalog reads the catalogue through q.
func LoadCatalog(ctx context.Context, q state.Querier) (*catalog.Catalog, error) {
	cat := &catalog.Catalog{Tables: map[metadata.QualifiedTable]*catalog.Table{}, Functions: map[metadata.QualifiedTable][]*catalog.Function{}}
	rows, err := q.Query(ctx, `SELECT n.nspname, c.relname, c.relkind::text FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r','v','m','f','p') AND `+userSchemas)
	if err != nil {
		return nil, fmt.Errorf("read relations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s, n, k string
		if err := rows.Scan(&s, &n, &k); err != nil {
			return nil, err
		}
		name := metadata.QualifiedTable{Schema: s, Name: n}
		w := k == "r" || k == "p" || k == "v"
		cat.Tables[name] = &catalog.Table{Name: name, Kind: kinds[k], Insertable: w, Updatable: w, Deletable: w}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read relations: %w", err)
	}
	rows, err = q.Query(ctx, `SELECT n.nspname, c.relname, a.attname, a.attnum, tn.nspname, t.typname, t.typtype::text,
		t.typcategory::text, NOT a.attnotnull, a.atthasdef
		FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_type t ON t.oid = a.atttypid JOIN pg_namespace tn ON tn.oid = t.typnamespace
		WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r','v','m','f','p') AND `+userSchemas+`
		ORDER BY 1, 2, 4`)
	if err != nil {
		return nil, fmt.Errorf("read columns: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s, n, col, ts, tn, tt, tc string
		var pos int
		var nullable, def bool
		if err := rows.Scan(&s, &n, &col, &pos, &ts, &tn, &tt, &tc, &nullable, &def); err != nil {
			return nil, err
		}
		if t := cat.Tables[metadata.QualifiedTable{Schema: s, Name: n}]; t != nil {
			t.Columns = append(t.Columns, &catalog.Column{Name: col, Position: pos, Type: typeOf(ts, tn, tt, tc), Nullable: nullable, HasDefault: def})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read columns: %w", err)
	}
	if err := loadConstraints(ctx, q, cat); err != nil {
		return nil, err
	}
	if err := loadFunctions(ctx, q, cat); err != nil {
		return nil, err
	}
	return cat, nil
}

func loadConstraints(ctx context.Context, q state.Querier, cat *catalog.Catalog) error {
	rows, err := q.Query(ctx, `SELECT n.nspname, c.relname, con.conname, con.contype::text,
		ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(num, ord)
		      JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.ord),
		coalesce(fn.nspname, ''), coalesce(fc.relname, ''),
		ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(num, ord)
		      JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.ord)
		FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		LEFT JOIN pg_class fc ON fc.oid = con.confrelid LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
		WHERE con.contype IN ('p','u','f') AND `+userSchemas+` ORDER BY con.conname`)
	if err != nil {
		return fmt.Errorf("read constraints: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s, n, name, typ, fs, fn string
		var cols, fcols []string
		if err := rows.Scan(&s, &n, &name, &typ, &cols, &fs, &fn, &fcols); err != nil {
			return err
		}
		t := cat.Tables[metadata.QualifiedTable{Schema: s, Name: n}]
		if t == nil {
			continue
		}
		switch typ {
		case "p":
			t.PrimaryKey = &catalog.Constraint{Name: name, Columns: cols}
		case "u":
			t.UniqueConstraints = append(t.UniqueConstraints, &catalog.Constraint{Name: name, Columns: cols})
		case "f":
			t.ForeignKeys = append(t.ForeignKeys, &catalog.ForeignKey{Name: name, Columns: cols,
				RefTable: metadata.QualifiedTable{Schema: fs, Name: fn}, RefColumns: fcols})
		}
	}
	return rows.Err()
}

func loadFunctions(ctx context.Context, q state.Querier, cat *catalog.Catalog) error {
	rows, err := q.Query(ctx, `SELECT n.nspname, p.proname, p.proretset, rn.nspname, rt.typname, rt.typtype::text,
		rt.typcategory::text, p.provolatile::text,
		ARRAY(SELECT tn.nspname || '.' || t.typname FROM unnest(p.proargtypes) WITH ORDINALITY k(oid, ord)
		      JOIN pg_type t ON t.oid = k.oid JOIN pg_namespace tn ON tn.oid = t.typnamespace ORDER BY k.ord),
		coalesce(p.proargnames, '{}'::text[]), p.pronargdefaults
		FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
		JOIN pg_type rt ON rt.oid = p.prorettype JOIN pg_namespace rn ON rn.oid = rt.typnamespace
		WHERE p.prokind = 'f' AND `+userSchemas)
	if err != nil {
		return fmt.Errorf("read functions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s, n, rs, rt, rtt, rtc, vol string
		var set bool
		var args, names []string
		var ndef int
		if err := rows.Scan(&s, &n, &set, &rs, &rt, &rtt, &rtc, &vol, &args, &names, &ndef); err != nil {
			return err
		}
		f := &catalog.Function{Name: metadata.QualifiedTable{Schema: s, Name: n}, ReturnType: typeOf(rs, rt, rtt, rtc), ReturnsSet: set, Volatility: vol}
		for i, a := range args {
			ts, tn := splitDot(a)
			arg := catalog.FunctionArg{Type: &catalog.Type{Schema: ts, Name: tn}, HasDefault: i >= len(args)-ndef}
			if i < len(names) {
				arg.Name = names[i]
			}
			f.Args = append(f.Args, arg)
		}
		cat.Functions[f.Name] = append(cat.Functions[f.Name], f)
	}
	return rows.Err()
}

func splitDot(s string) (string, string) {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return s[:i], s[i+1:]
		}
	}
	return "", s
}
