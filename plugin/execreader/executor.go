// Package execreader reads containers over the pod exec API: one exec per running container of
// the constant probe commands (package probe), with fallbacks for images without a shell, bounds
// on time and bytes, and a look at the pod again to explain a container that vanished. What it
// returns is parsed, bounded data; the image's own binaries produced it, so it is only as honest
// as the image.
package execreader

import (
	"context"
	"io"
	"net/url"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/streaming/pkg/httpstream"
)

// Executor runs one command in one container. The interface exists so the reader's scheduling
// and fallback logic can be unit-tested; the command tests use the real RemoteExecutor against a
// server speaking the real streaming protocol.
type Executor interface {
	Exec(ctx context.Context, namespace, pod, container string, command []string, stdout, stderr io.Writer) error
}

// RemoteExecutor execs through the API server exactly as `kubectl exec` does: WebSocket
// (v5.channel.k8s.io) first, SPDY when the upgrade fails.
type RemoteExecutor struct {
	Config *rest.Config
	Client rest.Interface // CoreV1 REST client
}

func (e *RemoteExecutor) Exec(ctx context.Context, namespace, pod, container string, command []string, stdout, stderr io.Writer) error {
	req := e.Client.Post().Resource("pods").Namespace(namespace).Name(pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{
			Container: container,
			Command:   command,
			Stdout:    true,
			Stderr:    true,
		}, scheme.ParameterCodec)
	exec, err := newExecutor(req.URL(), e.Config)
	if err != nil {
		return err
	}
	return exec.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: stdout, Stderr: stderr})
}

func newExecutor(u *url.URL, config *rest.Config) (remotecommand.Executor, error) {
	spdy, err := remotecommand.NewSPDYExecutor(config, "POST", u)
	if err != nil {
		return nil, err
	}
	// WebSocket executors must use GET (RFC 6455 4.1).
	ws, err := remotecommand.NewWebSocketExecutor(config, "GET", u.String())
	if err != nil {
		return nil, err
	}
	return remotecommand.NewFallbackExecutor(ws, spdy, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
}
