package hostscan

import (
	"sort"

	"github.com/kubectl-caps/kubectl-caps/plugin/nodereading"
)

// Stable order, so two readings of the same node compare line by line.
func sortSockets(s []nodereading.Socket) {
	sort.Slice(s, func(i, j int) bool {
		if s[i].Proto != s[j].Proto {
			return s[i].Proto < s[j].Proto
		}
		return s[i].Inode < s[j].Inode
	})
}

func sortNetNS(n []nodereading.NetNamespace) {
	sort.Slice(n, func(i, j int) bool { return n[i].Inode < n[j].Inode })
}
