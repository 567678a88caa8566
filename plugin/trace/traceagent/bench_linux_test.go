//go:build linux && (amd64 || arm64)

package traceagent

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kubectl-caps/kubectl-caps/plugin/containerid"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/tracereport"
)

// agentEnv makes the test binary the agent process of BenchmarkAgentTrace: it traces the
// container ID it names for TRACEAGENT_FOR and prints the trace, as `kubectl-caps agent trace`.
const agentEnv = "TRACEAGENT_BENCH_AGENT"

func agentProcess(hex string) error {
	d, err := time.ParseDuration(os.Getenv("TRACEAGENT_FOR"))
	if err != nil {
		return err
	}
	tr := Run(context.Background(), Options{IDs: []containerid.ID{{Runtime: "containerd", Hex: hex}}, Node: "bench", For: d})
	return json.NewEncoder(os.Stdout).Encode(tr)
}

// BenchmarkAgentTrace measures what a trace costs the agent, as a process of its own: a workload
// in a container-shaped cgroup makes capability checks (a chown and a bind every millisecond) while
// the agent traces it for 5 s; the agent's CPU time and peak RSS come from the kernel's rusage of
// that process (wait4). The checks themselves are charged to the workload (the program runs in
// its context): BenchmarkCapabilityCheck in capstrace measures that. Root only, like the agent.
//
// Metrics: agent-cpu-%/cpu (CPU time over the trace's wall time, percent of one CPU),
// agent-peak-rss-MB, checks/s (what the trace counted).
func BenchmarkAgentTrace(b *testing.B) {
	requireTracing(b)
	id := containerCgroup(b, "TRACEAGENT_INTERVAL=1ms")
	const traceFor = 5 * time.Second
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), agentEnv+"="+id.Hex, "TRACEAGENT_FOR="+traceFor.String())
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		start := time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatalf("agent: %v\n%s", err, errOut.String())
		}
		wall := time.Since(start)
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		tr, err := tracereport.Decode(&out)
		if err != nil || len(tr.Containers) != 1 || tr.Containers[0].Error != "" {
			b.Fatalf("trace: %v %+v", err, tr)
		}
		var checks uint64
		for _, r := range tr.Containers[0].Records {
			checks += r.Count
		}
		used := []string{}
		for _, u := range tr.Containers[0].Used {
			used = append(used, u.Capability)
		}
		if strings.Join(used, ",") != "CHOWN,NET_BIND_SERVICE" {
			b.Fatalf("used %v, want CHOWN,NET_BIND_SERVICE", used)
		}
		b.ReportMetric(100*cpu.Seconds()/wall.Seconds(), "agent-cpu-%/cpu")
		b.ReportMetric(float64(ru.Maxrss)/1024, "agent-peak-rss-MB")
		b.ReportMetric(float64(checks)/traceFor.Seconds(), "checks/s")
	}
}
