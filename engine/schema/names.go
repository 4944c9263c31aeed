package schema

import (
	"github.com/stratagql/strata/engine/metadata"
)

// IsGraphQLName reports whether s is a valid GraphQL name
// (/[_A-Za-z][_0-9A-Za-z]*/).
func IsGraphQLName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// displayName renders a table as Hasura does in descriptions and
// messages: the bare name in schema public, schema.name elsewhere.
func displayName(q metadata.QualifiedTable) string { return q.Display() }

// defaultTypeName is the GraphQL name of a table without custom_name:
// the table name in schema public, schema_name elsewhere.
func defaultTypeName(q metadata.QualifiedTable) string {
	if q.Schema == "public" {
		return q.Name
	}
	return q.Schema + "_" + q.Name
}
