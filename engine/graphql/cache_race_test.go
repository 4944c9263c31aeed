package graphql

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stratagql/strata/engine/execute"
	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/schema"
)

// permissionMetadata gives role "user" a select permission on author whose
// filter is filter.
func permissionMetadata(filter string) string {
	return `{"version": 3, "sources": [{"name": "default", "kind": "postgres", "tables": [
	  {"table": {"schema": "public", "name": "author"},
	   "select_permissions": [{"role": "user", "permission": {"columns": ["id", "name"], "filter": ` + filter + `}}]}]}]}`
}

// servedSchema is a schema and its generation, swapped as one value.
type servedSchema struct {
	s   *schema.Schema
	gen int64
}

// swappableHandler is a handler whose schema the test swaps, with every
// request acting as role "user".
func swappableHandler(e *mutationEnv, current *atomic.Pointer[servedSchema]) *Handler {
	return &Handler{
		Schema: func() (*schema.Schema, int64) {
			c := current.Load()
			return c.s, c.gen
		},
		Exec: &execute.Executor{Pool: e.pool},
		Authenticate: func(*http.Request, []byte) (*Session, *hasuraerr.Error) {
			return &Session{Role: "user", Vars: map[string]string{"x-hasura-role": "user"}}, nil
		},
	}
}

// authorNames asks for the authors role "user" may see and returns their
// names, comma-separated in id order.
func authorNames(t *testing.T, h http.Handler) string {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/v1/graphql",
		strings.NewReader(namesQuery)))
	var out struct {
		Data struct {
			Author []struct{ Name string }
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.Data.Author == nil {
		t.Errorf("unexpected answer %s (%v)", rec.Body.String(), err)
		return ""
	}
	names := make([]string, len(out.Data.Author))
	for i, a := range out.Data.Author {
		names[i] = a.Name
	}
	return strings.Join(names, ",")
}

// namesQuery asks for the authors' names; its skipped fields make parsing
// and validation take a while, widening the window in which a request
// prepares a document while the schema is swapped.
var namesQuery = func() string {
	var q strings.Builder
	q.WriteString("query Names { author(order_by: {id: asc}) { name }")
	for i := range 200 {
		fmt.Fprintf(&q, ` skipped%d: author(where: {name: {_like: \"%%x\"}}) @include(if: false) { id name }`, i)
	}
	q.WriteString(" }")
	return `{"query": "` + q.String() + `", "operationName": "Names"}`
}()

// A narrowed permission is served by the very next request after the
// schema swap, also while other requests, started on the previous
// generation, are still preparing and caching their documents.
func TestNarrowedPermissionServedAfterSwap(t *testing.T) {
	e := newMutationEnv(t)
	e.reset(t)
	wide := schemaOf(e.handlerFor(t, permissionMetadata(`{}`)))
	narrow := schemaOf(e.handlerFor(t, permissionMetadata(`{"id": {"_eq": 1}}`)))
	want := map[*schema.Schema]string{wide: "Ann,Bob", narrow: "Ann"}

	var current atomic.Pointer[servedSchema]
	current.Store(&servedSchema{wide, 1})
	h := swappableHandler(e, &current)

	// Sequentially: the first request after a swap sees the new filter.
	for i := range 6 {
		c := current.Load()
		if got := authorNames(t, h); got != want[c.s] {
			t.Fatalf("generation %d: got %q, want %q", c.gen, got, want[c.s])
		}
		next := wide
		if i%2 == 0 {
			next = narrow
		}
		current.Store(&servedSchema{next, c.gen + 1})
	}

	// Concurrently: every request that ran entirely within one generation
	// is answered with that generation's permission.
	const workers, perWorker = 8, 60
	var served atomic.Int64
	var wrong atomic.Int64
	done := make(chan struct{})
	var swapper sync.WaitGroup
	swapper.Add(1)
	go func() {
		defer swapper.Done()
		for {
			// A burst of swaps, racing the requests preparing documents...
			for range 20 {
				c := current.Load()
				next := wide
				if c.s == wide {
					next = narrow
				}
				current.Store(&servedSchema{next, c.gen + 1})
				runtime.Gosched()
			}
			// ...then a pause in which every worker's next request runs
			// within one generation and is checked.
			seen := served.Load()
			for served.Load() < seen+2*workers {
				select {
				case <-done:
					return
				default:
					runtime.Gosched()
				}
			}
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range perWorker {
				before := current.Load()
				got := authorNames(t, h)
				after := current.Load()
				served.Add(1)
				if before == after && got != want[before.s] {
					wrong.Add(1)
					t.Errorf("generation %d: got %q, want %q", before.gen, got, want[before.s])
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	swapper.Wait()
	if n := wrong.Load(); n > 0 {
		t.Fatalf("%d of %d requests were answered with another generation's permission", n, workers*perWorker)
	}
}
