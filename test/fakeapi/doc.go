// Package fakeapi is a small, real Kubernetes API server for tests and benchmarks.
//
// It is an HTTPS server (net/http/httptest) that kubectl, client-go and the built kubectl-caps
// binary talk to through an ordinary kubeconfig. It serves legacy discovery, /version, and
// GET/LIST of the workload resources kubectl-caps resolves (pods, nodes, namespaces, deployments,
// statefulsets, daemonsets, replicasets, jobs, cronjobs) from an in-memory store the test seeds
// with typed k8s.io/api objects.
//
// The pod exec subresource speaks the real streaming protocols: WebSocket v5.channel.k8s.io and
// v4.channel.k8s.io (k8s.io/streaming wsstream, as the API server does) and SPDY v4.channel.k8s.io
// (k8s.io/streaming spdy, as the kubelet does), with exit codes and failures sent on the error
// stream as metav1.Status exactly as the kubelet sends them. What a command prints is decided per
// test by an ExecFunc: RunLocally really runs it on this machine, the others are canned.
//
// It is a stand-in only for the API server and kubelet, which cannot run in a unit test; every
// client-side component (kubectl, client-go, the plugin) is the real one. It does not implement
// writes, watches, Table output or protobuf: clients asking for those get JSON or a clear error.
package fakeapi
