// Package changefeed tells which tracked tables may have changed, using
// PostgreSQL itself: statement-level triggers call one function in
// hdb_catalog that pg_notifies the changed table's name, and Run LISTENs on
// a dedicated connection and wakes the watchers of that table.
//
// Which tables get triggers. Sync records the tracked tables and views;
// Watch (a subscription starting to read some of them) has Run install the
// triggers of those that lack them, in the background, and then wakes their
// watchers once. A tracked table nobody has watched gets no trigger, and
// until its triggers are in place, its readers rely on their fallback
// interval. Once installed, a table's triggers stay while it is tracked,
// even when nobody watches it any more (another engine on the same database
// may serve its subscribers); Sync drops them when the table is untracked.
//
// What a notification means. After a transaction that inserted, updated,
// deleted or truncated rows of an observed table commits, every Feed
// listening on the database wakes the watchers of that table once
// (PostgreSQL de-duplicates identical notifications within a transaction,
// and delivers them only at commit; a rolled-back transaction notifies
// nobody). A wake-up says "may have changed": a statement that touched no
// row still notifies.
//
// Views and partitions. A watched view gets its triggers on the tables it
// reads (found through pg_depend, recursively through views it reads); they
// notify the view's name. A watched partitioned (or inheritance parent)
// table gets triggers on itself and on every partition or child, since a
// statement-level trigger only fires for statements naming its own table;
// they notify the parent's name. Likewise a watched partition or child
// gets triggers on its ancestors, which writes to it can go through.
// Materialized views and foreign tables cannot
// be observed this way (nor tables read only through functions a view
// calls): their readers rely on the fallback refetch interval. A partition
// attached after the last Sync is observed from the next Sync on.
//
// Cost. Only the tables that have been watched pay: every write statement
// on such a table runs the trigger and, at commit, sends one notification
// per watched name it serves, whether or not anybody still watches it. A
// tracked table that was never watched costs nothing: a write to it runs
// no trigger at all (BenchmarkInsertCost measures it as a table without
// any trigger). The trigger call itself is negligible; the notification
// is not: PostgreSQL writes it to a queue shared by the whole server at
// commit, under a lock that serialises the commits of all notifying
// transactions. On a 2-core machine a lone client's one-row INSERT went from
// about 0.21-0.31 ms to 0.23-0.49 ms, and four concurrent clients'
// throughput fell by about half (BenchmarkInsertCost and pgbench; measure
// your own with `go test -run '^$' -bench InsertCost ./engine/changefeed/`).
//
// Removing the triggers. Untracking a table drops its triggers at the next
// Sync. To stop installing triggers altogether, turn the feed off
// (STRATA_CHANGE_FEED=false: subscriptions then refetch at their interval
// only); the triggers installed before stay until dropped, which this SQL
// does (run it once every engine on the database has the feed off, or one
// still on installs them again when its tables are watched):
//
//	DO $$
//	DECLARE r record;
//	BEGIN
//	  FOR r IN SELECT tgrelid::regclass AS rel, tgname FROM pg_trigger
//	           WHERE NOT tgisinternal AND starts_with(tgname, 'strata_changefeed_') LOOP
//	    EXECUTE format('DROP TRIGGER %I ON %s', r.tgname, r.rel);
//	  END LOOP;
//	END $$;
//	DROP FUNCTION IF EXISTS hdb_catalog.strata_notify_table_changed();
//
// Writes that fire no trigger go unnoticed until the fallback interval:
// changes applied by logical replication (its workers run with
// session_replication_role = replica, which skips ordinary triggers), and
// anything else run in that mode. LISTEN needs a session of its own: behind
// PgBouncer in transaction mode, or on a hot standby, Run cannot listen
// (it keeps retrying and logging), and readers rely on the fallback.
//
// Wake-ups after a gap. Each time the LISTEN connection is (re)established,
// every watcher is woken once, because changes made while nobody listened
// were not notified to this Feed.
package changefeed

import (
	"encoding/json"
	"log/slog"
	"slices"
	"sync"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stratagql/strata/engine/metadata"
)

// Channel is the PostgreSQL NOTIFY channel the triggers notify; the payload
// is the JSON array [schema, name] of the tracked table or view that may
// have changed.
const Channel = "strata_table_changed"

// Feed installs the change triggers (Sync, and lazily for the tables
// somebody watches), listens for their notifications (Run) and wakes the
// watchers of the changed tables (Watch). It satisfies live.Changes. The
// zero value is not usable; call New.
type Feed struct {
	pool *pgxpool.Pool
	log  *slog.Logger

	// kick tells the installer (run by Run) that pending has work.
	kick chan struct{}
	// ddlMu serialises Sync and the installer, the only writers of
	// targets and installed.
	ddlMu sync.Mutex

	mu       sync.RWMutex
	watchers map[metadata.QualifiedTable]map[*watcher]struct{}
	// targets maps each tracked table or view (as of the last Sync) to the
	// triggers that observe it (none for one that cannot be observed).
	targets map[metadata.QualifiedTable][]trigger
	// installed holds the targets whose triggers are all in place.
	installed map[metadata.QualifiedTable]bool
	// pending holds the watched targets waiting for the installer.
	pending map[metadata.QualifiedTable]bool
}

type watcher struct {
	ch chan struct{}
}

// signal wakes the watcher without blocking; a pending wake-up absorbs
// this one.
func (w *watcher) signal() {
	select {
	case w.ch <- struct{}{}:
	default:
	}
}

// New returns a Feed on pool's database; log nil means slog.Default().
func New(pool *pgxpool.Pool, log *slog.Logger) *Feed {
	if log == nil {
		log = slog.Default()
	}
	return &Feed{
		pool:      pool,
		log:       log,
		kick:      make(chan struct{}, 1),
		watchers:  map[metadata.QualifiedTable]map[*watcher]struct{}{},
		targets:   map[metadata.QualifiedTable][]trigger{},
		installed: map[metadata.QualifiedTable]bool{},
		pending:   map[metadata.QualifiedTable]bool{},
	}
}

// Watch returns a channel (buffered, capacity 1) that receives a signal
// whenever one of tables may have changed, and a function that ends the
// watch (idempotent; the channel is not closed, it just receives nothing
// more). Signals never block the feed: wake-ups that arrive while one is
// pending are merged into it.
//
// A table tracked as of the last Sync whose triggers are not in place yet
// gets them from Run's installer, in the background (Watch itself does no
// I/O); once they are, its watchers are woken once, since writes made
// before went unnoticed. Until then, and for a table that is not tracked,
// only the readers' fallback interval notices changes.
func (f *Feed) Watch(tables []metadata.QualifiedTable) (<-chan struct{}, func()) {
	w := &watcher{ch: make(chan struct{}, 1)}
	tables = slices.Clone(tables) // cancel reads them after the caller may have reused its slice
	kick := false
	f.mu.Lock()
	for _, t := range tables {
		set := f.watchers[t]
		if set == nil {
			set = map[*watcher]struct{}{}
			f.watchers[t] = set
		}
		set[w] = struct{}{}
		if _, tracked := f.targets[t]; tracked && !f.installed[t] && !f.pending[t] {
			f.pending[t] = true
			kick = true
		}
	}
	f.mu.Unlock()
	if kick {
		select {
		case f.kick <- struct{}{}:
		default:
		}
	}
	var once sync.Once
	cancel := func() {
		once.Do(func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			for _, t := range tables {
				if set := f.watchers[t]; set != nil {
					delete(set, w)
					if len(set) == 0 {
						delete(f.watchers, t)
					}
				}
			}
		})
	}
	return w.ch, cancel
}

// wake signals the watchers of t.
func (f *Feed) wake(t metadata.QualifiedTable) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	for w := range f.watchers[t] {
		w.signal()
	}
}

// wakeAll signals every watcher (once, even one watching several tables).
func (f *Feed) wakeAll() {
	f.mu.RLock()
	defer f.mu.RUnlock()
	for _, set := range f.watchers {
		for w := range set {
			w.signal()
		}
	}
}

// payload renders the notification payload naming t: PostgreSQL's
// identifiers have at most 63 bytes, so it stays far below pg_notify's limit
// of 8000 bytes even when JSON escapes every byte.
func payload(t metadata.QualifiedTable) string {
	b, _ := json.Marshal([]string{t.Schema, t.Name})
	return string(b)
}

// parsePayload reads a notification payload; ok is false for one this
// package did not send.
func parsePayload(s string) (t metadata.QualifiedTable, ok bool) {
	var parts []string
	if err := json.Unmarshal([]byte(s), &parts); err != nil || len(parts) != 2 {
		return metadata.QualifiedTable{}, false
	}
	return metadata.QualifiedTable{Schema: parts[0], Name: parts[1]}, true
}
