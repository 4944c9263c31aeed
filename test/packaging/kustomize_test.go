package packaging

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKustomizeDeploy validates config/default (what `make deploy`
// applies) with a server-side dry run against a real API server, then
// applies it as `make deploy` does, checks that the samples are valid
// against the installed CRDs, and removes it as `make undeploy` does.
func TestKustomizeDeploy(t *testing.T) {
	c := startCluster(t, requireTools(t))
	manifests := run(t, c, nil, c.kustomize, "build", "config/default")
	objs := decode(t, manifests)
	if kinds(objs)["Namespace"] != 1 || objs[0].GetKind() != "Namespace" {
		t.Fatalf("config/default must start with its Namespace: %v", kinds(objs))
	}
	// A dry run creates nothing, so the Deployment and the other
	// namespaced objects need their namespace to exist already.
	run(t, c, nil, c.kubectl, "create", "namespace", objs[0].GetName())
	out := string(run(t, c, manifests, c.kubectl, "apply", "--server-side", "--dry-run=server", "-f", "-"))
	if n := strings.Count(out, "serverside-applied (server dry run)"); n != len(objs) {
		t.Fatalf("kubectl applied %d objects of %d:\n%s", n, len(objs), out)
	}

	// make deploy
	run(t, c, manifests, c.kubectl, "apply", "--server-side", "-f", "-")
	for _, crd := range []string{"graphqlengines", "tables", "permissions"} {
		run(t, c, nil, c.kubectl, "wait", "--for=condition=Established", "--timeout=60s", "crd/"+crd+".graphql.strata.dev")
	}
	run(t, c, nil, c.kubectl, "-n", "strata-system", "get", "deployment/strata-operator", "service/strata-operator-metrics")
	run(t, c, nil, c.kubectl, "apply", "--dry-run=server", "-k", "config/samples")

	// make undeploy; envtest runs no namespace controller, so the deleted
	// namespace stays Terminating: do not wait for it.
	run(t, c, manifests, c.kubectl, "delete", "--ignore-not-found", "--wait=false", "-f", "-")
	run(t, c, nil, c.kubectl, "wait", "--for=delete", "--timeout=60s", "crd/tables.graphql.strata.dev")
}

// TestKustomizeOverlayPinsImages builds the overlay of
// docs/installation.md, which pins the operator and engine images, and
// has a real API server validate it.
func TestKustomizeOverlayPinsImages(t *testing.T) {
	c := startCluster(t, requireTools(t))
	base, err := filepath.Abs(filepath.Join(repoRoot, "config", "default"))
	if err != nil {
		t.Fatal(err)
	}
	overlay := t.TempDir()
	// kustomize wants the base as a relative path.
	rel, err := filepath.Rel(overlay, base)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(repoRoot, "docs", "installation.md"))
	if err != nil {
		t.Fatal(err)
	}
	var kust string
	for _, b := range yamlBlocks(string(doc)) {
		if strings.Contains(b, "config/default") && strings.Contains(b, "images:") {
			kust = strings.Replace(b, "../strata/config/default", rel, 1)
		}
	}
	if kust == "" {
		t.Fatal("docs/installation.md has no overlay block")
	}
	if err := os.WriteFile(filepath.Join(overlay, "kustomization.yaml"), []byte(kust), 0o644); err != nil {
		t.Fatal(err)
	}
	manifests := run(t, c, nil, c.kustomize, "build", overlay)
	for _, want := range []string{"image: ghcr.io/stratagql/strata:v0.1.0", "--engine-image=ghcr.io/stratagql/strata:v0.1.0"} {
		if !strings.Contains(string(manifests), want) {
			t.Errorf("the overlay renders no %q", want)
		}
	}
	run(t, c, nil, c.kubectl, "create", "namespace", "strata-system")
	run(t, c, nil, c.kubectl, "apply", "--server-side", "--dry-run=server", "-k", overlay)
}
