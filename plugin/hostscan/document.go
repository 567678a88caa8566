package hostscan

import "github.com/kubectl-caps/kubectl-caps/plugin/nodereading"

// newDocument is the document with every requested container listed, none read yet.
func newDocument(o Options) *nodereading.Document {
	d := &nodereading.Document{
		APIVersion: nodereading.APIVersion,
		Kind:       nodereading.Kind,
		Node:       o.Node,
		Agent:      nodereading.Agent{Version: o.Version, UID: -1},
		Containers: make([]nodereading.Container, len(o.IDs)),
	}
	for i, id := range o.IDs {
		d.Containers[i] = nodereading.Container{ID: id.String(), Processes: []nodereading.Process{}}
	}
	return d
}

// addProblem appends a problem once, within the bound.
func addProblem(list *[]string, p string) {
	for _, q := range *list {
		if q == p {
			return
		}
	}
	if len(*list) < nodereading.MaxProblems {
		*list = append(*list, clipText(p))
	}
}

func clipText(s string) string {
	if len(s) > 512 {
		return s[:512] + "..."
	}
	return s
}
