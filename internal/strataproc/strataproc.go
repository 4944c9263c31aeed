// Package strataproc runs the strata binary's engine as a child process,
// for tests and benchmarks that drive the real binary: on a loopback port,
// with an environment cleared of HASURA_GRAPHQL_*, STRATA_* and PG*
// variables (so the caller's shell does not leak into the run), until its
// /healthz answers; Stop sends SIGTERM and kills it after a grace period.
package strataproc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Options say how to run the engine.
type Options struct {
	// Bin is the strata binary; DatabaseURL the database it serves.
	Bin, DatabaseURL string
	// Port is the loopback port to listen on; 0 picks a free one.
	Port int
	// Args are more `strata engine` flags; Env more environment variables
	// (KEY=value).
	Args, Env []string
	// Output receives the engine's stdout and stderr; nil discards them.
	Output io.Writer
	// ReadyTimeout bounds the wait for /healthz (default 30 s).
	ReadyTimeout time.Duration
}

// Engine is a running engine process.
type Engine struct {
	// URL is where it serves: http://127.0.0.1:PORT.
	URL string
	// Port is its port.
	Port int

	cmd    *exec.Cmd
	exited chan struct{}
	err    error // the exit status, once exited is closed
}

// Start runs the engine and waits until /healthz answers 200. An engine
// that exits or does not get ready in time is an error (and is stopped).
func Start(ctx context.Context, o Options) (*Engine, error) {
	port := o.Port
	if port == 0 {
		p, err := FreePort()
		if err != nil {
			return nil, err
		}
		port = p
	}
	args := append([]string{"engine", "--database-url", o.DatabaseURL,
		"--server-host", "127.0.0.1", "--server-port", strconv.Itoa(port)}, o.Args...)
	cmd := exec.Command(o.Bin, args...)
	cmd.Env = append(cleanEnv(), o.Env...)
	cmd.Stdout, cmd.Stderr = o.Output, o.Output
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", o.Bin, err)
	}
	e := &Engine{URL: "http://127.0.0.1:" + strconv.Itoa(port), Port: port, cmd: cmd, exited: make(chan struct{})}
	go func() { e.err = cmd.Wait(); close(e.exited) }()
	timeout := o.ReadyTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	if err := e.waitReady(ctx, timeout); err != nil {
		_ = e.Stop(5 * time.Second)
		return nil, err
	}
	return e, nil
}

func (e *Engine) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if resp, err := http.Get(e.URL + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-e.exited:
			return fmt.Errorf("the engine exited while starting: %v", e.err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the engine did not answer /healthz within %s", timeout)
		}
	}
}

// PID is the engine's process id.
func (e *Engine) PID() int { return e.cmd.Process.Pid }

// Exited is closed when the process has exited.
func (e *Engine) Exited() <-chan struct{} { return e.exited }

// ErrKilled is Stop's error when the engine had to be killed.
var ErrKilled = errors.New("the engine did not stop after SIGTERM and was killed")

// Stop sends SIGTERM and waits for the process to exit, killing it after
// grace; it returns the exit status (nil for a clean exit), or ErrKilled.
// Calling it again returns the same status.
func (e *Engine) Stop(grace time.Duration) error {
	select {
	case <-e.exited:
		return e.err
	default:
	}
	_ = e.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-e.exited:
		return e.err
	case <-time.After(grace):
		_ = e.cmd.Process.Kill()
		<-e.exited
		return ErrKilled
	}
}

// FreePort returns a loopback port nothing listens on now.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// cleanEnv is this process's environment without the variables that
// configure an engine or libpq.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HASURA_GRAPHQL_") && !strings.HasPrefix(kv, "STRATA_") && !strings.HasPrefix(kv, "PG") {
			out = append(out, kv)
		}
	}
	return out
}
