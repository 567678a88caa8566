package cmd

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kubectl-caps/kubectl-caps/plugin/findings"
	"github.com/kubectl-caps/kubectl-caps/plugin/printer"
	"github.com/kubectl-caps/kubectl-caps/plugin/report"
)

// validateFindings checks --fail-on against the catalogue: a misspelt ID would never match and
// the audit would pass forever.
func validateFindings(ids []string) error {
	for _, id := range ids {
		if findings.Legend(id) == "" {
			return fmt.Errorf("--fail-on: unknown finding %q; findings are %s", id, strings.Join(findingIDs(), ", "))
		}
	}
	return nil
}

func findingIDs() []string {
	ids := make([]string, len(findings.Catalogue))
	for i, k := range findings.Catalogue {
		ids[i] = k.ID
	}
	return ids
}

// findingCounter counts the containers with each --fail-on finding.
type findingCounter struct {
	want   map[string]bool
	counts map[string]int
}

func newFindingCounter(ids []string) *findingCounter {
	c := &findingCounter{want: map[string]bool{}, counts: map[string]int{}}
	for _, id := range ids {
		c.want[id] = true
	}
	return c
}

func (c *findingCounter) add(row *report.Container) {
	for _, f := range row.Findings {
		if c.want[f.ID] {
			c.counts[f.ID]++
		}
	}
}

// found lists what was met, in catalogue order: "privileged (2 containers)".
func (c *findingCounter) found() []string {
	ids := make([]string, 0, len(c.counts))
	for id := range c.counts {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return findings.Rank(ids[i]) < findings.Rank(ids[j]) })
	out := make([]string, len(ids))
	for i, id := range ids {
		n := c.counts[id]
		unit := "containers"
		if n == 1 {
			unit = "container"
		}
		out[i] = fmt.Sprintf("%s (%d %s)", id, n, unit)
	}
	return out
}

// reportFile is --report: the JSON report streamed into a temporary file beside the target,
// renamed over it once complete, so a reader never sees half a report. A nil reportFile (no
// --report) does nothing.
type reportFile struct {
	tmp    *os.File
	path   string
	stream *printer.JSONStream
}

func newReportFile(path string) (*reportFile, error) {
	if path == "" {
		return nil, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".caps-*")
	if err != nil {
		return nil, fmt.Errorf("--report: %v", err)
	}
	return &reportFile{tmp: tmp, path: path, stream: printer.NewJSONStream(tmp, report.New())}, nil
}

func (f *reportFile) add(c report.Container) {
	if f != nil {
		f.stream.Add(c)
	}
}

// abort removes the unfinished file: no half report is left behind.
func (f *reportFile) abort() {
	if f != nil {
		f.tmp.Close()
		os.Remove(f.tmp.Name())
	}
}

func (f *reportFile) close() error {
	if f == nil {
		return nil
	}
	defer os.Remove(f.tmp.Name()) // a no-op once renamed
	err := firstOf(f.stream.Close(), f.tmp.Sync(), f.tmp.Close())
	if err == nil {
		err = os.Chmod(f.tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.tmp.Name(), f.path)
	}
	if err != nil {
		return fmt.Errorf("--report: %v", err)
	}
	return nil
}
