package policy

import (
	"reflect"
	"strings"
	"testing"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/reading"
)

func ptr[T any](v T) *T { return &v }

func TestDecide(t *testing.T) {
	web := Container{Name: "web", Ports: []Port{{Number: 80, Name: "http"}, {Number: 8080}}}
	tests := []struct {
		name      string
		pod       Pod
		c         Container
		ev        *Evidence
		opt       Options
		add       []string
		ape       *bool // nil: left as written
		skipped   string
		privOff   bool
		mention   []string // substrings of reasons, notes or warnings
		noMention []string
	}{{
		name:    "port below 1024 needs NET_BIND_SERVICE",
		c:       web,
		add:     []string{"NET_BIND_SERVICE"},
		ape:     ptr(false),
		mention: []string{"containerPort 80 (http) below 1024"},
	}, {
		name:    "a pod sysctl opening low ports makes it unnecessary",
		pod:     Pod{UnprivilegedPortStart: ptr(0)},
		c:       web,
		ape:     ptr(false),
		mention: []string{"needs no NET_BIND_SERVICE: net.ipv4.ip_unprivileged_port_start=0 as the pod's sysctls set it"},
	}, {
		name:    "the running pods' port start wins over the spec",
		c:       web,
		ev:      &Evidence{Pods: 1, UnprivilegedPortStart: ptr(0)},
		ape:     ptr(false),
		mention: []string{"as read in the running pods"},
	}, {
		name:    "observed behaviour adds SETUID, SETGID, NET_RAW and a low listening port",
		c:       Container{Name: "proxy"},
		ev:      &Evidence{Pods: 2, SwitchedUID: true, SwitchedGID: true, RawSockets: true, ListenPorts: []int{53, 9153}, Notes: []string{"pid 7 (nginx) switched uid"}},
		add:     []string{"SETGID", "SETUID", "NET_BIND_SERVICE", "NET_RAW"},
		ape:     ptr(false),
		mention: []string{"listening on port 53 below 1024", "a process changed its uid", "raw or packet sockets", "pid 7 (nginx) switched uid"},
	}, {
		name:    "file capabilities of a non-root process are kept and keep no_new_privs off",
		pod:     Pod{RunAsUser: ptr(int64(1000))},
		c:       Container{Name: "ping"},
		ev:      &Evidence{Pods: 1, FileCaps: capset.Of(13)},
		add:     []string{"NET_RAW"},
		mention: []string{"holds it effectively (file capabilities)", "allowPrivilegeEscalation left unset/true"},
	}, {
		name:    "capabilities the manifest adds are kept, respelt once, and risky ones reported",
		c:       Container{SC: SecurityContext{Present: true, Add: []string{"cap_sys_admin", "SYS_ADMIN", "chown"}}},
		add:     []string{"SYS_ADMIN", "CHOWN"},
		ape:     ptr(false),
		mention: []string{"SYS_ADMIN kept: mount, namespaces", `"SYS_ADMIN" repeats SYS_ADMIN`},
	}, {
		name:    "--strict removes additions without evidence but keeps those with",
		c:       Container{Ports: []Port{{Number: 443}}, SC: SecurityContext{Present: true, Add: []string{"NET_ADMIN", "NET_BIND_SERVICE"}}},
		opt:     Options{Strict: true},
		add:     []string{"NET_BIND_SERVICE"},
		ape:     ptr(false),
		mention: []string{"nothing shows it is needed (--strict)"},
	}, {
		name:      "a CAP_ prefix never took effect: respelt, with a warning",
		c:         Container{SC: SecurityContext{Present: true, Add: []string{"CAP_SYS_TIME", "CAP_CHOWN", "chown"}}},
		add:       []string{"SYS_TIME", "CHOWN"},
		ape:       ptr(false),
		mention:   []string{`"CAP_SYS_TIME" was ignored by containerd`},
		noMention: []string{`"CAP_CHOWN" was ignored`},
	}, {
		name:    "an unknown capability is kept as written with a warning",
		c:       Container{SC: SecurityContext{Present: true, Add: []string{"FLY"}}},
		add:     []string{"FLY"},
		ape:     ptr(false),
		mention: []string{`"FLY" is not a capability`},
	}, {
		name:    "privileged is left alone",
		c:       Container{SC: SecurityContext{Present: true, Privileged: ptr(true)}},
		skipped: "privileged: true",
		mention: []string{"--drop-privileged"},
	}, {
		name:    "--drop-privileged hardens it",
		c:       Container{SC: SecurityContext{Present: true, Privileged: ptr(true)}},
		opt:     Options{DropPrivileged: true},
		ape:     ptr(false),
		privOff: true,
		mention: []string{"was privileged"},
	}, {
		name:    "live evidence hardens a privileged container too",
		c:       Container{SC: SecurityContext{Present: true, Privileged: ptr(true)}},
		ev:      &Evidence{Pods: 1, RawSockets: true},
		add:     []string{"NET_RAW"},
		ape:     ptr(false),
		privOff: true,
	}, {
		name:    "non-root: kept capabilities can only work through file capabilities",
		pod:     Pod{RunAsNonRoot: ptr(true)},
		c:       web,
		add:     []string{"NET_BIND_SERVICE"},
		mention: []string{"can reach a non-root user only through file capabilities"},
	}, {
		name:    "non-root with allowPrivilegeEscalation false: say the capability is useless",
		c:       Container{Ports: []Port{{Number: 80}}, SC: SecurityContext{Present: true, RunAsUser: ptr(int64(101)), AllowPrivilegeEscalation: ptr(false)}},
		add:     []string{"NET_BIND_SERVICE"},
		mention: []string{"NET_BIND_SERVICE cannot take effect: the container runs as user 101"},
	}, {
		name:      "root images get a warning about what drop ALL takes",
		c:         Container{Name: "db"},
		ape:       ptr(false),
		mention:   []string{"drop ALL also takes CHOWN"},
		noMention: []string{"Pod Security"},
	}, {
		name:      "already dropping ALL: no warning about it",
		c:         Container{SC: SecurityContext{Present: true, Drop: []string{"all"}}},
		ape:       ptr(false),
		noMention: []string{"drop ALL also takes"},
	}, {
		name:    "Windows pods are skipped",
		pod:     Pod{Windows: true},
		c:       web,
		skipped: "Windows pod: Linux capabilities do not apply",
	}, {
		name:    "--fix-level restricted forces allowPrivilegeEscalation and sets runAsNonRoot",
		c:       web,
		opt:     Options{Level: "restricted", FixLevel: true},
		add:     []string{"NET_BIND_SERVICE"},
		ape:     ptr(false),
		mention: []string{"kubelet refuses to start the container if its image runs as root", "seccompProfile: RuntimeDefault"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.pod, tc.c, tc.ev, tc.opt)
			if d.Skipped != tc.skipped {
				t.Errorf("skipped = %q, want %q", d.Skipped, tc.skipped)
			}
			if tc.skipped == "" {
				if !reflect.DeepEqual(tc.add, d.Add) && !(len(tc.add) == 0 && len(d.Add) == 0) {
					t.Errorf("add = %q, want %q", d.Add, tc.add)
				}
				if deref(tc.ape) != deref(d.AllowPrivilegeEscalation) {
					t.Errorf("allowPrivilegeEscalation = %v, want %v", deref(d.AllowPrivilegeEscalation), deref(tc.ape))
				}
				if tc.privOff != (d.Privileged != nil && !*d.Privileged) {
					t.Errorf("privileged = %v", deref(d.Privileged))
				}
			}
			all := strings.Join(append(append([]string{}, d.Notes...), d.Warnings...), "\n")
			for _, r := range d.Capabilities {
				all += "\n" + r.Reason
			}
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

func deref(b *bool) any {
	if b == nil {
		return "unset"
	}
	return *b
}

func TestSecurityContextKeepsOtherFields(t *testing.T) {
	d := Decision{Drop: []string{"ALL"}, AllowPrivilegeEscalation: ptr(false)}
	orig := map[string]any{"runAsUser": 1000, "capabilities": map[string]any{"add": []any{"SYS_TIME"}, "drop": []any{"NET_RAW"}}}
	got := d.SecurityContext(orig)
	want := map[string]any{"runAsUser": 1000, "allowPrivilegeEscalation": false, "capabilities": map[string]any{"drop": []any{"ALL"}}}
	if !reflect.DeepEqual(want, got) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	if _, ok := orig["allowPrivilegeEscalation"]; ok {
		t.Error("the original map was changed")
	}
	changes := Changes(orig, got)
	wantChanges := []string{"capabilities.drop: [NET_RAW] → [ALL]", "capabilities.add: [SYS_TIME] → (unset)", "allowPrivilegeEscalation: (unset) → false"}
	if !reflect.DeepEqual(wantChanges, changes) {
		t.Errorf("changes %q\nwant    %q", changes, wantChanges)
	}
}

func proc(pid, ppid int, name string, uid, gid int64, eff capset.Set) reading.Process {
	return reading.Process{PID: pid, PPID: ppid, Name: name, HasIDs: true,
		UID: [4]int64{uid, uid, uid, uid}, GID: [4]int64{gid, gid, gid, gid}, Eff: eff}
}

func TestInfer(t *testing.T) {
	obs := []Observation{{
		Pod: "web-1",
		Processes: []reading.Process{
			proc(1, 0, "nginx", 0, 0, 0),
			proc(7, 1, "nginx", 65534, 65534, 0),
			proc(9, 1, "ping\x1b[31m", 1000, 1000, capset.Of(13)),
		},
		SocketInodes: map[int][]uint64{7: {11}},
		Sockets: []reading.Socket{
			{Proto: "tcp", LocalPort: 80, Listening: true, Inode: 11},
			{Proto: "tcp", LocalPort: 22, Listening: true, Inode: 99}, // another container's
			{Proto: "tcp", LocalPort: 8080, Listening: false, Inode: 11},
		},
		UnprivilegedPortStart: ptr(1024),
	}, {Pod: "web-2"}} // not running: no processes
	ev := Infer(obs)
	if ev.Pods != 1 || !ev.SwitchedUID || !ev.SwitchedGID || ev.RawSockets {
		t.Errorf("got %+v", ev)
	}
	if !reflect.DeepEqual(ev.ListenPorts, []int{80}) {
		t.Errorf("ports %v, want [80]: the socket tied to another container's inode is not ours", ev.ListenPorts)
	}
	if ev.FileCaps != capset.Of(13) {
		t.Errorf("file caps %v, want NET_RAW", ev.FileCaps)
	}
	if ev.UnprivilegedPortStart == nil || *ev.UnprivilegedPortStart != 1024 {
		t.Errorf("port start %v", ev.UnprivilegedPortStart)
	}
	notes := strings.Join(ev.Notes, "\n")
	for _, want := range []string{"pid 7 (nginx) runs as uid 65534 under pid 1 running as root", "pid 9 (ping) runs as uid 1000 yet holds NET_RAW effectively"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}

	// capsh gives only real and effective uid (-1 for the rest): that is no switch. Without
	// socket inodes, sockets are tied by owner uid and the notes say so.
	p := proc(1, 0, "sh", 101, 101, 0)
	p.UID[2], p.UID[3], p.GID[2], p.GID[3] = -1, -1, -1, -1
	ev = Infer([]Observation{{Pod: "p", HostNetwork: true,
		Processes: []reading.Process{p},
		Sockets:   []reading.Socket{{Proto: "tcp6", LocalPort: 443, Listening: true, UID: 101}, {Proto: "tcp", LocalPort: 22, Listening: true, UID: 0}, {Proto: "packet", UID: 101}},
	}})
	if !reflect.DeepEqual(ev.ListenPorts, []int{443}) || !ev.RawSockets || ev.SwitchedUID || ev.SwitchedGID {
		t.Errorf("got %+v", ev)
	}
	if !strings.Contains(strings.Join(ev.Notes, "\n"), "other processes on the node (hostNetwork)") {
		t.Errorf("notes must warn about attribution by uid: %v", ev.Notes)
	}
}

func TestEvaluateLevel(t *testing.T) {
	spec := map[string]any{"containers": []any{map[string]any{"name": "a", "image": "x",
		"securityContext": map[string]any{"capabilities": map[string]any{"drop": []any{"ALL"}, "add": []any{"NET_ADMIN"}}}}}}
	r, err := EvaluateLevel("baseline", nil, spec)
	if err != nil {
		t.Fatal(err)
	}
	if r.Allowed || len(r.Violations) != 1 || !strings.Contains(r.Violations[0], "NET_ADMIN") {
		t.Errorf("baseline must flag NET_ADMIN: %+v", r)
	}
	if _, err := EvaluateLevel("strict", nil, spec); err == nil {
		t.Error("an unknown level must fail")
	}
}
