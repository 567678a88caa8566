// Command hostilesh is the whole userland of the e2e "hostile" images: it is both the container's
// main process and its /bin/sh, and as /bin/sh it answers kubectl-caps's probe the way a hostile
// image could. The behaviour is fixed at build time (-ldflags "-X main.mode=MODE"), so each image
// holds one static binary and nothing else (no cat, no capsh):
//   - flood:  writes garbage to stdout without end: ANSI CSI and OSC sequences (window title,
//     clipboard), BEL, backspace, carriage returns, NUL bytes and megabyte-long lines.
//   - hang:   never writes and never closes stdout.
//   - forged: prints a well-formed probe answer describing 10,050 processes whose names carry
//     escape sequences and non-UTF-8, after two malformed ones (a mask longer than 16 hex digits,
//     a field given twice with different values).
//
// Started without arguments (or with anything but "-c"), it is the container's main process and
// sleeps until SIGTERM (or until $EXIT_AFTER has passed). The exec'd modes stop by themselves after a few minutes, so a stream the
// kubelet keeps draining after the client has gone does not burn a shared machine's CPU forever.
package main

import (
	"bufio"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

var mode = "hang"

// selfLimit bounds how long an exec'd instance runs; kubectl-caps's own bounds (--timeout, 20 s by
// default, and --max-bytes) are far below it.
const selfLimit = 3 * time.Minute

func main() {
	if len(os.Args) < 2 || os.Args[1] != "-c" {
		// EXIT_AFTER (a Go duration): the main process exits with status 1 after it, so a pod
		// with restartPolicy Always keeps restarting it; with it, the kernel kills every exec'd
		// process still in the container's PID namespace, which is a container restarting
		// during an exec.
		if d, err := time.ParseDuration(os.Getenv("EXIT_AFTER")); err == nil {
			time.AfterFunc(d, func() { os.Exit(1) })
		}
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGTERM, syscall.SIGINT)
		<-c
		return
	}
	time.AfterFunc(selfLimit, func() { os.Exit(0) })
	switch mode {
	case "flood":
		flood()
	case "forged":
		forged()
	default:
		select {}
	}
}

func flood() {
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	chunk := []byte("\x1b[2J\x1b[H\x1b]0;pwned-title\x07\x1b]52;c;cm0gLXJmIH4K\x07\x00\x00\x1b[31mred\x1b[0m\b\b\r\x1bPdcs\x1b\\\x9b31m" +
		strings.Repeat("A\x00", 512) + "\n")
	long := []byte(strings.Repeat("\x1b[5m", 1<<18)) // a 1 MiB line with no newline in it
	for i := 0; ; i++ {
		var err error
		if i%64 == 0 {
			_, err = w.Write(long)
		} else {
			_, err = w.Write(chunk)
		}
		if err != nil {
			os.Exit(0) // the reader went away
		}
	}
}

func forged() {
	w := bufio.NewWriterSize(os.Stdout, 1<<16)
	defer w.Flush()
	fmt.Fprint(w, "@@kubectl-caps 1\n@@portstart 0\n@@scope cgroup\n")
	hostile := []string{
		"\x1b]0;pwned\x07evil",
		"\x1b[2J\x1b[Hclear",
		"\x1b]52;c;cm0gLXJmIH4K\x07clip",
		"bell\x07\x07",
		"back\b\b\b\bspace",
		"cr\roverwrite",
		"\x9b31mc1csi",
		"nul\x00byte",
		"\xff\xfe not utf8",
	}
	// Two processes a parser must refuse: a field given twice with different values, and a mask
	// wider than 64 bits. Then 10,050 well-formed ones, beyond kubectl-caps's 10,000 bound.
	fmt.Fprint(w, "@@pid 99998\nName:\tdup\nName:\tother\nPid:\t99998\nCapInh:\t0\nCapPrm:\t0\nCapEff:\t0\nCapEff:\t000001ffffffffff\nCapBnd:\t0\n")
	fmt.Fprint(w, "@@pid 99999\nName:\twide\nPid:\t99999\nCapInh:\t0\nCapPrm:\tffffffffffffffffffffffff\nCapEff:\t0\nCapBnd:\t0\n")
	for i := 0; i < 10050; i++ {
		pid := i + 1
		name := hostile[i%len(hostile)] + fmt.Sprint(i)
		fmt.Fprintf(w, "@@pid %d\nName:\t%s\nName:\t%s\n", pid, name, name) // a duplicate with the same value is allowed
		fmt.Fprintf(w, "Pid:\t%d\nPPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n", pid)
		fmt.Fprint(w, "CapInh:\t0000000000000000\nCapPrm:\t00000000a80425fb\nCapEff:\t00000000a80425fb\n")
		fmt.Fprint(w, "CapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\n")
	}
	fmt.Fprint(w, "@@others 0\n@@end\n")
}
