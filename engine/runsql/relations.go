package runsql

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/metaedit"
)

// Relation is a relation's identity (OID) with its name and columns by
// attribute number, so that renames can be told from drops after DDL.
type Relation struct {
	OID  int64
	Name metadata.QualifiedTable
	// Columns maps attribute numbers to column names.
	Columns map[int16]string
}

const relationsSQL = `SELECT c.oid::int8, n.nspname::text, c.relname::text, a.attnum, a.attname::text
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE `

// relationsByName reads the named relations.
func relationsByName(ctx context.Context, tx pgx.Tx, names []metadata.QualifiedTable) (map[int64]*Relation, error) {
	schemas, tables := make([]string, len(names)), make([]string, len(names))
	for i, n := range names {
		schemas[i], tables[i] = n.Schema, n.Name
	}
	return readRelations(ctx, tx, relationsSQL+`(n.nspname, c.relname) IN (SELECT * FROM unnest($1::text[], $2::text[]))`, schemas, tables)
}

// relationsByOID reads the relations with the given OIDs.
func relationsByOID(ctx context.Context, tx pgx.Tx, oids []int64) (map[int64]*Relation, error) {
	return readRelations(ctx, tx, relationsSQL+`c.oid::int8 = ANY($1::int8[])`, oids)
}

func readRelations(ctx context.Context, tx pgx.Tx, sql string, args ...any) (map[int64]*Relation, error) {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("read relations: %w", err)
	}
	defer rows.Close()
	out := map[int64]*Relation{}
	for rows.Next() {
		var oid int64
		var s, n string
		var num *int16
		var col *string
		if err := rows.Scan(&oid, &s, &n, &num, &col); err != nil {
			return nil, fmt.Errorf("read relations: %w", err)
		}
		r := out[oid]
		if r == nil {
			r = &Relation{OID: oid, Name: metadata.QualifiedTable{Schema: s, Name: n}, Columns: map[int16]string{}}
			out[oid] = r
		}
		if num != nil && col != nil {
			r.Columns[*num] = *col
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read relations: %w", err)
	}
	return out, nil
}

// Diff tells what DDL did to the relations before (by OID), given the
// same OIDs read after: a relation gone was dropped, one with another
// name renamed, and likewise for columns by attribute number.
func Diff(before, after map[int64]*Relation) *metaedit.DDL {
	d := &metaedit.DDL{
		RenamedTables:  map[metadata.QualifiedTable]metadata.QualifiedTable{},
		DroppedColumns: map[metadata.QualifiedTable][]string{},
		RenamedColumns: map[metadata.QualifiedTable]map[string]string{},
	}
	oids := make([]int64, 0, len(before))
	for oid := range before {
		oids = append(oids, oid)
	}
	slices.Sort(oids)
	for _, oid := range oids {
		b, a := before[oid], after[oid]
		if a == nil {
			d.DroppedTables = append(d.DroppedTables, b.Name)
			continue
		}
		if a.Name != b.Name {
			d.RenamedTables[b.Name] = a.Name
		}
		nums := make([]int16, 0, len(b.Columns))
		for n := range b.Columns {
			nums = append(nums, n)
		}
		slices.Sort(nums)
		for _, n := range nums {
			old := b.Columns[n]
			switch now, ok := a.Columns[n]; {
			case !ok:
				d.DroppedColumns[b.Name] = append(d.DroppedColumns[b.Name], old)
			case now != old:
				if d.RenamedColumns[b.Name] == nil {
					d.RenamedColumns[b.Name] = map[string]string{}
				}
				d.RenamedColumns[b.Name][old] = now
			}
		}
	}
	return d
}
