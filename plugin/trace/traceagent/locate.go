package traceagent

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kubectl-caps/kubectl-caps/plugin/containerid"
)

// KeyPath returns, from one /proc/PID/cgroup text, the cgroup path of the hierarchy the eBPF
// program keys checks by: on cgroup v1 the memory controller's line (the program reads the
// task's memory-hierarchy cgroup, since bpf_get_current_cgroup_id is 1 for every task there), on
// v2 the unified "0::" line.
func KeyPath(text []byte, v1 bool) (string, error) {
	for _, line := range strings.Split(string(text), "\n") {
		_, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		ctrls, path, ok := strings.Cut(rest, ":")
		if !ok || !strings.HasPrefix(path, "/") {
			continue
		}
		if !v1 {
			if strings.HasPrefix(line, "0::") {
				return path, nil
			}
			continue
		}
		for _, c := range strings.Split(ctrls, ",") {
			if c == "memory" {
				return path, nil
			}
		}
	}
	if v1 {
		return "", fmt.Errorf("no memory controller line")
	}
	return "", fmt.Errorf("no unified (0::) line")
}

// Found is one requested container as the node's /proc showed it.
type Found struct {
	// Paths are the distinct cgroup paths (of the hierarchy KeyPath reads) its processes are in,
	// in the order met: usually one, the container's own.
	Paths []string
	// Processes counts the processes seen; FirstPID is the lowest of them.
	Processes int
	FirstPID  int
	// Truncated: more than MaxCgroupsPerContainer distinct cgroups; the rest are not traced.
	Truncated bool
	// Problem says why a process of it gave no usable path (the last such reason).
	Problem string
}

// Locator collects, from the /proc/PID/cgroup texts of a node's processes, the cgroups that the
// processes of the requested containers are in. It is pure: the agent feeds it what it reads.
type Locator struct {
	v1    bool
	index map[string]int
	found []Found
	// Conflicts counts processes whose lines name two containers (attributed to neither: only a
	// process that moved itself can be in two containers' cgroups).
	Conflicts int
}

// NewLocator looks for ids on a cgroup v1 (v1 true) or v2 host.
func NewLocator(ids []containerid.ID, v1 bool) *Locator {
	l := &Locator{v1: v1, index: map[string]int{}, found: make([]Found, len(ids))}
	for i, id := range ids {
		if _, dup := l.index[id.Hex]; !dup {
			l.index[id.Hex] = i
		}
	}
	return l
}

// Add looks at one process. Processes of other containers and of the host are ignored.
func (l *Locator) Add(pid int, text []byte) {
	hex, err := containerid.FromCgroup(text)
	if err != nil {
		if errors.Is(err, containerid.ErrConflict) {
			l.Conflicts++
		}
		return
	}
	i, ok := l.index[hex]
	if !ok {
		return
	}
	f := &l.found[i]
	f.Processes++
	if f.FirstPID == 0 || pid < f.FirstPID {
		f.FirstPID = pid
	}
	path, err := KeyPath(text, l.v1)
	if err != nil {
		f.Problem = fmt.Sprintf("pid %d: %v", pid, err)
		return
	}
	for _, p := range f.Paths {
		if p == path {
			return
		}
	}
	if len(f.Paths) >= MaxCgroupsPerContainer {
		f.Truncated = true
		return
	}
	f.Paths = append(f.Paths, path)
}

// Found returns what was found for each requested ID, in their order (a repeated ID is found
// once, at its first position).
func (l *Locator) Found() []Found { return l.found }
