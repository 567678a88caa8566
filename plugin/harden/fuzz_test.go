package harden

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"
)

// FuzzHarden feeds arbitrary bytes to harden. Properties: no panic; when it succeeds and the
// input is a valid YAML stream, the output is one too, with the same number of documents; and
// hardening the output again changes nothing. Seeds are the golden inputs and the small corpus
// files.
func FuzzHarden(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*-raw.*")
	if entries, err := os.ReadDir(corpusDir); err == nil {
		for _, e := range entries {
			seeds = append(seeds, filepath.Join(corpusDir, e.Name()))
		}
	}
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil && len(data) < 64<<10 {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := File(context.Background(), "fuzz", data, Options{})
		if err != nil {
			return
		}
		in, inErr := countDocs(data)
		out, outErr := countDocs(res.Output)
		if inErr == nil && outErr != nil {
			t.Fatalf("output does not parse: %v\n--- in:\n%s\n--- out:\n%s", outErr, data, res.Output)
		}
		if inErr == nil && in != out {
			t.Fatalf("%d documents in, %d out\n--- in:\n%s\n--- out:\n%s", in, out, data, res.Output)
		}
		if !res.Changed && !bytes.Equal(res.Output, data) {
			t.Fatalf("unchanged but bytes differ")
		}
		again, err := File(context.Background(), "fuzz", res.Output, Options{})
		if err != nil {
			t.Fatalf("hardened output fails to harden again: %v\n--- out:\n%s", err, res.Output)
		}
		if again.Changed || !bytes.Equal(again.Output, res.Output) {
			t.Fatalf("not idempotent\n--- first:\n%s\n--- second:\n%s", res.Output, again.Output)
		}
	})
}

func countDocs(b []byte) (int, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	n := 0
	for {
		var v yaml.Node
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}
