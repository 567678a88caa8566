package htmlreport

import (
	"bytes"
	"encoding/json"
	"html"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/kubectl-caps/kubectl-caps/plugin/printer"
	"github.com/kubectl-caps/kubectl-caps/plugin/report"
)

// testdata/report.json is the printer's real report (../printer/testdata, from a real cluster)
// given owners: default-root as three replicas of Deployment web, one holding a process that
// dropped NET_RAW; dropall-1025 as two agreeing replicas of StatefulSet db; a pending pod; and a
// process named <script>alert(1)</script>.
func load(t *testing.T) *report.Report {
	t.Helper()
	b, err := os.ReadFile("testdata/report.json")
	if err != nil {
		t.Fatal(err)
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

func render(t *testing.T, r *report.Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := write(&b, r, "test"); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

var (
	dataRE   = regexp.MustCompile(`(?s)<script type="application/json" id="caps-report">\n(.*?)</script>`)
	styleRE  = regexp.MustCompile(`(?s)<style>(.*?)</style>`)
	scriptRE = regexp.MustCompile(`(?s)<script>(.*?)</script>`)
	cspRE    = regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]*)">`)
)

func TestPageEmbedsTheJSONReportByteForByte(t *testing.T) {
	r := load(t)
	page := render(t, r)
	m := dataRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no embedded report")
	}
	var want bytes.Buffer
	if err := printer.JSON(&want, r); err != nil {
		t.Fatal(err)
	}
	if m[1] != want.String() {
		t.Errorf("embedded report differs from -o json:\n%s", m[1])
	}
}

func TestPageFetchesNothingAndRunsOnlyItsOwnCode(t *testing.T) {
	page := render(t, load(t))
	csp := cspRE.FindStringSubmatch(page)
	if csp == nil {
		t.Fatal("no Content-Security-Policy")
	}
	style, script := styleRE.FindStringSubmatch(page), scriptRE.FindStringSubmatch(page)
	if style == nil || script == nil {
		t.Fatal("inline style or script missing")
	}
	policy := html.UnescapeString(csp[1])
	for _, want := range []string{"default-src 'none'", "style-src '" + hash(style[1]) + "'", "script-src '" + hash(script[1]) + "'"} {
		if !strings.Contains(policy, want) {
			t.Errorf("CSP %q lacks %q (the inline code must be exactly what its hash allows)", policy, want)
		}
	}
	for _, bad := range []string{"http://", "https://", "src=", "<link", "@import", "url("} {
		if strings.Contains(strings.ReplaceAll(page, "http-equiv", ""), bad) {
			t.Errorf("page contains %q: it must load nothing", bad)
		}
	}
}

func TestHostileTextStaysText(t *testing.T) {
	page := render(t, load(t))
	if strings.Count(page, "<script") != 2 {
		t.Errorf("%d script elements, want 2 (the data and the page's own code)", strings.Count(page, "<script"))
	}
	if strings.Contains(page, "alert(1)</script>") {
		t.Error("the hostile process name reached the page unescaped")
	}
	if !strings.Contains(page, `\u003cscript\u003ealert(1)\u003c/script\u003e`) {
		t.Error("the hostile name should be in the embedded JSON, escaped")
	}
}

func TestRowsAndCells(t *testing.T) {
	r := load(t)
	p := build(r, "test")
	// 16 containers: web's 3 replicas and db's 2 collapse, the rest are one each.
	if len(p.Rows) != 13 {
		t.Fatalf("%d rows, want 13", len(p.Rows))
	}
	page := render(t, r)
	if got := strings.Count(page, `<tr class="w"`); got != 13 {
		t.Errorf("%d workload rows in the page, want 13", got)
	}
	cells := strings.Count(page, `<td class="c `)
	if cells != 13*len(p.Caps) {
		t.Errorf("%d heatmap cells, want 13 × %d", cells, len(p.Caps))
	}
	var web *row
	for i := range p.Rows {
		if p.Rows[i].Workload == "deployment/web" {
			web = &p.Rows[i]
		}
	}
	if web == nil || web.Pods != 3 || web.Agree || len(web.Variants) != 2 {
		t.Fatalf("deployment/web: %+v", web)
	}
	for _, c := range web.Cells {
		if c.Cap == "NET_RAW" && (!c.Mixed || c.State != Effective) {
			t.Errorf("NET_RAW of web: %+v, want effective and mixed (one replica's process dropped it)", c)
		}
		if c.Cap == "CHOWN" && c.Mixed {
			t.Errorf("CHOWN of web is the same in every replica")
		}
	}
	last := p.Rows[len(p.Rows)-1]
	for _, c := range last.Cells {
		if last.Workload == "pod/pending-0" && c.State != Unknown {
			t.Errorf("pending pod cell %+v, want unknown", c)
		}
	}
}
