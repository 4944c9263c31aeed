// Package version holds the build version of the strata binary, stamped at
// link time with -ldflags "-X github.com/stratagql/strata/internal/version.Version=...".
package version

// Version is the release this binary was built from; "dev" for local builds.
var Version = "dev"
