package cmd

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"
)

// progress draws "reading containers 120/1000" on stderr, only on a terminal, at most a few
// times a second, and erases itself when done so the table starts on a clean line.
type progress struct {
	w       io.Writer
	on      bool
	total   int
	n       int
	last    time.Time
	started time.Time
}

func newProgress(w io.Writer, on bool, total int) *progress {
	return &progress{w: w, on: on, total: total, started: time.Now()}
}

func (p *progress) step() {
	p.n++
	if !p.on || (time.Since(p.last) < 200*time.Millisecond && p.n != p.total) {
		return
	}
	p.last = time.Now()
	fmt.Fprintf(p.w, "\rreading containers %d/%d", p.n, p.total)
}

func (p *progress) done() {
	if p.on {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
