//go:build linux && (amd64 || arm64)

package capstrace

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/capbpf"
)

// BenchmarkCapabilityCheck measures what the attached program adds to one capability check, in
// one run: the same syscall timed with the program detached, attached with the caller in a target
// cgroup (the full path: filter hit, one map lookup, one atomic add), and attached with the caller
// in no target cgroup (the filter's cost, what every other task on the node pays).
//
// The syscall is kill(pid, 0) from root to a process of uid 65534: check_kill_permission asks
// ns_capable(CAP_KILL) exactly once (the uids differ), signal 0 delivers nothing, and the call is
// otherwise among the cheapest the kernel has. The benchmark checks the count: the program must
// have counted one CAP_KILL check per attached call.
//
// Metrics: detached/attached/other-cgroup ns per call, added-ns/check (attached - detached) and
// the ratio attached/detached. The modes alternate over several rounds and the median of each is
// reported, so a noisy neighbour affects all three alike.
func BenchmarkCapabilityCheck(b *testing.B) {
	requireTracing(b)
	target := exec.Command("sleep", "600")
	target.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	if err := target.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { target.Process.Kill(); target.Wait() }()
	pid := target.Process.Pid

	// This process joins a target cgroup for the duration (and goes back to its own).
	v1, err := CgroupV1()
	if err != nil {
		b.Skip(err)
	}
	own, err := ownCgroup(v1)
	if err != nil {
		b.Skip(err)
	}
	dir, id := testCgroup(b)
	join := func(dir string) {
		if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(os.Getpid())), 0); err != nil {
			b.Fatalf("join %s: %v", dir, err)
		}
	}
	join(dir)
	defer join(CgroupDir("", v1, own))

	tr, err := Start(Options{Cgroups: []uint64{id}})
	if err != nil {
		b.Fatal(err)
	}
	defer tr.Close()
	// Start excludes its caller; here the caller is the workload.
	if err := tr.coll.Maps[capbpf.CapableMapExcludeTgids].Delete(uint32(os.Getpid())); err != nil {
		b.Fatal(err)
	}

	call := func(n int) time.Duration {
		start := time.Now()
		for i := 0; i < n; i++ {
			if err := unix.Kill(pid, 0); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start)
	}
	detach := func() {
		for _, l := range tr.links {
			l.Close()
		}
		tr.links = nil
	}
	attach := func() {
		if err := tr.attach(); err != nil {
			b.Fatal(err)
		}
	}

	n := max(b.N, 1000)
	const rounds = 7
	var detached, attached, other []float64
	call(n) // warm up, attached and in the target cgroup: counted too
	attachedCalls := n
	b.ResetTimer()
	for r := 0; r < rounds; r++ {
		detach()
		detached = append(detached, perCall(call(n), n))
		attach()
		if err := tr.SetCgroups([]uint64{id}); err != nil {
			b.Fatal(err)
		}
		attached = append(attached, perCall(call(n), n))
		attachedCalls += n
		if err := tr.SetCgroups(nil); err != nil {
			b.Fatal(err)
		}
		other = append(other, perCall(call(n), n))
	}
	b.StopTimer()

	snap, err := tr.Records()
	if err != nil {
		b.Fatal(err)
	}
	var kills uint64
	for _, c := range snap.Checks {
		if c.TGID == uint32(os.Getpid()) && c.Cap == capset.Cap(unix.CAP_KILL) {
			kills += c.Count
		}
	}
	if kills != uint64(attachedCalls) {
		b.Fatalf("counted %d CAP_KILL checks for %d attached calls: not one check per call", kills, attachedCalls)
	}
	d, a, o := median(detached), median(attached), median(other)
	b.ReportMetric(a, "ns/op")
	b.ReportMetric(d, "detached-ns/call")
	b.ReportMetric(a, "attached-ns/call")
	b.ReportMetric(o, "other-cgroup-ns/call")
	b.ReportMetric(a-d, "added-ns/check")
	b.ReportMetric(o-d, "added-other-cgroup-ns/check")
	b.ReportMetric(a/d, "ratio")
	if testing.Verbose() {
		fmt.Printf("kill(pid,0): detached %.0f ns, attached (target cgroup) %.0f ns, attached (other cgroup) %.0f ns per call; %d checks counted\n", d, a, o, kills)
	}
}

func perCall(d time.Duration, n int) float64 { return float64(d.Nanoseconds()) / float64(n) }

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}
