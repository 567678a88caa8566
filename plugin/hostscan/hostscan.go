// Package hostscan is the node agent's reader: it walks the node's /proc once and describes the
// processes of the requested containers, and nothing about any other process. For each one it
// reads /proc/PID/status (the same fields and parser as the exec reader), the file capabilities
// of /proc/PID/exe, the socket inodes among /proc/PID/fd, and once per network namespace the
// socket tables and ip_unprivileged_port_start.
//
// The reading needs the agent to run in the host's PID namespace (hostPID) so that /proc lists
// the node's processes. /proc/PID/status and /proc/PID/cgroup are world-readable; exe, fd and
// ns/net pass the kernel's ptrace access check, which for another user's process, or any process
// that holds capabilities the agent lacks or that exec'd a file with capabilities, needs
// CAP_SYS_PTRACE. Another network namespace's sysctls can only be read after setns into it,
// which needs CAP_SYS_ADMIN: without it the port start is reported as unknown, with the reason.
//
// Everything read is bounded (processes, file descriptors, bytes per file, sockets); every bound
// hit is said in the document. The Linux implementation is in read_linux.go; elsewhere Read
// returns a document whose Error says the agent only runs on Linux.
package hostscan

import (
	"github.com/kubectl-caps/kubectl-caps/plugin/containerid"
)

// Options says what to read.
type Options struct {
	// IDs are the containers to describe, validated by containerid.Parse.
	IDs []containerid.ID
	// Node and Version are copied into the document.
	Node, Version string
}

// Bounds beyond those of package nodereading.
const (
	// MaxScanned bounds the /proc entries walked (PID_MAX_LIMIT is 4M; a node with a million
	// processes is already broken).
	MaxScanned = 1 << 20
	// MaxFDsPerProcess and MaxFDsTotal bound the readlinks of /proc/PID/fd/N.
	MaxFDsPerProcess = 1 << 16
	MaxFDsTotal      = 1 << 21
)
