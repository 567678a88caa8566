package execreader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubectl-caps/kubectl-caps/plugin/reading"
	"github.com/kubectl-caps/kubectl-caps/plugin/scan"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// fakeExec stands in for the exec API to test scheduling and fallback decisions; the real
// protocol path is tested in plugin/cmd against test/fakeapi.
type fakeExec struct {
	answer   func(t scan.Target, argv []string, stdout io.Writer) error
	mu       sync.Mutex
	calls    []string
	inFlight atomic.Int32
	maxSeen  atomic.Int32
}

func (f *fakeExec) Exec(ctx context.Context, ns, pod, ctr string, argv []string, stdout, stderr io.Writer) error {
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		m := f.maxSeen.Load()
		if n <= m || f.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	f.mu.Lock()
	f.calls = append(f.calls, pod+":"+argv[0])
	f.mu.Unlock()
	return f.answer(scan.Target{Namespace: ns, Pod: pod, Container: ctr}, argv, stdout)
}

var errMissing = errors.New(`OCI runtime exec failed: exec failed: unable to start container process: exec: "sh": executable file not found in $PATH: unknown`)

const goodStatus = "Name:\tx\nPid:\t1\nPPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nCapInh:\t0000000000000000\n" +
	"CapPrm:\t00000000a80425fb\nCapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\n"

func TestFallbackOrder(t *testing.T) {
	f := &fakeExec{answer: func(t scan.Target, argv []string, stdout io.Writer) error {
		switch {
		case argv[0] == "/bin/sh":
			return errMissing
		case argv[0] == "cat" && t.Pod == "has-cat":
			io.WriteString(stdout, goodStatus)
			return nil
		}
		return errMissing
	}}
	c := &Reader{Exec: f}
	res := c.Read(context.Background(), []scan.Target{{Pod: "has-cat"}, {Pod: "nothing"}, {Pod: "hostpid", HostPID: true}}, nil)
	if res[0].Err != nil || res[0].Reading.Method != reading.MethodPID1 {
		t.Errorf("has-cat: %+v", res[0])
	}
	if !ErrNoReader(res[1].Err) || len(res[1].Attempts) != 3 {
		t.Errorf("nothing: err %v attempts %q", res[1].Err, res[1].Attempts)
	}
	if len(res[2].Attempts) != 3 || !strings.Contains(res[2].Attempts[1], "hostPID") {
		t.Errorf("hostPID must not fall back to PID 1 (the node's init): %q", res[2].Attempts)
	}
	for _, call := range f.calls {
		if call == "hostpid:cat" {
			t.Errorf("cat /proc/1/status was run in a hostPID pod")
		}
	}
}

func TestNoFallbackOnOtherErrors(t *testing.T) {
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "pods/exec"}, "p", fmt.Errorf("RBAC"))
	for name, err := range map[string]error{
		"forbidden": forbidden,
		"other":     errors.New("container not found (\"c\")"),
	} {
		f := &fakeExec{answer: func(scan.Target, []string, io.Writer) error { return err }}
		res := (&Reader{Exec: f}).Read(context.Background(), []scan.Target{{Pod: "p"}}, nil)
		if len(f.calls) != 1 || res[0].Err == nil {
			t.Errorf("%s: %d execs, err %v; want exactly one attempt", name, len(f.calls), res[0].Err)
		}
		var shared *scan.SharedError
		if name == "forbidden" && (!errors.As(res[0].Err, &shared) || !strings.Contains(shared.Message, `namespace ""`)) {
			t.Errorf("forbidden not recognised as one shared cause naming the namespace: %v", res[0].Err)
		}
	}
}

func TestConcurrencyIsBounded(t *testing.T) {
	f := &fakeExec{answer: func(scan.Target, []string, io.Writer) error {
		time.Sleep(5 * time.Millisecond)
		return errMissing
	}}
	targets := make([]scan.Target, 60)
	var done atomic.Int32
	(&Reader{Exec: f, Concurrency: 4}).Read(context.Background(), targets, func(int, scan.Result) { done.Add(1) })
	if m := f.maxSeen.Load(); m > 4 || m < 2 {
		t.Errorf("max in flight %d, want 2..4", m)
	}
	if done.Load() != 60 {
		t.Errorf("done called %d times", done.Load())
	}
}

func TestTimeoutAndBound(t *testing.T) {
	flood := &fakeExec{answer: func(t scan.Target, argv []string, stdout io.Writer) error {
		io.WriteString(stdout, "@@kubectl-caps 1\n@@pid 1\n"+goodStatus)
		for i := 0; i < 1000; i++ {
			stdout.Write(make([]byte, 4096))
		}
		return nil
	}}
	res := (&Reader{Exec: flood, MaxBytes: 64 << 10}).Read(context.Background(), []scan.Target{{Pod: "flood"}}, nil)
	if res[0].Err != nil || !res[0].Reading.Truncated || len(res[0].Reading.Procs) != 1 {
		t.Errorf("flood: want the first process and a truncated mark: %+v", res[0])
	}
	res = (&Reader{Exec: hangExec{}, Timeout: 50 * time.Millisecond}).Read(context.Background(), []scan.Target{{Pod: "hang"}}, nil)
	if res[0].Err == nil || !strings.Contains(res[0].Err.Error(), "no answer within 50ms") {
		t.Errorf("hang: %v", res[0].Err)
	}
}

// A shell that floods garbage (no probe header) is a shell: the row says the output was bounded,
// not that the image has no shell, and no other method is tried.
func TestGarbageFloodDoesNotFallBack(t *testing.T) {
	f := &fakeExec{answer: func(t scan.Target, argv []string, stdout io.Writer) error {
		if argv[0] != "/bin/sh" {
			return errMissing
		}
		for i := 0; i < 1000; i++ {
			stdout.Write([]byte("\x1b]0;title\x07\x00\x00garbage\n"))
		}
		return nil
	}}
	res := (&Reader{Exec: f, MaxBytes: 4096}).Read(context.Background(), []scan.Target{{Pod: "flood"}}, nil)
	if res[0].Err == nil || !strings.Contains(res[0].Err.Error(), "output exceeded --max-bytes (4096 bytes) and was not a probe answer") {
		t.Errorf("want an output-bound error, got %v", res[0].Err)
	}
	if len(f.calls) != 1 {
		t.Errorf("want one exec (no fallback after a flood), got %v", f.calls)
	}
}

type hangExec struct{}

func (hangExec) Exec(ctx context.Context, ns, pod, ctr string, argv []string, stdout, stderr io.Writer) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestCancelStopsFeeding(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var n atomic.Int32
	f := &fakeExec{answer: func(scan.Target, []string, io.Writer) error {
		if n.Add(1) == 3 {
			cancel()
		}
		return errMissing
	}}
	res := (&Reader{Exec: f, Concurrency: 1}).Read(ctx, make([]scan.Target, 100), nil)
	cancelled := 0
	for _, r := range res {
		if errors.Is(r.Err, context.Canceled) {
			cancelled++
		}
	}
	if len(f.calls) > 10 || cancelled < 90 {
		t.Errorf("%d execs after cancel, %d rows cancelled", len(f.calls), cancelled)
	}
}
