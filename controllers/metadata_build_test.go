package controllers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/stratagql/strata/api/v1alpha1"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/metastore/cmformat"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func mdEngine() *v1alpha1.GraphQLEngine {
	e := testEngine()
	e.Spec.InheritedRoles = []v1alpha1.InheritedRole{{RoleName: "staff", RoleSet: []string{"user", "editor"}}}
	return e
}

func mdTable(name, table string, age int) v1alpha1.Table {
	return v1alpha1.Table{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", Generation: 1,
			CreationTimestamp: metav1.NewTime(epoch.Add(time.Duration(age) * time.Second))},
		Spec: v1alpha1.TableSpec{EngineRef: v1alpha1.EngineReference{Name: "demo"}, Schema: "public", Name: table},
	}
}

func mdPerm(name, table, role string, action v1alpha1.PermissionAction, age int) v1alpha1.Permission {
	p := v1alpha1.Permission{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", Generation: 1,
			CreationTimestamp: metav1.NewTime(epoch.Add(time.Duration(age) * time.Second))},
		Spec: v1alpha1.PermissionSpec{Table: table, Role: role, Action: action},
	}
	if action == v1alpha1.ActionSelect || action == v1alpha1.ActionUpdate {
		p.Spec.Columns = []string{"*"}
	}
	return p
}

func jsonExp(s string) *apiextensionsv1.JSON { return &apiextensionsv1.JSON{Raw: []byte(s)} }

// demoObjects are the music catalogue's Tables and Permissions, with every
// kind of relationship and permission.
func demoObjects() ([]v1alpha1.Table, []v1alpha1.Permission) {
	album := mdTable("album", "album", 1)
	album.Spec.CustomRootFields = &v1alpha1.CustomRootFields{Select: "albums", SelectByPk: "album"}
	album.Spec.ColumnConfig = map[string]v1alpha1.ColumnConfig{"artist_id": {CustomName: "artistId", Comment: "the artist"}}
	album.Spec.ObjectRelationships = []v1alpha1.ObjectRelationship{
		{Name: "artist", ForeignKeyConstraintOn: &v1alpha1.ForeignKeyConstraintOn{Column: "artist_id"}},
		{Name: "artist2", ForeignKeyConstraintOn: &v1alpha1.ForeignKeyConstraintOn{Columns: []v1alpha1.ColumnName{"artist_id"}}},
	}
	album.Spec.ArrayRelationships = []v1alpha1.ArrayRelationship{
		{Name: "tracks", ForeignKeyConstraintOn: &v1alpha1.ForeignKeyConstraintOn{Column: "album_id", Table: &v1alpha1.QualifiedName{Name: "track"}}},
		{Name: "tracks_manual", ManualConfiguration: &v1alpha1.ManualConfiguration{
			RemoteTable: v1alpha1.QualifiedName{Schema: "public", Name: "track"}, ColumnMapping: map[string]string{"id": "album_id"}}},
	}
	album.Spec.ComputedFields = []v1alpha1.ComputedField{{Name: "label", Function: v1alpha1.QualifiedName{Name: "album_label"}, SessionArgument: "session"}}
	artist := mdTable("artist", "artist", 2)
	artist.Spec.CustomName = "Artist"
	track := mdTable("track", "track", 3)
	track.Spec.ObjectRelationships = []v1alpha1.ObjectRelationship{{Name: "album", Comment: "its album",
		ForeignKeyConstraintOn: &v1alpha1.ForeignKeyConstraintOn{Column: "album_id"}}}

	sel := mdPerm("track-user-select", "track", "user", v1alpha1.ActionSelect, 4)
	sel.Spec.Columns = []string{"id", "name"}
	sel.Spec.Filter = jsonExp(`{"album": {"released": {"_is_null": false}}}`)
	sel.Spec.Limit = ptr.To[int32](100)
	sel.Spec.AllowAggregations = true
	sel.Spec.QueryRootFields = []string{"select_by_pk", "select"}
	ins := mdPerm("track-user-insert", "track", "user", v1alpha1.ActionInsert, 5)
	ins.Spec.Check = jsonExp(`{"album_id": {"_eq": "X-Hasura-Album-Id"}}`)
	ins.Spec.Set = map[string]string{"unit_price": "0.99"}
	upd := mdPerm("track-user-update", "track", "user", v1alpha1.ActionUpdate, 6)
	upd.Spec.Columns = []string{"name"}
	del := mdPerm("track-editor-delete", "track", "editor", v1alpha1.ActionDelete, 7)
	del.Spec.BackendOnly = true
	return []v1alpha1.Table{album, artist, track}, []v1alpha1.Permission{sel, ins, upd, del}
}

func TestBuildMetadataIsDeterministic(t *testing.T) {
	tables, perms := demoObjects()
	first := BuildMetadata(mdEngine(), tables, perms)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20; i++ {
		rng.Shuffle(len(tables), func(a, b int) { tables[a], tables[b] = tables[b], tables[a] })
		rng.Shuffle(len(perms), func(a, b int) { perms[a], perms[b] = perms[b], perms[a] })
		again := BuildMetadata(mdEngine(), tables, perms)
		if !bytes.Equal(first.JSON, again.JSON) || first.Hash != again.Hash {
			t.Fatalf("shuffle %d changed the metadata:\n%s\n%s", i, first.JSON, again.JSON)
		}
	}
	if first.Hash != cmformat.DocumentHash(first.JSON) || len(first.Hash) != 64 {
		t.Fatalf("hash %q is not the document's sha256", first.Hash)
	}
	// The document is metadata the engine reads back unchanged.
	md, err := metadata.Parse(first.JSON)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(md.JSON(), first.JSON) {
		t.Fatalf("metadata does not round-trip:\n%s\n%s", first.JSON, md.JSON())
	}
	for name, v := range first.Tables {
		if !v.Ready || v.Reason != v1alpha1.ReasonPublished {
			t.Errorf("Table %s: %+v", name, v)
		}
	}
	for name, v := range first.Permissions {
		if !v.Ready {
			t.Errorf("Permission %s: %+v", name, v)
		}
	}
}

func TestBuildMetadataHasuraShape(t *testing.T) {
	tables, perms := demoObjects()
	b := BuildMetadata(mdEngine(), tables, perms)
	var doc struct {
		Sources []struct {
			Name   string           `json:"name"`
			Tables []map[string]any `json:"tables"`
		} `json:"sources"`
		InheritedRoles []map[string]any `json:"inherited_roles"`
	}
	if err := json.Unmarshal(b.JSON, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Sources) != 1 || doc.Sources[0].Name != "default" || len(doc.Sources[0].Tables) != 3 {
		t.Fatalf("sources: %s", b.JSON)
	}
	get := func(v any, path ...string) any {
		for _, p := range path {
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[p]
		}
		return v
	}
	enc := func(v any) string { s, _ := json.Marshal(v); return string(s) }
	album, artist, track := doc.Sources[0].Tables[0], doc.Sources[0].Tables[1], doc.Sources[0].Tables[2]
	for _, c := range []struct{ got, want string }{
		{enc(album["table"]), `{"name":"album","schema":"public"}`},
		{enc(get(album, "configuration", "custom_root_fields")), `{"select":"albums","select_by_pk":"album"}`},
		{enc(get(album, "configuration", "column_config")), `{"artist_id":{"comment":"the artist","custom_name":"artistId"}}`},
		{enc(album["object_relationships"]), `[{"name":"artist","using":{"foreign_key_constraint_on":"artist_id"}},{"name":"artist2","using":{"foreign_key_constraint_on":["artist_id"]}}]`},
		{enc(album["array_relationships"]), `[{"name":"tracks","using":{"foreign_key_constraint_on":{"column":"album_id","table":{"name":"track","schema":"public"}}}},{"name":"tracks_manual","using":{"manual_configuration":{"column_mapping":{"id":"album_id"},"remote_table":{"name":"track","schema":"public"}}}}]`},
		{enc(album["computed_fields"]), `[{"definition":{"function":{"name":"album_label","schema":"public"},"session_argument":"session"},"name":"label"}]`},
		{enc(get(artist, "configuration", "custom_name")), `"Artist"`},
		{enc(track["object_relationships"]), `[{"comment":"its album","name":"album","using":{"foreign_key_constraint_on":"album_id"}}]`},
		{enc(track["select_permissions"]), `[{"permission":{"allow_aggregations":true,"columns":["id","name"],"filter":{"album":{"released":{"_is_null":false}}},"limit":100,"query_root_fields":["select","select_by_pk"]},"role":"user"}]`},
		{enc(track["insert_permissions"]), `[{"permission":{"check":{"album_id":{"_eq":"X-Hasura-Album-Id"}},"columns":"*","set":{"unit_price":"0.99"}},"role":"user"}]`},
		{enc(track["update_permissions"]), `[{"permission":{"columns":["name"],"filter":{}},"role":"user"}]`},
		{enc(track["delete_permissions"]), `[{"permission":{"backend_only":true,"filter":{}},"role":"editor"}]`},
		{enc(doc.InheritedRoles), `[{"role_name":"staff","role_set":["user","editor"]}]`},
	} {
		if c.got != c.want {
			t.Errorf("got  %s\nwant %s", c.got, c.want)
		}
	}
}

func TestBuildMetadataConflicts(t *testing.T) {
	tables, perms := demoObjects()
	// A second Table for public.track, created later: rejected, with its
	// Permission.
	dup := mdTable("track-again", "track", 10)
	tables = append(tables, dup)
	perms = append(perms, mdPerm("dup-table-perm", "track-again", "user", v1alpha1.ActionSelect, 11))
	// Two more select permissions for user on track: both later than
	// track-user-select. Same creation time: the name settles it.
	a := mdPerm("b-later", "track", "user", v1alpha1.ActionSelect, 20)
	b := mdPerm("a-later", "track", "user", v1alpha1.ActionSelect, 20)
	perms = append(perms, a, b)
	// Another engine's Table and a Permission on a Table that is not this
	// engine's are ignored.
	other := mdTable("other", "other", 0)
	other.Spec.EngineRef.Name = "other-engine"
	tables = append(tables, other)
	perms = append(perms, mdPerm("elsewhere", "other", "user", v1alpha1.ActionSelect, 0))

	build := BuildMetadata(mdEngine(), tables, perms)
	if v := build.Tables["track-again"]; v.Ready || v.Reason != v1alpha1.ReasonConflict ||
		!strings.Contains(v.Message, "table public.track is already tracked in GraphQLEngine demo by Table track") {
		t.Errorf("duplicate Table: %+v", v)
	}
	if v := build.Permissions["dup-table-perm"]; v.Ready || v.Reason != v1alpha1.ReasonTableNotReady {
		t.Errorf("Permission of a rejected Table: %+v", v)
	}
	for _, name := range []string{"a-later", "b-later"} {
		if v := build.Permissions[name]; v.Ready || v.Reason != v1alpha1.ReasonConflict ||
			!strings.Contains(v.Message, "Permission track-user-select, created earlier, already grants role user select on Table track") {
			t.Errorf("conflicting Permission %s: %+v", name, v)
		}
	}
	if v := build.Permissions["track-user-select"]; !v.Ready {
		t.Errorf("the earlier Permission must keep serving: %+v", v)
	}
	if _, ok := build.Tables["other"]; ok {
		t.Error("another engine's Table got a verdict")
	}
	if _, ok := build.Permissions["elsewhere"]; ok {
		t.Error("a Permission of another engine's Table got a verdict")
	}
	if build.Rejected != 4 {
		t.Errorf("rejected = %d, want 4", build.Rejected)
	}
	plain, plainPerms := demoObjects()
	if want := BuildMetadata(mdEngine(), plain, plainPerms); want.Hash != build.Hash {
		t.Errorf("rejected objects changed the metadata:\n%s\n%s", want.JSON, build.JSON)
	}

	// Without the earliest select permission, the older of the two
	// remaining ones (by name on a creation-time tie) serves.
	var rest []v1alpha1.Permission
	for _, p := range perms {
		if p.Name != "track-user-select" {
			rest = append(rest, p)
		}
	}
	build = BuildMetadata(mdEngine(), tables, rest)
	if !build.Permissions["a-later"].Ready || build.Permissions["b-later"].Ready {
		t.Errorf("tie on creation time: a-later %+v, b-later %+v", build.Permissions["a-later"], build.Permissions["b-later"])
	}
}

func TestApplyEngineReport(t *testing.T) {
	tables, perms := demoObjects()
	build := BuildMetadata(mdEngine(), tables, perms)
	st := &v1alpha1.GraphQLEngineStatus{
		ServedMetadataVersion: build.Hash,
		EngineInconsistencies: []v1alpha1.MetadataInconsistency{
			{Type: "object_relation", Table: &v1alpha1.QualifiedName{Schema: "public", Name: "album"}, Name: "artist",
				Reason: `Inconsistent object: in table "album": in relationship "artist": no such column exists: "nope"`},
			{Type: "table", Table: &v1alpha1.QualifiedName{Schema: "public", Name: "track"},
				Reason: `Inconsistent object: no such table/view exists in source: "track"`},
			{Type: "select_permission", Table: &v1alpha1.QualifiedName{Schema: "public", Name: "track"}, Name: "user",
				Reason: `Inconsistent object: in permission for role "user": no such column "x"`},
			{Type: "table", Table: &v1alpha1.QualifiedName{Schema: "public", Name: "unknown"}, Reason: "ignored"},
		},
		EngineInconsistencyCount: 4,
	}
	tv, pv, notServed := ApplyEngineReport(build, st)
	if v := tv["album"]; v.Ready || v.Reason != v1alpha1.ReasonInconsistent || !strings.Contains(v.Message, `object_relation artist: Inconsistent object: in table "album"`) {
		t.Errorf("album: %+v", v)
	}
	if v := tv["artist"]; !v.Ready {
		t.Errorf("artist: %+v", v)
	}
	if v := tv["track"]; v.Ready || !strings.Contains(v.Message, "no such table/view exists") {
		t.Errorf("track: %+v", v)
	}
	if v := pv["track-user-select"]; v.Ready || !strings.Contains(v.Message, `no such column "x"`) || !strings.Contains(v.Message, "Table track is inconsistent") {
		t.Errorf("track-user-select: %+v", v)
	}
	if v := pv["track-editor-delete"]; v.Ready || v.Reason != v1alpha1.ReasonInconsistent {
		t.Errorf("a Permission of an inconsistent Table: %+v", v)
	}
	if len(notServed) != 6 || !strings.HasPrefix(notServed[0], "Permission track-editor-delete: Inconsistent: ") {
		t.Errorf("not served: %q", notServed)
	}
	// The build's own verdicts are left alone.
	if !build.Tables["album"].Ready {
		t.Error("ApplyEngineReport changed the build")
	}
	// A report about another version is ignored.
	st.ServedMetadataVersion = "older"
	tv, _, notServed = ApplyEngineReport(build, st)
	if !tv["album"].Ready || len(notServed) != 0 {
		t.Errorf("stale report applied: %+v %q", tv["album"], notServed)
	}
}

// words are the vocabulary of generated column comments.
var words = strings.Fields(`account address amount balance billing category customer date delivery
	discount email invoice item label line name note order owner payment price product quantity
	reference region shipment status stock supplier tax total unit user vendor warehouse weight`)

// comment returns a pseudo-random sentence: real schemas' descriptions
// differ from table to table, which limits compression.
func sentence(rng *rand.Rand, n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = words[rng.IntN(len(words))]
	}
	return strings.Join(w, " ")
}

// manyTables returns n Tables with relationships, column comments and a
// select permission each, like a large real schema.
func manyTables(n int) ([]v1alpha1.Table, []v1alpha1.Permission) {
	rng := rand.New(rand.NewPCG(uint64(n), 7))
	tables := make([]v1alpha1.Table, 0, n)
	perms := make([]v1alpha1.Permission, 0, n)
	for i := range n {
		t := mdTable(fmt.Sprintf("t%05d", i), fmt.Sprintf("table_%05d", i), i)
		t.Spec.ColumnConfig = map[string]v1alpha1.ColumnConfig{
			"id":         {Comment: sentence(rng, 12)},
			"name":       {Comment: sentence(rng, 12)},
			"created_at": {CustomName: "createdAt"},
		}
		t.Spec.ObjectRelationships = []v1alpha1.ObjectRelationship{{Name: "parent",
			ForeignKeyConstraintOn: &v1alpha1.ForeignKeyConstraintOn{Column: "parent_id"}}}
		t.Spec.ArrayRelationships = []v1alpha1.ArrayRelationship{{Name: "children",
			ForeignKeyConstraintOn: &v1alpha1.ForeignKeyConstraintOn{Column: "parent_id", Table: &v1alpha1.QualifiedName{Schema: "public", Name: fmt.Sprintf("table_%05d", (i+1)%n)}}}}
		tables = append(tables, t)
		p := mdPerm(fmt.Sprintf("p%05d", i), t.Name, "user", v1alpha1.ActionSelect, i)
		p.Spec.Columns = []string{"id", "name", "created_at", "parent_id"}
		p.Spec.Filter = jsonExp(`{"owner_id":{"_eq":"X-Hasura-User-Id"}}`)
		perms = append(perms, p)
	}
	return tables, perms
}

func TestFiveThousandTablesSplitAndReassemble(t *testing.T) {
	tables, perms := manyTables(5000)
	start := time.Now()
	build := BuildMetadata(mdEngine(), tables, perms)
	built := time.Since(start)
	if len(build.TableByQualified) != 5000 || len(build.PermissionByKey) != 5000 || build.Rejected != 0 {
		t.Fatalf("built %d tables, %d permissions, %d rejected", len(build.TableByQualified), len(build.PermissionByKey), build.Rejected)
	}
	start = time.Now()
	cms, err := BuildMetadataConfigMaps(mdEngine(), build.JSON, build.Hash, 0)
	if err != nil {
		t.Fatal(err)
	}
	encoded := time.Since(start)
	t.Logf("5000 tables: %d bytes of metadata, built in %v, gzipped into %d ConfigMap(s) in %v", len(build.JSON), built, len(cms.Parts)+1, encoded)

	// Small parts force a split; the parts reassemble into the document.
	for _, partBytes := range []int{0, 64 << 10, 128 << 10} {
		cms, err := BuildMetadataConfigMaps(mdEngine(), build.JSON, build.Hash, partBytes)
		if err != nil {
			t.Fatal(err)
		}
		all := cms.All()
		if partBytes > 0 && len(all) < 2 {
			t.Fatalf("part size %d: not split", partBytes)
		}
		if got := *all[len(all)-1].Name; got != "demo-metadata" {
			t.Fatalf("the main ConfigMap must be applied last, got %s", got)
		}
		// The engine finds the GraphQLEngine to report to by this owner
		// reference.
		if o := cms.Main.OwnerReferences; len(o) != 1 || *o[0].APIVersion != cmformat.OwnerAPIVersion || *o[0].Kind != cmformat.OwnerKind || !*o[0].Controller {
			t.Fatalf("owner references of the main ConfigMap: %+v", o)
		}
		var chunks [][]byte
		chunks = append(chunks, cms.Main.BinaryData[cmformat.DataKey])
		names := cmformat.PartNames(cms.Main.Annotations[cmformat.AnnotationParts])
		if len(names) != len(cms.Parts) {
			t.Fatalf("main lists %q for %d parts", names, len(cms.Parts))
		}
		for i, p := range cms.Parts {
			if *p.Name != names[i] || *p.Name != fmt.Sprintf("demo-metadata-%d", i+1) {
				t.Fatalf("part %d is %s, listed as %s", i+1, *p.Name, names[i])
			}
			if p.Annotations[cmformat.AnnotationSHA256] != build.Hash || p.Annotations[cmformat.AnnotationPart] != fmt.Sprint(i+1) {
				t.Fatalf("part %d annotations %v", i+1, p.Annotations)
			}
			if n := len(p.BinaryData[cmformat.DataKey]); n > partBytes && partBytes > 0 {
				t.Fatalf("part %d holds %d bytes, more than %d", i+1, n, partBytes)
			}
			chunks = append(chunks, p.BinaryData[cmformat.DataKey])
		}
		doc, err := cmformat.DecodeChunks(chunks, cms.Main.Annotations[cmformat.AnnotationSHA256])
		if err != nil || !bytes.Equal(doc, build.JSON) {
			t.Fatalf("part size %d: reassembly: %v", partBytes, err)
		}
	}
	// Too many parts is an error, not a truncated document.
	if _, err := BuildMetadataConfigMaps(mdEngine(), build.JSON, build.Hash, 8<<10); err == nil || !strings.Contains(err.Error(), "more than the 16 allowed") {
		t.Fatalf("too many parts: %v", err)
	}
}

func TestMetadataConfigMapsAreDeterministic(t *testing.T) {
	tables, perms := demoObjects()
	build := BuildMetadata(mdEngine(), tables, perms)
	a, err := BuildMetadataConfigMaps(mdEngine(), build.JSON, build.Hash, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := BuildMetadataConfigMaps(mdEngine(), build.JSON, build.Hash, 0)
	if mustJSON(t, a.Main) != mustJSON(t, b.Main) {
		t.Fatal("the same metadata gave different ConfigMaps")
	}
	if got := a.Main.OwnerReferences; len(got) != 1 || *got[0].Name != "demo" || !*got[0].Controller {
		t.Fatalf("owner references %+v", got)
	}
	if a.Main.Labels[LabelManagedBy] != ManagedByValue || a.Main.Labels[LabelInstance] != "demo" {
		t.Fatalf("labels %v", a.Main.Labels)
	}
}

func BenchmarkBuildMetadata5000Tables(b *testing.B) {
	tables, perms := manyTables(5000)
	eng := mdEngine()
	b.ReportAllocs()
	for b.Loop() {
		build := BuildMetadata(eng, tables, perms)
		if _, err := BuildMetadataConfigMaps(eng, build.JSON, build.Hash, 0); err != nil {
			b.Fatal(err)
		}
	}
}
