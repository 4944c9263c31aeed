package schema_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/schema"
	"github.com/stratagql/strata/internal/testdb"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// buildFrom loads sql into a fresh database, reads its catalogue and enum
// tables and builds the schema for the metadata document.
func buildFrom(t *testing.T, sql string, md []byte) *schema.Schema {
	t.Helper()
	u := testdb.New(t, sql)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	m, err := metadata.Parse(md)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Load(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	var enums []metadata.QualifiedTable
	if src := m.Source(metadata.DefaultSource); src != nil {
		for _, tb := range src.Tables {
			if tb.IsEnum {
				enums = append(enums, tb.Table)
			}
		}
	}
	if err := catalog.LoadEnumValues(ctx, conn, cat, enums); err != nil {
		t.Fatal(err)
	}
	s, err := schema.Build(m, cat)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// readFile reads a testdata file.
func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixtureSchema builds the schema of testdata/fixture.sql and metadata.yaml.
func fixtureSchema(t *testing.T) *schema.Schema {
	t.Helper()
	return buildFrom(t, string(readFile(t, "fixture.sql")), readFile(t, "metadata.yaml"))
}

func TestGoldenSDL(t *testing.T) {
	s := fixtureSchema(t)
	if len(s.Inconsistencies) != 0 {
		t.Fatalf("unexpected inconsistencies: %+v", s.Inconsistencies)
	}
	got := s.SDL()
	golden := filepath.Join("testdata", "schema.graphql")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./engine/schema -update)", err)
	}
	if got != string(want) {
		t.Errorf("SDL differs from %s (run go test ./engine/schema -update and review the diff)", golden)
	}
	// The printed schema must be a valid schema on its own.
	if _, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: got}); err != nil {
		t.Fatalf("generated SDL does not load: %v", err)
	}
}
