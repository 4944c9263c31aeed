package envtest_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/stratagql/strata/api/v1alpha1"
	"github.com/stratagql/strata/controllers"
	"github.com/stratagql/strata/engine/metastore"
	"github.com/stratagql/strata/engine/metastore/cmformat"
	"github.com/stratagql/strata/engine/state"
	"github.com/stratagql/strata/internal/enginereport"
)

func fk(column string) *v1alpha1.ForeignKeyConstraintOn {
	return &v1alpha1.ForeignKeyConstraintOn{Column: v1alpha1.ColumnName(column)}
}

func createTable(ns, name string, mutate func(*v1alpha1.Table)) {
	t := &v1alpha1.Table{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       v1alpha1.TableSpec{EngineRef: v1alpha1.EngineReference{Name: "demo"}, Name: name},
	}
	if mutate != nil {
		mutate(t)
	}
	Expect(k8s.Create(ctx, t)).To(Succeed())
}

// update re-reads obj, changes it and updates it, retrying on conflicts
// (the operator writes the status meanwhile).
func update[T client.Object](obj T, ns, name string, change func(T)) {
	Eventually(func() error {
		if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, obj); err != nil {
			return err
		}
		change(obj)
		return k8s.Update(ctx, obj)
	}).Should(Succeed())
}

// readyOf returns a function for Eventually reading the Ready condition of
// a Table or Permission.
func readyOf(obj client.Object, ns, name string) func() *metav1.Condition {
	return func() *metav1.Condition {
		if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, obj); err != nil {
			return nil
		}
		var conds []metav1.Condition
		switch o := obj.(type) {
		case *v1alpha1.Table:
			conds = o.Status.Conditions
		case *v1alpha1.Permission:
			conds = o.Status.Conditions
		}
		c := meta.FindStatusCondition(conds, v1alpha1.ConditionReady)
		if c == nil || c.ObservedGeneration != obj.GetGeneration() {
			return nil
		}
		return c
	}
}

func haveReason(status metav1.ConditionStatus, reason string) OmegaMatcher {
	return And(Not(BeNil()), HaveField("Status", status), HaveField("Reason", reason))
}

func engineStatus(ns string) func() v1alpha1.GraphQLEngineStatus {
	return func() v1alpha1.GraphQLEngineStatus {
		e := &v1alpha1.GraphQLEngine{}
		_ = k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: "demo"}, e)
		return e.Status
	}
}

const albumWithArtist = `{ album(where: {id: {_eq: 1}}) { title artist { name } } }`

var _ = Describe("an engine serving the metadata the operator publishes", func() {
	It("hot-reloads Table changes without a restart, and refuses metadata API writes", func() {
		ns := newEngine()
		createTable(ns, "album", func(t *v1alpha1.Table) {
			t.Spec.ObjectRelationships = []v1alpha1.ObjectRelationship{{Name: "artist", ForeignKeyConstraintOn: fk("artist_id")}}
		})
		createTable(ns, "artist", nil)
		Eventually(readyOf(&v1alpha1.Table{}, ns, "album")).Should(haveReason(metav1.ConditionTrue, v1alpha1.ReasonPublished))
		base := startEngine(ns)

		Eventually(queryFunc(base, "", albumWithArtist)).Should(MatchJSON(`{"album":[{"title":"Kind of Blue","artist":{"name":"Miles Davis"}}]}`))
		// The engine reports what it serves (app.WithBackground(enginereport.Run)).
		Eventually(func() bool {
			st := engineStatus(ns)()
			return st.MetadataVersion != "" && st.ServedMetadataVersion == st.MetadataVersion
		}).Should(BeTrue(), "the engine reports the published version as served")
		_, err := query(base, "", `{ track { name } }`)
		Expect(err).To(MatchError(ContainSubstring("track")))

		By("tracking a new Table with a relationship to it")
		createTable(ns, "track", nil)
		update(&v1alpha1.Table{}, ns, "album", func(t *v1alpha1.Table) {
			t.Spec.ArrayRelationships = []v1alpha1.ArrayRelationship{{Name: "tracks", ForeignKeyConstraintOn: &v1alpha1.ForeignKeyConstraintOn{
				Column: "album_id", Table: &v1alpha1.QualifiedName{Schema: "public", Name: "track"}}}}
		})
		Eventually(queryFunc(base, "", `{ album(where: {id: {_eq: 1}}) { tracks(order_by: {id: asc}, limit: 1) { name } } }`)).
			Should(MatchJSON(`{"album":[{"tracks":[{"name":"So What"}]}]}`))

		By("writing through the metadata API")
		resp, err := http.Post(base+"/v1/metadata", "application/json",
			strings.NewReader(`{"type": "pg_track_table", "args": {"source": "default", "table": "genre"}}`))
		Expect(err).NotTo(HaveOccurred())
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusBadRequest))
		Expect(string(body)).To(ContainSubstring("metadata is managed by Kubernetes resources"))
		_, err = query(base, "", `{ genre { name } }`)
		Expect(err).To(HaveOccurred())
	})

	It("serves a changed Permission", func() {
		ns := newEngine()
		createTable(ns, "album", nil)
		Expect(k8s.Create(ctx, &v1alpha1.Permission{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "album-user-select"},
			Spec: v1alpha1.PermissionSpec{Table: "album", Role: "user", Action: v1alpha1.ActionSelect,
				Columns: []string{"id", "title"}, Filter: &apiextensionsv1.JSON{Raw: []byte(`{"artist_id": {"_eq": 4}}`)}},
		})).To(Succeed())
		Eventually(readyOf(&v1alpha1.Permission{}, ns, "album-user-select")).Should(haveReason(metav1.ConditionTrue, v1alpha1.ReasonPublished))
		base := startEngine(ns)

		const albums = `{ album(order_by: {id: asc}) { title } }`
		Eventually(queryFunc(base, "user", albums)).Should(MatchJSON(`{"album":[{"title":"OK Computer"},{"title":"Kid A"}]}`))
		_, err := query(base, "user", `{ album { released } }`)
		Expect(err).To(HaveOccurred(), "a column the permission does not grant")

		update(&v1alpha1.Permission{}, ns, "album-user-select", func(p *v1alpha1.Permission) {
			p.Spec.Filter = &apiextensionsv1.JSON{Raw: []byte(`{"artist_id": {"_eq": 1}}`)}
		})
		Eventually(queryFunc(base, "user", albums)).Should(MatchJSON(`{"album":[{"title":"Kind of Blue"},{"title":"Bitches Brew"}]}`))
	})

	It("keeps serving the last good metadata when a change is bad", func() {
		ns := newEngine()
		createTable(ns, "album", func(t *v1alpha1.Table) {
			t.Spec.ObjectRelationships = []v1alpha1.ObjectRelationship{{Name: "artist", ForeignKeyConstraintOn: fk("artist_id")}}
		})
		createTable(ns, "artist", nil)
		Eventually(readyOf(&v1alpha1.Table{}, ns, "album")).Should(haveReason(metav1.ConditionTrue, v1alpha1.ReasonPublished))
		base := startEngine(ns)
		want := `{"album":[{"title":"Kind of Blue","artist":{"name":"Miles Davis"}}]}`
		Eventually(queryFunc(base, "", albumWithArtist)).Should(MatchJSON(want))

		By("corrupting the metadata ConfigMap")
		cm := &corev1.ConfigMap{}
		Expect(k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: "demo-metadata"}, cm)).To(Succeed())
		good := cm.BinaryData[cmformat.DataKey]
		cm.BinaryData[cmformat.DataKey] = []byte("not gzip")
		Expect(k8s.Update(ctx, cm)).To(Succeed())
		Consistently(queryFunc(base, "", albumWithArtist), "1s").Should(MatchJSON(want))
		// ... which the operator repairs.
		Eventually(func() []byte {
			_ = k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: "demo-metadata"}, cm)
			return cm.BinaryData[cmformat.DataKey]
		}).Should(Equal(good))

		By("tracking a table that does not exist and a relationship on a missing column")
		createTable(ns, "nope", nil)
		update(&v1alpha1.Table{}, ns, "artist", func(t *v1alpha1.Table) {
			t.Spec.ObjectRelationships = []v1alpha1.ObjectRelationship{{Name: "broken", ForeignKeyConstraintOn: fk("no_such_column")}}
		})
		Eventually(readyOf(&v1alpha1.Table{}, ns, "nope")).Should(haveReason(metav1.ConditionTrue, v1alpha1.ReasonPublished))
		Consistently(queryFunc(base, "", albumWithArtist), "1s").Should(MatchJSON(want))
	})

	It("reports the engine's inconsistencies on the Tables, while the rest keeps serving", func() {
		ns := newEngine()
		createTable(ns, "album", func(t *v1alpha1.Table) {
			t.Spec.ObjectRelationships = []v1alpha1.ObjectRelationship{{Name: "artist", ForeignKeyConstraintOn: fk("nope")}}
		})
		createTable(ns, "artist", nil)
		Eventually(readyOf(&v1alpha1.Table{}, ns, "album")).ShouldNot(BeNil())

		// The engine's state with the status back-channel, as the engine
		// runs it (enginereport.Run), as the engine's ServiceAccount.
		engCtx, stop := context.WithCancel(ctx)
		log := slog.New(slog.NewTextHandler(GinkgoWriter, &slog.HandlerOptions{Level: slog.LevelInfo}))
		identity := engineIdentity(ns)
		store, err := metastore.NewConfigMap(engCtx, identity, ns, controllers.MetadataConfigMapName("demo"), log)
		Expect(err).NotTo(HaveOccurred())
		pool, err := pgxpool.New(engCtx, dbURL)
		Expect(err).NotTo(HaveOccurred())
		mgr, err := state.New(state.Config{Store: store, DB: pool, Logger: log})
		Expect(err).NotTo(HaveOccurred())
		Expect(mgr.Start(engCtx)).To(Succeed())
		dyn, err := dynamic.NewForConfig(identity)
		Expect(err).NotTo(HaveOccurred())
		reported := make(chan struct{})
		go func() {
			defer close(reported)
			(&enginereport.Reporter{Client: dyn, Source: store, State: mgr, Log: log}).Run(engCtx)
		}()
		DeferCleanup(func() {
			stop()
			<-reported
			mgr.Wait()
			pool.Close()
		})

		Eventually(readyOf(&v1alpha1.Table{}, ns, "album")).Should(And(
			haveReason(metav1.ConditionFalse, v1alpha1.ReasonInconsistent),
			HaveField("Message", And(ContainSubstring("object_relation artist"), ContainSubstring("nope")))))
		Expect(readyOf(&v1alpha1.Table{}, ns, "artist")()).To(haveReason(metav1.ConditionTrue, v1alpha1.ReasonPublished))
		st := engineStatus(ns)()
		Expect(st.ServedMetadataVersion).To(Equal(st.MetadataVersion))
		Expect(st.Conditions).To(ContainElement(And(
			HaveField("Type", v1alpha1.ConditionMetadataConsistent), HaveField("Reason", v1alpha1.ReasonInconsistent))))
		// The table itself keeps serving without the broken relationship.
		Expect(mgr.Current().Metadata.Source("default").Tables).To(HaveLen(2))
		Expect(mgr.Current().Inconsistencies).To(ConsistOf(HaveField("Kind", "object_relation")))

		By("fixing the Table")
		update(&v1alpha1.Table{}, ns, "album", func(t *v1alpha1.Table) {
			t.Spec.ObjectRelationships[0].ForeignKeyConstraintOn = fk("artist_id")
		})
		Eventually(readyOf(&v1alpha1.Table{}, ns, "album")).Should(haveReason(metav1.ConditionTrue, v1alpha1.ReasonPublished))
		Eventually(func() []metav1.Condition { return engineStatus(ns)().Conditions }).Should(ContainElement(And(
			HaveField("Type", v1alpha1.ConditionMetadataConsistent), HaveField("Reason", v1alpha1.ReasonConsistent))))
		Expect(mgr.Current().Inconsistencies).To(BeEmpty())
	})
})
