//go:build linux

package hostscan

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/kubectl-caps/kubectl-caps/plugin/containerid"
	"github.com/kubectl-caps/kubectl-caps/plugin/filecap"
	"github.com/kubectl-caps/kubectl-caps/plugin/nodereading"
	"github.com/kubectl-caps/kubectl-caps/plugin/reading"
)

// procRoot is where the node's processes are listed. It is not configurable: the reader follows
// magic links (/proc/self/fd/N/exe) that only the real procfs has.
const procRoot = "/proc"

// scan is the state of one walk.
type scan struct {
	doc     *nodereading.Document
	targets map[string]int // hex ID → index in doc.Containers
	netns   map[uint64]*netnsState
	selfNS  uint64
	procs   int // processes described so far
	fds     int // fd readlinks so far
	// counters turned into one problem each at the end, so a thousand denied reads are one line
	exeDenied, fdDenied, nsDenied, conflicts int
}

// netnsState is one network namespace: its socket table lines keyed by inode, read when its first
// target process was met.
type netnsState struct {
	out     *nodereading.NetNamespace
	sockets map[uint64]reading.Socket
	held    map[uint64]bool
}

// Read walks /proc once and describes the processes of o.IDs.
func Read(ctx context.Context, o Options) *nodereading.Document {
	d := newDocument(o)
	s := &scan{doc: d, targets: map[string]int{}, netns: map[uint64]*netnsState{}}
	for i, id := range o.IDs {
		s.targets[id.Hex] = i
	}
	if self, err := readFile(unix.AT_FDCWD, procRoot+"/self/status", reading.MaxStatusBytes); err == nil {
		if p, err := reading.ParseStatus(self); err == nil {
			d.Agent.UID = p.UID[reading.IDEffective]
			d.Agent.CapEff = p.Eff.Hex()
		}
	}
	var st unix.Stat_t
	if err := unix.Stat(procRoot+"/self/ns/net", &st); err == nil {
		s.selfNS = st.Ino
	}
	dir, err := os.Open(procRoot)
	if err != nil {
		d.Error = fmt.Sprintf("cannot list %s: %v", procRoot, err)
		return d
	}
	defer dir.Close()
	procfd := int(dir.Fd())
walk:
	for {
		names, err := dir.Readdirnames(1024)
		for _, name := range names {
			pid, perr := strconv.Atoi(name)
			if perr != nil || pid <= 0 {
				continue // not a process: /proc/self, /proc/sys, ...
			}
			if ctx.Err() != nil {
				d.Truncated = true
				addProblem(&d.Problems, "interrupted: the walk of /proc did not finish")
				break walk
			}
			if d.Scanned >= MaxScanned {
				d.Truncated = true
				addProblem(&d.Problems, fmt.Sprintf("more than %d processes on the node; the rest were not looked at", MaxScanned))
				break walk
			}
			d.Scanned++
			s.visit(procfd, name, pid)
		}
		if err != nil || len(names) == 0 {
			break // io.EOF at the end; any other error ends the listing as well
		}
	}
	s.finish()
	return d
}

// visit looks at one /proc entry. The process is pinned by a directory fd: if it exits and its PID
// is reused while we read, every later openat fails instead of reading another process.
func (s *scan) visit(procfd int, name string, pid int) {
	dirfd, err := unix.Openat(procfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return // exited since the listing
	}
	defer unix.Close(dirfd)
	cg, err := readFile(dirfd, "cgroup", containerid.MaxCgroupBytes)
	if err != nil {
		if !gone(err) {
			s.doc.Others++ // cannot be attributed, so not described
		}
		return
	}
	hex, err := containerid.FromCgroup(cg)
	if err != nil {
		s.doc.Others++
		if errors.Is(err, containerid.ErrConflict) {
			s.conflicts++
		}
		return
	}
	idx, ok := s.targets[hex]
	if !ok {
		s.doc.Others++
		return
	}
	if s.procs >= nodereading.MaxProcesses {
		s.doc.Truncated = true
		addProblem(&s.doc.Problems, fmt.Sprintf("more than %d processes in the requested containers; the rest were not read", nodereading.MaxProcesses))
		return
	}
	status, err := readFile(dirfd, "status", reading.MaxStatusBytes)
	if err != nil {
		if !gone(err) {
			addProblem(&s.doc.Problems, fmt.Sprintf("pid %d: /proc/%d/status: %v", pid, pid, errnoText(err)))
		}
		return
	}
	st, err := reading.ParseStatus(status)
	if err != nil {
		addProblem(&s.doc.Problems, fmt.Sprintf("pid %d: %v", pid, err))
		return
	}
	if st.PID == 0 {
		st.PID = pid
	}
	p := nodereading.FromStatus(st)
	s.readExe(dirfd, &p)
	s.readSockets(dirfd, &p)
	c := &s.doc.Containers[idx]
	c.Processes = append(c.Processes, p)
	s.procs++
}

// readExe records the executable's path and its file capabilities.
func (s *scan) readExe(dirfd int, p *nodereading.Process) {
	var buf [unix.PathMax + 1]byte
	n, err := unix.Readlinkat(dirfd, "exe", buf[:])
	if err != nil {
		p.ExeError = s.exeProblem(err)
		return
	}
	if n > len(buf)-1 {
		n = len(buf) - 1
	}
	p.Exe = string(buf[:n])
	// getxattr has no dirfd form before Linux 6.13 (getxattrat); the magic link of the pinned
	// directory reaches the same process's executable.
	var val [filecap.MaxSize + 1]byte
	vn, err := unix.Getxattr(fmt.Sprintf("%s/self/fd/%d/exe", procRoot, dirfd), "security.capability", val[:])
	switch {
	case errors.Is(err, unix.ENODATA) || errors.Is(err, unix.EOPNOTSUPP):
		// no file capabilities (or a file system without extended attributes)
	case errors.Is(err, unix.ERANGE):
		p.ExeError = fmt.Sprintf("security.capability is longer than %d bytes: not a file capability the kernel applies", filecap.MaxSize)
	case err != nil:
		p.ExeError = s.exeProblem(err)
	default:
		c, perr := filecap.Parse(val[:vn])
		if perr != nil {
			p.ExeError = perr.Error()
			return
		}
		p.FileCaps = nodereading.FromFileCaps(c)
	}
}

func (s *scan) exeProblem(err error) string {
	switch {
	case errors.Is(err, unix.ENOENT):
		return "no executable (a zombie or kernel thread, or it exited)"
	case denied(err):
		s.exeDenied++
		return "permission denied (reading another process's /proc/PID/exe needs CAP_SYS_PTRACE)"
	}
	return errnoText(err)
}

// readSockets finds the process's network namespace (reading it the first time) and the sockets of
// that namespace among its open files.
func (s *scan) readSockets(dirfd int, p *nodereading.Process) {
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, "ns/net", &st, 0); err != nil {
		if denied(err) {
			s.nsDenied++
			p.FDError = "network namespace not readable: permission denied (needs CAP_SYS_PTRACE)"
		} else if !gone(err) {
			p.FDError = "network namespace not readable: " + errnoText(err)
		}
		return
	}
	p.NetNS = st.Ino
	ns := s.netns[st.Ino]
	if ns == nil {
		if len(s.netns) >= nodereading.MaxNetNamespaces {
			s.doc.Truncated = true
			addProblem(&s.doc.Problems, fmt.Sprintf("more than %d network namespaces; the sockets of the others were not read", nodereading.MaxNetNamespaces))
			return
		}
		ns = s.readNetNS(dirfd, st.Ino)
		s.netns[st.Ino] = ns
	}
	fdfd, err := unix.Openat(dirfd, "fd", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		if denied(err) {
			s.fdDenied++
			p.FDError = "open files not readable: permission denied (listing another user's /proc/PID/fd needs CAP_DAC_READ_SEARCH, reading its links CAP_SYS_PTRACE)"
		} else if !gone(err) {
			p.FDError = "open files not readable: " + errnoText(err)
		}
		return
	}
	f := os.NewFile(uintptr(fdfd), "fd")
	defer f.Close()
	seen := 0
	var link [64]byte
	for {
		names, err := f.Readdirnames(256)
		for _, name := range names {
			if seen >= MaxFDsPerProcess || s.fds >= MaxFDsTotal {
				p.SocketsTruncated = true
				return
			}
			seen++
			s.fds++
			n, lerr := unix.Readlinkat(fdfd, name, link[:])
			if lerr != nil {
				if denied(lerr) && p.FDError == "" {
					s.fdDenied++
					p.FDError = "open files not readable: permission denied (needs CAP_SYS_PTRACE)"
				}
				continue
			}
			ino, ok := socketInode(link[:n])
			if !ok {
				continue
			}
			if _, inNS := ns.sockets[ino]; !inNS {
				continue // a unix socket, or one of another namespace
			}
			if len(p.Sockets) >= nodereading.MaxSocketsPerProcess {
				p.SocketsTruncated = true
				continue
			}
			p.Sockets = append(p.Sockets, ino)
			ns.held[ino] = true
		}
		if err != nil || len(names) == 0 {
			return
		}
	}
}

// socketInode parses a /proc/PID/fd link "socket:[12345]".
func socketInode(link []byte) (uint64, bool) {
	const pre = "socket:["
	if len(link) < len(pre)+2 || string(link[:len(pre)]) != pre || link[len(link)-1] != ']' {
		return 0, false
	}
	n, err := strconv.ParseUint(string(link[len(pre):len(link)-1]), 10, 64)
	return n, err == nil
}

var socketTables = [...]string{"tcp", "tcp6", "udp", "udp6", "raw", "raw6", "packet"}

// readNetNS reads a network namespace through one of its processes: the socket tables of
// /proc/PID/net (they show the process's namespace, not the reader's) and the port start.
func (s *scan) readNetNS(dirfd int, ino uint64) *netnsState {
	ns := &netnsState{out: &nodereading.NetNamespace{Inode: ino}, sockets: map[uint64]reading.Socket{}, held: map[uint64]bool{}}
	for _, t := range socketTables {
		data, err := readFile(dirfd, "net/"+t, reading.MaxNetBytes)
		if err != nil {
			if !errors.Is(err, unix.ENOENT) { // a kernel without IPv6 has no tcp6
				addProblem(&ns.out.Problems, fmt.Sprintf("/proc/net/%s: %v", t, errnoText(err)))
			}
			continue
		}
		socks, err := reading.ParseNetSockets(data, t)
		if err != nil {
			addProblem(&ns.out.Problems, err.Error())
			continue
		}
		for _, sk := range socks {
			ns.sockets[sk.Inode] = sk
		}
	}
	ns.out.PortStart, ns.out.PortStartError = s.portStart(dirfd, ino)
	return ns
}

// finish turns counters into problems and keeps, per network namespace, only the sockets a
// described process holds.
func (s *scan) finish() {
	total := 0
	for _, ns := range s.netns {
		for ino := range ns.held {
			if total >= nodereading.MaxSockets {
				s.doc.Truncated = true
				addProblem(&s.doc.Problems, fmt.Sprintf("more than %d sockets; the rest were not listed", nodereading.MaxSockets))
				break
			}
			ns.out.Sockets = append(ns.out.Sockets, nodereading.FromSocket(ns.sockets[ino]))
			total++
		}
		sortSockets(ns.out.Sockets)
		s.doc.NetNamespaces = append(s.doc.NetNamespaces, *ns.out)
	}
	sortNetNS(s.doc.NetNamespaces)
	if s.conflicts > 0 {
		addProblem(&s.doc.Problems, fmt.Sprintf("%d processes are in two containers' cgroups at once and were attributed to neither", s.conflicts))
	}
	self := "the agent"
	if s.doc.Agent.CapEff != "" {
		self = "the agent (effective capabilities " + s.doc.Agent.CapEff + ")"
	}
	for _, c := range []struct {
		n    int
		what string
	}{
		{s.exeDenied, "executables (and so file capabilities)"},
		{s.fdDenied, "open files (and so sockets)"},
		{s.nsDenied, "network namespaces (and so sockets)"},
	} {
		if c.n > 0 {
			addProblem(&s.doc.Problems, fmt.Sprintf("%s could not read the %s of %d processes: permission denied", self, c.what, c.n))
		}
	}
}

// readFile reads a whole /proc file relative to dirfd, at most max bytes (more is an error that
// wraps reading.ErrTooLarge). /proc files are generated on read, so it reads until EOF rather
// than trusting a size.
func readFile(dirfd int, name string, max int) ([]byte, error) {
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	buf := make([]byte, 0, 4096)
	for {
		if len(buf) == cap(buf) {
			if len(buf) > max {
				return nil, fmt.Errorf("%s is more than %d bytes: %w", name, max, reading.ErrTooLarge)
			}
			grown := make([]byte, len(buf), 2*cap(buf))
			copy(grown, buf)
			buf = grown
		}
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n == 0 {
			if len(buf) > max {
				return nil, fmt.Errorf("%s is more than %d bytes: %w", name, max, reading.ErrTooLarge)
			}
			return buf, nil
		}
		buf = buf[:len(buf)+n]
	}
}

// gone: the process exited while we read it.
func gone(err error) bool { return errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ESRCH) }

func denied(err error) bool { return errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) }

func errnoText(err error) string {
	var en unix.Errno
	if errors.As(err, &en) {
		return en.Error()
	}
	return err.Error()
}
