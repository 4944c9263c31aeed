// Package e2e_test is the end-to-end suite of `make test-e2e`: a local
// cluster built from source (test/localcluster: etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler, the process kubelet and the real
// `strata operator` process), engine pods running bin/strata, the real
// kubectl for every apply, and a demo database of its own. It takes the path
// a user takes: kubectl apply, then a GraphQL query to the Service's
// endpoint.
//
// It runs only with STRATA_E2E=1 (make test-e2e sets it, and builds
// bin/strata and the cluster binaries first); plain `go test ./...` only
// compiles it. STRATA_E2E_CAPTURE_DIR, when set, receives the JSON of
// GraphQLEngine, Table and Permission objects observed progressing, Ready
// and not Ready (test/packaging checks the Argo CD health scripts on them).
package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"

	"github.com/stratagql/strata/internal/testdb"
	"github.com/stratagql/strata/test/localcluster"
)

const namespace = "default"

var (
	ctx     context.Context
	cancel  context.CancelFunc
	cluster *localcluster.Cluster
	dyn     dynamic.Interface
	// root is the repository root.
	root string
	// stateDir is the cluster's state; kept when the suite fails.
	stateDir string
	// dbURL is the suite's demo database, dropped by dropDB.
	dbURL  string
	dropDB func()
)

// The status-bearing kinds.
var (
	engineGVR     = schema.GroupVersionResource{Group: "graphql.strata.dev", Version: "v1alpha1", Resource: "graphqlengines"}
	tableGVR      = schema.GroupVersionResource{Group: "graphql.strata.dev", Version: "v1alpha1", Resource: "tables"}
	permissionGVR = schema.GroupVersionResource{Group: "graphql.strata.dev", Version: "v1alpha1", Resource: "permissions"}
)

func TestE2E(t *testing.T) {
	if os.Getenv("STRATA_E2E") != "1" {
		t.Skip("end-to-end suite on a local cluster: run `make test-e2e` (or set STRATA_E2E=1 after `make build cluster-binaries`)")
	}
	RegisterFailHandler(Fail)
	RunSpecs(t, "Local cluster end-to-end suite")
}

var _ = BeforeSuite(func() {
	SetDefaultEventuallyTimeout(60 * time.Second)
	SetDefaultEventuallyPollingInterval(100 * time.Millisecond)
	ctx, cancel = context.WithCancel(context.Background())
	var err error
	root, err = filepath.Abs(filepath.Join("..", ".."))
	Expect(err).NotTo(HaveOccurred())

	strata := envOr("STRATA_BIN", filepath.Join(root, "bin", "strata"))
	binDir := envOr("KUBEBUILDER_ASSETS", filepath.Join(root, "bin", "k8s", "1.37.2"))
	for _, f := range []string{strata, filepath.Join(binDir, "kube-controller-manager")} {
		_, err := os.Stat(f)
		Expect(err).NotTo(HaveOccurred(), "run `make build cluster-binaries` (make test-e2e does)")
	}

	dbURL, dropDB, err = testdb.Create(ctx, "e2e")
	Expect(err).NotTo(HaveOccurred())
	demo, err := os.ReadFile(filepath.Join(root, "hack", "demo.sql"))
	Expect(err).NotTo(HaveOccurred())
	Expect(testdb.Exec(ctx, dbURL, string(demo))).To(Succeed())

	stateDir, err = os.MkdirTemp("", "strata-e2e-")
	Expect(err).NotTo(HaveOccurred())
	t0 := time.Now()
	cluster, err = localcluster.Start(ctx, localcluster.Options{
		StateDir:  stateDir,
		BinDir:    binDir,
		StrataBin: strata,
		CRDDir:    filepath.Join(root, "config", "crd", "bases"),
		PodCIDR:   localcluster.PodCIDRFor(os.Getpid()),
		Log:       slog.New(slog.NewTextHandler(GinkgoWriter, nil)),
	})
	Expect(err).NotTo(HaveOccurred())
	report("local cluster started in %s (state %s)", time.Since(t0).Round(time.Millisecond), stateDir)
	dyn, err = dynamic.NewForConfig(cluster.Config)
	Expect(err).NotTo(HaveOccurred())

	kubectl("create", "secret", "generic", "demo-db", "--from-literal=url="+dbURL)
})

var _ = AfterSuite(func() {
	if cluster != nil {
		cluster.Stop()
	}
	if cancel != nil {
		cancel()
	}
	if dropDB != nil {
		dropDB()
	}
	if stateDir == "" {
		return
	}
	if !suiteSucceeded {
		fmt.Fprintf(os.Stderr, "the suite failed: cluster logs kept in %s (logs/, pods/)\n", stateDir)
		return
	}
	_ = os.RemoveAll(stateDir)
})

// suiteSucceeded is cleared by any failed spec (ReportAfterEach).
var suiteSucceeded = true

var _ = ReportAfterEach(func(r SpecReport) {
	if r.Failed() {
		suiteSucceeded = false
	}
})

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// report prints a measured figure in the test output and the Ginkgo report.
func report(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintln(os.Stderr, "e2e:", msg)
	AddReportEntry(msg)
}

// kubectl runs the real kubectl and returns its stdout; it fails the spec
// on an error.
func kubectl(args ...string) string {
	GinkgoHelper()
	out, err := cluster.Kubectl(ctx, nil, args...)
	Expect(err).NotTo(HaveOccurred())
	return out
}

// apply runs `kubectl apply -f -` on a manifest.
func apply(manifest string) (string, error) {
	return cluster.Kubectl(ctx, strings.NewReader(manifest), "apply", "-f", "-")
}

// get reads an object through the dynamic client.
func get(gvr schema.GroupVersionResource, name string) (*unstructured.Unstructured, error) {
	return dyn.Resource(gvr).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
}

// condition returns the status, reason and message of a condition.
func condition(u *unstructured.Unstructured, typ string) (status, reason, message string) {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == typ {
			s, _ := m["status"].(string)
			r, _ := m["reason"].(string)
			msg, _ := m["message"].(string)
			return s, r, msg
		}
	}
	return "", "", ""
}

// capture writes u into STRATA_E2E_CAPTURE_DIR/name.json, when set.
func capture(name string, u *unstructured.Unstructured) {
	GinkgoHelper()
	dir := os.Getenv("STRATA_E2E_CAPTURE_DIR")
	if dir == "" {
		return
	}
	Expect(os.MkdirAll(dir, 0o755)).To(Succeed())
	obj := u.DeepCopy()
	unstructured.RemoveNestedField(obj.Object, "metadata", "managedFields")
	b, err := json.MarshalIndent(obj.Object, "", "  ")
	Expect(err).NotTo(HaveOccurred())
	Expect(os.WriteFile(filepath.Join(dir, name+".json"), append(b, '\n'), 0o644)).To(Succeed())
}

// generationLags reports whether the operator has not yet processed the
// object's current spec.
func generationLags(u *unstructured.Unstructured) bool {
	observed, _, _ := unstructured.NestedInt64(u.Object, "status", "observedGeneration")
	return observed < u.GetGeneration()
}

// watchCapture names the capture file of the first object of a kind for
// which a predicate holds.
type watchCapture struct {
	gvr  schema.GroupVersionResource
	file string
	when func(*unstructured.Unstructured) bool
}

// captureWhile watches the kinds of cs while f runs and captures, for each
// entry, the first object observed in the state it describes. It returns
// the files of states never observed.
func captureWhile(cs []watchCapture, f func()) (missed []string) {
	GinkgoHelper()
	left := map[string]watchCapture{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var watches []watch.Interface
	for _, c := range cs {
		left[c.file] = c
	}
	seen := map[schema.GroupVersionResource]bool{}
	for _, c := range cs {
		if seen[c.gvr] {
			continue
		}
		seen[c.gvr] = true
		w, err := dyn.Resource(c.gvr).Namespace(namespace).Watch(ctx, metav1.ListOptions{})
		Expect(err).NotTo(HaveOccurred())
		watches = append(watches, w)
		gvr := c.gvr
		wg.Go(func() {
			defer GinkgoRecover()
			for ev := range w.ResultChan() {
				u, ok := ev.Object.(*unstructured.Unstructured)
				if !ok {
					continue
				}
				mu.Lock()
				for file, c := range left {
					if c.gvr == gvr && c.when(u) {
						capture(file, u)
						delete(left, file)
					}
				}
				mu.Unlock()
			}
		})
	}
	f()
	for _, w := range watches {
		w.Stop()
	}
	wg.Wait()
	for file := range left {
		missed = append(missed, file)
	}
	sort.Strings(missed)
	return missed
}

// enginePods lists the pods of GraphQLEngine name.
func enginePods(name string) []corev1.Pod {
	GinkgoHelper()
	pods, err := cluster.Client.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{
		LabelSelector: "app.kubernetes.io/instance=" + name + ",app.kubernetes.io/component=graphql-engine",
	})
	Expect(err).NotTo(HaveOccurred())
	return pods.Items
}

// pid returns the process ID of a pod's engine container (the process
// kubelet reports container IDs as proc://PID).
func pid(p corev1.Pod) string {
	for _, s := range p.Status.ContainerStatuses {
		return strings.TrimPrefix(s.ContainerID, "proc://")
	}
	return ""
}

// endpoints waits for the Service of engine name to list n ready endpoints.
func endpoints(name string, n int) []string {
	GinkgoHelper()
	var eps []string
	Eventually(func(g Gomega) {
		var err error
		eps, err = cluster.ServiceEndpoints(ctx, namespace, name, "http")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(eps).To(HaveLen(n))
	}).Should(Succeed())
	return eps
}

var httpClient = &http.Client{Timeout: 5 * time.Second}

// query posts a GraphQL query to an endpoint (ADDRESS:PORT), as role when
// not empty, and returns the response body; a non-200 answer is an error.
func query(addr, role, q string) (string, error) {
	body, _ := json.Marshal(map[string]string{"query": q})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/v1/graphql", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	if role != "" {
		req.Header.Set("X-Hasura-Role", role)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return string(b), fmt.Errorf("HTTP %d: %s", resp.StatusCode, b)
	}
	return string(b), nil
}

// trackCount asks an endpoint how many tracks role user sees.
func trackCount(addr string) (int, error) {
	body, err := query(addr, "user", `{ track { id } }`)
	if err != nil {
		return 0, err
	}
	var r struct {
		Data struct {
			Track []struct{ ID int } `json:"track"`
		} `json:"data"`
		Errors []struct{ Message string } `json:"errors"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		return 0, fmt.Errorf("decode %s: %w", body, err)
	}
	if len(r.Errors) > 0 {
		return 0, fmt.Errorf("GraphQL error: %s", r.Errors[0].Message)
	}
	return len(r.Data.Track), nil
}

// userPermission is Permission track-user-select letting role user read the
// tracks with id <= maxID.
func userPermission(maxID int) string {
	return fmt.Sprintf(`apiVersion: graphql.strata.dev/v1alpha1
kind: Permission
metadata:
  name: track-user-select
spec:
  table: track
  role: user
  action: select
  columns: [id, name, album_id, genre_id, milliseconds, unit_price]
  filter:
    id: {_lte: %d}
  limit: 100
  allowAggregations: true
`, maxID)
}
