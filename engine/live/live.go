// Package live runs GraphQL subscriptions: live queries and streaming
// subscriptions, multiplexed so that subscribers whose operations compile to
// the same SQL share one statement per refetch, refetched when a table they
// read changed (or at a fallback interval), and kept running across
// metadata changes.
package live

import (
	"encoding/json"

	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/metadata"
)

// Sink receives one subscription's results; the transport implements it.
type Sink interface {
	// Next delivers a new result as a GraphQL response body ({"data":...},
	// or {"errors":[...]} for an execution error on one refetch, after
	// which the subscription goes on). It must not block.
	Next(payload json.RawMessage)
	// End ends the subscription from the engine's side: err is non-nil
	// when the subscription is no longer valid (its field was removed by a
	// metadata change, say), and the transport sends the protocol's error
	// and completion.
	End(err *hasuraerr.Error)
}

// Changes tells which tables changed (package changefeed implements it).
type Changes interface {
	// Watch returns a channel that receives a signal (buffered, never
	// blocking the sender) whenever one of tables may have changed, and a
	// function that stops the watch.
	Watch(tables []metadata.QualifiedTable) (wake <-chan struct{}, cancel func())
}
