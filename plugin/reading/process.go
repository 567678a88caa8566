package reading

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/filecap"
)

// Process is one process's capability state as a reading reported it.
type Process struct {
	PID, PPID int // 0 when unknown (capsh gives none)
	// Name is the Name: field exactly as the input had it (the kernel escapes only "\n" and "\\"
	// there; other control bytes arrive raw). Sanitize before display.
	Name string
	// UID and GID are real, effective, saved, filesystem. HasIDs says whether a Uid line (status)
	// or uid= line (capsh) was read; an entry the reading did not carry is -1 (capsh prints only
	// real and effective uid, old capsh only the real one).
	UID, GID                [4]int64
	HasIDs                  bool
	Inh, Prm, Eff, Bnd, Amb capset.Set
	HasAmb                  bool // a CapAmb / "Ambient set" line was present (kernels < 4.3 and old libcap lack it)
	NoNewPrivs              bool
	HasNoNewPrivs           bool // a NoNewPrivs line (kernel ≥ 4.10) or capsh's no-new-privs note was present
	// Seccomp is the kernel's mode; SeccompUnknown when the reading did not say.
	Seccomp        SeccompMode
	SeccompFilters int
	// Exe and FileCaps describe the process's executable when the reader could see it (the node
	// agent reads /proc/PID/exe; a reading from inside the container cannot): its path as the
	// container names it (raw, untrusted) and its file capabilities, nil when the file has none.
	// ExeRead says they were read.
	Exe      string
	FileCaps *filecap.Caps
	ExeRead  bool
}

// Indexes into Process.UID and Process.GID.
const (
	IDReal = iota
	IDEffective
	IDSaved
	IDFilesystem
)

// EffectiveUID is the uid the kernel checks permissions against, falling back to the real uid when
// the reading did not carry the effective one (old capsh prints only "uid=N"); ok is false when no
// uid was read at all.
func (p Process) EffectiveUID() (uid int64, ok bool) {
	if !p.HasIDs {
		return -1, false
	}
	if p.UID[IDEffective] >= 0 {
		return p.UID[IDEffective], true
	}
	return p.UID[IDReal], p.UID[IDReal] >= 0
}

func newProcess() Process {
	return Process{
		UID:     [4]int64{-1, -1, -1, -1},
		GID:     [4]int64{-1, -1, -1, -1},
		Seccomp: SeccompUnknown,
	}
}

// ErrTooLarge is wrapped by every parser's error for input beyond its size bound, so a caller
// can tell "the container sent too much" from "the container sent nonsense".
var ErrTooLarge = errors.New("input too large")

// Limits on input size. A real /proc/PID/status is about 1.5 KiB and `capsh --print` about
// 2 KiB (capsh lists at most 100 groups); anything far larger is not what we asked for, and
// refusing it keeps the cost of a hostile container bounded. /proc/net tables grow with the
// number of sockets (about 150 bytes each), so their bound is larger.
const (
	MaxStatusBytes = 64 << 10
	MaxCapshBytes  = 64 << 10
	MaxNetBytes    = 16 << 20
)

func tooLarge(what string, n, max int) error {
	return fmt.Errorf("%s is %d bytes, more than the %d accepted: %w", what, n, max, ErrTooLarge)
}

// quote renders untrusted text for an error message: clipped and Go-quoted, so control bytes
// from the container can never reach a terminal through an error.
func quote(s string) string {
	const max = 48
	if len(s) > max {
		return fmt.Sprintf("%q...", s[:max])
	}
	return fmt.Sprintf("%q", s)
}

// nextLine splits off the first line of s, with one trailing "\r" removed (output that crossed a
// TTY has CRLF endings). It allocates nothing.
func nextLine(s string) (line, rest string) {
	line = s
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		line, rest = s[:i], s[i+1:]
	}
	return strings.TrimSuffix(line, "\r"), rest
}
