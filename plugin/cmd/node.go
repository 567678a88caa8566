package cmd

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/completion"

	"github.com/kubectl-caps/kubectl-caps/plugin/nodereader"
	"github.com/kubectl-caps/kubectl-caps/plugin/scan"
	"github.com/kubectl-caps/kubectl-caps/plugin/termsafe"
	"github.com/kubectl-caps/kubectl-caps/plugin/version"
)

// AgentOptions are the flags of the agent pods, shared by `show --via node` and `trace`:
// --agent-namespace, --agent-image and --agent-timeout.
type AgentOptions struct {
	Namespace string
	Image     string
	Timeout   time.Duration

	set []string // the flags given on the command line, as "--agent-x"
}

// agentHelp is each verb's wording of the agent flags' help.
type agentHelp struct{ namespace, image, timeout string }

func newAgentOptions() AgentOptions {
	return AgentOptions{Image: version.Get().AgentImage, Timeout: nodereader.DefaultTimeout}
}

func (a *AgentOptions) addFlags(cmd *cobra.Command, f cmdutil.Factory, help agentHelp) {
	cmd.Flags().StringVar(&a.Namespace, "agent-namespace", a.Namespace, help.namespace)
	cmd.Flags().StringVar(&a.Image, "agent-image", a.Image, help.image)
	cmd.Flags().DurationVar(&a.Timeout, "agent-timeout", a.Timeout, help.timeout)
	_ = cmd.RegisterFlagCompletionFunc("agent-namespace", completion.ResourceNameCompletionFunc(f, "namespace"))
}

// complete records which agent flags were given and defaults the namespace to the current one.
func (a *AgentOptions) complete(cmd *cobra.Command, currentNamespace string) {
	a.set = a.set[:0]
	for _, name := range []string{"agent-namespace", "agent-image", "agent-timeout"} {
		if cmd.Flags().Changed(name) {
			a.set = append(a.set, "--"+name)
		}
	}
	if a.Namespace == "" {
		a.Namespace = currentNamespace
	}
}

func (a *AgentOptions) validate() error {
	if a.Image == "" {
		return fmt.Errorf("--agent-image must name an image")
	}
	if a.Timeout <= 0 {
		return fmt.Errorf("--agent-timeout must be positive")
	}
	return nil
}

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

// nodeReaderLimits sizes the client-side rate limiter for the node reader: each agent costs four
// requests (create, watch, log, delete) within its start and reading time, so with C agents in
// flight that start in about half a second the reader needs about 8×C requests a second. Show's
// default of 50 a second would make a 1,000-node scan wait on the client (measured: 1.60× the
// ideal instead of 1.07×); the API server's priority and fairness still protects the server. A
// limiter turned off (negative QPS) stays off.
func nodeReaderLimits(cfg *rest.Config, concurrency int) *rest.Config {
	if concurrency <= 0 {
		concurrency = nodereader.DefaultConcurrency
	}
	c := rest.CopyConfig(cfg)
	if c.QPS >= 0 && c.QPS < float32(10*concurrency) {
		c.QPS = float32(10 * concurrency)
	}
	if c.Burst < 20*concurrency {
		c.Burst = 20 * concurrency
	}
	return c
}

// newNodePipeline wires the live pipeline with the node reader: one agent pod per node, in
// no.Namespace. What the agents could not read is said on errOut as warnings.
func newNodePipeline(f cmdutil.Factory, no nodeOptions, container string, errOut io.Writer) (*scan.Pipeline, error) {
	cfg, err := f.ToRESTConfig()
	if err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(nodeReaderLimits(cfg, no.Concurrency))
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
