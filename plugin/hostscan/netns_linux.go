//go:build linux

package hostscan

import (
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

const portStartPath = procRoot + "/sys/net/ipv4/ip_unprivileged_port_start"

// portStart reads ip_unprivileged_port_start of the network namespace of the process pinned by
// dirfd. Files under /proc/sys/net answer for the namespace of the thread that opens them, never
// for the process whose /proc directory leads there, so another namespace's value is read after
// setns(CLONE_NEWNET) on a locked OS thread. setns needs CAP_SYS_ADMIN (over the target namespace's
// user namespace and the agent's own); without it the value is unknown, and the error says so.
func (s *scan) portStart(dirfd int, ino uint64) (*int, string) {
	if ino == s.selfNS {
		return readPortStart()
	}
	nsfd, err := unix.Openat(dirfd, "ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, "not read: cannot open the network namespace: " + errnoText(err)
	}
	defer unix.Close(nsfd)
	type answer struct {
		v   *int
		msg string
	}
	ch := make(chan answer, 1)
	go func() {
		// The thread changes namespace; nothing else may run on it until it is back.
		runtime.LockOSThread()
		self, err := unix.Open(procRoot+"/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			ch <- answer{nil, "not read: " + errnoText(err)}
			return
		}
		defer unix.Close(self)
		if err := unix.Setns(nsfd, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			if errors.Is(err, unix.EPERM) {
				ch <- answer{nil, "unknown: reading another network namespace's sysctls needs setns, that is CAP_SYS_ADMIN, which the agent does not hold"}
			} else {
				ch <- answer{nil, "not read: setns: " + errnoText(err)}
			}
			return
		}
		v, msg := readPortStart()
		if err := unix.Setns(self, unix.CLONE_NEWNET); err != nil {
			// Stay locked: the goroutine ends and the runtime retires the thread, so no other
			// goroutine ever runs in the wrong namespace.
			ch <- answer{v, msg}
			return
		}
		runtime.UnlockOSThread()
		ch <- answer{v, msg}
	}()
	a := <-ch
	return a.v, a.msg
}

func readPortStart() (*int, string) {
	data, err := readFile(unix.AT_FDCWD, portStartPath, 64)
	if err != nil {
		return nil, "not read: " + errnoText(err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || n < 0 || n > 65536 {
		return nil, fmt.Sprintf("not read: %q is not a port", clipText(string(data)))
	}
	return &n, ""
}
