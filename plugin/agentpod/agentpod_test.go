package agentpod

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-caps/kubectl-caps/test/fakeapi"
)

func TestPodSpec(t *testing.T) {
	p := Spec{Namespace: "ns", Node: "node-1", Image: "img:v1", Args: []string{"agent", "read"}, Mode: "read",
		RunID: "r1", Capabilities: ReadCapabilities, Deadline: 90 * time.Second}.Pod()
	s := p.Spec
	c := s.Containers[0]
	sc := c.SecurityContext
	for what, ok := range map[string]bool{
		"nodeName":             s.NodeName == "node-1",
		"hostPID":              s.HostPID && !s.HostNetwork && !s.HostIPC,
		"restartPolicy Never":  s.RestartPolicy == corev1.RestartPolicyNever,
		"deadline":             *s.ActiveDeadlineSeconds == 90,
		"no token":             !*s.AutomountServiceAccountToken,
		"no service links":     !*s.EnableServiceLinks,
		"tolerates all":        len(s.Tolerations) == 1 && s.Tolerations[0].Operator == corev1.TolerationOpExists && s.Tolerations[0].Key == "",
		"no volumes":           len(s.Volumes) == 0,
		"no requests":          len(c.Resources.Requests) == 0,
		"image and pull":       c.Image == "img:v1" && c.ImagePullPolicy == corev1.PullIfNotPresent,
		"args":                 strings.Join(c.Args, " ") == "agent read",
		"drop ALL":             len(sc.Capabilities.Drop) == 1 && sc.Capabilities.Drop[0] == "ALL",
		"adds exactly two":     len(sc.Capabilities.Add) == 2 && sc.Capabilities.Add[0] == "SYS_PTRACE" && sc.Capabilities.Add[1] == "DAC_READ_SEARCH",
		"root":                 *sc.RunAsUser == 0,
		"not privileged":       sc.Privileged == nil,
		"no escalation":        !*sc.AllowPrivilegeEscalation,
		"read-only root":       *sc.ReadOnlyRootFilesystem,
		"seccomp":              sc.SeccompProfile.Type == corev1.SeccompProfileTypeRuntimeDefault,
		"labels":               p.Labels[LabelManagedBy] == ManagedBy && p.Labels[LabelComponent] == Component && p.Labels[LabelRun] == "r1" && p.Labels[LabelMode] == "read",
		"generateName":         p.GenerateName == GenerateName && p.Name == "",
		"node annotation":      p.Annotations[AnnotationNode] == "node-1",
		"stops at once":        *s.TerminationGracePeriodSeconds == 0,
		"linux":                s.OS.Name == corev1.Linux,
		"no service account":   s.ServiceAccountName == "",
		"container name agent": c.Name == ContainerName,
	} {
		if !ok {
			t.Errorf("agent pod: %s not as required:\n%+v", what, p)
		}
	}
	priv := Spec{Node: "n", Privileged: true, StopGrace: 10 * time.Second}.Pod().Spec
	if !*priv.Containers[0].SecurityContext.Privileged || priv.Containers[0].SecurityContext.Capabilities != nil || *priv.TerminationGracePeriodSeconds != 10 {
		t.Errorf("privileged variant: %+v", priv.Containers[0].SecurityContext)
	}
}

func start(t *testing.T, opts fakeapi.Options) (*fakeapi.Server, kubernetes.Interface) {
	s := fakeapi.Start(t, opts, fakeapi.Namespace("agents"))
	c, err := kubernetes.NewForConfig(s.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func spec() Spec {
	return Spec{Namespace: "agents", Node: "node-1", Image: "ghcr.io/kubectl-caps/kubectl-caps-agent:v1", Args: []string{"agent", "read"},
		Capabilities: ReadCapabilities, Deadline: time.Minute}
}

// noPodLeft checks through the API that no agent pod is left.
func noPodLeft(t *testing.T, c kubernetes.Interface) {
	t.Helper()
	list, err := c.CoreV1().Pods("agents").List(context.Background(), metav1.ListOptions{LabelSelector: LabelManagedBy + "=" + ManagedBy})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 0 {
		t.Errorf("%d agent pods left: %s", len(list.Items), list.Items[0].Name)
	}
}

func TestRunReadsTheLogAndDeletes(t *testing.T) {
	s, c := start(t, fakeapi.Options{RunPod: func(p *corev1.Pod) fakeapi.PodRun {
		return fakeapi.PodRun{Start: 20 * time.Millisecond, Run: 30 * time.Millisecond, Log: []byte(`{"kind":"NodeReading"}` + "\n")}
	}})
	r := &Runner{Client: c, Timeout: 5 * time.Second}
	out, err := r.Run(context.Background(), spec())
	if err != nil {
		t.Fatal(err)
	}
	if string(out.Log) != `{"kind":"NodeReading"}`+"\n" || out.Exit == nil || out.Exit.ExitCode != 0 || out.LeftBehind != nil || !strings.HasPrefix(out.Pod, GenerateName) {
		t.Fatalf("output %+v", out)
	}
	// One round trip for the reading: create, watch, follow the log, delete. The server logs a
	// request when its handler returns, so the watch the runner has just closed may come last.
	var got string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var verbs []string
		for _, q := range s.Requests() {
			if q.Resource == "pods" {
				res := q.Resource
				if q.Subresource != "" {
					res += "/" + q.Subresource
				}
				verbs = append(verbs, q.Verb+" "+res)
			}
		}
		sort.Strings(verbs)
		if got = strings.Join(verbs, ", "); got == "create pods, delete pods, get pods/log, watch pods" {
			break
		}
	}
	if got != "create pods, delete pods, get pods/log, watch pods" {
		t.Errorf("requests: %s", got)
	}
	noPodLeft(t, c)
}

func TestRunFailures(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    fakeapi.Options
		timeout time.Duration
		check   func(error) bool
		text    string
	}{
		{
			name: "pod security",
			opts: fakeapi.Options{Admit: func(*corev1.Pod) *metav1.Status {
				return &metav1.Status{Status: metav1.StatusFailure, Code: 403, Reason: metav1.StatusReasonForbidden,
					Message: `pods "kubectl-caps-agent-x" is forbidden: violates PodSecurity "baseline:latest": non-default capabilities (container "agent" must not include "DAC_READ_SEARCH", "SYS_PTRACE" in securityContext.capabilities.add), host namespaces (hostPID=true)`}
			}},
			check: func(err error) bool { var e *PodSecurityError; return errors.As(err, &e) && e.Namespace == "agents" },
			text:  `namespace "agents" does not admit the node agent pod (violates PodSecurity "baseline:latest"`,
		},
		{
			name: "create forbidden",
			opts: fakeapi.Options{Authorize: fakeapi.Deny("create", "pods", "agents")},
			check: func(err error) bool {
				var e *ForbiddenError
				return errors.As(err, &e) && e.Verb == "create" && e.Resource == "pods"
			},
			text: `cannot create pods in namespace "agents": missing permission`,
		},
		{
			name: "log forbidden",
			opts: fakeapi.Options{Authorize: fakeapi.Deny("get", "pods/log", "agents"), RunPod: func(*corev1.Pod) fakeapi.PodRun {
				return fakeapi.PodRun{Run: time.Millisecond, Log: []byte("{}")}
			}},
			check: func(err error) bool { var e *ForbiddenError; return errors.As(err, &e) && e.Resource == "pods/log" },
			text:  `cannot get pods/log in namespace "agents"`,
		},
		{
			name: "watch forbidden",
			opts: fakeapi.Options{Authorize: fakeapi.Deny("watch", "pods", "agents"), RunPod: func(*corev1.Pod) fakeapi.PodRun {
				return fakeapi.PodRun{Run: time.Millisecond}
			}},
			check: func(err error) bool { var e *ForbiddenError; return errors.As(err, &e) && e.Verb == "watch" },
			text:  `cannot watch pods in namespace "agents"`,
		},
		{
			name: "image pull",
			opts: fakeapi.Options{RunPod: func(*corev1.Pod) fakeapi.PodRun {
				return fakeapi.PodRun{Start: 10 * time.Millisecond, Waiting: "ErrImagePull", WaitingMessage: "rpc error: not found"}
			}},
			check: func(err error) bool { var e *ImageError; return errors.As(err, &e) && e.Reason == "ErrImagePull" },
			text:  `the node agent image "ghcr.io/kubectl-caps/kubectl-caps-agent:v1" cannot be pulled (ErrImagePull); in an air-gapped cluster mirror it and name the copy with --agent-image`,
		},
		{
			name: "never starts",
			opts: fakeapi.Options{RunPod: func(*corev1.Pod) fakeapi.PodRun {
				return fakeapi.PodRun{Start: time.Hour}
			}},
			timeout: 200 * time.Millisecond,
			check:   func(err error) bool { var e *TimeoutError; return errors.As(err, &e) && e.Phase == "start" },
			text:    "did not start within 200ms",
		},
		{
			name: "never finishes",
			opts: fakeapi.Options{RunPod: func(*corev1.Pod) fakeapi.PodRun {
				return fakeapi.PodRun{Run: time.Hour}
			}},
			timeout: 300 * time.Millisecond,
			check:   func(err error) bool { var e *TimeoutError; return errors.As(err, &e) && e.Phase == "read" },
			text:    "did not finish reading within 300ms",
		},
		{
			name: "no namespace",
			opts: fakeapi.Options{Admit: func(*corev1.Pod) *metav1.Status {
				return &metav1.Status{Code: 404, Reason: metav1.StatusReasonNotFound, Message: `namespaces "agents" not found`}
			}},
			check: func(err error) bool { return err != nil },
			text:  `namespace "agents" not found (--agent-namespace)`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, c := start(t, tc.opts)
			r := &Runner{Client: c, Timeout: tc.timeout}
			if r.Timeout == 0 {
				r.Timeout = 5 * time.Second
			}
			_, err := r.Run(context.Background(), spec())
			if !tc.check(err) || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("error %v; want one containing %q", err, tc.text)
			}
			noPodLeft(t, c)
		})
	}
}

func TestRunInterrupted(t *testing.T) {
	_, c := start(t, fakeapi.Options{RunPod: func(*corev1.Pod) fakeapi.PodRun { return fakeapi.PodRun{Run: time.Hour} }})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	out, err := (&Runner{Client: c, Timeout: time.Minute}).Run(ctx, spec())
	if !errors.Is(err, context.Canceled) || out == nil || !out.Interrupted {
		t.Fatalf("interrupted run: %+v, %v", out, err)
	}
	noPodLeft(t, c)
}

// A mode that records until stopped: the interrupt deletes the pod gracefully and the summary the
// agent prints on SIGTERM is still read.
func TestRunGracefulStop(t *testing.T) {
	_, c := start(t, fakeapi.Options{RunPod: func(*corev1.Pod) fakeapi.PodRun {
		return fakeapi.PodRun{Run: time.Hour, StopLog: []byte(`{"kind":"TraceSummary"}`)}
	}})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	s := spec()
	s.StopGrace = 5 * time.Second
	out, err := (&Runner{Client: c, Timeout: time.Minute}).Run(ctx, s)
	if !errors.Is(err, context.Canceled) || out == nil || !out.Interrupted || string(out.Log) != `{"kind":"TraceSummary"}` {
		t.Fatalf("graceful stop: %+v, %v", out, err)
	}
	noPodLeft(t, c)
}

func TestRunBoundsTheLog(t *testing.T) {
	_, c := start(t, fakeapi.Options{RunPod: func(*corev1.Pod) fakeapi.PodRun {
		return fakeapi.PodRun{Run: time.Millisecond, Log: []byte(strings.Repeat("x", 10000))}
	}})
	out, err := (&Runner{Client: c, Timeout: 5 * time.Second, MaxLog: 100}).Run(context.Background(), spec())
	if err != nil || len(out.Log) != 100 || !out.Truncated {
		t.Fatalf("bounded log: %d bytes, truncated %v, %v", len(out.Log), out.Truncated, err)
	}
	noPodLeft(t, c)
}

func TestCleanStale(t *testing.T) {
	now := time.Now()
	mk := func(name string, age time.Duration, phase corev1.PodPhase, managed bool) *corev1.Pod {
		p := Spec{Namespace: "agents", Node: "n", Deadline: time.Minute}.Pod()
		p.Name, p.GenerateName = name, ""
		p.CreationTimestamp = metav1.NewTime(now.Add(-age))
		p.Status.Phase = phase
		if !managed {
			p.Labels = map[string]string{"app": "other"}
		}
		return p
	}
	s := fakeapi.Start(t, fakeapi.Options{}, fakeapi.Namespace("agents"),
		mk("finished-old", 5*time.Minute, corev1.PodSucceeded, true),
		mk("failed-deadline", 3*time.Minute, corev1.PodFailed, true),
		mk("finished-just-now", 10*time.Second, corev1.PodSucceeded, true), // another run is reading it
		mk("running-young", 30*time.Second, corev1.PodRunning, true),       // another run in progress
		mk("running-past-deadline", 10*time.Minute, corev1.PodRunning, true),
		mk("not-ours", time.Hour, corev1.PodSucceeded, false),
	)
	c, _ := kubernetes.NewForConfig(s.RESTConfig())
	n, err := CleanStale(context.Background(), c, "agents", now)
	if err != nil || n != 3 {
		t.Fatalf("deleted %d, %v; want 3", n, err)
	}
	list, _ := c.CoreV1().Pods("agents").List(context.Background(), metav1.ListOptions{})
	var left []string
	for _, p := range list.Items {
		left = append(left, p.Name)
	}
	if got := strings.Join(left, " "); got != "finished-just-now not-ours running-young" {
		t.Fatalf("left: %s", got)
	}
}
