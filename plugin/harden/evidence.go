package harden

import (
	"fmt"
	"sort"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
)

// Evidence is what the running workload was seen doing, for one container, over all its pods.
// Infer builds it from raw readings; tests build it by hand.
type Evidence struct {
	Pods        int   `json:"pods"`                  // how many running pods were read
	ListenPorts []int `json:"listenPorts,omitempty"` // TCP listening and UDP bound ports
	SwitchedUID bool  `json:"switchedUID,omitempty"` // some process changed its uid
	SwitchedGID bool  `json:"switchedGID,omitempty"` // some process changed its gid
	RawSockets  bool  `json:"rawSockets,omitempty"`  // raw or packet sockets are open
	// FileCaps are capabilities that non-root processes hold effectively: they got them from
	// file capabilities (setcap), which no_new_privs (allowPrivilegeEscalation: false) blocks.
	FileCaps capset.Set `json:"-"`
	// UnprivilegedPortStart is net.ipv4.ip_unprivileged_port_start as read in the pod.
	UnprivilegedPortStart *int `json:"unprivilegedPortStart,omitempty"`
	// Notes state every inference drawn, for the report.
	Notes []string `json:"notes,omitempty"`
}

// Process is one process of a container as the collector read it.
type Process struct {
	PID  int
	Name string
	// UID and GID are [real, effective, saved, filesystem], as in /proc/PID/status.
	UID, GID  [4]int64
	Effective capset.Set
	// SocketInodes are the inodes of the sockets the process has open, when known; they tie
	// sockets to this container when the pod's containers share a network namespace.
	SocketInodes []uint64
}

// Socket is one line of /proc/net/{tcp,tcp6,udp,udp6,raw,raw6,packet}.
type Socket struct {
	Proto     string // tcp, tcp6, udp, udp6, raw, raw6, packet
	LocalPort int
	Listening bool // TCP LISTEN; for UDP, a bound local port
	UID       int64
	Inode     uint64
}

// Observation is one container in one running pod.
type Observation struct {
	Pod                   string
	Processes             []Process
	Sockets               []Socket
	UnprivilegedPortStart *int
	HostNetwork           bool
}

// Infer derives evidence from observations of one container in each running pod. Every
// conclusion is written to Notes with the fact behind it.
func Infer(obs []Observation) Evidence {
	var ev Evidence
	ports := map[int]bool{}
	for _, o := range obs {
		if len(o.Processes) == 0 {
			continue
		}
		ev.Pods++
		inferUIDs(&ev, o)
		inferSockets(&ev, o, ports)
		for _, p := range o.Processes {
			if p.UID[1] != 0 && !p.Effective.Empty() && ev.FileCaps.Union(p.Effective) != ev.FileCaps {
				ev.FileCaps = ev.FileCaps.Union(p.Effective)
				ev.Notes = append(ev.Notes, fmt.Sprintf("pod %s: pid %d (%s) runs as uid %d yet holds %s effectively: file capabilities", o.Pod, p.PID, p.Name, p.UID[1], p.Effective))
			}
		}
		if o.UnprivilegedPortStart != nil && (ev.UnprivilegedPortStart == nil || *o.UnprivilegedPortStart > *ev.UnprivilegedPortStart) {
			v := *o.UnprivilegedPortStart
			ev.UnprivilegedPortStart = &v
		}
	}
	for p := range ports {
		ev.ListenPorts = append(ev.ListenPorts, p)
	}
	sort.Ints(ev.ListenPorts)
	return ev
}

func inferUIDs(ev *Evidence, o Observation) {
	main := o.Processes[0]
	for _, p := range o.Processes[1:] {
		if p.PID < main.PID {
			main = p
		}
	}
	for _, p := range o.Processes {
		if !ev.SwitchedUID {
			if differ(p.UID) {
				ev.SwitchedUID = true
				ev.Notes = append(ev.Notes, fmt.Sprintf("pod %s: pid %d (%s) has uids %v (real, effective, saved, fs): it changed uid → SETUID", o.Pod, p.PID, p.Name, p.UID))
			} else if p.UID[0] != main.UID[0] && main.UID[0] == 0 {
				ev.SwitchedUID = true
				ev.Notes = append(ev.Notes, fmt.Sprintf("pod %s: pid %d (%s) runs as uid %d under pid %d running as root: a root process switched uid → SETUID", o.Pod, p.PID, p.Name, p.UID[0], main.PID))
			}
		}
		if !ev.SwitchedGID {
			if differ(p.GID) {
				ev.SwitchedGID = true
				ev.Notes = append(ev.Notes, fmt.Sprintf("pod %s: pid %d (%s) has gids %v (real, effective, saved, fs): it changed gid → SETGID", o.Pod, p.PID, p.Name, p.GID))
			} else if p.GID[0] != main.GID[0] && main.UID[0] == 0 {
				ev.SwitchedGID = true
				ev.Notes = append(ev.Notes, fmt.Sprintf("pod %s: pid %d (%s) runs as gid %d under pid %d running as root: a root process switched gid → SETGID", o.Pod, p.PID, p.Name, p.GID[0], main.PID))
			}
		}
	}
}

func differ(ids [4]int64) bool { return ids[0] != ids[1] || ids[0] != ids[2] || ids[0] != ids[3] }

// inferSockets keeps the sockets that belong to this container: by inode when the processes'
// sockets are known, else by owner uid (the pod's containers share one network namespace, and
// with hostNetwork so does the node).
func inferSockets(ev *Evidence, o Observation, ports map[int]bool) {
	inodes := map[uint64]bool{}
	uids := map[int64]bool{}
	for _, p := range o.Processes {
		for _, i := range p.SocketInodes {
			inodes[i] = true
		}
		uids[p.UID[1]] = true
	}
	byInode := len(inodes) > 0
	attributed := false
	for _, s := range o.Sockets {
		if byInode && !inodes[s.Inode] || !byInode && !uids[s.UID] {
			continue
		}
		switch s.Proto {
		case "raw", "raw6", "packet":
			if !ev.RawSockets {
				ev.RawSockets = true
				ev.Notes = append(ev.Notes, fmt.Sprintf("pod %s: a %s socket is open → NET_RAW", o.Pod, s.Proto))
			}
		default:
			if s.Listening && s.LocalPort > 0 && !ports[s.LocalPort] {
				ports[s.LocalPort] = true
				attributed = true
			}
		}
	}
	if attributed && !byInode {
		where := "the pod's other containers"
		if o.HostNetwork {
			where = "other processes on the node (hostNetwork)"
		}
		ev.Notes = append(ev.Notes, fmt.Sprintf("pod %s: sockets were tied to this container by owner uid; %s running as the same uid would be counted too", o.Pod, where))
	}
}
