package nodereading

import (
	"fmt"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/filecap"
	"github.com/kubectl-caps/kubectl-caps/plugin/reading"
)

// FromStatus carries a parsed /proc/PID/status into the document.
func FromStatus(p reading.Process) Process {
	out := Process{
		PID: p.PID, PPID: p.PPID, Name: p.Name, UID: p.UID, GID: p.GID,
		CapInh: p.Inh.Hex(), CapPrm: p.Prm.Hex(), CapEff: p.Eff.Hex(), CapBnd: p.Bnd.Hex(),
		SeccompFilters: p.SeccompFilters,
	}
	if p.HasAmb {
		out.CapAmb = p.Amb.Hex()
	}
	if p.HasNoNewPrivs {
		nnp := p.NoNewPrivs
		out.NoNewPrivs = &nnp
	}
	if p.Seccomp >= 0 {
		s := int(p.Seccomp)
		out.Seccomp = &s
	}
	return out
}

// Status turns the document's process back into the value every reading produces, checking what
// a foreign agent image could get wrong: masks must be 16 hex digits, numbers in the kernel's
// ranges.
func (p Process) Status() (reading.Process, error) {
	r := reading.Process{
		PID: p.PID, PPID: p.PPID, Name: p.Name, UID: p.UID, GID: p.GID, HasIDs: true,
		SeccompFilters: p.SeccompFilters, Seccomp: reading.SeccompUnknown,
	}
	if p.PID <= 0 || p.PID > pidMaxLimit || p.PPID < 0 || p.PPID > pidMaxLimit {
		return reading.Process{}, fmt.Errorf("pid %d / ppid %d out of range", p.PID, p.PPID)
	}
	for i := range p.UID {
		if p.UID[i] < -1 || p.UID[i] > 1<<32-1 || p.GID[i] < -1 || p.GID[i] > 1<<32-1 {
			return reading.Process{}, fmt.Errorf("pid %d: uid/gid out of range", p.PID)
		}
	}
	if len(p.Name) > MaxTextLen {
		return reading.Process{}, fmt.Errorf("pid %d: name longer than %d bytes", p.PID, MaxTextLen)
	}
	for _, f := range []struct {
		name, hex string
		dst       *capset.Set
		optional  bool
	}{
		{"capInh", p.CapInh, &r.Inh, false}, {"capPrm", p.CapPrm, &r.Prm, false},
		{"capEff", p.CapEff, &r.Eff, false}, {"capBnd", p.CapBnd, &r.Bnd, false},
		{"capAmb", p.CapAmb, &r.Amb, true},
	} {
		if f.optional && f.hex == "" {
			continue
		}
		s, err := parseMask(f.hex)
		if err != nil {
			return reading.Process{}, fmt.Errorf("pid %d: %s: %w", p.PID, f.name, err)
		}
		*f.dst = s
	}
	r.HasAmb = p.CapAmb != ""
	if p.NoNewPrivs != nil {
		r.NoNewPrivs, r.HasNoNewPrivs = *p.NoNewPrivs, true
	}
	if p.Seccomp != nil {
		if *p.Seccomp < 0 || *p.Seccomp > 255 {
			return reading.Process{}, fmt.Errorf("pid %d: seccomp mode %d out of range", p.PID, *p.Seccomp)
		}
		r.Seccomp = reading.SeccompMode(*p.Seccomp)
	}
	if p.SeccompFilters < 0 || p.SeccompFilters > 1<<20 {
		return reading.Process{}, fmt.Errorf("pid %d: seccomp filters %d out of range", p.PID, p.SeccompFilters)
	}
	return r, nil
}

// pidMaxLimit is PID_MAX_LIMIT on 64-bit kernels.
const pidMaxLimit = 4 << 20

// parseMask accepts exactly what the agent writes: 16 hex digits.
func parseMask(s string) (capset.Set, error) {
	if len(s) != 16 {
		return 0, fmt.Errorf("mask %q is not 16 hex digits", clip(s))
	}
	return capset.ParseHex(s)
}

// FromFileCaps carries decoded file capabilities into the document.
func FromFileCaps(c filecap.Caps) *FileCaps {
	return &FileCaps{
		Revision: c.Revision, Permitted: c.Permitted.Hex(), Inheritable: c.Inheritable.Hex(),
		Effective: c.Effective, RootID: c.RootID,
	}
}

// Caps turns the document's file capabilities back into values, checking them.
func (f FileCaps) Caps() (filecap.Caps, error) {
	if f.Revision < 1 || f.Revision > 3 {
		return filecap.Caps{}, fmt.Errorf("file capabilities revision %d", f.Revision)
	}
	if (f.RootID != nil) != (f.Revision == 3) {
		return filecap.Caps{}, fmt.Errorf("file capabilities revision %d with rootID %v", f.Revision, f.RootID != nil)
	}
	prm, err := parseMask(f.Permitted)
	if err != nil {
		return filecap.Caps{}, fmt.Errorf("file permitted: %w", err)
	}
	inh, err := parseMask(f.Inheritable)
	if err != nil {
		return filecap.Caps{}, fmt.Errorf("file inheritable: %w", err)
	}
	return filecap.Caps{Revision: f.Revision, Permitted: prm, Inheritable: inh, Effective: f.Effective, RootID: f.RootID}, nil
}

// FromSocket carries one socket table line into the document.
func FromSocket(s reading.Socket) Socket {
	return Socket{Proto: s.Proto, LocalPort: s.LocalPort, Listening: s.Listening, UID: s.UID, Inode: s.Inode}
}

var protos = map[string]bool{"tcp": true, "tcp6": true, "udp": true, "udp6": true, "raw": true, "raw6": true, "packet": true}

// Reading turns the document's socket back into the value the exec reader produces.
func (s Socket) Reading() (reading.Socket, error) {
	if !protos[s.Proto] {
		return reading.Socket{}, fmt.Errorf("socket of unknown table %q", clip(s.Proto))
	}
	if s.LocalPort < 0 || s.LocalPort > 65535 || s.UID < 0 || s.UID > 1<<32-1 {
		return reading.Socket{}, fmt.Errorf("socket %d: port or uid out of range", s.Inode)
	}
	return reading.Socket{Proto: s.Proto, LocalPort: s.LocalPort, Listening: s.Listening, UID: s.UID, Inode: s.Inode}, nil
}

func clip(s string) string {
	if len(s) > 32 {
		return s[:32] + "..."
	}
	return s
}
