//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/kubectl-caps/kubectl-caps/plugin/report"
	"github.com/kubectl-caps/kubectl-caps/test/fakeapi"
)

type result struct {
	containers, pods int
	wall, ideal      time.Duration
	maxRSSKB         int64
	// CPU time used by the plugin and by this process (the fake API server) during the scan.
	pluginCPU, serverCPU time.Duration
	requests             map[string]int
	reportBytes          int
}

func cpuOf(ru *syscall.Rusage) time.Duration {
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return cpuOf(&ru)
}

// newServer starts a fake API server holding n containers (perPod per pod) on one containerd node,
// whose execs answer the probe after latency.
func newServer(n, perPod int, latency time.Duration) (*fakeapi.Server, int, error) {
	pods := fakeapi.Pods((n+perPod-1)/perPod, perPod)
	objs := append(fakeapi.Objects(pods), fakeapi.Objects(fakeapi.Namespaces(pods))...)
	objs = append(objs, fakeapi.Node(fakeapi.DefaultNode, "containerd://2.1.4"))
	s, err := fakeapi.New(fakeapi.Options{
		Exec: fakeapi.Delay(latency, fakeapi.Canned(map[string]string{"/bin/sh": probeOutput})),
	}, objs...)
	return s, len(pods), err
}

func serveOnly(n, perPod int, latency time.Duration) {
	s, _, err := newServer(n, perPod, latency)
	if err != nil {
		fail("%v", err)
	}
	defer s.Close()
	dir, err := os.MkdirTemp("", "caps-scale")
	if err != nil {
		fail("%v", err)
	}
	defer os.RemoveAll(dir)
	kc, err := s.WriteKubeconfig(dir)
	if err != nil {
		fail("%v", err)
	}
	fmt.Printf("serving %d containers at %s\nexport KUBECONFIG=%s\n(Ctrl-C to stop)\n", n, s.URL(), kc)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
}

// scan seeds a fresh server with n containers, runs the plugin once against it and checks that
// every container was read.
func scan(bin string, n, perPod int, latency time.Duration, concurrency int) (result, error) {
	s, npods, err := newServer(n, perPod, latency)
	if err != nil {
		return result{}, err
	}
	defer s.Close()
	dir, err := os.MkdirTemp("", "caps-scale")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)
	kubeconfig, err := s.WriteKubeconfig(dir)
	if err != nil {
		return result{}, err
	}

	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "show", "-A", "-o", "json", "--concurrency", fmt.Sprint(concurrency), "--kubeconfig", kubeconfig)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start, serverStart := time.Now(), selfCPU()
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	hwm := watchHWM(cmd.Process.Pid)
	err = cmd.Wait()
	peakKB := hwm()
	serverCPU := selfCPU() - serverStart
	wall := time.Since(start)
	if err != nil {
		return result{}, fmt.Errorf("%v: %v\n%s", cmd, err, tail(stderr.Bytes()))
	}
	var rep report.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		return result{}, fmt.Errorf("report: %v", err)
	}
	read := 0
	for _, c := range rep.Containers {
		if c.Error == "" && c.Live != nil {
			read++
		}
	}
	total := npods * perPod
	if read != total || len(s.Execs()) != total {
		return result{}, fmt.Errorf("read %d of %d containers with %d execs", read, total, len(s.Execs()))
	}
	requests := map[string]int{}
	for _, r := range s.Requests() {
		if !r.IsReadOnly() && !r.IsExec() {
			return result{}, fmt.Errorf("show wrote to the cluster: %s", r)
		}
		key := r.Verb + " " + r.Resource
		if r.Subresource != "" {
			key += "/" + r.Subresource
		}
		if r.Resource == "" {
			key = "discovery"
		}
		requests[key]++
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return result{
		containers: total, pods: npods, wall: wall,
		ideal:     time.Duration(int64(total) * int64(latency) / int64(concurrency)),
		maxRSSKB:  peakKB,
		pluginCPU: cpuOf(ru), serverCPU: serverCPU, requests: requests, reportBytes: stdout.Len(),
	}, nil
}

// watchHWM samples the child's VmHWM (peak RSS of its own address space) every 20 ms until the
// returned func is called, which reports the highest value seen, in KB. wait4's ru_maxrss cannot
// be used: exec records the parent's high-water RSS into the child's (the vfork'ed address space
// is the parent's), so it would report this process, which holds the whole fake cluster.
// VmHWM never decreases, so sampling only misses growth in the child's last 20 ms.
func watchHWM(pid int) func() int64 {
	var peak atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		path := fmt.Sprintf("/proc/%d/status", pid)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if kb := readHWM(path); kb > peak.Load() {
				peak.Store(kb)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 {
		close(stop)
		<-done
		return peak.Load()
	}
}

func readHWM(path string) int64 {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb
		}
	}
	return 0
}

// startup returns the median wall time of `kubectl-caps --help` and of `kubectl caps --help`
// through the real kubectl (which looks the plugin up on PATH, then execs it).
func startup(bin string, runs int) (direct, viaKubectl, kubectlAlone time.Duration, err error) {
	env := append(os.Environ(), "PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"))
	measure := func(name string, args ...string) (time.Duration, error) {
		var ds []time.Duration
		for i := 0; i < runs; i++ {
			cmd := exec.Command(name, args...)
			cmd.Env = env
			start := time.Now()
			if out, err := cmd.CombinedOutput(); err != nil {
				return 0, fmt.Errorf("%v: %v\n%s", cmd, err, tail(out))
			}
			ds = append(ds, time.Since(start))
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return ds[len(ds)/2], nil
	}
	if direct, err = measure(bin, "--help"); err != nil {
		return 0, 0, 0, err
	}
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		return direct, 0, 0, err
	}
	if viaKubectl, err = measure(kubectl, "caps", "--help"); err != nil {
		return direct, 0, 0, err
	}
	// kubectl's own start-up, which every `kubectl caps` pays before the plugin starts.
	kubectlAlone, err = measure(kubectl, "version", "--client")
	return direct, viaKubectl, kubectlAlone, err
}

func tail(b []byte) []byte {
	if len(b) > 2000 {
		return b[len(b)-2000:]
	}
	return b
}
