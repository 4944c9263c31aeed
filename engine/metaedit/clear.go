package metaedit

import (
	"github.com/stratagql/strata/engine/apiargs"
	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/metadata"
)

func init() {
	register(globalSpec("clear_metadata", func() Edit { return new(clearMetadata) }))
}

// clearMetadata is clear_metadata: everything goes but the default
// source's connection. Its arguments are not read.
type clearMetadata struct{ apiargs.Ignored }

// Apply implements Edit.
func (*clearMetadata) Apply(md *metadata.Metadata, _ *catalog.Catalog) error {
	fresh := metadata.Empty()
	if def := md.Source(metadata.DefaultSource); def != nil {
		src := fresh.Source(metadata.DefaultSource)
		src.Kind, src.Configuration = def.Kind, def.Configuration
	}
	*md = *fresh
	return nil
}
