package traceevidence

import (
	"reflect"
	"testing"

	"github.com/kubectl-caps/kubectl-caps/plugin/harden/policy"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/tracereport"
)

func row(pod, ctr string, w *tracereport.Workload, used, denied []tracereport.Capability) tracereport.Container {
	return tracereport.Container{Namespace: "shop", Pod: pod, Container: ctr, Workload: w, Kernel: &tracereport.Kernel{Path: "tp_btf/cap_capable"}, Used: used, Denied: denied}
}

func used(name, reason string, root bool) tracereport.Capability {
	return tracereport.Capability{Capability: name, Reason: reason, OnlyAsRoot: root}
}

func TestForMergesTheWorkloadsPods(t *testing.T) {
	web := &tracereport.Workload{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"}
	tr := tracereport.New()
	tr.Duration = "1m0s"
	tr.Containers = []tracereport.Container{
		row("web-1", "app", web, []tracereport.Capability{used("NET_BIND_SERVICE", "NET_BIND_SERVICE used by web (pid 1, uid 0) in bind", true)}, nil),
		row("web-2", "app", web, []tracereport.Capability{used("NET_BIND_SERVICE", "NET_BIND_SERVICE used by web (pid 9, uid 1000) in bind", false), used("CHOWN", "CHOWN used by web (pid 9, uid 0) in fchownat", true)},
			[]tracereport.Capability{used("SYS_TIME", "SYS_TIME refused by web (pid 9, uid 0) in settimeofday", false)}),
		// Another container of the same pods, and a row that was not traced.
		row("web-1", "sidecar", web, nil, nil),
		{Namespace: "shop", Pod: "web-3", Container: "app", Workload: web, Error: "no usable kernel path on node n3"},
		// A bare pod of another trace format (no workload): its own.
		row("db-0", "db", nil, []tracereport.Capability{used("SETUID", "SETUID used by db", true)}, nil),
		// Same names in another namespace must not mix.
		{Namespace: "other", Pod: "web-1", Container: "app", Workload: web, Kernel: &tracereport.Kernel{Path: "tp_btf/cap_capable"}, Used: []tracereport.Capability{used("SYS_ADMIN", "x", true)}},
	}
	ix := New(tr)
	if ix.Len() != 3 {
		t.Errorf("workloads %d, want 3", ix.Len())
	}
	ev, ok := ix.For(Key{"shop", "Deployment", "web"})
	if !ok {
		t.Fatal("web not covered")
	}
	want := policy.Evidence{Traced: 2, Needs: []policy.TracedNeed{
		{Name: "CHOWN", Reason: "used by web (pid 9, uid 0) in fchownat (in 1 of 2 traced pods)", OnlyAsRoot: true},
		{Name: "NET_BIND_SERVICE", Reason: "used by web (pid 1, uid 0) in bind (in 2 of 2 traced pods)"},
		{Name: "SYS_TIME", Reason: "refused by web (pid 9, uid 0) in settimeofday (in 1 of 2 traced pods)", Denied: true},
	}, Notes: []string{"traced in 2 pods for 1m0s (kernel path tp_btf/cap_capable): only what ran during the trace is seen"}}
	if !reflect.DeepEqual(ev["app"], want) {
		t.Errorf("app:\n%+v\nwant\n%+v", ev["app"], want)
	}
	if sc := ev["sidecar"]; sc.Traced != 1 || len(sc.Needs) != 0 {
		t.Errorf("sidecar: %+v (traced, needs nothing: still evidence)", sc)
	}
	if db, ok := ix.For(Key{"shop", "Pod", "db-0"}); !ok || len(db["db"].Needs) != 1 {
		t.Errorf("bare pod: %v %+v", ok, db)
	}
	if _, ok := ix.For(Key{"shop", "StatefulSet", "web"}); ok {
		t.Error("another kind of the same name is covered")
	}
}
