// Command operator measures the operator's metadata path and prints
// the figures (it asserts nothing):
//
//   - change latency: from a Permission or Table update sent to the API
//     server until an in-process engine (engine/app with
//     --metadata-configmap) answers with the new behaviour, p50/p95 over
//     -changes changes of each kind;
//   - scale: publish time and operator memory with -tables Tables (and as
//     many Permissions) on one engine.
//
// It starts a real API server (envtest), the operator's manager in-process
// and a PostgreSQL database from internal/testdb loaded with hack/demo.sql:
//
//	KUBEBUILDER_ASSETS=$PWD/bin/k8s/1.37.2 go run ./test/bench/operator
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/stratagql/strata/api/v1alpha1"
	"github.com/stratagql/strata/engine/app"
	"github.com/stratagql/strata/engine/config"
	"github.com/stratagql/strata/engine/metastore/cmformat"
	"github.com/stratagql/strata/internal/enginereport"
	"github.com/stratagql/strata/internal/operator"
	"github.com/stratagql/strata/internal/testdb"
)

func main() {
	changes := flag.Int("changes", 50, "changes of each kind (Permission, Table) timed end to end")
	tables := flag.Int("tables", 5000, "Tables (and Permissions) of the scale run; 0 skips it")
	flag.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the scale run's single changes to this file")
	flag.Parse()
	if err := run(*changes, *tables); err != nil {
		fmt.Fprintln(os.Stderr, "bench operator:", err)
		os.Exit(1)
	}
}

// cpuProfile is the -cpuprofile flag.
var cpuProfile string

// bench holds what both runs share.
type bench struct {
	env *envtest.Environment
	k8s client.Client
	db  string
}

func run(changes, tables int) error {
	logf.SetLogger(logr.Discard())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	root, err := repoRoot()
	if err != nil {
		return err
	}
	b := &bench{}
	url, drop, err := testdb.Create(ctx, "bench_operator")
	if err != nil {
		return err
	}
	defer drop()
	demo, err := os.ReadFile(filepath.Join(root, "hack", "demo.sql"))
	if err != nil {
		return err
	}
	if err := testdb.Exec(ctx, url, string(demo)); err != nil {
		return err
	}
	b.db = url

	b.env = &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := b.env.Start()
	if err != nil {
		return fmt.Errorf("start envtest (set KUBEBUILDER_ASSETS): %w", err)
	}
	defer func() { _ = b.env.Stop() }()
	// As ctrl.GetConfig does for `strata operator`: no client-side rate
	// limit (the API server's priority and fairness applies).
	cfg.QPS = -1
	scheme, err := operator.NewScheme()
	if err != nil {
		return err
	}
	if b.k8s, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		return err
	}

	runtime.GC()
	base := heap()
	mgr, err := operator.NewManager(cfg, operator.Options{MetricsAddr: "0", ProbeAddr: "0"})
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	mgrCtx, stopMgr := context.WithCancel(ctx)
	defer stopMgr()
	wg.Go(func() {
		if err := mgr.Start(mgrCtx); err != nil {
			fmt.Fprintln(os.Stderr, "manager:", err)
		}
	})
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		return errors.New("cache did not sync")
	}

	fmt.Printf("bench operator: %d CPUs, %s\n", runtime.NumCPU(), runtime.Version())
	if changes > 0 {
		if err := b.latency(ctx, changes); err != nil {
			return err
		}
	}
	if tables > 0 {
		if err := b.scale(ctx, tables, base); err != nil {
			return err
		}
	}
	return nil
}

// repoRoot finds the module root from the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run from inside the repository")
		}
		dir = parent
	}
}

// newEngine creates a namespace, a Secret and a GraphQLEngine "demo".
func (b *bench) newEngine(ctx context.Context) (string, error) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "bench-"}}
	if err := b.k8s.Create(ctx, ns); err != nil {
		return "", err
	}
	if err := b.k8s.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "db"},
		StringData: map[string]string{"url": b.db}}); err != nil {
		return "", err
	}
	return ns.Name, b.k8s.Create(ctx, &v1alpha1.GraphQLEngine{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "demo"},
		Spec:       v1alpha1.GraphQLEngineSpec{DatabaseURLSecretRef: v1alpha1.SecretKeySelector{Name: "db", Key: "url"}},
	})
}

// waitFor polls cond every 2 ms until it holds or the timeout passes.
func waitFor(ctx context.Context, timeout time.Duration, what string, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out waiting for %s", what)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
	return nil
}

// startEngine runs an engine in-process as the engine's ServiceAccount and
// returns its URL and a function stopping it.
func (b *bench) startEngine(ctx context.Context, ns string) (string, func(), error) {
	if err := waitFor(ctx, time.Minute, "the engine's RoleBinding", func() bool {
		return b.k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: "demo"}, &rbacv1.RoleBinding{}) == nil
	}); err != nil {
		return "", nil, err
	}
	user, err := b.env.AddUser(envtest.User{Name: "system:serviceaccount:" + ns + ":demo",
		Groups: []string{"system:serviceaccounts", "system:authenticated"}}, nil)
	if err != nil {
		return "", nil, err
	}
	kc, err := user.KubeConfig()
	if err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp("", "bench-operator")
	if err != nil {
		return "", nil, err
	}
	path := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(path, kc, 0o600); err != nil {
		return "", nil, err
	}
	os.Setenv("KUBECONFIG", path)
	cfg, err := config.Parse([]string{"--database-url", b.db, "--metadata-configmap", ns + "/demo-metadata",
		"--graceful-shutdown-timeout", "1"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		return "", nil, err
	}
	eng, err := app.New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), app.WithBackground(enginereport.Run))
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		eng.Close()
		return "", nil, err
	}
	engCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = eng.Serve(engCtx, ln) }()
	return "http://" + ln.Addr().String(), func() { stop(); <-done; os.RemoveAll(dir) }, nil
}

// query posts a GraphQL query as role and returns the raw response.
func query(ctx context.Context, base, role, q string) string {
	body, _ := json.Marshal(map[string]string{"query": q})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if role != "" {
		req.Header.Set("X-Hasura-Role", role)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return string(out)
}

// update re-reads, changes and updates obj, retrying on conflicts.
func update[T client.Object](ctx context.Context, c client.Client, obj T, key types.NamespacedName, change func(T)) error {
	for {
		if err := c.Get(ctx, key, obj); err != nil {
			return err
		}
		change(obj)
		err := c.Update(ctx, obj)
		if err == nil || !strings.Contains(err.Error(), "the object has been modified") {
			return err
		}
	}
}

// latency times Permission and Table changes end to end.
func (b *bench) latency(ctx context.Context, n int) error {
	ns, err := b.newEngine(ctx)
	if err != nil {
		return err
	}
	if err := b.k8s.Create(ctx, &v1alpha1.Table{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "album"},
		Spec: v1alpha1.TableSpec{EngineRef: v1alpha1.EngineReference{Name: "demo"}, Name: "album"}}); err != nil {
		return err
	}
	filter := func(artist int) *apiextensionsv1.JSON {
		return &apiextensionsv1.JSON{Raw: []byte(`{"artist_id":{"_eq":` + strconv.Itoa(artist) + `}}`)}
	}
	if err := b.k8s.Create(ctx, &v1alpha1.Permission{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "album-user-select"},
		Spec: v1alpha1.PermissionSpec{Table: "album", Role: "user", Action: v1alpha1.ActionSelect,
			Columns: []string{"id", "title"}, Filter: filter(4)}}); err != nil {
		return err
	}
	base, stop, err := b.startEngine(ctx, ns)
	if err != nil {
		return err
	}
	defer stop()
	const albums = `{ album(order_by: {id: asc}) { title } }`
	byArtist := map[int]string{1: "Kind of Blue", 4: "OK Computer"}
	if err := waitFor(ctx, time.Minute, "the engine to serve the Permission", func() bool {
		return strings.Contains(query(ctx, base, "user", albums), byArtist[4])
	}); err != nil {
		return err
	}

	var permLat, tableLat []time.Duration
	for i := range n {
		artist := []int{1, 4}[i%2]
		start := time.Now()
		if err := update(ctx, b.k8s, &v1alpha1.Permission{}, types.NamespacedName{Namespace: ns, Name: "album-user-select"},
			func(p *v1alpha1.Permission) { p.Spec.Filter = filter(artist) }); err != nil {
			return err
		}
		if err := waitFor(ctx, time.Minute, "the Permission change", func() bool {
			return strings.Contains(query(ctx, base, "user", albums), byArtist[artist])
		}); err != nil {
			return err
		}
		permLat = append(permLat, time.Since(start))
	}
	for i := range n {
		name := fmt.Sprintf("albums_%d", i)
		start := time.Now()
		if err := update(ctx, b.k8s, &v1alpha1.Table{}, types.NamespacedName{Namespace: ns, Name: "album"},
			func(t *v1alpha1.Table) {
				t.Spec.CustomRootFields = &v1alpha1.CustomRootFields{Select: v1alpha1.GraphQLName(name)}
			}); err != nil {
			return err
		}
		if err := waitFor(ctx, time.Minute, "the Table change", func() bool {
			return strings.Contains(query(ctx, base, "", `{ `+name+`(limit: 1) { id } }`), `"data"`)
		}); err != nil {
			return err
		}
		tableLat = append(tableLat, time.Since(start))
	}
	fmt.Printf("change -> engine answers (update sent to the API server until /v1/graphql shows it), %d changes each:\n", n)
	fmt.Printf("  Permission filter: %s\n", summary(permLat))
	fmt.Printf("  Table root field:  %s\n", summary(tableLat))
	return nil
}

// scale creates n Tables and n Permissions on one engine and reports the
// publish times and the operator's memory.
func (b *bench) scale(ctx context.Context, n int, base runtime.MemStats) error {
	ns, err := b.newEngine(ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	var next atomic.Int64
	errs := make(chan error, 16)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				t, p := bigTable(ns, i, n)
				if err := b.k8s.Create(ctx, t); err != nil {
					errs <- err
					return
				}
				if err := b.k8s.Create(ctx, p); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	created := time.Since(start)
	lastCreated := time.Now()
	cm := &corev1.ConfigMap{}
	key := types.NamespacedName{Namespace: ns, Name: "demo-metadata"}
	var tablesInCM int
	if err := waitFor(ctx, 10*time.Minute, "all Tables published", func() bool {
		if b.k8s.Get(ctx, key, cm) != nil {
			return false
		}
		tablesInCM = publishedTables(ctx, b.k8s, cm)
		return tablesInCM == n
	}); err != nil {
		return err
	}
	published := time.Since(lastCreated)
	if err := waitFor(ctx, 10*time.Minute, "every object Ready", func() bool {
		return b.readyCount(ctx, ns) == 2*n
	}); err != nil {
		return err
	}
	allReady := time.Since(lastCreated)
	docBytes, parts := cmSize(ctx, b.k8s, cm)

	// One change at this scale: update a Table until the published hash moves.
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var changes []time.Duration
	for i := range 10 {
		before := cm.Annotations[cmformat.AnnotationSHA256]
		start := time.Now()
		if err := update(ctx, b.k8s, &v1alpha1.Table{}, types.NamespacedName{Namespace: ns, Name: "t00000"},
			func(t *v1alpha1.Table) { t.Spec.CustomName = fmt.Sprintf("Renamed%d", i) }); err != nil {
			return err
		}
		if err := waitFor(ctx, time.Minute, "the change published", func() bool {
			return b.k8s.Get(ctx, key, cm) == nil && cm.Annotations[cmformat.AnnotationSHA256] != before
		}); err != nil {
			return err
		}
		changes = append(changes, time.Since(start))
	}

	runtime.GC()
	after := heap()
	fmt.Printf("scale: %d Tables + %d Permissions on one engine (created in %v by 16 clients)\n", n, n, created.Round(time.Millisecond))
	fmt.Printf("  published (last object created -> ConfigMap holds all %d tables): %v\n", n, published.Round(time.Millisecond))
	fmt.Printf("  every Table and Permission Ready=True:                          %v\n", allReady.Round(time.Millisecond))
	fmt.Printf("  metadata: %d bytes JSON, %d bytes gzipped in %d ConfigMap(s)\n", docBytes, gzBytes(cm), parts)
	fmt.Printf("  one Table change -> new ConfigMap published, 10 changes: %s\n", summary(changes))
	fmt.Printf("  operator process heap after GC: %.1f MiB in use (%.1f MiB before the manager started), %.1f MiB obtained from the OS, RSS %s\n",
		mib(after.HeapInuse), mib(base.HeapInuse), mib(after.Sys), rss())
	return nil
}

// bigTable returns Table i of n (with relationships and column comments)
// and a select Permission on it.
func bigTable(ns string, i, n int) (*v1alpha1.Table, *v1alpha1.Permission) {
	name := fmt.Sprintf("t%05d", i)
	t := &v1alpha1.Table{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.TableSpec{EngineRef: v1alpha1.EngineReference{Name: "demo"}, Name: fmt.Sprintf("table_%05d", i),
			ColumnConfig: map[string]v1alpha1.ColumnConfig{
				"id":         {Comment: fmt.Sprintf("identifier of a row of table %d (%x)", i, i*2654435761)},
				"created_at": {CustomName: "createdAt"},
			},
			ObjectRelationships: []v1alpha1.ObjectRelationship{{Name: "parent",
				ForeignKeyConstraintOn: &v1alpha1.ForeignKeyConstraintOn{Column: "parent_id"}}},
			ArrayRelationships: []v1alpha1.ArrayRelationship{{Name: "children",
				ForeignKeyConstraintOn: &v1alpha1.ForeignKeyConstraintOn{Column: "parent_id",
					Table: &v1alpha1.QualifiedName{Schema: "public", Name: fmt.Sprintf("table_%05d", (i+1)%n)}}}},
		}}
	p := &v1alpha1.Permission{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "p-" + name},
		Spec: v1alpha1.PermissionSpec{Table: name, Role: "user", Action: v1alpha1.ActionSelect,
			Columns: []string{"id", "name", "created_at"},
			Filter:  &apiextensionsv1.JSON{Raw: []byte(`{"owner_id":{"_eq":"X-Hasura-User-Id"}}`)}}}
	return t, p
}

// readyCount counts the Tables and Permissions of ns with Ready=True.
func (b *bench) readyCount(ctx context.Context, ns string) int {
	var tl v1alpha1.TableList
	var pl v1alpha1.PermissionList
	if b.k8s.List(ctx, &tl, client.InNamespace(ns)) != nil || b.k8s.List(ctx, &pl, client.InNamespace(ns)) != nil {
		return 0
	}
	n := 0
	isReady := func(c []metav1.Condition) bool {
		for _, x := range c {
			if x.Type == v1alpha1.ConditionReady && x.Status == metav1.ConditionTrue {
				return true
			}
		}
		return false
	}
	for _, t := range tl.Items {
		if isReady(t.Status.Conditions) {
			n++
		}
	}
	for _, p := range pl.Items {
		if isReady(p.Status.Conditions) {
			n++
		}
	}
	return n
}

// chunks reads the published chunks of the main ConfigMap cm.
func chunks(ctx context.Context, c client.Client, cm *corev1.ConfigMap) [][]byte {
	out := [][]byte{cm.BinaryData[cmformat.DataKey]}
	for _, name := range cmformat.PartNames(cm.Annotations[cmformat.AnnotationParts]) {
		part := &corev1.ConfigMap{}
		if c.Get(ctx, types.NamespacedName{Namespace: cm.Namespace, Name: name}, part) != nil {
			return nil
		}
		out = append(out, part.BinaryData[cmformat.DataKey])
	}
	return out
}

// publishedTables counts the tables of the published metadata.
func publishedTables(ctx context.Context, c client.Client, cm *corev1.ConfigMap) int {
	doc, err := cmformat.DecodeChunks(chunks(ctx, c, cm), cm.Annotations[cmformat.AnnotationSHA256])
	if err != nil {
		return -1
	}
	var md struct {
		Sources []struct {
			Tables []json.RawMessage `json:"tables"`
		} `json:"sources"`
	}
	if json.Unmarshal(doc, &md) != nil || len(md.Sources) == 0 {
		return -1
	}
	return len(md.Sources[0].Tables)
}

// cmSize returns the size of the published document and its ConfigMap count.
func cmSize(ctx context.Context, c client.Client, cm *corev1.ConfigMap) (int, int) {
	ch := chunks(ctx, c, cm)
	doc, _ := cmformat.DecodeChunks(ch, cm.Annotations[cmformat.AnnotationSHA256])
	return len(doc), len(ch)
}

func gzBytes(cm *corev1.ConfigMap) int { return len(cm.BinaryData[cmformat.DataKey]) }

// summary renders p50, p95 and max of ds.
func summary(ds []time.Duration) string {
	s := slices.Clone(ds)
	slices.Sort(s)
	pct := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))] }
	return fmt.Sprintf("p50 %v  p95 %v  max %v", pct(0.50).Round(time.Millisecond), pct(0.95).Round(time.Millisecond), s[len(s)-1].Round(time.Millisecond))
}

func heap() runtime.MemStats {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// rss returns the process's resident set size from /proc, if available.
func rss() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "n/a"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "n/a"
}
