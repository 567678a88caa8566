package workload

import (
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func parse(t *testing.T, s string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(s), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Content[0]
}

func TestFind(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		paths []string // SpecPath of each template, then container paths and types
	}{
		{"pod", "kind: Pod\nspec:\n  containers: [{name: a}]\n  initContainers: [{name: i, restartPolicy: Always}, {name: j}]\n  ephemeralContainers: [{name: e}]\n",
			[]string{"spec", "spec.initContainers[0] sidecar i", "spec.initContainers[1] init j", "spec.containers[0] container a", "spec.ephemeralContainers[0] ephemeral e"}},
		{"deployment", "kind: Deployment\nspec:\n  template:\n    spec:\n      containers: [{name: a}]\n",
			[]string{"spec.template.spec", "spec.template.spec.containers[0] container a"}},
		{"cronjob", "kind: CronJob\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers: [{name: a}]\n",
			[]string{"spec.jobTemplate.spec.template.spec", "spec.jobTemplate.spec.template.spec.containers[0] container a"}},
		{"podtemplate", "kind: PodTemplate\ntemplate:\n  spec:\n    containers: [{name: a}]\n",
			[]string{"template.spec", "template.spec.containers[0] container a"}},
		{"custom resource", "kind: Rollout\nspec:\n  template:\n    spec:\n      containers: [{name: a}]\n",
			[]string{"spec.template.spec", "spec.template.spec.containers[0] container a"}},
		{"list", "kind: List\nitems:\n- kind: Service\n  spec: {}\n- kind: Pod\n  spec:\n    containers: [{name: a}]\n",
			[]string{"items[1].spec", "items[1].spec.containers[0] container a"}},
		{"merge keys", "base: &b\n  containers: [{name: a}]\nkind: Pod\nspec:\n  <<: *b\n",
			[]string{"spec", "spec.containers[0] container a"}},
		{"argo experiment: a template per entry", "kind: Experiment\nspec:\n  templates:\n  - name: baseline\n    template:\n      spec:\n        containers: [{name: a}]\n  - name: canary\n    template:\n      spec:\n        containers: [{name: b}]\n",
			[]string{"spec.templates[0].template.spec", "spec.templates[0].template.spec.containers[0] container a", "spec.templates[1].template.spec", "spec.templates[1].template.spec.containers[0] container b"}},
		{"argo analysis template: job metrics", "kind: AnalysisTemplate\nspec:\n  metrics:\n  - name: smoke\n    provider:\n      job:\n        spec:\n          template:\n            spec:\n              containers: [{name: t}]\n",
			[]string{"spec.metrics[0].provider.job.spec.template.spec", "spec.metrics[0].provider.job.spec.template.spec.containers[0] container t"}},
		{"knative service: an unnamed container", "kind: Service\napiVersion: serving.knative.dev/v1\nspec:\n  template:\n    spec:\n      containers: [{image: x}]\n",
			[]string{"spec.template.spec", "spec.template.spec.containers[0] container "}},
		{"a template in metadata is no pod template", "kind: Thing\nmetadata:\n  template:\n    spec:\n      containers: [{name: a}]\n", nil},
		{"not a workload", "kind: ConfigMap\ndata:\n  spec: x\n", nil},
		{"crd schema", "kind: CustomResourceDefinition\nspec:\n  versions:\n  - schema:\n      openAPIV3Schema:\n        properties:\n          containers: {type: array}\n", nil},
		{"pod without containers", "kind: Pod\nspec: {}\n", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, tpl := range Find(parse(t, tc.doc)) {
				got = append(got, path(tpl.SpecPath))
				for _, c := range tpl.Containers {
					got = append(got, strings.Join([]string{path(c.Path), c.Type, c.Name}, " "))
				}
			}
			if !reflect.DeepEqual(tc.paths, got) {
				t.Errorf("got  %q\nwant %q", got, tc.paths)
			}
		})
	}
}

func path(p []any) string {
	var b strings.Builder
	for _, s := range p {
		switch x := s.(type) {
		case int:
			b.WriteString("[" + string(rune('0'+x)) + "]")
		default:
			if b.Len() > 0 {
				b.WriteString(".")
			}
			b.WriteString(x.(string))
		}
	}
	return b.String()
}

func TestCleanAndEncode(t *testing.T) {
	obj := map[string]any{
		"kind": "Deployment", "apiVersion": "apps/v1", "status": map[string]any{"replicas": 1},
		"metadata": map[string]any{"name": "web", "uid": "u", "resourceVersion": "1", "generation": 2,
			"managedFields": []any{}, "annotations": map[string]any{"deployment.kubernetes.io/revision": "2"}},
		"spec": map[string]any{"template": map[string]any{"metadata": map[string]any{"creationTimestamp": nil}}},
	}
	out, err := Encode(Clean(obj))
	if err != nil {
		t.Fatal(err)
	}
	want := "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    metadata: {}\n"
	if string(out) != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
}
