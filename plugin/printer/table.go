// Package printer renders a report as kubectl-style tables or as JSON/YAML. It is pure: a report
// in, bytes out, so every format has a golden file.
package printer

import (
	"bytes"
	"io"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/kubectl-caps/kubectl-caps/plugin/termsafe"
)

// newTable makes a table that looks like `kubectl get`: no borders, left-aligned, upper-case
// headers as given, three spaces between columns, no wrapping (a row is one line, for grep).
func newTable(w io.Writer) *tablewriter.Table {
	return tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Symbols: tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{
				Separators: tw.SeparatorsNone,
				Lines:      tw.LinesNone,
			},
		})),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithPadding(tw.Padding{Left: "", Right: "   ", Overwrite: true}),
		tablewriter.WithTrimSpace(tw.Off),
	)
}

// cells sanitizes every cell: container-provided text must not reach the terminal raw.
func cells(values ...string) []string {
	for i, v := range values {
		values[i] = termsafe.Clean(v)
	}
	return values
}

// renderTo renders t (which writes into buf) and copies it to w without trailing spaces.
func renderTo(w io.Writer, t *tablewriter.Table, buf *bytes.Buffer) error {
	if err := t.Render(); err != nil {
		return err
	}
	for _, line := range bytes.SplitAfter(buf.Bytes(), []byte("\n")) {
		trimmed := bytes.TrimRight(line, " \n")
		if len(trimmed) == 0 && len(line) == 0 {
			continue
		}
		if _, err := w.Write(append(trimmed, '\n')); err != nil {
			return err
		}
	}
	return nil
}
