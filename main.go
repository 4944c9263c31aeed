// Command strata is the single Strata binary: the GraphQL engine
// (`strata engine`), the Kubernetes operator (`strata operator`) and tools.
package main

import (
	"os"

	"github.com/stratagql/strata/internal/cmd"
)

func main() {
	os.Exit(cmd.Main(os.Args[1:], os.Stdout, os.Stderr))
}
