package packaging

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// repoRoot is the repository root, relative to this package.
var repoRoot = filepath.Join("..", "..")

// tools are the binaries the cluster tests run.
type tools struct {
	helm, kustomize, kubectl, assets string
}

// requireTools skips the test unless STRATA_E2E=1, and then fails unless
// helm, kustomize, kubectl and the envtest binaries are all there: these
// tests must never pass without running.
func requireTools(t *testing.T) tools {
	t.Helper()
	if os.Getenv("STRATA_E2E") != "1" {
		t.Skip("needs helm, kustomize, kubectl and a kube-apiserver: run `make test-packaging` (sets STRATA_E2E=1)")
	}
	tl := tools{
		helm:      os.Getenv("HELM"),
		kustomize: os.Getenv("KUSTOMIZE"),
		assets:    os.Getenv("KUBEBUILDER_ASSETS"),
		kubectl:   os.Getenv("KUBECTL"),
	}
	if tl.kubectl == "" && tl.assets != "" {
		tl.kubectl = filepath.Join(tl.assets, "kubectl")
	}
	if tl.assets == "" {
		t.Fatal("STRATA_E2E=1 but KUBEBUILDER_ASSETS is not set")
	}
	for name, path := range map[string]string{
		"HELM": tl.helm, "KUSTOMIZE": tl.kustomize, "KUBECTL": tl.kubectl,
		"KUBEBUILDER_ASSETS kube-apiserver": filepath.Join(tl.assets, "kube-apiserver"),
		"KUBEBUILDER_ASSETS etcd":           filepath.Join(tl.assets, "etcd"),
	} {
		if path == "" {
			t.Fatalf("STRATA_E2E=1 but %s is not set", name)
		}
		if st, err := os.Stat(path); err != nil || st.IsDir() {
			t.Fatalf("STRATA_E2E=1 but %s (%s) is missing: %v", name, path, err)
		}
	}
	return tl
}

// cluster is a kube-apiserver and etcd (envtest, no CRDs installed, on
// 127.0.0.1) and a kubeconfig file for it.
type cluster struct {
	tools
	kubeconfig string
}

// startCluster starts a fresh API server for the test and stops it at the end.
func startCluster(t *testing.T, tl tools) *cluster {
	t.Helper()
	env := &envtest.Environment{BinaryAssetsDirectory: tl.assets}
	if _, err := env.Start(); err != nil {
		t.Fatalf("starting envtest: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stopping envtest: %v", err)
		}
	})
	user, err := env.AddUser(envtest.User{Name: "packaging-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatalf("adding an admin user: %v", err)
	}
	kc, err := user.KubeConfig()
	if err != nil {
		t.Fatalf("kubeconfig: %v", err)
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, kc, 0o600); err != nil {
		t.Fatal(err)
	}
	return &cluster{tools: tl, kubeconfig: path}
}

// run runs a command in the repository root with KUBECONFIG set to the
// cluster's (when c is not nil) and stdin, and returns its output; it fails
// the test when the command fails.
func run(t *testing.T, c *cluster, stdin []byte, name string, args ...string) []byte {
	t.Helper()
	out, err := tryRun(t, c, stdin, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
	return out
}

// tryRun is run returning the error instead of failing.
func tryRun(t *testing.T, c *cluster, stdin []byte, name string, args ...string) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = repoRoot
	cmd.Env = os.Environ()
	if c != nil {
		// HOME and the helm directories in the test's temp dir: nothing of
		// the user's configuration is read or written.
		home := t.TempDir()
		cmd.Env = append(cmd.Env, "KUBECONFIG="+c.kubeconfig, "HOME="+home,
			"HELM_CONFIG_HOME="+filepath.Join(home, "helm-config"),
			"HELM_CACHE_HOME="+filepath.Join(home, "helm-cache"),
			"HELM_DATA_HOME="+filepath.Join(home, "helm-data"))
	}
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	return cmd.CombinedOutput()
}
