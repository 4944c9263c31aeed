// Package envtest_test runs the operator against a real API server (envtest)
// together with in-process engines reading their metadata ConfigMaps and a
// real PostgreSQL database (internal/testdb) loaded with hack/demo.sql: the
// path from a Table or Permission to the engine's answers.
package envtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/stratagql/strata/api/v1alpha1"
	"github.com/stratagql/strata/engine/app"
	"github.com/stratagql/strata/engine/config"
	"github.com/stratagql/strata/internal/enginereport"
	"github.com/stratagql/strata/internal/operator"
	"github.com/stratagql/strata/internal/testdb"
)

var (
	testEnv *envtest.Environment
	k8s     client.Client
	ctx     context.Context
	cancel  context.CancelFunc
	// dbURL is the demo database every engine of the suite serves.
	dbURL string
)

func TestOperatorWithEngine(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Operator and engine suite (envtest)")
}

// envtestAssets returns KUBEBUILDER_ASSETS, or the binaries `make envtest` builds.
func envtestAssets() string {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir
	}
	matches, _ := filepath.Glob(filepath.Join("..", "..", "..", "bin", "k8s", "*", "kube-apiserver"))
	if len(matches) == 0 {
		return ""
	}
	return filepath.Dir(matches[len(matches)-1])
}

var _ = BeforeSuite(func() {
	logf.SetLogger(logr.FromSlogHandler(slog.NewTextHandler(GinkgoWriter, &slog.HandlerOptions{Level: slog.LevelInfo})))
	SetDefaultEventuallyTimeout(30 * time.Second)
	SetDefaultEventuallyPollingInterval(50 * time.Millisecond)

	assets := envtestAssets()
	if assets == "" {
		Skip("no envtest binaries: run `make envtest` or set KUBEBUILDER_ASSETS")
	}
	ctx, cancel = context.WithCancel(context.Background())

	url, drop, err := testdb.Create(ctx, "operator_envtest")
	if err != nil {
		Skip("no PostgreSQL server (set DATABASE_URL or run hack/ensure-postgres.sh): " + err.Error())
	}
	DeferCleanup(drop)
	demo, err := os.ReadFile(filepath.Join("..", "..", "..", "hack", "demo.sql"))
	Expect(err).NotTo(HaveOccurred())
	Expect(testdb.Exec(ctx, url, string(demo))).To(Succeed())
	dbURL = url

	testEnv = &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "..", "..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	cfg, err := testEnv.Start()
	Expect(err).NotTo(HaveOccurred())
	scheme, err := operator.NewScheme()
	Expect(err).NotTo(HaveOccurred())
	k8s, err = client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
	mgr, err := operator.NewManager(cfg, operator.Options{MetricsAddr: "0", ProbeAddr: "0", EngineImage: "example.com/strata:test"})
	Expect(err).NotTo(HaveOccurred())
	go func() {
		defer GinkgoRecover()
		Expect(mgr.Start(ctx)).To(Succeed())
	}()
	Expect(mgr.GetCache().WaitForCacheSync(ctx)).To(BeTrue())
})

var _ = AfterSuite(func() {
	if cancel != nil {
		cancel()
	}
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
})

// newEngine creates a namespace and a GraphQLEngine named demo in it, and
// waits for the operator to give the engine its Role and RoleBinding.
func newEngine() string {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "envtest-"}}
	Expect(k8s.Create(ctx, ns)).To(Succeed())
	Expect(k8s.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "db"},
		StringData: map[string]string{"url": dbURL},
	})).To(Succeed())
	Expect(k8s.Create(ctx, &v1alpha1.GraphQLEngine{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "demo"},
		Spec:       v1alpha1.GraphQLEngineSpec{DatabaseURLSecretRef: v1alpha1.SecretKeySelector{Name: "db", Key: "url"}},
	})).To(Succeed())
	Eventually(func() error {
		return k8s.Get(ctx, types.NamespacedName{Namespace: ns.Name, Name: "demo"}, &rbacv1.RoleBinding{})
	}).Should(Succeed())
	return ns.Name
}

// engineUser returns a user authenticated as the engine's ServiceAccount:
// the engine gets exactly what the Role the operator made grants.
func engineUser(ns string) *envtest.AuthenticatedUser {
	user, err := testEnv.AddUser(envtest.User{
		Name:   "system:serviceaccount:" + ns + ":demo",
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
	}, nil)
	Expect(err).NotTo(HaveOccurred())
	return user
}

// engineIdentity returns a client configuration of the engine's ServiceAccount.
func engineIdentity(ns string) *rest.Config { return engineUser(ns).Config() }

// startEngine runs `strata engine --metadata-configmap NS/demo-metadata`
// in-process, as the engine's ServiceAccount (through KUBECONFIG, as
// outside a cluster), and returns its base URL. It stops with the spec.
func startEngine(ns string) string {
	user := engineUser(ns)
	kubeconfig, err := user.KubeConfig()
	Expect(err).NotTo(HaveOccurred())
	path := filepath.Join(GinkgoT().TempDir(), "kubeconfig")
	Expect(os.WriteFile(path, kubeconfig, 0o600)).To(Succeed())
	GinkgoT().Setenv("KUBECONFIG", path)

	cfg, err := config.Parse([]string{
		"--database-url", dbURL,
		"--metadata-configmap", ns + "/demo-metadata",
		"--graceful-shutdown-timeout", "1",
	}, func(string) string { return "" }, io.Discard)
	Expect(err).NotTo(HaveOccurred())
	log := slog.New(slog.NewTextHandler(GinkgoWriter, &slog.HandlerOptions{Level: slog.LevelInfo}))
	eng, err := app.New(ctx, cfg, log, app.WithBackground(enginereport.Run))
	Expect(err).NotTo(HaveOccurred())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	engCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- eng.Serve(engCtx, ln) }()
	DeferCleanup(func() {
		stop()
		Eventually(done).Should(Receive())
	})
	return "http://" + ln.Addr().String()
}

// gqlResponse is a GraphQL response.
type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message string `json:"message"`
	} `json:"errors"`
}

// query posts a GraphQL query, as role (admin when empty), and returns the
// data, or an error carrying the GraphQL errors.
func query(base, role, q string) (string, error) {
	body, _ := json.Marshal(map[string]string{"query": q})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/graphql", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	if role != "" {
		req.Header.Set("X-Hasura-Role", role)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var r gqlResponse
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return "", err
	}
	if len(r.Errors) > 0 {
		msgs := make([]string, len(r.Errors))
		for i, e := range r.Errors {
			msgs[i] = e.Message
		}
		return "", fmt.Errorf("graphql: %s", strings.Join(msgs, "; "))
	}
	return string(r.Data), nil
}

// queryFunc is query for Eventually.
func queryFunc(base, role, q string) func() (string, error) {
	return func() (string, error) { return query(base, role, q) }
}
