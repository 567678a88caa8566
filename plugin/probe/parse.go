package probe

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/kubectl-caps/kubectl-caps/plugin/reading"
)

// MaxProcs bounds how many processes one container's output may describe; beyond it the rest is
// ignored and the reading says it was truncated.
const MaxProcs = 10000

// maxLine bounds one line of probe output; /proc lines are far shorter.
const maxLine = 64 * 1024

// Parse reads the output of Command(m).
func Parse(m reading.Method, data []byte) (*reading.Snapshot, error) {
	switch m {
	case reading.MethodProc:
		return parseShell(data)
	case reading.MethodPID1:
		return parsePID1(data)
	case reading.MethodCapsh:
		p, err := reading.ParseCapsh(data)
		if err != nil {
			return nil, err
		}
		return &reading.Snapshot{Method: m, Procs: []reading.Process{p}, Scope: "exec"}, nil
	}
	return nil, fmt.Errorf("unknown method %q", m)
}

func parseShell(data []byte) (*reading.Snapshot, error) {
	out := &reading.Snapshot{Method: reading.MethodProc, Scope: "all"}
	if !bytes.HasPrefix(data, []byte("@@kubectl-caps 1\n")) {
		return nil, fmt.Errorf("output does not start with the probe header (the shell did not run the script)")
	}
	var (
		section string // "pid", "net", ""
		netKind string
		pid     int
		buf     bytes.Buffer
		ended   bool
	)
	flush := func() {
		switch section {
		case "pid":
			if buf.Len() == 0 {
				// The process exited between the marker and the read of its status (the
				// redirect failed): nothing to report, and nothing wrong with the output.
				break
			}
			if len(out.Procs) >= MaxProcs {
				if !hasProblem(out, tooManyProcs) {
					out.Problems = append(out.Problems, tooManyProcs)
				}
				out.Truncated = true
				break
			}
			p, err := reading.ParseStatus(buf.Bytes())
			if err != nil {
				out.Problems = append(out.Problems, fmt.Sprintf("pid %d: %v", pid, err))
				break
			}
			if p.PID == 0 {
				p.PID = pid
			}
			out.Procs = append(out.Procs, p)
		case "net":
			socks, err := reading.ParseNetSockets(buf.Bytes(), netKind)
			if err != nil {
				out.Problems = append(out.Problems, fmt.Sprintf("/proc/net/%s: %v", netKind, err))
				break
			}
			out.Sockets = append(out.Sockets, socks...)
		}
		section = ""
		buf.Reset()
	}
	rest := data
	for len(rest) > 0 && !ended {
		var raw []byte
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			raw, rest = rest[:i], rest[i+1:]
		} else {
			raw, rest = rest, nil
		}
		// No line /proc writes is this long: skip it rather than buffer it, and say so.
		if len(raw) > maxLine {
			out.Truncated = true
			out.Problems = append(out.Problems, fmt.Sprintf("skipped a %d-byte line", len(raw)))
			continue
		}
		line := string(raw)
		if !strings.HasPrefix(line, "@@") {
			if section != "" && buf.Len() < 64*1024 {
				buf.WriteString(line)
				buf.WriteByte('\n')
			}
			continue
		}
		flush()
		key, val, _ := strings.Cut(line[2:], " ")
		switch key {
		case "kubectl-caps":
		case "portstart":
			if n, err := strconv.Atoi(strings.TrimSpace(val)); err == nil && n >= 0 && n <= 65536 {
				out.PortStart = &n
			}
		case "scope":
			if val == "cgroup" {
				out.Scope = "cgroup"
			}
		case "pid":
			n, err := strconv.Atoi(val)
			if err != nil || n <= 0 {
				out.Problems = append(out.Problems, fmt.Sprintf("bad pid marker %q", clip(val)))
				continue
			}
			section, pid = "pid", n
		case "others":
			if n, err := strconv.Atoi(val); err == nil && n >= 0 {
				out.Others = n
			}
		case "net":
			switch val {
			case "tcp", "tcp6", "udp", "udp6", "raw", "raw6", "packet":
				section, netKind = "net", val
			}
		case "end":
			ended = true
		}
	}
	flush()
	if !ended {
		out.Truncated = true
	}
	if len(out.Procs) == 0 && len(out.Problems) > 0 {
		return nil, fmt.Errorf("no process could be read: %s", out.Problems[0])
	}
	return out, nil
}

// parsePID1 reads `cat /proc/1/status /proc/sys/net/ipv4/ip_unprivileged_port_start`: the status
// text followed by one number.
func parsePID1(data []byte) (*reading.Snapshot, error) {
	out := &reading.Snapshot{Method: reading.MethodPID1, Scope: "pid1"}
	text := data
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if n := len(lines); n > 1 {
		if v, err := strconv.Atoi(string(bytes.TrimSpace(lines[n-1]))); err == nil && v >= 0 && v <= 65536 {
			out.PortStart = &v
			text = bytes.Join(lines[:n-1], []byte("\n"))
		}
	}
	p, err := reading.ParseStatus(text)
	if err != nil {
		return nil, err
	}
	if p.PID == 0 {
		p.PID = 1
	}
	out.Procs = []reading.Process{p}
	return out, nil
}

var tooManyProcs = fmt.Sprintf("more than %d processes; the rest were not read", MaxProcs)

func hasProblem(out *reading.Snapshot, p string) bool {
	for _, q := range out.Problems {
		if q == p {
			return true
		}
	}
	return false
}

func clip(s string) string {
	if len(s) > 32 {
		return s[:32] + "..."
	}
	return s
}
