package harden

import (
	"context"
	"strings"
	"testing"
)

// TestTrickyLayouts hardens manifests written in the corners of YAML: each hardens (the edit is
// verified by re-parsing inside File, and a second run must change nothing), or, for input that
// is not valid, fails with an error that says where.
func TestTrickyLayouts(t *testing.T) {
	pod := func(containers string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n" + containers
	}
	tests := []struct {
		name, in string
		contains []string // in the output
	}{
		{"block scalar last", pod("  - name: a\n    image: x\n    args:\n    - |\n      echo hi\n      # not a comment\n\n"), []string{"      # not a comment\n    securityContext:\n"}},
		{"keep chomping last", pod("  - name: a\n    command: [sh]\n    args: |+\n      run\n\n\n"), nil},
		{"folded multi-line plain", pod("  - name: a\n    image: a very\n      long image name\n"), []string{"      long image name\n    securityContext:"}},
		{"multi-line double quoted", pod("  - name: a\n    image: \"x\n      # y\"\n"), []string{"# y\"\n    securityContext:"}},
		{"tagged values", pod("  - name: a\n    securityContext: !!map\n      allowPrivilegeEscalation: !!bool true\n"), nil},
		{"merge key", "base: &b\n  runAsUser: 1000\n" + strings.TrimPrefix(pod("  - name: a\n    securityContext:\n      <<: *b\n"), ""), nil},
		{"anchored capabilities", pod("  - name: a\n    securityContext:\n      capabilities: &c\n        add: [SYS_TIME]\n  - name: b\n    securityContext:\n      capabilities: *c\n"), nil},
		{"whole container alias", pod("  - &c\n    name: a\n    image: x\n  - *c\n"), nil},
		{"explicit keys", pod("  - ? name\n    : a\n    ? image\n    : x\n"), nil},
		{"tab after colon", pod("  - name:\ta\n    image:\tx\n"), nil},
		{"comment after key", pod("  - name: a\n    securityContext: # hardened later\n      runAsUser: 1\n"), nil},
		{"null securityContext", pod("  - name: a\n    securityContext: null\n"), nil},
		{"tilde securityContext", pod("  - name: a\n    securityContext: ~\n  - name: b\n"), nil},
		{"empty capabilities", pod("  - name: a\n    securityContext:\n      capabilities:\n"), nil},
		{"bom", "\ufeff" + pod("  - name: a\n"), nil},
		{"unicode before flow", pod("  - {name: \"ñandú\", image: \"é\"}\n"), []string{"ñandú"}},
		{"line separator in string", pod("  - name: \"a\u2028b\"\n    image: x\n"), nil},
		{"no newline at end", strings.TrimSuffix(pod("  - name: a\n    image: x\n"), "\n"), nil},
		{"comments between documents", "# head\n---\n" + pod("  - name: a\n") + "# tail\n...\n# after end\n---\nkind: Service\n", []string{"# tail\n...\n# after end\n---\nkind: Service\n"}},
		{"directive (yaml.v3 reads only YAML 1.1 directives)", "%YAML 1.2\n---\n" + pod("  - name: a\n"), nil},
		{"tag directive", "%TAG !e! tag:example.com,2000:\n---\n" + pod("  - name: a\n"), []string{"%TAG !e! tag:example.com,2000:\n---\n"}},
		{"capabilities as string", pod("  - name: a\n    securityContext:\n      capabilities: ALL\n"), nil},
		{"drop as scalar", pod("  - name: a\n    securityContext:\n      capabilities:\n        drop: ALL\n"), nil},
		{"duplicate key", pod("  - name: a\n    name: b\n"), nil},
		{"json one line", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"a","image":"x"}]}}`, []string{`"securityContext": {"capabilities": {"drop": ["ALL"]}, "allowPrivilegeEscalation": false}`}},
		{"json tabs", "{\n\t\"kind\": \"Pod\",\n\t\"spec\": {\n\t\t\"containers\": [\n\t\t\t{\"name\": \"a\"}\n\t\t]\n\t}\n}\n", nil},
		{"single-quoted KYAML", "---\n{\n  apiVersion: 'v1',\n  kind: 'Pod',\n  metadata: {\n    name: 'p',\n  },\n  spec: {\n    containers: [{\n      name: 'c',\n      image: 'x',\n    }],\n  },\n}\n", []string{"drop: ['ALL']"}},
		{"replaced items keep their quotes", pod("  - name: a\n    securityContext:\n      capabilities:\n        drop: ['NET_RAW']\n"), []string{"drop: ['ALL']"}},
		{"nested list", "apiVersion: v1\nkind: List\nitems:\n- kind: List\n  items:\n  - " + strings.ReplaceAll(strings.TrimSpace(pod("  - name: a\n")), "\n", "\n    ") + "\n", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := File(context.Background(), "tricky.yaml", []byte(tc.in), Options{})
			wantErr := map[string]string{
				"directive (yaml.v3 reads only YAML 1.1 directives)": "document 1, line 1: found incompatible YAML document",
				"duplicate key": `cannot read the pod spec: yaml: unmarshal errors:
  line 8: mapping key "name" already defined at line 7`,
			}[tc.name]
			if err != nil || wantErr != "" {
				if err == nil || wantErr == "" || !strings.Contains(err.Error(), wantErr) {
					t.Fatalf("error %v, want %q", err, wantErr)
				}
				return
			}
			for _, c := range tc.contains {
				if !strings.Contains(string(res.Output), c) {
					t.Errorf("output lacks %q:\n%s", c, res.Output)
				}
			}
			again, err := File(context.Background(), "tricky.yaml", res.Output, Options{})
			if err != nil || again.Changed {
				t.Errorf("second run: changed=%v err=%v\n%s", again != nil && again.Changed, err, res.Output)
			}
		})
	}
}
