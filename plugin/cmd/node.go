package cmd

import (
	"fmt"
	"io"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"

	"github.com/kubectl-caps/kubectl-caps/plugin/nodereader"
	"github.com/kubectl-caps/kubectl-caps/plugin/scan"
	"github.com/kubectl-caps/kubectl-caps/plugin/termsafe"
)

// Readers a reading verb can use (--via).
const (
	viaExec = "exec"
	viaNode = "node"
)

// nodeOptions configure `--via node` (show's --agent-namespace, --agent-image, --agent-timeout
// and --concurrency).
type nodeOptions struct {
	Namespace   string
	Image       string
	Timeout     time.Duration
	Concurrency int
}

// newNodePipeline wires the live pipeline with the node reader: one agent pod per node, in
// no.Namespace. What the agents could not read is said on errOut as warnings.
func newNodePipeline(f cmdutil.Factory, no nodeOptions, container string, errOut io.Writer) (*scan.Pipeline, error) {
	cfg, err := f.ToRESTConfig()
	if err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	reader := &nodereader.Reader{
		Client: client, Namespace: no.Namespace, Image: no.Image,
		Concurrency: no.Concurrency, Timeout: no.Timeout,
		Warn: func(s string) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintln(errOut, "warning: "+termsafe.Clean(s))
		},
	}
	return &scan.Pipeline{Client: client, Reader: reader, Container: container}, nil
}
