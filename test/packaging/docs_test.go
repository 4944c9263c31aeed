package packaging

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stratagql/strata/engine/config"
)

// TestMigratingDocCoversEveryVariable fails when the engine gains a
// setting that docs/migrating-from-hasura.md does not place: a
// GraphQLEngine field, set by the operator, or left at its default.
func TestMigratingDocCoversEveryVariable(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(repoRoot, "docs", "migrating-from-hasura.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range config.Options {
		if !strings.Contains(string(doc), "`"+o.Env+"`") {
			t.Errorf("docs/migrating-from-hasura.md does not mention %s", o.Env)
		}
	}
}
