// Package engine_test holds the rule that keeps the engine free of the
// operator: no package under engine/ (its tests included) may depend,
// directly or not, on the API types (api/...) or the controllers
// (controllers/...). The engine runs without Kubernetes types; what needs
// them (the GraphQLEngine status report) lives outside engine/.
package engine_test

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/stratagql/strata"

// forbidden are the import path prefixes no engine package may depend on.
var forbidden = []string{module + "/api", module + "/controllers"}

func TestEngineImportsNoOperatorPackage(t *testing.T) {
	// `go list` from this directory lists engine/...; -test adds the test
	// variants, whose dependencies include the tests' imports.
	cmd := exec.Command("go", "list", "-test", "-f", "{{.ImportPath}}{{range .Deps}} {{.}}{{end}}", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	packages := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		packages++
		for _, dep := range fields[1:] {
			for _, f := range forbidden {
				if dep == f || strings.HasPrefix(dep, f+"/") {
					t.Errorf("%s depends on %s: the engine must not import api/ or controllers/ (go list -test -deps ./engine/... shows the path)", fields[0], dep)
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if packages < 10 {
		t.Fatalf("go list listed %d engine packages: the check looked at nothing", packages)
	}
}
