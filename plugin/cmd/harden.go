package cmd

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"

	"github.com/kubectl-caps/kubectl-caps/plugin/harden"
	"github.com/kubectl-caps/kubectl-caps/plugin/harden/policy"
	"github.com/kubectl-caps/kubectl-caps/plugin/scan"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/tracenodes"
)

// Exit codes of harden, for CI: 0 nothing to change (or changes written), 1 --check found
// changes, 2 an input could not be hardened or the command line is wrong.
const (
	exitChanges = 1
	exitFailed  = 2
)

// HardenOptions rewrites manifests to drop: [ALL] plus the capabilities each container needs.
type HardenOptions struct {
	Filenames  []string
	Recursive  bool
	InPlace    bool
	Diff       bool
	Check      bool
	Output     string
	ReportFile string
	Observe    bool
	// Via chooses how the running pods are read for --observe and live objects: exec (the
	// container's own sh) or node (one agent pod per node, as show --via node).
	Via string
	// Trace records each workload's capability checks for this long (harden --trace); Evidence
	// are traces saved with `trace -o json`; Agent configures the agent pods of --trace and
	// --via node.
	Trace    time.Duration
	Evidence []string
	Agent    AgentOptions
	policy.Options

	args      []string
	namespace string
	// observer gives evidence for files, liveObserver for live objects (always observed).
	observer     harden.Observer
	liveObserver harden.Observer
	f            cmdutil.Factory
	genericiooptions.IOStreams
}

func NewHardenOptions(streams genericiooptions.IOStreams) *HardenOptions {
	return &HardenOptions{IOStreams: streams, Via: viaExec, Agent: newAgentOptions()}
}

func NewCmdHarden(f cmdutil.Factory, streams genericiooptions.IOStreams) *cobra.Command {
	o := NewHardenOptions(streams)
	cmd := &cobra.Command{
		Use:   "harden (-f FILENAME | TYPE[/NAME])",
		Short: "Rewrite manifests to drop ALL capabilities and add back only what each container needs",
		Long: `Harden sets every container's securityContext to capabilities: {drop: [ALL], add: [...]}
with the fewest capabilities that have a reason: a containerPort below 1024 (NET_BIND_SERVICE),
what the manifest's own command runs (chown, iptables, ip, ping, su-exec, mount, ...), what the
upstream entrypoint of a well-known image needs (a cited table: nginx, httpd, php:apache,
postgres, mysql, redis, kube-vip, ingress-nginx, CNI agents, ...), a capability the manifest adds
on purpose (kept, and reported when risky; --strict removes those without evidence), what the
running pods were seen doing (--observe; --via node reads them from the node, also without a
shell in the image), or exactly what a trace of their capability checks saw
them use (--trace 60s records one now, like kubectl caps trace; --evidence FILE reads one saved
with trace -o json), each with the process and syscall that used it. Capabilities the trace saw
refused are reported, and added only with --add-denied. It sets allowPrivilegeEscalation: false,
which still lets the entrypoint's own file capabilities work.

The hardened spec never grants a capability the original does not: harden predicts both on
containerd, CRI-O and Docker (old and new versions) and leaves a container unchanged, saying why,
where that would not hold (--runtime limits the runtimes, --respell-cap-prefix makes CAP_X entries
effective on purpose).

Only securityContext lines change: comments, key order, quoting, indentation, flow style,
document separators and line endings stay as they are; JSON stays JSON. Containers with
privileged: true or add: [ALL] are left alone unless --drop-privileged is given. A kustomization
directory is rendered with kubectl kustomize. A live object (TYPE/NAME) is read from the cluster
and printed as a clean manifest; nothing is written to the cluster but the short-lived agent
pods of --via node and --trace.

The report on stderr says, per container, what changed and why.`,
		Example: `  # Print hardened manifests
  kubectl caps harden -f deploy.yaml

  # Review, then write the files in place
  kubectl caps harden -f k8s/ -R --diff
  kubectl caps harden -f k8s/ -R -i

  # In CI: fail when something is not hardened
  kubectl caps harden -f k8s/ -R --check

  # The same as SARIF for code scanning (annotations on the pull request)
  kubectl caps harden -f k8s/ -R --check -o sarif > caps.sarif

  # Helm charts and kustomizations: harden the rendered output, or emit a Kustomize Component
  helm template my-release ./chart | kubectl caps harden -f -
  kubectl caps harden -f overlays/prod --check
  kubectl kustomize overlays/prod | kubectl caps harden -f - -o patch > overlays/prod/caps-harden/kustomization.yaml

  # A live workload, with what its running pods do as evidence
  kubectl caps harden deployment/web -n shop

  # Exactly what it used during one minute of its capability checks (a privileged agent per node)
  kubectl caps harden deployment/web -n shop --trace 60s

  # The same from a trace saved earlier, for the manifests in git
  kubectl caps trace deployment/web -n shop -o json > web.trace.json
  kubectl caps harden -f k8s/web.yaml -n shop --evidence web.trace.json

  # Also meet Pod Security "restricted" where it can be done safely
  kubectl caps harden -f deploy.yaml --level restricted --fix-level`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(f, cmd, args); err != nil {
				return usageError(streams, err)
			}
			if err := o.Validate(); err != nil {
				return usageError(streams, err)
			}
			return o.Run(cmd.Context())
		},
	}
	// CI reads exit 1 from --check as "not hardened": a mistyped flag must not look like that.
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError(streams, err) })
	cmdutil.AddJsonFilenameFlag(cmd.Flags(), &o.Filenames, "files or directories to harden; - reads standard input (several -f allowed)")
	cmd.Flags().BoolVarP(&o.Recursive, "recursive", "R", false, "process directories given with -f recursively")
	cmd.Flags().BoolVarP(&o.InPlace, "in-place", "i", false, "write the hardened files back (atomically: a temporary file renamed over the original)")
	cmd.Flags().BoolVar(&o.Diff, "diff", false, "print a unified diff instead of the hardened manifests")
	cmd.Flags().BoolVar(&o.Check, "check", false, "change nothing; exit 1 if something is not hardened, 0 if everything is, 2 on errors")
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "output format: empty for the hardened manifests, 'patch' for a Kustomize Component holding one patch per workload (strategic merge for built-in kinds, JSON 6902 for custom resources), 'sarif' (with --check) for code scanning")
	cmd.Flags().StringVar(&o.ReportFile, "report", "", "also write the report as JSON to this file")
	cmd.Flags().BoolVar(&o.Observe, "observe", false, "read the running pods of each workload and derive needed capabilities from what their processes do")
	cmd.Flags().StringVar(&o.Via, "via", o.Via, "how --observe and live objects read the running pods: exec (run the container's own sh, cat or capsh) or node (one short-lived agent pod per node, as show --via node: works without a shell and cannot be forged by the image; creates and deletes pods)")
	_ = cmd.RegisterFlagCompletionFunc("via", fixedCompletion(viaExec, viaNode))
	cmd.Flags().DurationVar(&o.Trace, "trace", 0, "record each workload's capability checks for this long (like kubectl caps trace: a privileged agent pod per node) and add exactly the capabilities its containers used")
	cmd.Flags().StringArrayVar(&o.Evidence, "evidence", nil, "a `TRACE.json` saved with kubectl caps trace -o json: add exactly the capabilities each traced container used (repeatable)")
	cmd.Flags().BoolVar(&o.AddDenied, "add-denied", false, "with --trace or --evidence, also add the capabilities the trace saw refused: a first-time grant, on purpose")
	o.Agent.addFlags(cmd, f, agentHelp{
		namespace: "with --trace or --via node: the namespace for the agent pods (default: the current namespace; its Pod Security level must be privileged)",
		image:     "with --trace or --via node: the agent image (a mirror of the default in an air-gapped cluster)",
		timeout:   "with --trace or --via node: give up on one node's agent when its image pull and start take longer than this",
	})
	cmd.Flags().BoolVar(&o.Strict, "strict", false, "remove capabilities the manifest adds when nothing shows they are needed")
	cmd.Flags().BoolVar(&o.DropPrivileged, "drop-privileged", false, "harden privileged containers and those adding ALL too (privileged: false, drop ALL, the capabilities harden can derive; the report says what is likely missing)")
	cmd.Flags().BoolVar(&o.RespellPrefixed, "respell-cap-prefix", false, "write add entries containerd ignores (CAP_NET_ADMIN) as NET_ADMIN: a first-time grant on containerd, on purpose")
	cmd.Flags().StringSliceVar(&o.Runtimes, "runtime", nil, "container runtimes your nodes use (containerd, cri-o, docker): the hardened spec must grant no more than the original on these; default all")
	cmd.Flags().StringVar(&o.Level, "level", "", "evaluate each hardened pod template against a Pod Security Standards level: baseline or restricted")
	cmd.Flags().BoolVar(&o.FixLevel, "fix-level", false, "with --level, also set the fields the level needs (seccompProfile RuntimeDefault, runAsNonRoot)")
	_ = cmd.RegisterFlagCompletionFunc("output", fixedCompletion("patch", "sarif"))
	_ = cmd.RegisterFlagCompletionFunc("level", fixedCompletion("baseline", "restricted"))
	_ = cmd.RegisterFlagCompletionFunc("runtime", fixedCompletion("containerd", "cri-o", "docker"))
	return cmd
}

var errTraceAndEvidence = fmt.Errorf("use --trace (record now) or --evidence (a saved trace), not both")

// usageError prints err and exits 2, like every other harden failure.
func usageError(streams genericiooptions.IOStreams, err error) error {
	fmt.Fprintf(streams.ErrOut, "error: %v\n", err)
	return &ExitError{Code: exitFailed}
}

func fixedCompletion(values ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

func (o *HardenOptions) Complete(f cmdutil.Factory, cmd *cobra.Command, args []string) error {
	o.f = f
	o.args = args
	live := len(args) > 0
	o.Agent.complete(cmd, "")
	if o.Trace != 0 && len(o.Evidence) > 0 {
		return errTraceAndEvidence
	}
	var pipeline, traced harden.Observer
	if live || o.Observe || o.Trace > 0 || len(o.Evidence) > 0 {
		ns, _, err := f.ToRawKubeConfigLoader().Namespace()
		if err != nil {
			return err
		}
		o.namespace = ns
		if o.Agent.Namespace == "" {
			o.Agent.Namespace = ns
		}
	}
	if live || o.Observe {
		var p *scan.Pipeline
		var err error
		if o.Via == viaNode {
			p, err = newNodePipeline(f, nodeOptions{Namespace: o.Agent.Namespace, Image: o.Agent.Image, Timeout: o.Agent.Timeout}, "", o.ErrOut)
		} else {
			p, err = newPipeline(f, execOptions{}, "")
		}
		if err != nil {
			return err
		}
		pipeline = &pipelineObserver{builder: f.NewBuilder, pipeline: p}
	}
	switch {
	case len(o.Evidence) > 0:
		ix, err := readEvidence(o.Evidence)
		if err != nil {
			return err
		}
		traced = &evidenceObserver{index: ix}
	case o.Trace > 0:
		cfg, err := f.ToRESTConfig()
		if err != nil {
			return err
		}
		client, err := kubernetes.NewForConfig(nodeReaderLimits(cfg, tracenodes.DefaultConcurrency))
		if err != nil {
			return err
		}
		terminal := false
		if fi, ok := o.ErrOut.(*os.File); ok {
			terminal = isTerminal(fi)
		}
		traced = &traceObserver{
			builder: f.NewBuilder, client: client,
			runner: func() *tracenodes.Runner {
				return traceRunner(client, o.Agent, o.Trace, "", tracenodes.DefaultConcurrency, o.ErrOut, terminal)
			},
			warn: func(s string) { fmt.Fprintln(o.ErrOut, "warning: "+s) },
		}
	}
	if o.Observe {
		o.observer = mergeObservers(pipeline, traced)
	} else {
		o.observer = mergeObservers(traced)
	}
	o.liveObserver = mergeObservers(pipeline, traced)
	return nil
}

func (o *HardenOptions) Validate() error {
	live := len(o.args) > 0
	switch {
	case live && len(o.Filenames) > 0:
		return fmt.Errorf("cannot use -f with resource arguments: harden either files or live objects")
	case !live && len(o.Filenames) == 0:
		return fmt.Errorf("nothing to harden: give -f FILE|DIR|- or a live object (TYPE/NAME)")
	case o.Output != "" && o.Output != "patch" && o.Output != "sarif":
		return fmt.Errorf("unsupported output format %q: use -o patch, -o sarif (with --check) or leave -o out", o.Output)
	case o.Output == "sarif" && (!o.Check || o.Diff || live):
		return fmt.Errorf("-o sarif reports what --check finds in files: use it with --check and -f, without --diff")
	case o.Output == "patch" && (o.InPlace || o.Diff):
		return fmt.Errorf("cannot use -o patch with --in-place or --diff")
	case o.Check && o.InPlace:
		return fmt.Errorf("cannot use --check with --in-place: --check changes nothing")
	case o.InPlace && live:
		return fmt.Errorf("cannot use --in-place with live objects: harden never writes to the cluster; apply its output yourself")
	case o.FixLevel && o.Level == "":
		return fmt.Errorf("--fix-level needs --level baseline|restricted")
	case o.Level != "" && o.Level != "baseline" && o.Level != "restricted":
		return fmt.Errorf("unsupported --level %q: use baseline or restricted", o.Level)
	case o.Trace != 0 && validTraceFor(o.Trace) != nil:
		return fmt.Errorf("--trace: %v", validTraceFor(o.Trace))
	case o.AddDenied && o.Trace == 0 && len(o.Evidence) == 0:
		return fmt.Errorf("--add-denied needs --trace or --evidence")
	case o.Via != viaExec && o.Via != viaNode:
		return fmt.Errorf("unknown --via %q: use exec or node", o.Via)
	case o.Via == viaNode && !live && !o.Observe:
		return fmt.Errorf("--via node reads running pods: use it with --observe or a live object (TYPE/NAME)")
	case len(o.Agent.set) > 0 && o.Trace == 0 && o.Via != viaNode:
		return fmt.Errorf("%s applies to --trace and --via node only", strings.Join(o.Agent.set, ", "))
	}
	if o.Trace != 0 || o.Via == viaNode {
		if err := o.Agent.validate(); err != nil {
			return err
		}
	}
	for _, r := range o.Runtimes {
		if r != "containerd" && r != "cri-o" && r != "docker" {
			return fmt.Errorf("unsupported --runtime %q: use containerd, cri-o or docker", r)
		}
	}
	if o.InPlace {
		for _, f := range o.Filenames {
			if f == "-" {
				return fmt.Errorf("cannot use --in-place with -f - (standard input)")
			}
		}
	}
	for _, f := range o.Filenames {
		if strings.Contains(f, "://") {
			return fmt.Errorf("-f %s: URLs are not read; download the file first", f)
		}
	}
	return nil
}

// Run hardens every input, then writes results only if nothing failed (stdout), or file by file
// (--in-place: a file that fails is left untouched, the others are written).
func (o *HardenOptions) Run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	inputs, failed := o.readInputs(ctx)
	opts := harden.Options{Options: o.Options, Namespace: o.namespace, Observer: o.observer}
	report := harden.NewReport()
	var results []*harden.Result
	var done []input
	var failures []error
	for _, in := range inputs {
		if in.kustomization != "" && o.InPlace {
			fmt.Fprintf(o.ErrOut, "error: %v\n", kustomizeInPlace(in.kustomization))
			failed = true
			continue
		}
		fileOpts := opts
		if in.live {
			fileOpts.Observer = o.liveObserver // live objects are observed without being asked
		}
		res, err := harden.File(ctx, in.name, in.data, fileOpts)
		if err != nil {
			failed = true
			failures = append(failures, err)
			fmt.Fprintf(o.ErrOut, "error: %v\n", err)
			report.Files = append(report.Files, harden.FileReport{Name: in.name, Error: err.Error(), Workloads: []harden.WorkloadReport{}})
			continue
		}
		harden.WriteText(o.ErrOut, res.Report)
		report.Files = append(report.Files, res.Report)
		results = append(results, res)
		done = append(done, in)
	}
	if o.Output == "sarif" {
		if err := o.writeSARIF(done, results, failures, checkExit(failed, results)); err != nil {
			fmt.Fprintf(o.ErrOut, "error: %v\n", err)
			failed = true
		}
	} else if err := o.emit(done, results, failed); err != nil {
		fmt.Fprintf(o.ErrOut, "error: %v\n", err)
		failed = true
	}
	if o.ReportFile != "" {
		if err := writeJSONReport(o.ReportFile, report); err != nil {
			fmt.Fprintf(o.ErrOut, "error: --report: %v\n", err)
			failed = true
		}
	}
	switch code := checkExit(failed, results); {
	case code == exitFailed:
		return &ExitError{Code: exitFailed}
	case o.Check && code == exitChanges:
		fmt.Fprintln(o.ErrOut, "harden --check: some containers are not hardened")
		return &ExitError{Code: exitChanges}
	}
	return nil
}

// checkExit is --check's exit code: 2 when an input failed, 1 when something would change.
func checkExit(failed bool, results []*harden.Result) int {
	if failed {
		return exitFailed
	}
	for _, r := range results {
		if r.Changed {
			return exitChanges
		}
	}
	return 0
}
