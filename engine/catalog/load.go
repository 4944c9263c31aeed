package catalog

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/stratagql/strata/engine/metadata"
)

// Querier runs a query; *pgxpool.Pool, *pgx.Conn and pgx.Tx satisfy it.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// userSchemas restricts pg_namespace n to the schemas whose objects are
// read: everything except PostgreSQL's own schemas and Hasura's catalogue.
const userSchemas = `n.nspname NOT IN ('pg_catalog', 'information_schema', 'hdb_catalog')
  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'`

// Load reads the database's relations, columns, keys, types and functions
// from pg_catalog. It runs one query per kind of object, whatever the size
// of the database, so it stays fast with thousands of tables.
func Load(ctx context.Context, q Querier) (*Catalog, error) {
	types, err := loadTypes(ctx, q)
	if err != nil {
		return nil, err
	}
	cat := &Catalog{
		Tables:     map[metadata.QualifiedTable]*Table{},
		Functions:  map[metadata.QualifiedTable][]*Function{},
		EnumValues: map[metadata.QualifiedTable][]EnumValue{},
	}
	byOID, err := loadRelations(ctx, q, cat)
	if err != nil {
		return nil, err
	}
	if err := loadColumns(ctx, q, byOID, types); err != nil {
		return nil, err
	}
	if err := loadConstraints(ctx, q, byOID); err != nil {
		return nil, err
	}
	if err := loadFunctions(ctx, q, cat, types); err != nil {
		return nil, err
	}
	return cat, nil
}

// typeRow is one pg_type row before the references between types are
// resolved.
type typeRow struct {
	t          *Type
	elem, base uint32
}

// loadTypes reads every type, resolving array element types, domain base
// types and enum labels, and returns them by oid.
func loadTypes(ctx context.Context, q Querier) (map[uint32]*Type, error) {
	const sql = `SELECT t.oid, n.nspname, t.typname, t.typtype::text, t.typcategory::text,
  t.typelem, t.typbasetype,
  CASE WHEN t.typtype = 'e' THEN ARRAY(SELECT e.enumlabel::text FROM pg_enum e
    WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) END
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace`
	rows, err := q.Query(ctx, sql)
	if err != nil {
		return nil, fmt.Errorf("catalog: read types: %w", err)
	}
	defer rows.Close()
	raw := map[uint32]*typeRow{}
	for rows.Next() {
		var (
			oid, elem, base         uint32
			schema, name, kind, cat string
			labels                  []string
		)
		if err := rows.Scan(&oid, &schema, &name, &kind, &cat, &elem, &base, &labels); err != nil {
			return nil, fmt.Errorf("catalog: read types: %w", err)
		}
		t := &Type{OID: oid, Schema: schema, Name: name, Category: cat, EnumValues: labels}
		switch {
		case cat == "A" && elem != 0:
			t.Kind = TypeArray
		case kind == "e":
			t.Kind = TypeEnum
		case kind == "c":
			t.Kind = TypeComposite
		case kind == "d":
			t.Kind = TypeDomain
		case kind == "r" || kind == "m":
			t.Kind = TypeRange
		case kind == "p":
			t.Kind = TypePseudo
		default:
			t.Kind = TypeBase
		}
		raw[oid] = &typeRow{t: t, elem: elem, base: base}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("catalog: read types: %w", err)
	}
	out := make(map[uint32]*Type, len(raw))
	for oid, r := range raw {
		if r.t.Kind == TypeArray {
			if e, ok := raw[r.elem]; ok {
				r.t.Elem = e.t
			}
		}
		if r.t.Kind == TypeDomain {
			if b, ok := raw[r.base]; ok {
				r.t.Base = b.t
			}
		}
		out[oid] = r.t
	}
	return out, nil
}

// loadRelations reads every user relation into cat and returns them by oid.
func loadRelations(ctx context.Context, q Querier, cat *Catalog) (map[uint32]*Table, error) {
	sql := `SELECT c.oid, n.nspname, c.relname, c.relkind::text, COALESCE(d.description, ''),
  CASE WHEN c.relkind IN ('v', 'f') THEN pg_relation_is_updatable(c.oid::regclass, false) ELSE 28 END
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
WHERE c.relkind IN ('r', 'v', 'm', 'f', 'p') AND ` + userSchemas
	rows, err := q.Query(ctx, sql)
	if err != nil {
		return nil, fmt.Errorf("catalog: read relations: %w", err)
	}
	defer rows.Close()
	byOID := map[uint32]*Table{}
	for rows.Next() {
		var (
			oid                         uint32
			schema, name, kind, comment string
			updatable                   int32
		)
		if err := rows.Scan(&oid, &schema, &name, &kind, &comment, &updatable); err != nil {
			return nil, fmt.Errorf("catalog: read relations: %w", err)
		}
		t := &Table{Name: metadata.QualifiedTable{Schema: schema, Name: name}, Comment: comment}
		switch kind {
		case "r":
			t.Kind = KindTable
		case "v":
			t.Kind = KindView
		case "m":
			t.Kind = KindMaterializedView
		case "f":
			t.Kind = KindForeignTable
		case "p":
			t.Kind = KindPartitionedTable
		}
		if t.Kind != KindMaterializedView {
			// Bits of pg_relation_is_updatable: 1<<CMD_UPDATE (4),
			// 1<<CMD_INSERT (8), 1<<CMD_DELETE (16).
			t.Updatable = updatable&4 != 0
			t.Insertable = updatable&8 != 0
			t.Deletable = updatable&16 != 0
		}
		cat.Tables[t.Name] = t
		byOID[oid] = t
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("catalog: read relations: %w", err)
	}
	return byOID, nil
}

// loadColumns reads the columns of every user relation in ordinal order.
func loadColumns(ctx context.Context, q Querier, byOID map[uint32]*Table, types map[uint32]*Type) error {
	sql := `SELECT a.attrelid, a.attname, a.attnum, a.atttypid, a.attnotnull, a.atthasdef,
  a.attidentity::text, a.attgenerated::text, COALESCE(pg_get_expr(ad.adbin, ad.adrelid), ''),
  COALESCE(d.description, '')
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_description d ON d.objoid = a.attrelid AND d.classoid = 'pg_class'::regclass AND d.objsubid = a.attnum
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'v', 'm', 'f', 'p') AND ` + userSchemas + `
ORDER BY a.attrelid, a.attnum`
	rows, err := q.Query(ctx, sql)
	if err != nil {
		return fmt.Errorf("catalog: read columns: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			rel, typ                                uint32
			name, identity, generated, def, comment string
			num                                     int16
			notNull, hasDef                         bool
		)
		if err := rows.Scan(&rel, &name, &num, &typ, &notNull, &hasDef, &identity, &generated, &def, &comment); err != nil {
			return fmt.Errorf("catalog: read columns: %w", err)
		}
		t := byOID[rel]
		if t == nil {
			continue
		}
		c := &Column{
			Name:            name,
			Position:        int(num),
			Type:            types[typ],
			Nullable:        !notNull,
			HasDefault:      hasDef || identity != "",
			Comment:         comment,
			Default:         def,
			GeneratedStored: generated == "s",
		}
		if c.Type == nil {
			c.Type = &Type{OID: typ, Name: fmt.Sprintf("oid_%d", typ), Kind: TypeBase, Category: "U"}
		}
		switch identity {
		case "a":
			c.Identity = "ALWAYS"
		case "d":
			c.Identity = "BY DEFAULT"
		}
		c.Generated = identity == "a" || c.GeneratedStored
		t.Columns = append(t.Columns, c)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("catalog: read columns: %w", err)
	}
	return nil
}

// loadConstraints reads primary keys, unique constraints and foreign keys
// with their columns in key order.
func loadConstraints(ctx context.Context, q Querier, byOID map[uint32]*Table) error {
	sql := `SELECT con.conrelid, con.contype::text, con.conname,
  ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(num, ord)
    JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.ord),
  COALESCE(fn.nspname::text, ''), COALESCE(fc.relname::text, ''),
  ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(num, ord)
    JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.ord)
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
WHERE con.contype IN ('p', 'u', 'f') AND ` + userSchemas + `
ORDER BY con.conrelid, con.conname`
	rows, err := q.Query(ctx, sql)
	if err != nil {
		return fmt.Errorf("catalog: read constraints: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			rel                            uint32
			kind, name, refSchema, refName string
			cols, refCols                  []string
		)
		if err := rows.Scan(&rel, &kind, &name, &cols, &refSchema, &refName, &refCols); err != nil {
			return fmt.Errorf("catalog: read constraints: %w", err)
		}
		t := byOID[rel]
		if t == nil {
			continue
		}
		switch kind {
		case "p":
			t.PrimaryKey = &Constraint{Name: name, Columns: cols}
		case "u":
			t.UniqueConstraints = append(t.UniqueConstraints, &Constraint{Name: name, Columns: cols})
		case "f":
			t.ForeignKeys = append(t.ForeignKeys, &ForeignKey{
				Name:       name,
				Columns:    cols,
				RefTable:   metadata.QualifiedTable{Schema: refSchema, Name: refName},
				RefColumns: refCols,
			})
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("catalog: read constraints: %w", err)
	}
	return nil
}

// loadFunctions reads the plain functions (not procedures or aggregates)
// of the user schemas with their input arguments.
func loadFunctions(ctx context.Context, q Querier, cat *Catalog, types map[uint32]*Type) error {
	sql := `SELECT n.nspname, p.proname, p.proargtypes::oid[], p.proallargtypes::oid[],
  p.proargmodes::text[], p.proargnames, p.pronargdefaults, p.prorettype, p.proretset,
  p.provolatile::text, COALESCE(d.description, '')
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
LEFT JOIN pg_description d ON d.objoid = p.oid AND d.classoid = 'pg_proc'::regclass AND d.objsubid = 0
WHERE p.prokind = 'f' AND ` + userSchemas + `
ORDER BY n.nspname, p.proname, p.oid`
	rows, err := q.Query(ctx, sql)
	if err != nil {
		return fmt.Errorf("catalog: read functions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			schema, name, volatility, comment string
			inTypes, allTypes                 []uint32
			modes, names                      []string
			nDefaults                         int16
			ret                               uint32
			retSet                            bool
		)
		if err := rows.Scan(&schema, &name, &inTypes, &allTypes, &modes, &names, &nDefaults, &ret, &retSet, &volatility, &comment); err != nil {
			return fmt.Errorf("catalog: read functions: %w", err)
		}
		f := &Function{
			Name:       metadata.QualifiedTable{Schema: schema, Name: name},
			ReturnType: typeOrUnknown(types, ret),
			ReturnsSet: retSet,
			Volatility: volatility,
			Comment:    comment,
		}
		f.Args = inputArgs(types, inTypes, allTypes, modes, names)
		for i := len(f.Args) - int(nDefaults); i < len(f.Args); i++ {
			if i >= 0 {
				f.Args[i].HasDefault = true
			}
		}
		cat.Functions[f.Name] = append(cat.Functions[f.Name], f)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("catalog: read functions: %w", err)
	}
	return nil
}

// inputArgs lists a function's input arguments (IN, INOUT and VARIADIC)
// with their names. proargnames and proargmodes cover all arguments, output
// ones included, when present.
func inputArgs(types map[uint32]*Type, inTypes, allTypes []uint32, modes, names []string) []FunctionArg {
	if modes == nil {
		args := make([]FunctionArg, len(inTypes))
		for i, t := range inTypes {
			args[i].Type = typeOrUnknown(types, t)
			if i < len(names) {
				args[i].Name = names[i]
			}
		}
		return args
	}
	var args []FunctionArg
	for i, m := range modes {
		if m != "i" && m != "b" && m != "v" {
			continue
		}
		a := FunctionArg{}
		if i < len(allTypes) {
			a.Type = typeOrUnknown(types, allTypes[i])
		}
		if i < len(names) {
			a.Name = names[i]
		}
		args = append(args, a)
	}
	return args
}

// typeOrUnknown returns the type with the oid, or a placeholder naming it.
func typeOrUnknown(types map[uint32]*Type, oid uint32) *Type {
	if t := types[oid]; t != nil {
		return t
	}
	return &Type{OID: oid, Name: fmt.Sprintf("oid_%d", oid), Kind: TypeBase, Category: "U"}
}
