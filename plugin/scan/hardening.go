package scan

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubectl-caps/kubectl-caps/plugin/containers"
	"github.com/kubectl-caps/kubectl-caps/plugin/harden/policy"
	"github.com/kubectl-caps/kubectl-caps/plugin/inspect"
	"github.com/kubectl-caps/kubectl-caps/plugin/manifest"
	"github.com/kubectl-caps/kubectl-caps/plugin/owner"
	"github.com/kubectl-caps/kubectl-caps/plugin/report"
)

// evidence infers, per container name of each workload, what harden --observe would from every
// read replica. It runs while the readings are all still held; the decisions are made row by
// row as Rows emits them (hardening), so a scan of 10,000 containers never holds 10,000 of them.
func (s *Scan) evidence() map[string]policy.Evidence {
	obs := map[string][]policy.Observation{}
	for i, pl := range s.plans {
		if r := s.readings[i].Snapshot; r != nil {
			k := evidenceKey(pl)
			obs[k] = append(obs[k], policy.Observation{
				Pod: pl.Row.Pod, Processes: r.Procs, Sockets: r.Sockets, SocketInodes: r.SocketInodes,
				UnprivilegedPortStart: r.PortStart, HostNetwork: pl.Pod.Spec.HostNetwork,
			})
		}
	}
	out := make(map[string]policy.Evidence, len(obs))
	for k, o := range obs {
		out[k] = policy.Infer(o)
	}
	return out
}

// podSpecs turns pod specs into the plain values harden reads from a manifest, keeping only the
// last pod's: rows come pod by pod.
type podSpecs struct {
	pod  *corev1.Pod
	spec map[string]any
}

func (p *podSpecs) of(pod *corev1.Pod) map[string]any {
	if pod != p.pod {
		p.pod = pod
		p.spec, _ = runtime.DefaultUnstructuredConverter.ToUnstructured(&pod.Spec)
	}
	return p.spec
}

// hardening decides what `kubectl caps harden` would write for one planned container: the policy
// harden uses, on the pod's own spec as plain values (policy.PodFrom, policy.ContainerFrom), with
// the workload's evidence, as `harden TYPE/NAME` observes it.
func (s *Scan) hardening(pl inspect.Planned, specs *podSpecs) *report.Hardening {
	spec := specs.of(pl.Pod)
	c := containerSpec(spec, pl.Row.Container, pl.Row.Type)
	if c == nil {
		return nil
	}
	var ev *policy.Evidence
	if e, ok := s.evidenceByKey[evidenceKey(pl)]; ok {
		ev = &e
	}
	return decide(spec, c, pl.Row.Type, ev)
}

// evidenceKey: the readings of one container name across the replicas of one workload.
func evidenceKey(pl inspect.Planned) string {
	return owner.Key(pl.Row.Namespace, pl.Row.Owner) + "/" + pl.Row.Container
}

func decide(spec, c map[string]any, typ string, ev *policy.Evidence) *report.Hardening {
	d := policy.Decide(policy.PodFrom(spec), policy.ContainerFrom(c, typ), ev, policy.Options{})
	h := &report.Hardening{Skipped: d.Skipped, Notes: d.Notes, Warnings: d.Warnings}
	for _, cr := range d.Capabilities {
		h.Capabilities = append(h.Capabilities, report.HardeningCapability{Name: cr.Name, Action: cr.Action, Source: cr.Source, Reason: cr.Reason})
	}
	if d.Skipped != "" {
		return h
	}
	before, _ := c["securityContext"].(map[string]any)
	h.SecurityContext = d.SecurityContext(before)
	if _, present := c["securityContext"]; !present || !manifest.Equal(before, h.SecurityContext) {
		h.Changed = true
		h.Changes = policy.Changes(before, h.SecurityContext)
	}
	return h
}

// containerSpec finds a container in a pod spec's plain form by its list and name.
func containerSpec(spec map[string]any, name, typ string) map[string]any {
	list := "containers"
	switch typ {
	case containers.Init, containers.Sidecar:
		list = "initContainers"
	case containers.Ephemeral:
		list = "ephemeralContainers"
	}
	items, _ := spec[list].([]any)
	for _, it := range items {
		if m, ok := it.(map[string]any); ok && m["name"] == name {
			return m
		}
	}
	return nil
}
