package app

import (
	"context"

	"github.com/stratagql/strata/engine/changefeed"
	"github.com/stratagql/strata/engine/graphql"
	"github.com/stratagql/strata/engine/live"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/state"
)

// startSubscriptions starts the live-query runtime for gh's schema and, when
// configured, the change feed that wakes it: both run until ctx ends. Every
// metadata change re-validates the open subscriptions and re-syncs the
// feed's triggers with the tracked tables.
func (e *Engine) startSubscriptions(ctx context.Context, gh *graphql.Handler, mgr *state.Manager) *live.Manager {
	cfg, log := e.cfg, e.log
	lm := &live.Manager{
		Handler:               gh,
		Pool:                  e.pool,
		RefetchInterval:       cfg.LiveQueriesRefetchInterval,
		BatchSize:             cfg.LiveQueriesBatchSize,
		StreamRefetchInterval: cfg.StreamingQueriesRefetchInterval,
		StreamBatchSize:       cfg.StreamingQueriesBatchSize,
		StatementTimeout:      cfg.StatementTimeout,
		Logger:                log,
	}
	var feed *changefeed.Feed
	if cfg.ChangeFeed {
		feed = changefeed.New(e.pool, log)
		lm.Changes = feed // only a non-nil feed: a nil *Feed in the interface would not be nil
		e.bg.Go(func() {
			if err := feed.Run(ctx); err != nil && ctx.Err() == nil {
				log.Error("change feed stopped", "error", err)
			}
		})
	}
	e.bg.Go(func() {
		if err := lm.Run(ctx); err != nil && ctx.Err() == nil {
			log.Error("subscriptions stopped", "error", err)
		}
	})
	changes, done := mgr.Subscribe()
	e.bg.Go(func() {
		defer done()
		syncFeed := func() {
			if feed == nil {
				return
			}
			if err := feed.Sync(ctx, trackedTables(mgr.Current())); err != nil && ctx.Err() == nil {
				log.Warn("change feed: cannot install the change triggers; subscriptions on the tables concerned refetch at the refetch interval", "error", err)
			}
		}
		syncFeed()
		for {
			select {
			case <-ctx.Done():
				return
			case <-changes:
				lm.SchemaChanged()
				syncFeed()
			}
		}
	})
	return lm
}

// trackedTables are the tables and views the snapshot's metadata tracks in
// the default source.
func trackedTables(s *state.Snapshot) []metadata.QualifiedTable {
	if s == nil || s.Metadata == nil {
		return nil
	}
	src := s.Metadata.Source(metadata.DefaultSource)
	if src == nil {
		return nil
	}
	out := make([]metadata.QualifiedTable, len(src.Tables))
	for i, t := range src.Tables {
		out[i] = t.Table
	}
	return out
}
