package fakeapi

import (
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/scheme"
)

// store holds typed objects per resource, keyed by namespace/name.
type store struct {
	mu      sync.RWMutex
	rv      int64
	objects map[*resource]map[string]runtime.Object
}

func newStore() *store {
	return &store{objects: map[*resource]map[string]runtime.Object{}}
}

// add stores deep copies of objs, filling what an API server would (uid, resourceVersion,
// creationTimestamp) when the test left it empty. Objects must be registered k8s.io/api types.
func (s *store) add(objs ...runtime.Object) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range objs {
		o = o.DeepCopyObject()
		gvks, _, err := scheme.Scheme.ObjectKinds(o)
		if err != nil {
			return fmt.Errorf("fakeapi: %T is not a known type: %w", o, err)
		}
		r := resourceForKind(gvks[0])
		if r == nil {
			return fmt.Errorf("fakeapi: kind %s is not served", gvks[0])
		}
		m, err := meta.Accessor(o)
		if err != nil {
			return err
		}
		if m.GetName() == "" {
			return fmt.Errorf("fakeapi: %s without a name", r.kind)
		}
		if r.namespaced && m.GetNamespace() == "" {
			m.SetNamespace(metav1.NamespaceDefault)
		}
		if !r.namespaced {
			m.SetNamespace("")
		}
		s.rv++
		m.SetResourceVersion(strconv.FormatInt(s.rv, 10))
		if m.GetUID() == "" {
			m.SetUID(types.UID(fmt.Sprintf("00000000-0000-4000-8000-%012d", s.rv)))
		}
		if ts := m.GetCreationTimestamp(); ts.IsZero() {
			m.SetCreationTimestamp(metav1.NewTime(time.Now().Add(-time.Hour).Truncate(time.Second)))
		}
		// Typed objects from k8s.io/api carry no apiVersion/kind in their items; the encoder sets
		// them on the top-level object, as the real server does.
		o.GetObjectKind().SetGroupVersionKind(gvks[0])
		if s.objects[r] == nil {
			s.objects[r] = map[string]runtime.Object{}
		}
		s.objects[r][m.GetNamespace()+"/"+m.GetName()] = o
	}
	return nil
}

func (s *store) remove(r *resource, namespace, name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := namespace + "/" + name
	_, ok := s.objects[r][key]
	delete(s.objects[r], key)
	return ok
}

func (s *store) get(r *resource, namespace, name string) (runtime.Object, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, ok := s.objects[r][namespace+"/"+name]
	return o, ok
}

// list returns a typed list (e.g. *corev1.PodList) of the matching objects, sorted by namespace
// then name as etcd keys sort. namespace "" means all namespaces.
func (s *store) list(r *resource, namespace string, ls labels.Selector, fs fields.Selector) (runtime.Object, error) {
	s.mu.RLock()
	keys := make([]string, 0, len(s.objects[r]))
	for k, o := range s.objects[r] {
		m, _ := meta.Accessor(o)
		if namespace != "" && m.GetNamespace() != namespace {
			continue
		}
		if !ls.Matches(labels.Set(m.GetLabels())) || !fs.Matches(fieldSet(o, m)) {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	items := make([]runtime.Object, len(keys))
	for i, k := range keys {
		items[i] = s.objects[r][k]
	}
	rv := strconv.FormatInt(s.rv, 10)
	s.mu.RUnlock()

	list := r.newList()
	if err := meta.SetList(list, items); err != nil {
		return nil, err
	}
	lm, _ := meta.ListAccessor(list)
	lm.SetResourceVersion(rv)
	return list, nil
}

// fieldSet holds the field selectors the real server supports for the kinds kubectl-caps lists.
func fieldSet(o runtime.Object, m metav1.Object) fields.Set {
	set := fields.Set{"metadata.name": m.GetName(), "metadata.namespace": m.GetNamespace()}
	if p, ok := o.(*corev1.Pod); ok {
		set["spec.nodeName"] = p.Spec.NodeName
		set["status.phase"] = string(p.Status.Phase)
		set["spec.restartPolicy"] = string(p.Spec.RestartPolicy)
		set["spec.schedulerName"] = p.Spec.SchedulerName
		set["spec.serviceAccountName"] = p.Spec.ServiceAccountName
		set["spec.hostNetwork"] = strconv.FormatBool(p.Spec.HostNetwork)
		set["status.podIP"] = p.Status.PodIP
		set["status.nominatedNodeName"] = p.Status.NominatedNodeName
	}
	return set
}

// validFieldSelector rejects fields the store cannot evaluate, as the server does, instead of
// silently matching nothing.
func validFieldSelector(fs fields.Selector, r *resource) error {
	allowed := map[string]bool{"metadata.name": true, "metadata.namespace": true}
	if r.kind == "Pod" {
		for k := range fieldSet(&corev1.Pod{}, &metav1.ObjectMeta{}) {
			allowed[k] = true
		}
	}
	for _, req := range fs.Requirements() {
		if !allowed[req.Field] {
			return fmt.Errorf("%q is not a known field selector: only %q, %q", req.Field, "metadata.name", "metadata.namespace")
		}
	}
	return nil
}
