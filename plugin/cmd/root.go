// Package cmd holds kubectl-caps' subcommands in kubectl's Options style: NewXOptions sets
// defaults, NewCmdX binds flags, and Complete → Validate → Run does the work, handing ready
// values to the engine packages (scan for reading, harden for manifests). A verb may span a few
// files (harden.go, harden_input.go, ...); every verb is registered in newCmdCaps.
package cmd

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
)

// ExitError carries a specific exit code up to main without printing anything more: the command
// already said what happened (e.g. `show` found per-container failures, `harden --check` found
// changes).
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// NewCmdCaps builds the root command with every subcommand.
func NewCmdCaps(streams genericiooptions.IOStreams) *cobra.Command {
	return newCmdCaps(streams)
}

// newCmdCaps registers every subcommand, here and only here; tests pass extra commands that
// need the real factory.
func newCmdCaps(streams genericiooptions.IOStreams, extra ...func(cmdutil.Factory) *cobra.Command) *cobra.Command {
	configFlags := genericclioptions.NewConfigFlags(true).WithDeprecatedPasswordFlag().WithDiscoveryBurst(300).WithDiscoveryQPS(50.0)
	root := &cobra.Command{
		Use:   "caps",
		Short: "Show and harden Linux capabilities of Kubernetes workloads",
		Long: `kubectl caps tells the truth about Linux capabilities: what each container and process
really holds, next to what its securityContext declares and what that spec yields on the node's
runtime, and how to harden manifests to drop: [ALL] plus the few capabilities a workload needs.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Annotations: map[string]string{
			// Makes help and usage read "kubectl caps", not "kubectl-caps".
			cobra.CommandDisplayNameAnnotation: "kubectl caps",
		},
	}
	flags := root.PersistentFlags()
	configFlags.AddFlags(flags)
	addLogFlags(root)
	f := cmdutil.NewFactory(newRateLimitedGetter(configFlags))

	root.AddCommand(
		NewCmdShow(f, streams),
		NewCmdHarden(f, streams),
		NewCmdTrace(f, streams),
		NewCmdDecode(streams),
		NewCmdVersion(streams),
		NewCmdCompletion(streams),
		NewCmdAgent(streams), // hidden: what the node agent pod runs
	)
	for _, add := range extra {
		root.AddCommand(add(f))
	}
	registerCompletions(root, f)
	return root
}

// Execute runs the root command and maps errors to exit codes: 0 ok, 1 generic failure or an
// ExitError's code.
func Execute(streams genericiooptions.IOStreams) int {
	root := NewCmdCaps(streams)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	fmt.Fprintf(streams.ErrOut, "error: %v\n", err)
	return 1
}
