package cmd

import (
	"github.com/stratagql/strata/engine/app"
	"github.com/stratagql/strata/internal/enginereport"
)

// engineOptions are what `strata engine` adds to the engine: with
// --metadata-configmap, the report of what it serves on its GraphQLEngine's
// status (the engine itself knows nothing of the API types).
var engineOptions = []app.Option{app.WithBackground(enginereport.Run)}
