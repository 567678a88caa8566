package cmd

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-caps/kubectl-caps/test/fakeapi"
)

func TestShowAPIServerUnreachable(t *testing.T) {
	// A port nobody listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://`+addr+`", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u, namespace: default}}]
current-context: x
`), 0o600)
	var out, errOut strings.Builder
	root := NewCmdCaps(genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	root.SetArgs([]string{"--kubeconfig", kc, "--request-timeout", "5s", "show", "pod/x"})
	err = root.Execute()
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("want a connection error naming the cause, got %v (stdout %q)", err, out.String())
	}
}

// TestShowPodDeletedBeforeExec: the pod is listed, then deleted before its exec; the row says so
// and the scan finishes.
func TestShowPodDeletedBeforeExec(t *testing.T) {
	var s *fakeapi.Server
	var once sync.Once
	s = start(t, fakeapi.Options{Exec: func(ctx context.Context, req fakeapi.ExecRequest, stdout, stderr io.Writer) (int, error) {
		once.Do(func() { s.Remove("", "pods", "default", "b") })
		return fakeapi.Canned(map[string]string{"/bin/sh": rootProbe})(ctx, req, stdout, stderr)
	}}, fakeapi.Pod("default", "a", "c"), fakeapi.Pod("default", "b", "c"))
	stdout, stderr, code := runCaps(t, s, "show", "-o", "json", "--concurrency", "1")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	r := decode(t, stdout)
	if c := row(t, r, "b", "c"); !strings.Contains(c.Error, "deleted during the scan") {
		t.Errorf("b: %q", c.Error)
	}
	if c := row(t, r, "a", "c"); c.Live == nil {
		t.Errorf("a should be read")
	}
	if !strings.Contains(stderr, "default/b container c: the pod was deleted during the scan") {
		t.Errorf("stderr: %q", stderr)
	}
}

// TestShowAPIServerGoneMidScan: the API server disappears while execs are in flight; every row
// still gets a reason and the command ends.
func TestShowAPIServerGoneMidScan(t *testing.T) {
	var objs []runtime.Object
	for _, p := range fakeapi.Pods(20, 1) {
		objs = append(objs, p)
	}
	var s *fakeapi.Server
	var once sync.Once
	s = start(t, fakeapi.Options{Exec: func(ctx context.Context, req fakeapi.ExecRequest, stdout, stderr io.Writer) (int, error) {
		once.Do(func() { go s.Close() })
		return fakeapi.Hang(ctx, req, stdout, stderr)
	}}, objs...)
	done := make(chan struct{})
	var stdout string
	var code int
	go func() {
		stdout, _, code = runCaps(t, s, "show", "-A", "-o", "json", "--timeout", "5s", "--concurrency", "4")
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("show did not finish after the API server went away")
	}
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	r := decode(t, stdout)
	for _, c := range r.Containers {
		if c.Error == "" {
			t.Errorf("%s/%s: no reason given", c.Namespace, c.Pod)
		}
	}
}

// TestShowTooManyProcessesWarns: a container claiming 10,050 processes (with hostile names) is
// read up to the bound; the table stays clean and stderr says the reading is incomplete, while
// the other pod is read normally.
func TestShowTooManyProcessesWarns(t *testing.T) {
	var b strings.Builder
	b.WriteString("@@kubectl-caps 1\n@@scope cgroup\n")
	for i := 1; i <= 10050; i++ {
		fmt.Fprintf(&b, "@@pid %d\nName:\t\x1b]0;pwned\x07evil%d\nPid:\t%d\nPPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n"+
			"CapInh:\t0\nCapPrm:\t00000000a80425fb\nCapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\nCapAmb:\t0\n", i, i, i)
	}
	b.WriteString("@@end\n")
	many := b.String()
	s := start(t, fakeapi.Options{Exec: func(ctx context.Context, req fakeapi.ExecRequest, stdout, stderr io.Writer) (int, error) {
		out := rootProbe
		if req.Pod == "many" {
			out = many
		}
		return fakeapi.Canned(map[string]string{"/bin/sh": out})(ctx, req, stdout, stderr)
	}}, fakeapi.Pod("default", "many", "c"), fakeapi.Pod("default", "ok", "c"))
	stdout, stderr, code := runCaps(t, s, "show", "--procs")
	if code != 0 {
		t.Errorf("exit %d, want 0 (a bounded reading is a reading)\n%s", code, stderr)
	}
	if want := "warning: default/many container c: incomplete reading: more than 10000 processes; the rest were not read"; !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
	if strings.Contains(stderr, "default/ok") {
		t.Errorf("ok pod reported as a problem:\n%s", stderr)
	}
	if strings.ContainsAny(stdout+stderr, "\x1b\x07") {
		t.Errorf("terminal control characters reached the output")
	}
	if n := strings.Count(stdout, "\nmany "); n != 10000 {
		t.Errorf("%d process rows of pod many, want 10000 (the bound)", n)
	}
}

// TestShowGoneDuringExec: the real API server and kubelet answer an exec whose container died
// under it only with "command terminated with exit code 137". show looks at the pod again and
// says which: deleted (pod gone or terminating) or the container restarted (new container ID).
// A SIGKILLed exec with an unchanged pod keeps the exec's own message.
func TestShowGoneDuringExec(t *testing.T) {
	restarted := fakeapi.Pod("default", "restarted", "c")
	terminating := fakeapi.Pod("default", "terminating", "c")
	restarted.UID, terminating.UID = "uid-restarted", "uid-terminating" // the same pod, updated
	var s *fakeapi.Server
	s = start(t, fakeapi.Options{Exec: func(ctx context.Context, req fakeapi.ExecRequest, stdout, stderr io.Writer) (int, error) {
		switch req.Pod {
		case "deleted":
			s.Remove("", "pods", "default", "deleted")
		case "restarted":
			p := restarted.DeepCopy()
			p.Status.ContainerStatuses[0].ContainerID = "containerd://new"
			p.Status.ContainerStatuses[0].RestartCount = 1
			s.Remove("", "pods", "default", "restarted")
			s.Add(p)
		case "terminating":
			p := terminating.DeepCopy()
			now := metav1.Now()
			p.DeletionTimestamp = &now
			s.Remove("", "pods", "default", "terminating")
			s.Add(p)
		case "killed":
		default:
			return fakeapi.Canned(map[string]string{"/bin/sh": rootProbe})(ctx, req, stdout, stderr)
		}
		return 137, nil
	}}, fakeapi.Pod("default", "ok", "c"), fakeapi.Pod("default", "deleted", "c"), restarted, terminating,
		fakeapi.Pod("default", "killed", "c"))
	stdout, stderr, code := runCaps(t, s, "show", "-o", "json")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	r := decode(t, stdout)
	for pod, want := range map[string]string{
		"deleted":     "the pod was deleted during the scan: command terminated with exit code 137",
		"terminating": "the pod was deleted during the scan: command terminated with exit code 137",
		"restarted":   "the container stopped or restarted during the scan: command terminated with exit code 137",
		"killed":      "command terminated with exit code 137",
	} {
		if c := row(t, r, pod, "c"); c.Error != want {
			t.Errorf("%s: error %q, want %q", pod, c.Error, want)
		}
	}
	if c := row(t, r, "ok", "c"); c.Live == nil {
		t.Errorf("ok: not read")
	}
	t.Logf("stderr:\n%s", stderr)
}
