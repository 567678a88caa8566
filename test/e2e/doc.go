// Package e2e is kubectl-caps' end-to-end suite against a real single-node Kubernetes (kubelet,
// containerd, runc) brought up by test/e2e/run.sh (`make e2e`). The tests carry the build tag
// `e2e`, so `go test ./...` compiles this package without them; see README.md, "End-to-end tests".
//
// Every scenario drives the built plugin through the real kubectl binary on a PATH that holds only
// the plugin's directory and the system directories, and compares what `kubectl caps show`
// reports with ground truth read by `kubectl exec POD -c C -- cat /proc/PID/status`.
package e2e
