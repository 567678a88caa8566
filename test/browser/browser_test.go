//go:build browser

// Package browser loads the page `kubectl caps show -o html` writes into a real headless
// Chromium (Debian's chromium package) over the DevTools protocol, from a file, and checks what a
// person would: nothing fails, nothing is fetched, the rows and heatmap cells are there,
// filtering works, a hostile process name is text, and a screenshot to look at.
package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/htmlreport"
	"github.com/kubectl-caps/kubectl-caps/plugin/report"
)

// hostileName is a process name in the test report (plugin/htmlreport/testdata/report.json).
const hostileName = "<script>alert(1)</script>"

func loadReport(t *testing.T) *report.Report {
	t.Helper()
	b, err := os.ReadFile("../../plugin/htmlreport/testdata/report.json")
	if err != nil {
		t.Fatal(err)
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// browser starts Chromium as this machine needs it: headless, no sandbox (root), no GPU, and
// none of the background connections a closed network refuses, with a fresh profile.
func browser(t *testing.T) (context.Context, func()) {
	t.Helper()
	exe := os.Getenv("CHROMIUM")
	if exe == "" {
		exe = "/usr/bin/chromium"
	}
	if _, err := os.Stat(exe); err != nil {
		t.Fatalf("no Chromium at %s (Debian: apt-get install chromium; CHROMIUM= names another): %v", exe, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1600, 1000),
		// Chromium's first start on a loaded 2-core machine took over chromedp's default 20 s to
		// print its DevTools address (seen in a CI-like run beside other builds).
		chromedp.WSURLReadTimeout(2 * time.Minute),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	return ctx, func() { cancelTimeout(); cancel(); cancelAlloc() }
}

// events records what the page does that a test must see: every request, console message,
// uncaught exception, browser log entry (CSP violations land there) and dialog.
type events struct {
	mu       sync.Mutex
	requests []string
	problems []string
	dialogs  []string
}

func (e *events) listen(ctx context.Context) {
	chromedp.ListenTarget(ctx, func(ev any) {
		e.mu.Lock()
		defer e.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			e.requests = append(e.requests, ev.Request.URL)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.APITypeError || ev.Type == runtime.APITypeWarning || ev.Type == runtime.APITypeAssert {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				e.problems = append(e.problems, fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
			}
		case *runtime.EventExceptionThrown:
			e.problems = append(e.problems, "exception: "+ev.ExceptionDetails.Error())
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.LevelError || ev.Entry.Level == log.LevelWarning {
				e.problems = append(e.problems, fmt.Sprintf("log %s: %s %s", ev.Entry.Level, ev.Entry.Text, ev.Entry.URL))
			}
		case *page.EventJavascriptDialogOpening:
			e.dialogs = append(e.dialogs, ev.Message)
			go func() { _ = chromedp.Run(ctx, page.HandleJavaScriptDialog(false)) }()
		}
	})
}

// held is, per workload row key ("ns/workload/container"), the capabilities its replicas'
// processes hold effectively or in a bounding set, computed here from the JSON alone.
func held(r *report.Report) (map[string]capset.Set, capset.Set) {
	out := map[string]capset.Set{}
	var all capset.Set
	for _, c := range r.Containers {
		k := c.Namespace + "/" + strings.ToLower(c.Owner.Kind) + "/" + c.Owner.Name + "/" + c.Container
		s := out[k]
		for _, p := range c.Processes {
			for _, m := range []string{p.Sets.Effective.Mask, p.Sets.Bounding.Mask} {
				x, _ := capset.ParseHex(m)
				s = s.Union(x)
			}
		}
		out[k] = s
		all = all.Union(s)
	}
	return out, all
}

func TestPageInChromium(t *testing.T) {
	r := loadReport(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "audit.html")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := htmlreport.Write(f, r); err != nil {
		t.Fatal(err)
	}
	f.Close()
	url := "file://" + file

	ctx, done := browser(t)
	defer done()
	ev := &events{}
	ev.listen(ctx)

	var rows, cells, caps, shown int
	var title string
	if err := chromedp.Run(ctx,
		network.Enable(), log.Enable(), runtime.Enable(),
		chromedp.Navigate(url),
		chromedp.WaitVisible("#heat", chromedp.ByID),
		chromedp.Title(&title),
		chromedp.Evaluate(`document.querySelectorAll("#heat tbody tr.w").length`, &rows),
		chromedp.Evaluate(`document.querySelectorAll("#heat tbody td.c").length`, &cells),
		chromedp.Evaluate(`document.querySelectorAll("#heat thead th.cap").length`, &caps),
		chromedp.Evaluate(`document.querySelectorAll("#heat tbody tr.w:not([hidden])").length`, &shown),
	); err != nil {
		t.Fatal(err)
	}
	byRow, all := held(r)
	if rows != len(byRow) || shown != rows {
		t.Errorf("%d workload rows (%d shown), want %d: one per workload container", rows, shown, len(byRow))
	}
	if caps != all.Len() || cells != rows*caps {
		t.Errorf("%d capability columns and %d cells, want %d columns and %d × %d cells", caps, cells, all.Len(), rows, all.Len())
	}

	// Filter by a capability: exactly the rows holding it stay.
	const capName = "SYS_TIME"
	c, _ := capset.ParseName(capName)
	var want []string
	for k, s := range byRow {
		if s.Has(c) {
			want = append(want, k)
		}
	}
	sort.Strings(want)
	var got []string
	if err := chromedp.Run(ctx,
		chromedp.SetValue("#f-cap", capName, chromedp.ByID),
		chromedp.Evaluate(`document.getElementById("f-cap").dispatchEvent(new Event("change")), true`, nil),
		chromedp.Evaluate(`Array.from(document.querySelectorAll("#heat tbody tr.w:not([hidden])")).map(tr => tr.dataset.ns + "/" + tr.dataset.workload + "/" + tr.dataset.container).sort()`, &got),
	); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") || len(want) == 0 {
		t.Errorf("filter %s leaves %v, want %v", capName, got, want)
	}

	// The hostile process name, in the details of pod/shared's web container, is text.
	var names []string
	var scripts int
	if err := chromedp.Run(ctx,
		chromedp.SetValue("#f-cap", "", chromedp.ByID),
		chromedp.Evaluate(`document.getElementById("f-cap").dispatchEvent(new Event("change")), true`, nil),
		chromedp.Click(`tr.w[data-workload="pod/shared"][data-container="web"] button.toggle`, chromedp.ByQuery),
		chromedp.Evaluate(`Array.from(document.querySelectorAll("td.pname")).map(td => td.textContent)`, &names),
		chromedp.Evaluate(`document.querySelectorAll("script").length`, &scripts),
	); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, n := range names {
		found = found || n == hostileName
	}
	if !found || scripts != 2 {
		t.Errorf("the hostile name should be shown as text (names %q) and add no script element (%d, want 2)", names, scripts)
	}

	// Sorting by the number of findings, most first.
	var order []string
	if err := chromedp.Run(ctx,
		chromedp.Click(`th[data-sort="nfind"] button`, chromedp.ByQuery),
		chromedp.Click(`th[data-sort="nfind"] button`, chromedp.ByQuery),
		chromedp.Evaluate(`Array.from(document.querySelectorAll("#heat tbody tr.w")).map(tr => tr.dataset.nfind)`, &order),
	); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(order); i++ {
		if order[i] > order[i-1] {
			t.Errorf("sorted by findings, descending: %v", order)
			break
		}
	}

	var png []byte
	if err := chromedp.Run(ctx,
		chromedp.Click(`th[data-sort="ns"] button`, chromedp.ByQuery),
		chromedp.FullScreenshot(&png, 100),
	); err != nil {
		t.Fatal(err)
	}
	out := os.Getenv("BROWSER_SCREENSHOT")
	if out == "" {
		out = "../../bin/browser/audit-page.png"
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(out)
	t.Logf("screenshot: %s (%d bytes)", abs, len(png))

	ev.mu.Lock()
	defer ev.mu.Unlock()
	for _, u := range ev.requests {
		if u != url {
			t.Errorf("the page requested %s: it must load nothing", u)
		}
	}
	if len(ev.requests) == 0 {
		t.Errorf("no request seen at all: the network listener is not working")
	}
	for _, p := range ev.problems {
		t.Errorf("browser reported: %s", p)
	}
	for _, d := range ev.dialogs {
		t.Errorf("a dialog opened (%q): page content ran as script", d)
	}
	t.Logf("title %q, %d rows, %d capability columns, %d cells, requests %v", title, rows, caps, cells, ev.requests)
}
