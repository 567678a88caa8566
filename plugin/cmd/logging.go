package cmd

import (
	"flag"
	"io"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	"k8s.io/klog/v2"
)

// addLogFlags adds kubectl's -v. client-go reports stream hiccups through klog (for example
// "use of closed network connection" when we close a stream on purpose at a bound or a timeout);
// those are noise for a user, so klog is silent unless -v asks for it. Errors that matter reach the
// user through our own per-container messages.
func addLogFlags(root *cobra.Command) {
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	root.PersistentFlags().AddGoFlag(fs.Lookup("v"))
	root.PersistentFlags().Lookup("v").Shorthand = "v"
	root.PersistentFlags().Lookup("v").Usage = "log level for client-go diagnostics (0 = quiet)"
	prev := root.PersistentPreRunE
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		if fs.Lookup("v").Value.String() == "0" {
			klog.SetLogger(logr.Discard())
			klog.SetOutput(io.Discard)
			klog.LogToStderr(false)
		}
		if prev != nil {
			return prev(cmd, args)
		}
		return nil
	}
}
