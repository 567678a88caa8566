package cmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/pmezard/go-difflib/difflib"

	"github.com/kubectl-caps/kubectl-caps/plugin/harden"
	"github.com/kubectl-caps/kubectl-caps/plugin/termsafe"
)

// emit writes what was asked: hardened manifests, a diff, patches, or files in place. On stdout
// nothing is written when any input failed: a partial stream piped into kubectl apply would
// apply half a change.
func (o *HardenOptions) emit(inputs []input, results []*harden.Result, failed bool) error {
	switch {
	case o.InPlace:
		var firstErr error
		for i, res := range results {
			if !res.Changed {
				continue
			}
			if err := writeAtomic(inputs[i].path, res.Output, inputs[i].mode); err != nil {
				fmt.Fprintf(o.ErrOut, "error: %s: %v (left unchanged)\n", inputs[i].name, err)
				if firstErr == nil {
					firstErr = fmt.Errorf("some files could not be written")
				}
				continue
			}
			fmt.Fprintf(o.ErrOut, "%s: written\n", inputs[i].name)
		}
		if o.Diff {
			return firstOf(firstErr, o.writeDiffs(inputs, results))
		}
		return firstErr
	case failed:
		return nil
	case o.Diff:
		return o.writeDiffs(inputs, results)
	case o.Check:
		return nil
	case o.Output == "patch":
		var all []harden.Patch
		var problems []string
		for _, r := range results {
			for _, p := range r.Patches {
				if p.Problem != "" {
					problems = append(problems, fmt.Sprintf("%s %s: %s", p.Kind, p.Name, p.Problem))
				}
				all = append(all, p)
			}
		}
		if len(problems) > 0 {
			// A component that silently leaves a container out would read as done.
			return fmt.Errorf("cannot write every patch:\n  %s", termsafe.Clean(strings.Join(problems, "\n  ")))
		}
		out, err := harden.RenderPatches(all)
		if err != nil {
			return err
		}
		_, err = o.Out.Write(out)
		return err
	}
	outs := make([][]byte, len(results))
	for i, r := range results {
		outs[i] = r.Output
	}
	_, err := o.Out.Write(joinStreams(outs))
	return err
}

func firstOf(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// joinStreams concatenates files into one YAML stream: each file's bytes as they are, with a
// document separator between files where the next one does not start with its own.
func joinStreams(outs [][]byte) []byte {
	if len(outs) == 1 {
		return outs[0]
	}
	var b bytes.Buffer
	for i, o := range outs {
		if i > 0 {
			if b.Len() > 0 && !bytes.HasSuffix(b.Bytes(), []byte("\n")) {
				b.WriteString("\n")
			}
			if !bytes.HasPrefix(o, []byte("---")) {
				b.WriteString("---\n")
			}
		}
		b.Write(o)
	}
	return b.Bytes()
}

func (o *HardenOptions) writeDiffs(inputs []input, results []*harden.Result) error {
	for i, res := range results {
		if !res.Changed {
			continue
		}
		name := inputs[i].name
		d, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
			A:        diffLines(inputs[i].data),
			B:        diffLines(res.Output),
			FromFile: "a/" + name,
			ToFile:   "b/" + name,
			Context:  3,
		})
		if err != nil {
			return err
		}
		if _, err := fmt.Fprint(o.Out, d); err != nil {
			return err
		}
	}
	return nil
}

// diffLines splits a file into lines for difflib, each with its line break. (difflib.SplitLines
// adds an empty last line that would show as a phantom context line.)
func diffLines(b []byte) []string {
	lines := strings.SplitAfter(string(b), "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if n := len(lines); n > 0 && !strings.HasSuffix(lines[n-1], "\n") {
		lines[n-1] += "\n\\ No newline at end of file\n"
	}
	return lines
}

// writeAtomic replaces path with data so that readers see the old file or the new one, never a
// half-written one: a temporary file in the same directory, synced, then renamed over it. A
// symlink is followed, so the link stays a link.
func writeAtomic(path string, data []byte, mode fs.FileMode) error {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".caps-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if mode != 0 {
		if err := os.Chmod(tmp.Name(), mode); err != nil {
			return err
		}
	}
	return os.Rename(tmp.Name(), path)
}

func writeJSONReport(path string, r *harden.Report) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(path, append(b, '\n'), 0o644)
}
