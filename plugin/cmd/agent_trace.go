package cmd

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-caps/kubectl-caps/plugin/containerid"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/capcheck"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/traceagent"
)

// maxTraceFor bounds one trace: the agent pod's deadline is set from it, and a trace longer
// than a day is a DaemonSet's job, not a command's.
const maxTraceFor = 24 * time.Hour

// agentHostRoot is the host's root file system seen from the agent pod (hostPID): its own
// /sys/fs/cgroup shows only its own cgroups.
const agentHostRoot = "/proc/1/root"

// AgentTraceOptions records the capability checks of some containers on this node.
type AgentTraceOptions struct {
	Node         string
	ContainerIDs []string
	For          time.Duration
	KernelPath   string

	ids []containerid.ID
	genericiooptions.IOStreams
}

func NewCmdAgentTrace(streams genericiooptions.IOStreams) *cobra.Command {
	o := &AgentTraceOptions{IOStreams: streams, For: time.Minute}
	cmd := &cobra.Command{
		Use:   "trace --container-id ID [--container-id ID ...] --for DURATION",
		Short: "Record the given containers' capability checks and print one CapabilityTrace (run by kubectl caps trace, on the node, privileged, with hostPID)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&o.Node, "node", "", "the node's name, copied into the document")
	cmd.Flags().StringArrayVar(&o.ContainerIDs, "container-id", nil, "a container to trace: containerd://<64 hex>, cri-o://..., docker://... or the bare 64 hex (repeatable, or comma-separated)")
	cmd.Flags().DurationVar(&o.For, "for", o.For, "how long to record; SIGTERM ends it earlier, with the summary")
	cmd.Flags().StringVar(&o.KernelPath, "kernel-path", "", kernelPathUsage)
	return cmd
}

// kernelPathUsage is shared by the agent's flag and trace's, which passes it on.
var kernelPathUsage = fmt.Sprintf("force one kernel path, %s or %s (default: the best the node's kernel has); forcing one the kernel lacks simulates a node that cannot trace", capcheck.PathTracepoint, capcheck.PathKprobe)

func validKernelPath(p string) error {
	switch capcheck.Path(p) {
	case "", capcheck.PathTracepoint, capcheck.PathKprobe:
		return nil
	}
	return fmt.Errorf("unknown --kernel-path %q: use %s or %s", p, capcheck.PathTracepoint, capcheck.PathKprobe)
}

func validTraceFor(d time.Duration) error {
	if d < time.Second || d > maxTraceFor {
		return fmt.Errorf("--for must be between 1s and %s", maxTraceFor)
	}
	return nil
}

func (o *AgentTraceOptions) Validate() error {
	if len(o.Node) > 253 {
		return fmt.Errorf("--node is longer than a node name can be")
	}
	if err := validTraceFor(o.For); err != nil {
		return err
	}
	if err := validKernelPath(o.KernelPath); err != nil {
		return err
	}
	ids, err := parseContainerIDs(o.ContainerIDs)
	o.ids = ids
	return err
}

// Run records until --for ends or the pod is stopped, then prints the trace; the program is
// unloaded before anything is printed (traceagent.Run closes it on every path).
func (o *AgentTraceOptions) Run(parent context.Context) error {
	return runAgent(parent, o.Out, traceagent.MaxBytes, func(ctx context.Context) (any, bool) {
		tr := traceagent.Run(ctx, traceagent.Options{
			IDs: o.ids, Node: o.Node, For: o.For, Path: capcheck.Path(o.KernelPath), HostRoot: agentHostRoot,
		})
		for _, c := range tr.Containers {
			if c.Error != "" {
				return tr, false
			}
		}
		return tr, true
	})
}
