// Package catalogtest builds synthetic catalogues and matching metadata
// without a database, for benchmarks and tests of the schema generator.
package catalogtest

import (
	"fmt"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/metadata"
)

// pgType returns a pg_catalog base type.
func pgType(name, category string) *catalog.Type {
	return &catalog.Type{Schema: "pg_catalog", Name: name, Kind: catalog.TypeBase, Category: category}
}

// Synthetic returns n tracked tables t0000, t0001, ... in schema public,
// each with seven columns of assorted types and two relationships: an
// object relationship "parent" through a foreign key to the previous table
// and an array relationship "children" from the next table (the chain
// wraps around).
func Synthetic(n int) (*metadata.Metadata, *catalog.Catalog) {
	int4 := pgType("int4", "N")
	text := pgType("text", "S")
	tstz := pgType("timestamptz", "D")
	num := pgType("numeric", "N")
	jsonb := pgType("jsonb", "U")
	boolean := pgType("bool", "B")
	cat := &catalog.Catalog{
		Tables:     make(map[metadata.QualifiedTable]*catalog.Table, n),
		Functions:  map[metadata.QualifiedTable][]*catalog.Function{},
		EnumValues: map[metadata.QualifiedTable][]catalog.EnumValue{},
	}
	md := metadata.Empty()
	src := &md.Sources[0]
	name := func(i int) metadata.QualifiedTable {
		return metadata.QualifiedTable{Schema: "public", Name: fmt.Sprintf("t%04d", (i+n)%n)}
	}
	for i := 0; i < n; i++ {
		q := name(i)
		t := &catalog.Table{
			Name: q, Kind: catalog.KindTable, Insertable: true, Updatable: true, Deletable: true,
			Columns: []*catalog.Column{
				{Name: "id", Position: 1, Type: int4, HasDefault: true},
				{Name: "name", Position: 2, Type: text},
				{Name: "created_at", Position: 3, Type: tstz, HasDefault: true},
				{Name: "score", Position: 4, Type: num, Nullable: true},
				{Name: "parent_id", Position: 5, Type: int4, Nullable: true},
				{Name: "data", Position: 6, Type: jsonb, Nullable: true},
				{Name: "flag", Position: 7, Type: boolean},
			},
			PrimaryKey: &catalog.Constraint{Name: q.Name + "_pkey", Columns: []string{"id"}},
			ForeignKeys: []*catalog.ForeignKey{{
				Name: q.Name + "_parent_id_fkey", Columns: []string{"parent_id"},
				RefTable: name(i - 1), RefColumns: []string{"id"},
			}},
		}
		cat.Tables[q] = t
		src.Tables = append(src.Tables, metadata.Table{
			Table: q,
			ObjectRelationships: []metadata.ObjectRelationship{{
				Name:  "parent",
				Using: metadata.ObjectRelUsing{ForeignKeyConstraintOn: &metadata.ObjectFKOn{Columns: []string{"parent_id"}}},
			}},
			ArrayRelationships: []metadata.ArrayRelationship{{
				Name: "children",
				Using: metadata.ArrayRelUsing{ForeignKeyConstraintOn: &metadata.RemoteFK{
					Table: name(i + 1), Columns: []string{"parent_id"},
				}},
			}},
		})
	}
	return md, cat
}
