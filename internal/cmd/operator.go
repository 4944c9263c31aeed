package cmd

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/stratagql/strata/internal/operator"
)

func runOperator(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("strata operator", flag.ContinueOnError)
	fs.SetOutput(stdout)
	var o operator.Options
	var logFormat, logLevel string
	fs.StringVar(&o.MetricsAddr, "metrics-bind-address", ":8080", "address of the metrics endpoint; 0 disables it")
	fs.StringVar(&o.ProbeAddr, "health-probe-bind-address", ":8081", "address of /healthz and /readyz")
	fs.BoolVar(&o.LeaderElection, "leader-elect", false, "elect a leader so only one replica reconciles")
	fs.StringVar(&o.LeaderElectionNS, "leader-election-namespace", "", "namespace of the leader election lease (default: in-cluster namespace)")
	fs.StringVar(&o.EngineImage, "engine-image", "ghcr.io/stratagql/strata:latest", "engine image for GraphQLEngines that name none")
	fs.StringVar(&logFormat, "log-format", "json", "json or text")
	fs.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	fs.Usage = func() {
		fmt.Fprint(stdout, "Usage: strata operator [flags]\n\nRuns the controller manager that reconciles graphql.strata.dev resources.\nIt uses the in-cluster config, or KUBECONFIG outside a cluster.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return fmt.Errorf("invalid --log-level %q: must be debug, info, warn or error", logLevel)
	}
	if logFormat != "json" && logFormat != "text" {
		return fmt.Errorf("invalid --log-format %q: must be json or text", logFormat)
	}
	log := NewLogger(os.Stderr, logFormat, level)
	ctrl.SetLogger(logr.FromSlogHandler(log.Handler()))
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("no Kubernetes API server configured (in-cluster or KUBECONFIG): %w", err)
	}
	mgr, err := operator.NewManager(cfg, o)
	if err != nil {
		return err
	}
	log.Info("starting operator", "metrics", o.MetricsAddr, "probes", o.ProbeAddr, "leaderElection", o.LeaderElection)
	return mgr.Start(ctx)
}
