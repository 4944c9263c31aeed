package schema_test

import (
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/stratagql/strata/engine/catalog/catalogtest"
	"github.com/stratagql/strata/engine/schema"
)

// BenchmarkBuild5000 builds the schema of 5,000 tables with two
// relationships each from a synthetic catalogue (no database).
func BenchmarkBuild5000(b *testing.B) {
	md, cat := catalogtest.Synthetic(5000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := schema.Build(md, cat)
		if err != nil {
			b.Fatal(err)
		}
		if len(s.Tables) != 5000 || len(s.Inconsistencies) != 0 {
			b.Fatalf("tables %d, inconsistencies %v", len(s.Tables), s.Inconsistencies)
		}
	}
}

// BenchmarkSDLLoad5000 measures the alternative of generating SDL text and
// parsing it with gqlparser.LoadSchema, for comparison with Build's direct
// construction of the AST.
func BenchmarkSDLLoad5000(b *testing.B) {
	md, cat := catalogtest.Synthetic(5000)
	s, err := schema.Build(md, cat)
	if err != nil {
		b.Fatal(err)
	}
	sdl := s.SDL()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := gqlparser.LoadSchema(&ast.Source{Input: sdl}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestBuild5000Fast guards the 5 s budget for 5,000 tables (generous, as
// the race detector slows Build several times).
func TestBuild5000Fast(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	md, cat := catalogtest.Synthetic(5000)
	start := time.Now()
	s, err := schema.Build(md, cat)
	if err != nil {
		t.Fatal(err)
	}
	d := time.Since(start)
	t.Logf("built %d tables, %d types in %s", len(s.Tables), len(s.GraphQL.Types), d)
	if d > 5*time.Second && !raceEnabled {
		t.Errorf("Build took %s for 5,000 tables (budget 5s)", d)
	}
}
