package execreader

import (
	"context"
	"fmt"
	"os"
	"testing"

	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-caps/kubectl-caps/plugin/scan"
	"github.com/kubectl-caps/kubectl-caps/test/fakeapi"
)

// BenchmarkCollectRemote is the per-container cost of a scan on the client side: the real
// RemoteExecutor (WebSocket exec through client-go) against test/fakeapi answering at once with
// the real probe output of a default container, then parsing. ns/op is per container.
func BenchmarkCollectRemote(b *testing.B) {
	probeOut, err := os.ReadFile("../../test/bench/scale/testdata/probe-default-container.txt")
	if err != nil {
		b.Fatal(err)
	}
	pods := fakeapi.Pods(100, 2)
	s := fakeapi.Start(b, fakeapi.Options{Exec: fakeapi.Canned(map[string]string{"/bin/sh": string(probeOut)})},
		fakeapi.Objects(pods)...)
	cfg := s.RESTConfig()
	cs := kubernetes.NewForConfigOrDie(cfg)
	c := &Reader{Exec: &RemoteExecutor{Config: cfg, Client: cs.CoreV1().RESTClient()}, Concurrency: DefaultConcurrency}
	targets := make([]scan.Target, b.N)
	for i := range targets {
		p := pods[i%len(pods)]
		targets[i] = scan.Target{Namespace: p.Namespace, Pod: p.Name, Container: fmt.Sprintf("c%d", i%2)}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for _, r := range c.Read(context.Background(), targets, nil) {
		if r.Err != nil {
			b.Fatal(r.Err)
		}
	}
}

// BenchmarkCollectRemoteResumed is BenchmarkCollectRemote with the TLS session cache show uses
// (ResumeTLSSessions): the difference is what resuming saves per exec, on both sides.
func BenchmarkCollectRemoteResumed(b *testing.B) {
	probeOut, err := os.ReadFile("../../test/bench/scale/testdata/probe-default-container.txt")
	if err != nil {
		b.Fatal(err)
	}
	pods := fakeapi.Pods(100, 2)
	s := fakeapi.Start(b, fakeapi.Options{Exec: fakeapi.Canned(map[string]string{"/bin/sh": string(probeOut)})},
		fakeapi.Objects(pods)...)
	cfg := s.RESTConfig()
	cs := kubernetes.NewForConfigOrDie(cfg)
	c := &Reader{Exec: &RemoteExecutor{Config: ResumeTLSSessions(cfg), Client: cs.CoreV1().RESTClient()}, Concurrency: DefaultConcurrency}
	targets := make([]scan.Target, b.N)
	for i := range targets {
		p := pods[i%len(pods)]
		targets[i] = scan.Target{Namespace: p.Namespace, Pod: p.Name, Container: fmt.Sprintf("c%d", i%2)}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for _, r := range c.Read(context.Background(), targets, nil) {
		if r.Err != nil {
			b.Fatal(r.Err)
		}
	}
}
