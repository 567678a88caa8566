//go:build kubectltool

// Command kubectl is the real kubectl, built from the k8s.io/kubectl module this project already
// uses, for machines that have no kubectl installed: .ci/run builds it only then, with
// `go build -tags kubectltool`. The build tag keeps it out of the normal ./... build. It runs
// kubectl's own root command (plugin dispatch included), as kubernetes/cmd/kubectl does.
package main

import (
	"os"

	"k8s.io/kubectl/pkg/cmd"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"

	_ "k8s.io/client-go/plugin/pkg/client/auth"
)

func main() {
	if err := cmd.NewDefaultKubectlCommand().Execute(); err != nil {
		cmdutil.CheckErr(err)
		os.Exit(1)
	}
}
