package cmd

import (
	"strings"
	"testing"
)

func run(args ...string) (int, string, string) {
	var out, errb strings.Builder
	code := Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestHelpForEveryCommand(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"engine", "--help"}, {"operator", "--help"}, {"version"}} {
		code, out, _ := run(args...)
		if code != 0 || out == "" {
			t.Errorf("%v: exit %d, output %q", args, code, out)
		}
	}
	if code, _, errOut := run("frobnicate"); code != 2 || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: %d %q", code, errOut)
	}
}

func TestEngineWithoutDatabaseURLFailsWithOneLine(t *testing.T) {
	t.Setenv("HASURA_GRAPHQL_DATABASE_URL", "")
	code, _, errOut := run("engine")
	if code == 0 {
		t.Fatal("exit code 0")
	}
	if strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "HASURA_GRAPHQL_DATABASE_URL") {
		t.Fatalf("want one line naming the variable, got %q", errOut)
	}
}
