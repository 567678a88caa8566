package cmd

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"

	"github.com/kubectl-caps/kubectl-caps/plugin/scan"
)

// selection is what a reading verb (show, trace) was asked to read, resolved as kubectl get
// resolves its arguments.
type selection struct{ scan.Selection }

// newSelection turns the command line into a selection: no argument means every pod of the
// namespace, bare names are pods (`kubectl caps show web-0 web-1`), TYPE/NAME and TYPE NAME are
// passed to the resource builder.
func newSelection(f cmdutil.Factory, ns string, all bool, labelSelector string, args []string) selection {
	s := scan.Selection{Namespace: ns, AllNamespaces: all, LabelSelector: labelSelector, Args: args}
	if len(args) == 0 {
		s.Args = []string{"pods"}
	} else if !strings.Contains(args[0], "/") && !isResourceType(f, args[0]) {
		s.Args = append([]string{"pods"}, args...)
	}
	return selection{s}
}

// validate refuses names with -A: names are per namespace.
func (s selection) validate() error {
	if s.AllNamespaces {
		for i, a := range s.Args {
			if strings.Contains(a, "/") || i > 0 {
				return fmt.Errorf("cannot use --all-namespaces with a resource name (%s): names are per namespace", a)
			}
		}
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
