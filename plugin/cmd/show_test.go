package cmd

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-caps/kubectl-caps/plugin/report"
	"github.com/kubectl-caps/kubectl-caps/test/fakeapi"
)

// These tests run the real command against test/fakeapi: a real HTTPS API server whose pods/exec
// speaks the real WebSocket and SPDY streaming protocols. Only the kubelet and container are
// stood in for, by the ExecFunc of each test (RunLocally really runs the probe on this machine).

func runCaps(t *testing.T, s *fakeapi.Server, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	kc, err := s.WriteKubeconfig(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	root := NewCmdCaps(genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	root.SetArgs(append([]string{"--kubeconfig", kc}, args...))
	err = root.Execute()
	var ee *ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.Code
	default:
		errOut.WriteString("error: " + err.Error() + "\n")
		code = 1
	}
	return out.String(), errOut.String(), code
}

func decode(t *testing.T, stdout string) *report.Report {
	t.Helper()
	var r report.Report
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("not a JSON report: %v\n%s", err, stdout)
	}
	return &r
}

func row(t *testing.T, r *report.Report, pod, container string) report.Container {
	t.Helper()
	for _, c := range r.Containers {
		if c.Pod == pod && c.Container == container {
			return c
		}
	}
	t.Fatalf("no row for %s/%s in %d rows", pod, container, len(r.Containers))
	return report.Container{}
}

func start(t *testing.T, opts fakeapi.Options, objs ...runtime.Object) *fakeapi.Server {
	t.Helper()
	objs = append(objs, fakeapi.Node(fakeapi.DefaultNode, "containerd://1.6.20"))
	s, err := fakeapi.New(opts, objs...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func assertReadOnly(t *testing.T, s *fakeapi.Server) {
	t.Helper()
	for _, r := range s.Requests() {
		if !r.IsReadOnly() && !r.IsExec() {
			t.Errorf("show wrote to the cluster: %s", r)
		}
	}
}

// TestShowReadsRealProcesses: the probe really runs (on this machine, standing in for the
// container) and its real /proc readings come back over the real exec protocol.
func TestShowReadsRealProcesses(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("needs /proc")
	}
	uid := int64(1025)
	web := fakeapi.Pod("default", "web", "app")
	web.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{
		RunAsUser:    &uid,
		Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}, Add: []corev1.Capability{"SYS_TIME"}},
	}
	s := start(t, fakeapi.Options{Exec: fakeapi.RunLocally}, web)
	stdout, stderr, code := runCaps(t, s, "show", "web", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	r := decode(t, stdout)
	if r.APIVersion != report.APIVersion || r.Trust == "" {
		t.Errorf("report header: %+v", r)
	}
	c := row(t, r, "web", "app")
	if c.Method != "proc" || c.Live == nil || len(c.Processes) == 0 || c.UnprivilegedPortStart == nil {
		t.Fatalf("no live reading: method=%q live=%v procs=%d error=%q", c.Method, c.Live, len(c.Processes), c.Error)
	}
	self, _ := os.ReadFile("/proc/self/status")
	if !strings.Contains(string(self), "CapBnd:\t"+c.Live.Sets.Bounding.Mask) {
		t.Errorf("live bounding %s is not this machine's real one", c.Live.Sets.Bounding.Mask)
	}
	if c.Expected == nil || c.Expected.Sets.Bounding.Mask != "0000000002000000" || c.Expected.Sets.Effective.Mask != "0000000000000000" {
		t.Errorf("expected sets for drop ALL + SYS_TIME as uid 1025: %+v", c.Expected)
	}
	assertReadOnly(t, s)
}

// canned probe output for a container running as root with the runtime defaults.
const rootProbe = "@@kubectl-caps 1\n@@portstart 0\n@@scope cgroup\n@@pid 1\nName:\tnginx\nPid:\t1\nPPid:\t0\n" +
	"Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nCapInh:\t0000000000000000\nCapPrm:\t00000000a80425fb\n" +
	"CapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\n" +
	"Seccomp:\t0\nSeccomp_filters:\t0\n@@others 0\n@@end\n"

const pid1Status = "Name:\tapp\nPid:\t1\nPPid:\t0\nUid:\t65532\t65532\t65532\t65532\nGid:\t65532\t65532\t65532\t65532\n" +
	"CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t00000000a80425fb\n" +
	"CapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t2\nSeccomp_filters:\t1\n"

const capshOld = "Current: = cap_chown,cap_dac_override,cap_fowner,cap_fsetid,cap_kill,cap_setgid,cap_setuid,cap_setpcap,cap_net_bind_service,cap_net_raw,cap_sys_chroot,cap_mknod,cap_audit_write,cap_setfcap+i\n" +
	"Bounding set =cap_chown,cap_dac_override,cap_fowner,cap_fsetid,cap_kill,cap_setgid,cap_setuid,cap_setpcap,cap_net_bind_service,cap_net_raw,cap_sys_chroot,cap_mknod,cap_audit_write,cap_setfcap\n" +
	"Securebits: 00/0x0/1'b0\n secure-noroot: no (unlocked)\n secure-no-suid-fixup: no (unlocked)\n secure-keep-caps: no (unlocked)\nuid=1025(user1)\ngid=1025(user1)\ngroups=\n"

// perPod answers each pod differently, like images with and without a shell.
func perPod(m map[string]fakeapi.ExecFunc) fakeapi.ExecFunc {
	return func(ctx contextT, req fakeapi.ExecRequest, stdout, stderr writerT) (int, error) {
		return m[req.Pod](ctx, req, stdout, stderr)
	}
}

func TestShowFallbacks(t *testing.T) {
	s := start(t, fakeapi.Options{Exec: perPod(map[string]fakeapi.ExecFunc{
		"shell":      fakeapi.Canned(map[string]string{"/bin/sh": rootProbe}),
		"cat-only":   fakeapi.Canned(map[string]string{"cat": pid1Status + "1024\n"}),
		"capsh":      fakeapi.Canned(map[string]string{"capsh": capshOld}),
		"distroless": fakeapi.Canned(map[string]string{}),
	})}, fakeapi.Pod("default", "shell", "c"), fakeapi.Pod("default", "cat-only", "c"),
		fakeapi.Pod("default", "capsh", "c"), fakeapi.Pod("default", "distroless", "c"))
	stdout, stderr, code := runCaps(t, s, "show", "-o", "json")
	if code != 1 {
		t.Errorf("exit code %d, want 1 (one container could not be read)", code)
	}
	r := decode(t, stdout)
	for pod, method := range map[string]string{"shell": "proc", "cat-only": "proc-pid1", "capsh": "capsh"} {
		if c := row(t, r, pod, "c"); c.Method != method || c.Live == nil {
			t.Errorf("%s: method %q live %v error %q, want %s", pod, c.Method, c.Live, c.Error, method)
		}
	}
	if c := row(t, r, "cat-only", "c"); c.Live.EUID != 65532 || c.Live.Seccomp != "filter" || *c.UnprivilegedPortStart != 1024 {
		t.Errorf("cat fallback reading: %+v", c.Live)
	}
	if c := row(t, r, "capsh", "c"); c.Live.EUID != 1025 || c.Live.Sets.Inheritable.Mask != "00000000a80425fb" || !strings.Contains(c.ScopeNote, "capsh") {
		t.Errorf("capsh fallback: %+v note %q", c.Live, c.ScopeNote)
	}
	d := row(t, r, "distroless", "c")
	if !strings.Contains(d.Error, "no /bin/sh, cat or capsh") || d.Expected == nil || len(d.Findings) == 0 {
		t.Errorf("distroless row should explain and still predict: %+v", d)
	}
	if !strings.Contains(stderr, "default/distroless container c: no /bin/sh, cat or capsh") || !strings.Contains(stderr, "kubectl debug") || !strings.Contains(stderr, "--via node") {
		t.Errorf("stderr should say what to do: %q", stderr)
	}
	if strings.Count(stderr, "\n") != 1 {
		t.Errorf("want exactly one error line, got %q", stderr)
	}
}

func TestShowForbiddenExecIsOneLine(t *testing.T) {
	var objs []runtime.Object
	for _, n := range []string{"a", "b", "c"} {
		objs = append(objs, fakeapi.Pod("team", n, "c1", "c2"))
	}
	s := start(t, fakeapi.Options{Exec: fakeapi.Canned(map[string]string{"/bin/sh": rootProbe}), Authorize: fakeapi.DenyExecIn("team")}, objs...)
	stdout, stderr, code := runCaps(t, s, "show", "-n", "team")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], `namespace "team"`) || !strings.Contains(lines[0], "pods/exec") || !strings.Contains(lines[0], "6 containers") {
		t.Errorf("want one line naming pods/exec and the namespace, got:\n%s", stderr)
	}
	table, _, _ := strings.Cut(stdout, "\n\n")
	if strings.Count(table, "\n") != 6 { // header + 6 rows
		t.Errorf("every container should still have a row:\n%s", stdout)
	}
	// One exec attempt per container: a refusal is not retried with other methods.
	if n := len(s.Execs()); n != 0 {
		t.Logf("%d execs reached the kubelet", n)
	}
}

func TestShowTargets(t *testing.T) {
	dep, rs, depPods := fakeapi.Deployment("shop", "web", 2, "nginx", "sidecar")
	other := fakeapi.Pod("shop", "db", "postgres")
	other.Labels = map[string]string{"app": "db", "tier": "data"}
	elsewhere := fakeapi.Pod("ops", "tool", "t")
	job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "nightly-1", UID: "job-uid",
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "CronJob", Name: "nightly", UID: "cj-uid", Controller: ptrTo(true)}}},
		Spec: batchv1.JobSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"job-name": "nightly-1"}}}}
	cj := &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "nightly", UID: "cj-uid"}}
	jobPod := fakeapi.Pod("shop", "nightly-1-x", "run")
	jobPod.Labels = map[string]string{"job-name": "nightly-1"}
	objs := append(fakeapi.Objects(depPods), dep, rs, other, elsewhere, job, cj, jobPod)
	s := start(t, fakeapi.Options{Exec: fakeapi.Canned(map[string]string{"/bin/sh": rootProbe})}, objs...)

	tests := []struct {
		name string
		args []string
		want []string // namespace/pod/container
	}{
		{"deployment", []string{"-n", "shop", "deploy/web"}, []string{"shop/" + depPods[0].Name + "/nginx", "shop/" + depPods[0].Name + "/sidecar", "shop/" + depPods[1].Name + "/nginx", "shop/" + depPods[1].Name + "/sidecar"}},
		{"container filter", []string{"-n", "shop", "deploy/web", "-c", "nginx"}, []string{"shop/" + depPods[0].Name + "/nginx", "shop/" + depPods[1].Name + "/nginx"}},
		{"bare pod name", []string{"-n", "shop", "db"}, []string{"shop/db/postgres"}},
		{"pod/NAME", []string{"-n", "shop", "pod/db"}, []string{"shop/db/postgres"}},
		{"label selector", []string{"-n", "shop", "-l", "tier=data"}, []string{"shop/db/postgres"}},
		{"cronjob via its jobs", []string{"-n", "shop", "cronjob/nightly"}, []string{"shop/nightly-1-x/run"}},
		{"job", []string{"-n", "shop", "job/nightly-1"}, []string{"shop/nightly-1-x/run"}},
		{"all namespaces", []string{"-A", "-l", "app in (db,tool)"}, []string{"ops/tool/t", "shop/db/postgres"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runCaps(t, s, append([]string{"show", "-o", "json"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var got []string
			for _, c := range decode(t, stdout).Containers {
				got = append(got, c.Namespace+"/"+c.Pod+"/"+c.Container)
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("got %v\nwant %v", got, tt.want)
			}
		})
	}
	assertReadOnly(t, s)
}

func TestShowNotRunning(t *testing.T) {
	pending := fakeapi.Pod("default", "pending", "c")
	pending.Status = corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable"}}}
	crash := fakeapi.Pod("default", "crash", "c")
	crash.Status.ContainerStatuses[0].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}
	crash.Status.ContainerStatuses[0].LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 2}}
	withInit := fakeapi.Pod("default", "with-init", "main")
	withInit.Spec.InitContainers = []corev1.Container{{Name: "setup"}}
	withInit.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: "setup", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Completed"}}}}
	win := fakeapi.Pod("default", "win", "c")
	win.Spec.OS = &corev1.PodOS{Name: corev1.Windows}
	s := start(t, fakeapi.Options{Exec: fakeapi.Canned(map[string]string{"/bin/sh": rootProbe})}, pending, crash, withInit, win)
	stdout, stderr, code := runCaps(t, s, "show", "-o", "json")
	if code != 0 {
		t.Fatalf("not running is not a failure: exit %d %s", code, stderr)
	}
	r := decode(t, stdout)
	for _, tc := range []struct{ pod, ctr, skipped string }{
		{"pending", "c", "Unschedulable"},
		{"crash", "c", "CrashLoopBackOff"},
		{"with-init", "setup", "init container finished (Completed)"},
		{"win", "c", "Windows"},
	} {
		if c := row(t, r, tc.pod, tc.ctr); !strings.Contains(c.Skipped, tc.skipped) {
			t.Errorf("%s/%s skipped %q, want %q", tc.pod, tc.ctr, c.Skipped, tc.skipped)
		}
	}
	if c := row(t, r, "with-init", "main"); c.Live == nil {
		t.Errorf("running container next to a finished init container should be read: %+v", c)
	}
	if n := len(s.Execs()); n != 1 {
		t.Errorf("%d execs, want 1 (only the running container)", n)
	}
}

func TestShowSPDYFallback(t *testing.T) {
	s := start(t, fakeapi.Options{Exec: fakeapi.Canned(map[string]string{"/bin/sh": rootProbe}), RefuseWebSocket: true}, fakeapi.Pod("default", "p", "c"))
	stdout, stderr, code := runCaps(t, s, "show", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if c := row(t, decode(t, stdout), "p", "c"); c.Live == nil {
		t.Errorf("no reading over SPDY: %+v", c)
	}
	ex := s.Execs()
	if len(ex) != 1 || ex[0].Transport != "spdy" {
		t.Errorf("execs %+v, want one over spdy", ex)
	}
}

func TestShowBoundsSlowAndFloodingContainers(t *testing.T) {
	s := start(t, fakeapi.Options{Exec: perPod(map[string]fakeapi.ExecFunc{
		"hang":  fakeapi.Hang,
		"flood": fakeapi.Flood(64 << 20),
		"ok":    fakeapi.Canned(map[string]string{"/bin/sh": rootProbe}),
	})}, fakeapi.Pod("default", "hang", "c"), fakeapi.Pod("default", "flood", "c"), fakeapi.Pod("default", "ok", "c"))
	begin := time.Now()
	stdout, stderr, code := runCaps(t, s, "show", "-o", "json", "--timeout", "2s", "--max-bytes", "65536")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	r := decode(t, stdout)
	if c := row(t, r, "hang", "c"); !strings.Contains(c.Error, "no answer within 2s") {
		t.Errorf("hang: %q", c.Error)
	}
	if c := row(t, r, "flood", "c"); c.Error == "" && !c.Truncated {
		t.Errorf("flood should be cut at the bound: %+v", c)
	}
	if c := row(t, r, "ok", "c"); c.Live == nil {
		t.Errorf("a healthy container is still read: %+v", c)
	}
	// Not a timing assertion of speed: a guard that the bound, not the flood, ended the scan.
	if d := time.Since(begin); d > 30*time.Second {
		t.Errorf("scan took %s", d)
	}
	_ = stderr
}

func TestShowValidate(t *testing.T) {
	s := start(t, fakeapi.Options{}, fakeapi.Pod("default", "p", "c"))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"show", "-o", "xml"}, `unknown output format "xml"`},
		{[]string{"show", "-A", "pod/p"}, "cannot use --all-namespaces with a resource name"},
		{[]string{"show", "--concurrency", "0"}, "--concurrency must be at least 1"},
	} {
		_, stderr, code := runCaps(t, s, tc.args...)
		if code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d stderr %q, want %q", tc.args, code, stderr, tc.want)
		}
	}
	// JSON, YAML and HTML always hold every process: --procs changes nothing there, as kubectl accepts
	// flags that do not apply to a format.
	for _, format := range []string{"json", "yaml", "html"} {
		if stdout, stderr, code := runCaps(t, s, "show", "--procs", "-o", format); code == 2 || strings.Contains(stderr, "--procs") || stdout == "" {
			t.Errorf("show --procs -o %s: exit %d stderr %q", format, code, stderr)
		}
	}
	if _, stderr, _ := runCaps(t, s, "show", "-n", "empty"); !strings.Contains(stderr, "No resources found in empty namespace.") {
		t.Errorf("empty namespace: %q", stderr)
	}
}

func ptrTo[T any](v T) *T { return &v }
