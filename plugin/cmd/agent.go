package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-caps/kubectl-caps/plugin/containerid"
	"github.com/kubectl-caps/kubectl-caps/plugin/hostscan"
	"github.com/kubectl-caps/kubectl-caps/plugin/nodereading"
	"github.com/kubectl-caps/kubectl-caps/plugin/version"
)

// agentCommands are the agent's modes; each registers itself (read here, trace in its own file)
// so that adding a mode touches no other file.
var agentCommands = []func(genericiooptions.IOStreams) *cobra.Command{NewCmdAgentRead, NewCmdAgentTrace}

// NewCmdAgent is the hidden parent of the modes the agent pod runs (`show --via node` starts
// `kubectl-caps agent read` on each node). People never run it: it reads the node it runs on and
// prints one JSON document for the plugin.
func NewCmdAgent(streams genericiooptions.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:    "agent",
		Short:  "The node agent that show --via node runs in a pod (internal)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE:   func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	for _, add := range agentCommands {
		cmd.AddCommand(add(streams))
	}
	return cmd
}

// AgentReadOptions reads the processes of some containers from the node's /proc.
type AgentReadOptions struct {
	Node         string
	ContainerIDs []string

	ids []containerid.ID
	genericiooptions.IOStreams
}

func NewCmdAgentRead(streams genericiooptions.IOStreams) *cobra.Command {
	o := &AgentReadOptions{IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "read --container-id ID [--container-id ID ...]",
		Short: "Print a NodeReading of the given containers' processes (run by show --via node, on the node, with hostPID)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&o.Node, "node", "", "the node's name, copied into the document")
	cmd.Flags().StringArrayVar(&o.ContainerIDs, "container-id", nil, "a container to read: containerd://<64 hex>, cri-o://..., docker://... or the bare 64 hex (repeatable, or comma-separated)")
	return cmd
}

// Validate refuses every ID that is not exactly a runtime's container ID: the agent matches IDs
// against cgroup paths, so anything looser could only match what was not asked for.
func (o *AgentReadOptions) Validate() error {
	if len(o.Node) > 253 {
		return fmt.Errorf("--node is longer than a node name can be")
	}
	ids, err := parseContainerIDs(o.ContainerIDs)
	o.ids = ids
	return err
}

// parseContainerIDs validates the agent's --container-id values (repeatable, or comma-separated)
// and drops repeats.
func parseContainerIDs(values []string) ([]containerid.ID, error) {
	if len(values) == 0 {
		return nil, fmt.Errorf("no --container-id given")
	}
	if len(values) > nodereading.MaxContainers {
		return nil, fmt.Errorf("%d container IDs, more than the %d one agent reads", len(values), nodereading.MaxContainers)
	}
	seen := map[string]bool{}
	var ids []containerid.ID
	// Split commas by hand: pflag's StringSlice is CSV, which would quietly drop quotes and a
	// trailing newline instead of refusing them.
	var list []string
	for _, v := range values {
		list = append(list, strings.Split(v, ",")...)
	}
	if len(list) > nodereading.MaxContainers {
		return nil, fmt.Errorf("%d container IDs, more than the %d one agent reads", len(list), nodereading.MaxContainers)
	}
	for _, s := range list {
		id, err := containerid.Parse(s)
		if err != nil {
			return nil, err
		}
		if !seen[id.Hex] {
			seen[id.Hex] = true
			ids = append(ids, id)
		}
	}
	return ids, nil
}

func (o *AgentReadOptions) Run(parent context.Context) error {
	return runAgent(parent, o.Out, nodereading.MaxBytes, func(ctx context.Context) (any, bool) {
		doc := hostscan.Read(ctx, hostscan.Options{IDs: o.ids, Node: o.Node, Version: version.Get().Version})
		return doc, doc.Error == ""
	})
}

// runAgent runs one agent mode until it returns or the pod is stopped (SIGTERM from the kubelet
// at deletion or at activeDeadlineSeconds, SIGINT by hand): the mode gets a context cancelled by
// the signal and returns what it has, which is printed as one JSON document on one line. A mode
// that records until stopped (trace) prints its summary the same way. ok false exits 2 after the
// document, so the pod's status also says the reading failed. max is what the plugin accepts.
func runAgent(parent context.Context, out interface{ Write([]byte) (int, error) }, max int, mode func(context.Context) (doc any, ok bool)) error {
	if parent == nil {
		parent = context.Background()
	}
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer stop()
	doc, ok := mode(ctx)
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	if len(b) > max {
		return fmt.Errorf("the document is %d bytes, more than the %d the plugin accepts", len(b), max)
	}
	if _, err := out.Write(append(b, '\n')); err != nil {
		return err
	}
	if !ok {
		return &ExitError{Code: 2}
	}
	return nil
}
