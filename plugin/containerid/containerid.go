// Package containerid names containers the way both sides of a node reading see them: the
// kubelet's status.containerStatuses[].containerID ("containerd://<id>") and the container's
// cgroup path in /proc/PID/cgroup. It is pure: it takes strings and bytes, so the plugin (every
// platform) validates what it sends and the agent (Linux) matches what it reads with the same code.
package containerid

import (
	"fmt"
	"strings"
)

// HexLen is the length of every container ID the supported runtimes create: containerd, CRI-O
// and Docker all name containers (and pod sandboxes) by 32 random bytes in lowercase hex.
const HexLen = 64

// ID is one container as its runtime names it.
type ID struct {
	// Runtime is the scheme of the status field ("containerd", "cri-o", "docker"), or "" when
	// only the bare hex was given.
	Runtime string
	// Hex is the 64 lowercase hex digits, the part that appears in cgroup paths.
	Hex string
}

// String is the status field's spelling, or the bare hex when the runtime is unknown.
func (id ID) String() string {
	if id.Runtime == "" {
		return id.Hex
	}
	return id.Runtime + "://" + id.Hex
}

// Runtimes whose status IDs are accepted. Other CRI runtimes use other cgroup layouts this
// package does not know, so their IDs are refused rather than silently never matched.
var runtimes = map[string]bool{"containerd": true, "cri-o": true, "docker": true}

// Parse validates a container ID as the kubelet reports it ("containerd://<64 hex>",
// "cri-o://...", "docker://...") or as bare 64 lowercase hex digits. Anything else is an error:
// the ID travels from the API server to the agent's command line, and the agent only ever matches
// exact IDs, so there is no reason to accept more.
func Parse(s string) (ID, error) {
	rt, hex, found := strings.Cut(s, "://")
	if !found {
		rt, hex = "", s
	} else if !runtimes[rt] {
		return ID{}, fmt.Errorf("container ID %s: unknown runtime %s (want containerd://, cri-o:// or docker://)", quote(s), quote(rt))
	}
	if !IsHex(hex) {
		return ID{}, fmt.Errorf("container ID %s: want %d lowercase hex digits", quote(s), HexLen)
	}
	return ID{Runtime: rt, Hex: hex}, nil
}

// IsHex reports whether s is exactly 64 lowercase hex digits.
func IsHex(s string) bool {
	if len(s) != HexLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// quote renders untrusted text for an error: clipped and Go-quoted, never raw.
func quote(s string) string {
	const max = 80
	if len(s) > max {
		return fmt.Sprintf("%q...", s[:max])
	}
	return fmt.Sprintf("%q", s)
}
