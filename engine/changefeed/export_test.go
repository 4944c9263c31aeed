package changefeed

import "github.com/stratagql/strata/engine/metadata"

// Installed reports whether f knows every trigger of t to be in place (its
// watchers have then had the install's wake-up).
func Installed(f *Feed, t metadata.QualifiedTable) bool {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.installed[t]
}
