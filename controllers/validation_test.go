package controllers_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/stratagql/strata/api/v1alpha1"
)

// The CEL rules of the CRDs are checked by the real API server: each entry
// breaks one rule of an otherwise valid object and expects the rule's message.

func validEngine() *v1alpha1.GraphQLEngine {
	return &v1alpha1.GraphQLEngine{
		ObjectMeta: metav1.ObjectMeta{Name: "e"},
		Spec: v1alpha1.GraphQLEngineSpec{
			DatabaseURLSecretRef: v1alpha1.SecretKeySelector{Name: "db", Key: "url"},
			Auth: &v1alpha1.AuthSpec{
				AdminSecretRef:   &v1alpha1.SecretKeySelector{Name: "auth", Key: "admin"},
				JWTSecretRef:     &v1alpha1.SecretKeySelector{Name: "auth", Key: "jwt"},
				UnauthorizedRole: "anonymous",
			},
			InheritedRoles: []v1alpha1.InheritedRole{{RoleName: "staff", RoleSet: []string{"user", "editor"}}},
		},
	}
}

func fk(column string, table string) *v1alpha1.ForeignKeyConstraintOn {
	f := &v1alpha1.ForeignKeyConstraintOn{Column: v1alpha1.ColumnName(column)}
	if table != "" {
		f.Table = &v1alpha1.QualifiedName{Schema: "public", Name: table}
	}
	return f
}

func validTable() *v1alpha1.Table {
	return &v1alpha1.Table{
		ObjectMeta: metav1.ObjectMeta{Name: "t"},
		Spec: v1alpha1.TableSpec{
			EngineRef: v1alpha1.EngineReference{Name: "demo"},
			Name:      "album",
			CustomRootFields: &v1alpha1.CustomRootFields{
				Select: "albums", SelectByPk: "album", Insert: "addAlbums",
			},
			ColumnConfig:        map[string]v1alpha1.ColumnConfig{"artist_id": {CustomName: "artistId", Comment: "the artist"}},
			ObjectRelationships: []v1alpha1.ObjectRelationship{{Name: "artist", ForeignKeyConstraintOn: fk("artist_id", "")}},
			ArrayRelationships:  []v1alpha1.ArrayRelationship{{Name: "tracks", ForeignKeyConstraintOn: fk("album_id", "track")}},
			ComputedFields: []v1alpha1.ComputedField{{
				Name: "trackCount", Function: v1alpha1.QualifiedName{Name: "album_track_count"},
				TableArgument: "album_row", SessionArgument: "hasura_session",
			}},
		},
	}
}

func validPermission(action v1alpha1.PermissionAction) *v1alpha1.Permission {
	p := &v1alpha1.Permission{
		ObjectMeta: metav1.ObjectMeta{Name: "p"},
		Spec:       v1alpha1.PermissionSpec{Table: "track", Role: "user", Action: action},
	}
	switch action {
	case v1alpha1.ActionSelect:
		p.Spec.Columns = []string{"id", "name"}
		p.Spec.Filter = jsonObj(`{"album_id": {"_eq": "X-Hasura-Album-Id"}}`)
		p.Spec.Limit = ptr.To[int32](10)
		p.Spec.AllowAggregations = true
		p.Spec.QueryRootFields = []string{"select", "select_by_pk"}
	case v1alpha1.ActionInsert:
		p.Spec.Columns = []string{"*"}
		p.Spec.Check = jsonObj(`{}`)
		p.Spec.Set = map[string]string{"owner_id": "X-Hasura-User-Id"}
		p.Spec.BackendOnly = true
	case v1alpha1.ActionUpdate:
		p.Spec.Columns = []string{"name"}
		p.Spec.Filter = jsonObj(`{}`)
		p.Spec.Check = jsonObj(`{"name": {"_neq": ""}}`)
	case v1alpha1.ActionDelete:
		p.Spec.Filter = jsonObj(`{"id": {"_gt": 0}}`)
	}
	return p
}

func jsonObj(s string) *apiextensionsv1.JSON { return &apiextensionsv1.JSON{Raw: []byte(s)} }

var _ = Describe("CRD validation", func() {
	var ns string
	BeforeEach(func() { ns = newNamespace() })

	create := func(obj client.Object) error {
		obj.SetNamespace(ns)
		return k8s.Create(ctx, obj, client.DryRunAll)
	}
	expectRejected := func(err error, message string) {
		Expect(err).To(HaveOccurred(), "the API server accepted an invalid object")
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "not a validation error: %v", err)
		Expect(err.Error()).To(ContainSubstring(message))
	}

	It("accepts valid objects of every kind", func() {
		Expect(create(validEngine())).To(Succeed())
		Expect(create(validTable())).To(Succeed())
		for _, a := range []v1alpha1.PermissionAction{v1alpha1.ActionSelect, v1alpha1.ActionInsert, v1alpha1.ActionUpdate, v1alpha1.ActionDelete} {
			Expect(create(validPermission(a))).To(Succeed(), string(a))
		}
	})

	It("accepts the samples in config/samples", func() {
		files, err := filepath.Glob(filepath.Join("..", "config", "samples", "graphql_*.yaml"))
		Expect(err).NotTo(HaveOccurred())
		Expect(files).NotTo(BeEmpty())
		for _, f := range files {
			data, err := os.ReadFile(f)
			Expect(err).NotTo(HaveOccurred())
			dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
			for {
				u := &unstructured.Unstructured{}
				if err := dec.Decode(&u.Object); err == io.EOF {
					break
				} else {
					Expect(err).NotTo(HaveOccurred(), f)
				}
				Expect(create(u)).To(Succeed(), f)
			}
		}
	})

	DescribeTable("GraphQLEngine rules",
		func(mutate func(*v1alpha1.GraphQLEngine), message string) {
			e := validEngine()
			mutate(e)
			expectRejected(create(e), message)
		},
		Entry("name that cannot name a Service", func(e *v1alpha1.GraphQLEngine) {
			e.Name = "1-engine"
		}, "a GraphQLEngine name must be a DNS-1035 label"),
		Entry("jwt and auth hook together", func(e *v1alpha1.GraphQLEngine) {
			e.Spec.Auth.AuthHook = &v1alpha1.AuthHook{URL: "https://auth.example.com"}
		}, "auth.jwtSecretRef and auth.authHook are mutually exclusive"),
		Entry("jwt without admin secret", func(e *v1alpha1.GraphQLEngine) {
			e.Spec.Auth.AdminSecretRef, e.Spec.Auth.UnauthorizedRole = nil, ""
		}, "auth.adminSecretRef is required when auth.jwtSecretRef or auth.authHook is set"),
		Entry("auth hook without admin secret", func(e *v1alpha1.GraphQLEngine) {
			e.Spec.Auth = &v1alpha1.AuthSpec{AuthHook: &v1alpha1.AuthHook{URL: "https://auth.example.com"}}
		}, "auth.adminSecretRef is required when auth.jwtSecretRef or auth.authHook is set"),
		Entry("unauthorized role without admin secret", func(e *v1alpha1.GraphQLEngine) {
			e.Spec.Auth = &v1alpha1.AuthSpec{UnauthorizedRole: "anonymous"}
		}, "auth.unauthorizedRole requires auth.adminSecretRef"),
		Entry("unauthorized role admin", func(e *v1alpha1.GraphQLEngine) {
			e.Spec.Auth.UnauthorizedRole = "admin"
		}, "auth.unauthorizedRole cannot be admin"),
		Entry("auth hook URL not http(s)", func(e *v1alpha1.GraphQLEngine) {
			e.Spec.Auth.JWTSecretRef = nil
			e.Spec.Auth.AuthHook = &v1alpha1.AuthHook{URL: "ftp://auth.example.com/hook"}
		}, "auth.authHook.url must be an absolute http or https URL"),
		Entry("auth hook URL relative", func(e *v1alpha1.GraphQLEngine) {
			e.Spec.Auth.JWTSecretRef = nil
			e.Spec.Auth.AuthHook = &v1alpha1.AuthHook{URL: "/hook"}
		}, "auth.authHook.url must be an absolute http or https URL"),
		Entry("inherited role including itself", func(e *v1alpha1.GraphQLEngine) {
			e.Spec.InheritedRoles[0].RoleSet = append(e.Spec.InheritedRoles[0].RoleSet, "staff")
		}, "an inherited role cannot include itself"),
		Entry("inherited role named admin", func(e *v1alpha1.GraphQLEngine) {
			e.Spec.InheritedRoles[0].RoleName = "admin"
		}, "admin cannot be an inherited role"),
	)

	DescribeTable("Table rules",
		func(mutate func(*v1alpha1.Table), message string) {
			t := validTable()
			mutate(t)
			expectRejected(create(t), message)
		},
		Entry("object and array relationship with the same name", func(t *v1alpha1.Table) {
			t.Spec.ArrayRelationships[0].Name = "artist"
		}, "relationship names must be unique across objectRelationships and arrayRelationships"),
		Entry("computed field named like a relationship", func(t *v1alpha1.Table) {
			t.Spec.ComputedFields[0].Name = "tracks"
		}, "computed field names must not clash with relationship names"),
		Entry("duplicate custom root field names", func(t *v1alpha1.Table) {
			t.Spec.CustomRootFields.SelectByPk = "albums"
		}, "customRootFields names must be distinct"),
		Entry("relationship with both foreignKeyConstraintOn and manualConfiguration", func(t *v1alpha1.Table) {
			t.Spec.ObjectRelationships[0].ManualConfiguration = &v1alpha1.ManualConfiguration{
				RemoteTable: v1alpha1.QualifiedName{Name: "artist"}, ColumnMapping: map[string]string{"artist_id": "id"},
			}
		}, "a relationship needs exactly one of foreignKeyConstraintOn or manualConfiguration"),
		Entry("relationship with neither", func(t *v1alpha1.Table) {
			t.Spec.ArrayRelationships[0].ForeignKeyConstraintOn = nil
		}, "a relationship needs exactly one of foreignKeyConstraintOn or manualConfiguration"),
		Entry("foreign key with both column and columns", func(t *v1alpha1.Table) {
			t.Spec.ObjectRelationships[0].ForeignKeyConstraintOn.Columns = []v1alpha1.ColumnName{"artist_id"}
		}, "foreignKeyConstraintOn needs exactly one of column or columns"),
		Entry("foreign key with neither column nor columns", func(t *v1alpha1.Table) {
			t.Spec.ObjectRelationships[0].ForeignKeyConstraintOn.Column = ""
		}, "foreignKeyConstraintOn needs exactly one of column or columns"),
		Entry("array relationship foreign key without remote table", func(t *v1alpha1.Table) {
			t.Spec.ArrayRelationships[0].ForeignKeyConstraintOn.Table = nil
		}, "an array relationship's foreignKeyConstraintOn needs the remote table"),
		Entry("array relationship with insertionOrder", func(t *v1alpha1.Table) {
			t.Spec.ArrayRelationships[0] = v1alpha1.ArrayRelationship{Name: "tracks", ManualConfiguration: &v1alpha1.ManualConfiguration{
				RemoteTable: v1alpha1.QualifiedName{Name: "track"}, ColumnMapping: map[string]string{"id": "album_id"},
				InsertionOrder: "after_parent",
			}}
		}, "insertionOrder applies to object relationships only"),
		Entry("computed field with the same table and session argument", func(t *v1alpha1.Table) {
			t.Spec.ComputedFields[0].SessionArgument = "album_row"
		}, "tableArgument and sessionArgument must differ"),
	)

	DescribeTable("Permission rules",
		func(action v1alpha1.PermissionAction, mutate func(*v1alpha1.PermissionSpec), message string) {
			p := validPermission(action)
			mutate(&p.Spec)
			expectRejected(create(p), message)
		},
		Entry("check on select", v1alpha1.ActionSelect, func(s *v1alpha1.PermissionSpec) { s.Check = jsonObj(`{}`) },
			"check applies to insert and update permissions only"),
		Entry("check on delete", v1alpha1.ActionDelete, func(s *v1alpha1.PermissionSpec) { s.Check = jsonObj(`{}`) },
			"check applies to insert and update permissions only"),
		Entry("filter on insert", v1alpha1.ActionInsert, func(s *v1alpha1.PermissionSpec) { s.Filter = jsonObj(`{}`) },
			"filter does not apply to insert permissions"),
		Entry("set on select", v1alpha1.ActionSelect, func(s *v1alpha1.PermissionSpec) { s.Set = map[string]string{"a": "b"} },
			"set applies to insert and update permissions only"),
		Entry("set on delete", v1alpha1.ActionDelete, func(s *v1alpha1.PermissionSpec) { s.Set = map[string]string{"a": "b"} },
			"set applies to insert and update permissions only"),
		Entry("columns on delete", v1alpha1.ActionDelete, func(s *v1alpha1.PermissionSpec) { s.Columns = []string{"id"} },
			"columns do not apply to delete permissions"),
		Entry("select without columns", v1alpha1.ActionSelect, func(s *v1alpha1.PermissionSpec) { s.Columns = nil },
			"columns are required for select and update permissions"),
		Entry("update without columns", v1alpha1.ActionUpdate, func(s *v1alpha1.PermissionSpec) { s.Columns = nil },
			"columns are required for select and update permissions"),
		Entry("limit on insert", v1alpha1.ActionInsert, func(s *v1alpha1.PermissionSpec) { s.Limit = ptr.To[int32](5) },
			"limit applies to select permissions only"),
		Entry("allowAggregations on update", v1alpha1.ActionUpdate, func(s *v1alpha1.PermissionSpec) { s.AllowAggregations = true },
			"allowAggregations applies to select permissions only"),
		Entry("computedFields on insert", v1alpha1.ActionInsert, func(s *v1alpha1.PermissionSpec) { s.ComputedFields = []string{"c"} },
			"computedFields applies to select permissions only"),
		Entry("queryRootFields on delete", v1alpha1.ActionDelete, func(s *v1alpha1.PermissionSpec) { s.QueryRootFields = []string{"select"} },
			"queryRootFields applies to select permissions only"),
		Entry("subscriptionRootFields on update", v1alpha1.ActionUpdate, func(s *v1alpha1.PermissionSpec) { s.SubscriptionRootFields = []string{"select"} },
			"subscriptionRootFields applies to select permissions only"),
		Entry("backendOnly on select", v1alpha1.ActionSelect, func(s *v1alpha1.PermissionSpec) { s.BackendOnly = true },
			"backendOnly does not apply to select permissions"),
		Entry("duplicate columns", v1alpha1.ActionSelect, func(s *v1alpha1.PermissionSpec) { s.Columns = []string{"id", "name", "id"} },
			"columns must not contain duplicates"),
		Entry(`"*" with column names`, v1alpha1.ActionInsert, func(s *v1alpha1.PermissionSpec) { s.Columns = []string{"*", "id"} },
			`"*" (all columns) cannot be combined with column names`),
		Entry("role admin", v1alpha1.ActionSelect, func(s *v1alpha1.PermissionSpec) { s.Role = "admin" },
			"the admin role has every permission implicitly"),
	)

	It("keeps Table.spec.engineRef and Permission.spec.table immutable", func() {
		t := validTable()
		t.SetNamespace(ns)
		Expect(k8s.Create(ctx, t)).To(Succeed())
		// A merge patch, not an update: the operator writes the objects'
		// status meanwhile, which would make an update conflict.
		orig := t.DeepCopy()
		t.Spec.EngineRef.Name = "other"
		expectRejected(k8s.Patch(ctx, t, client.MergeFrom(orig)), "engineRef is immutable")

		p := validPermission(v1alpha1.ActionSelect)
		p.SetNamespace(ns)
		Expect(k8s.Create(ctx, p)).To(Succeed())
		origP := p.DeepCopy()
		p.Spec.Table = "other"
		expectRejected(k8s.Patch(ctx, p, client.MergeFrom(origP)), "table is immutable")
	})
})
