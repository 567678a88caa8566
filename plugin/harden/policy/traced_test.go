package policy

import (
	"reflect"
	"strings"
	"testing"
)

// The evidence of the e2e workload's trace: CHOWN and NET_BIND_SERVICE used as root, SYS_TIME
// refused.
func workerTrace() *Evidence {
	return &Evidence{Traced: 2, Needs: []TracedNeed{
		{Name: "CHOWN", Reason: "CHOWN used by capworker (pid 4242, uid 0) in fchownat from setattr_prepare, 10 checks (2 pods)", OnlyAsRoot: true},
		{Name: "NET_BIND_SERVICE", Reason: "NET_BIND_SERVICE used by capworker (pid 4242, uid 0) in bind from __inet_bind, 5 checks", OnlyAsRoot: true},
		{Name: "SYS_TIME", Reason: "SYS_TIME refused by capworker (pid 4242, uid 0) in settimeofday from cap_settime, 5 checks", Denied: true},
	}}
}

func text(d Decision) string {
	all := strings.Join(append(append([]string{d.Skipped}, d.Notes...), d.Warnings...), "\n")
	for _, r := range d.Capabilities {
		all += "\n" + r.Action + " " + r.Name + " (" + r.Source + "): " + r.Reason
	}
	return all
}

func TestDecideTraced(t *testing.T) {
	worker := Container{Name: "app", Image: "local/capworker:v1"}
	for _, tc := range []struct {
		name      string
		c         Container
		pod       Pod
		ev        *Evidence
		opt       Options
		add       []string
		licensed  []string
		mention   []string
		noMention []string
	}{{
		name:      "exactly the used capabilities, each with its reason; the refused one is said, not added",
		c:         worker,
		ev:        workerTrace(),
		add:       []string{"CHOWN", "NET_BIND_SERVICE"},
		mention:   []string{"added CHOWN (traced): CHOWN used by capworker (pid 4242, uid 0) in fchownat", "added NET_BIND_SERVICE (traced): NET_BIND_SERVICE used by", "SYS_TIME was refused in the trace and is not added: the workload ran without it", "--add-denied adds it"},
		noMention: []string{"nothing shows what it does at start-up"}, // the trace speaks for it
	}, {
		name:     "--add-denied adds the refused one on purpose, a first-time grant",
		c:        worker,
		ev:       workerTrace(),
		opt:      Options{AddDenied: true},
		add:      []string{"CHOWN", "NET_BIND_SERVICE", "SYS_TIME"},
		licensed: []string{"SYS_TIME"},
		mention:  []string{"added SYS_TIME (traced): refused in the trace, added on purpose (--add-denied)", "SYS_TIME added (--add-denied): the original spec never grants it"},
	}, {
		name:    "used only as root, in a container the spec runs as non-root: explained, not added",
		c:       Container{Name: "app", Image: "local/capworker:v1", SC: SecurityContext{Present: true, RunAsUser: ptr(int64(1000))}},
		ev:      workerTrace(),
		add:     nil,
		mention: []string{"CHOWN not added: the trace saw it used only by processes running as root", "runs as user 1000, for whose processes a capability in add is not effective", "NET_BIND_SERVICE not added"},
	}, {
		name:    "--fix-level restricted makes it non-root: the same explanation",
		c:       worker,
		ev:      workerTrace(),
		opt:     Options{Level: "restricted", FixLevel: true},
		mention: []string{"CHOWN not added: the trace saw it used only by processes running as root", "runAsNonRoot: true (restricted)"},
	}, {
		name:    "a port below 1024 in the spec keeps NET_BIND_SERVICE for a non-root container",
		c:       Container{Name: "app", Ports: []Port{{Number: 80}}, SC: SecurityContext{Present: true, RunAsUser: ptr(int64(1000))}},
		ev:      workerTrace(),
		add:     []string{"NET_BIND_SERVICE"},
		mention: []string{"CHOWN not added", "containerPort 80 below 1024"},
	}, {
		name:    "a used capability this manifest never grants: the traced pods ran with another spec; not added, what to do is said",
		c:       Container{Name: "app", SC: SecurityContext{Present: true, Drop: []string{"CHOWN"}}},
		ev:      workerTrace(),
		add:     []string{"NET_BIND_SERVICE"},
		mention: []string{"CHOWN was used in the trace (CHOWN used by capworker", "this manifest never grants it (the manifest drops it)", "add CHOWN to the manifest's capabilities.add and run harden again"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.pod, tc.c, tc.ev, tc.opt)
			if d.Skipped != "" {
				t.Fatalf("skipped: %s", d.Skipped)
			}
			if !reflect.DeepEqual(tc.add, d.Add) && !(len(tc.add) == 0 && len(d.Add) == 0) {
				t.Errorf("add = %q, want %q\n%s", d.Add, tc.add, text(d))
			}
			if got := d.Licensed.Names(); !reflect.DeepEqual(got, tc.licensed) && !(len(got) == 0 && len(tc.licensed) == 0) {
				t.Errorf("licensed = %v, want %v", got, tc.licensed)
			}
			all := text(d)
			for _, m := range tc.mention {
				if !strings.Contains(all, m) {
					t.Errorf("nothing says %q; got:\n%s", m, all)
				}
			}
			for _, m := range tc.noMention {
				if strings.Contains(all, m) {
					t.Errorf("should not say %q; got:\n%s", m, all)
				}
			}
		})
	}
}
