package catalog_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/internal/testdb"
)

// TestLoadManyTables checks that Load's cost does not grow with per-table
// round trips: 1,000 related tables load in well under a second.
func TestLoadManyTables(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	const n = 1000
	// Scripts of 500 tables each keep every transaction's locks bounded.
	var scripts []string
	var b strings.Builder
	b.WriteString("CREATE TABLE t0000 (id serial PRIMARY KEY, name text NOT NULL, parent_id int);\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "CREATE TABLE t%04d (id serial PRIMARY KEY, name text NOT NULL, created_at timestamptz DEFAULT now(), parent_id int REFERENCES t%04d(id));\n", i, i-1)
		if i%500 == 0 {
			scripts = append(scripts, b.String())
			b.Reset()
		}
	}
	scripts = append(scripts, b.String())
	u := testdb.New(t, scripts...)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	start := time.Now()
	cat, err := catalog.Load(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	d := time.Since(start)
	t.Logf("loaded %d tables in %s", len(cat.Tables), d)
	if len(cat.Tables) != n {
		t.Fatalf("got %d tables", len(cat.Tables))
	}
	if d > 5*time.Second {
		t.Errorf("Load took %s for %d tables", d, n)
	}
}
