// Package scan is kubectl-caps' one live pipeline, shared by every verb that reads a cluster:
// the pods a selection names → the containers to read, with a row for each one that cannot be
// read (pending, crash-looping, Windows, finished init) → their readings through a Reader → report
// rows for show and evidence for harden. show and harden therefore see the same containers the
// same way; only the Reader (exec today, the node agent next) changes how they are read.
package scan

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/containers"
	"github.com/kubectl-caps/kubectl-caps/plugin/harden/policy"
	"github.com/kubectl-caps/kubectl-caps/plugin/inspect"
	"github.com/kubectl-caps/kubectl-caps/plugin/owner"
	"github.com/kubectl-caps/kubectl-caps/plugin/report"
)

// Pipeline reads the containers of a set of pods.
type Pipeline struct {
	Client kubernetes.Interface
	Reader Reader
	// Container, when set, keeps only containers of that name (-c).
	Container string
	// Progress, when set, is told how many of the containers to read are done.
	Progress func(done, total int)
}

// Scan is one run of the pipeline: every planned container and, for those that ran, their
// reading.
type Scan struct {
	// Warnings are for the user once (nodes not readable, so runtimes are unknown).
	Warnings []string
	// Results are the readings of the containers that were read, in plan order.
	Results  []Result
	plans    []inspect.Planned
	readings []inspect.Reading // parallel to plans
	// evidenceByKey is what the replicas of each workload container were seen doing.
	evidenceByKey map[string]policy.Evidence
	full          map[string]capset.Set
}

// Run plans the containers of pods and reads the running ones. It returns an error only when
// nothing can be planned (-c names no container of the pods); failures of single containers are
// in the results.
func (p *Pipeline) Run(ctx context.Context, pods []*corev1.Pod) (*Scan, error) {
	s := &Scan{}
	nodes, warn := Nodes(ctx, p.Client, pods)
	if warn != "" {
		s.Warnings = append(s.Warnings, warn)
	}
	s.plans = inspect.Plan(pods, nodes, p.Container)
	if p.Container != "" && len(s.plans) == 0 {
		return nil, fmt.Errorf("no container named %q in the selected pods", p.Container)
	}
	var targets []Target
	var index []int
	for i, pl := range s.plans {
		if !pl.Read {
			continue
		}
		t := Target{
			Namespace: pl.Row.Namespace, Pod: pl.Row.Pod, Container: pl.Row.Container,
			Node: pl.Row.Node, HostPID: pl.Row.Declared.HostPID, PodUID: pl.Pod.UID,
		}
		if st := containers.Status(pl.Pod, pl.Row.Container); st != nil {
			t.ContainerID = st.ContainerID
		}
		targets = append(targets, t)
		index = append(index, i)
	}
	// Owners are listed while the containers are read: one list per namespace and kind at most.
	var ctl owner.Controllers
	var ownerWarnings []string
	owned := make(chan struct{})
	go func() {
		defer close(owned)
		ctl, ownerWarnings = Controllers(ctx, p.Client, pods)
	}()
	done := 0
	var step func(int, Result)
	if p.Progress != nil {
		step = func(int, Result) { done++; p.Progress(done, len(targets)) }
	}
	s.Results = p.Reader.Read(ctx, targets, step)
	s.readings = make([]inspect.Reading, len(s.plans))
	for k := range s.Results {
		fillPortStart(&s.Results[k], s.plans[index[k]].Pod)
		r := s.Results[k]
		s.readings[index[k]] = inspect.Reading{Snapshot: r.Reading, Err: r.Err}
	}
	s.full = inspect.NodeFullSets(s.plans, s.readings)
	<-owned
	s.Warnings = append(s.Warnings, ownerWarnings...)
	for i := range s.plans {
		s.plans[i].Row.Owner = owner.Of(s.plans[i].Pod, ctl)
	}
	s.evidenceByKey = s.evidence()
	return s, nil
}

// Len is the number of rows Rows will emit.
func (s *Scan) Len() int { return len(s.plans) }

// Rows completes and emits every row in plan order: declared, expected and live views with
// their findings. Each reading is released once its row is emitted, so a streamed report of
// 10,000 containers never holds them all twice; Rows can therefore run once.
func (s *Scan) Rows(emit func(report.Container) error) error {
	var specs podSpecs
	for i, pl := range s.plans {
		row := inspect.Complete(pl, s.readings[i], s.full)
		row.Hardening = s.hardening(pl, &specs)
		s.readings[i] = inspect.Reading{}
		if err := emit(row); err != nil {
			return err
		}
	}
	return nil
}

// Report completes every row into one report (tables and YAML need them all at once).
func (s *Scan) Report() *report.Report {
	rep := report.New()
	rep.Containers = make([]report.Container, 0, len(s.plans))
	_ = s.Rows(func(c report.Container) error {
		rep.Containers = append(rep.Containers, c)
		return nil
	})
	return rep
}

// Observations groups what was read by container name, one observation per pod: harden's
// evidence for the workload those pods belong to.
func (s *Scan) Observations() map[string][]policy.Observation {
	out := map[string][]policy.Observation{}
	for i, pl := range s.plans {
		r := s.readings[i].Snapshot
		if r == nil {
			continue
		}
		out[pl.Row.Container] = append(out[pl.Row.Container], policy.Observation{
			Pod:                   pl.Row.Pod,
			Processes:             r.Procs,
			Sockets:               r.Sockets,
			SocketInodes:          r.SocketInodes,
			UnprivilegedPortStart: r.PortStart,
			HostNetwork:           pl.Pod.Spec.HostNetwork,
		})
	}
	return out
}
