package sarif

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/kubectl-caps/kubectl-caps/plugin/harden"
	"github.com/kubectl-caps/kubectl-caps/plugin/harden/policy"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// corpusDir holds real public manifests (../shared/corpus from the repository root).
const corpusDir = "../../../../shared/corpus"

// schema is the official SARIF 2.1.0 schema (testdata/README.md says where it comes from),
// compiled by a validator that passes the JSON-Schema-Test-Suite, with format assertions on.
func schema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("testdata/sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const url = "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, log *Log) []byte {
	t.Helper()
	b, err := json.MarshalIndent(log, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(v); err != nil {
		t.Fatalf("not valid SARIF 2.1.0: %v", err)
	}
	return b
}

func hardenFile(t *testing.T, name string, data []byte, opt policy.Options) (*harden.Result, *Log) {
	t.Helper()
	res, err := harden.File(context.Background(), name, data, harden.Options{Options: opt})
	if err != nil {
		t.Fatal(err)
	}
	return res, Build([]File{{URI: name, Data: data, Report: res.Report}}, Options{ToolVersion: "test"})
}

func corpus(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Skipf("corpus not available at %s: %v", corpusDir, err)
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && e.Name() != "SOURCES.md" {
			out = append(out, filepath.Join(corpusDir, e.Name()))
		}
	}
	return out
}

// TestCorpus builds the log of every real manifest (also with --strict and --level restricted),
// validates it against the official schema, checks that every result's line lies inside the
// container it names (found in the file by an independent parse), and that applying every fix
// gives harden's own output byte for byte.
func TestCorpus(t *testing.T) {
	s := schema(t)
	total := 0
	for _, path := range corpus(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, opt := range []policy.Options{{}, {Strict: true, Level: "restricted"}} {
			name := filepath.Base(path)
			t.Run(name, func(t *testing.T) {
				if _, err := harden.File(context.Background(), name, data, harden.Options{Options: opt}); err != nil {
					// harden refuses the file (an edit it cannot make safely): --check reports
					// that as an error notification, not as results.
					t.Logf("harden %+v: %v", opt, err)
					return
				}
				res, log := hardenFile(t, name, data, opt)
				validate(t, s, log)
				spans := containerSpans(t, data)
				lines := strings.Split(string(data), "\n")
				results := log.Runs[0].Results
				total += len(results)
				for _, r := range results {
					reg := r.Locations[0].PhysicalLocation.Region
					p := r.Properties
					if r.RuleID == RulePodSecurityViolated {
						continue
					}
					ok := false
					for _, sp := range spans[p.Kind+"/"+p.Name+"/"+p.Container] {
						ok = ok || reg.StartLine >= sp[0] && reg.StartLine <= sp[1]
					}
					if !ok {
						t.Errorf("%s: %s result for container %s of %s %s is at line %d, outside the container (%v)", name, r.RuleID, p.Container, p.Kind, p.Name, reg.StartLine, spans[p.Kind+"/"+p.Name+"/"+p.Container])
						continue
					}
					if got := []rune(lines[reg.StartLine-1]); string(got[reg.StartColumn-1:]) != strings.TrimSuffix(reg.Snippet.Text, "\r") && string(got[reg.StartColumn-1:]) != reg.Snippet.Text+"\r" {
						t.Errorf("%s line %d: snippet %q is not the file's text %q", name, reg.StartLine, reg.Snippet.Text, string(got[reg.StartColumn-1:]))
					}
				}
				fixed := map[string]bool{}
				for _, r := range results {
					if len(r.Fixes) > 0 {
						fixed[r.Properties.Kind+"/"+r.Properties.Name+"/"+r.Properties.Container] = true
					}
				}
				for _, w := range res.Report.Workloads {
					for _, c := range w.Containers {
						if c.Changed && !fixed[w.Kind+"/"+w.Name+"/"+c.Name] {
							t.Errorf("%s: container %s of %s %s is changed by harden but has no result with a fix", name, c.Name, w.Kind, w.Name)
						}
					}
				}
				if got := applyFixes(t, data, results); !bytes.Equal(got, res.Output) {
					t.Errorf("%s: applying every fix does not give harden's output", name)
				}
			})
		}
	}
	t.Logf("%d results over the corpus", total)
}

// containerSpans finds every container in the file with yaml.v3 alone (lines are the stream's):
// kind/name/container → [first line, last line].
func containerSpans(t *testing.T, data []byte) map[string][][2]int {
	t.Helper()
	out := map[string][][2]int{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		walkObjects(&doc, out)
	}
}

func walkObjects(n *yaml.Node, out map[string][][2]int) {
	if n.Kind == yaml.DocumentNode {
		for _, c := range n.Content {
			walkObjects(c, out)
		}
		return
	}
	if n.Kind != yaml.MappingNode {
		return
	}
	kind, name := scalar(n, "kind"), ""
	if md := value(n, "metadata"); md != nil {
		name = scalar(md, "name")
		if name == "" {
			name = scalar(md, "generateName")
		}
	}
	if items := value(n, "items"); items != nil && strings.HasSuffix(kind, "List") {
		for _, it := range items.Content {
			walkObjects(it, out)
		}
		return
	}
	var find func(*yaml.Node)
	find = func(m *yaml.Node) {
		if m.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(m.Content); i += 2 {
				k, v := m.Content[i], m.Content[i+1]
				if (k.Value == "containers" || k.Value == "initContainers" || k.Value == "ephemeralContainers") && v.Kind == yaml.SequenceNode {
					for _, c := range v.Content {
						key := kind + "/" + name + "/" + scalar(c, "name")
						out[key] = append(out[key], [2]int{c.Line, lastLine(c)})
					}
					continue
				}
				find(v)
			}
		}
	}
	find(n)
}

func lastLine(n *yaml.Node) int {
	l := n.Line
	for _, c := range n.Content {
		if x := lastLine(c); x > l {
			l = x
		}
	}
	return l
}

func value(m *yaml.Node, key string) *yaml.Node {
	for i := 0; m.Kind == yaml.MappingNode && i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func scalar(m *yaml.Node, key string) string {
	if v := value(m, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

// applyFixes applies each distinct replacement once (a container's results share one fix),
// from the end of the file backwards.
func applyFixes(t *testing.T, data []byte, results []Result) []byte {
	t.Helper()
	tx := newText(data)
	type edit struct {
		start, end int
		text       string
	}
	seen := map[string]bool{}
	var edits []edit
	for _, r := range results {
		for _, f := range r.Fixes {
			for _, ch := range f.ArtifactChanges {
				for _, rep := range ch.Replacements {
					d := rep.DeletedRegion
					e := edit{offset(tx, d.StartLine, d.StartColumn), offset(tx, d.EndLine, d.EndColumn), rep.InsertedContent.Text}
					k := string(rune(e.start)) + "/" + string(rune(e.end)) + "/" + e.text
					if !seen[k] {
						seen[k] = true
						edits = append(edits, e)
					}
				}
			}
		}
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].start > edits[j].start })
	out := append([]byte{}, data...)
	for i, e := range edits {
		if i > 0 && e.end > edits[i-1].start {
			t.Fatalf("fixes overlap at byte %d", e.end)
		}
		out = append(append(append([]byte{}, out[:e.start]...), e.text...), out[e.end:]...)
	}
	return out
}

// offset turns a 1-based line and code-point column back into a byte offset.
func offset(tx *text, line, col int) int {
	off := tx.starts[line-1]
	for i := 1; i < col; i++ {
		_, size := decodeRune(tx.data[off:])
		off += size
	}
	return off
}

func decodeRune(b []byte) (rune, int) {
	r := []rune(string(b[:min(4, len(b))]))
	if len(r) == 0 {
		return 0, 1
	}
	return r[0], len(string(r[0]))
}

func TestGolden(t *testing.T) {
	s := schema(t)
	data, err := os.ReadFile("testdata/problems.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, log := hardenFile(t, "deploy/problems.yaml", data, policy.Options{})
	got := validate(t, s, log)
	got = append(got, '\n')
	const golden = "testdata/problems.sarif.golden"
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("log differs from %s (go test -update rewrites it):\n%s", golden, got)
	}
	var rules []string
	for _, r := range log.Runs[0].Results {
		rules = append(rules, r.Properties.Container+":"+r.RuleID+"@"+itoa(r.Locations[0].PhysicalLocation.Region.StartLine))
	}
	want2 := "nginx:drop-all-missing@14 nginx:privilege-escalation-allowed@14 clock:drop-all-missing@24 clock:capability-name-ignored@23 clock:privilege-escalation-allowed@21 clock:capability-without-evidence@23 priv:privileged@40"
	if strings.Join(rules, " ") != want2 {
		t.Errorf("results\n%s\nwant\n%s", strings.Join(rules, " "), want2)
	}
}

// TestTheValidatorRejects proves the schema check can fail: a level SARIF does not define and a
// line 0 are refused.
func TestTheValidatorRejects(t *testing.T) {
	s := schema(t)
	data, _ := os.ReadFile("testdata/problems.yaml")
	_, log := hardenFile(t, "p.yaml", data, policy.Options{})
	for _, breakIt := range []func(*Log){
		func(l *Log) { l.Runs[0].Results[0].Level = "fatal" },
		func(l *Log) { l.Runs[0].Results[0].Locations[0].PhysicalLocation.Region.StartLine = 0 },
		func(l *Log) { l.Version = "2.0.0" },
	} {
		b, _ := json.Marshal(log)
		var cp Log
		_ = json.Unmarshal(b, &cp)
		breakIt(&cp)
		b, _ = json.Marshal(&cp)
		v, _ := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err := s.Validate(v); err == nil {
			t.Errorf("an invalid log passed the schema")
		}
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}
