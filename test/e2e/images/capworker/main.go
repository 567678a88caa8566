//go:build linux

// Command capworker is the whole userland of the e2e image local/capworker (issue 13, `kubectl
// caps trace`): a workload whose capability needs are known exactly. Every 2 s, as root with the
// runtime's default capabilities, it
//   - creates a fresh file in /tmp and chowns it to uid 1000 (CAP_CHOWN), then removes it;
//   - binds a TCP socket to port 80 (CAP_NET_BIND_SERVICE), with SO_REUSEPORT beside the listener
//     that serves its readiness on the same port;
//   - calls settimeofday(NULL, NULL), which asks for CAP_SYS_TIME and, granted, changes nothing:
//     the runtime's defaults lack it, so the kernel refuses it (a denial the trace must report);
//
// and logs one line per round. GET /healthz on port 80 answers 200 while the last round's chown
// and bind worked: the hardened workload is Ready only if it can still do its work.
// CAPWORKER_INTERVAL (a Go duration, default 2s) sets the pace; the benchmark of the trace agent
// runs it fast and quiet (CAPWORKER_QUIET=1 logs nothing).
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"
)

var healthy atomic.Bool

func main() {
	ln, err := listen80()
	if err != nil {
		fmt.Println("listen :80:", err)
		os.Exit(1)
	}
	go func() {
		mux := http.NewServeMux()
		mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
			if !healthy.Load() {
				http.Error(w, "the last round failed", http.StatusServiceUnavailable)
				return
			}
			fmt.Fprintln(w, "ok")
		})
		_ = http.Serve(ln, mux)
	}()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	interval := 2 * time.Second
	if d, err := time.ParseDuration(os.Getenv("CAPWORKER_INTERVAL")); err == nil && d > 0 {
		interval = d
	}
	quiet := os.Getenv("CAPWORKER_QUIET") == "1"
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for round := 1; ; round++ {
		chown := chownFresh(round)
		bind := bind80()
		clock := setClock()
		healthy.Store(chown == nil && bind == nil)
		if !quiet {
			fmt.Printf("round %d: chown %s; bind :80 %s; settimeofday %s\n", round, result(chown), result(bind), result(clock))
		}
		select {
		case <-stop:
			return
		case <-tick.C:
		}
	}
}

func result(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

// reusePort lets the round's socket bind port 80 beside the listener (same uid, both set it).
func reusePort(fd int) error {
	return syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, 0xf /* SO_REUSEPORT */, 1)
}

func listen80() (net.Listener, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	if err := reusePort(fd); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Port: 80}); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	if err := syscall.Listen(fd, 16); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "listener")
	defer f.Close()
	return net.FileListener(f)
}

func chownFresh(round int) error {
	p := filepath.Join(os.TempDir(), fmt.Sprintf("capworker-%d", round))
	if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
		return err
	}
	defer os.Remove(p)
	return os.Chown(p, 1000, 1000)
}

func bind80() error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	if err := reusePort(fd); err != nil {
		return err
	}
	return syscall.Bind(fd, &syscall.SockaddrInet4{Port: 80})
}

// setClock asks for CAP_SYS_TIME without any effect on the clock: with neither a time nor a
// timezone, the kernel checks the capability and, granted, does nothing.
func setClock() error {
	if _, _, e := syscall.Syscall(syscall.SYS_SETTIMEOFDAY, 0, 0, 0); e != 0 {
		return e
	}
	return nil
}
