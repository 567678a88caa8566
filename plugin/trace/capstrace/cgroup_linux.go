//go:build linux

package capstrace

import (
	"fmt"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// CgroupRoot is where the host mounts its cgroups. An agent in a container whose cgroup
// namespace is its own must look at the host's (e.g. /proc/1/root/sys/fs/cgroup with hostPID).
const CgroupRoot = "/sys/fs/cgroup"

// CgroupV1 reports whether the host runs cgroup v1 (including the hybrid layout with an
// "unified" v2 mount beside the v1 hierarchies): /sys/fs/cgroup is then not a cgroup2 mount, and
// the program must read the task's memory-hierarchy cgroup instead of bpf_get_current_cgroup_id,
// which is 1 (the v2 root) for every task there.
func CgroupV1() (bool, error) { return CgroupV1At(CgroupRoot) }

// CgroupV1At is CgroupV1 for cgroups mounted at root (e.g. the host's, seen from a container).
func CgroupV1At(root string) (bool, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(root, &st); err != nil {
		return false, fmt.Errorf("detect cgroup version: %w", err)
	}
	return st.Type != unix.CGROUP2_SUPER_MAGIC, nil
}

// CgroupDir turns a cgroup path as /proc/PID/cgroup or a runtime names it (e.g.
// "/kubepods/besteffort/pod<uid>/<container id>") into the directory whose id the program
// compares: root/memory/<path> on v1, root/<path> on v2. An empty root means CgroupRoot.
func CgroupDir(root string, v1 bool, path string) string {
	if root == "" {
		root = CgroupRoot
	}
	clean := filepath.Clean("/" + strings.TrimSpace(path)) // "/../x" cannot climb out of root
	if v1 {
		return filepath.Join(root, "memory", clean)
	}
	return filepath.Join(root, clean)
}

// CgroupID returns the id the program compares for a cgroup directory: its kernfs id, which is the
// directory's inode number on 64-bit kernels (v1: pass the memory hierarchy's directory, see
// CgroupDir; v2: any cgroup directory). It refuses a path that is not a cgroup directory, whose
// inode would match nothing or, worse, something else.
func CgroupID(dir string) (uint64, error) {
	var fs unix.Statfs_t
	if err := unix.Statfs(dir, &fs); err != nil {
		return 0, fmt.Errorf("cgroup %s: %w", dir, err)
	}
	if fs.Type != unix.CGROUP_SUPER_MAGIC && fs.Type != unix.CGROUP2_SUPER_MAGIC {
		return 0, fmt.Errorf("cgroup %s: not on a cgroup file system (type %#x)", dir, fs.Type)
	}
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		return 0, fmt.Errorf("cgroup %s: %w", dir, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return 0, fmt.Errorf("cgroup %s: not a directory", dir)
	}
	return st.Ino, nil
}
