// Command sleeper is the whole userland of the e2e "noshell" image and of the sandbox (pause)
// image: a static binary that sleeps until it is told to stop. The noshell image has nothing else
// in it (no sh, no cat, no capsh), which is exactly what `kubectl caps show` must handle.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// Exit promptly on SIGTERM: as PID 1 a process has no default signal handlers, and a sleeper
	// that ignored SIGTERM would hold up every pod deletion for its whole grace period.
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM, syscall.SIGINT)
	<-c
}
