// Command localcluster runs a local Kubernetes cluster (package
// test/localcluster) until it receives SIGINT or SIGTERM. `make dev-cluster`
// starts it in the background.
//
//	localcluster --state-dir bin/dev-cluster --bin-dir bin/k8s/1.37.2 \
//	  --strata bin/strata --crd-dir config/crd/bases
//
// Once the cluster is ready it writes STATE/ready (the kubeconfig path) and
// logs where everything is; on a start failure it exits 1 with the failing
// component's log tail.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/stratagql/strata/test/localcluster"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "localcluster:", err)
		os.Exit(1)
	}
}

func run() error {
	var o localcluster.Options
	var podCIDR string
	flag.StringVar(&o.StateDir, "state-dir", "bin/dev-cluster", "directory for certificates, data, logs and pods")
	flag.StringVar(&o.BinDir, "bin-dir", "bin/k8s/1.37.2", "directory of etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kubectl")
	flag.StringVar(&o.StrataBin, "strata", "bin/strata", "strata binary: the operator and the pods' /strata command (empty: no operator)")
	flag.StringVar(&o.CRDDir, "crd-dir", "config/crd/bases", "CRDs applied before the operator starts (empty: none)")
	flag.StringVar(&podCIDR, "pod-cidr", "127.100.0.0/24", "loopback range pods listen on (outside 127.0.0.0/16)")
	flag.Parse()
	var err error
	if o.PodCIDR, err = netip.ParsePrefix(podCIDR); err != nil {
		return fmt.Errorf("--pod-cidr: %w", err)
	}
	if o.StrataBin != "" {
		if o.StrataBin, err = filepath.Abs(o.StrataBin); err != nil {
			return fmt.Errorf("--strata: %w", err)
		}
	}
	o.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c, err := localcluster.Start(ctx, o)
	if err != nil {
		return err
	}
	defer c.Stop()
	ready := filepath.Join(c.StateDir, "ready")
	if err := os.WriteFile(ready, []byte(c.KubeconfigPath+"\n"), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", ready, err)
	}
	defer os.Remove(ready)
	o.Log.Info("running; SIGINT or SIGTERM stops the cluster", "kubeconfig", c.KubeconfigPath, "logs", filepath.Join(c.StateDir, "logs"))
	<-ctx.Done()
	return nil
}
