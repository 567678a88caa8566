//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/kubectl-caps/kubectl-caps/plugin/nodereading"
	"github.com/kubectl-caps/kubectl-caps/plugin/report"
	"github.com/kubectl-caps/kubectl-caps/test/fakeagent"
	"github.com/kubectl-caps/kubectl-caps/test/fakeapi"
)

// agentNamespace holds the simulated agent pods.
const agentNamespace = "kubectl-caps-agents"

// nodeResult is one `show --via node` run at scale.
type nodeResult struct {
	nodes, containers int
	wall, ideal       time.Duration
	maxRSSKB          int64
	pluginCPU         time.Duration
	agents            int
}

// scanNode seeds a fake cluster of nodes × perNode containers (2 per pod), whose agent pods start
// after agentStart and answer after agentRead more, runs `show -A -o json --via node` once and
// checks that every container was read from its node by one agent per node.
func scanNode(bin string, nodes, perNode int, agentStart, agentRead time.Duration, concurrency int) (nodeResult, error) {
	const perPod = 2
	podsPerNode := (perNode + perPod - 1) / perPod
	pods := fakeapi.Pods(nodes*podsPerNode, perPod)
	all := append(fakeapi.Objects(pods), fakeapi.Objects(fakeapi.Namespaces(pods))...)
	for i := range pods {
		pods[i].Spec.NodeName = fmt.Sprintf("node-%04d", i/podsPerNode)
	}
	for n := 0; n < nodes; n++ {
		all = append(all, fakeapi.Node(fmt.Sprintf("node-%04d", n), "containerd://2.1.4"))
	}
	all = append(all, fakeapi.Namespace(agentNamespace))
	status := fakeagent.Status("nginx", 1, 0, "00000000a80425fb", "00000000a80425fb")
	proc := func(node, id string) []nodereading.Process {
		return []nodereading.Process{fakeagent.Process(status, 4026531840)}
	}
	s, err := fakeapi.New(fakeapi.Options{RunPod: fakeagent.PodFunc(proc, fakeagent.Options{Start: agentStart, Read: agentRead})}, all...)
	if err != nil {
		return nodeResult{}, err
	}
	defer s.Close()
	dir, err := os.MkdirTemp("", "caps-scale-node")
	if err != nil {
		return nodeResult{}, err
	}
	defer os.RemoveAll(dir)
	kubeconfig, err := s.WriteKubeconfig(dir)
	if err != nil {
		return nodeResult{}, err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "show", "-A", "-o", "json", "--via", "node", "--agent-namespace", agentNamespace,
		"--concurrency", fmt.Sprint(concurrency), "--kubeconfig", kubeconfig)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nodeResult{}, err
	}
	hwm := watchHWM(cmd.Process.Pid)
	err = cmd.Wait()
	peakKB := hwm()
	wall := time.Since(start)
	if err != nil {
		return nodeResult{}, fmt.Errorf("%v: %v\n%s", cmd, err, tail(stderr.Bytes()))
	}
	var rep report.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		return nodeResult{}, fmt.Errorf("report: %v", err)
	}
	read := 0
	for _, c := range rep.Containers {
		if c.Error == "" && c.Live != nil && c.Method == "node" {
			read++
		}
	}
	creates, deletes := 0, 0
	for _, r := range s.Requests() {
		switch {
		case r.Resource == "pods" && r.Verb == "create":
			creates++
		case r.Resource == "pods" && r.Verb == "delete":
			deletes++
		case r.IsExec():
			return nodeResult{}, fmt.Errorf("--via node exec'd: %s", r)
		}
	}
	total := len(pods) * perPod
	if read != total || creates != nodes || deletes != nodes {
		return nodeResult{}, fmt.Errorf("read %d of %d containers with %d agent pods created, %d deleted (want %d)", read, total, creates, deletes, nodes)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return nodeResult{
		nodes: nodes, containers: total, wall: wall,
		ideal:    time.Duration(int64(nodes) * int64(agentStart+agentRead) / int64(concurrency)),
		maxRSSKB: peakKB, pluginCPU: cpuOf(ru), agents: creates,
	}, nil
}
