package schema_test

import (
	"runtime"
	"testing"

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
	var s *schema.Schema
	for i := 0; i < b.N; i++ {
		var err error
		s, err = schema.Build(md, cat)
		if err != nil {
			b.Fatal(err)
		}
		if len(s.Tables) != 5000 || len(s.Inconsistencies) != 0 {
			b.Fatalf("tables %d, inconsistencies %v", len(s.Tables), s.Inconsistencies)
		}
	}
	b.StopTimer()
	// What one built schema keeps alive: the engine holds one per version.
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
	runtime.KeepAlive(s)
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
