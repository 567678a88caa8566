package fakeapi

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"
)

// PodRun says what a pod created through the API does, standing in for the kubelet and the
// container runtime: after Start its (first) container runs; after Run more it exits with
// ExitCode, having printed Log. With Waiting set, the container never starts and stays waiting
// with that reason and WaitingMessage (ErrImagePull, ImagePullBackOff, CreateContainerError).
type PodRun struct {
	Start, Run     time.Duration
	Log            []byte
	ExitCode       int32
	Waiting        string
	WaitingMessage string
	// StopLog, when set, is what the container prints when the pod is deleted with a grace
	// period while it runs (an agent printing its summary on SIGTERM); it then exits 0.
	StopLog []byte
}

// PodFunc decides the run of each created pod. It is called once per create, concurrently.
type PodFunc func(pod *corev1.Pod) PodRun

// Admitter stands in for admission (Pod Security, quotas): a non-nil Status refuses the create.
type Admitter func(pod *corev1.Pod) *metav1.Status

// podLife is the simulated lifecycle of one created pod.
type podLife struct {
	cancel context.CancelFunc
	run    PodRun
	done   chan struct{} // closed (once) when the container has terminated
	once   sync.Once
	mu     sync.Mutex
	log    []byte
}

func (l *podLife) finish(log []byte) {
	l.once.Do(func() {
		l.mu.Lock()
		if log != nil {
			l.log = log
		}
		l.mu.Unlock()
		close(l.done)
	})
}

// watcher is one open watch on pods.
type watcher struct {
	namespace string
	fields    fields.Selector
	ch        chan watchEvent
}

type watchEvent struct {
	Type string
	Pod  *corev1.Pod
}

var podsResource = findResource("", "v1", "pods")

// servePods answers what the read-only server does not: create, delete, watch and the log of
// pods. It reports false when the request is none of those.
func (s *Server) servePods(w http.ResponseWriter, req *http.Request, info *Request) (int32, bool) {
	if info.Resource != "pods" || info.APIGroup != "" {
		return 0, false
	}
	switch {
	case info.Verb == "create" && info.Subresource == "" && info.Name == "":
		return s.createPod(w, req, info), true
	case info.Verb == "delete" && info.Subresource == "":
		return s.deletePod(w, req, info), true
	case info.Verb == "watch":
		return s.watchPods(w, req, info), true
	case info.Verb == "get" && info.Subresource == "log":
		return s.podLog(w, req, info), true
	}
	return 0, false
}

func (s *Server) createPod(w http.ResponseWriter, req *http.Request, info *Request) int32 {
	body, err := io.ReadAll(io.LimitReader(req.Body, 3<<20))
	if err != nil {
		return writeStatus(w, statusOf(apierrors.NewBadRequest(err.Error())))
	}
	obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(body, nil, nil)
	pod, ok := obj.(*corev1.Pod)
	if err != nil || !ok {
		return writeStatus(w, statusOf(apierrors.NewBadRequest(fmt.Sprintf("not a pod: %v", err))))
	}
	if pod.Namespace != "" && pod.Namespace != info.Namespace {
		return writeStatus(w, statusOf(apierrors.NewBadRequest("the namespace of the object does not match the namespace of the request")))
	}
	pod.Namespace = info.Namespace
	if pod.Name == "" {
		if pod.GenerateName == "" {
			return writeStatus(w, statusOf(apierrors.NewBadRequest("name or generateName is required")))
		}
		pod.Name = pod.GenerateName + randomSuffix()
	}
	info.Name = pod.Name
	if _, exists := s.store.get(podsResource, pod.Namespace, pod.Name); exists {
		return writeStatus(w, statusOf(apierrors.NewAlreadyExists(podsResource.gvr.GroupResource(), pod.Name)))
	}
	s.mu.Lock()
	admit, run := s.opts.Admit, s.opts.RunPod
	s.mu.Unlock()
	if admit != nil {
		if st := admit(pod); st != nil {
			return writeStatus(w, st)
		}
	}
	pod.UID, pod.ResourceVersion = "", ""
	pod.CreationTimestamp = metav1.NewTime(time.Now().Truncate(time.Second))
	pod.Status = corev1.PodStatus{Phase: corev1.PodPending}
	if err := s.store.add(pod); err != nil {
		return writeStatus(w, statusOf(apierrors.NewInternalError(err)))
	}
	stored, _ := s.store.get(podsResource, pod.Namespace, pod.Name)
	created := stored.(*corev1.Pod).DeepCopy()
	s.notify("ADDED", created)
	if run != nil {
		ctx, cancel := context.WithCancel(s.ctx)
		life := &podLife{cancel: cancel, done: make(chan struct{}), run: run(created.DeepCopy())}
		s.mu.Lock()
		if s.lives == nil {
			s.lives = map[string]*podLife{}
		}
		s.lives[pod.Namespace+"/"+pod.Name] = life
		s.mu.Unlock()
		go s.live(ctx, life, created, life.run)
	}
	return writeObjectCode(w, podsResource, created, http.StatusCreated)
}

// live plays one pod's life: pending, then running or waiting, then terminated (or failed at its
// activeDeadlineSeconds), until it is deleted.
func (s *Server) live(ctx context.Context, life *podLife, pod *corev1.Pod, r PodRun) {
	defer life.cancel()
	var deadline <-chan time.Time
	if d := pod.Spec.ActiveDeadlineSeconds; d != nil {
		t := time.NewTimer(time.Duration(*d) * time.Second)
		defer t.Stop()
		deadline = t.C
	}
	name := "c"
	if len(pod.Spec.Containers) > 0 {
		name = pod.Spec.Containers[0].Name
	}
	image := ""
	if len(pod.Spec.Containers) > 0 {
		image = pod.Spec.Containers[0].Image
	}
	update := func(phase corev1.PodPhase, reason string, st corev1.ContainerState) bool {
		cur, ok := s.store.get(podsResource, pod.Namespace, pod.Name)
		if !ok {
			return false
		}
		p := cur.(*corev1.Pod).DeepCopy()
		p.Status.Phase, p.Status.Reason = phase, reason
		now := metav1.Now()
		if p.Status.StartTime == nil {
			p.Status.StartTime = &now
		}
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: name, Image: image, State: st,
			Ready: st.Running != nil, ContainerID: "containerd://" + strings.Repeat("0", 56) + shortHash(pod.Name)}}
		p.ResourceVersion = ""
		if err := s.store.add(p); err != nil {
			return false
		}
		stored, _ := s.store.get(podsResource, pod.Namespace, pod.Name)
		s.notify("MODIFIED", stored.(*corev1.Pod).DeepCopy())
		return true
	}
	failDeadline := func() {
		update(corev1.PodFailed, "DeadlineExceeded", corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 137, Reason: "Error"}})
		life.finish(nil)
	}
	wait := func(d time.Duration) bool { // false when the pod ended meanwhile
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-ctx.Done():
			return false
		case <-deadline:
			failDeadline()
			return false
		}
	}
	if !wait(r.Start) {
		return
	}
	if r.Waiting != "" {
		update(corev1.PodPending, "", corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: r.Waiting, Message: r.WaitingMessage}})
		select {
		case <-ctx.Done():
		case <-deadline:
			failDeadline()
		}
		return
	}
	if !update(corev1.PodRunning, "", corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}}) {
		return
	}
	if !wait(r.Run) {
		return
	}
	phase, reason := corev1.PodSucceeded, "Completed"
	if r.ExitCode != 0 {
		phase, reason = corev1.PodFailed, "Error"
	}
	life.mu.Lock()
	life.log = r.Log
	life.mu.Unlock()
	update(phase, "", corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: r.ExitCode, Reason: reason, FinishedAt: metav1.Now()}})
	life.finish(nil)
}

func (s *Server) deletePod(w http.ResponseWriter, req *http.Request, info *Request) int32 {
	cur, ok := s.store.get(podsResource, info.Namespace, info.Name)
	if !ok {
		return writeStatus(w, statusOf(apierrors.NewNotFound(podsResource.gvr.GroupResource(), info.Name)))
	}
	// client-go sends DeleteOptions as protobuf or JSON in the body; kubectl may use the query.
	var grace *int64
	if body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20)); err == nil && len(body) > 0 {
		if obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(body, nil, nil); err == nil {
			if o, ok := obj.(*metav1.DeleteOptions); ok {
				grace = o.GracePeriodSeconds
			}
		}
	}
	if v, err := strconv.ParseInt(req.URL.Query().Get("gracePeriodSeconds"), 10, 64); err == nil {
		grace = &v
	}
	graceful := grace != nil && *grace > 0
	s.store.remove(podsResource, info.Namespace, info.Name)
	s.mu.Lock()
	life := s.lives[info.Namespace+"/"+info.Name]
	delete(s.lives, info.Namespace+"/"+info.Name)
	s.mu.Unlock()
	if life != nil {
		if graceful && life.run.StopLog != nil {
			life.finish(life.run.StopLog) // printed on SIGTERM, before the container exits
		}
		life.cancel()
	}
	s.notify("DELETED", cur.(*corev1.Pod).DeepCopy())
	return writeObjectCode(w, podsResource, cur, http.StatusOK)
}

// podLog serves pods/NAME/log like the kubelet behind the API server: an error while the
// container has not started, what it printed once it has, and with follow=true everything until
// it exits.
func (s *Server) podLog(w http.ResponseWriter, req *http.Request, info *Request) int32 {
	cur, ok := s.store.get(podsResource, info.Namespace, info.Name)
	if !ok {
		return writeStatus(w, statusOf(apierrors.NewNotFound(podsResource.gvr.GroupResource(), info.Name)))
	}
	pod := cur.(*corev1.Pod)
	container := req.URL.Query().Get("container")
	if container == "" && len(pod.Spec.Containers) > 0 {
		container = pod.Spec.Containers[0].Name
	}
	var state *corev1.ContainerState
	for i := range pod.Status.ContainerStatuses {
		if pod.Status.ContainerStatuses[i].Name == container {
			state = &pod.Status.ContainerStatuses[i].State
		}
	}
	if state == nil || state.Waiting != nil {
		reason := "ContainerCreating"
		if state != nil && state.Waiting.Reason != "" {
			reason = state.Waiting.Reason
		}
		return writeStatus(w, statusOf(apierrors.NewBadRequest(fmt.Sprintf("container %q in pod %q is waiting to start: %s", container, pod.Name, reason))))
	}
	s.mu.Lock()
	life := s.lives[info.Namespace+"/"+info.Name]
	s.mu.Unlock()
	if life == nil {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusOK)
		return http.StatusOK
	}
	if f := req.URL.Query().Get("follow"); f == "true" || f == "1" {
		select {
		case <-life.done:
		case <-req.Context().Done():
		case <-s.ctx.Done():
		}
	}
	life.mu.Lock()
	data := life.log
	life.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
	return http.StatusOK
}

// watchPods streams pod events (one JSON watch event per line) for a namespace and field
// selector, starting with the current state of each matching pod newer than resourceVersion.
func (s *Server) watchPods(w http.ResponseWriter, req *http.Request, info *Request) int32 {
	q := req.URL.Query()
	fs, err := fields.ParseSelector(q.Get("fieldSelector"))
	if err == nil {
		err = validFieldSelector(fs, podsResource)
	}
	if err != nil {
		return writeStatus(w, statusOf(apierrors.NewBadRequest(err.Error())))
	}
	since, _ := strconv.ParseInt(q.Get("resourceVersion"), 10, 64)
	wt := &watcher{namespace: info.Namespace, fields: fs, ch: make(chan watchEvent, 64)}
	s.mu.Lock()
	s.watchers = append(s.watchers, wt)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		for i, x := range s.watchers {
			if x == wt {
				s.watchers = append(s.watchers[:i], s.watchers[i+1:]...)
				break
			}
		}
		s.mu.Unlock()
	}()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Transfer-Encoding", "chunked")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	send := func(ev watchEvent) bool {
		data, err := runtime.Encode(scheme.Codecs.LegacyCodec(corev1.SchemeGroupVersion), ev.Pod)
		if err != nil {
			return false
		}
		line, _ := json.Marshal(struct {
			Type   string          `json:"type"`
			Object json.RawMessage `json:"object"`
		}{ev.Type, data})
		if _, err := w.Write(append(line, '\n')); err != nil {
			return false
		}
		if flusher != nil {
			flusher.Flush()
		}
		return true
	}
	// Current state first, so a change between the client's create and its watch is not lost.
	list, _ := s.store.list(podsResource, info.Namespace, labels.Everything(), fs)
	for _, item := range list.(*corev1.PodList).Items {
		rv, _ := strconv.ParseInt(item.ResourceVersion, 10, 64)
		if rv > since {
			p := item
			if !send(watchEvent{"MODIFIED", &p}) {
				return http.StatusOK
			}
		}
	}
	timeout := time.Hour
	if ts, err := strconv.Atoi(q.Get("timeoutSeconds")); err == nil && ts > 0 {
		timeout = time.Duration(ts) * time.Second
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case ev := <-wt.ch:
			if !send(ev) {
				return http.StatusOK
			}
		case <-req.Context().Done():
			return http.StatusOK
		case <-s.ctx.Done():
			return http.StatusOK
		case <-t.C:
			return http.StatusOK
		}
	}
}

// notify tells the watches that match about a pod event. A watcher too slow to keep 64 events
// misses some, as a real watch would be closed and re-listed.
func (s *Server) notify(typ string, pod *corev1.Pod) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, wt := range s.watchers {
		if wt.namespace != "" && wt.namespace != pod.Namespace {
			continue
		}
		if !wt.fields.Matches(fieldSet(pod, pod)) {
			continue
		}
		select {
		case wt.ch <- watchEvent{typ, pod}:
		default:
		}
	}
}

func writeObjectCode(w http.ResponseWriter, r *resource, obj runtime.Object, code int) int32 {
	data, err := runtime.Encode(scheme.Codecs.LegacyCodec(r.gvr.GroupVersion()), obj)
	if err != nil {
		return writeStatus(w, statusOf(apierrors.NewInternalError(err)))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(data)
	return int32(code)
}

const suffixChars = "bcdfghjklmnpqrstvwxz2456789"

// randomSuffix is the 5 characters the API server appends to a generateName.
func randomSuffix() string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = suffixChars[int(b[i])%len(suffixChars)]
	}
	return string(b)
}

func shortHash(s string) string {
	var h uint32 = 2166136261
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return fmt.Sprintf("%08x", h)
}
