package harden

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubectl-caps/kubectl-caps/plugin/manifest"
)

// rolloutAndFriends are custom resources and a built-in workload whose patches kustomize
// mishandled: a Rollout (a strategic merge replaces its containers list), an Argo Experiment (two
// templates), a Knative Service (an unnamed container), and a DaemonSet whose privileged init
// container is not patched (naming only the others would reorder them).
const rolloutAndFriends = `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      initContainers:
      - name: migrate
        image: example/migrate:1
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 80
        securityContext:
          readOnlyRootFilesystem: true
      - name: side
        image: example/side:2
        ports:
        - {containerPort: 9090, name: metrics}
---
apiVersion: argoproj.io/v1alpha1
kind: Experiment
metadata:
  name: exp
spec:
  templates:
  - name: baseline
    template:
      spec:
        containers:
        - name: app
          image: example/app:1
  - name: canary
    template:
      spec:
        containers:
        - name: app
          image: example/app:2
---
apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: hello
spec:
  template:
    spec:
      containers:
      - image: example/hello
        ports:
        - containerPort: 8080
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: falco
spec:
  template:
    spec:
      initContainers:
      - name: driver-loader
        image: falcosecurity/falco-driver-loader
        securityContext: {privileged: true}
      - name: artifact-install
        image: falcosecurity/falcoctl
      containers:
      - name: falco
        image: falcosecurity/falco
        securityContext: {privileged: true}
      - name: falcoctl-artifact-follow
        image: falcosecurity/falcoctl
`

// TestKustomizeKeepsContainers renders every -o patch result with the real `kubectl kustomize`
// (the original file as the resource, the patches as a component) and checks every container of
// every workload: same order, image and ports as the original, and exactly the securityContext of
// the hardened file. It covers the corpus and the custom resources above.
func TestKustomizeKeepsContainers(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not on PATH (make test needs it; .ci/run builds one from test/tools/kubectl)")
	}
	inputs := map[string][]byte{"rollout-and-friends.yaml": []byte(rolloutAndFriends)}
	if _, err := os.Stat(corpusDir); err == nil {
		for _, f := range corpusFiles(t) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			inputs[filepath.Base(f)] = b
		}
	}
	var rendered, workloads, checked, notLoaded int
	for name, data := range inputs {
		res, err := File(context.Background(), name, data, Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(res.Patches) == 0 {
			continue
		}
		component, err := RenderPatches(res.Patches)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		ext := filepath.Ext(name)
		if ext != ".json" {
			ext = ".yaml" // kustomize takes resources by their content, but wants a known extension
		}
		base := "resources" + ext
		writeFile(t, filepath.Join(dir, base), data)
		writeFile(t, filepath.Join(dir, "kustomization.yaml"), []byte("resources: ["+base+"]\n"))
		if _, err := kustomize(kubectl, dir); err != nil {
			// Some files are not kustomize resources at all (duplicate objects, nameless ones);
			// with no patch they fail the same way, so there is nothing to check.
			t.Logf("%s: kustomize cannot load it even unpatched: %v", name, firstLine(err.Error()))
			notLoaded++
			continue
		}
		writeFile(t, filepath.Join(dir, "caps", "kustomization.yaml"), component)
		writeFile(t, filepath.Join(dir, "kustomization.yaml"), []byte("resources: ["+base+"]\ncomponents: [caps]\n"))
		out, err := kustomize(kubectl, dir)
		if err != nil {
			t.Errorf("%s: kubectl kustomize with the patches fails: %v\ncomponent:\n%s", name, err, component)
			continue
		}
		rendered++
		got := containersByWorkload(t, out)
		orig, hard := containersByWorkload(t, data), containersByWorkload(t, res.Output)
		for key, oc := range orig {
			workloads++
			gc, hc := got[key], hard[key]
			if len(gc) != len(oc) {
				t.Errorf("%s %s: %d containers after kustomize, %d before", name, key, len(gc), len(oc))
				continue
			}
			for i := range oc {
				checked++
				where := fmt.Sprintf("%s %s container %d (%s)", name, key, i, oc[i]["name"])
				for _, field := range []string{"name", "image", "ports"} {
					if !manifest.Equal(oc[i][field], gc[i][field]) {
						t.Errorf("%s: %s is %v after kustomize, was %v", where, field, gc[i][field], oc[i][field])
					}
				}
				if !manifest.Equal(hc[i]["securityContext"], gc[i]["securityContext"]) {
					t.Errorf("%s: securityContext after kustomize\n  %v\nwant the hardened file's\n  %v", where, gc[i]["securityContext"], hc[i]["securityContext"])
				}
			}
		}
	}
	t.Logf("kubectl kustomize: %d inputs rendered with their patches, %d workloads, %d containers checked; %d inputs kustomize cannot load unpatched", rendered, workloads, checked, notLoaded)
	if rendered == 0 {
		t.Error("nothing was rendered")
	}
}

func kustomize(kubectl, dir string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(kubectl, "kustomize", dir)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%v: %s", err, stderr.String())
	}
	return stdout.Bytes(), nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// containersByWorkload lists, per pod template (kind namespace/name and the template's path), its
// containers in kubelet order: init containers, then containers.
func containersByWorkload(t *testing.T, data []byte) map[string][]map[string]any {
	t.Helper()
	out := map[string][]map[string]any{}
	for _, tpl := range templates(t, data) {
		rel := tpl.SpecPath
		if tpl.Item >= 0 {
			rel = rel[2:] // kustomize takes a List's items as objects of their own
		}
		key := tpl.Ref() + " " + manifest.PathString(rel)
		for _, c := range tpl.Containers {
			if c.List != "ephemeralContainers" {
				out[key] = append(out[key], c.Spec)
			}
		}
	}
	return out
}
