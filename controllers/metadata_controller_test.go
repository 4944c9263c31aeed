package controllers_test

import (
	"fmt"
	"math/rand/v2"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/stratagql/strata/api/v1alpha1"
	"github.com/stratagql/strata/controllers"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/metastore/cmformat"
	"github.com/stratagql/strata/internal/enginereport"
)

func createTable(ns, name, table string, mutate func(*v1alpha1.Table)) *v1alpha1.Table {
	t := &v1alpha1.Table{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       v1alpha1.TableSpec{EngineRef: v1alpha1.EngineReference{Name: "demo"}, Name: table},
	}
	if mutate != nil {
		mutate(t)
	}
	Expect(k8s.Create(ctx, t)).To(Succeed())
	return t
}

func createPermission(ns, name, table, role string, action v1alpha1.PermissionAction, mutate func(*v1alpha1.Permission)) *v1alpha1.Permission {
	p := &v1alpha1.Permission{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       v1alpha1.PermissionSpec{Table: table, Role: role, Action: action, Columns: []string{"*"}},
	}
	if mutate != nil {
		mutate(p)
	}
	Expect(k8s.Create(ctx, p)).To(Succeed())
	return p
}

// ready returns a function for Eventually reading obj's Ready condition, or
// nil when absent or computed from an older generation.
func ready(obj client.Object, ns, name string) func() *metav1.Condition {
	return func() *metav1.Condition {
		if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, obj); err != nil {
			return nil
		}
		var conds []metav1.Condition
		var observed int64
		switch o := obj.(type) {
		case *v1alpha1.Table:
			conds, observed = o.Status.Conditions, o.Status.ObservedGeneration
		case *v1alpha1.Permission:
			conds, observed = o.Status.Conditions, o.Status.ObservedGeneration
		}
		c := meta.FindStatusCondition(conds, v1alpha1.ConditionReady)
		if c == nil || c.ObservedGeneration != obj.GetGeneration() || observed != obj.GetGeneration() {
			return nil
		}
		return c
	}
}

// published reads the metadata published for the named engine, as the
// engine does: the main ConfigMap, its parts, the hash check.
func published(ns, engine string) (*metadata.Metadata, string, error) {
	main := &corev1.ConfigMap{}
	if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: controllers.MetadataConfigMapName(engine)}, main); err != nil {
		return nil, "", err
	}
	sum := main.Annotations[cmformat.AnnotationSHA256]
	chunks := [][]byte{main.BinaryData[cmformat.DataKey]}
	for _, name := range cmformat.PartNames(main.Annotations[cmformat.AnnotationParts]) {
		part := &corev1.ConfigMap{}
		if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, part); err != nil {
			return nil, "", err
		}
		if part.Annotations[cmformat.AnnotationSHA256] != sum {
			return nil, "", fmt.Errorf("part %s is from another version", name)
		}
		chunks = append(chunks, part.BinaryData[cmformat.DataKey])
	}
	doc, err := cmformat.DecodeChunks(chunks, sum)
	if err != nil {
		return nil, "", err
	}
	md, err := metadata.Parse(doc)
	return md, sum, err
}

// publishedTables returns the names of the tables published for the engine.
func publishedTables(ns, engine string) func() []string {
	return func() []string {
		md, _, err := published(ns, engine)
		if err != nil {
			return nil
		}
		var out []string
		for _, t := range md.Source(metadata.DefaultSource).Tables {
			out = append(out, t.Table.Name)
		}
		return out
	}
}

func getEngine(ns, name string) *v1alpha1.GraphQLEngine {
	e := &v1alpha1.GraphQLEngine{}
	Expect(k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, e)).To(Succeed())
	return e
}

// events returns a function for Eventually listing the namespace's Events.
func events(ns string) func() []eventsv1.Event {
	return func() []eventsv1.Event {
		var list eventsv1.EventList
		_ = k8s.List(ctx, &list, client.InNamespace(ns))
		return list.Items
	}
}

// reportAsEngine applies a status report the way the engine pods do.
func reportAsEngine(ns, engine, version string, inc ...metadata.Inconsistency) {
	report := enginereport.StatusOf(version, inc)
	status, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&report)
	Expect(err).NotTo(HaveOccurred())
	u := &unstructured.Unstructured{Object: map[string]any{"status": status}}
	u.SetGroupVersionKind(v1alpha1.GroupVersion.WithKind("GraphQLEngine"))
	u.SetNamespace(ns)
	u.SetName(engine)
	Expect(k8s.Status().Apply(ctx, client.ApplyConfigurationFromUnstructured(u),
		client.FieldOwner(enginereport.FieldManager), client.ForceOwnership)).To(Succeed())
}

var _ = Describe("GraphQLEngine metadata", func() {
	var ns string
	BeforeEach(func() {
		ns = newNamespace()
		createSecret(ns, "db")
	})

	It("publishes the metadata of the engine's Tables and Permissions and reports them Ready", func() {
		createEngine(ns, "demo", func(e *v1alpha1.GraphQLEngine) {
			e.Spec.InheritedRoles = []v1alpha1.InheritedRole{{RoleName: "staff", RoleSet: []string{"user"}}}
		})
		createTable(ns, "album", "album", func(t *v1alpha1.Table) {
			t.Spec.ObjectRelationships = []v1alpha1.ObjectRelationship{{Name: "artist",
				ForeignKeyConstraintOn: &v1alpha1.ForeignKeyConstraintOn{Column: "artist_id"}}}
		})
		createTable(ns, "artist", "artist", nil)
		createPermission(ns, "album-user-select", "album", "user", v1alpha1.ActionSelect, func(p *v1alpha1.Permission) {
			p.Spec.Filter = jsonObj(`{"released": {"_is_null": false}}`)
		})

		Eventually(publishedTables(ns, "demo")).Should(Equal([]string{"album", "artist"}))
		for _, name := range []string{"album", "artist"} {
			Eventually(ready(&v1alpha1.Table{}, ns, name)).Should(haveReason(metav1.ConditionTrue, v1alpha1.ReasonPublished), name)
		}
		Eventually(ready(&v1alpha1.Permission{}, ns, "album-user-select")).Should(haveReason(metav1.ConditionTrue, v1alpha1.ReasonPublished))

		md, hash, err := published(ns, "demo")
		Expect(err).NotTo(HaveOccurred())
		album := md.Source("default").Table(metadata.QualifiedTable{Schema: "public", Name: "album"})
		Expect(album.ObjectRelationships).To(ConsistOf(HaveField("Name", "artist")))
		Expect(album.SelectPermissions).To(ConsistOf(HaveField("Role", "user")))
		Expect(string(album.SelectPermissions[0].Permission.Filter)).To(MatchJSON(`{"released": {"_is_null": false}}`))
		Expect(md.InheritedRoles).To(ConsistOf(metadata.InheritedRole{RoleName: "staff", RoleSet: []string{"user"}}))

		eng := getEngine(ns, "demo")
		Eventually(func() string { return getEngine(ns, "demo").Status.MetadataVersion }).Should(Equal(hash))
		Expect(engineCondition(ns, "demo", v1alpha1.ConditionMetadataConsistent)()).To(
			haveReason(metav1.ConditionUnknown, v1alpha1.ReasonWaitingForEngine))
		cm := &corev1.ConfigMap{}
		Expect(fetch(cm, ns, "demo-metadata")()).To(Succeed())
		Expect(metav1.IsControlledBy(cm, eng)).To(BeTrue())
		Expect(cm.ManagedFields).To(ContainElement(HaveField("Manager", controllers.MetadataFieldManager)))
		Expect(eng.ManagedFields).To(ContainElement(And(
			HaveField("Manager", controllers.MetadataFieldManager), HaveField("Subresource", "status"))))
		// Later versions' Events may be folded into the first one's series
		// by the events API, so only the first is certain.
		Eventually(events(ns)).Should(ContainElement(And(
			HaveField("Reason", v1alpha1.ReasonMetadataPublished),
			HaveField("Regarding.Name", "demo"),
			HaveField("Note", MatchRegexp(`^published metadata version [0-9a-f]{12} \(\d+ tables, \d+ permissions, 0 rejected objects, \d+ bytes in 1 ConfigMaps\)$`)))))

		By("changing a Table")
		update(&v1alpha1.Table{}, ns, "artist", func(t *v1alpha1.Table) {
			t.Spec.ArrayRelationships = []v1alpha1.ArrayRelationship{{Name: "albums", ForeignKeyConstraintOn: &v1alpha1.ForeignKeyConstraintOn{
				Column: "artist_id", Table: &v1alpha1.QualifiedName{Schema: "public", Name: "album"}}}}
		})
		Eventually(func() int {
			md, _, _ := published(ns, "demo")
			if md == nil {
				return 0
			}
			return len(md.Source("default").Table(metadata.QualifiedTable{Schema: "public", Name: "artist"}).ArrayRelationships)
		}).Should(Equal(1))
		Eventually(ready(&v1alpha1.Table{}, ns, "artist")).Should(HaveField("ObservedGeneration", BeEquivalentTo(2)))
		Eventually(func() string { return getEngine(ns, "demo").Status.MetadataVersion }).ShouldNot(Equal(hash))

		By("deleting a Permission")
		Expect(k8s.Delete(ctx, &v1alpha1.Permission{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "album-user-select"}})).To(Succeed())
		Eventually(func() int {
			md, _, _ := published(ns, "demo")
			if md == nil {
				return -1
			}
			return len(md.Source("default").Table(metadata.QualifiedTable{Schema: "public", Name: "album"}).SelectPermissions)
		}).Should(Equal(0))
	})

	It("does not write anything when nothing changed", func() {
		createEngine(ns, "demo", nil)
		createTable(ns, "album", "album", nil)
		createPermission(ns, "p", "album", "user", v1alpha1.ActionSelect, nil)
		Eventually(ready(&v1alpha1.Permission{}, ns, "p")).Should(haveReason(metav1.ConditionTrue, v1alpha1.ReasonPublished))
		Eventually(ready(&v1alpha1.Table{}, ns, "album")).Should(haveReason(metav1.ConditionTrue, v1alpha1.ReasonPublished))
		Eventually(engineCondition(ns, "demo", v1alpha1.ConditionMetadataConsistent)).ShouldNot(BeNil())

		cm, table, perm := &corev1.ConfigMap{}, &v1alpha1.Table{}, &v1alpha1.Permission{}
		Expect(fetch(cm, ns, "demo-metadata")()).To(Succeed())
		Expect(fetch(table, ns, "album")()).To(Succeed())
		Expect(fetch(perm, ns, "p")()).To(Succeed())

		By("making the controller reconcile the engine (a spec change that is not metadata)")
		eng := &v1alpha1.GraphQLEngine{}
		update(eng, ns, "demo", func(e *v1alpha1.GraphQLEngine) { e.Spec.Replicas = ptr.To[int32](2) })
		// The MetadataConsistent condition is stamped with the generation
		// the metadata controller reconciled.
		Eventually(engineCondition(ns, "demo", v1alpha1.ConditionMetadataConsistent)).Should(
			HaveField("ObservedGeneration", eng.Generation))

		Consistently(func() []string {
			now, t, p := &corev1.ConfigMap{}, &v1alpha1.Table{}, &v1alpha1.Permission{}
			_ = fetch(now, ns, "demo-metadata")()
			_ = fetch(t, ns, "album")()
			_ = fetch(p, ns, "p")()
			return []string{now.ResourceVersion, t.ResourceVersion, p.ResourceVersion}
		}, "2s").Should(Equal([]string{cm.ResourceVersion, table.ResourceVersion, perm.ResourceVersion}))
	})

	It("rejects the later of two Permissions for the same table, role and action", func() {
		createEngine(ns, "demo", nil)
		createTable(ns, "track", "track", nil)
		createPermission(ns, "first", "track", "user", v1alpha1.ActionSelect, func(p *v1alpha1.Permission) {
			p.Spec.Limit = ptr.To[int32](10)
		})
		Eventually(ready(&v1alpha1.Permission{}, ns, "first")).Should(haveReason(metav1.ConditionTrue, v1alpha1.ReasonPublished))
		createPermission(ns, "second", "track", "user", v1alpha1.ActionSelect, func(p *v1alpha1.Permission) {
			p.Spec.Limit = ptr.To[int32](20)
		})
		Eventually(ready(&v1alpha1.Permission{}, ns, "second")).Should(And(
			haveReason(metav1.ConditionFalse, v1alpha1.ReasonConflict),
			HaveField("Message", ContainSubstring("Permission first, created earlier, already grants role user select on Table track"))))
		Consistently(ready(&v1alpha1.Permission{}, ns, "first"), "1s").Should(haveReason(metav1.ConditionTrue, v1alpha1.ReasonPublished))
		limit := func() int {
			md, _, err := published(ns, "demo")
			if err != nil {
				return 0
			}
			perms := md.Source("default").Table(metadata.QualifiedTable{Schema: "public", Name: "track"}).SelectPermissions
			if len(perms) != 1 {
				return -len(perms)
			}
			return *perms[0].Permission.Limit
		}
		Expect(limit()).To(Equal(10), "the earlier Permission keeps serving")
		Eventually(events(ns)).Should(ContainElement(And(
			HaveField("Reason", v1alpha1.ReasonConflict), HaveField("Type", corev1.EventTypeWarning),
			HaveField("Regarding.Name", "second"))))
		Eventually(engineCondition(ns, "demo", v1alpha1.ConditionMetadataConsistent)).Should(
			haveReason(metav1.ConditionFalse, v1alpha1.ReasonObjectsRejected))
		Expect(getEngine(ns, "demo").Status.InconsistentObjects).To(ConsistOf(
			HavePrefix("Permission second: Conflict: Permission first, created earlier")))

		By("deleting the earlier one")
		Expect(k8s.Delete(ctx, &v1alpha1.Permission{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "first"}})).To(Succeed())
		Eventually(ready(&v1alpha1.Permission{}, ns, "second")).Should(haveReason(metav1.ConditionTrue, v1alpha1.ReasonPublished))
		Eventually(limit).Should(Equal(20))
		Eventually(func() []string { return getEngine(ns, "demo").Status.InconsistentObjects }).Should(BeEmpty())
	})

	It("reports Tables whose engine and Permissions whose Table does not exist", func() {
		createTable(ns, "album", "album", func(t *v1alpha1.Table) { t.Spec.EngineRef.Name = "ghost" })
		createPermission(ns, "p", "album", "user", v1alpha1.ActionSelect, nil)
		createPermission(ns, "orphan", "nope", "user", v1alpha1.ActionSelect, nil)
		Eventually(ready(&v1alpha1.Table{}, ns, "album")).Should(And(
			haveReason(metav1.ConditionFalse, v1alpha1.ReasonEngineNotFound),
			HaveField("Message", "GraphQLEngine ghost does not exist in namespace "+ns)))
		Eventually(ready(&v1alpha1.Permission{}, ns, "p")).Should(haveReason(metav1.ConditionFalse, v1alpha1.ReasonEngineNotFound))
		Eventually(ready(&v1alpha1.Permission{}, ns, "orphan")).Should(And(
			haveReason(metav1.ConditionFalse, v1alpha1.ReasonTableNotFound),
			HaveField("Message", "Table nope does not exist in namespace "+ns)))
		Eventually(events(ns)).Should(ContainElement(And(
			HaveField("Reason", v1alpha1.ReasonTableNotFound), HaveField("Regarding.Name", "orphan"))))

		By("creating the missing engine and Table")
		createEngine(ns, "ghost", nil)
		createTable(ns, "nope", "nope", func(t *v1alpha1.Table) { t.Spec.EngineRef.Name = "ghost" })
		Eventually(ready(&v1alpha1.Table{}, ns, "album")).Should(haveReason(metav1.ConditionTrue, v1alpha1.ReasonPublished))
		Eventually(ready(&v1alpha1.Permission{}, ns, "p")).Should(haveReason(metav1.ConditionTrue, v1alpha1.ReasonPublished))
		Eventually(ready(&v1alpha1.Permission{}, ns, "orphan")).Should(haveReason(metav1.ConditionTrue, v1alpha1.ReasonPublished))
		Eventually(publishedTables(ns, "ghost")).Should(Equal([]string{"album", "nope"}))

		By("deleting the Table again")
		Expect(k8s.Delete(ctx, &v1alpha1.Table{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "nope"}})).To(Succeed())
		Eventually(ready(&v1alpha1.Permission{}, ns, "orphan")).Should(haveReason(metav1.ConditionFalse, v1alpha1.ReasonTableNotFound))
		Eventually(publishedTables(ns, "ghost")).Should(Equal([]string{"album"}))
	})

	It("splits large metadata across ConfigMaps, and removes parts no longer needed", func() {
		eng := createEngine(ns, "demo", nil)
		rng := rand.New(rand.NewPCG(3, 4))
		word := func() string { return fmt.Sprintf("%x", rng.Uint64()) }
		for i := range 40 {
			createTable(ns, fmt.Sprintf("t%02d", i), fmt.Sprintf("table_%02d", i), func(t *v1alpha1.Table) {
				// Random comments compress badly: about 40 x 0.6 KiB gzipped.
				t.Spec.ColumnConfig = map[string]v1alpha1.ColumnConfig{}
				for c := range 4 {
					words := make([]string, 16)
					for w := range words {
						words[w] = word()
					}
					t.Spec.ColumnConfig[fmt.Sprintf("c%d", c)] = v1alpha1.ColumnConfig{Comment: strings.Join(words, " ")}
				}
			})
		}
		Eventually(func() int { return len(publishedTables(ns, "demo")()) }).Should(Equal(40))
		main := &corev1.ConfigMap{}
		Expect(fetch(main, ns, "demo-metadata")()).To(Succeed())
		parts := cmformat.PartNames(main.Annotations[cmformat.AnnotationParts])
		Expect(parts).NotTo(BeEmpty(), "the metadata should span several ConfigMaps")
		for i, name := range parts {
			Expect(name).To(Equal(controllers.MetadataConfigMapPartName("demo", i+1)))
			part := &corev1.ConfigMap{}
			Expect(fetch(part, ns, name)()).To(Succeed())
			Expect(metav1.IsControlledBy(part, eng)).To(BeTrue())
			Expect(len(part.BinaryData[cmformat.DataKey])).To(BeNumerically("<=", metadataPartBytes))
			Expect(part.Annotations).To(HaveKeyWithValue(cmformat.AnnotationSHA256, main.Annotations[cmformat.AnnotationSHA256]))
		}
		// The engine may read every part.
		role := &rbacv1.Role{}
		Expect(fetch(role, ns, "demo")()).To(Succeed())
		Expect(role.Rules[0].ResourceNames).To(ContainElements(append(parts, "demo-metadata")))

		By("deleting most Tables")
		for i := range 38 {
			Expect(k8s.Delete(ctx, &v1alpha1.Table{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("t%02d", i)}})).To(Succeed())
		}
		Eventually(publishedTables(ns, "demo")).Should(Equal([]string{"table_38", "table_39"}))
		Expect(fetch(main, ns, "demo-metadata")()).To(Succeed())
		Expect(main.Annotations[cmformat.AnnotationParts]).To(BeEmpty())
		Eventually(fetch(&corev1.ConfigMap{}, ns, parts[len(parts)-1])).Should(Satisfy(apierrors.IsNotFound))
	})

	It("repairs an edited metadata ConfigMap", func() {
		createEngine(ns, "demo", nil)
		createTable(ns, "album", "album", nil)
		Eventually(publishedTables(ns, "demo")).Should(Equal([]string{"album"}))
		cm := &corev1.ConfigMap{}
		Expect(fetch(cm, ns, "demo-metadata")()).To(Succeed())
		want := cm.BinaryData[cmformat.DataKey]
		cm.BinaryData[cmformat.DataKey] = []byte("garbage")
		Expect(k8s.Update(ctx, cm)).To(Succeed())
		Eventually(func() []byte {
			_ = fetch(cm, ns, "demo-metadata")()
			return cm.BinaryData[cmformat.DataKey]
		}).Should(Equal(want))
	})

	It("turns the engine's inconsistency report into Ready=False on the objects concerned", func() {
		createEngine(ns, "demo", nil)
		createTable(ns, "album", "album", func(t *v1alpha1.Table) {
			t.Spec.ObjectRelationships = []v1alpha1.ObjectRelationship{{Name: "artist",
				ForeignKeyConstraintOn: &v1alpha1.ForeignKeyConstraintOn{Column: "nope"}}}
		})
		createTable(ns, "artist", "artist", nil)
		createPermission(ns, "p", "album", "user", v1alpha1.ActionSelect, nil)
		// The version to report is the one holding all three objects.
		Eventually(ready(&v1alpha1.Table{}, ns, "album")).Should(haveReason(metav1.ConditionTrue, v1alpha1.ReasonPublished))
		Eventually(ready(&v1alpha1.Table{}, ns, "artist")).Should(haveReason(metav1.ConditionTrue, v1alpha1.ReasonPublished))
		Eventually(ready(&v1alpha1.Permission{}, ns, "p")).Should(haveReason(metav1.ConditionTrue, v1alpha1.ReasonPublished))
		_, version, err := published(ns, "demo")
		Expect(err).NotTo(HaveOccurred())
		Expect(version).NotTo(BeEmpty())
		Eventually(func() string { return getEngine(ns, "demo").Status.MetadataVersion }).Should(Equal(version))

		By("the engine reporting an older version: ignored")
		reportAsEngine(ns, "demo", "0123", metadata.Inconsistency{Kind: "table", Table: &metadata.QualifiedTable{Schema: "public", Name: "album"}, Reason: "x"})
		Consistently(ready(&v1alpha1.Table{}, ns, "album"), "1s").Should(haveReason(metav1.ConditionTrue, v1alpha1.ReasonPublished))

		By("the engine reporting the published version with an inconsistent relationship")
		reason := `Inconsistent object: in table "album": in relationship "artist": no such column exists: "nope"`
		reportAsEngine(ns, "demo", version, metadata.Inconsistency{
			Kind: "object_relation", Table: &metadata.QualifiedTable{Schema: "public", Name: "album"}, Name: "artist", Reason: reason,
			Definition: map[string]any{"name": "artist", "table": metadata.QualifiedTable{Schema: "public", Name: "album"}},
		})
		Eventually(ready(&v1alpha1.Table{}, ns, "album")).Should(And(
			haveReason(metav1.ConditionFalse, v1alpha1.ReasonInconsistent),
			HaveField("Message", ContainSubstring(`object_relation artist: `+reason))))
		Expect(ready(&v1alpha1.Table{}, ns, "artist")()).To(haveReason(metav1.ConditionTrue, v1alpha1.ReasonPublished))
		Expect(ready(&v1alpha1.Permission{}, ns, "p")()).To(haveReason(metav1.ConditionTrue, v1alpha1.ReasonPublished))
		Eventually(engineCondition(ns, "demo", v1alpha1.ConditionMetadataConsistent)).Should(
			haveReason(metav1.ConditionFalse, v1alpha1.ReasonInconsistent))
		Expect(getEngine(ns, "demo").Status.InconsistentObjects).To(ConsistOf(HavePrefix("Table album: Inconsistent: object_relation artist")))
		Eventually(events(ns)).Should(ContainElement(And(
			HaveField("Reason", v1alpha1.ReasonInconsistent), HaveField("Regarding.Name", "album"))))

		By("the engine reporting the version consistent")
		reportAsEngine(ns, "demo", version)
		Eventually(ready(&v1alpha1.Table{}, ns, "album")).Should(haveReason(metav1.ConditionTrue, v1alpha1.ReasonPublished))
		Eventually(engineCondition(ns, "demo", v1alpha1.ConditionMetadataConsistent)).Should(
			haveReason(metav1.ConditionTrue, v1alpha1.ReasonConsistent))
		Expect(getEngine(ns, "demo").Status.InconsistentObjects).To(BeEmpty())
	})
})
