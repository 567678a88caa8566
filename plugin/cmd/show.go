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
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/resource"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-caps/kubectl-caps/plugin/execreader"
	"github.com/kubectl-caps/kubectl-caps/plugin/htmlreport"
	"github.com/kubectl-caps/kubectl-caps/plugin/printer"
	"github.com/kubectl-caps/kubectl-caps/plugin/report"
	"github.com/kubectl-caps/kubectl-caps/plugin/scan"
	"github.com/kubectl-caps/kubectl-caps/plugin/workload"
)

var showExample = templates.Examples(`
	# Every container of the pods in the current namespace
	kubectl caps show

	# A deployment's pods, one row per process
	kubectl caps show deploy/web --procs

	# The whole cluster, as a JSON report for scripts
	kubectl caps show -A -o json

	# Read from the node: images without a shell, file capabilities, no trust in the image
	kubectl caps show deploy/web --via node --procs --agent-namespace kubectl-caps

	# Pods matching a label, one container, with every finding explained
	kubectl caps show -l app=web -c nginx --explain

	# The whole cluster for people (one HTML page) and for scripts (JSON), from one scan
	kubectl caps show -A -o html --report audit.json > audit.html

	# A scheduled audit: exit 3 when a privileged container or an ignored capability name is found
	kubectl caps show -A --fail-on privileged,capability-name-ignored`)

// exitFindings is show's exit code when --fail-on finds a listed finding: distinct from 1 (some
// container could not be read) and 130 (interrupted).
const exitFindings = 3

// ShowOptions reads live capabilities of containers and compares them with their spec.
type ShowOptions struct {
	LabelSelector string
	AllNamespaces bool
	Container     string
	Output        string
	Procs         bool
	Explain       bool
	// By is "workload" (replicas that agree are one row) or "pod"; empty picks workload with -A.
	By          string
	FailOn      []string
	ReportFile  string
	Concurrency int
	Timeout     time.Duration
	MaxBytes    int
	// Via chooses the reader: exec (the container's own sh/cat/capsh) or node (an agent pod per
	// node); Agent configures the node reader (its flags are refused with --via exec).
	Via   string
	Agent AgentOptions

	byFlagSet  bool
	selection  selection
	builder    func() *resource.Builder
	pipeline   *scan.Pipeline
	isTerminal bool

	genericiooptions.IOStreams
}

func NewShowOptions(streams genericiooptions.IOStreams) *ShowOptions {
	return &ShowOptions{
		IOStreams:   streams,
		Concurrency: execreader.DefaultConcurrency,
		Timeout:     execreader.DefaultTimeout,
		MaxBytes:    execreader.DefaultMaxBytes,
		Via:         viaExec,
		Agent:       newAgentOptions(),
	}
}

func NewCmdShow(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := NewShowOptions(streams)
	cmd := &cobra.Command{
		Use:   "show [TYPE[/NAME] | NAME ...]",
		Short: "Show the capabilities containers and processes really hold, beside their spec",
		Long: templates.LongDesc(`
			Show execs once into every running container (reading every process's /proc/PID/status
			in one round trip, falling back to cat /proc/1/status and capsh --print), and prints
			what is really held next to what the securityContext declares and what that spec should
			give on the node's container runtime. Findings name the gaps: runtime default
			capabilities never dropped, capabilities added for a non-root user that are not
			effective, privilege escalation left open, processes that raised or dropped capabilities.

			Targets resolve like kubectl get: no argument means every pod in the namespace; NAME is
			a pod; TYPE/NAME may be ` + kindList() + ` (a cronjob's pods are its jobs'
			pods). show never changes the cluster: it only reads pods and nodes and creates exec
			sessions.

			With --via node, show reads from the node instead: one short-lived agent pod per node
			that runs a target (the plugin's own image, pinned to the node, hostPID, adding only
			SYS_PTRACE and DAC_READ_SEARCH to drop: [ALL]) reads /proc for exactly those containers,
			including images with no shell and the file capabilities of each executable, and the
			image cannot forge what it reports. The agent pods go to --agent-namespace (default: the
			current namespace, whose Pod Security level must admit hostPID) and are deleted when
			the reading ends, on errors and on Ctrl-C.`),
		Example: showExample,
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
	cmd.Flags().BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "show containers of pods in all namespaces")
	cmd.Flags().StringVarP(&o.Container, "container", "c", "", "only this container of each pod")
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "output format: table (default), wide, json, yaml or html (one self-contained page)")
	cmd.Flags().StringVar(&o.By, "by", "", "table rows: 'workload' (replicas whose readings agree are one row, those that differ are flagged; the default with -A) or 'pod' (one row per pod's container; the default otherwise)")
	cmd.Flags().StringSliceVar(&o.FailOn, "fail-on", nil, fmt.Sprintf("exit %d when any container has one of these findings (comma-separated IDs, see the README)", exitFindings))
	cmd.Flags().StringVar(&o.ReportFile, "report", "", "also write the JSON report of the same scan to this file")
	_ = cmd.RegisterFlagCompletionFunc("by", fixedCompletion("workload", "pod"))
	_ = cmd.RegisterFlagCompletionFunc("fail-on", fixedCompletion(findingIDs()...))
	cmd.Flags().BoolVar(&o.Procs, "procs", false, "one row per process instead of per container (-o json, yaml and html always include every process; there it changes nothing)")
	cmd.Flags().BoolVar(&o.Explain, "explain", false, "print every container's findings in full under the table")
	cmd.Flags().IntVar(&o.Concurrency, "concurrency", o.Concurrency, "how many containers to read at once")
	cmd.Flags().DurationVar(&o.Timeout, "timeout", o.Timeout, "give up on one container's exec after this long")
	cmd.Flags().IntVar(&o.MaxBytes, "max-bytes", o.MaxBytes, "read at most this many bytes from one container")
	cmd.Flags().StringVar(&o.Via, "via", o.Via, "how to read live state: exec (run the container's own sh, cat or capsh) or node (one short-lived agent pod per node reads /proc from outside the containers: works without a shell and cannot be forged by the image; creates and deletes pods)")
	o.Agent.addFlags(cmd, f, agentHelp{
		namespace: "with --via node: the namespace for the agent pods (default: the current namespace; its Pod Security level must admit a hostPID pod)",
		image:     "with --via node: the agent image (a mirror of the default in an air-gapped cluster)",
		timeout:   "with --via node: give up on one node's agent (image pull, start and reading) after this long",
	})
	_ = cmd.RegisterFlagCompletionFunc("via", fixedCompletion(viaExec, viaNode))
	return cmd
}

func (o *ShowOptions) Complete(f cmdutil.Factory, cmd *cobra.Command, args []string) error {
	ns, _, err := f.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return err
	}
	o.byFlagSet = cmd.Flags().Changed("by")
	o.selection = newSelection(f, ns, o.AllNamespaces, o.LabelSelector, args)
	if o.By == "" {
		// A cluster-wide audit repeats every replica; one namespace or named targets are
		// usually read to look at particular pods.
		o.By = "pod"
		if o.AllNamespaces {
			o.By = "workload"
		}
	}
	o.builder = f.NewBuilder
	o.Agent.complete(cmd, ns)
	switch o.Via {
	case viaNode:
		o.pipeline, err = newNodePipeline(f, nodeOptions{Namespace: o.Agent.Namespace, Image: o.Agent.Image, Timeout: o.Agent.Timeout, Concurrency: o.Concurrency}, o.Container, o.ErrOut)
	default:
		o.pipeline, err = newPipeline(f, execOptions{Concurrency: o.Concurrency, Timeout: o.Timeout, MaxBytes: o.MaxBytes}, o.Container)
	}
	if err != nil {
		return err
	}
	if fi, ok := o.ErrOut.(*os.File); ok {
		o.isTerminal = isTerminal(fi)
	}
	return nil
}

// kindList names the kinds show reads, for its help: "pod (po), deployment (deploy), ...".
func kindList() string {
	var parts []string
	for _, k := range workload.Kinds {
		p := k.Aliases[0]
		if short := k.Aliases[len(k.Aliases)-1]; short != p {
			p += " (" + short + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}

func (o *ShowOptions) Validate() error {
	switch o.Output {
	case "", "table", "wide", "json", "yaml", "html":
	default:
		return fmt.Errorf("unknown output format %q: use table, wide, json, yaml or html", o.Output)
	}
	switch o.By {
	case "pod", "workload":
	default:
		return fmt.Errorf("unknown --by %q: use workload or pod", o.By)
	}
	if o.Procs && o.By == "workload" && o.byFlagSet {
		return fmt.Errorf("--procs lists every process of every pod; it cannot be combined with --by workload")
	}
	if err := validateFindings(o.FailOn); err != nil {
		return err
	}
	switch o.Via {
	case viaExec:
		if len(o.Agent.set) > 0 {
			return fmt.Errorf("%s applies to --via node only", strings.Join(o.Agent.set, ", "))
		}
	case viaNode:
		if err := o.Agent.validate(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown --via %q: use exec or node", o.Via)
	}
	if o.Concurrency < 1 {
		return fmt.Errorf("--concurrency must be at least 1")
	}
	if o.Timeout <= 0 {
		return fmt.Errorf("--timeout must be positive")
	}
	if o.MaxBytes < 4096 {
		return fmt.Errorf("--max-bytes must be at least 4096")
	}
	return o.selection.validate()
}

func (o *ShowOptions) Run(parent context.Context) error {
	if parent == nil {
		parent = context.Background()
	}
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer stop()

	objs, resolveErrs := scan.Objects(o.builder, o.selection.Selection)
	pods, err := scan.PodsFor(ctx, o.pipeline.Client, objs)
	if err != nil {
		resolveErrs = append(resolveErrs, err)
	}
	if len(pods) == 0 {
		if len(resolveErrs) > 0 {
			return utilerrors.NewAggregate(resolveErrs)
		}
		if o.AllNamespaces {
			fmt.Fprintln(o.ErrOut, "No resources found")
		} else {
			fmt.Fprintf(o.ErrOut, "No resources found in %s namespace.\n", o.selection.Namespace)
		}
		return nil
	}
	progress := newProgress(o.ErrOut, o.isTerminal)
	o.pipeline.Progress = progress.step
	s, err := o.pipeline.Run(ctx, pods)
	progress.done()
	if err != nil {
		return err
	}
	for _, w := range s.Warnings {
		fmt.Fprintln(o.ErrOut, "Warning: "+w)
	}

	interrupted := ctx.Err() != nil && parent.Err() == nil
	if interrupted && (o.Output == "json" || o.Output == "yaml" || o.Output == "html" || o.ReportFile != "") {
		// Half a document is worse than none for a script.
		fmt.Fprintln(o.ErrOut, "interrupted: no report written")
		return &ExitError{Code: 130}
	}
	found, err := o.print(s)
	if err != nil {
		return err
	}
	problems, failed := s.Problems()
	for _, line := range problems {
		fmt.Fprintln(o.ErrOut, line)
	}
	for _, e := range resolveErrs {
		fmt.Fprintf(o.ErrOut, "error: %v\n", e)
	}
	if len(found) > 0 {
		fmt.Fprintf(o.ErrOut, "--fail-on: found %s\n", strings.Join(found, ", "))
	}
	switch {
	case interrupted:
		fmt.Fprintln(o.ErrOut, "interrupted: the report above is partial")
		return &ExitError{Code: 130}
	case len(found) > 0:
		// What a scheduled audit looks for; containers that could not be read are listed above.
		return &ExitError{Code: exitFindings}
	case failed > 0 || len(resolveErrs) > 0:
		return &ExitError{Code: 1}
	}
	return nil
}

// print writes the report in the asked format (and --report's JSON from the same rows), and
// returns the --fail-on findings met, each "ID (N containers)".
func (o *ShowOptions) print(s *scan.Scan) ([]string, error) {
	failOn := newFindingCounter(o.FailOn)
	if o.Output == "json" {
		// Streamed, so peak memory does not grow with the document (70 MB at 10,000 containers).
		js := printer.NewJSONStream(o.Out, o.header())
		file, err := newReportFile(o.ReportFile)
		if err != nil {
			return nil, err
		}
		if err := s.Rows(func(c report.Container) error {
			failOn.add(&c)
			js.Add(c)
			file.add(c)
			return nil
		}); err != nil {
			file.abort()
			return nil, err
		}
		return failOn.found(), firstOf(js.Close(), file.close())
	}
	rep := s.Report()
	rep.Trust = o.header().Trust
	for i := range rep.Containers {
		failOn.add(&rep.Containers[i])
	}
	if o.ReportFile != "" {
		file, err := newReportFile(o.ReportFile)
		if err != nil {
			return nil, err
		}
		for _, c := range rep.Containers {
			file.add(c)
		}
		if err := file.close(); err != nil {
			return nil, err
		}
	}
	var err error
	switch o.Output {
	case "yaml":
		err = printer.YAML(o.Out, rep)
	case "html":
		err = htmlreport.Write(o.Out, rep)
	default:
		err = printer.Table(o.Out, rep, printer.Options{
			Wide:          o.Output == "wide",
			Procs:         o.Procs,
			ByWorkload:    o.By == "workload" && !o.Procs,
			WithNamespace: o.AllNamespaces || manyNamespaces(rep),
			Explain:       o.Explain || len(rep.Containers) <= 3,
		})
	}
	return failOn.found(), err
}

// header is the report's envelope; its trust note says where the live readings came from.
func (o *ShowOptions) header() *report.Report {
	h := report.New()
	if o.Via == viaNode {
		h.Trust = report.TrustNoteNode
	}
	return h
}

func manyNamespaces(rep *report.Report) bool {
	for _, c := range rep.Containers {
		if c.Namespace != rep.Containers[0].Namespace {
			return true
		}
	}
	return false
}
