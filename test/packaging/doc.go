// Package packaging tests how Strata is delivered to a cluster: the Helm
// chart (charts/strata), the kustomize configuration (config/default), the
// Argo CD health checks (config/argocd) and the pages documenting them.
//
// The Argo CD health scripts are run with gopher-lua, the Lua runtime of
// Argo CD, against status objects the real operator wrote on the local
// cluster of test/e2e: testdata/status holds a copy of what `make test-e2e`
// writes into $STRATA_E2E_CAPTURE_DIR (copy them again after changing
// the statuses), and the tests also read that directory when it is set,
// as .ci/run does after the end-to-end run. Those tests, and
// the checks that the chart's CRDs and RBAC match config/, always run.
//
// The tests that run helm, kustomize and kubectl against a real
// kube-apiserver (envtest) skip unless STRATA_E2E=1, and then fail when a
// tool is missing: `make test-packaging` builds the tools and sets HELM,
// KUSTOMIZE, KUBECTL and KUBEBUILDER_ASSETS.
package packaging
