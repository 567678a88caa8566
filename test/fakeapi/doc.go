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
// Pods can also be created, watched, deleted and their log read (pods.go): with Options.RunPod a
// created pod lives as the kubelet would run it (pending, running or waiting for an image,
// terminated with an exit code and a log, failed at its activeDeadlineSeconds), which is how the
// node agent's pod lifecycle is tested and benchmarked; Options.Admit stands in for admission
// (Pod Security). That simulation is the mock: no container runs.
//
// It is a stand-in only for the API server and kubelet, which cannot run in a unit test; every
// client-side component (kubectl, client-go, the plugin) is the real one. It does not implement
// other writes, watches of other resources, Table output or protobuf: clients asking for those
// get JSON or a clear error.
package fakeapi
