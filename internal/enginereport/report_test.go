package enginereport

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/stratagql/strata/api/v1alpha1"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/metastore"
	"github.com/stratagql/strata/engine/state"
)

func TestInconsistency(t *testing.T) {
	album := metadata.QualifiedTable{Schema: "public", Name: "album"}
	for _, c := range []struct {
		in   metadata.Inconsistency
		want v1alpha1.MetadataInconsistency
	}{
		{metadata.Inconsistency{Kind: "table", Table: &album, Reason: "r", Definition: album},
			v1alpha1.MetadataInconsistency{Type: "table", Table: &v1alpha1.QualifiedName{Schema: "public", Name: "album"}, Reason: "r"}},
		{metadata.Inconsistency{Kind: "object_relation", Table: &album, Name: "artist", Reason: "r",
			Definition: map[string]any{"name": "artist", "table": album}},
			v1alpha1.MetadataInconsistency{Type: "object_relation", Table: &v1alpha1.QualifiedName{Schema: "public", Name: "album"}, Name: "artist", Reason: "r"}},
		{metadata.Inconsistency{Kind: "select_permission", Table: &metadata.QualifiedTable{Schema: "music", Name: "album"}, Role: "user", Reason: "r"},
			v1alpha1.MetadataInconsistency{Type: "select_permission", Table: &v1alpha1.QualifiedName{Schema: "music", Name: "album"}, Name: "user", Reason: "r"}},
		{metadata.Inconsistency{Kind: "inherited_role", Name: "staff", Reason: "r",
			Definition: metadata.InheritedRole{RoleName: "staff"}},
			v1alpha1.MetadataInconsistency{Type: "inherited_role", Reason: "r"}},
	} {
		got := Inconsistency(c.in)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %+v %+v\nwant %+v %+v", c.in.ObjectName(), got, got.Table, c.want, c.want.Table)
		}
	}
	long := Inconsistency(metadata.Inconsistency{Kind: "table", Reason: strings.Repeat("é", 2000)})
	if len(long.Reason) > maxReasonLength || !strings.HasSuffix(long.Reason, "…") {
		t.Errorf("long reason: %d bytes", len(long.Reason))
	}
	r := StatusOf("h", []metadata.Inconsistency{
		{Kind: "table", Table: &metadata.QualifiedTable{Schema: "public", Name: "b"}, Reason: "x"},
		{Kind: "table", Table: &metadata.QualifiedTable{Schema: "public", Name: "a"}, Reason: "x"},
	})
	if r.ServedMetadataVersion != "h" || r.EngineInconsistencyCount != 2 || r.EngineInconsistencies[0].Table.Name != "a" {
		t.Errorf("report %+v", r)
	}
	if empty := StatusOf("h", nil); empty.EngineInconsistencies != nil || empty.EngineInconsistencyCount != 0 {
		t.Errorf("empty report %+v", empty)
	}
}

// fakeSource is a store whose versions 1..n have hashes "h1".."hn".
type fakeSource struct {
	mu    sync.Mutex
	owner string
}

func (s *fakeSource) Hash(v int64) (string, bool) {
	if v <= 0 || v > 9 {
		return "", false
	}
	return "h" + string(rune('0'+v)), true
}

func (s *fakeSource) Owner() (string, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return "ns", s.owner
}

func (s *fakeSource) setOwner(o string) {
	s.mu.Lock()
	s.owner = o
	s.mu.Unlock()
}

// fakeState serves a snapshot set by swap, which announces it on an
// unbuffered channel: swap returns once the reporter has taken the news.
type fakeState struct {
	mu      sync.Mutex
	snap    *state.Snapshot
	changes chan uint64
}

func newFakeState(version int64, inc ...metadata.Inconsistency) *fakeState {
	return &fakeState{snap: &state.Snapshot{ResourceVersion: version, Inconsistencies: inc}, changes: make(chan uint64)}
}

func (s *fakeState) Current() *state.Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snap
}

func (s *fakeState) Subscribe() (<-chan uint64, func()) { return s.changes, func() {} }

func (s *fakeState) swap(version int64, inc ...metadata.Inconsistency) {
	s.mu.Lock()
	s.snap = &state.Snapshot{ResourceVersion: version, Inconsistencies: inc}
	s.mu.Unlock()
	s.changes <- 1
}

// applied is one status apply the fake API server received.
type applied struct {
	Namespace, Name, Subresource, FieldManager string
	Force                                      bool
	Status                                     Status
}

// fakeServer records status applies to GraphQLEngines; fail makes the next
// ones fail.
type fakeServer struct {
	mu   sync.Mutex
	got  []applied
	fail int
}

func (f *fakeServer) client(t *testing.T) *dynamicfake.FakeDynamicClient {
	c := dynamicfake.NewSimpleDynamicClient(runtime.NewScheme())
	c.PrependReactor("patch", "graphqlengines", func(a k8stesting.Action) (bool, runtime.Object, error) {
		p := a.(k8stesting.PatchActionImpl)
		var body struct {
			APIVersion, Kind string
			Metadata         struct{ Name, Namespace string }
			Status           Status
		}
		if err := json.Unmarshal(p.GetPatch(), &body); err != nil {
			t.Errorf("apply body: %v", err)
		}
		if body.APIVersion != v1alpha1.GroupVersion.String() || body.Kind != "GraphQLEngine" ||
			body.Metadata.Name != p.GetName() || body.Metadata.Namespace != p.GetNamespace() {
			t.Errorf("apply of %s %s %s/%s to %s/%s", body.APIVersion, body.Kind, body.Metadata.Namespace, body.Metadata.Name, p.GetNamespace(), p.GetName())
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.fail > 0 {
			f.fail--
			return true, nil, errors.New("the API server is away")
		}
		f.got = append(f.got, applied{Namespace: p.GetNamespace(), Name: p.GetName(), Subresource: p.GetSubresource(),
			FieldManager: p.PatchOptions.FieldManager, Force: p.PatchOptions.Force != nil && *p.PatchOptions.Force, Status: body.Status})
		return true, nil, nil
	})
	return c
}

func (f *fakeServer) applies() []applied {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]applied(nil), f.got...)
}

// waitFor polls ok until it holds, failing the test after 5 seconds.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !ok(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// start runs r until the test ends.
func start(t *testing.T, r *Reporter) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

func TestReporterReportsWhatIsServed(t *testing.T) {
	srv := &fakeServer{}
	st := newFakeState(1)
	start(t, &Reporter{Client: srv.client(t), Source: &fakeSource{owner: "demo"}, State: st})

	waitFor(t, "the report at start", func() bool { return len(srv.applies()) == 1 })
	want := applied{Namespace: "ns", Name: "demo", Subresource: "status", FieldManager: FieldManager, Force: true,
		Status: Status{ServedMetadataVersion: "h1"}}
	if got := srv.applies()[0]; !reflect.DeepEqual(got, want) {
		t.Fatalf("report at start:\n got %+v\nwant %+v", got, want)
	}

	// A swap that changes nothing reported (a reload after DDL) sends
	// nothing; the next one that does is sent. (Each swap returns when the
	// reporter took the news, so the second one returns after the first
	// one's report: that report read version 1.)
	st.swap(1)
	st.swap(1)
	album := metadata.QualifiedTable{Schema: "public", Name: "album"}
	st.swap(2, metadata.Inconsistency{Kind: "object_relation", Table: &album, Name: "artist", Reason: "no such column"})
	waitFor(t, "the report of version 2", func() bool { return len(srv.applies()) >= 2 })
	got := srv.applies()
	if len(got) != 2 {
		t.Fatalf("%d applies, want 2 (an unchanged report was sent again): %+v", len(got), got)
	}
	want.Status = Status{ServedMetadataVersion: "h2", EngineInconsistencyCount: 1, EngineInconsistencies: []v1alpha1.MetadataInconsistency{
		{Type: "object_relation", Table: &v1alpha1.QualifiedName{Schema: "public", Name: "album"}, Name: "artist", Reason: "no such column"}}}
	if !reflect.DeepEqual(got[1], want) {
		t.Fatalf("report of version 2:\n got %+v\nwant %+v", got[1], want)
	}

	// A version the store does not know is not reported.
	st.swap(42)
	st.swap(42)
	st.swap(3)
	waitFor(t, "the report of version 3", func() bool { return len(srv.applies()) >= 3 })
	if got := srv.applies(); len(got) != 3 || got[2].Status.ServedMetadataVersion != "h3" {
		t.Fatalf("after an unknown version: %+v", got)
	}
}

func TestReporterRetriesAndRefreshes(t *testing.T) {
	srv := &fakeServer{fail: 1}
	src := &fakeSource{}
	st := newFakeState(1)
	start(t, &Reporter{Client: srv.client(t), Source: src, State: st, Refresh: 20 * time.Millisecond})

	// Without an owner (a hand-written ConfigMap) nothing is sent, even on
	// a swap; once there is one, the refresh sends the report, after the
	// failed attempt is retried.
	st.swap(1)
	st.swap(1) // taken once the first swap's report is done
	if got := srv.applies(); len(got) != 0 {
		t.Fatalf("reported without an owner: %+v", got)
	}
	src.setOwner("demo")
	waitFor(t, "the report after the failure", func() bool { return len(srv.applies()) >= 1 })
	srv.mu.Lock()
	failed := srv.fail == 0
	srv.mu.Unlock()
	if !failed {
		t.Fatal("the failing apply was never attempted")
	}
	// The refresh re-sends an unchanged report.
	waitFor(t, "a refresh", func() bool { return len(srv.applies()) >= 3 })
	for _, a := range srv.applies() {
		if a.Name != "demo" || a.Status.ServedMetadataVersion != "h1" {
			t.Fatalf("refreshed report %+v", a)
		}
	}
}

func TestRunIgnoresOtherStores(t *testing.T) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		Run(context.Background(), metastore.NewMemory(nil, false), nil, nil)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run kept running beside a store that is not a ConfigMap")
	}
}

// The reason of a report is cut on a rune boundary.
func TestTruncate(t *testing.T) {
	if got := truncate("abcdef", 6); got != "abcdef" {
		t.Errorf("short: %q", got)
	}
	if got := truncate("aé"+strings.Repeat("x", 10), 5); got != "a…" {
		t.Errorf("cut in a rune: %q", got)
	}
}
