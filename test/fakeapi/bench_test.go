package fakeapi

import (
	"context"
	"io"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/remotecommand"
)

// BenchmarkExec is the floor of one exec round trip through client-go against this server on
// this machine (TLS dial, upgrade, streams, status), for comparison with show's per-container
// cost.
func BenchmarkExec(b *testing.B) {
	for _, transport := range []string{"websocket", "spdy"} {
		b.Run(transport, func(b *testing.B) {
			s := Start(b, Options{Exec: Canned(map[string]string{"true": ""})}, Objects(Pods(1, 1))...)
			cfg := s.RESTConfig()
			cs := kubernetes.NewForConfigOrDie(cfg)
			req := cs.CoreV1().RESTClient().Post().Resource("pods").Namespace("scale-0").Name("pod-00000").SubResource("exec").
				VersionedParams(&corev1.PodExecOptions{Container: "c0", Command: []string{"true"}, Stdout: true, Stderr: true}, scheme.ParameterCodec)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var ex remotecommand.Executor
				var err error
				if transport == "websocket" {
					ex, err = remotecommand.NewWebSocketExecutor(cfg, "GET", req.URL().String())
				} else {
					ex, err = remotecommand.NewSPDYExecutor(cfg, "POST", req.URL())
				}
				if err == nil {
					err = ex.StreamWithContext(context.Background(), remotecommand.StreamOptions{Stdout: io.Discard, Stderr: io.Discard})
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
