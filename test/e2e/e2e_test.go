package e2e_test

import (
	"encoding/json"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/stratagql/strata/test/localcluster/kubelet"
)

var _ = Describe("Strata on a local cluster", Ordered, func() {
	samples := func() string { return filepath.Join(root, "config", "samples") }

	It("applies the samples with kubectl; GraphQLEngine demo becomes Ready and its Service answers with the demo data", func() {
		// The CRDs were applied with kubectl by localcluster.Start, before
		// the operator started; they are established.
		kubectl("wait", "--for=condition=Established", "--timeout=10s", "crd/graphqlengines.graphql.strata.dev",
			"crd/tables.graphql.strata.dev", "crd/permissions.graphql.strata.dev")

		var readyAfter time.Duration
		missed := captureWhile([]watchCapture{
			{engineGVR, "graphqlengine-generation-lag", generationLags},
			{tableGVR, "table-generation-lag", generationLags},
			{permissionGVR, "permission-generation-lag", generationLags},
			{engineGVR, "graphqlengine-progressing", func(u *unstructured.Unstructured) bool {
				s, r, _ := condition(u, "Progressing")
				return !generationLags(u) && s == "True" && r == "RollingOut"
			}},
		}, func() {
			t0 := time.Now()
			kubectl("apply", "-k", samples())
			kubectl("wait", "--for=condition=Ready", "graphqlengine/demo", "--timeout=180s")
			readyAfter = time.Since(t0)
		})
		Expect(missed).To(BeEmpty(), "states never observed")
		report("kubectl apply of a new GraphQLEngine (with its Tables and Permission) to Ready=True: %s", readyAfter.Round(time.Millisecond))

		kubectl("wait", "--for=condition=Ready", "tables", "--all", "--timeout=60s")
		kubectl("wait", "--for=condition=Ready", "permissions", "--all", "--timeout=60s")
		for _, c := range []struct {
			gvr        schema.GroupVersionResource
			name, file string
		}{{engineGVR, "demo", "graphqlengine-ready"}, {tableGVR, "track", "table-ready"}, {permissionGVR, "track-user-select", "permission-ready"}} {
			u, err := get(c.gvr, c.name)
			Expect(err).NotTo(HaveOccurred())
			capture(c.file, u)
		}

		ep := endpoints("demo", 1)[0]
		body, err := query(ep, "", `{ artist(order_by: {id: asc}, limit: 1) { name albums(order_by: {id: asc}) { title } } }`)
		Expect(err).NotTo(HaveOccurred())
		Expect(body).To(MatchJSON(`{"data":{"artist":[{"name":"Miles Davis","albums":[{"title":"Kind of Blue"},{"title":"Bitches Brew"}]}]}}`))
		Expect(trackCount(ep)).To(Equal(12), "role user sees the tracks of released albums")
	})

	It("serves a changed Permission within 2 s without restarting the engine", func() {
		before := enginePods("demo")
		Expect(before).To(HaveLen(1))
		ep := endpoints("demo", 1)[0]

		const changes = 20
		var lat []time.Duration
		for i := range changes {
			n := i%11 + 1 // differs from the previous answer (12 at first)
			t0 := time.Now()
			_, err := apply(userPermission(n))
			Expect(err).NotTo(HaveOccurred())
			Eventually(func() (int, error) { return trackCount(ep) }).
				WithTimeout(2*time.Second).WithPolling(10*time.Millisecond).
				Should(Equal(n), "change %d: role user must see %d tracks within 2 s of kubectl apply", i, n)
			lat = append(lat, time.Since(t0))
		}
		slices.Sort(lat)
		report("reload latency, kubectl apply of a changed Permission to the new answer, over %d changes: p50 %s, p95 %s, max %s",
			changes, lat[len(lat)/2].Round(time.Millisecond), lat[len(lat)*95/100].Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond))

		after := enginePods("demo")
		Expect(after).To(HaveLen(1))
		Expect(after[0].UID).To(Equal(before[0].UID), "same pod")
		Expect(pid(after[0])).To(Equal(pid(before[0])), "same engine process")
		Expect(after[0].Status.ContainerStatuses[0].RestartCount).To(BeZero())

		// Back to the sample, for the GitOps check below.
		kubectl("apply", "-f", filepath.Join(samples(), "graphql_v1alpha1_permission_track_user_select.yaml"))
		Eventually(func() (int, error) { return trackCount(ep) }).Should(Equal(12))
	})

	It("keeps a subscription through the Service receiving across a kubectl apply of a narrowing Permission, on the same socket", func() {
		before := enginePods("demo")
		Expect(before).To(HaveLen(1))
		ep := endpoints("demo", 1)[0]
		tracks := func(names ...string) string {
			rows := make([]map[string]any, len(names))
			for i, n := range names {
				rows[i] = map[string]any{"id": i + 1, "name": n}
			}
			b, _ := json.Marshal(map[string]any{"data": map[string]any{"track": rows}})
			return string(b)
		}
		all := []string{"So What", "Freddie Freeloader", "Blue in Green", "Pharaoh's Dance", "Sinnerman", "Be My Husband",
			"Jóga", "Bachelorette", "Paranoid Android", "Karma Police", "Idioteque", "Everything in Its Right Place"}
		rename := func(name string) {
			GinkgoHelper()
			b, _ := json.Marshal(name)
			body, err := query(ep, "", `mutation { update_track_by_pk(pk_columns: {id: 2}, _set: {name: `+string(b)+`}) { id } }`)
			Expect(err).NotTo(HaveOccurred())
			Expect(body).To(MatchJSON(`{"data":{"update_track_by_pk":{"id":2}}}`))
		}

		s := subscribe(ep, map[string]string{"x-hasura-role": "user"}, `subscription { track(order_by: {id: asc}) { id name } }`)
		defer s.close()
		Expect(s.data(5*time.Second)).To(MatchJSON(tracks(all...)), "initial result: the sample's 12 tracks")

		t0 := time.Now()
		_, err := apply(userPermission(2))
		Expect(err).NotTo(HaveOccurred())
		Expect(s.data(5*time.Second)).To(MatchJSON(tracks(all[:2]...)), "the narrowed Permission applies to the open subscription")
		narrowed := time.Since(t0)

		// Still live after the reload: a committed change arrives.
		rename("Freddie Freeloader (live)")
		Expect(s.data(5 * time.Second)).To(MatchJSON(tracks(all[0], "Freddie Freeloader (live)")))
		rename(all[1])
		Expect(s.data(5 * time.Second)).To(MatchJSON(tracks(all[:2]...)))

		// Back to the sample (the GitOps check below expects it).
		kubectl("apply", "-f", filepath.Join(samples(), "graphql_v1alpha1_permission_track_user_select.yaml"))
		Expect(s.data(5*time.Second)).To(MatchJSON(tracks(all...)), "the widened Permission applies too")
		report("subscription on the Service: kubectl apply of a narrowing Permission to the narrowed result on the open socket: %s",
			narrowed.Round(time.Millisecond))

		after := enginePods("demo")
		Expect(after).To(HaveLen(1))
		Expect(after[0].UID).To(Equal(before[0].UID), "same pod")
		Expect(pid(after[0])).To(Equal(pid(before[0])), "same engine process")
	})

	It("refuses a Permission that CEL rejects, and reports one on a missing column while the last good metadata keeps serving", func() {
		_, err := apply(`apiVersion: graphql.strata.dev/v1alpha1
kind: Permission
metadata:
  name: track-user-insert
spec:
  table: track
  role: user
  action: insert
  limit: 10
`)
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(ContainSubstring("limit applies to select permissions only"))
		_, err = get(permissionGVR, "track-user-insert")
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the rejected Permission must not exist")

		ep := endpoints("demo", 1)[0]
		_, err = apply(`apiVersion: graphql.strata.dev/v1alpha1
kind: Permission
metadata:
  name: track-auditor-select
spec:
  table: track
  role: auditor
  action: select
  columns: [id, no_such_column]
`)
		Expect(err).NotTo(HaveOccurred(), "a Permission on a missing column is valid for the API server")
		var msg string
		Eventually(func(g Gomega) {
			u, err := get(permissionGVR, "track-auditor-select")
			g.Expect(err).NotTo(HaveOccurred())
			s, r, m := condition(u, "Ready")
			g.Expect(s).To(Equal("False"))
			g.Expect(generationLags(u)).To(BeFalse())
			msg = r + ": " + m
			capture("permission-not-ready", u)
		}).Should(Succeed())
		Expect(msg).To(ContainSubstring("no_such_column"))
		report("a Permission on a missing column is not Ready: %s", msg)
		Expect(trackCount(ep)).To(Equal(12), "the other permissions keep serving")
		engine, err := get(engineGVR, "demo")
		Expect(err).NotTo(HaveOccurred())
		ready, _, _ := condition(engine, "Ready")
		Expect(ready).To(Equal("True"))

		// A Table on a table PostgreSQL does not have.
		_, err = apply(`apiVersion: graphql.strata.dev/v1alpha1
kind: Table
metadata:
  name: ghost
spec:
  engineRef: {name: demo}
  schema: public
  name: no_such_table
`)
		Expect(err).NotTo(HaveOccurred())
		Eventually(func(g Gomega) {
			u, err := get(tableGVR, "ghost")
			g.Expect(err).NotTo(HaveOccurred())
			s, _, _ := condition(u, "Ready")
			g.Expect(s).To(Equal("False"))
			g.Expect(generationLags(u)).To(BeFalse())
			capture("table-not-ready", u)
		}).Should(Succeed())
		Expect(trackCount(ep)).To(Equal(12))

		kubectl("delete", "permission", "track-auditor-select")
		kubectl("delete", "table", "ghost")
		Eventually(func(g Gomega) {
			u, err := get(engineGVR, "demo")
			g.Expect(err).NotTo(HaveOccurred())
			s, _, _ := condition(u, "MetadataConsistent")
			g.Expect(s).To(Equal("True"))
		}).Should(Succeed())
	})

	It("reports a GraphQLEngine whose pods crash as not Ready", func() {
		kubectl("create", "secret", "generic", "broken-db",
			"--from-literal=url="+dbURL[:strings.LastIndex(dbURL, "/")]+"/strata_e2e_no_such_database")
		_, err := apply(`apiVersion: graphql.strata.dev/v1alpha1
kind: GraphQLEngine
metadata:
  name: broken
spec:
  databaseURLSecretRef: {name: broken-db, key: url}
`)
		Expect(err).NotTo(HaveOccurred())
		Eventually(func(g Gomega) {
			pods := enginePods("broken")
			g.Expect(pods).To(HaveLen(1))
			g.Expect(pods[0].Status.ContainerStatuses).NotTo(BeEmpty())
			g.Expect(pods[0].Status.ContainerStatuses[0].RestartCount).To(BeNumerically(">=", 1), "the engine crashes and is restarted")
			u, err := get(engineGVR, "broken")
			g.Expect(err).NotTo(HaveOccurred())
			s, _, _ := condition(u, "Ready")
			g.Expect(s).To(Equal("False"))
			g.Expect(generationLags(u)).To(BeFalse())
			capture("graphqlengine-not-ready", u)
		}).Should(Succeed())
		kubectl("delete", "graphqlengine", "broken")
		kubectl("delete", "secret", "broken-db")
	})

	It("is GitOps-stable: re-applying the same manifests writes nothing, and the operator then stays quiet", func() {
		before := resourceVersions()
		out := kubectl("apply", "-k", samples())
		Expect(strings.Count(out, "unchanged")).To(Equal(5), out)
		Expect(resourceVersions()).To(Equal(before), "re-applying the samples changed objects")
		Consistently(resourceVersions).WithTimeout(10*time.Second).WithPolling(time.Second).
			Should(Equal(before), "the operator wrote to a converged object")
		report("re-apply of the samples: %d objects (user and owned) unchanged, no writes over 10 s", len(before))
	})

	It("runs two replicas that both serve every change; a killed engine is restarted without a failed request", func() {
		kubectl("patch", "graphqlengine", "demo", "--type=merge", "-p", `{"spec":{"replicas":2}}`)
		kubectl("wait", "--for=condition=Ready", "graphqlengine/demo", "--timeout=120s")
		eps := endpoints("demo", 2)
		pods := enginePods("demo")
		Expect(pods).To(HaveLen(2))
		Expect(pid(pods[0])).NotTo(Equal(pid(pods[1])), "two engine processes")

		bothServe := func(n int) {
			GinkgoHelper()
			_, err := apply(userPermission(n))
			Expect(err).NotTo(HaveOccurred())
			for _, ep := range eps {
				Eventually(func() (int, error) { return trackCount(ep) }).WithTimeout(2*time.Second).
					WithPolling(10*time.Millisecond).Should(Equal(n), "endpoint %s", ep)
			}
		}
		bothServe(5)

		victim := pods[0]
		oldPID, err := strconv.Atoi(pid(victim))
		Expect(err).NotTo(HaveOccurred())
		reported, err := netip.ParseAddr(victim.Status.PodIP)
		Expect(err).NotTo(HaveOccurred())
		loopback, ok := kubelet.LoopbackIP(reported)
		Expect(ok).To(BeTrue(), "pod IP %s", reported)
		victimAddr := net.JoinHostPort(loopback.String(), "8080")
		Expect(eps).To(ContainElement(victimAddr))
		Expect(syscall.Kill(oldPID, syscall.SIGKILL)).To(Succeed())
		t0 := time.Now()

		// A client that retries a failed request on the Service's other
		// endpoint, until the killed engine is back and serving.
		var requests, retried, failed int
		var restarted bool
		for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline) && !restarted; {
			current, err := cluster.ServiceEndpoints(ctx, namespace, "demo", "http")
			Expect(err).NotTo(HaveOccurred())
			requests++
			ok := false
			for i := range current {
				ep := current[(requests+i)%len(current)]
				if n, err := trackCount(ep); err == nil && n == 5 {
					ok = true
					break
				}
				retried++
			}
			if !ok {
				failed++
			}
			p, err := cluster.Client.CoreV1().Pods(namespace).Get(ctx, victim.Name, metav1.GetOptions{})
			Expect(err).NotTo(HaveOccurred())
			if s := p.Status.ContainerStatuses; len(s) == 1 && s[0].RestartCount >= 1 && s[0].Ready {
				n, err := trackCount(victimAddr)
				restarted = err == nil && n == 5
			}
			time.Sleep(20 * time.Millisecond)
		}
		Expect(restarted).To(BeTrue(), "the killed engine was not restarted and serving within 90 s")
		Expect(failed).To(BeZero(), "requests that failed on every endpoint")
		report("kill -9 of one of two engines: restarted and serving again after %s; %d requests, %d retried on the other endpoint, %d failed",
			time.Since(t0).Round(time.Millisecond), requests, retried, failed)

		after := enginePods("demo")
		Expect(after).To(HaveLen(2))
		for _, p := range after {
			if p.UID == victim.UID {
				Expect(pid(p)).NotTo(Equal(strconv.Itoa(oldPID)), "a new process")
				Expect(p.Status.ContainerStatuses[0].RestartCount).To(BeNumerically("==", 1))
			}
		}
		eps = endpoints("demo", 2)
		bothServe(7)
		bothServe(3)
	})

	It("garbage-collects the Deployment, Service, ConfigMaps and RBAC when the GraphQLEngine is deleted", func() {
		pods := enginePods("demo")
		Expect(pods).NotTo(BeEmpty())
		owned := ownedObjects()
		Expect(owned).To(ContainElements("Deployment/demo", "Service/demo", "ConfigMap/demo-metadata",
			"ServiceAccount/demo", "Role/demo", "RoleBinding/demo", "PodDisruptionBudget/demo"))
		t0 := time.Now()
		kubectl("delete", "graphqlengine", "demo", "--timeout=60s")
		deleted := time.Since(t0)
		Eventually(ownedObjects).WithTimeout(60 * time.Second).Should(BeEmpty())
		collected := time.Since(t0)
		Eventually(func() []string {
			var alive []string
			for _, p := range pods {
				if n, err := strconv.Atoi(pid(p)); err == nil && syscall.Kill(n, 0) == nil {
					alive = append(alive, p.Name)
				}
			}
			return alive
		}).Should(BeEmpty(), "engine processes of deleted pods")
		Eventually(func() int { return len(enginePods("demo")) }).Should(BeZero(), "pods of the deleted engine")
		report("kubectl delete graphqlengine: returned after %s, owned objects collected after %s, pods gone after %s",
			deleted.Round(time.Millisecond), collected.Round(time.Millisecond), time.Since(t0).Round(time.Millisecond))
	})
})

// ownedKinds are the kinds the operator creates for a GraphQLEngine.
var ownedKinds = []struct {
	kind string
	gvr  schema.GroupVersionResource
}{
	{"Deployment", schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}},
	{"Service", schema.GroupVersionResource{Version: "v1", Resource: "services"}},
	{"ConfigMap", schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}},
	{"ServiceAccount", schema.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}},
	{"Role", schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "roles"}},
	{"RoleBinding", schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings"}},
	{"PodDisruptionBudget", schema.GroupVersionResource{Group: "policy", Version: "v1", Resource: "poddisruptionbudgets"}},
}

// ownedObjects lists KIND/NAME of every object owned by GraphQLEngine demo.
func ownedObjects() []string {
	GinkgoHelper()
	var out []string
	for _, k := range ownedKinds {
		list, err := dyn.Resource(k.gvr).Namespace(namespace).List(ctx, metav1.ListOptions{})
		Expect(err).NotTo(HaveOccurred())
		for _, o := range list.Items {
			for _, ref := range o.GetOwnerReferences() {
				if ref.Kind == "GraphQLEngine" && ref.Name == "demo" {
					out = append(out, k.kind+"/"+o.GetName())
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// resourceVersions maps KIND/NAME to the resourceVersion of the user's
// objects (GraphQLEngine, Tables, Permissions) and of those the operator
// owns.
func resourceVersions() map[string]string {
	GinkgoHelper()
	rv := map[string]string{}
	kinds := append([]struct {
		kind string
		gvr  schema.GroupVersionResource
	}{{"GraphQLEngine", engineGVR}, {"Table", tableGVR}, {"Permission", permissionGVR}}, ownedKinds...)
	for _, k := range kinds {
		list, err := dyn.Resource(k.gvr).Namespace(namespace).List(ctx, metav1.ListOptions{})
		Expect(err).NotTo(HaveOccurred())
		for _, o := range list.Items {
			if k.kind == "ServiceAccount" && o.GetName() == "default" || k.kind == "ConfigMap" && o.GetName() == "kube-root-ca.crt" {
				continue
			}
			rv[k.kind+"/"+o.GetName()] = o.GetResourceVersion()
		}
	}
	return rv
}
