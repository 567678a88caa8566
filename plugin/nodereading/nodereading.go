// Package nodereading is the document the node agent (`kubectl-caps agent read`) prints and the
// plugin reads back from the agent pod's log: for each requested container, its processes as the
// node's /proc describes them, their executables' file capabilities and the sockets they hold;
// for each network namespace, ip_unprivileged_port_start and the sockets of those processes.
//
// It is internal between the agent and the plugin of the same version, but versioned all the same
// (apiVersion/kind), because a cluster may run an agent image of another version than the plugin
// (a mirrored image, --agent-image): a document of another kind is refused, not misread. Within
// one apiVersion fields are only added. The package is pure, builds on every platform, and Decode
// treats the document as untrusted input: the image named by --agent-image could be anything.
package nodereading

const (
	APIVersion = "caps.kubectl.io/v1alpha1"
	Kind       = "NodeReading"
)

// Bounds the agent keeps and Decode enforces.
const (
	// MaxContainers is how many container IDs one agent is asked about (a node runs at most a
	// few hundred; the kubelet's default is 110 pods).
	MaxContainers = 4096
	// MaxProcesses is how many processes one document describes, across its containers (the
	// exec reader's bound is the same per container).
	MaxProcesses = 10000
	// MaxSocketsPerProcess bounds the socket inodes listed for one process; MaxSockets bounds
	// the socket lines of all network namespaces together.
	MaxSocketsPerProcess = 1024
	MaxSockets           = 20000
	// MaxNetNamespaces bounds the network namespaces read (one per pod, plus the host's).
	MaxNetNamespaces = 4096
	// MaxProblems bounds every problems list; MaxTextLen bounds each string the agent copies
	// from /proc (names, paths, problems).
	MaxProblems = 100
	MaxTextLen  = 4096
	// MaxBytes bounds the whole document; far above what MaxProcesses processes need (about
	// 500 bytes each) and below the kubelet's default container log rotation size (10 MiB), so
	// the log the plugin follows is never rotated away under it.
	MaxBytes = 9 << 20
)

// Document is one node's reading.
type Document struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	// Node is the node name the plugin passed (--node); the agent cannot verify it.
	Node  string `json:"node,omitempty"`
	Agent Agent  `json:"agent"`
	// Containers holds one entry per requested ID, in the order requested, also when no
	// process was found (the container exited, or its ID is not on this node).
	Containers    []Container    `json:"containers"`
	NetNamespaces []NetNamespace `json:"netNamespaces,omitempty"`
	// Scanned is how many processes /proc listed; Others how many of them belong to no requested
	// container. Nothing else is said about those.
	Scanned int `json:"scanned"`
	Others  int `json:"others"`
	// Truncated: a bound was hit; Problems says which.
	Truncated bool     `json:"truncated,omitempty"`
	Problems  []string `json:"problems,omitempty"`
	// Error is set when nothing could be read at all (not Linux, no /proc).
	Error string `json:"error,omitempty"`
}

// Agent describes the reader, so a reading with gaps can say why (which capability was missing).
type Agent struct {
	Version string `json:"version"`
	UID     int64  `json:"uid"`
	// CapEff is the agent's own effective set, 16 hex digits.
	CapEff string `json:"capEff"`
}

// Container is one requested container ID and what was found for it.
type Container struct {
	// ID is exactly as requested ("containerd://<hex>" or the bare hex).
	ID        string    `json:"id"`
	Processes []Process `json:"processes"`
}

// Process is one process of a container. The status fields mirror /proc/PID/status (see
// reading.ParseStatus); masks are 16 hex digits as the kernel prints them.
type Process struct {
	PID  int    `json:"pid"`
	PPID int    `json:"ppid"`
	Name string `json:"name"` // the Name: field, raw (sanitize before display)
	// UID and GID: real, effective, saved, filesystem.
	UID    [4]int64 `json:"uid"`
	GID    [4]int64 `json:"gid"`
	CapInh string   `json:"capInh"`
	CapPrm string   `json:"capPrm"`
	CapEff string   `json:"capEff"`
	CapBnd string   `json:"capBnd"`
	CapAmb string   `json:"capAmb,omitempty"` // absent on kernels before 4.3
	// NoNewPrivs and Seccomp are absent when the kernel did not print them.
	NoNewPrivs     *bool `json:"noNewPrivs,omitempty"`
	Seccomp        *int  `json:"seccomp,omitempty"`
	SeccompFilters int   `json:"seccompFilters,omitempty"`

	// Exe is the executable's path as the process's mount namespace names it (raw, untrusted).
	Exe string `json:"exe,omitempty"`
	// FileCaps is the executable's security.capability; nil when it has none or it could not be
	// read (then ExeError says why).
	FileCaps *FileCaps `json:"fileCaps,omitempty"`
	ExeError string    `json:"exeError,omitempty"`
	// NetNS is the inode of the process's network namespace (0 when unreadable).
	NetNS uint64 `json:"netns,omitempty"`
	// Sockets are the inodes of the sockets among its open files.
	Sockets          []uint64 `json:"sockets,omitempty"`
	SocketsTruncated bool     `json:"socketsTruncated,omitempty"`
	FDError          string   `json:"fdError,omitempty"`
}

// FileCaps is a file's security.capability attribute, decoded (see package filecap).
type FileCaps struct {
	Revision    int     `json:"revision"`
	Permitted   string  `json:"permitted"`
	Inheritable string  `json:"inheritable"`
	Effective   bool    `json:"effective"`
	RootID      *uint32 `json:"rootID,omitempty"`
}

// NetNamespace is one network namespace that a requested container's process is in.
type NetNamespace struct {
	Inode uint64 `json:"inode"`
	// PortStart is ip_unprivileged_port_start; nil when it could not be read (PortStartError
	// says why: reading another namespace's sysctls needs setns, that is CAP_SYS_ADMIN).
	PortStart      *int   `json:"portStart,omitempty"`
	PortStartError string `json:"portStartError,omitempty"`
	// Sockets are the lines of its /proc/net tables whose inode a requested process holds;
	// sockets of other processes are not listed.
	Sockets  []Socket `json:"sockets,omitempty"`
	Problems []string `json:"problems,omitempty"`
}

// Socket is one socket table line (see reading.Socket).
type Socket struct {
	Proto     string `json:"proto"`
	LocalPort int    `json:"localPort"`
	Listening bool   `json:"listening,omitempty"`
	UID       int64  `json:"uid"`
	Inode     uint64 `json:"inode"`
}
