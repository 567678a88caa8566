package cmd

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kubectl-caps/kubectl-caps/plugin/workload"
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/completion"
)

// binaryName is what the generated scripts complete. A script cannot complete `kubectl caps`
// itself without replacing kubectl's own completion; kubectl (>= 1.26) does that part by running
// kubectl_complete-caps, which the release archives ship.
const binaryName = "kubectl-caps"

var completionShells = []string{"bash", "zsh", "fish", "powershell"}

func NewCmdCompletion(streams genericiooptions.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print a shell completion script",
		Long: `Shell completion for kubectl caps.

Through kubectl (kubectl 1.26 or newer), nothing needs generating: enable kubectl's own completion
(kubectl completion --help) and put the executable kubectl_complete-caps, shipped in every release
archive, on PATH. kubectl runs it to complete arguments of "kubectl caps". After a krew install:

  cp "${KREW_ROOT:-$HOME/.krew}"/store/caps/*/kubectl_complete-caps "${KREW_ROOT:-$HOME/.krew}/bin/"

(on Windows copy kubectl_complete-caps.cmd into %USERPROFILE%\.krew\bin instead).

This command prints a script for running the binary directly as kubectl-caps.`,
		Example: `  # bash (needs the bash-completion package)
  source <(kubectl-caps completion bash)

  # zsh (after compinit)
  source <(kubectl-caps completion zsh)

  # fish
  kubectl-caps completion fish | source

  # PowerShell
  kubectl-caps completion powershell | Out-String | Invoke-Expression`,
		ValidArgs:             completionShells,
		Args:                  cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs),
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return writeCompletion(cmd.Root(), args[0], streams)
		},
	}
}

// writeCompletion generates the script with cobra under the binary's file name: the root
// command is "caps" (for kubectl-style help), but the shell sees "kubectl-caps".
func writeCompletion(root *cobra.Command, shell string, streams genericiooptions.IOStreams) error {
	use := root.Use
	root.Use = binaryName
	defer func() { root.Use = use }()
	switch shell {
	case "bash":
		return root.GenBashCompletionV2(streams.Out, true)
	case "zsh":
		return root.GenZshCompletion(streams.Out)
	case "fish":
		return root.GenFishCompletion(streams.Out, true)
	case "powershell":
		return root.GenPowerShellCompletionWithDesc(streams.Out)
	}
	return fmt.Errorf("unsupported shell %q: use one of %s", shell, strings.Join(completionShells, ", "))
}

// outputFormats are offered for -o on the commands that have it, unless the command registered
// its own completion (which then wins, as harden's does).
var outputFormats = map[string][]string{
	"show":  {"table", "wide", "json", "yaml", "html"},
	"trace": {"table", "wide", "json", "yaml"},
}

// registerCompletions adds dynamic shell completion (`kubectl-caps __complete ...`, which
// kubectl_complete-caps calls) to the finished command tree: namespaces, contexts, clusters and
// users for the kubeconfig flags, pod and workload names for `show`, `harden` and `trace` arguments,
// container names for -c, and -o values. It must run after every subcommand is added, and it
// never overrides completion a subcommand set up itself.
func registerCompletions(root *cobra.Command, f cmdutil.Factory) {
	completion.SetFactoryForCompletion(f)

	registerFlagCompletion(root, "namespace", func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return completion.CompGetResource(f, "namespace", toComplete), cobra.ShellCompDirectiveNoFileComp
	})
	// kubectl's ContextCompletionFunc & co. only answer for the first positional argument; as
	// flag values they must answer wherever the flag is, so call the listers directly.
	registerFlagCompletion(root, "context", func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return completion.ListContextsInConfig(toComplete), cobra.ShellCompDirectiveNoFileComp
	})
	registerFlagCompletion(root, "cluster", func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return completion.ListClustersInConfig(toComplete), cobra.ShellCompDirectiveNoFileComp
	})
	registerFlagCompletion(root, "user", func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return completion.ListUsersInConfig(toComplete), cobra.ShellCompDirectiveNoFileComp
	})

	for _, c := range root.Commands() {
		switch c.Name() {
		case "show", "harden", "trace":
			if c.ValidArgsFunction == nil {
				c.ValidArgsFunction = workloadArgsCompletion(f)
			}
			if c.Flags().Lookup("container") != nil {
				registerFlagCompletion(c, "container", completion.ContainerCompletionFunc(f))
			}
		}
		if formats, ok := outputFormats[c.Name()]; ok && c.Flags().Lookup("output") != nil {
			registerFlagCompletion(c, "output", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
		}
	}
}

// registerFlagCompletion registers fn unless the flag is missing or already has a completion.
func registerFlagCompletion(c *cobra.Command, flag string, fn cobra.CompletionFunc) {
	if c.Flag(flag) == nil {
		return
	}
	if _, exists := c.GetFlagCompletionFunc(flag); exists {
		return
	}
	// Both error cases of RegisterFlagCompletionFunc (missing, already registered) are ruled out.
	_ = c.RegisterFlagCompletionFunc(flag, fn)
}

// workloadArgsCompletion completes the arguments `show` and `harden` take: pod names (NAME),
// TYPE/NAME for the workload kinds they understand, and names after a bare TYPE. Like kubectl's
// pod completion, it offers only types that hold pods, not every API resource, so it answers
// even before discovery works. Values already on the command line are not offered again.
func workloadArgsCompletion(f cmdutil.Factory) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		directive := cobra.ShellCompDirectiveNoFileComp
		if len(args) > 0 && workload.IsTypeName(args[0]) {
			return cmdutil.Difference(completion.CompGetResource(f, args[0], toComplete), args[1:]), directive
		}
		if slash := strings.Index(toComplete, "/"); slash >= 0 {
			kind, prefix := toComplete[:slash], toComplete[slash+1:]
			var comps []string
			for _, name := range completion.CompGetResource(f, kind, prefix) {
				comps = append(comps, kind+"/"+name)
			}
			return cmdutil.Difference(comps, args), directive
		}
		comps := cmdutil.Difference(completion.CompGetResource(f, "pods", toComplete), args)
		if len(comps) == 0 {
			// Only "TYPE/" choices left: let the next TAB go on to the name without a space.
			directive |= cobra.ShellCompDirectiveNoSpace
		}
		// Offered as "TYPE/" so the next TAB completes names.
		var types []string
		for _, k := range workload.Kinds {
			if strings.HasPrefix(k.Resource, toComplete) {
				types = append(types, k.Resource+"/")
			}
		}
		sort.Strings(types)
		comps = append(comps, types...)
		return comps, directive
	}
}
