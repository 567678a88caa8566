package reading

// Method names how a container's reading was taken. The exec methods are in the order they are
// tried (package probe runs them); other readers add their own.
type Method string

const (
	// MethodProc is a POSIX sh loop over every /proc/PID/status, run in the container over exec.
	MethodProc Method = "proc"
	// MethodPID1 is `cat /proc/1/status` over exec (images without a shell).
	MethodPID1 Method = "proc-pid1"
	// MethodCapsh is `capsh --print` over exec: it describes the exec'd capsh, not the workload.
	MethodCapsh Method = "capsh"
)

// Snapshot is one container's processes as one reading saw them, parsed and bounded. Every
// string in it came from the container and is untrusted.
type Snapshot struct {
	Method Method
	Procs  []Process
	// PortStart is ip_unprivileged_port_start in the container's network namespace, nil when not
	// read.
	PortStart *int
	// Scope is "cgroup" (only the container's own processes), "all" (every process the
	// container's PID namespace shows), "pid1" (only PID 1) or "exec" (only the exec'd process).
	Scope  string
	Others int // processes seen but not the container's own (hostPID, shared PID namespace)
	// Sockets are the socket tables of the container's network namespace (shared by the pod).
	Sockets []Socket
	// SocketInodes are, per PID, the inodes of the sockets the process has open, when the reader
	// could see them (/proc/PID/fd); they tie sockets to this container's processes.
	SocketInodes map[int][]uint64
	// Truncated is set when the reading hit a bound (bytes or processes) or ended early.
	Truncated bool
	// Problems lists parts that could not be parsed; the rest is still used.
	Problems []string
}

// Main is the container's first process: the lowest PID among its own; nil without processes.
func (s *Snapshot) Main() *Process {
	var best *Process
	for i := range s.Procs {
		if best == nil || s.Procs[i].PID < best.PID {
			best = &s.Procs[i]
		}
	}
	return best
}
