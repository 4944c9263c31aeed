package controllers_test

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/stratagql/strata/internal/operator"
)

// The suite runs a real kube-apiserver and etcd (envtest) with Strata's CRDs
// from config/crd/bases, and the operator's manager from internal/operator
// with every controller. Everything binds to 127.0.0.1. There is no
// kube-controller-manager: Deployments get no pods and nothing is garbage
// collected, so tests drive Deployment status themselves where needed.

const testImage = "example.com/strata-engine:test"

// metadataPartBytes is the ConfigMap part size of the suite's operator.
const metadataPartBytes = 16 << 10

var (
	testEnv   *envtest.Environment
	cfg       *rest.Config
	scheme    *runtime.Scheme
	k8s       client.Client // direct, uncached client for assertions
	mgr       ctrl.Manager
	probeAddr string
	ctx       context.Context
	cancel    context.CancelFunc
)

func TestControllers(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Controllers Suite")
}

// envtestAssets returns the envtest binaries directory: KUBEBUILDER_ASSETS,
// or the one `make envtest` builds.
func envtestAssets() string {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir
	}
	matches, _ := filepath.Glob(filepath.Join("..", "bin", "k8s", "*", "kube-apiserver"))
	if len(matches) == 0 {
		return ""
	}
	return filepath.Dir(matches[len(matches)-1])
}

// freeLocalAddr returns a 127.0.0.1 address with a port free right now.
func freeLocalAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	defer l.Close()
	return l.Addr().String()
}

var _ = BeforeSuite(func() {
	logf.SetLogger(logr.FromSlogHandler(slog.NewTextHandler(GinkgoWriter, &slog.HandlerOptions{Level: slog.LevelInfo})))
	SetDefaultEventuallyTimeout(20 * time.Second)
	SetDefaultEventuallyPollingInterval(100 * time.Millisecond)
	SetDefaultConsistentlyDuration(time.Second)

	assets := envtestAssets()
	if assets == "" {
		Skip("no envtest binaries: run `make envtest` or set KUBEBUILDER_ASSETS")
	}
	ctx, cancel = context.WithCancel(context.Background())
	testEnv = &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	var err error
	cfg, err = testEnv.Start()
	Expect(err).NotTo(HaveOccurred())

	scheme, err = operator.NewScheme()
	Expect(err).NotTo(HaveOccurred())
	k8s, err = client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())

	probeAddr = freeLocalAddr()
	mgr, err = operator.NewManager(cfg, operator.Options{
		MetricsAddr: "0",
		ProbeAddr:   probeAddr,
		EngineImage: testImage,
		// Small ConfigMap parts, so that a few Tables make metadata that
		// has to be split.
		MaxConfigMapBytes: metadataPartBytes,
	})
	Expect(err).NotTo(HaveOccurred())
	go func() {
		defer GinkgoRecover()
		Expect(mgr.Start(ctx)).To(Succeed())
	}()
	Expect(mgr.GetCache().WaitForCacheSync(ctx)).To(BeTrue())
})

var _ = AfterSuite(func() {
	if cancel != nil {
		cancel()
	}
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
})

// newNamespace creates a namespace for one test, so tests do not interfere.
func newNamespace() string {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "test-"}}
	Expect(k8s.Create(ctx, ns)).To(Succeed())
	return ns.Name
}
