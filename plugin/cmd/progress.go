package cmd

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"
)

// progress draws "reading containers 120/1000" on stderr, only on a terminal and only for ten
// containers or more, at most a few times a second, and erases itself when done so the table
// starts on a clean line.
type progress struct {
	w     io.Writer
	on    bool
	drawn bool
	last  time.Time
}

func newProgress(w io.Writer, terminal bool) *progress {
	return &progress{w: w, on: terminal}
}

func (p *progress) step(n, total int) {
	if !p.on || total < 10 || (time.Since(p.last) < 200*time.Millisecond && n != total) {
		return
	}
	p.last = time.Now()
	p.drawn = true
	fmt.Fprintf(p.w, "\rreading containers %d/%d", n, total)
}

func (p *progress) done() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
