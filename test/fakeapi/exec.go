package fakeapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	remotecommandconsts "k8s.io/apimachinery/pkg/util/remotecommand"
	"k8s.io/streaming/pkg/httpstream"
	"k8s.io/streaming/pkg/httpstream/spdy"
	"k8s.io/streaming/pkg/httpstream/wsstream"
)

// ExecRequest is what an ExecFunc is asked to run.
type ExecRequest struct {
	Namespace, Pod, Container string
	Command                   []string
}

// ExecFunc runs one exec. It writes the command's output to stdout and stderr and returns its
// exit code; a non-nil error means the command could not be run at all (the runtime failed),
// and is sent to the client as the kubelet sends it (an InternalError status). ctx ends when the
// client goes away or the server closes.
type ExecFunc func(ctx context.Context, req ExecRequest, stdout, stderr io.Writer) (exitCode int, err error)

// ExecRecord is one entry of the exec log.
type ExecRecord struct {
	ExecRequest
	// Transport is "websocket" or "spdy"; Protocol the negotiated subprotocol.
	Transport, Protocol string
	ExitCode            int
	Err                 error
	Duration            time.Duration
}

const (
	streamCreationTimeout = 30 * time.Second
	// streamIdleTimeout is the kubelet's default.
	streamIdleTimeout = 4 * time.Hour
)

// spdyProtocols are what the kubelet accepts over SPDY (remotecommand.SupportedStreamingProtocols
// without the v1 protocol, which no current client uses).
var spdyProtocols = []string{
	remotecommandconsts.StreamProtocolV4Name,
	remotecommandconsts.StreamProtocolV3Name,
	remotecommandconsts.StreamProtocolV2Name,
}

// serveExec validates the exec request like the API server, upgrades the connection, runs the
// ExecFunc and reports its outcome on the error stream like the kubelet.
func (s *Server) serveExec(w http.ResponseWriter, req *http.Request, r *resource, info Request) {
	fail := func(st *metav1.Status) {
		info.Code = int(writeStatus(w, st))
		s.record(info)
	}
	if req.Method != http.MethodGet && req.Method != http.MethodPost {
		fail(statusOf(apierrors.NewMethodNotSupported(r.gvr.GroupResource(), req.Method)))
		return
	}
	obj, ok := s.store.get(r, info.Namespace, info.Name)
	if !ok {
		fail(statusOf(apierrors.NewNotFound(r.gvr.GroupResource(), info.Name)))
		return
	}
	pod := obj.(*corev1.Pod)
	q := req.URL.Query()
	er := ExecRequest{Namespace: info.Namespace, Pod: info.Name, Container: q.Get("container"), Command: q["command"]}
	if st := validateExec(pod, &er); st != nil {
		fail(st)
		return
	}
	stdout, stderr, stdin := flag(q.Get("stdout")), flag(q.Get("stderr")), flag(q.Get("stdin"))
	if !stdout && !stderr && !stdin {
		fail(statusOf(apierrors.NewBadRequest("you must specify at least 1 of stdin, stdout, stderr")))
		return
	}

	s.mu.Lock()
	refuseWS, execFn := s.refuseWS, s.exec
	s.mu.Unlock()
	if execFn == nil {
		execFn = notConfigured
	}

	var st *execStreams
	if wsstream.IsWebSocketRequest(req) {
		if refuseWS {
			fail(statusOf(apierrors.NewBadRequest("fakeapi: WebSocket exec refused (RefuseWebSocket); use SPDY")))
			return
		}
		var err error
		if st, err = openWebSocket(w, req, stdout, stderr, stdin); err != nil {
			// The websocket library has already answered the client.
			info.Code = http.StatusBadRequest
			s.record(info)
			return
		}
	} else {
		protocol, err := httpstream.Handshake(req, w, spdyProtocols)
		if err != nil { // Handshake has answered
			info.Code = http.StatusForbidden
			s.record(info)
			return
		}
		if st, err = openSPDY(w, req, protocol, stdout, stderr, stdin); err != nil {
			info.Code = http.StatusBadRequest
			s.record(info)
			return
		}
	}
	info.Code = http.StatusSwitchingProtocols
	s.record(info)
	defer st.close()

	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	go func() {
		select {
		case <-st.gone:
			cancel()
		case <-ctx.Done():
		}
	}()
	start := time.Now()
	code, err := execFn(ctx, er, st.stdout, st.stderr)
	st.finishOutput()
	st.writeStatus(exitStatus(code, err))
	s.mu.Lock()
	s.execs = append(s.execs, ExecRecord{ExecRequest: er, Transport: st.transport, Protocol: st.protocol,
		ExitCode: code, Err: err, Duration: time.Since(start)})
	s.mu.Unlock()
}

func flag(v string) bool { return v == "true" || v == "1" }

// validateExec applies the API server's checks, choosing the container when there is only one.
func validateExec(pod *corev1.Pod, er *ExecRequest) *metav1.Status {
	if len(er.Command) == 0 {
		return statusOf(apierrors.NewBadRequest("you must specify at least one command for the container"))
	}
	if er.Container == "" {
		if len(pod.Spec.Containers) != 1 {
			var names []string
			for _, c := range pod.Spec.Containers {
				names = append(names, c.Name)
			}
			return statusOf(apierrors.NewBadRequest(fmt.Sprintf("a container name must be specified for pod %s, choose one of: %v", pod.Name, names)))
		}
		er.Container = pod.Spec.Containers[0].Name
	}
	if !hasContainer(pod, er.Container) {
		return statusOf(apierrors.NewBadRequest(fmt.Sprintf("container %s is not valid for pod %s", er.Container, pod.Name)))
	}
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return statusOf(apierrors.NewBadRequest(fmt.Sprintf("cannot exec into a container in a completed pod; current phase is %s", pod.Status.Phase)))
	}
	if pod.Spec.NodeName == "" {
		return statusOf(apierrors.NewBadRequest(fmt.Sprintf("pod %s does not have a host assigned", pod.Name)))
	}
	// The kubelet refuses containers it does not have running; only checked when the test gave
	// statuses, so a bare Pod from a test still execs.
	for _, cs := range allStatuses(pod) {
		if cs.Name == er.Container && cs.State.Running == nil {
			return statusOf(apierrors.NewBadRequest(fmt.Sprintf("unable to upgrade connection: container not found (%q)", er.Container)))
		}
	}
	return nil
}

func hasContainer(pod *corev1.Pod, name string) bool {
	for _, c := range pod.Spec.Containers {
		if c.Name == name {
			return true
		}
	}
	for _, c := range pod.Spec.InitContainers {
		if c.Name == name {
			return true
		}
	}
	for _, c := range pod.Spec.EphemeralContainers {
		if c.Name == name {
			return true
		}
	}
	return false
}

func allStatuses(pod *corev1.Pod) []corev1.ContainerStatus {
	out := append([]corev1.ContainerStatus(nil), pod.Status.ContainerStatuses...)
	out = append(out, pod.Status.InitContainerStatuses...)
	return append(out, pod.Status.EphemeralContainerStatuses...)
}

// exitStatus is what the kubelet writes on the error stream (pkg/kubelet/cri/streaming/
// remotecommand ServeExec): success, NonZeroExitCode with the ExitCode cause, or an
// InternalError for a command that could not run.
func exitStatus(code int, err error) *metav1.Status {
	switch {
	case err != nil:
		return statusOf(apierrors.NewInternalError(fmt.Errorf("error executing command in container: %v", err)))
	case code != 0:
		return &metav1.Status{
			Status: metav1.StatusFailure,
			Reason: remotecommandconsts.NonZeroExitCodeReason,
			Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{{
				Type: remotecommandconsts.ExitCodeCauseType, Message: strconv.Itoa(code),
			}}},
			Message: fmt.Sprintf("command terminated with non-zero exit code: exit status %d", code),
		}
	}
	return &metav1.Status{Status: metav1.StatusSuccess}
}

func notConfigured(ctx context.Context, req ExecRequest, stdout, stderr io.Writer) (int, error) {
	return 0, errors.New("fakeapi: no ExecFunc configured")
}

// execStreams are the server ends of one exec, whatever the transport.
type execStreams struct {
	transport, protocol string
	stdout, stderr      io.Writer
	outClosers          []io.Closer
	errStream           io.Writer
	// v1-v3 SPDY send a plain error message, v4+ a JSON metav1.Status.
	jsonStatus bool
	conn       io.Closer
	gone       <-chan struct{}
}

func (e *execStreams) finishOutput() {
	for _, c := range e.outClosers {
		_ = c.Close()
	}
}

func (e *execStreams) writeStatus(st *metav1.Status) {
	st.Kind, st.APIVersion = "Status", "v1"
	if !e.jsonStatus {
		if st.Status != metav1.StatusSuccess {
			_, _ = io.WriteString(e.errStream, st.Message)
		}
		return
	}
	data, err := json.Marshal(st)
	if err == nil {
		_, _ = e.errStream.Write(data)
	}
}

func (e *execStreams) close() { _ = e.conn.Close() }

// openWebSocket upgrades to the channel protocol the way the API server's stream translator and
// the kubelet do: channels 0-4 are stdin, stdout, stderr, error, resize.
func openWebSocket(w http.ResponseWriter, req *http.Request, stdout, stderr, stdin bool) (*execStreams, error) {
	channels := []wsstream.ChannelType{
		pick(stdin, wsstream.ReadChannel), pick(stdout, wsstream.WriteChannel), pick(stderr, wsstream.WriteChannel),
		wsstream.WriteChannel, wsstream.ReadChannel,
	}
	conn := wsstream.NewConn(map[string]wsstream.ChannelProtocolConfig{
		remotecommandconsts.StreamProtocolV5Name: {Binary: true, Channels: channels},
		remotecommandconsts.StreamProtocolV4Name: {Binary: true, Channels: channels},
	})
	conn.SetIdleTimeout(streamIdleTimeout)
	protocol, streams, err := conn.Open(w, req)
	if err != nil {
		return nil, err
	}
	// The first, empty write on the lowest writable channel tells the client the streams are up.
	switch {
	case stdout:
		_, _ = streams[1].Write(nil)
	case stderr:
		_, _ = streams[2].Write(nil)
	default:
		_, _ = streams[3].Write(nil)
	}
	// The resize channel is read only on a tty; it ends (EOF) when the connection closes, which
	// is how a hanging exec learns that the client went away.
	gone := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, streams[4])
		close(gone)
	}()
	e := &execStreams{transport: "websocket", protocol: protocol, stdout: io.Discard, stderr: io.Discard,
		errStream: streams[3], jsonStatus: true, conn: conn, gone: gone}
	if stdout {
		e.stdout = streams[1]
	}
	if stderr {
		e.stderr = streams[2]
	}
	if stdin {
		go func() { _, _ = io.Copy(io.Discard, streams[0]) }()
	}
	return e, nil
}

func pick(on bool, t wsstream.ChannelType) wsstream.ChannelType {
	if on {
		return t
	}
	return wsstream.IgnoreChannel
}

type streamAndReply struct {
	httpstream.Stream
	replySent <-chan struct{}
}

// openSPDY upgrades to SPDY/3.1 and waits for the client to create its streams, as the kubelet's
// createHTTPStreamStreams does.
func openSPDY(w http.ResponseWriter, req *http.Request, protocol string, stdout, stderr, stdin bool) (*execStreams, error) {
	streamCh := make(chan streamAndReply)
	conn := spdy.NewResponseUpgrader().UpgradeResponse(w, req, func(s httpstream.Stream, replySent <-chan struct{}) error {
		streamCh <- streamAndReply{Stream: s, replySent: replySent}
		return nil
	})
	if conn == nil {
		return nil, errors.New("spdy upgrade failed")
	}
	conn.SetIdleTimeout(streamIdleTimeout)
	expected := 1
	for _, on := range []bool{stdout, stderr, stdin} {
		if on {
			expected++
		}
	}
	e := &execStreams{transport: "spdy", protocol: protocol, stdout: io.Discard, stderr: io.Discard,
		jsonStatus: protocol == remotecommandconsts.StreamProtocolV4Name, conn: conn}
	timeout := time.NewTimer(streamCreationTimeout)
	defer timeout.Stop()
	replied := make(chan struct{}, expected+2)
	for received := 0; received < expected; {
		select {
		case s := <-streamCh:
			switch s.Headers().Get(corev1.StreamType) {
			case corev1.StreamTypeError:
				e.errStream = s
			case corev1.StreamTypeStdout:
				e.stdout = s
				e.outClosers = append(e.outClosers, s)
			case corev1.StreamTypeStderr:
				e.stderr = s
				e.outClosers = append(e.outClosers, s)
			case corev1.StreamTypeStdin:
				go func() { _, _ = io.Copy(io.Discard, s) }()
			case corev1.StreamTypeResize:
				go func() { _, _ = io.Copy(io.Discard, s) }()
			}
			go func(c <-chan struct{}) { <-c; replied <- struct{}{} }(s.replySent)
		case <-replied:
			received++
		case <-timeout.C:
			_ = conn.Close()
			return nil, errors.New("timed out waiting for client to create streams")
		}
	}
	if e.errStream == nil {
		_ = conn.Close()
		return nil, errors.New("client created no error stream")
	}
	gone := make(chan struct{})
	go func() {
		<-conn.CloseChan()
		close(gone)
	}()
	e.gone = gone
	return e, nil
}
