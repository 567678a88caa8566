//go:build linux

package traceagent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kubectl-caps/kubectl-caps/plugin/containerid"
	"github.com/kubectl-caps/kubectl-caps/plugin/reading"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/capcheck"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/capstrace"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/tracereport"
)

// procRoot lists the node's processes (the agent runs with hostPID).
const procRoot = "/proc"

// Run traces the containers of o for o.For (or until ctx ends) and returns one row per ID.
func Run(ctx context.Context, o Options) *tracereport.Trace {
	out := tracereport.New()
	began := time.Now()
	rows := make([]tracereport.Container, len(o.IDs))
	metas := make([]tracereport.Meta, len(o.IDs))
	release := kernelRelease()
	for i, id := range o.IDs {
		metas[i] = tracereport.Meta{ContainerID: id.String(), Node: o.Node, Release: release}
	}
	fail := func(i int, why string) { rows[i] = tracereport.Failed(metas[i], why) }
	finish := func() *tracereport.Trace {
		out.Containers = rows
		out.Duration = time.Since(began).Round(time.Second).String()
		return out
	}

	v1, err := cgroupVersion(o.HostRoot)
	if err != nil {
		for i := range o.IDs {
			fail(i, "cannot tell the node's cgroup version: "+err.Error())
		}
		return finish()
	}
	version := "v2"
	if v1 {
		version = "v1"
	}
	for i := range metas {
		metas[i].Cgroup = version
	}
	found, conflicts, nsErr := locate(o.IDs, v1)

	// Each container's cgroup ids, from the directories of the paths its processes are in.
	perContainer := make([][]uint64, len(o.IDs))
	notes := make([][]string, len(o.IDs))
	var all []uint64
	pending := 0
	for i, id := range o.IDs {
		f := found[i]
		if f.Processes == 0 {
			fail(i, fmt.Sprintf("container %s is not running on node %s: no process in %s/*/cgroup names it", short(id), o.Node, procRoot))
			continue
		}
		roots := hostRoots(o.HostRoot, f.FirstPID)
		var tried []string
		for _, p := range f.Paths {
			if strings.HasPrefix(p, "/..") {
				why := "it is relative to the agent's cgroup namespace"
				if nsErr != nil {
					why += " (joining the host's failed: " + nsErr.Error() + ")"
				}
				tried = append(tried, fmt.Sprintf("cgroup %s: %s", p, why))
				continue
			}
			dir, cid, errs := cgroupID(roots, v1, p)
			tried = append(tried, errs...)
			if dir == "" {
				continue
			}
			perContainer[i] = append(perContainer[i], cid)
			all = append(all, cid)
			procs := fmt.Sprintf("%d processes at the start, the first pid %d", f.Processes, f.FirstPID)
			if f.Processes == 1 {
				procs = fmt.Sprintf("1 process at the start, pid %d", f.FirstPID)
			}
			notes[i] = append(notes[i], fmt.Sprintf("traced cgroup %s (id %d; %s)", dir, cid, procs))
		}
		if f.Truncated {
			notes[i] = append(notes[i], fmt.Sprintf("its processes are in more than %d cgroups: only the first %d are traced", MaxCgroupsPerContainer, MaxCgroupsPerContainer))
		}
		if len(perContainer[i]) == 0 {
			if f.Problem != "" {
				tried = append(tried, f.Problem)
			}
			fail(i, fmt.Sprintf("container %s on node %s: no cgroup to trace (%s)", short(id), o.Node, strings.Join(tried, "; ")))
			continue
		}
		if conflicts > 0 {
			notes[i] = append(notes[i], fmt.Sprintf("%d processes on the node are in two containers' cgroups at once and were attributed to neither", conflicts))
		}
		pending++
	}
	if pending == 0 {
		if o.Started != nil {
			o.Started("", 0, errors.New("no container to trace"))
		}
		return finish()
	}

	tr, err := capstrace.Start(capstrace.Options{Cgroups: all, Path: o.Path, CgroupV1: &v1})
	if o.Started != nil {
		o.Started(pathOf(tr), len(all), err)
	}
	if err != nil {
		why := fmt.Sprintf("cannot trace on node %s: %v", o.Node, err)
		if errors.Is(err, capstrace.ErrNoKernelPath) {
			why = fmt.Sprintf("no usable kernel path on node %s (kernel %s): %v", o.Node, release, err)
		}
		for i := range o.IDs {
			if len(perContainer[i]) > 0 {
				fail(i, why)
			}
		}
		return finish()
	}
	defer tr.Close() // also on a panic; Close is safe twice

	wait := time.NewTimer(o.For)
	select {
	case <-ctx.Done():
	case <-wait.C:
	}
	wait.Stop()
	snap, err := tr.Records()
	// Unloaded before the summary is built: the kernel stops counting as soon as the time is up.
	closeErr := tr.Close()
	for i := range o.IDs {
		if len(perContainer[i]) == 0 {
			continue
		}
		if err != nil {
			fail(i, fmt.Sprintf("reading the counted checks on node %s: %v", o.Node, err))
			continue
		}
		c := tracereport.Summarize(metas[i], snap, tracereport.ForCgroups(snap, perContainer[i]...))
		c.Notes = append(c.Notes, notes[i]...)
		if snap.Path == capcheck.PathKprobe {
			c.Notes = append(c.Notes, tracereport.KprobeUntested)
		}
		if closeErr != nil {
			c.Notes = append(c.Notes, "detaching the program reported: "+closeErr.Error())
		}
		rows[i] = c
	}
	return finish()
}

// hostRoots are where the host's cgroup tree may be seen from the agent, in the order tried:
// the given root (PID 1's, in a hostPID pod), the root of the container's parent process (its
// runtime shim, which lives in the host's mount namespace: PID 1 of a node may refuse access to
// its root, as a non-dumpable init does), and the agent's own root (running on the host itself).
func hostRoots(given string, containerPID int) []string {
	var roots []string
	if given != "" {
		roots = append(roots, given)
	}
	if ppid := parentOf(containerPID); ppid > 0 {
		roots = append(roots, fmt.Sprintf("%s/%d/root", procRoot, ppid))
	}
	return append(roots, "/")
}

// cgroupVersion tells v1 from v2 at the first root whose cgroup mount answers; a container's own
// /sys/fs/cgroup is of the host's version too.
func cgroupVersion(given string) (bool, error) {
	var errs []string
	for _, root := range hostRoots(given, 0) {
		v1, err := capstrace.CgroupV1At(filepath.Join(root, capstrace.CgroupRoot))
		if err == nil {
			return v1, nil
		}
		errs = append(errs, fmt.Sprintf("%s: %v", filepath.Join(root, capstrace.CgroupRoot), err))
	}
	return false, errors.New(strings.Join(errs, "; "))
}

// cgroupID finds the directory of a cgroup path under the first root that has it, and its id;
// errs names every directory tried that failed.
func cgroupID(roots []string, v1 bool, path string) (dir string, id uint64, errs []string) {
	for _, root := range roots {
		d := capstrace.CgroupDir(filepath.Join(root, capstrace.CgroupRoot), v1, path)
		cid, err := capstrace.CgroupID(d)
		if err == nil {
			return d, cid, errs
		}
		errs = append(errs, err.Error())
	}
	return "", 0, errs
}

// parentOf is a process's parent pid from /proc/PID/status, 0 when unknown.
func parentOf(pid int) int {
	if pid <= 0 {
		return 0
	}
	b, err := readBounded(fmt.Sprintf("%s/%d/status", procRoot, pid), reading.MaxStatusBytes)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "PPid:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

func pathOf(tr *capstrace.Tracer) capcheck.Path {
	if tr == nil {
		return ""
	}
	return tr.Path()
}

// locate walks /proc once and finds the requested containers' cgroups. /proc/PID/cgroup names
// paths relative to the reading thread's cgroup namespace; an agent in a namespace of its own
// (cgroup v2 gives containers one) reads from a thread that joined the host's (setns needs
// CAP_SYS_ADMIN, which the privileged agent has). nsErr says why that failed, if it was needed.
func locate(ids []containerid.ID, v1 bool) (found []Found, conflicts int, nsErr error) {
	walk := func() ([]Found, int) {
		l := NewLocator(ids, v1)
		walkCgroups(l.Add)
		return l.Found(), l.Conflicts
	}
	if sameCgroupNS() {
		found, conflicts = walk()
		return found, conflicts, nil
	}
	type answer struct {
		found     []Found
		conflicts int
		err       error
	}
	ch := make(chan answer, 1)
	go func() {
		// Never unlocked: when this goroutine ends, the runtime retires the thread with the
		// namespace it joined, so no other goroutine ever runs in it.
		runtime.LockOSThread()
		var err error
		if fd, oerr := unix.Open(procRoot+"/1/ns/cgroup", unix.O_RDONLY|unix.O_CLOEXEC, 0); oerr != nil {
			err = oerr
		} else {
			err = unix.Setns(fd, unix.CLONE_NEWCGROUP)
			unix.Close(fd)
		}
		f, c := walk()
		ch <- answer{f, c, err}
	}()
	a := <-ch
	return a.found, a.conflicts, a.err
}

// sameCgroupNS reports whether this process shares the host's (PID 1's) cgroup namespace.
func sameCgroupNS() bool {
	var self, init unix.Stat_t
	if unix.Stat(procRoot+"/self/ns/cgroup", &self) != nil || unix.Stat(procRoot+"/1/ns/cgroup", &init) != nil {
		return true // no cgroup namespaces (or no access): paths are read as they are
	}
	return self.Ino == init.Ino && self.Dev == init.Dev
}

// walkCgroups calls visit with every process's /proc/PID/cgroup text.
func walkCgroups(visit func(pid int, text []byte)) {
	dir, err := os.Open(procRoot)
	if err != nil {
		return
	}
	defer dir.Close()
	for {
		names, err := dir.Readdirnames(1024)
		for _, name := range names {
			pid, perr := strconv.Atoi(name)
			if perr != nil || pid <= 0 {
				continue
			}
			if text, err := readBounded(filepath.Join(procRoot, name, "cgroup"), containerid.MaxCgroupBytes); err == nil {
				visit(pid, text)
			}
		}
		if err != nil || len(names) == 0 {
			return
		}
	}
}

func readBounded(path string, max int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(max)+1))
	if err != nil {
		return nil, err
	}
	if len(data) > max {
		return nil, fmt.Errorf("%s is more than %d bytes", path, max)
	}
	return data, nil
}

func kernelRelease() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}

// short names a container in a message the way people recognise it (crictl's 13 characters).
func short(id containerid.ID) string {
	if id.Runtime == "" {
		return id.Hex[:13]
	}
	return id.Runtime + "://" + id.Hex[:13]
}
