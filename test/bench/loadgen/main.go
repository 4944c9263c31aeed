// Command loadgen is the benchmark harness's load generator, run as its own
// process so that its CPU use is never counted against a target: it reads a
// load.Spec as JSON on standard input, runs that bounded closed-loop load
// against a loopback URL, and writes the load.Result as JSON on standard
// output.
//
//	echo '{"url":"http://127.0.0.1:8080/v1/graphql","body":"{\"query\":\"{__typename}\"}","clients":16,"warmup":3000000000,"duration":10000000000}' | loadgen
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	"github.com/stratagql/strata/test/bench/internal/load"
)

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(in io.Reader, out io.Writer) error {
	var spec load.Spec
	dec := json.NewDecoder(io.LimitReader(in, 16<<20))
	if err := dec.Decode(&spec); err != nil {
		return fmt.Errorf("read the spec on standard input: %w", err)
	}
	if err := loopbackOnly(spec.URL); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := load.Run(ctx, spec)
	if err != nil {
		return fmt.Errorf("run the load: %w", err)
	}
	if err := json.NewEncoder(out).Encode(res); err != nil {
		return fmt.Errorf("write the result: %w", err)
	}
	return nil
}

// loopbackOnly refuses any target that is not a literal loopback address or
// localhost: the harness only ever loads servers on this machine.
func loopbackOnly(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("target URL %q: %w", raw, err)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("target URL %q: only loopback addresses are allowed", raw)
}
