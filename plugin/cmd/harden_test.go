package cmd

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/resource"
	"k8s.io/client-go/rest/fake"
	cmdtesting "k8s.io/kubectl/pkg/cmd/testing"

	"github.com/kubectl-caps/kubectl-caps/plugin/harden"
	"github.com/kubectl-caps/kubectl-caps/plugin/harden/policy"
)

const webDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web # the shop's front end
spec:
  template:
    spec:
      containers:
      - name: web
        image: example/web
        ports:
        - containerPort: 80
`

const hardenedPod = `apiVersion: v1
kind: Pod
metadata:
  name: done
spec:
  containers:
  - name: app
    image: busybox
    securityContext:
      allowPrivilegeEscalation: false
      capabilities:
        drop: [ALL]
`

// runHarden runs the harden command as kubectl would, returning stdout, stderr and the exit code.
func runHarden(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	tf := cmdtesting.NewTestFactory().WithNamespace("test")
	defer tf.Cleanup()
	return runHardenWith(t, tf, stdin, args...)
}

func runHardenWith(t *testing.T, tf *cmdtesting.TestFactory, stdin string, args ...string) (string, string, int) {
	t.Helper()
	streams, in, out, errOut := genericiooptions.NewTestIOStreams()
	in.WriteString(stdin)
	cmd := NewCmdHarden(tf, streams)
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(errOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	code := 0
	var ee *ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.Code
	case err != nil:
		errOut.WriteString("error: " + err.Error() + "\n")
		code = 1
	}
	return out.String(), errOut.String(), code
}

func write(t *testing.T, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHardenStdinToStdout(t *testing.T) {
	out, errOut, code := runHarden(t, webDeployment, "-f", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.HasPrefix(out, webDeployment[:len(webDeployment)-1]) {
		t.Errorf("the original lines must come through unchanged:\n%s", out)
	}
	for _, want := range []string{"        securityContext:\n", "          - NET_BIND_SERVICE\n", "          allowPrivilegeEscalation: false\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "NET_BIND_SERVICE added (spec): containerPort 80 below 1024") {
		t.Errorf("the report must give the reason:\n%s", errOut)
	}
}

func TestHardenCheckExitCodes(t *testing.T) {
	dir := t.TempDir()
	soft := write(t, dir, "soft.yaml", webDeployment, 0o644)
	done := write(t, dir, "done.yaml", hardenedPod, 0o644)
	bad := write(t, dir, "bad.yaml", hardenedPod+"---\nkind: Pod\nspec: [\n", 0o644)
	tests := []struct {
		args []string
		code int
	}{
		{[]string{"-f", done, "--check"}, 0},
		{[]string{"-f", soft, "--check"}, 1},
		{[]string{"-f", done, "-f", soft, "--check"}, 1},
		{[]string{"-f", bad, "--check"}, 2},
		{[]string{"-f", soft, "-f", bad, "--check"}, 2},
		{[]string{"-f", filepath.Join(dir, "missing.yaml"), "--check"}, 2},
	}
	for _, tc := range tests {
		out, errOut, code := runHarden(t, "", tc.args...)
		if code != tc.code {
			t.Errorf("%v: exit %d, want %d\n%s", tc.args, code, tc.code, errOut)
		}
		if out != "" {
			t.Errorf("%v: --check must print nothing on stdout, got:\n%s", tc.args, out)
		}
	}
}

func TestHardenBadInputNamesFileDocumentLine(t *testing.T) {
	dir := t.TempDir()
	good := write(t, dir, "good.yaml", webDeployment, 0o644)
	bad := write(t, dir, "bad.yaml", hardenedPod+"---\napiVersion: v1\nkind: Pod\nspec:\n  containers: [\n", 0o644)
	out, errOut, code := runHarden(t, "", "-f", good, "-f", bad)
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if out != "" {
		t.Errorf("nothing may be written to stdout when an input fails, got:\n%s", out)
	}
	if !strings.Contains(errOut, "bad.yaml: document 2, line") {
		t.Errorf("the error must name the file, document and line:\n%s", errOut)
	}
}

func TestHardenInPlace(t *testing.T) {
	dir := t.TempDir()
	soft := write(t, dir, "soft.yaml", webDeployment, 0o640)
	done := write(t, dir, "done.yaml", hardenedPod, 0o644)
	badText := "kind: Pod\nspec: {containers: [\n"
	bad := write(t, dir, "bad.yaml", badText, 0o644)
	doneInfo, _ := os.Stat(done)

	_, errOut, code := runHarden(t, "", "-f", dir, "-i")
	if code != 2 {
		t.Fatalf("exit %d, want 2 (bad.yaml fails)\n%s", code, errOut)
	}
	got, _ := os.ReadFile(soft)
	if !strings.Contains(string(got), "- NET_BIND_SERVICE") {
		t.Errorf("soft.yaml was not hardened in place:\n%s", got)
	}
	if st, _ := os.Stat(soft); st.Mode().Perm() != 0o640 {
		t.Errorf("mode changed to %v", st.Mode().Perm())
	}
	if b, _ := os.ReadFile(bad); string(b) != badText {
		t.Errorf("a file that fails must be left untouched")
	}
	if st, _ := os.Stat(done); !st.ModTime().Equal(doneInfo.ModTime()) {
		t.Errorf("a file with nothing to change must not be rewritten")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	// A second run has nothing left to do.
	if _, errOut, code := runHarden(t, "", "-f", soft, "--check"); code != 0 {
		t.Errorf("after -i, --check exits %d:\n%s", code, errOut)
	}
}

func TestHardenDirectories(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.yaml", webDeployment, 0o644)
	write(t, dir, "notes.txt", "not a manifest", 0o644)
	write(t, dir, "sub/b.yml", hardenedPod, 0o644)
	out, errOut, code := runHarden(t, "", "-f", dir)
	if code != 0 || strings.Contains(out, "name: done") {
		t.Errorf("without -R, subdirectories are skipped (exit %d):\n%s\n%s", code, out, errOut)
	}
	out, _, code = runHarden(t, "", "-f", dir, "-R")
	if code != 0 || !strings.Contains(out, "\n---\napiVersion: v1\nkind: Pod\n") {
		t.Errorf("with -R both files are printed, separated by ---:\n%s", out)
	}
}

func TestHardenDiff(t *testing.T) {
	dir := t.TempDir()
	soft := write(t, dir, "soft.yaml", webDeployment, 0o644)
	out, _, code := runHarden(t, "", "-f", soft, "--diff")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"--- a/" + soft, "+++ b/" + soft, "+        securityContext:\n", "         - containerPort: 80\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("diff lacks %q:\n%s", want, out)
		}
	}
}

func TestHardenPatchAndReport(t *testing.T) {
	dir := t.TempDir()
	report := filepath.Join(dir, "report.json")
	out, errOut, code := runHarden(t, webDeployment, "-f", "-", "-o", "patch", "--report", report)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := `# Kustomize Component from kubectl caps harden -o patch. Save it as DIR/kustomization.yaml and
# add DIR to the components of the kustomization that renders these workloads.
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
patches:
  - patch: |
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: web
      spec:
        template:
          spec:
            containers:
              - name: web
                securityContext:
                  capabilities:
                    drop:
                      - ALL
                    add:
                      - NET_BIND_SERVICE
                  allowPrivilegeEscalation: false
`
	if out != want {
		t.Errorf("patch:\n%s\nwant:\n%s", out, want)
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var r harden.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if r.Kind != harden.ReportKind || len(r.Files) != 1 || !r.Files[0].Changed {
		t.Fatalf("report: %s", b)
	}
	c := r.Files[0].Workloads[0].Containers[0]
	if c.Name != "web" || len(c.Capabilities) != 1 || c.Capabilities[0].Name != "NET_BIND_SERVICE" || c.Capabilities[0].Source != policy.SourceSpec {
		t.Errorf("report container: %+v", c)
	}
}

func TestHardenValidate(t *testing.T) {
	tests := []struct {
		args []string
		msg  string
	}{
		{nil, "nothing to harden"},
		{[]string{"-f", "-", "-i"}, "cannot use --in-place with -f -"},
		{[]string{"-f", "x.yaml", "-o", "json"}, "unsupported output format"},
		{[]string{"-f", "x.yaml", "-o", "patch", "--diff"}, "cannot use -o patch with --in-place or --diff"},
		{[]string{"-f", "x.yaml", "--check", "-i"}, "cannot use --check with --in-place"},
		{[]string{"-f", "x.yaml", "--fix-level"}, "--fix-level needs --level"},
		{[]string{"-f", "x.yaml", "--level", "strict"}, "unsupported --level"},
		{[]string{"-f", "x.yaml", "deploy/web"}, "cannot use -f with resource arguments"},
		{[]string{"deploy/web", "-i"}, "cannot use --in-place with live objects"},
		{[]string{"-f", "https://example.com/x.yaml"}, "URLs are not read"},
		{[]string{"-f", "x.yaml", "--check", "--no-such-flag"}, "unknown flag: --no-such-flag"},
	}
	for _, tc := range tests {
		_, errOut, code := runHarden(t, "", tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", tc.args, code, errOut, tc.msg)
		}
	}
}

// TestHardenLiveObject reads a Deployment from a fake API server (the test factory's REST
// client, which fails on any request but the GET) and prints a clean, hardened manifest.
func TestHardenLiveObject(t *testing.T) {
	live := `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"test",
"uid":"1234","resourceVersion":"99","generation":3,"creationTimestamp":"2026-01-01T00:00:00Z",
"managedFields":[{"manager":"kubectl"}],"annotations":{"deployment.kubernetes.io/revision":"3",
"kubectl.kubernetes.io/last-applied-configuration":"{}","team":"shop"}},
"spec":{"replicas":2,"template":{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},
"spec":{"containers":[{"name":"web","image":"nginx","ports":[{"containerPort":80}]}]}}},
"status":{"replicas":2}}`
	tf := cmdtesting.NewTestFactory().WithNamespace("test")
	defer tf.Cleanup()
	var requests []string
	tf.UnstructuredClient = &fake.RESTClient{
		NegotiatedSerializer: resource.UnstructuredPlusDefaultContentConfig().NegotiatedSerializer,
		Client: fake.CreateHTTPClient(func(req *http.Request) (*http.Response, error) {
			requests = append(requests, req.Method+" "+req.URL.Path)
			if req.Method == http.MethodGet && req.URL.Path == "/namespaces/test/deployments/web" {
				return &http.Response{StatusCode: http.StatusOK, Header: cmdtesting.DefaultHeader(), Body: io.NopCloser(bytes.NewBufferString(live))}, nil
			}
			t.Errorf("unexpected request %s %s", req.Method, req.URL.Path)
			return &http.Response{StatusCode: http.StatusNotFound, Header: cmdtesting.DefaultHeader(), Body: io.NopCloser(bytes.NewBufferString(""))}, nil
		}),
	}
	out, errOut, code := runHardenWith(t, tf, "", "deployment/web")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, gone := range []string{"status", "uid", "resourceVersion", "generation", "managedFields", "creationTimestamp", "last-applied", "revision"} {
		if strings.Contains(out, gone) {
			t.Errorf("the manifest still has %q:\n%s", gone, out)
		}
	}
	for _, want := range []string{"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n", "team: shop", "- NET_BIND_SERVICE", "allowPrivilegeEscalation: false"} {
		if !strings.Contains(out, want) {
			t.Errorf("the manifest lacks %q:\n%s", want, out)
		}
	}
	if len(requests) == 0 {
		t.Error("no request reached the fake API server")
	}
	for _, r := range requests {
		if !strings.HasPrefix(r, "GET ") {
			t.Errorf("harden must only read from the cluster, sent %s", r)
		}
	}
}

// TestHardenPatchUnnamedContainer: a built-in kind's container without a name cannot be patched
// by a strategic merge: -o patch names the problem and fails, writing nothing. A custom resource
// (the usual Knative Service) gets a JSON 6902 patch, which needs no name.
func TestHardenPatchUnnamedContainer(t *testing.T) {
	deploy := "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers:\n      - image: example/web\n"
	out, errOut, code := runHarden(t, deploy, "-f", "-", "-o", "patch")
	if code != 2 || out != "" || !strings.Contains(errOut, "Deployment web: containers[0] has no name") {
		t.Errorf("exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "container #1 (no name): hardened") || !strings.Contains(errOut, "-o patch cannot address it") {
		t.Errorf("the report must name the unnamed container and say what it means:\n%s", errOut)
	}
	knative := "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: hello}\nspec:\n  template:\n    spec:\n      containers:\n      - image: example/hello\n"
	out, errOut, code = runHarden(t, knative, "-f", "-", "-o", "patch")
	if code != 0 || !strings.Contains(out, "path: /spec/template/spec/containers/0/securityContext") || strings.Contains(out, "op: test") {
		t.Errorf("exit %d:\n%s\n%s", code, out, errOut)
	}
}

// TestHardenKustomization: a kustomization directory is rendered with the real kubectl
// kustomize, so --check judges what would be applied (a patch file in the overlay is no
// workload); -i refuses and gives the commands that work; following them makes --check pass.
func TestHardenKustomization(t *testing.T) {
	if _, err := exec.LookPath("kubectl"); err != nil {
		t.Skip("needs kubectl on PATH")
	}
	dir := t.TempDir()
	write(t, dir, "base/deploy.yaml", webDeployment, 0o644)
	write(t, dir, "base/kustomization.yaml", "resources: [deploy.yaml]\n", 0o644)
	// The overlay's patch is a fragment: hardened as a file it would lose the base's port 80.
	patch := "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        env: [{name: MODE, value: prod}]\n"
	write(t, dir, "overlays/prod/env.yaml", patch, 0o644)
	write(t, dir, "overlays/prod/kustomization.yaml", "resources: [../../base]\npatches: [{path: env.yaml}]\n", 0o644)
	overlay := filepath.Join(dir, "overlays", "prod")

	_, errOut, code := runHarden(t, "", "-f", overlay, "--check")
	if code != 1 || !strings.Contains(errOut, "(kubectl kustomize): Deployment web") || !strings.Contains(errOut, "NET_BIND_SERVICE added (spec): containerPort 80") {
		t.Fatalf("--check on the overlay: exit %d\n%s", code, errOut)
	}
	out, _, code := runHarden(t, "", "-f", dir, "-R", "--diff")
	if code != 0 || strings.Count(out, "+++ b/") != 2 || strings.Contains(out, "env.yaml") {
		t.Errorf("-R renders each kustomization (base and overlay) and no file inside them (exit %d):\n%s", code, out)
	}
	_, errOut, code = runHarden(t, "", "-f", overlay, "-i")
	if code != 2 || !strings.Contains(errOut, "is a kustomization") || !strings.Contains(errOut, "-o patch >") {
		t.Fatalf("-i on a kustomization: exit %d\n%s", code, errOut)
	}
	if b, _ := os.ReadFile(filepath.Join(overlay, "env.yaml")); string(b) != patch {
		t.Error("-i must not touch the overlay's files")
	}
	// What the refusal says to do.
	rendered, err := exec.Command("kubectl", "kustomize", overlay).Output()
	if err != nil {
		t.Fatal(err)
	}
	component, errOut, code := runHarden(t, string(rendered), "-f", "-", "-o", "patch")
	if code != 0 {
		t.Fatalf("-o patch: exit %d\n%s", code, errOut)
	}
	write(t, overlay, "caps-harden/kustomization.yaml", component, 0o644)
	write(t, overlay, "kustomization.yaml", "resources: [../../base]\npatches: [{path: env.yaml}]\ncomponents: [caps-harden]\n", 0o644)
	if _, errOut, code := runHarden(t, "", "-f", overlay, "--check"); code != 0 {
		t.Errorf("after adding the component, --check exits %d:\n%s", code, errOut)
	}
}

func TestHardenRuntimeFlag(t *testing.T) {
	if _, errOut, code := runHarden(t, "", "-f", "x.yaml", "--runtime", "rkt"); code != 2 || !strings.Contains(errOut, `unsupported --runtime "rkt"`) {
		t.Errorf("exit %d: %s", code, errOut)
	}
	// NET_RAW in use (ping) but outside CRI-O's defaults: left alone, unless the nodes run only
	// containerd.
	ping := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: probe\n    image: busybox\n    command: [ping, example.com]\n"
	out, errOut, code := runHarden(t, ping, "-f", "-")
	if code != 0 || strings.Contains(out, "securityContext") || !strings.Contains(errOut, "left unchanged: NET_RAW is needed") {
		t.Errorf("exit %d:\n%s\n%s", code, out, errOut)
	}
	out, errOut, code = runHarden(t, ping, "-f", "-", "--runtime", "containerd")
	if code != 0 || !strings.Contains(out, "- NET_RAW") {
		t.Errorf("--runtime containerd: exit %d:\n%s\n%s", code, out, errOut)
	}
}

// TestHardenTemplateHint: an unrendered Helm template gets the command that renders it.
func TestHardenTemplateHint(t *testing.T) {
	tpl := "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n{{- if .Values.labels }}\n  labels: {}\n{{- end }}\n"
	_, errOut, code := runHarden(t, tpl, "-f", "-")
	if code != 2 || !strings.Contains(errOut, "-: document 1, line 5:") || !strings.Contains(errOut, "helm template RELEASE CHART | kubectl caps harden -f -") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}
