// Package fakeagent answers the node agent's pods in test/fakeapi the way the real agent would:
// it reads the container IDs from the pod's arguments and prints a NodeReading with processes
// the test chooses for each container. It stands in for the agent's reading of a node's /proc,
// which cannot run in a unit test (package hostscan is tested on real processes instead, and the
// e2e suite runs the real agent); the plugin side (pod lifecycle, decoding, report) is real.
package fakeagent

import (
	"encoding/json"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-caps/kubectl-caps/plugin/agentpod"
	"github.com/kubectl-caps/kubectl-caps/plugin/nodereading"
	"github.com/kubectl-caps/kubectl-caps/plugin/reading"
	"github.com/kubectl-caps/kubectl-caps/test/fakeapi"
)

// Node is what one fake node holds: for a container ID ("containerd://..."), its processes;
// IDs not in it have exited.
type Node func(node, id string) []nodereading.Process

// Options shape the fake agent's timing and answers.
type Options struct {
	// Start is how long the pod takes to start (image present, sandbox, container), Read how
	// long the agent reads.
	Start, Read time.Duration
	// Fail, when set, decides a node's failure instead of a reading (a PodRun with Waiting, an
	// exit code...); it returns ok false to read normally.
	Fail func(node string) (fakeapi.PodRun, bool)
}

// PodFunc is a fakeapi.PodFunc for agent pods: other pods never start.
func PodFunc(n Node, o Options) fakeapi.PodFunc {
	return func(pod *corev1.Pod) fakeapi.PodRun {
		if pod.Labels[agentpod.LabelComponent] != agentpod.Component || len(pod.Spec.Containers) == 0 {
			return fakeapi.PodRun{Start: time.Hour}
		}
		node := pod.Spec.NodeName
		if o.Fail != nil {
			if r, fail := o.Fail(node); fail {
				return r
			}
		}
		doc := Document(node, IDs(pod.Spec.Containers[0].Args), n)
		b, _ := json.Marshal(doc)
		return fakeapi.PodRun{Start: o.Start, Run: o.Read, Log: append(b, '\n')}
	}
}

// IDs are the container IDs in an agent's arguments.
func IDs(args []string) []string {
	var ids []string
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "--container-id" {
			ids = append(ids, strings.Split(args[i+1], ",")...)
		}
	}
	return ids
}

// Document is the reading the real agent would print for ids on node.
func Document(node string, ids []string, n Node) *nodereading.Document {
	doc := &nodereading.Document{APIVersion: nodereading.APIVersion, Kind: nodereading.Kind, Node: node,
		Agent: nodereading.Agent{Version: "fake", UID: 0, CapEff: "0000000000080004"}}
	port := 1024
	seen := map[uint64]bool{}
	for _, id := range ids {
		c := nodereading.Container{ID: id, Processes: n(node, id)}
		if c.Processes == nil {
			c.Processes = []nodereading.Process{}
		}
		for _, p := range c.Processes {
			if p.NetNS != 0 && !seen[p.NetNS] {
				seen[p.NetNS] = true
				doc.NetNamespaces = append(doc.NetNamespaces, nodereading.NetNamespace{Inode: p.NetNS, PortStart: &port})
			}
		}
		doc.Containers = append(doc.Containers, c)
		doc.Scanned += len(c.Processes)
	}
	doc.Scanned += 50 // the node's own processes, never described
	doc.Others = 50
	return doc
}

// Process is a process as the agent describes it, from /proc/PID/status text.
func Process(status string, netns uint64) nodereading.Process {
	st, err := reading.ParseStatus([]byte(status))
	if err != nil {
		panic(err)
	}
	p := nodereading.FromStatus(st)
	p.NetNS = netns
	return p
}

// Status is a /proc/PID/status text of a process with the given sets (16 hex digits each).
func Status(name string, pid, uid int, eff, bnd string) string {
	u := itoa(uid)
	return "Name:\t" + name + "\nPid:\t" + itoa(pid) + "\nPPid:\t0\nUid:\t" + u + "\t" + u + "\t" + u + "\t" + u +
		"\nGid:\t" + u + "\t" + u + "\t" + u + "\t" + u + "\nCapInh:\t0000000000000000\nCapPrm:\t" + eff +
		"\nCapEff:\t" + eff + "\nCapBnd:\t" + bnd + "\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t2\nSeccomp_filters:\t1\n"
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
