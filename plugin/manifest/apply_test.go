package manifest

import (
	"strings"
	"testing"

	"github.com/pmezard/go-difflib/difflib"
)

func capsSame(have, want string) bool {
	return strings.EqualFold(strings.TrimPrefix(strings.ToUpper(have), "CAP_"), want)
}

var opts = Options{
	KeyOrder: []string{"capabilities", "drop", "add", "allowPrivilegeEscalation"},
	SameItem: capsSame,
}

func sc(drop []any, add []any, extra ...any) map[string]any {
	caps := map[string]any{"drop": drop}
	if add != nil {
		caps["add"] = add
	}
	m := map[string]any{"capabilities": caps}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i].(string)] = extra[i+1]
	}
	return m
}

func TestApply(t *testing.T) {
	all := []any{"ALL"}
	tests := []struct {
		name string
		in   string
		path []any
		want any
		out  string
	}{{
		name: "insert securityContext at the end of a block container",
		in: `spec:
  containers:
  - name: a
    image: x # pinned
  - name: b
`,
		path: []any{"spec", "containers", 0, "securityContext"},
		want: sc(all, nil, "allowPrivilegeEscalation", false),
		out: `spec:
  containers:
  - name: a
    image: x # pinned
    securityContext:
      capabilities:
        drop:
        - ALL
      allowPrivilegeEscalation: false
  - name: b
`,
	}, {
		name: "respell lowercase all and append add, keeping comments",
		in: `securityContext:
  capabilities:
    drop:
      - all   # everything
    add: # needed
      # for ping
      - NET_RAW
  readOnlyRootFilesystem: true
`,
		path: []any{"securityContext"},
		want: sc(all, []any{"NET_RAW", "NET_BIND_SERVICE"}, "readOnlyRootFilesystem", true, "allowPrivilegeEscalation", false),
		out: `securityContext:
  capabilities:
    drop:
      - ALL   # everything
    add: # needed
      # for ping
      - NET_RAW
      - NET_BIND_SERVICE
  readOnlyRootFilesystem: true
  allowPrivilegeEscalation: false
`,
	}, {
		name: "remove an item with its head comment, and a duplicate",
		in: `caps:
  add:
  - SYS_TIME
  # risky
  - SYS_ADMIN
  - cap_sys_time
  drop: [ALL]
`,
		path: []any{"caps", "add"},
		want: []any{"SYS_TIME"},
		out: `caps:
  add:
  - SYS_TIME
  drop: [ALL]
`,
	}, {
		name: "remove the add key",
		in: `caps:
  add:
  - SYS_ADMIN
  drop: [ALL]
`,
		path: []any{"caps"},
		want: map[string]any{"drop": all},
		out: `caps:
  drop: [ALL]
`,
	}, {
		name: "flow style one line",
		in:   "c: {name: a, securityContext: {capabilities: {drop: [all], add: [SYS_TIME, NET_ADMIN]}}}\n",
		path: []any{"c", "securityContext"},
		want: sc(all, []any{"NET_ADMIN"}, "allowPrivilegeEscalation", false),
		out:  "c: {name: a, securityContext: {capabilities: {drop: [ALL], add: [NET_ADMIN]}, allowPrivilegeEscalation: false}}\n",
	}, {
		name: "flow container without securityContext",
		in:   "containers: [{name: a, image: b}]\n",
		path: []any{"containers", 0, "securityContext"},
		want: sc(all, nil),
		out:  "containers: [{name: a, image: b, securityContext: {capabilities: {drop: [ALL]}}}]\n",
	}, {
		name: "empty flow securityContext",
		in:   "c:\n  securityContext: {}\n",
		path: []any{"c", "securityContext"},
		want: sc(all, nil),
		out:  "c:\n  securityContext: {capabilities: {drop: [ALL]}}\n",
	}, {
		name: "empty block securityContext",
		in:   "c:\n  securityContext:\n  name: x\n",
		path: []any{"c", "securityContext"},
		want: sc(all, nil),
		out:  "c:\n  securityContext:\n    capabilities:\n      drop:\n      - ALL\n  name: x\n",
	}, {
		name: "JSON pretty printed",
		in: `{
    "spec": {
        "containers": [
            {
                "name": "a",
                "image": "b"
            }
        ]
    }
}
`,
		path: []any{"spec", "containers", 0, "securityContext"},
		want: sc(all, nil, "allowPrivilegeEscalation", false),
		out: `{
    "spec": {
        "containers": [
            {
                "name": "a",
                "image": "b",
                "securityContext": {
                    "capabilities": {
                        "drop": ["ALL"]
                    },
                    "allowPrivilegeEscalation": false
                }
            }
        ]
    }
}
`,
	}, {
		name: "KYAML with trailing commas",
		in: `{
  spec: {
    containers: [{
      name: "a",
      image: "b",
    }],
  },
}
`,
		path: []any{"spec", "containers", 0, "securityContext"},
		want: sc(all, nil),
		out: `{
  spec: {
    containers: [{
      name: "a",
      image: "b",
      securityContext: {
        capabilities: {
          drop: ["ALL"],
        },
      },
    }],
  },
}
`,
	}, {
		name: "CRLF",
		in:   "c:\r\n  name: a\r\n  securityContext:\r\n    runAsUser: 1\r\n",
		path: []any{"c", "securityContext"},
		want: sc(all, nil, "runAsUser", 1),
		out:  "c:\r\n  name: a\r\n  securityContext:\r\n    runAsUser: 1\r\n    capabilities:\r\n      drop:\r\n      - ALL\r\n",
	}, {
		name: "no final line break",
		in:   "c:\n  name: a",
		path: []any{"c", "securityContext"},
		want: sc(all, nil),
		out:  "c:\n  name: a\n  securityContext:\n    capabilities:\n      drop:\n      - ALL",
	}, {
		name: "four-space indent and indented sequences",
		in:   "c:\n    env:\n        -   name: x\n    name: a\n",
		path: []any{"c", "securityContext"},
		want: sc(all, nil),
		out:  "c:\n    env:\n        -   name: x\n    name: a\n    securityContext:\n        capabilities:\n            drop:\n                - ALL\n",
	}, {
		name: "alias used by a container that needs a different value is expanded",
		in: `a:
  securityContext: &sc
    runAsUser: 1
b:
  securityContext: *sc
`,
		path: []any{"a", "securityContext"},
		want: sc(all, nil, "runAsUser", 1),
		out: `a:
  securityContext: &sc
    runAsUser: 1
    capabilities:
      drop:
      - ALL
b:
  securityContext:
    runAsUser: 1
`,
	}, {
		name: "boolean written as a string is rewritten",
		in:   "s:\n  allowPrivilegeEscalation: \"true\"\n",
		path: []any{"s", "allowPrivilegeEscalation"},
		want: false,
		out:  "s:\n  allowPrivilegeEscalation: false\n",
	}, {
		name: "drop list without ALL becomes ALL",
		in:   "s:\n  drop:\n  - NET_RAW # no ping\n  x: 1\n",
		path: []any{"s", "drop"},
		want: all,
		out:  "s:\n  drop:\n  - ALL\n  x: 1\n",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			var doc *Doc
			for _, d := range s.Docs {
				if d.Root != nil {
					doc = d
				}
			}
			got, err := doc.Apply([]Change{{Path: tc.path, Want: tc.want}}, opts)
			if err != nil {
				t.Fatal(err)
			}
			if d := textDiff(tc.out, string(got)); d != "" {
				t.Errorf("%s", d)
			}
		})
	}
}

// textDiff is a unified diff of want and got, "" when equal.
func textDiff(want, got string) string {
	if want == got {
		return ""
	}
	d, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(want), B: difflib.SplitLines(got), FromFile: "want", ToFile: "got", Context: 3,
	})
	return d
}
