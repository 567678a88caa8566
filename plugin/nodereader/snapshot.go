package nodereader

import (
	"fmt"

	"github.com/kubectl-caps/kubectl-caps/plugin/containerid"
	"github.com/kubectl-caps/kubectl-caps/plugin/nodereading"
	"github.com/kubectl-caps/kubectl-caps/plugin/reading"
)

// Snapshots turns a node's document into one reading per requested ID (nil for an ID the
// document does not mention). It is pure, so the mapping is tested without a cluster.
//
// A container's reading holds its own processes only (the agent matched them by cgroup); its
// sockets are those of its network namespace that a requested process holds, tied to processes
// by SocketInodes; its port start is that of its main process's network namespace, nil when the
// agent could not read it (the reason is among the reading's problems).
func Snapshots(doc *nodereading.Document, ids []containerid.ID) []*reading.Snapshot {
	byHex := map[string]*nodereading.Container{}
	for i := range doc.Containers {
		c := &doc.Containers[i]
		if id, err := containerid.Parse(c.ID); err == nil {
			byHex[id.Hex] = c
		}
	}
	netns := map[uint64]*nodereading.NetNamespace{}
	for i := range doc.NetNamespaces {
		netns[doc.NetNamespaces[i].Inode] = &doc.NetNamespaces[i]
	}
	out := make([]*reading.Snapshot, len(ids))
	for k, id := range ids {
		c := byHex[id.Hex]
		if c == nil {
			continue
		}
		s := &reading.Snapshot{Method: Method, Scope: "cgroup", SocketInodes: map[int][]uint64{}, Truncated: doc.Truncated}
		if doc.Truncated {
			s.Problems = append(s.Problems, doc.Problems...)
		}
		var mainNS uint64
		mainPID := 0
		for _, p := range c.Processes {
			st, err := p.Status()
			if err != nil {
				s.Problems = append(s.Problems, err.Error())
				continue
			}
			st.Exe, st.ExeRead = p.Exe, p.Exe != "" || p.FileCaps != nil
			if p.FileCaps != nil {
				fc, err := p.FileCaps.Caps()
				if err != nil {
					s.Problems = append(s.Problems, fmt.Sprintf("pid %d: %v", p.PID, err))
				} else {
					st.FileCaps = &fc
				}
			}
			if p.ExeError != "" {
				s.Problems = append(s.Problems, fmt.Sprintf("pid %d: executable: %s", p.PID, p.ExeError))
			}
			if p.FDError != "" {
				s.Problems = append(s.Problems, fmt.Sprintf("pid %d: %s", p.PID, p.FDError))
			}
			if len(p.Sockets) > 0 {
				s.SocketInodes[st.PID] = append([]uint64(nil), p.Sockets...)
			}
			if mainPID == 0 || st.PID < mainPID {
				mainPID, mainNS = st.PID, p.NetNS
			}
			s.Procs = append(s.Procs, st)
		}
		if ns := netns[mainNS]; ns != nil {
			s.PortStart = ns.PortStart
			if ns.PortStart == nil && ns.PortStartError != "" {
				s.Problems = append(s.Problems, "ip_unprivileged_port_start "+ns.PortStartError)
			}
			for _, sk := range ns.Sockets {
				rs, err := sk.Reading()
				if err != nil {
					s.Problems = append(s.Problems, err.Error())
					continue
				}
				s.Sockets = append(s.Sockets, rs)
			}
		}
		out[k] = s
	}
	return out
}
