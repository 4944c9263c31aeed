package app

import (
	"context"
	"log/slog"

	"github.com/stratagql/strata/engine/metastore"
	"github.com/stratagql/strata/engine/state"
)

// Option changes how New assembles the engine.
type Option func(*options)

// options are the settings Options change.
type options struct {
	background []Background
}

// Background is work that runs beside an engine once its metadata is loaded,
// given the engine's metadata store, state manager and logger. ctx ends when
// the engine closes, and Close waits for the work to return. It is how a
// caller outside engine/ adds a duty the engine itself must not know of (the
// GraphQLEngine status report of `strata engine --metadata-configmap`, in
// internal/enginereport).
type Background func(ctx context.Context, store metastore.Store, st *state.Manager, log *slog.Logger)

// WithBackground makes New start fn once the metadata is loaded.
func WithBackground(fn Background) Option {
	return func(o *options) { o.background = append(o.background, fn) }
}
