package schema

import (
	"strings"

	"github.com/vektah/gqlparser/v2/formatter"
)

// SDL prints the GraphQL schema in SDL (types sorted by name, built-in
// types and directives left out), for golden tests and debugging.
func (s *Schema) SDL() string {
	if s == nil || s.GraphQL == nil {
		return ""
	}
	var b strings.Builder
	formatter.NewFormatter(&b, formatter.WithIndent("  ")).FormatSchema(s.GraphQL)
	return b.String()
}
