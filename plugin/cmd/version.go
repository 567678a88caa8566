package cmd

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"

	"github.com/kubectl-caps/kubectl-caps/plugin/version"
)

// versionOutputs are the -o values `version` accepts, also offered by shell completion.
var versionOutputs = []string{"json", "yaml"}

// VersionOptions prints the plugin's own version. It never contacts a cluster: `kubectl version`
// already reports the client and server.
type VersionOptions struct {
	Output string
	info   version.Info
	genericiooptions.IOStreams
}

func NewVersionOptions(streams genericiooptions.IOStreams) *VersionOptions {
	return &VersionOptions{IOStreams: streams}
}

func NewCmdVersion(streams genericiooptions.IOStreams) *cobra.Command {
	o := NewVersionOptions(streams)
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version of kubectl caps",
		Example: `  # The version, commit and build date, and the agent image show --via node runs
  kubectl caps version

  # Also the Go version and platform, for bug reports and scripts
  kubectl caps version -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Complete()
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run()
		},
	}
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "output format: json or yaml (default: one line for people)")
	cmdutil.CheckErr(cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(versionOutputs, cobra.ShellCompDirectiveNoFileComp)))
	return cmd
}

func (o *VersionOptions) Complete() {
	o.info = version.Get()
}

func (o *VersionOptions) Validate() error {
	switch o.Output {
	case "", "json", "yaml":
		return nil
	}
	return fmt.Errorf("unknown --output %q: use json or yaml", o.Output)
}

func (o *VersionOptions) Run() error {
	switch o.Output {
	case "json":
		b, err := json.MarshalIndent(o.info, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(o.Out, "%s\n", b)
		return err
	case "yaml":
		b, err := yaml.Marshal(o.info)
		if err != nil {
			return err
		}
		_, err = o.Out.Write(b)
		return err
	}
	_, err := fmt.Fprintf(o.Out, "kubectl caps %s (commit %s, built %s)\nagent image: %s\n", o.info.Version, o.info.Commit, o.info.Date, o.info.AgentImage)
	return err
}
