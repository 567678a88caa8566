package policy

import (
	"reflect"
	"regexp"
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
		name:    "observed behaviour adds SETUID, SETGID, NET_RAW and a low listening port (on containerd)",
		c:       Container{Name: "proxy"},
		ev:      &Evidence{Pods: 2, SwitchedUID: true, SwitchedGID: true, RawSockets: true, ListenPorts: []int{53, 9153}, Notes: []string{"pid 7 (nginx) switched uid"}},
		opt:     Options{Runtimes: []string{"containerd"}},
		add:     []string{"SETGID", "SETUID", "NET_BIND_SERVICE", "NET_RAW"},
		ape:     ptr(false),
		mention: []string{"listening on port 53 below 1024", "a process changed its uid", "raw or packet sockets", "pid 7 (nginx) switched uid"},
	}, {
		name:    "NET_RAW in use but outside CRI-O's defaults: adding it would raise privilege there, so the container is left alone",
		c:       Container{Name: "proxy"},
		ev:      &Evidence{Pods: 1, RawSockets: true},
		skipped: "NET_RAW is needed (raw or packet sockets are open), but the original spec does not grant it on CRI-O (CRI-O's default capabilities lack it)",
		mention: []string{"--runtime containerd,docker"},
	}, {
		name:    "file capabilities of a non-root process are kept, and no_new_privs does not stop them",
		pod:     Pod{RunAsUser: ptr(int64(1000))},
		c:       Container{Name: "ping", SC: SecurityContext{Present: true, Add: []string{"NET_RAW"}}},
		ev:      &Evidence{Pods: 1, FileCaps: capset.Of(13)},
		add:     []string{"NET_RAW"},
		ape:     ptr(false),
		mention: []string{"holds it effectively (file capabilities)", "allowPrivilegeEscalation: false still lets them work for the entrypoint", "scenario 7", "not verified on a node"},
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
		name:      "a CAP_ prefix never took effect on containerd: kept as written, with a warning",
		c:         Container{SC: SecurityContext{Present: true, Add: []string{"CAP_SYS_TIME", "CAP_CHOWN", "chown"}}},
		add:       []string{"CAP_SYS_TIME", "CHOWN"},
		ape:       ptr(false),
		mention:   []string{`"CAP_SYS_TIME" never took effect on containerd`, "--respell-cap-prefix"},
		noMention: []string{`"CAP_CHOWN" never took effect`},
	}, {
		name:    "--respell-cap-prefix makes it effective on purpose, and licenses it",
		c:       Container{SC: SecurityContext{Present: true, Add: []string{"CAP_SYS_TIME"}}},
		opt:     Options{RespellPrefixed: true},
		add:     []string{"SYS_TIME"},
		ape:     ptr(false),
		mention: []string{"grants it for the first time"},
	}, {
		name:    "an add the manifest also drops was never held on containerd and CRI-O: removed",
		c:       Container{SC: SecurityContext{Present: true, Add: []string{"SYS_ADMIN", "NET_ADMIN"}, Drop: []string{"SYS_ADMIN"}}},
		add:     []string{"NET_ADMIN"},
		ape:     ptr(false),
		mention: []string{"the manifest also drops SYS_ADMIN, and containerd and CRI-O apply drops after adds"},
	}, {
		name:    "add ALL with a drop is left alone without a flag",
		c:       Container{SC: SecurityContext{Present: true, Add: []string{"ALL"}, Drop: []string{"NET_RAW"}}},
		skipped: "adds ALL",
		mention: []string{"--drop-privileged"},
	}, {
		name:    "add ALL with --drop-privileged: ALL goes, the needed ones come",
		c:       Container{Ports: []Port{{Number: 80}}, SC: SecurityContext{Present: true, Add: []string{"ALL"}, Drop: []string{"NET_RAW"}}},
		opt:     Options{DropPrivileged: true},
		add:     []string{"NET_BIND_SERVICE"},
		ape:     ptr(false),
		mention: []string{"add: [ALL] granted every capability"},
	}, {
		name:    "CAP_ALL grants nothing anywhere: kept as written",
		c:       Container{SC: SecurityContext{Present: true, Add: []string{"CAP_ALL"}}},
		add:     []string{"CAP_ALL"},
		ape:     ptr(false),
		mention: []string{"is not the ALL keyword"},
	}, {
		name:    "a port the manifest drops NET_BIND_SERVICE for is not given it back",
		c:       Container{Ports: []Port{{Number: 80}}, SC: SecurityContext{Present: true, Drop: []string{"ALL"}}},
		ape:     ptr(false),
		mention: []string{"not added, as the original spec never grants them (the manifest drops ALL)", "NET_BIND_SERVICE (containerPort 80"},
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
		name:    "non-root: kept capabilities can only work through file capabilities, which no_new_privs leaves to the entrypoint",
		pod:     Pod{RunAsNonRoot: ptr(true)},
		c:       web,
		add:     []string{"NET_BIND_SERVICE"},
		ape:     ptr(false),
		mention: []string{"can reach a non-root user only through file capabilities", "still lets them work for the entrypoint"},
	}, {
		name:      "non-root with allowPrivilegeEscalation false: the capability still works for the entrypoint (no untrue warning)",
		c:         Container{Ports: []Port{{Number: 80}}, SC: SecurityContext{Present: true, RunAsUser: ptr(int64(101)), AllowPrivilegeEscalation: ptr(false)}},
		add:       []string{"NET_BIND_SERVICE"},
		mention:   []string{"still lets them work"},
		noMention: []string{"cannot take effect"},
	}, {
		name:    "non-root with allowPrivilegeEscalation true on purpose: left as written",
		c:       Container{Ports: []Port{{Number: 80}}, SC: SecurityContext{Present: true, RunAsUser: ptr(int64(101)), AllowPrivilegeEscalation: ptr(true)}},
		add:     []string{"NET_BIND_SERVICE"},
		mention: []string{"allowPrivilegeEscalation: true left as written"},
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
		name:      "nginx from the table: CHOWN, SETGID, SETUID and the port, and the match stated",
		c:         Container{Name: "web", Image: "nginx:1.27", Ports: []Port{{Number: 80}}},
		add:       []string{"CHOWN", "SETGID", "SETUID", "NET_BIND_SERVICE"},
		ape:       ptr(false),
		mention:   []string{`image "nginx:1.27" is nginx in harden's table`, "docker.io/library/nginx", "src/core/ngx_file.c:632", "nginx/docker-nginx@"},
		noMention: []string{"nothing shows what it does"},
	}, {
		name:    "php with apache matches by tag; plain php does not",
		c:       Container{Image: "php:8.3-apache"},
		add:     []string{"SETGID", "SETUID", "NET_BIND_SERVICE"},
		ape:     ptr(false),
		mention: []string{"php (apache)"},
	}, {
		name:    "an unknown image running as root gets the warning, saying the image is unknown and what to do",
		c:       Container{Image: "example.com/shop/api:3"},
		ape:     ptr(false),
		mention: []string{`image "example.com/shop/api:3" is not in harden's table`, "--observe"},
	}, {
		name:      "sleep needs nothing: no warning",
		c:         Container{Image: "busybox", Command: []string{"sleep", "infinity"}},
		ape:       ptr(false),
		noMention: []string{"nothing shows what it does"},
	}, {
		name:    "the table's root needs do not apply when the spec runs it as another user",
		c:       Container{Image: "nginx", SC: SecurityContext{Present: true, RunAsUser: ptr(int64(101))}},
		ape:     ptr(false),
		mention: []string{"cannot chown or switch users"},
	}, {
		name:    "an init container fixing permissions needs CHOWN (and FOWNER for chmod)",
		c:       Container{Type: "init", Image: "busybox", Command: []string{"sh", "-c", "chown -R 999:999 /data && chmod 0700 /data"}},
		add:     []string{"CHOWN", "FOWNER"},
		ape:     ptr(false),
		mention: []string{"runs chown: giving files to another owner needs CHOWN"},
	}, {
		name:    "iptables in a script needs NET_ADMIN and NET_RAW; ip link set NET_ADMIN",
		c:       Container{Image: "alpine", Command: []string{"/bin/sh", "-ec"}, Args: []string{"ip link set dev eth0 mtu 1400\nexec iptables-legacy -t nat -A POSTROUTING -j MASQUERADE"}, SC: SecurityContext{Present: true, Add: []string{"NET_ADMIN", "NET_RAW"}}},
		add:     []string{"NET_ADMIN", "NET_RAW"},
		ape:     ptr(false),
		mention: []string{"runs iptables-legacy", "runs ip to change links"},
	}, {
		name:    "a hostPort below 1024 forwarded to a high containerPort needs nothing",
		c:       Container{Image: "busybox", Command: []string{"sleep", "1"}, Ports: []Port{{Number: 8080, HostPort: 80}}},
		ape:     ptr(false),
		mention: []string{"hostPort 80 is opened on the node"},
	}, {
		name:    "hostNetwork: the pod's port sysctl does not apply",
		pod:     Pod{HostNetwork: true, UnprivilegedPortStart: ptr(0)},
		c:       web,
		add:     []string{"NET_BIND_SERVICE"},
		ape:     ptr(false),
		mention: []string{"the node's value, assumed: hostNetwork"},
	}, {
		name:    "--drop-privileged derives from the command and says what is likely missing",
		pod:     Pod{HostPaths: map[string]string{"dev": "/dev"}},
		c:       Container{Image: "example/agent", Command: []string{"sh", "-c", "sysctl -w vm.max_map_count=262144; mount -t bpf bpf /sys/fs/bpf; exec agent"}, Mounts: []Mount{{Volume: "dev", Path: "/host/dev"}}, SC: SecurityContext{Present: true, Privileged: ptr(true)}},
		opt:     Options{DropPrivileged: true},
		add:     []string{"SYS_ADMIN"},
		ape:     ptr(false),
		privOff: true,
		mention: []string{"runs sysctl -w", "host devices need privileged", "runs mount"},
	}, {
		name:    "--drop-privileged on an unknown image with no command says nothing is known",
		c:       Container{Image: "example/agent", SC: SecurityContext{Present: true, Privileged: ptr(true)}},
		opt:     Options{DropPrivileged: true},
		ape:     ptr(false),
		privOff: true,
		mention: []string{`everything it does: image "example/agent" is not in harden's table`},
	}, {
		name:    "a privileged calico-node is left alone, and the table says why it needs privileged",
		c:       Container{Name: "calico-node", Image: "quay.io/calico/node:v3.28.0", SC: SecurityContext{Present: true, Privileged: ptr(true)}},
		skipped: "privileged: true",
		mention: []string{"calico node needs it"},
	}, {
		name:    "ephemeral containers are not a manifest's to set",
		c:       Container{Type: "ephemeral"},
		skipped: "ephemeral container",
	}, {
		name:    "a trace's needs are added with their reason (issue 13's hook)",
		c:       Container{Image: "example/app"},
		ev:      &Evidence{Needs: []TracedNeed{{Name: "cap_setuid", Reason: "setuid(2) by app (pid 1)"}}},
		add:     []string{"SETUID"},
		ape:     ptr(false),
		mention: []string{"setuid(2) by app (pid 1)"},
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
			if !strings.HasPrefix(d.Skipped, tc.skipped) || (tc.skipped == "") != (d.Skipped == "") {
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
			all := strings.Join(append(append([]string{d.Skipped}, d.Notes...), d.Warnings...), "\n")
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

func TestImageRepo(t *testing.T) {
	for in, want := range map[string]string{
		"nginx":                                   "docker.io/library/nginx",
		"nginx:1.27-alpine":                       "docker.io/library/nginx",
		"library/nginx@sha256:abc":                "docker.io/library/nginx",
		"docker.io/nginx:latest":                  "docker.io/library/nginx",
		"index.docker.io/library/php":             "docker.io/library/php",
		"envoyproxy/envoy:v1.31":                  "docker.io/envoyproxy/envoy",
		"Quay.io/Cilium/cilium:v1.16":             "quay.io/cilium/cilium",
		"localhost:5000/web:1":                    "localhost:5000/web",
		"registry.k8s.io/coredns/coredns:v1.11.1": "registry.k8s.io/coredns/coredns",
		"{{ .Values.image }}":                     "",
	} {
		if got, _ := imageRepo(in); got != want {
			t.Errorf("imageRepo(%q) = %q, want %q", in, got, want)
		}
	}
	if _, tag := imageRepo("localhost:5000/php:8.3-apache"); tag != "8.3-apache" {
		t.Errorf("tag = %q", tag)
	}
}

// TestImageTableCites: every entry says where it comes from (repository, commit, file and line)
// and whom it runs as.
func TestImageTableCites(t *testing.T) {
	cite := regexp.MustCompile(`[\w.-]+/[\w.-]+@[0-9a-f]{8} [\w./-]+:\d+`)
	for _, e := range images {
		if !cite.MatchString(e.source) {
			t.Errorf("%s: source %q names no repo@commit file:line", e.name, e.source)
		}
		if e.runsAs == "" || len(e.repos) == 0 {
			t.Errorf("%s: runsAs and repos are required", e.name)
		}
		for _, n := range e.needs {
			if _, err := capset.ParseName(n.cap); err != nil || n.why == "" {
				t.Errorf("%s: need %q without a known name or a reason", e.name, n.cap)
			}
		}
	}
}

func TestScript(t *testing.T) {
	got := commands([]string{"/bin/sh", "-c", `set -e; chown 1000 "/data dir" && X=1 exec gosu app /app --flag='a b' | tee /log; echo $(id -u) > /proc/sys/net/core/somaxconn`})
	want := [][]string{{"set", "-e"}, {"chown", "1000", "/data dir"}, {"X=1", "exec", "gosu", "app", "/app", "--flag=a b"}, {"tee", "/log"}, {"echo"}, {"id", "-u"}, {">", "/proc/sys/net/core/somaxconn"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	f := readCommand(Container{Command: []string{"sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"}})
	if len(f.privileged) != 1 || !f.known {
		t.Errorf("a write to /proc/sys needs privileged: %+v", f)
	}
	if f := readCommand(Container{Command: []string{"/app"}}); f.known {
		t.Errorf("an unknown program is not known")
	}
	if f := readCommand(Container{Args: []string{"chown"}}); len(f.needs) != 0 {
		t.Errorf("args alone go to the image's entrypoint: %+v", f)
	}
}
