package containerid

import (
	"errors"
	"fmt"
	"strings"
)

// MaxCgroupBytes bounds one /proc/PID/cgroup text. A cgroup v1 host with every controller
// mounted prints about 14 lines of at most a few hundred bytes; v2 prints one.
const MaxCgroupBytes = 64 << 10

// ErrConflict is wrapped when the lines of one /proc/PID/cgroup name different containers: on
// cgroup v1 each hierarchy has its own line, and only a process that moved itself (it needs
// CAP_SYS_ADMIN and a writable cgroupfs) can be in two containers' cgroups at once. Such a
// process is attributed to neither.
var ErrConflict = errors.New("cgroup lines name different containers")

// FromCgroup finds the container a process belongs to from its /proc/PID/cgroup text, and returns
// its 64-hex ID, or "" for a process in no container's cgroup (the host's own processes).
//
// Each line is "hierarchy-ID:controllers:path" (cgroup v1: one per hierarchy; v2: one "0::path").
// In a path, the outermost component that names a container wins:
//   - containerd and Docker with the cgroupfs driver: /kubepods/burstable/pod<uid>/<id>, /docker/<id>
//   - the systemd driver: .../kubepods-besteffort-pod<uid>.slice/cri-containerd-<id>.scope,
//     docker-<id>.scope, crio-<id>.scope
//   - CRI-O with cgroupfs: /kubepods/pod<uid>/crio-<id>
//
// The outermost, because a container may create cgroups below its own (systemd or Docker inside a
// container): those belong to the container the kubelet started. CRI-O's monitor lives in
// crio-conmon-<id>.scope and is not the container: it does not match. A pod's sandbox (pause)
// container is just another ID. Lines without a container (the v2 line of a hybrid v1 host, a
// name=systemd line left in a service) are ignored; lines that name different containers are an
// ErrConflict. Paths seen from another cgroup namespace start with "/.." and are read the same.
func FromCgroup(data []byte) (string, error) {
	if len(data) > MaxCgroupBytes {
		return "", fmt.Errorf("cgroup text is %d bytes, more than the %d accepted", len(data), MaxCgroupBytes)
	}
	found := ""
	rest := string(data)
	for lineNo := 1; rest != ""; lineNo++ {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		if line == "" {
			continue
		}
		_, afterID, ok1 := strings.Cut(line, ":")
		_, path, ok2 := strings.Cut(afterID, ":")
		if !ok1 || !ok2 || !strings.HasPrefix(path, "/") {
			return "", fmt.Errorf("cgroup line %d: %s is not hierarchy:controllers:/path", lineNo, quote(line))
		}
		id := fromPath(path)
		switch {
		case id == "":
		case found == "":
			found = id
		case id != found:
			return "", fmt.Errorf("%w (%s… and %s…)", ErrConflict, found[:12], id[:12])
		}
	}
	return found, nil
}

// fromPath returns the outermost container ID named by a component of a cgroup path.
func fromPath(path string) string {
	for rest := path; rest != ""; {
		var c string
		c, rest, _ = strings.Cut(rest, "/")
		if id := fromComponent(c); id != "" {
			return id
		}
	}
	return ""
}

// Prefixes of systemd scope (and CRI-O cgroupfs) names that carry a container ID. The ID must be
// all that follows, so "crio-conmon-<id>.scope" (the monitor, not the container) never matches.
var scopePrefixes = [...]string{"cri-containerd-", "crio-", "docker-"}

func fromComponent(c string) string {
	if IsHex(c) {
		return c
	}
	// Cheap length filter before any string work: every accepted form is 64 hex plus a prefix
	// and an optional ".scope".
	if len(c) <= HexLen {
		return ""
	}
	name := strings.TrimSuffix(c, ".scope")
	for _, p := range scopePrefixes {
		if id, ok := strings.CutPrefix(name, p); ok && IsHex(id) {
			return id
		}
	}
	return ""
}
