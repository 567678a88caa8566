// Package reading parses what a process's capability state looks like from inside a container.
package reading

import "github.com/kubectl-caps/kubectl-caps/plugin/capset"

// Placeholder until the parsers land (branch "parsers"); replaced by that branch.

type Process struct {
	PID, PPID               int
	Name                    string
	UID, GID                [4]int64
	HasIDs                  bool
	Inh, Prm, Eff, Bnd, Amb capset.Set
	HasAmb                  bool
	NoNewPrivs              bool
	HasNoNewPrivs           bool
	Seccomp                 int
	SeccompFilters          int
}

func (p Process) EffectiveUID() (int64, bool) { return p.UID[1], p.HasIDs }

type Socket struct {
	Proto     string
	LocalPort int
	Listening bool
	UID       int64
	Inode     uint64
}

func ParseStatus(data []byte) (Process, error)                    { return Process{}, nil }
func ParseCapsh(data []byte) (Process, error)                     { return Process{}, nil }
func ParseNetSockets(data []byte, proto string) ([]Socket, error) { return nil, nil }
