package htmlreport

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/kubectl-caps/kubectl-caps/plugin/printer"
	"github.com/kubectl-caps/kubectl-caps/plugin/report"
	"github.com/kubectl-caps/kubectl-caps/plugin/version"
)

var (
	//go:embed page.html
	pageHTML string
	//go:embed page.css
	pageCSS string
	//go:embed page.js
	pageJS string
)

var tmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"join":      func(l []string) string { return strings.Join(l, " ") },
	"add":       func(a, b int) int { return a + b },
	"symbol":    symbol,
	"stateName": stateName,
}).Parse(pageHTML))

// Write renders the page for a report.
func Write(w io.Writer, r *report.Report) error {
	return write(w, r, version.Get().Version)
}

func write(w io.Writer, r *report.Report, ver string) error {
	var js bytes.Buffer
	// The same encoder as -o json: <, > and & come out as \u003c, \u003e, \u0026, so no
	// container text can end the script element that holds the data.
	if err := printer.JSON(&js, r); err != nil {
		return err
	}
	data := struct {
		Page page
		CSP  string
		CSS  template.CSS
		JS   template.JS
		JSON template.JS
	}{
		Page: build(r, ver),
		// Nothing may be fetched: no default source, and only this exact style and script run.
		CSP: fmt.Sprintf("default-src 'none'; style-src '%s'; script-src '%s'; img-src 'none'; base-uri 'none'; form-action 'none'",
			hash(pageCSS), hash(pageJS)),
		CSS:  template.CSS(pageCSS),
		JS:   template.JS(pageJS),
		JSON: template.JS(js.String()),
	}
	return tmpl.Execute(w, data)
}

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

func symbol(state string) string {
	switch state {
	case Effective:
		return "●"
	case Bounding:
		return "○"
	case Unknown:
		return "?"
	}
	return ""
}

func stateName(state string) string {
	switch state {
	case Effective:
		return "effective"
	case Bounding:
		return "bounding set only"
	case Unknown:
		return "not read"
	}
	return "absent"
}
