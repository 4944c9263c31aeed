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
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

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
	port := freePort(t)
	base := "http://127.0.0.1:" + port

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

// engine is a `strata engine` process.
type engine struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	log  bytes.Buffer
	done chan error // the exit status, once
	once sync.Once
}

// Write collects the engine's output (shown when the test fails).
func (e *engine) Write(p []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.log.Write(p)
}

// logs is the engine's output so far.
func (e *engine) logs() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.log.String()
}

// startEngine runs strata engine on 127.0.0.1:port and waits until it
// answers /healthz; the test's cleanup stops it.
func startEngine(t *testing.T, strata, dbURL, port string) *engine {
	t.Helper()
	e := &engine{done: make(chan error, 1)}
	e.cmd = exec.Command(strata, "engine", "--database-url", dbURL, "--server-host", "127.0.0.1",
		"--server-port", port, "--log-format", "text", "--graceful-shutdown-timeout", "5")
	e.cmd.Stdout, e.cmd.Stderr = e, e
	if err := e.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { e.done <- e.cmd.Wait() }()
	t.Cleanup(func() { e.stop(t) })
	for deadline := time.Now().Add(30 * time.Second); ; {
		if resp, err := http.Get("http://127.0.0.1:" + port + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return e
			}
		}
		select {
		case err := <-e.done:
			e.once.Do(func() {})
			t.Fatalf("engine exited: %v\n%s", err, e.logs())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("engine not healthy within 30 s\n%s", e.logs())
		}
	}
}

// stop sends SIGTERM and waits for the engine to exit (SIGKILL after 15 s).
// Only the first call does anything.
func (e *engine) stop(t *testing.T) {
	t.Helper()
	e.once.Do(func() {
		_ = e.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-e.done:
			if err != nil {
				t.Errorf("engine exit: %v\n%s", err, e.logs())
			}
		case <-time.After(15 * time.Second):
			_ = e.cmd.Process.Kill()
			<-e.done
			t.Errorf("engine did not stop within 15 s of SIGTERM\n%s", e.logs())
		}
	})
}

// freePort returns a loopback port nothing listens on.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}
