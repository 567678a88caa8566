package cmd

import (
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
)

// DecodeOptions turns hex capability masks into names, offline, like `capsh --decode`.
type DecodeOptions struct {
	Masks  []string
	Kube   bool
	parsed []capset.Set
	genericiooptions.IOStreams
}

func NewDecodeOptions(streams genericiooptions.IOStreams) *DecodeOptions {
	return &DecodeOptions{IOStreams: streams}
}

func NewCmdDecode(streams genericiooptions.IOStreams) *cobra.Command {
	o := NewDecodeOptions(streams)
	cmd := &cobra.Command{
		Use:   "decode MASK [MASK...]",
		Short: "Print the capability names in hex masks, like capsh --decode (offline)",
		Example: `  # The 14 capabilities containerd and Docker grant by default
  kubectl caps decode 00000000a80425fb

  # Kubernetes spelling, ready for a securityContext
  kubectl caps decode --kube 0x3400`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(args); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run()
		},
	}
	cmd.Flags().BoolVar(&o.Kube, "kube", false, "print Kubernetes names (NET_RAW) instead of libcap names (cap_net_raw)")
	return cmd
}

func (o *DecodeOptions) Complete(args []string) error {
	o.Masks = args
	return nil
}

func (o *DecodeOptions) Validate() error {
	o.parsed = make([]capset.Set, len(o.Masks))
	for i, m := range o.Masks {
		s, err := capset.ParseHex(m)
		if err != nil {
			return err
		}
		o.parsed[i] = s
	}
	return nil
}

func (o *DecodeOptions) Run() error {
	for _, s := range o.parsed {
		names := s.Decode()
		if o.Kube {
			names = s.String()
		}
		fmt.Fprintf(o.Out, "0x%s=%s\n", s.Hex(), names)
	}
	return nil
}
