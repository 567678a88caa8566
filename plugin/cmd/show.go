package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/resource"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-caps/kubectl-caps/plugin/collect"
	"github.com/kubectl-caps/kubectl-caps/plugin/inspect"
	"github.com/kubectl-caps/kubectl-caps/plugin/printer"
	"github.com/kubectl-caps/kubectl-caps/plugin/report"
)

var showExample = templates.Examples(`
	# Every container of the pods in the current namespace
	kubectl caps show

	# A deployment's pods, one row per process
	kubectl caps show deploy/web --procs

	# The whole cluster, as a JSON report for scripts
	kubectl caps show -A -o json

	# Pods matching a label, one container, with every finding explained
	kubectl caps show -l app=web -c nginx --explain`)

// ShowOptions reads live capabilities of containers and compares them with their spec.
type ShowOptions struct {
	LabelSelector string
	AllNamespaces bool
	Container     string
	Output        string
	Procs         bool
	Explain       bool
	Concurrency   int
	Timeout       time.Duration
	MaxBytes      int

	namespace        string
	enforceNamespace bool
	args             []string
	builder          func() *resource.Builder
	client           kubernetes.Interface
	collector        *collect.Collector
	isTerminal       bool

	genericiooptions.IOStreams
}

func NewShowOptions(streams genericiooptions.IOStreams) *ShowOptions {
	return &ShowOptions{
		IOStreams:   streams,
		Concurrency: collect.DefaultConcurrency,
		Timeout:     collect.DefaultTimeout,
		MaxBytes:    collect.DefaultMaxBytes,
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
			a pod; TYPE/NAME may be a pod, deployment, statefulset, daemonset, replicaset, job,
			cronjob (its jobs' pods) or replicationcontroller. show never changes the cluster: it
			only reads pods and nodes and creates exec sessions.`),
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
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "output format: table (default), wide, json or yaml")
	cmd.Flags().BoolVar(&o.Procs, "procs", false, "one row per process instead of per container")
	cmd.Flags().BoolVar(&o.Explain, "explain", false, "print every container's findings in full under the table")
	cmd.Flags().IntVar(&o.Concurrency, "concurrency", o.Concurrency, "how many containers to read at once")
	cmd.Flags().DurationVar(&o.Timeout, "timeout", o.Timeout, "give up on one container's exec after this long")
	cmd.Flags().IntVar(&o.MaxBytes, "max-bytes", o.MaxBytes, "read at most this many bytes from one container")
	return cmd
}

func (o *ShowOptions) Complete(f cmdutil.Factory, cmd *cobra.Command, args []string) error {
	var err error
	o.namespace, o.enforceNamespace, err = f.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return err
	}
	o.args = args
	if len(args) == 0 {
		o.args = []string{"pods"}
	} else if !strings.Contains(args[0], "/") && !isResourceType(f, args[0]) {
		// `kubectl caps show web-0 web-1`: bare names are pods.
		o.args = append([]string{"pods"}, args...)
	}
	o.builder = f.NewBuilder
	cfg, err := f.ToRESTConfig()
	if err != nil {
		return err
	}
	o.client, err = kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	o.collector = &collect.Collector{
		Exec:        &collect.RemoteExecutor{Config: cfg, Client: o.client.CoreV1().RESTClient()},
		Concurrency: o.Concurrency,
		Timeout:     o.Timeout,
		MaxBytes:    o.MaxBytes,
		Recheck: collect.PodRecheck(func(ctx context.Context, ns, name string) (*corev1.Pod, error) {
			return o.client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		}),
	}
	if fi, ok := o.ErrOut.(*os.File); ok {
		o.isTerminal = isTerminal(fi)
	}
	return nil
}

// isResourceType asks the REST mapper whether s names a resource type ("deploy", "pods").
func isResourceType(f cmdutil.Factory, s string) bool {
	m, err := f.ToRESTMapper()
	if err != nil {
		return true // let the builder report the real problem
	}
	_, err = m.ResourceFor(schema.GroupVersionResource{Resource: s})
	return err == nil
}

func (o *ShowOptions) Validate() error {
	switch o.Output {
	case "", "table", "wide", "json", "yaml":
	default:
		return fmt.Errorf("unknown output format %q: use table, wide, json or yaml", o.Output)
	}
	if o.Procs && (o.Output == "json" || o.Output == "yaml") {
		return fmt.Errorf("--procs selects a table layout; -o %s always includes every process", o.Output)
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
	if o.AllNamespaces {
		for i, a := range o.args {
			if strings.Contains(a, "/") || i > 0 {
				return fmt.Errorf("cannot use --all-namespaces with a resource name (%s): names are per namespace", a)
			}
		}
	}
	return nil
}

func (o *ShowOptions) Run(parent context.Context) error {
	if parent == nil {
		parent = context.Background()
	}
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer stop()

	objs, resolveErrs := o.resolve()
	pods, err := collect.PodsFor(ctx, o.client, objs)
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
			fmt.Fprintf(o.ErrOut, "No resources found in %s namespace.\n", o.namespace)
		}
		return nil
	}
	nodes, warn := collect.Nodes(ctx, o.client, pods)
	if warn != "" {
		fmt.Fprintln(o.ErrOut, "Warning: "+warn)
	}

	plans := inspect.Plan(pods, nodes, o.Container)
	if o.Container != "" && len(plans) == 0 {
		return fmt.Errorf("no container named %q in the selected pods", o.Container)
	}
	var targets []collect.Target
	var index []int
	for i, p := range plans {
		if p.Exec {
			uid, cid := collect.TargetIdentity(p.Pod, p.Row.Container)
			targets = append(targets, collect.Target{
				Namespace: p.Row.Namespace, Pod: p.Row.Pod, Container: p.Row.Container,
				HostPID: p.Row.Declared.HostPID, PodUID: uid, ContainerID: cid,
			})
			index = append(index, i)
		}
	}
	progress := newProgress(o.ErrOut, o.isTerminal && len(targets) >= 10, len(targets))
	results := o.collector.Collect(ctx, targets, func(int, collect.Result) { progress.step() })
	progress.done()

	readings := make([]inspect.Reading, len(plans))
	for k, r := range results {
		readings[index[k]] = inspect.Reading{Output: r.Output, Err: r.Err}
	}
	full := inspect.NodeFullSets(plans, readings)

	interrupted := ctx.Err() != nil && parent.Err() == nil
	if interrupted && (o.Output == "json" || o.Output == "yaml") {
		// Half a document is worse than none for a script.
		fmt.Fprintln(o.ErrOut, "interrupted: no report written")
		return &ExitError{Code: 130}
	}
	if o.Output == "json" {
		// Streamed, so peak memory does not grow with the document (70 MB at 10,000 containers).
		js := printer.NewJSONStream(o.Out, report.New())
		for i, p := range plans {
			js.Add(inspect.Complete(p, readings[i], full))
			readings[i] = inspect.Reading{}
		}
		if err := js.Close(); err != nil {
			return err
		}
	} else {
		rep := report.New()
		for i, p := range plans {
			rep.Containers = append(rep.Containers, inspect.Complete(p, readings[i], full))
		}
		if err := o.print(rep); err != nil {
			return err
		}
	}
	failed := o.reportFailures(results)
	for _, e := range resolveErrs {
		fmt.Fprintf(o.ErrOut, "error: %v\n", e)
	}
	switch {
	case interrupted:
		fmt.Fprintln(o.ErrOut, "interrupted: the report above is partial")
		return &ExitError{Code: 130}
	case failed > 0 || len(resolveErrs) > 0:
		return &ExitError{Code: 1}
	}
	return nil
}

func (o *ShowOptions) resolve() ([]runtime.Object, []error) {
	r := o.builder().
		WithScheme(scheme.Scheme, scheme.Scheme.PrioritizedVersionsAllGroups()...).
		NamespaceParam(o.namespace).DefaultNamespace().AllNamespaces(o.AllNamespaces).
		LabelSelectorParam(o.LabelSelector).
		ResourceTypeOrNameArgs(true, o.args...).
		ContinueOnError().
		Flatten().
		Do()
	var objs []runtime.Object
	err := r.Visit(func(info *resource.Info, err error) error {
		if err != nil {
			return err
		}
		objs = append(objs, info.Object)
		return nil
	})
	if err == nil {
		return objs, nil
	}
	if agg, ok := err.(utilerrors.Aggregate); ok {
		return objs, agg.Errors()
	}
	return objs, []error{err}
}

func (o *ShowOptions) print(rep *report.Report) error {
	switch o.Output {
	case "json":
		return printer.JSON(o.Out, rep)
	case "yaml":
		return printer.YAML(o.Out, rep)
	}
	return printer.Table(o.Out, rep, printer.Options{
		Wide:          o.Output == "wide",
		Procs:         o.Procs,
		WithNamespace: o.AllNamespaces || manyNamespaces(rep),
		Explain:       o.Explain || len(rep.Containers) <= 3,
	})
}

// reportFailures prints one line per failed container to stderr, except that exec denied by RBAC
// is said once per namespace: that is one missing permission, not N problems.
func (o *ShowOptions) reportFailures(results []collect.Result) int {
	failed, cancelled := 0, 0
	forbidden := map[string]int{}
	for _, r := range results {
		if r.Err == nil {
			// A reading cut short by a bound is still used, but the user must know it is partial.
			if r.Output != nil && r.Output.Truncated {
				why := "the output ended before the probe's end marker"
				for _, p := range r.Output.Problems {
					if strings.HasPrefix(p, "output exceeded") || strings.HasPrefix(p, "more than") || strings.HasPrefix(p, "skipped a") {
						why = p
					}
				}
				fmt.Fprintf(o.ErrOut, "warning: %s/%s container %s: incomplete reading: %s\n", r.Namespace, r.Pod, r.Container, printer.ErrorLine(errors.New(why)))
			}
			continue
		}
		failed++
		if errors.Is(r.Err, context.Canceled) {
			cancelled++
			continue
		}
		if r.Forbidden {
			forbidden[r.Namespace]++
			continue
		}
		fmt.Fprintf(o.ErrOut, "error: %s/%s container %s: %s\n", r.Namespace, r.Pod, r.Container, printer.ErrorLine(r.Err))
	}
	nss := make([]string, 0, len(forbidden))
	for ns := range forbidden {
		nss = append(nss, ns)
	}
	sort.Strings(nss)
	for _, ns := range nss {
		fmt.Fprintf(o.ErrOut, "error: cannot exec into pods in namespace %q: missing permission on \"pods/exec\" (verbs get and create: WebSocket exec is authorized as get, SPDY as create; %d containers not read); ask for a Role granting them, e.g. the kubectl-caps-show ClusterRole in rbac/kubectl-caps.yaml\n", ns, forbidden[ns])
	}
	if cancelled > 0 {
		fmt.Fprintf(o.ErrOut, "%d containers not read: interrupted\n", cancelled)
	}
	return failed
}

func manyNamespaces(rep *report.Report) bool {
	for _, c := range rep.Containers {
		if c.Namespace != rep.Containers[0].Namespace {
			return true
		}
	}
	return false
}
