//go:build e2e

package e2e

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/report"
)

// procStatus is the ground truth for one process: /proc/PID/status as the kernel wrote it. The
// suite parses it itself, independently of the plugin's parser, so that a bug there cannot make
// both sides agree.
type procStatus struct {
	Name                    string
	PID                     int
	UID, EUID               int64
	Inh, Prm, Eff, Bnd, Amb capset.Set
	NoNewPrivs              int
	Seccomp                 int // 0 disabled, 1 strict, 2 filter
}

func parseStatus(text string) (procStatus, error) {
	var ps procStatus
	seen := 0
	for _, line := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		var err error
		switch k {
		case "Name":
			ps.Name = v
		case "Pid":
			ps.PID, err = strconv.Atoi(v)
		case "Uid":
			f := strings.Fields(v)
			if len(f) < 2 {
				return ps, fmt.Errorf("bad Uid line %q", line)
			}
			ps.UID, _ = strconv.ParseInt(f[0], 10, 64)
			ps.EUID, err = strconv.ParseInt(f[1], 10, 64)
		case "CapInh":
			ps.Inh, err = capset.ParseHex(v)
			seen++
		case "CapPrm":
			ps.Prm, err = capset.ParseHex(v)
			seen++
		case "CapEff":
			ps.Eff, err = capset.ParseHex(v)
			seen++
		case "CapBnd":
			ps.Bnd, err = capset.ParseHex(v)
			seen++
		case "CapAmb":
			ps.Amb, err = capset.ParseHex(v)
			seen++
		case "NoNewPrivs":
			ps.NoNewPrivs, err = strconv.Atoi(v)
		case "Seccomp":
			ps.Seccomp, err = strconv.Atoi(v)
		}
		if err != nil {
			return ps, fmt.Errorf("line %q: %w", line, err)
		}
	}
	if seen != 5 {
		return ps, fmt.Errorf("expected 5 Cap* lines, found %d in:\n%s", seen, clip(text, 2000))
	}
	return ps, nil
}

// truth reads /proc/PID/status of one process in a container with a plain `kubectl exec ... cat`.
func truth(t *testing.T, ns, podName, ctr string, pid int) procStatus {
	t.Helper()
	out := must(t, "exec", "-n", ns, podName, "-c", ctr, "--", "cat", fmt.Sprintf("/proc/%d/status", pid))
	ps, err := parseStatus(out)
	if err != nil {
		t.Fatalf("ground truth %s/%s/%s pid %d: %v", ns, podName, ctr, pid, err)
	}
	return ps
}

// containerPIDs lists the PIDs visible in a container (busybox ls), minus the ones that belong to
// the exec itself: those vanish before they can be read, and readPIDs skips what is gone.
func containerPIDs(t *testing.T, ns, podName, ctr string) []int {
	t.Helper()
	var pids []int
	for _, f := range strings.Fields(must(t, "exec", "-n", ns, podName, "-c", ctr, "--", "ls", "/proc")) {
		if n, err := strconv.Atoi(f); err == nil {
			pids = append(pids, n)
		}
	}
	sort.Ints(pids)
	return pids
}

// truthAll reads every long-lived process in a container: one `cat` per PID, skipping PIDs that no
// longer exist (the `ls` and earlier `cat` execs).
func truthAll(t *testing.T, ns, podName, ctr string) map[int]procStatus {
	t.Helper()
	all := map[int]procStatus{}
	for _, pid := range containerPIDs(t, ns, podName, ctr) {
		r := kubectl(t, "exec", "-n", ns, podName, "-c", ctr, "--", "cat", fmt.Sprintf("/proc/%d/status", pid))
		if r.code != 0 {
			continue // the exec'd ls itself, already gone
		}
		ps, err := parseStatus(r.stdout)
		if err != nil {
			t.Fatalf("ground truth pid %d: %v", pid, err)
		}
		if ps.Name == "ls" || ps.Name == "cat" {
			continue
		}
		all[pid] = ps
	}
	return all
}

// sets turns ground truth into the report's shape, to compare like with like.
func (ps procStatus) sets() fiveSets {
	return fiveSets{ps.Inh, ps.Prm, ps.Eff, ps.Bnd, ps.Amb}
}

// fiveSets holds the five sets in a fixed order: inheritable, permitted, effective, bounding, ambient.
type fiveSets [5]capset.Set

var setNames = [5]string{"inheritable", "permitted", "effective", "bounding", "ambient"}

func sets(inh, prm, eff, bnd, amb capset.Set) fiveSets { return fiveSets{inh, prm, eff, bnd, amb} }

// fromReport reads the report's sets, failing the test on a malformed mask or on a names list
// that does not match its mask.
func fromReport(t *testing.T, what string, s report.Sets) fiveSets {
	t.Helper()
	var out fiveSets
	for i, c := range []report.Caps{s.Inheritable, s.Permitted, s.Effective, s.Bounding, s.Ambient} {
		v, err := capset.ParseHex(c.Mask)
		if err != nil {
			t.Errorf("%s %s: bad mask %q: %v", what, setNames[i], c.Mask, err)
			continue
		}
		if got, want := strings.Join(c.Names, ","), strings.Join(v.Names(), ","); got != want {
			t.Errorf("%s %s: names %q do not match mask %s (%q)", what, setNames[i], got, c.Mask, want)
		}
		out[i] = v
	}
	return out
}

// diffSets describes every set that differs, by name: "effective: want [...] (mask), got [...]
// (mask); missing [...]; extra [...]". Empty when equal.
func diffSets(want, got fiveSets) string {
	var b strings.Builder
	for i := range want {
		if want[i] == got[i] {
			continue
		}
		fmt.Fprintf(&b, "\n    %-11s want %s\n    %-11s got  %s", setNames[i]+":", describe(want[i]), "", describe(got[i]))
		if m := want[i].Minus(got[i]); !m.Empty() {
			fmt.Fprintf(&b, "\n    %-11s missing %v", "", m.Names())
		}
		if x := got[i].Minus(want[i]); !x.Empty() {
			fmt.Fprintf(&b, "\n    %-11s extra   %v", "", x.Names())
		}
	}
	return b.String()
}

func describe(s capset.Set) string {
	if s.Empty() {
		return "[] (" + s.Hex() + ")"
	}
	return fmt.Sprintf("%v (%s, %d)", s.Names(), s.Hex(), s.Len())
}

// checkSets fails with a by-name description when want and got differ.
func checkSets(t *testing.T, what string, want, got fiveSets) {
	t.Helper()
	if d := diffSets(want, got); d != "" {
		t.Errorf("%s: capability sets differ:%s", what, d)
	}
}

func seccompName(mode int) string {
	switch mode {
	case 0:
		return "disabled"
	case 1:
		return "strict"
	case 2:
		return "filter"
	}
	return "unknown"
}

// checkProcess compares one reported process with its ground truth: uid, every set, no_new_privs
// and seccomp mode.
func checkProcess(t *testing.T, what string, got *report.Process, want procStatus) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: no live process reported; ground truth is pid %d %s uid %d eff %s", what, want.PID, want.Name, want.UID, describe(want.Eff))
		return
	}
	if got.UID != want.UID || got.EUID != want.EUID {
		t.Errorf("%s: uid/euid reported %d/%d, live %d/%d", what, got.UID, got.EUID, want.UID, want.EUID)
	}
	checkSets(t, fmt.Sprintf("%s (pid %d %s): report vs live /proc", what, want.PID, want.Name), want.sets(), fromReport(t, what, got.Sets))
	if got.NoNewPrivs != (want.NoNewPrivs == 1) {
		t.Errorf("%s: noNewPrivs reported %v, live NoNewPrivs: %d", what, got.NoNewPrivs, want.NoNewPrivs)
	}
	if got.Seccomp != seccompName(want.Seccomp) {
		t.Errorf("%s: seccomp reported %q, live Seccomp: %d (%s)", what, got.Seccomp, want.Seccomp, seccompName(want.Seccomp))
	}
}
