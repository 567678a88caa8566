//go:build linux

// Command scale measures `kubectl caps show -A` at cluster scale against test/fakeapi: a real
// HTTPS API server holding N containers whose exec endpoint speaks the real streaming protocol
// and answers each exec after a fixed latency (standing in for kubelet + runtime) with the real
// probe output of a default container. The plugin runs as a subprocess, exactly as kubectl would
// start it, so wall time and peak RSS are the plugin's own.
//
//	go run ./test/bench/scale -bin bin/kubectl-caps -containers 1000,5000,10000 -latency 50ms -concurrency 16
//
// It prints one row per size and the start-up time and size of the binary. Targets (issue 6) are
// printed beside the figures; they are never asserted in a test, because they depend on the
// machine.
package main

import (
	_ "embed"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/kubectl-caps/kubectl-caps/plugin/probe"
	"github.com/kubectl-caps/kubectl-caps/plugin/reading"
)

//go:embed testdata/probe-default-container.txt
var probeOutput string

func main() {
	bin := flag.String("bin", "bin/kubectl-caps", "the built plugin binary")
	sizes := flag.String("containers", "1000,5000,10000", "comma-separated numbers of containers to scan")
	perPod := flag.Int("per-pod", 2, "containers per pod")
	latency := flag.Duration("latency", 50*time.Millisecond, "simulated kubelet+runtime latency of each exec")
	concurrency := flag.Int("concurrency", 16, "--concurrency passed to show (16 is show's default)")
	startupRuns := flag.Int("startup-runs", 11, "runs of `kubectl caps --help` for the median start-up time (0 = skip)")
	verbose := flag.Bool("v", false, "print CPU time and API requests per size")
	serve := flag.Bool("serve", false, "only start the fake API server with the first -containers size, print its kubeconfig and wait (for profiling show by hand)")
	printScript := flag.Bool("print-probe-script", false, "print the probe's shell script and exit (to regenerate testdata)")
	nodeNodes := flag.Int("node-nodes", 1000, "show --via node: nodes of the simulated cluster (0 = skip the node-mode run)")
	nodePer := flag.Int("node-containers", 10, "show --via node: containers per node")
	agentStart := flag.Duration("agent-start", 500*time.Millisecond, "show --via node: simulated agent pod start (create to running)")
	agentRead := flag.Duration("agent-read", 100*time.Millisecond, "show --via node: simulated agent reading time (running to exit)")
	execSizes := flag.Bool("exec", true, "run the exec-mode sizes of -containers")
	flag.Parse()

	if *printScript {
		fmt.Print(probe.Command(reading.MethodProc)[2])
		return
	}
	if *serve {
		n, err := strconv.Atoi(strings.Split(*sizes, ",")[0])
		if err != nil {
			fail("bad -containers: %v", err)
		}
		serveOnly(n, *perPod, *latency)
		return
	}
	abs, err := filepath.Abs(*bin)
	if err == nil {
		_, err = os.Stat(abs)
	}
	if err != nil {
		fail("plugin binary: %v (run `make build` first)", err)
	}
	var ns []int
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < *perPod {
			fail("bad -containers value %q", s)
		}
		ns = append(ns, n)
	}

	if *nodeNodes > 0 {
		r, err := scanNode(abs, *nodeNodes, *nodePer, *agentStart, *agentRead, *concurrency)
		if err != nil {
			fail("--via node: %v", err)
		}
		ratio := r.wall.Seconds() / r.ideal.Seconds()
		fmt.Printf("kubectl caps show -A -o json --via node against test/fakeapi: %d nodes x %d containers, agent start %v + read %v, --concurrency %d\n",
			r.nodes, *nodePer, *agentStart, *agentRead, *concurrency)
		fmt.Printf("%-10s %-6s %-9s %-9s %-6s %-9s %s\n", "containers", "agents", "wall", "ideal", "ratio", "peak RSS", "plugin CPU")
		fmt.Printf("%-10d %-6d %-9s %-9s %-6.2f %-9s %v\n", r.containers, r.agents, r.wall.Round(10*time.Millisecond), r.ideal.Round(10*time.Millisecond),
			ratio, fmt.Sprintf("%.0f MB", float64(r.maxRSSKB)/1024), r.pluginCPU.Round(10*time.Millisecond))
		fmt.Printf("target: wall <= 1.5x nodes x (start + read) / concurrency: %s (%.2f); load average now %s\n\n", verdict(ratio <= 1.5), ratio, loadAvg())
	}
	if !*execSizes {
		return
	}
	fmt.Printf("kubectl caps show -A -o json against test/fakeapi: exec latency %v, --concurrency %d, %d containers/pod\n",
		*latency, *concurrency, *perPod)
	fmt.Printf("(plugin and fake API server share this machine's %d CPUs; load average at start %s)\n\n", runtime.NumCPU(), loadAvg())
	fmt.Printf("%-10s %-6s %-9s %-8s %-9s %-6s %-9s %s\n", "containers", "pods", "wall", "execs/s", "ideal", "ratio", "peak RSS", "RSS growth")
	var results []result
	for _, n := range ns {
		r, err := scan(abs, n, *perPod, *latency, *concurrency)
		if err != nil {
			fail("%d containers: %v", n, err)
		}
		growth := "-"
		if len(results) > 0 {
			prev := results[len(results)-1]
			growth = fmt.Sprintf("x%.2f for x%.1f containers (%.1f KB/container)",
				float64(r.maxRSSKB)/float64(prev.maxRSSKB), float64(n)/float64(prev.containers),
				float64(r.maxRSSKB-prev.maxRSSKB)/float64(n-prev.containers))
		}
		fmt.Printf("%-10d %-6d %-9s %-8.0f %-9s %-6.2f %-9s %s\n", n, r.pods, r.wall.Round(10*time.Millisecond),
			float64(n)/r.wall.Seconds(), r.ideal.Round(10*time.Millisecond), r.wall.Seconds()/r.ideal.Seconds(),
			fmt.Sprintf("%.0f MB", float64(r.maxRSSKB)/1024), growth)
		results = append(results, r)
		if *verbose {
			cpu := r.pluginCPU + r.serverCPU
			fmt.Printf("           CPU: plugin %v (%.2f ms/container), fake API server %v; both together used %.2f of %d CPUs on average (load now %s)\n",
				r.pluginCPU.Round(10*time.Millisecond), float64(r.pluginCPU.Microseconds())/1000/float64(r.containers),
				r.serverCPU.Round(10*time.Millisecond), cpu.Seconds()/r.wall.Seconds(), runtime.NumCPU(), loadAvg())
			fmt.Printf("           JSON report %.1f MB; API requests: %v\n", float64(r.reportBytes)/(1<<20), r.requests)
		}
	}
	last := results[len(results)-1]
	fmt.Printf("\ntargets at %d containers: wall <= 1.5x ideal: %s (%.2f); peak RSS < 200 MB: %s (%.0f MB); memory linear or better: %s\n",
		last.containers, verdict(last.wall.Seconds()/last.ideal.Seconds() <= 1.5), last.wall.Seconds()/last.ideal.Seconds(),
		verdict(last.maxRSSKB < 200*1024), float64(last.maxRSSKB)/1024, verdict(linear(results)))

	fi, _ := os.Stat(abs)
	fmt.Printf("\nbinary: %s, %.1f MB\n", *bin, float64(fi.Size())/(1<<20))
	if *startupRuns > 0 {
		direct, viaKubectl, kubectlAlone, err := startup(abs, *startupRuns)
		if err != nil {
			fail("start-up: %v", err)
		}
		fmt.Printf("start-up, median of %d: kubectl-caps --help %v; kubectl caps --help (real kubectl dispatching) %v; kubectl version --client alone %v\n",
			*startupRuns, direct.Round(100*time.Microsecond), viaKubectl.Round(100*time.Microsecond), kubectlAlone.Round(100*time.Microsecond))
		fmt.Printf("target `kubectl caps --help` < 100ms: %s (load average now %s)\n", verdict(viaKubectl < 100*time.Millisecond), loadAvg())
	}
}

// linear: peak RSS grows no faster than the number of containers between consecutive sizes.
func linear(rs []result) bool {
	for i := 1; i < len(rs); i++ {
		if float64(rs[i].maxRSSKB)/float64(rs[i-1].maxRSSKB) > float64(rs[i].containers)/float64(rs[i-1].containers) {
			return false
		}
	}
	return true
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// loadAvg is the 1-minute load average: on a shared machine it explains most of the wall time.
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(data))[0]
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "scale: "+format+"\n", args...)
	os.Exit(1)
}
