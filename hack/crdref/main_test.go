package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPageIsCurrent fails when docs/crd-reference.md was not regenerated
// after a change of the API types (make manifests, or make docs).
func TestPageIsCurrent(t *testing.T) {
	crds := filepath.Join("..", "..", "config", "crd", "bases")
	page := filepath.Join("..", "..", "docs", "crd-reference.md")
	if err := run([]string{"-crds", crds, "-out", page, "-check"}, io.Discard); err != nil {
		t.Fatalf("%v (go run ./hack/crdref, or make docs)", err)
	}
}

func TestCheckDetectsAStalePage(t *testing.T) {
	crds := filepath.Join("..", "..", "config", "crd", "bases")
	out := filepath.Join(t.TempDir(), "ref.md")
	if err := run([]string{"-crds", crds, "-out", out}, io.Discard); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"## GraphQLEngine", "## Table", "## Permission",
		"| `spec.databaseURLSecretRef` | object, **required** |",
		"[core/v1.Affinity](https://kubernetes.io/docs/reference/generated/kubernetes-api/v1.37/#affinity-v1-core)",
		"| `spec.filter` | JSON object |",
		"(auth.jwtSecretRef and auth.authHook are mutually exclusive)",
	} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("page lacks %q", want)
		}
	}
	// Kubernetes types are linked, not expanded.
	if strings.Contains(string(page), "spec.affinity.nodeAffinity") {
		t.Error("page expands core/v1.Affinity")
	}
	if err := os.WriteFile(out, append(page, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	err = run([]string{"-crds", crds, "-out", out, "-check"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "stale") {
		t.Fatalf("-check on a changed page: %v, want a stale error", err)
	}
}
