package cmd

import (
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/kubectl-caps/kubectl-caps/plugin/harden"
	"github.com/kubectl-caps/kubectl-caps/plugin/harden/sarif"
	"github.com/kubectl-caps/kubectl-caps/plugin/version"
)

// writeSARIF writes --check's findings as a SARIF log on stdout: even when some inputs failed
// (they are the log's notifications and make executionSuccessful false), since code scanning
// should still annotate the files that were read.
func (o *HardenOptions) writeSARIF(inputs []input, results []*harden.Result, failures []error, exit int) error {
	var files []sarif.File
	for i, res := range results {
		files = append(files, sarif.File{URI: sarifURI(inputs[i].name), Data: inputs[i].data, Report: res.Report})
	}
	opts := sarif.Options{ToolVersion: version.Get().Version, ExitCode: exit}
	for _, err := range failures {
		f := sarif.Failure{Message: err.Error()}
		var he *harden.Error
		if errors.As(err, &he) {
			f.URI, f.Line = sarifURI(he.File), he.Line
		}
		opts.Failures = append(opts.Failures, f)
	}
	b, err := json.MarshalIndent(sarif.Build(files, opts), "", "  ")
	if err != nil {
		return err
	}
	_, err = o.Out.Write(append(b, '\n'))
	return err
}

// sarifURI names a file the way code scanning finds it in the repository: relative to the
// working directory (run from the repository root), with forward slashes; an absolute path
// outside it becomes a file: URI.
func sarifURI(name string) string {
	if name == "-" {
		return "stdin"
	}
	p := name
	if filepath.IsAbs(p) {
		if wd, err := os.Getwd(); err == nil {
			if rel, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(rel, "..") {
				p = rel
			}
		}
	}
	if filepath.IsAbs(p) {
		return "file://" + (&url.URL{Path: filepath.ToSlash(p)}).EscapedPath()
	}
	return (&url.URL{Path: filepath.ToSlash(filepath.Clean(p))}).EscapedPath()
}
