package cmd

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/resource"
	"k8s.io/client-go/kubernetes"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-caps/kubectl-caps/plugin/containers"
	"github.com/kubectl-caps/kubectl-caps/plugin/inspect"
	"github.com/kubectl-caps/kubectl-caps/plugin/owner"
	"github.com/kubectl-caps/kubectl-caps/plugin/printer"
	"github.com/kubectl-caps/kubectl-caps/plugin/scan"
	"github.com/kubectl-caps/kubectl-caps/plugin/termsafe"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/tracenodes"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/tracereport"
)

var traceExample = templates.Examples(`
	# What a deployment's containers really ask the kernel for, during one minute
	kubectl caps trace deploy/web

	# Ten minutes of one container, agents in a namespace that admits privileged pods
	kubectl caps trace web-0 -c nginx --for 10m --agent-namespace kubectl-caps

	# Every check counted, noise included
	kubectl caps trace deploy/web -o wide

	# Keep the trace as evidence for harden
	kubectl caps trace deploy/web -o json > web.trace.json
	kubectl caps harden -f web.yaml --evidence web.trace.json`)

// Exit codes of trace (README "kubectl caps trace"): 0 every running target container was
// traced (also when Ctrl-C ended the recording early), 1 something could not be traced or
// resolved, 130 interrupted before anything was recorded.
const exitTraceInterrupted = 130

// TraceOptions records the capability checks that running containers make.
type TraceOptions struct {
	LabelSelector string
	AllNamespaces bool
	Container     string
	Output        string
	For           time.Duration
	Concurrency   int
	KernelPath    string
	Agent         AgentOptions

	selection  selection
	builder    func() *resource.Builder
	client     kubernetes.Interface
	isTerminal bool
	genericiooptions.IOStreams
}

func NewTraceOptions(streams genericiooptions.IOStreams) *TraceOptions {
	return &TraceOptions{IOStreams: streams, For: time.Minute, Concurrency: tracenodes.DefaultConcurrency, Agent: newAgentOptions()}
}

func NewCmdTrace(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := NewTraceOptions(streams)
	cmd := &cobra.Command{
		Use:   "trace [TYPE[/NAME] | NAME ...]",
		Short: "Record the capability checks running containers make, and the securityContext they need",
		Long: templates.LongDesc(`
			Trace counts, in the node's kernel, every capability check the target containers make
			while it records (--for, or until Ctrl-C: both end with the summary): per container the
			capabilities it used (granted, with its own credentials), those it asked for and was
			refused, and the noise that is never a need (probes that do not audit, overlayfs acting
			with the mounter's credentials, the runtime's own set-up), each with the processes,
			syscalls and kernel functions that asked. It suggests capabilities: {drop: [ALL], add:
			[exactly the used ones]} with a reason per capability; -o json keeps it as evidence for
			harden --evidence.

			Targets resolve like show's: no argument means every pod in the namespace; NAME is a
			pod; TYPE/NAME a workload. Trace starts one privileged agent pod (the plugin's own
			image, pinned to the node, hostPID) on each node that runs a target container, in
			--agent-namespace (default: the current namespace), whose Pod Security level must be
			privileged. It loads an eBPF program on the capability:cap_capable tracepoint (Linux
			6.14+), or on kprobes of cap_capable on older kernels (that path is untested end to
			end), and names the path in the output. The agents are deleted when the trace ends, on
			errors and on Ctrl-C; the kernel unloads the program when the agent exits.

			Only trace ever runs a privileged agent, and only when asked to.`),
		Example: traceExample,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(f, cmd, args); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmdutil.AddLabelSelectorFlagVar(cmd, &o.LabelSelector)
	cmd.Flags().BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "trace containers of pods in all namespaces")
	cmd.Flags().StringVarP(&o.Container, "container", "c", "", "only this container of each pod")
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "output format: table (default), wide (every counted check), json or yaml (the CapabilityTrace kind)")
	cmd.Flags().DurationVar(&o.For, "for", o.For, "how long to record (Ctrl-C ends it earlier, with the summary)")
	cmd.Flags().IntVar(&o.Concurrency, "concurrency", o.Concurrency, "how many nodes' agents run at once (nodes beyond it are traced after others end)")
	cmd.Flags().StringVar(&o.KernelPath, "kernel-path", "", kernelPathUsage)
	o.Agent.addFlags(cmd, f, agentHelp{
		namespace: "the namespace for the privileged agent pods (default: the current namespace; its Pod Security level must be privileged)",
		image:     "the agent image (a mirror of the default in an air-gapped cluster)",
		timeout:   "give up on one node's agent when its image pull and start take longer than this (the recording time comes on top)",
	})
	return cmd
}

func (o *TraceOptions) Complete(f cmdutil.Factory, cmd *cobra.Command, args []string) error {
	ns, _, err := f.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return err
	}
	o.selection = newSelection(f, ns, o.AllNamespaces, o.LabelSelector, args)
	o.builder = f.NewBuilder
	o.Agent.complete(cmd, ns)
	cfg, err := f.ToRESTConfig()
	if err != nil {
		return err
	}
	if o.client, err = kubernetes.NewForConfig(nodeReaderLimits(cfg, o.Concurrency)); err != nil {
		return err
	}
	if fi, ok := o.ErrOut.(*os.File); ok {
		o.isTerminal = isTerminal(fi)
	}
	return nil
}

func (o *TraceOptions) Validate() error {
	switch o.Output {
	case "", "table", "wide", "json", "yaml":
	default:
		return fmt.Errorf("unknown output format %q: use table, wide, json or yaml", o.Output)
	}
	if err := validTraceFor(o.For); err != nil {
		return err
	}
	if err := validKernelPath(o.KernelPath); err != nil {
		return err
	}
	if o.Concurrency < 1 {
		return fmt.Errorf("--concurrency must be at least 1")
	}
	if err := o.Agent.validate(); err != nil {
		return err
	}
	return o.selection.validate()
}

func (o *TraceOptions) Run(parent context.Context) error {
	if parent == nil {
		parent = context.Background()
	}
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer stop()

	targets, plans, err := o.targets(ctx)
	if err != nil {
		fmt.Fprintln(o.ErrOut, "error: "+termsafe.Clean(err.Error()))
		return &ExitError{Code: 1}
	}
	if skipped := notRunning(plans); skipped != "" {
		fmt.Fprintln(o.ErrOut, "not traced, not running: "+skipped)
	}
	runner := traceRunner(o.client, o.Agent, o.For, o.KernelPath, o.Concurrency, o.ErrOut, o.isTerminal)
	res := runner.Run(ctx, targets)
	interrupted := res.Interrupted && parent.Err() == nil
	if err := o.print(res); err != nil {
		return err
	}
	traced := 0
	for _, c := range res.Trace.Containers {
		if c.Error == "" {
			traced++
		}
	}
	for _, f := range res.Failures {
		line := "error: " + f.Message
		if len(f.Targets) < len(targets) {
			line += " (" + targetList(targets, f.Targets) + ")"
		}
		fmt.Fprintln(o.ErrOut, line)
	}
	switch {
	case interrupted && traced == 0:
		fmt.Fprintln(o.ErrOut, "interrupted: nothing was recorded")
		return &ExitError{Code: exitTraceInterrupted}
	case interrupted:
		fmt.Fprintf(o.ErrOut, "interrupted: the trace above covers %s\n", durationOr(res.Trace.Duration, "less than --for"))
	}
	if len(res.Failures) > 0 {
		return &ExitError{Code: 1}
	}
	return nil
}

// targets resolves the selection into running containers. It is an error when there is none:
// a trace of nothing would look like a workload that needs nothing.
func (o *TraceOptions) targets(ctx context.Context) ([]tracenodes.Target, []inspect.Planned, error) {
	objs, resolveErrs := scan.Objects(o.builder, o.selection.Selection)
	pods, err := scan.PodsFor(ctx, o.client, objs)
	if err != nil {
		resolveErrs = append(resolveErrs, err)
	}
	if len(resolveErrs) > 0 {
		return nil, nil, utilerrors.NewAggregate(resolveErrs)
	}
	where := fmt.Sprintf("in namespace %s", o.selection.Namespace)
	if o.AllNamespaces {
		where = "in any namespace"
	}
	if len(pods) == 0 {
		return nil, nil, fmt.Errorf("no pods of %s %s: nothing to trace", strings.Join(o.selection.Args, " "), where)
	}
	targets, plans := traceTargets(ctx, o.client, pods, o.Container)
	if o.Container != "" && len(plans) == 0 {
		return nil, nil, fmt.Errorf("no container named %q in the selected pods", o.Container)
	}
	if len(targets) == 0 {
		return nil, nil, fmt.Errorf("no running container to trace among the pods of %s %s: %s", strings.Join(o.selection.Args, " "), where, notRunning(plans))
	}
	return targets, plans, nil
}

// traceTargets plans the containers of pods as show does (inspect.Plan) and returns the running
// ones as trace targets, each with its pod's workload.
func traceTargets(ctx context.Context, client kubernetes.Interface, pods []*corev1.Pod, container string) ([]tracenodes.Target, []inspect.Planned) {
	nodes, _ := scan.Nodes(ctx, client, pods)
	ctl, _ := scan.Controllers(ctx, client, pods) // without permission: owners as far as known
	plans := inspect.Plan(pods, nodes, container)
	var targets []tracenodes.Target
	for _, pl := range plans {
		if !pl.Read {
			continue
		}
		t := tracenodes.Target{Namespace: pl.Row.Namespace, Pod: pl.Row.Pod, Container: pl.Row.Container, Node: pl.Row.Node}
		if w := owner.Of(pl.Pod, ctl); w != nil {
			t.Workload = &tracereport.Workload{APIVersion: w.APIVersion, Kind: w.Kind, Name: w.Name}
		}
		if st := containers.Status(pl.Pod, pl.Row.Container); st != nil {
			t.ContainerID = st.ContainerID
		}
		targets = append(targets, t)
	}
	return targets, plans
}

// notRunning lists the planned containers that are not running, with why, for one line.
func notRunning(plans []inspect.Planned) string {
	var parts []string
	for _, pl := range plans {
		if !pl.Read {
			parts = append(parts, fmt.Sprintf("%s/%s/%s (%s)", pl.Row.Namespace, pl.Row.Pod, pl.Row.Container, pl.Row.Skipped))
		}
	}
	const show = 5
	if len(parts) > show {
		parts = append(parts[:show], fmt.Sprintf("and %d more", len(parts)-show))
	}
	return strings.Join(parts, ", ")
}

func targetList(targets []tracenodes.Target, idx []int) string {
	const show = 3
	var parts []string
	for k, i := range idx {
		if k == show {
			parts = append(parts, fmt.Sprintf("and %d more", len(idx)-show))
			break
		}
		t := targets[i]
		parts = append(parts, t.Namespace+"/"+t.Pod+"/"+t.Container)
	}
	return strings.Join(parts, ", ")
}

func durationOr(d, alt string) string {
	if d == "" {
		return alt
	}
	return d
}

func (o *TraceOptions) print(res *tracenodes.Result) error {
	switch o.Output {
	case "json":
		return printer.TraceJSON(o.Out, res.Trace)
	case "yaml":
		return printer.TraceYAML(o.Out, res.Trace)
	}
	omit := map[int]bool{}
	for _, f := range res.Failures {
		if f.Shared {
			for _, i := range f.Targets {
				omit[i] = true
			}
		}
	}
	return printer.TraceTable(o.Out, res.Trace, printer.TraceOptions{
		Wide: o.Output == "wide", WithNamespace: o.AllNamespaces || manyTraceNamespaces(res.Trace), Omit: omit,
	})
}

func manyTraceNamespaces(t *tracereport.Trace) bool {
	for _, c := range t.Containers {
		if c.Namespace != t.Containers[0].Namespace {
			return true
		}
	}
	return false
}
