package cmd

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"

	"github.com/kubectl-caps/kubectl-caps/plugin/execreader"
	"github.com/kubectl-caps/kubectl-caps/plugin/scan"
)

// execOptions bound the exec reader (show's --concurrency, --timeout and --max-bytes; zero
// values take the reader's defaults).
type execOptions struct {
	Concurrency int
	Timeout     time.Duration
	MaxBytes    int
}

// newPipeline wires the live pipeline every reading verb shares: the API client and the exec
// reader, which looks at a pod again to explain a container that vanished mid-read.
func newPipeline(f cmdutil.Factory, eo execOptions, container string) (*scan.Pipeline, error) {
	cfg, err := f.ToRESTConfig()
	if err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	reader := &execreader.Reader{
		Exec:        &execreader.RemoteExecutor{Config: execreader.ResumeTLSSessions(cfg), Client: client.CoreV1().RESTClient()},
		Concurrency: eo.Concurrency,
		Timeout:     eo.Timeout,
		MaxBytes:    eo.MaxBytes,
		Recheck: execreader.PodRecheck(func(ctx context.Context, ns, name string) (*corev1.Pod, error) {
			return client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		}),
	}
	return &scan.Pipeline{Client: client, Reader: reader, Container: container}, nil
}
