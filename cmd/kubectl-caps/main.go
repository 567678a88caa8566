// Command kubectl-caps is the kubectl plugin binary: kubectl finds it on PATH and runs it for
// `kubectl caps ...`. It only wires streams and flags; everything else lives in plugin/.
package main

import (
	"os"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	// Exec credential plugins are built into client-go; this adds the in-tree auth providers
	// (OIDC) so every kubeconfig that works with kubectl works here.
	_ "k8s.io/client-go/plugin/pkg/client/auth"

	"github.com/kubectl-caps/kubectl-caps/plugin/cmd"
)

func main() {
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	os.Exit(cmd.Execute(streams))
}
