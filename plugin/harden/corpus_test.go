package harden

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/harden/policy"
	"github.com/kubectl-caps/kubectl-caps/plugin/manifest"
	"github.com/kubectl-caps/kubectl-caps/plugin/workload"
)

// corpusDir holds real public manifests (../shared/corpus from the repository root; see
// SOURCES.md there). Tests skip, saying so, where it is absent.
const corpusDir = "../../../shared/corpus"

func corpusFiles(t testing.TB) []string {
	t.Helper()
	entries, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Skipf("corpus not available at %s (the shared/ folder beside the repository): %v", corpusDir, err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() || e.Name() == "SOURCES.md" {
			continue
		}
		out = append(out, filepath.Join(corpusDir, e.Name()))
	}
	if len(out) == 0 {
		t.Skipf("corpus at %s is empty", corpusDir)
	}
	return out
}

// TestCorpus hardens every real manifest and checks what the issue asks: the output parses, the
// documents are the same and in the same order, untouched documents are byte-identical, only
// securityContext values changed, every non-privileged container drops ALL, needed capabilities
// stay, and a second run changes nothing.
func TestCorpus(t *testing.T) {
	for _, path := range corpusFiles(t) {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			in, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			res, err := File(context.Background(), name, in, Options{})
			if err != nil {
				t.Fatal(err)
			}
			inDocs, outDocs := decodeAll(t, in), decodeAll(t, res.Output)
			if len(inDocs) != len(outDocs) {
				t.Fatalf("%d documents in, %d out", len(inDocs), len(outDocs))
			}
			inStream, _ := manifest.Parse(in)
			outStream, err := manifest.Parse(res.Output)
			if err != nil {
				t.Fatalf("output does not parse: %v", err)
			}
			if len(inStream.Docs) != len(outStream.Docs) {
				t.Fatalf("%d pieces in, %d out", len(inStream.Docs), len(outStream.Docs))
			}
			for i, d := range inStream.Docs {
				od := outStream.Docs[i]
				if d.Root == nil || len(workload.Find(d.Root)) == 0 {
					if !bytes.Equal(d.Raw, od.Raw) {
						t.Errorf("document %d has no pod template but changed", d.Number)
					}
					continue
				}
				checkOnlySecurityContexts(t, d, od)
			}
			checkHardened(t, name, outStream)

			again, err := File(context.Background(), name, res.Output, Options{})
			if err != nil {
				t.Fatalf("second run: %v", err)
			}
			if again.Changed || !bytes.Equal(again.Output, res.Output) {
				t.Errorf("second run changed the output")
			}
			// Every option set edits every container it decides to change.
			for _, opt := range []policy.Options{{}, {Strict: true}, {DropPrivileged: true}} {
				r, err := File(context.Background(), name, in, Options{Options: opt})
				if err != nil {
					t.Fatalf("%+v: %v", opt, err)
				}
				for _, w := range r.Report.Workloads {
					for _, c := range w.Containers {
						if strings.HasPrefix(c.Skipped, "cannot edit safely") {
							t.Errorf("%+v: %s container %s: %s", opt, w.Name, c.Name, c.Skipped)
						}
					}
				}
			}
		})
	}
}

// decodeAll decodes a stream the way kubectl would read it.
func decodeAll(t *testing.T, b []byte) []any {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var out []any
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("does not parse as a YAML stream: %v", err)
		}
		out = append(out, v)
	}
}

// checkOnlySecurityContexts compares two versions of a document with every container's
// securityContext taken out: they must be equal.
func checkOnlySecurityContexts(t *testing.T, before, after *manifest.Doc) {
	t.Helper()
	strip := func(d *manifest.Doc) any {
		var v any
		if err := d.Root.Decode(&v); err != nil {
			t.Fatal(err)
		}
		for _, tpl := range workload.Find(d.Root) {
			for _, c := range tpl.Containers {
				if m, ok := lookup(v, c.Path).(map[string]any); ok {
					delete(m, "securityContext")
				}
			}
		}
		return v
	}
	if !manifest.Equal(strip(before), strip(after)) {
		t.Errorf("document %d: something besides securityContext changed", before.Number)
	}
}

func lookup(v any, path []any) any {
	out, _ := manifest.Lookup(v, path)
	return out
}

func checkHardened(t *testing.T, file string, s *manifest.Stream) {
	t.Helper()
	for _, d := range s.Docs {
		if d.Root == nil {
			continue
		}
		for _, tpl := range workload.Find(d.Root) {
			for _, c := range tpl.Containers {
				sc, _ := c.Spec["securityContext"].(map[string]any)
				if sc["privileged"] == true {
					continue
				}
				caps, _ := sc["capabilities"].(map[string]any)
				drop, _ := caps["drop"].([]any)
				if len(drop) != 1 || drop[0] != "ALL" {
					t.Errorf("%s %s container %s: drop = %v, want [ALL]", tpl.Kind, tpl.Name, c.Name, drop)
				}
				add, _ := caps["add"].([]any)
				for _, a := range add {
					if n, ok := capset.Normalize(a.(string)); !ok || n != a {
						t.Errorf("%s %s container %s: add %q is not normalised", tpl.Kind, tpl.Name, c.Name, a)
					}
				}
				if strings.Contains(file, "ingress-nginx") && tpl.Kind == "Deployment" {
					if len(add) != 1 || add[0] != "NET_BIND_SERVICE" {
						t.Errorf("ingress-nginx controller %s: add = %v, want [NET_BIND_SERVICE] (ports 80, 443)", c.Name, add)
					}
				}
			}
		}
	}
}
