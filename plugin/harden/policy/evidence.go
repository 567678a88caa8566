package policy

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/reading"
	"github.com/kubectl-caps/kubectl-caps/plugin/termsafe"
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
	// Needs are capabilities a trace of the workload's capability checks saw it use (issue 13:
	// `harden --trace`, `--evidence TRACE.json`); each becomes a need with source "traced",
	// whether or not running pods were read. Refused ones (Denied) are added only with
	// Options.AddDenied.
	Needs []TracedNeed `json:"needs,omitempty"`
	// Traced counts the pods whose capability checks were traced.
	Traced int `json:"traced,omitempty"`
}

// TracedNeed is one capability a trace saw used (or refused), and what asked for it.
type TracedNeed struct {
	Name   string `json:"name"`   // NET_BIND_SERVICE
	Reason string `json:"reason"` // "bind(2) of port 80 by nginx (pid 1)"
	// Denied: the workload asked for it and was refused; it ran without it.
	Denied bool `json:"denied,omitempty"`
	// OnlyAsRoot: every check came from a process running as uid 0, so in a container made
	// non-root the capability would not be effective by adding it.
	OnlyAsRoot bool `json:"onlyAsRoot,omitempty"`
}

// Observation is one container in one running pod, as the collector read it.
type Observation struct {
	Pod       string
	Processes []reading.Process // the container's own processes
	Sockets   []reading.Socket  // /proc/net/{tcp,tcp6,udp,udp6,raw,raw6,packet} in its netns
	// SocketInodes are, per PID, the inodes of the sockets the process has open, when the
	// collector could read them (/proc/PID/fd); they tie sockets to this container, as the pod's
	// containers share one network namespace. Without them sockets are tied by owner uid.
	SocketInodes          map[int][]uint64
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
			uid, ok := p.EffectiveUID()
			if ok && uid != 0 && !p.Eff.Empty() && ev.FileCaps.Union(p.Eff) != ev.FileCaps {
				ev.FileCaps = ev.FileCaps.Union(p.Eff)
				ev.Notes = append(ev.Notes, fmt.Sprintf("pod %s: pid %d (%s) runs as uid %d yet holds %s effectively: file capabilities", o.Pod, p.PID, termsafe.Clean(p.Name), uid, p.Eff))
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

// inferUIDs finds processes that changed identity: uid fields that differ from each other, or a
// process running as another user than the root process that started it (its parent, or the
// container's first process when parents are unknown).
func inferUIDs(ev *Evidence, o Observation) {
	byPID := map[int]reading.Process{}
	main := o.Processes[0]
	for _, p := range o.Processes {
		byPID[p.PID] = p
		if p.PID > 0 && (main.PID <= 0 || p.PID < main.PID) {
			main = p
		}
	}
	for _, p := range o.Processes {
		if !p.HasIDs {
			continue
		}
		parent, ok := byPID[p.PPID]
		if !ok || p.PPID == 0 || !parent.HasIDs {
			parent = main
		}
		name := termsafe.Clean(p.Name)
		for _, id := range []struct {
			ids, parentIDs [4]int64
			switched       *bool
			what, capName  string
		}{
			{p.UID, parent.UID, &ev.SwitchedUID, "uid", "SETUID"},
			{p.GID, parent.GID, &ev.SwitchedGID, "gid", "SETGID"},
		} {
			if *id.switched {
				continue
			}
			real := id.ids[reading.IDReal]
			switch {
			case differ(id.ids):
				*id.switched = true
				ev.Notes = append(ev.Notes, fmt.Sprintf("pod %s: pid %d (%s) has %ss %s (real, effective, saved, fs): it changed %s → %s", o.Pod, p.PID, name, id.what, ids(id.ids), id.what, id.capName))
			case parent.PID != p.PID && parent.UID[reading.IDReal] == 0 && real >= 0 && id.parentIDs[reading.IDReal] >= 0 && real != id.parentIDs[reading.IDReal]:
				*id.switched = true
				ev.Notes = append(ev.Notes, fmt.Sprintf("pod %s: pid %d (%s) runs as %s %d under pid %d running as root: a root process switched %s → %s", o.Pod, p.PID, name, id.what, real, parent.PID, id.what, id.capName))
			}
		}
	}
}

// differ compares the known entries (-1 is unknown: capsh prints fewer than four).
func differ(ids [4]int64) bool {
	first := int64(-1)
	for _, v := range ids {
		if v < 0 {
			continue
		}
		if first >= 0 && v != first {
			return true
		}
		first = v
	}
	return false
}

func ids(v [4]int64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = "?"
		if x >= 0 {
			parts[i] = strconv.FormatInt(x, 10)
		}
	}
	return strings.Join(parts, " ")
}

// inferSockets keeps the sockets that belong to this container: by inode when the processes'
// sockets are known, else by owner uid (the pod's containers share one network namespace, and
// with hostNetwork so does the node).
func inferSockets(ev *Evidence, o Observation, ports map[int]bool) {
	inodes := map[uint64]bool{}
	uids := map[int64]bool{}
	for _, p := range o.Processes {
		for _, i := range o.SocketInodes[p.PID] {
			inodes[i] = true
		}
		if uid, ok := p.EffectiveUID(); ok {
			uids[uid] = true
		}
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
