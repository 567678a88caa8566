package harden

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pmezard/go-difflib/difflib"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata from the current output")

// optionsFor reads options from a case's name: strict-*, dropprivileged-*, restricted-* (with
// --fix-level), baseline-* (evaluation only), respell-* (--respell-cap-prefix).
func optionsFor(name string) Options {
	var o Options
	for _, part := range strings.Split(name, "-") {
		switch part {
		case "strict":
			o.Strict = true
		case "dropprivileged":
			o.DropPrivileged = true
		case "restricted":
			o.Level, o.FixLevel = "restricted", true
		case "baseline":
			o.Level = "baseline"
		case "respell":
			o.RespellPrefixed = true
		}
	}
	return o
}

// TestGolden hardens every testdata/<case>-raw.<ext> and compares the result with
// <case>-want.<ext> and the report with <case>-report.txt. Run with -update to accept changes.
func TestGolden(t *testing.T) {
	raws, err := filepath.Glob("testdata/*-raw.*")
	if err != nil || len(raws) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, raw := range raws {
		base := filepath.Base(raw)
		i := strings.LastIndex(base, "-raw.")
		name, ext := base[:i], base[i+len("-raw"):]
		t.Run(name, func(t *testing.T) {
			in, err := os.ReadFile(raw)
			if err != nil {
				t.Fatal(err)
			}
			res, err := File(context.Background(), base, in, optionsFor(name))
			if err != nil {
				t.Fatal(err)
			}
			var report bytes.Buffer
			WriteText(&report, res.Report)
			if len(res.Patches) > 0 {
				p, err := RenderPatches(res.Patches)
				if err != nil {
					t.Fatal(err)
				}
				report.WriteString("--- patches (-o patch)\n")
				report.Write(p)
			}
			golden(t, filepath.Join("testdata", name+"-want"+ext), res.Output)
			golden(t, filepath.Join("testdata", name+"-report.txt"), report.Bytes())

			again, err := File(context.Background(), base, res.Output, optionsFor(name))
			if err != nil {
				t.Fatalf("hardening the output again: %v", err)
			}
			if again.Changed || !bytes.Equal(again.Output, res.Output) {
				t.Errorf("hardening is not idempotent:\n%s", textDiff(string(res.Output), string(again.Output)))
			}
		})
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if d := textDiff(string(want), string(got)); d != "" {
		t.Errorf("%s differs:\n%s", path, d)
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
