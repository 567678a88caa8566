package fakeapi

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime/pprof"
	"strings"
	"sync"

	"github.com/go-logr/logr"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/klog/v2"
)

// Options configure a Server. The zero value is usable: exec answers with "not configured".
type Options struct {
	// Exec decides what every exec prints and returns. It is called concurrently.
	Exec ExecFunc
	// Authorize is asked about every resource request; nil allows everything.
	Authorize Authorizer
	// RefuseWebSocket makes exec answer WebSocket upgrades with 400 Bad Request, as an API server
	// without WebSocket exec would, so a client has to fall back to SPDY.
	RefuseWebSocket bool
	// Token and User: the bearer token the server accepts and the user it maps to.
	// Defaults: "fakeapi-token" and "test-user".
	Token, User string
	// GitVersion reported by /version; default "v1.37.2".
	GitVersion string
	// RunPod, when set, makes pods created through the API live (see PodRun): they run, print a
	// log and exit, and can be watched, read (pods/log) and deleted. Admit refuses creates.
	RunPod PodFunc
	Admit  Admitter
}

// Server is a running fake API server. Close it when done (New registers nothing itself).
type Server struct {
	ts    *httptest.Server
	store *store
	opts  Options

	mu        sync.Mutex
	exec      ExecFunc
	authorize Authorizer
	refuseWS  bool
	requests  []Request
	execs     []ExecRecord
	lives     map[string]*podLife // pods created through the API, by namespace/name
	watchers  []*watcher

	// ctx is cancelled by Close so hanging execs end with the server.
	ctx    context.Context
	cancel context.CancelFunc
}

// New starts an HTTPS server with the given options, seeded with objs.
func New(opts Options, objs ...runtime.Object) (*Server, error) {
	if opts.Token == "" {
		opts.Token = "fakeapi-token"
	}
	if opts.User == "" {
		opts.User = "test-user"
	}
	if opts.GitVersion == "" {
		opts.GitVersion = "v1.37.2"
	}
	s := &Server{store: newStore(), opts: opts, exec: opts.Exec, authorize: opts.Authorize, refuseWS: opts.RefuseWebSocket}
	if err := s.store.add(objs...); err != nil {
		return nil, err
	}
	cert, err := selfSignedCert()
	if err != nil {
		return nil, err
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.ts = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		// Labelled so a CPU profile of an in-process benchmark can leave the server's share out
		// (go tool pprof -tagignore fakeapi=server).
		pprof.Do(req.Context(), pprof.Labels("fakeapi", "server"), func(ctx context.Context) {
			s.serveHTTP(w, req.WithContext(ctx))
		})
	}))
	s.ts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	// kubectl and client-go speak HTTP/1.1 for upgrades; HTTP/2 is not needed.
	s.ts.EnableHTTP2 = false
	s.ts.StartTLS()
	return s, nil
}

// Cleaner is the part of testing.TB that Start needs (kept small so benchmarks programs can use
// New without the testing package).
type Cleaner interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// Start is New for tests: it fails the test on error and closes the server at cleanup.
func Start(t Cleaner, opts Options, objs ...runtime.Object) *Server {
	t.Helper()
	s, err := New(opts, objs...)
	if err != nil {
		t.Fatalf("fakeapi: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Close stops the server and ends any exec still running.
func (s *Server) Close() {
	s.cancel()
	s.ts.Close()
}

// URL is the server's https base URL.
func (s *Server) URL() string { return s.ts.URL }

// Add stores more objects (deep copies).
func (s *Server) Add(objs ...runtime.Object) error { return s.store.add(objs...) }

// Remove deletes an object; it reports whether it existed. Group "" is the core group.
func (s *Server) Remove(group, resourceName, namespace, name string) bool {
	for i := range resources {
		r := &resources[i]
		if r.gvr.Group == group && r.gvr.Resource == resourceName {
			return s.store.remove(r, namespace, name)
		}
	}
	return false
}

// SetRunPod replaces what created pods do, for the creates that follow.
func (s *Server) SetRunPod(f PodFunc) {
	s.mu.Lock()
	s.opts.RunPod = f
	s.mu.Unlock()
}

// SetAdmit replaces the admission check of pod creates.
func (s *Server) SetAdmit(a Admitter) {
	s.mu.Lock()
	s.opts.Admit = a
	s.mu.Unlock()
}

// SetExec replaces the exec behaviour for the requests that follow.
func (s *Server) SetExec(f ExecFunc) {
	s.mu.Lock()
	s.exec = f
	s.mu.Unlock()
}

// SetAuthorizer replaces the authorizer for the requests that follow.
func (s *Server) SetAuthorizer(a Authorizer) {
	s.mu.Lock()
	s.authorize = a
	s.mu.Unlock()
}

func (s *Server) serveHTTP(w http.ResponseWriter, req *http.Request) {
	// The WebSocket library logs through the request's logger every connection the server closes
	// while it is reading, which is every exec; the real API server is as noisy, tests need not be.
	req = req.WithContext(klog.NewContext(req.Context(), logr.Discard()))
	if req.Header.Get("Authorization") != "Bearer "+s.opts.Token {
		s.record(Request{Method: req.Method, Path: req.URL.Path, Query: req.URL.RawQuery, Code: http.StatusUnauthorized})
		writeStatus(w, &metav1.Status{Status: metav1.StatusFailure, Message: "Unauthorized",
			Reason: metav1.StatusReasonUnauthorized, Code: http.StatusUnauthorized})
		return
	}
	path := strings.TrimSuffix(req.URL.Path, "/")
	switch {
	case path == "/version":
		s.record(Request{Method: req.Method, Path: path, Verb: "get", Code: http.StatusOK})
		v := version.Info{Major: "1", Minor: minorOf(s.opts.GitVersion), GitVersion: s.opts.GitVersion, Platform: "linux/amd64"}
		writeJSON(w, http.StatusOK, v)
		return
	case path == "/api":
		s.record(Request{Method: req.Method, Path: path, Verb: "get", Code: http.StatusOK})
		writeJSON(w, http.StatusOK, &metav1.APIVersions{
			TypeMeta: metav1.TypeMeta{Kind: "APIVersions"}, Versions: []string{"v1"},
			ServerAddressByClientCIDRs: []metav1.ServerAddressByClientCIDR{{ClientCIDR: "0.0.0.0/0", ServerAddress: req.Host}},
		})
		return
	case path == "/apis":
		s.record(Request{Method: req.Method, Path: path, Verb: "get", Code: http.StatusOK})
		writeJSON(w, http.StatusOK, apiGroupList())
		return
	}
	info, ok := parseRequest(req.Method, path, req.URL.Query())
	if !ok {
		s.record(Request{Method: req.Method, Path: path, Query: req.URL.RawQuery, Code: http.StatusNotFound})
		writeStatus(w, &metav1.Status{Status: metav1.StatusFailure, Message: "the server could not find the requested resource",
			Reason: metav1.StatusReasonNotFound, Code: http.StatusNotFound,
			Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{{Type: metav1.CauseTypeUnexpectedServerResponse, Message: "404 page not found"}}}})
		return
	}
	info.Query = req.URL.RawQuery
	info.User = s.opts.User
	if info.Resource == "" { // discovery of one group version
		info.Code = http.StatusOK
		s.record(info)
		writeJSON(w, http.StatusOK, apiResourceList(schema.GroupVersion{Group: info.APIGroup, Version: info.APIVersion}))
		return
	}

	s.mu.Lock()
	authorize := s.authorize
	s.mu.Unlock()
	if authorize != nil {
		if allowed, reason := authorize(info.Attributes()); !allowed {
			st := forbidden(info.Attributes(), reason)
			info.Code = int(st.Code)
			s.record(info)
			writeStatus(w, st)
			return
		}
	}

	if code, ok := s.servePods(w, req, &info); ok {
		info.Code = int(code)
		s.record(info)
		return
	}
	r := findResource(info.APIGroup, info.APIVersion, info.Resource)
	if r == nil || (info.Subresource != "" && info.Subresource != "exec") {
		info.Code = http.StatusNotFound
		s.record(info)
		writeStatus(w, &metav1.Status{Status: metav1.StatusFailure, Message: "the server could not find the requested resource",
			Reason: metav1.StatusReasonNotFound, Code: http.StatusNotFound})
		return
	}
	if info.Subresource == "exec" {
		s.serveExec(w, req, r, info)
		return
	}
	st := s.serveRead(w, req, r, info)
	info.Code = int(st)
	s.record(info)
}

// serveRead answers get and list; any other verb is refused (the server is read-only).
func (s *Server) serveRead(w http.ResponseWriter, req *http.Request, r *resource, info Request) int32 {
	gr := r.gvr.GroupResource()
	switch info.Verb {
	case "get":
		obj, ok := s.store.get(r, info.Namespace, info.Name)
		if !ok {
			return writeStatus(w, statusOf(apierrors.NewNotFound(gr, info.Name)))
		}
		return writeObject(w, r, obj)
	case "list":
		q := req.URL.Query()
		ls, err := labels.Parse(q.Get("labelSelector"))
		if err != nil {
			return writeStatus(w, statusOf(apierrors.NewBadRequest(fmt.Sprintf("unable to parse requirement: %v", err))))
		}
		fs, err := fields.ParseSelector(q.Get("fieldSelector"))
		if err == nil {
			err = validFieldSelector(fs, r)
		}
		if err != nil {
			return writeStatus(w, statusOf(apierrors.NewBadRequest(err.Error())))
		}
		list, err := s.store.list(r, info.Namespace, ls, fs)
		if err != nil {
			return writeStatus(w, statusOf(apierrors.NewInternalError(err)))
		}
		return writeObject(w, r, list)
	case "watch":
		return writeStatus(w, statusOf(apierrors.NewMethodNotSupported(gr, "watch")))
	}
	return writeStatus(w, statusOf(apierrors.NewMethodNotSupported(gr, info.Verb)))
}

func (s *Server) record(r Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r)
	s.mu.Unlock()
}

// Requests returns a copy of the request log, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Execs returns a copy of the exec log (one record per exec that reached the ExecFunc), in
// completion order.
func (s *Server) Execs() []ExecRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ExecRecord(nil), s.execs...)
}

// ResetLogs empties the request and exec logs.
func (s *Server) ResetLogs() {
	s.mu.Lock()
	s.requests, s.execs = nil, nil
	s.mu.Unlock()
}

func apiGroupList() *metav1.APIGroupList {
	list := &metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}}
	for _, gv := range groupVersions() {
		if gv.Group == "" {
			continue
		}
		v := metav1.GroupVersionForDiscovery{GroupVersion: gv.String(), Version: gv.Version}
		list.Groups = append(list.Groups, metav1.APIGroup{Name: gv.Group, Versions: []metav1.GroupVersionForDiscovery{v}, PreferredVersion: v})
	}
	return list
}

func minorOf(gitVersion string) string {
	parts := strings.Split(strings.TrimPrefix(gitVersion, "v"), ".")
	if len(parts) > 1 {
		return parts[1]
	}
	return ""
}

// writeObject encodes a typed object or list as JSON. Clients asking for protobuf or Table get
// plain JSON with Content-Type application/json, which they all accept as a fallback.
func writeObject(w http.ResponseWriter, r *resource, obj runtime.Object) int32 {
	data, err := runtime.Encode(scheme.Codecs.LegacyCodec(r.gvr.GroupVersion()), obj)
	if err != nil {
		return writeStatus(w, statusOf(apierrors.NewInternalError(err)))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
	return http.StatusOK
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(data)
}

func statusOf(err *apierrors.StatusError) *metav1.Status {
	st := err.Status()
	return &st
}

// writeStatus writes a metav1.Status body with its code, as the API server does for errors.
func writeStatus(w http.ResponseWriter, st *metav1.Status) int32 {
	st.Kind, st.APIVersion = "Status", "v1"
	if st.Status == "" {
		st.Status = metav1.StatusFailure
	}
	writeJSON(w, int(st.Code), st)
	return st.Code
}
