// Package clients_test checks Strata's subscriptions with the real npm
// clients (graphql-ws, subscriptions-transport-ws): check.mjs subscribes
// with each to an engine started from bin/strata on the demo catalogue,
// makes changes over HTTP and checks that both receive the initial result
// and every change, then across an engine restart that they reconnect by
// themselves and start over with the initial result.
//
// It runs under `make test-clients` (npm ci, then this test); plain
// `go test ./...` skips it unless node and test/clients/node_modules are
// there.
package clients_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stratagql/strata/internal/strataproc"
	"github.com/stratagql/strata/internal/testdb"
)

func TestNPMClientsReceiveEveryChange(t *testing.T) {
	skip := t.Skipf
	if os.Getenv("STRATA_CLIENTS_REQUIRED") != "" {
		// make test-clients: what is missing is a failure, not a skip.
		skip = t.Fatalf
	}
	node, err := exec.LookPath("node")
	if err != nil {
		skip("node is not installed: the npm client check needs it (make test-clients)")
	}
	if _, err := os.Stat("node_modules"); err != nil {
		skip("test/clients/node_modules is missing: run `make test-clients` (npm ci, then this test)")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	strata := os.Getenv("STRATA_BIN")
	if strata == "" {
		strata = filepath.Join(root, "bin", "strata")
	}
	if _, err := os.Stat(strata); err != nil {
		skip("no engine binary at %s: run `make test-clients` (it builds bin/strata) or set STRATA_BIN", strata)
	}
	demo, err := os.ReadFile(filepath.Join(root, "hack", "demo.sql"))
	if err != nil {
		t.Fatal(err)
	}
	meta, err := os.ReadFile(filepath.Join(root, "hack", "demo-metadata.json"))
	if err != nil {
		t.Fatal(err)
	}
	dbURL := testdb.New(t, string(demo))
	port, err := strataproc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)

	e := startEngine(t, strata, dbURL, port)
	resp, err := http.Post(base+"/v1/metadata", "application/json",
		strings.NewReader(`{"type":"replace_metadata","args":`+string(meta)+`}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("replace_metadata: %d %s", resp.StatusCode, body)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "check.mjs", base, "--restart")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		out = append(out, line)
		t.Log(line)
		if line == "RESTART" {
			// The engine goes away (closing the sockets with 1001) and
			// comes back on the same address; the clients must find it.
			e.stop(t)
			e = startEngine(t, strata, dbURL, port)
			fmt.Fprintln(stdin, "go")
		}
	}
	err = cmd.Wait()
	if s := stderr.String(); s != "" {
		t.Log(s)
	}
	if err != nil || len(out) == 0 || out[len(out)-1] != "OK" {
		t.Fatalf("check.mjs: %v\n%s", err, e.logs())
	}
}

// engine is a `strata engine` process whose output is kept for failures.
type engine struct {
	*strataproc.Engine
	log *syncBuffer
}

// syncBuffer collects the engine's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// logs is the engine's output so far.
func (e *engine) logs() string { return e.log.String() }

// startEngine runs strata engine on 127.0.0.1:port and waits until it
// answers /healthz; the test's cleanup stops it.
func startEngine(t *testing.T, strata, dbURL string, port int) *engine {
	t.Helper()
	log := &syncBuffer{}
	p, err := strataproc.Start(context.Background(), strataproc.Options{Bin: strata, DatabaseURL: dbURL, Port: port,
		Args: []string{"--log-format", "text", "--graceful-shutdown-timeout", "5"}, Output: log})
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	e := &engine{Engine: p, log: log}
	t.Cleanup(func() { e.stop(t) })
	return e
}

// stop sends SIGTERM and waits for the engine to exit (SIGKILL after 15 s);
// a second call reports nothing new.
func (e *engine) stop(t *testing.T) {
	t.Helper()
	select {
	case <-e.Exited():
		return
	default:
	}
	if err := e.Stop(15 * time.Second); err != nil {
		t.Errorf("engine exit: %v\n%s", err, e.logs())
	}
}
