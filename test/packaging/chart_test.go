package packaging

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

var chartDir = filepath.Join(repoRoot, "charts", "strata")

// chartMeta is the part of Chart.yaml the tests read.
type chartMeta struct {
	Version    string `json:"version"`
	AppVersion string `json:"appVersion"`
}

func readChart(t *testing.T) chartMeta {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var c chartMeta
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("Chart.yaml: %v", err)
	}
	return c
}

// TestChartVersionsInStep enforces the versioning rule of the chart: the
// chart is released with the operator, so version and appVersion are the
// same semantic version (and the image tag defaults to it).
func TestChartVersionsInStep(t *testing.T) {
	c := readChart(t)
	if !regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`).MatchString(c.Version) {
		t.Fatalf("chart version %q is not a semantic version", c.Version)
	}
	if c.AppVersion != c.Version {
		t.Fatalf("Chart.yaml: appVersion %q differs from version %q; release them together", c.AppVersion, c.Version)
	}
}

// TestChartCRDsMatchConfig checks that the chart carries exactly the CRDs of
// config/crd/bases and the ClusterRole rules of config/rbac/role.yaml, which
// `make manifests` copies.
func TestChartCRDsMatchConfig(t *testing.T) {
	want, err := filepath.Glob(filepath.Join(repoRoot, "config", "crd", "bases", "*.yaml"))
	if err != nil || len(want) == 0 {
		t.Fatalf("no CRDs in config/crd/bases (%v)", err)
	}
	got, err := filepath.Glob(filepath.Join(chartDir, "crds", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	names := func(paths []string) []string {
		var n []string
		for _, p := range paths {
			n = append(n, filepath.Base(p))
		}
		sort.Strings(n)
		return n
	}
	if g, w := strings.Join(names(got), " "), strings.Join(names(want), " "); g != w {
		t.Fatalf("charts/strata/crds has %s, config/crd/bases %s: run make manifests", g, w)
	}
	same := func(a, b string) {
		t.Helper()
		x, err := os.ReadFile(a)
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(b)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs from %s: run make manifests", a, b)
		}
	}
	for _, w := range want {
		same(filepath.Join(chartDir, "crds", filepath.Base(w)), w)
	}
	same(filepath.Join(chartDir, "files", "operator-role.yaml"), filepath.Join(repoRoot, "config", "rbac", "role.yaml"))
}

// valueVariants are the value sets the chart is linted and dry-run with.
var valueVariants = map[string][]string{
	"defaults": nil,
	"custom": {
		"--set", "image.tag=v9.9.9,engineImage=registry.example/strata:v9.9.9,replicas=2,logLevel=debug,logFormat=text",
		"--set", "imagePullSecrets[0].name=regcred,podAnnotations.team=data",
		"--set", "nodeSelector.kubernetes\\.io/os=linux,tolerations[0].key=dedicated,tolerations[0].operator=Exists",
		"--set", "resources.limits.cpu=1,metrics.port=9090",
	},
	"minimal": {"--set", "leaderElection=false,metrics.service=false,aggregateToDefaultRoles=false"},
}

func TestHelmLint(t *testing.T) {
	tl := requireTools(t)
	for name, values := range valueVariants {
		t.Run(name, func(t *testing.T) {
			run(t, nil, nil, tl.helm, append([]string{"lint", "--strict", "charts/strata"}, values...)...)
		})
	}
	// The values schema rejects misspelt keys, and the templates a
	// configuration in which two operators would reconcile at once.
	for _, bad := range [][]string{
		{"--set", "logLevl=debug"},
		{"--set", "replicas=2,leaderElection=false"},
		{"--set", "metrics.port=8081"},
	} {
		if out, err := tryRun(t, nil, nil, tl.helm, append([]string{"template", "strata", "charts/strata"}, bad...)...); err == nil {
			t.Errorf("helm template %v succeeded:\n%s", bad, out)
		}
	}
}

// decode splits a multi-document YAML stream into objects.
func decode(t *testing.T, stream []byte) []*unstructured.Unstructured {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(stream), 4096)
	var objs []*unstructured.Unstructured
	for {
		obj := map[string]any{}
		if err := dec.Decode(&obj); err != nil {
			if errors.Is(err, io.EOF) {
				return objs
			}
			t.Fatalf("decoding manifests: %v", err)
		}
		if len(obj) > 0 {
			objs = append(objs, &unstructured.Unstructured{Object: obj})
		}
	}
}

// TestHelmTemplateServerDryRun renders the chart with each value set and
// has a real kube-apiserver validate every object (CRDs included) with a
// server-side dry run.
func TestHelmTemplateServerDryRun(t *testing.T) {
	c := startCluster(t, requireTools(t))
	// helm install --create-namespace creates the namespace; a dry run
	// needs it to exist.
	run(t, c, nil, c.kubectl, "create", "namespace", "strata-system")
	for name, values := range valueVariants {
		t.Run(name, func(t *testing.T) {
			manifests := run(t, c, nil, c.helm, append([]string{"template", "strata", "charts/strata",
				"--namespace", "strata-system", "--include-crds"}, values...)...)
			objs := decode(t, manifests)
			out := string(run(t, c, manifests, c.kubectl, "apply", "--dry-run=server", "-f", "-"))
			if n := strings.Count(out, "(server dry run)"); n != len(objs) {
				t.Fatalf("kubectl applied %d objects of %d:\n%s", n, len(objs), out)
			}
			if name == "defaults" {
				image := "ghcr.io/stratagql/strata:" + readChart(t).AppVersion
				if !bytes.Contains(manifests, []byte("image: "+image)) || !bytes.Contains(manifests, []byte("--engine-image="+image)) {
					t.Fatalf("the default image is not %s:\n%s", image, manifests)
				}
			}
		})
	}
}

// kinds counts objects by kind.
func kinds(objs []*unstructured.Unstructured) map[string]int {
	m := map[string]int{}
	for _, o := range objs {
		m[o.GetKind()]++
	}
	return m
}

// TestChartMatchesKustomize checks that the chart (release strata) and
// config/default install the same objects under the same names: the same
// CRDs, and Roles and ClusterRoles with the same rules.
func TestChartMatchesKustomize(t *testing.T) {
	tl := requireTools(t)
	chart := decode(t, run(t, nil, nil, tl.helm, "template", "strata", "charts/strata", "--namespace", "strata-system", "--include-crds"))
	kust := decode(t, run(t, nil, nil, tl.kustomize, "build", "config/default"))
	index := func(objs []*unstructured.Unstructured) map[string]*unstructured.Unstructured {
		m := map[string]*unstructured.Unstructured{}
		for _, o := range objs {
			m[o.GetKind()+"/"+o.GetNamespace()+"/"+o.GetName()] = o
		}
		return m
	}
	c, k := index(chart), index(kust)
	for key, ko := range k {
		if _, ok := c[key]; !ok && ko.GetKind() != "Namespace" {
			t.Errorf("chart lacks %s", key)
			continue
		}
		switch ko.GetKind() {
		case "CustomResourceDefinition":
			co := c[key]
			cs, _ := yaml.Marshal(co.Object["spec"])
			ks, _ := yaml.Marshal(ko.Object["spec"])
			if !bytes.Equal(cs, ks) {
				t.Errorf("%s: chart and kustomize specs differ", key)
			}
		case "ClusterRole", "Role":
			co := c[key]
			cr, _ := yaml.Marshal(co.Object["rules"])
			kr, _ := yaml.Marshal(ko.Object["rules"])
			if !bytes.Equal(cr, kr) {
				t.Errorf("%s: rules differ\nchart:\n%s\nkustomize:\n%s", key, cr, kr)
			}
		}
	}
	ck, kk := kinds(chart), kinds(kust)
	delete(kk, "Namespace") // helm install --create-namespace makes it
	for kind, n := range kk {
		if ck[kind] != n {
			t.Errorf("%s: chart renders %d, kustomize %d", kind, ck[kind], n)
		}
	}
}

// TestHelmInstallUpgradeUninstall runs the Helm commands of
// docs/installation.md against a real API server.
func TestHelmInstallUpgradeUninstall(t *testing.T) {
	c := startCluster(t, requireTools(t))
	out := string(run(t, c, nil, c.helm, "install", "strata", "charts/strata", "--namespace", "strata-system", "--create-namespace"))
	if !strings.Contains(out, "STATUS: deployed") {
		t.Fatalf("helm install:\n%s", out)
	}
	for _, crd := range []string{"graphqlengines", "tables", "permissions"} {
		run(t, c, nil, c.kubectl, "wait", "--for=condition=Established", "--timeout=60s", "crd/"+crd+".graphql.strata.dev")
	}
	run(t, c, nil, c.kubectl, "-n", "strata-system", "get", "deployment/strata-operator", "service/strata-operator-metrics",
		"serviceaccount/strata-operator", "role/strata-leader-election")
	run(t, c, nil, c.kubectl, "get", "clusterrole/strata-operator", "clusterrolebinding/strata-operator",
		"clusterrole/strata-graphql-editor", "clusterrole/strata-graphql-viewer")
	// The samples are valid against the installed CRDs (schemas and CEL rules).
	run(t, c, nil, c.kubectl, "apply", "--dry-run=server", "-k", "config/samples")

	// Upgrade: CRDs first (helm upgrade leaves them alone), with a changed
	// CRD as a new release would bring, then the release.
	crds := filepath.Join(t.TempDir(), "crds")
	if err := os.MkdirAll(crds, 0o755); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(chartDir, "crds", "*.yaml"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b = bytes.Replace(b, []byte("controller-gen.kubebuilder.io/version:"), []byte("strata.dev/upgraded: \"true\"\n    controller-gen.kubebuilder.io/version:"), 1)
		if err := os.WriteFile(filepath.Join(crds, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run(t, c, nil, c.kubectl, "apply", "--server-side", "--force-conflicts", "-f", crds)
	ann := run(t, c, nil, c.kubectl, "get", "crd/tables.graphql.strata.dev", "-o", "jsonpath={.metadata.annotations.strata\\.dev/upgraded}")
	if string(ann) != "true" {
		t.Fatalf("the CRD was not updated: annotation %q", ann)
	}
	out = string(run(t, c, nil, c.helm, "upgrade", "strata", "charts/strata", "--namespace", "strata-system", "--set", "logLevel=debug"))
	if !strings.Contains(out, "REVISION: 2") {
		t.Fatalf("helm upgrade:\n%s", out)
	}
	args := run(t, c, nil, c.kubectl, "-n", "strata-system", "get", "deployment/strata-operator", "-o", "jsonpath={.spec.template.spec.containers[0].args}")
	if !bytes.Contains(args, []byte("--log-level=debug")) {
		t.Fatalf("upgraded Deployment args: %s", args)
	}

	// Uninstall keeps the CRDs (and with them every GraphQLEngine, Table
	// and Permission) until they are deleted explicitly.
	run(t, c, nil, c.helm, "uninstall", "strata", "--namespace", "strata-system")
	if _, err := tryRun(t, c, nil, c.kubectl, "-n", "strata-system", "get", "deployment/strata-operator"); err == nil {
		t.Fatal("the operator Deployment survived helm uninstall")
	}
	run(t, c, nil, c.kubectl, "get", "crd/graphqlengines.graphql.strata.dev")
	run(t, c, nil, c.kubectl, "delete", "-f", "charts/strata/crds/")
	if _, err := tryRun(t, c, nil, c.kubectl, "get", "crd/graphqlengines.graphql.strata.dev"); err == nil {
		t.Fatal("the CRD survived kubectl delete")
	}
}
