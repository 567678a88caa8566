package reading

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
)

// statusField is a /proc/PID/status line this package reads; every other line is ignored.
type statusField uint8

const (
	fUnknown statusField = iota
	fName
	fPid
	fPPid
	fUid
	fGid
	fCapInh
	fCapPrm
	fCapEff
	fCapBnd
	fCapAmb
	fNoNewPrivs
	fSeccomp
	fSeccompFilters
)

var statusKeys = map[string]statusField{
	"Name": fName, "Pid": fPid, "PPid": fPPid, "Uid": fUid, "Gid": fGid,
	"CapInh": fCapInh, "CapPrm": fCapPrm, "CapEff": fCapEff, "CapBnd": fCapBnd, "CapAmb": fCapAmb,
	"NoNewPrivs": fNoNewPrivs, "Seccomp": fSeccomp, "Seccomp_filters": fSeccompFilters,
}

// Bounds on numeric fields: a value outside them is not something a kernel prints.
const (
	pidMaxLimit       = 4 << 20 // PID_MAX_LIMIT on 64-bit kernels
	maxSeccompMode    = 255
	maxSeccompFilters = 1 << 20 // far above what BPF_MAXINSNS-bounded stacking allows
)

// ParseStatus reads /proc/PID/status. CapInh, CapPrm, CapEff and CapBnd are required (every
// kernel since 2.6.26 prints them); CapAmb (4.3), NoNewPrivs (4.10), Seccomp (3.8),
// Seccomp_filters (5.9), Uid/Gid, Name, Pid and PPid are read when present. Unknown lines are
// ignored. A field that appears twice with different values is an error: it means two
// processes' texts ran together, or a container forging one.
func ParseStatus(data []byte) (Process, error) {
	if len(data) > MaxStatusBytes {
		return Process{}, tooLarge("status", len(data), MaxStatusBytes)
	}
	p := newProcess()
	var seen [fSeccompFilters + 1]bool
	rest := string(data)
	for lineNo := 1; rest != ""; lineNo++ {
		var line string
		line, rest = nextLine(rest)
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := statusKeys[key]
		if f == fUnknown {
			continue
		}
		dup := seen[f]
		seen[f] = true
		if err := p.setStatusField(f, val, dup); err != nil {
			return Process{}, fmt.Errorf("status line %d: %s: %w", lineNo, key, err)
		}
	}
	for _, req := range [...]struct {
		f    statusField
		name string
	}{{fCapInh, "CapInh"}, {fCapPrm, "CapPrm"}, {fCapEff, "CapEff"}, {fCapBnd, "CapBnd"}} {
		if !seen[req.f] {
			return Process{}, fmt.Errorf("status has no %s line: not a /proc/PID/status text", req.name)
		}
	}
	p.HasIDs = seen[fUid]
	p.HasAmb = seen[fCapAmb]
	p.HasNoNewPrivs = seen[fNoNewPrivs]
	// Name is a substring of the whole input; copy it so a caller keeping thousands of Process
	// values does not keep thousands of status texts alive.
	p.Name = strings.Clone(p.Name)
	return p, nil
}

var errConflict = fmt.Errorf("appears twice with different values")

// setStatusField parses one value; dup says the field was already set, in which case the new value
// must equal the old one.
func (p *Process) setStatusField(f statusField, val string, dup bool) error {
	switch f {
	case fName:
		// The kernel writes "Name:\t<comm>"; the name itself may hold spaces, tabs and escapes.
		name, ok := strings.CutPrefix(val, "\t")
		if !ok {
			name = strings.TrimLeft(val, " \t")
		}
		if dup && name != p.Name {
			return errConflict
		}
		p.Name = name
	case fPid, fPPid:
		n, err := parseDec(val, pidMaxLimit)
		if err != nil {
			return err
		}
		dst := &p.PID
		if f == fPPid {
			dst = &p.PPID
		}
		if dup && *dst != int(n) {
			return errConflict
		}
		*dst = int(n)
	case fUid, fGid:
		ids, err := parseIDs(val)
		if err != nil {
			return err
		}
		dst := &p.UID
		if f == fGid {
			dst = &p.GID
		}
		if dup && *dst != ids {
			return errConflict
		}
		*dst = ids
	case fCapInh, fCapPrm, fCapEff, fCapBnd, fCapAmb:
		s, err := capset.ParseHex(val)
		if err != nil {
			return err
		}
		dst := p.capField(f)
		if dup && *dst != s {
			return errConflict
		}
		*dst = s
	case fNoNewPrivs:
		n, err := parseDec(val, 1)
		if err != nil {
			return err
		}
		if dup && p.NoNewPrivs != (n == 1) {
			return errConflict
		}
		p.NoNewPrivs = n == 1
	case fSeccomp:
		n, err := parseDec(val, maxSeccompMode)
		if err != nil {
			return err
		}
		if dup && p.Seccomp != SeccompMode(n) {
			return errConflict
		}
		p.Seccomp = SeccompMode(n)
	case fSeccompFilters:
		n, err := parseDec(val, maxSeccompFilters)
		if err != nil {
			return err
		}
		if dup && p.SeccompFilters != int(n) {
			return errConflict
		}
		p.SeccompFilters = int(n)
	}
	return nil
}

func (p *Process) capField(f statusField) *capset.Set {
	switch f {
	case fCapInh:
		return &p.Inh
	case fCapPrm:
		return &p.Prm
	case fCapEff:
		return &p.Eff
	case fCapBnd:
		return &p.Bnd
	default:
		return &p.Amb
	}
}

// parseDec reads one unsigned decimal surrounded by optional blanks, at most max.
func parseDec(val string, max int64) (int64, error) {
	t := strings.Trim(val, " \t")
	if t == "" || len(t) > 20 || t[0] < '0' || t[0] > '9' {
		return 0, fmt.Errorf("%s is not a decimal number", quote(val))
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s is not a decimal number", quote(val))
	}
	if n > max {
		return 0, fmt.Errorf("%d is out of range 0-%d", n, max)
	}
	return n, nil
}

// parseIDs reads the four tab-separated ids of a Uid or Gid line (real, effective, saved,
// filesystem), each a 32-bit unsigned value as the kernel prints it.
func parseIDs(val string) ([4]int64, error) {
	var ids [4]int64
	rest := val
	for i := range ids {
		rest = strings.TrimLeft(rest, " \t")
		end := strings.IndexAny(rest, " \t")
		if end < 0 {
			end = len(rest)
		}
		if end == 0 {
			return ids, fmt.Errorf("%s has %d ids, want 4", quote(val), i)
		}
		n, err := parseDec(rest[:end], 1<<32-1)
		if err != nil {
			return ids, err
		}
		ids[i] = n
		rest = rest[end:]
	}
	if strings.Trim(rest, " \t") != "" {
		return ids, fmt.Errorf("%s has more than 4 ids", quote(val))
	}
	return ids, nil
}
