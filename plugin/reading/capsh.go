package reading

import (
	"fmt"
	"strings"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
)

// ParseCapsh reads `capsh --print` output of every libcap generation:
//
//   - old (libcap ≤ 2.25): "Current: = cap_a,cap_b+i", "Bounding set =...", no Ambient line,
//     capabilities newer than the library printed as bare numbers ("cap_syslog,35,36,37"),
//     "Securebits: 00/0x0/1'b0", "uid=1025(user1)", "gid=1025(user1)";
//   - new (2.4x-2.6x): "Current: cap_a,cap_b=ep" or "Current: =ep cap_x-ep", "Ambient set =...",
//     "Current IAB: !cap_x,^cap_y", "Securebits: 00/0x0/1'b0 (no-new-privs=0)" and the
//     "secure-..." lines, "uid=0(root) euid=0(root)", "gid=...", "groups=...", "Guessed mode: ...".
//
// Lines it does not know ("WARNING: libcap needs an update", the securebits details, the shell's
// own noise) are ignored. A "Current:" line is required, and a bounding set must be known: from
// the "Bounding set" line, or, for `capsh --current` output, from "Current IAB". The "Current:"
// text is read with the full libcap grammar; how "all" / "=ep" is read is documented on
// parseCapText. capsh knows no pid, name or seccomp state: PID and PPID stay 0, Seccomp -1.
//
// Remember what capsh describes: the capsh process itself, started by exec, not the workload.
func ParseCapsh(data []byte) (Process, error) {
	if len(data) > MaxCapshBytes {
		return Process{}, tooLarge("capsh output", len(data), MaxCapshBytes)
	}
	r := capshReader{p: newProcess()}
	rest := string(data)
	for lineNo := 1; rest != ""; lineNo++ {
		var line string
		line, rest = nextLine(rest)
		if err := r.line(line); err != nil {
			return Process{}, fmt.Errorf("capsh output line %d: %w", lineNo, err)
		}
	}
	return r.finish()
}

// capshReader accumulates what the lines of one capsh output say.
type capshReader struct {
	p                                                 Process
	haveCurrent, haveBound, haveIAB, haveUID, haveGID bool
	cur                                               capState
	ia                                                iab
}

func (r *capshReader) line(line string) error {
	p := &r.p
	switch {
	case strings.HasPrefix(line, "Current IAB:"):
		v, err := parseIAB(strings.TrimPrefix(line, "Current IAB:"))
		if err != nil {
			return fmt.Errorf("Current IAB: %w", err)
		}
		if r.haveIAB && v != r.ia {
			return fmt.Errorf("Current IAB: %w", errConflict)
		}
		r.ia, r.haveIAB = v, true
	case strings.HasPrefix(line, "Current:"):
		v, err := parseCapText(strings.TrimPrefix(line, "Current:"))
		if err != nil {
			return fmt.Errorf("Current: %w", err)
		}
		if r.haveCurrent && v != r.cur {
			return fmt.Errorf("Current: %w", errConflict)
		}
		r.cur, r.haveCurrent = v, true
	case strings.HasPrefix(line, "Bounding set ="):
		v, err := parseCapList(strings.TrimPrefix(line, "Bounding set ="))
		if err != nil {
			return fmt.Errorf("Bounding set: %w", err)
		}
		if r.haveBound && v != p.Bnd {
			return fmt.Errorf("Bounding set: %w", errConflict)
		}
		p.Bnd, r.haveBound = v, true
	case strings.HasPrefix(line, "Ambient set ="):
		v, err := parseCapList(strings.TrimPrefix(line, "Ambient set ="))
		if err != nil {
			return fmt.Errorf("Ambient set: %w", err)
		}
		if p.HasAmb && v != p.Amb {
			return fmt.Errorf("Ambient set: %w", errConflict)
		}
		p.Amb, p.HasAmb = v, true
	case strings.HasPrefix(line, "Securebits:"), strings.HasPrefix(strings.TrimLeft(line, " \t"), "no-new-privs"):
		nnp, ok, err := parseNoNewPrivs(line)
		if err != nil {
			return fmt.Errorf("no-new-privs: %w", err)
		}
		if !ok {
			return nil
		}
		if p.HasNoNewPrivs && nnp != p.NoNewPrivs {
			return fmt.Errorf("no-new-privs: %w", errConflict)
		}
		p.NoNewPrivs, p.HasNoNewPrivs = nnp, true
	case strings.HasPrefix(line, "uid="):
		uid, euid, err := parseCapshUID(line)
		if err != nil {
			return fmt.Errorf("uid: %w", err)
		}
		if r.haveUID && (uid != p.UID[IDReal] || euid != p.UID[IDEffective]) {
			return fmt.Errorf("uid: %w", errConflict)
		}
		p.UID[IDReal], p.UID[IDEffective], r.haveUID = uid, euid, true
	case strings.HasPrefix(line, "gid="):
		gid, _, err := parseIDWithName(strings.TrimPrefix(line, "gid="))
		if err != nil {
			return fmt.Errorf("gid: %w", err)
		}
		if r.haveGID && gid != p.GID[IDReal] {
			return fmt.Errorf("gid: %w", errConflict)
		}
		p.GID[IDReal], r.haveGID = gid, true
	}
	return nil
}

func (r *capshReader) finish() (Process, error) {
	p := r.p
	if !r.haveCurrent {
		return Process{}, fmt.Errorf("capsh output has no \"Current:\" line: not `capsh --print` output")
	}
	p.Eff, p.Prm, p.Inh = r.cur.eff, r.cur.prm, r.cur.inh
	if !r.haveBound {
		if !r.haveIAB {
			return Process{}, fmt.Errorf("capsh output has neither a \"Bounding set\" nor a \"Current IAB\" line")
		}
		// capsh --current prints only IAB, which lists what is missing from the bounding set;
		// the rest is read against capset.Known as for "all" (see parseCapText).
		p.Bnd = capset.Known.Minus(r.ia.notBound)
	}
	if !p.HasAmb && r.haveIAB {
		p.Amb, p.HasAmb = r.ia.amb, true
	}
	p.HasIDs = r.haveUID
	return p, nil
}

// parseNoNewPrivs finds capsh's no_new_privs note: "(no-new-privs=1)" at the end of the
// Securebits line (libcap 2.5x+), or a separate "no-new-privs: yes" line. ok is false when the
// line has no such note (older capsh).
func parseNoNewPrivs(line string) (nnp, ok bool, err error) {
	if _, v, found := strings.Cut(line, "(no-new-privs="); found {
		v, _, closed := strings.Cut(v, ")")
		if !closed {
			return false, false, fmt.Errorf("unterminated no-new-privs note")
		}
		return parseBoolWord(v)
	}
	if _, v, found := strings.Cut(line, "no-new-privs:"); found {
		return parseBoolWord(v)
	}
	return false, false, nil
}

func parseBoolWord(v string) (b, ok bool, err error) {
	switch strings.Trim(v, " \t") {
	case "1", "yes":
		return true, true, nil
	case "0", "no":
		return false, true, nil
	}
	return false, false, fmt.Errorf("no-new-privs value %s is not 0/1/yes/no", quote(v))
}

// parseCapshUID reads "uid=1025(user1)" (old capsh: the real uid only) or
// "uid=0(root) euid=0(root)" (new capsh). euid is -1 when absent.
func parseCapshUID(line string) (uid, euid int64, err error) {
	uid, rest, err := parseIDWithName(strings.TrimPrefix(line, "uid="))
	if err != nil {
		return 0, 0, err
	}
	euid = -1
	// The user name comes from the image's /etc/passwd and may contain anything, so look for
	// " euid=" only after it.
	if i := strings.LastIndex(rest, " euid="); i >= 0 {
		if euid, _, err = parseIDWithName(rest[i+len(" euid="):]); err != nil {
			return 0, 0, err
		}
	}
	return uid, euid, nil
}

// parseIDWithName reads "1025(user1)..." or "1025 ...": a 32-bit decimal id, then the rest.
func parseIDWithName(s string) (id int64, rest string, err error) {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	if n == 0 {
		return 0, "", fmt.Errorf("%s does not start with a numeric id", quote(s))
	}
	id, err = parseDec(s[:n], 1<<32-1)
	return id, s[n:], err
}
