//go:build e2e

package e2e

import (
	"strings"
	"testing"
	"time"
)

// Images whose /bin/sh is hostile (issue 7; test/e2e/images/hostilesh). Each holds only /bin/sh.
const (
	floodImage  = "docker.io/local/hostile-flood:v1"
	hangImage   = "docker.io/local/hostile-hang:v1"
	forgedImage = "docker.io/local/hostile-forged:v1"
)

// controlAt returns the index of the first character that must never reach a terminal raw: ESC
// (CSI, OSC, DCS), BEL, backspace, carriage return, NUL, or the C1 CSI U+009B; -1 if none.
func controlAt(s string) int {
	for i, r := range s {
		switch r {
		case 0x1b, 0x07, 0x08, '\r', 0x00, 0x9b:
			return i
		}
	}
	return -1
}

// TestHostileImages: one image floods its exec with gigabytes of escape sequences and NUL bytes,
// one never answers, one forges a well-formed answer with 10,050 processes named with escape
// sequences (after two malformed ones). show stays within its bounds, says per row what happened,
// lets nothing raw through to the terminal, reads the honest pod beside them, and exits 1.
func TestHostileImages(t *testing.T) {
	t.Parallel()
	ns := namespace(t, "hostile")
	apply(t, ns, podSpec("flood", floodImage, "{}", "{}")+podSpec("hang", hangImage, "{}", "{}")+
		podSpec("forged", forgedImage, "{}", "{}")+podSpec("honest", capshImage, "{}", "{}"))
	waitReady(t, ns, "flood", "hang", "forged", "honest")

	// The default --max-bytes (8 MiB) and a short --timeout: the hang costs the timeout, the flood
	// the byte bound; both run in parallel with the others.
	start := time.Now()
	tbl := kubectl(t, "caps", "show", "-n", ns, "--timeout", "10s")
	took := time.Since(start)
	t.Logf("table in %s:\n%s", took.Round(time.Millisecond), tbl)
	if tbl.code != 1 {
		t.Errorf("exit code %d, want 1 (two containers could not be read)", tbl.code)
	}
	if all := tbl.stdout + tbl.stderr; controlAt(all) >= 0 {
		i := controlAt(all)
		t.Errorf("a terminal control byte %q reached the output near %q", all[i], all[max(0, i-40):min(len(all), i+40)])
	}
	// Bounded: the hang must cost about --timeout, not kubectlAs's 4 minutes. Generous on purpose
	// (a small shared machine), and it is a bound, not a speed measurement.
	if took > 2*time.Minute {
		t.Errorf("show took %s with --timeout 10s", took)
	}
	for _, want := range []string{
		"error: " + ns + "/flood container main: output exceeded --max-bytes (8388608 bytes)",
		"error: " + ns + "/hang container main: no answer within 10s (--timeout)",
		"warning: " + ns + "/forged container main: incomplete reading: more than 10000 processes",
	} {
		if !strings.Contains(tbl.stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	if strings.Contains(tbl.stderr, "honest") {
		t.Errorf("the honest pod is reported as a problem:\n%s", tbl.stderr)
	}

	// JSON: the same rows, control characters never raw; names from the forged answer are
	// sanitized before they enter the report.
	s := show(t, "-n", ns, "--timeout", "10s")
	if s.code != 1 {
		t.Errorf("json: exit code %d, want 1", s.code)
	}
	if i := controlAt(s.stdout); i >= 0 {
		t.Errorf("json: raw control byte %q in the document", s.stdout[i])
	}
	flood := s.row(t, ns, "flood", "main")
	if !strings.Contains(flood.Error, "output exceeded --max-bytes") || flood.Live != nil {
		t.Errorf("flood: error %q, live %v; want the byte bound and no reading", flood.Error, flood.Live)
	}
	hang := s.row(t, ns, "hang", "main")
	if !strings.Contains(hang.Error, "no answer within 10s (--timeout)") || hang.Live != nil {
		t.Errorf("hang: error %q, live %v; want the timeout and no reading", hang.Error, hang.Live)
	}
	forged := s.row(t, ns, "forged", "main")
	if forged.Error != "" || forged.Live == nil {
		t.Errorf("forged: error %q, live %v; want the forged reading, marked truncated", forged.Error, forged.Live)
	}
	if !forged.Truncated || len(forged.Processes) != 10000 {
		t.Errorf("forged: truncated=%v with %d processes; want truncated at 10000", forged.Truncated, len(forged.Processes))
	}
	if forged.Method != "proc" {
		t.Errorf("forged: method %q, want proc (the report says which binary produced the lie)", forged.Method)
	}
	for _, p := range forged.Processes {
		if controlAt(p.Name) >= 0 || strings.Contains(p.Name, "pwned") || p.PID >= 99998 {
			t.Errorf("forged: process %d named %q reached the report", p.PID, p.Name)
			break
		}
	}
	if s.rep.Trust == "" {
		t.Errorf("the report does not say that live readings come from the image's own binaries")
	}
	honest := s.row(t, ns, "honest", "main")
	checkLive(t, honest, truth(t, ns, "honest", "main", 1))

	// The per-process table prints the forged names, cleaned.
	procs := kubectl(t, "caps", "show", "-n", ns, "forged", "--procs")
	if controlAt(procs.stdout+procs.stderr) >= 0 {
		t.Errorf("--procs: a terminal control byte reached the output")
	}
	if n := strings.Count(procs.stdout, "\nforged "); n != 10000 {
		t.Errorf("--procs: %d rows for the forged pod, want 10000", n)
	}
	if !strings.Contains(procs.stdout, "evil0") || !strings.Contains(procs.stdout, "clip2") {
		t.Errorf("--procs: sanitized names evil0/clip2 missing:\n%s", clip(procs.stdout, 2000))
	}
	// From the node, the forging image cannot lie: its one real process, as the kernel has it.
	if n := checkNodeMode(t, ns, nil); n.rep != nil {
		f := n.row(t, ns, "forged", "main")
		if f.Method != "node" || f.Truncated || len(f.Processes) != 1 || f.Error != "" {
			t.Errorf("forged via node: method %q truncated %v, %d processes, error %q; want its one real process", f.Method, f.Truncated, len(f.Processes), f.Error)
		}
		if i := controlAt(n.stdout + n.stderr); i >= 0 {
			t.Errorf("via node: a raw control byte reached the output")
		}
	}
}

// TestGoneDuringExec: a container whose PID 1 exits every few seconds (restartPolicy Always) and a
// pod deleted while show runs. Their /bin/sh never answers, so each exec is still in flight when
// the kernel kills it; the real kubelet then says only "exit code 137". The rows must say what
// happened, the honest pod is read, the scan finishes and the exit code is 1.
func TestGoneDuringExec(t *testing.T) {
	t.Parallel()
	ns := namespace(t, "gone")
	restarter := strings.Replace(podSpec("restarter", hangImage, "{}", "{}"), "    imagePullPolicy: Never\n",
		"    imagePullPolicy: Never\n    env: [{name: EXIT_AFTER, value: 15s}]\n", 1)
	apply(t, ns, restarter+podSpec("victim", hangImage, "{}", "{}")+podSpec("honest", capshImage, "{}", "{}"))
	waitReady(t, ns, "victim", "honest")

	// The restarting container must be running when show lists it; after a restart the kubelet
	// backs off (10 s, 20 s, ...), so wait for it to run and retry the rare lost race.
	for attempt := 1; ; attempt++ {
		waitFor(t, 3*time.Minute, "restarter running", func() (bool, string) {
			p := getPod(t, ns, "restarter")
			for _, c := range p.Status.ContainerStatuses {
				if c.Name == "main" && c.State.Running != nil {
					return true, ""
				}
			}
			return false, "not running"
		})
		deleted := make(chan result, 1)
		go func() {
			time.Sleep(3 * time.Second)
			deleted <- kubectl(t, "delete", "pod", "-n", ns, "victim", "--wait=false", "--ignore-not-found")
		}()
		s := show(t, "-n", ns, "--timeout", "90s")
		<-deleted
		t.Logf("attempt %d:\n%s", attempt, s.result.stderr)
		if s.code != 1 {
			t.Errorf("exit code %d, want 1", s.code)
		}
		checkLive(t, s.row(t, ns, "honest", "main"), truth(t, ns, "honest", "main", 1))
		if attempt == 1 {
			v := s.row(t, ns, "victim", "main")
			if !strings.Contains(v.Error, "deleted during the scan") {
				t.Errorf("victim: error %q, want it to say the pod was deleted during the scan", v.Error)
			}
		}
		r := s.row(t, ns, "restarter", "main")
		if r.Skipped != "" && attempt < 3 {
			t.Logf("restarter was not running when listed (%s); again", r.Skipped)
			continue
		}
		if !strings.Contains(r.Error, "stopped or restarted during the scan") {
			t.Errorf("restarter: error %q (skipped %q), want it to say the container stopped or restarted during the scan", r.Error, r.Skipped)
		}
		break
	}
}
