package state

import (
	"fmt"

	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/metastore"
)

// ConflictError is returned by Apply when the request's resource_version
// is not the stored one (HTTP 409 "conflict" in Hasura's API).
type ConflictError struct {
	// Referenced is the version the request named.
	Referenced int64
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("metadata resource version referenced (%d) did not match current version", e.Referenced)
}

// Unwrap lets errors.Is(err, metastore.ErrConflict) match.
func (e *ConflictError) Unwrap() error { return metastore.ErrConflict }

// InconsistentError is returned by Apply when the change would add
// inconsistent objects and the caller did not allow them.
type InconsistentError struct {
	// Objects are the newly inconsistent objects.
	Objects []metadata.Inconsistency
	// Replace is true for a whole-document replacement, whose message
	// Hasura words differently.
	Replace bool
}

func (e *InconsistentError) Error() string {
	if e.Replace {
		return "cannot continue due to inconsistent metadata"
	}
	return "cannot continue due to newly found inconsistent metadata"
}
