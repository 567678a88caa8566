// Package docs checks that the documentation says what the code does: README's finding table is
// the finding catalogue, and CONTRIBUTING's layout names every package.
package docs

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kubectl-caps/kubectl-caps/plugin/findings"
)

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReadmeFindingTable: the table under README's "### Findings" lists exactly the catalogue,
// in its order, with its legends.
func TestReadmeFindingTable(t *testing.T) {
	readme := read(t, "README.md")
	_, section, ok := strings.Cut(readme, "### Findings\n")
	if !ok {
		t.Fatal(`README.md has no "### Findings" section`)
	}
	row := regexp.MustCompile("^\\| `([a-z-]+)` \\| (.*) \\|$")
	var got []string
	for _, line := range strings.Split(section, "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			got = append(got, m[1]+": "+m[2])
		} else if len(got) > 0 && !strings.HasPrefix(line, "|") {
			break
		}
	}
	var want, table []string
	for _, k := range findings.Catalogue {
		want = append(want, k.ID+": "+k.Legend)
		table = append(table, fmt.Sprintf("| `%s` | %s |", k.ID, k.Legend))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("README's finding table differs from plugin/findings/catalogue.go; it must read:\n%s", strings.Join(table, "\n"))
	}
}

// TestContributingNamesEveryPackage: every Go package directory of the module is a row of
// CONTRIBUTING's layout table, and every row names a directory that exists.
func TestContributingNamesEveryPackage(t *testing.T) {
	doc := read(t, "CONTRIBUTING.md")
	rows := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z0-9/_-]+)` \\|").FindAllStringSubmatch(doc, -1) {
		rows[m[1]] = true
	}
	root := filepath.Join("..", "..")
	pkgs := map[string]bool{}
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		// The root itself is "../..", whose name also starts with a dot.
		if d.IsDir() && p != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "bin" || d.Name() == "dist") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") {
			rel, _ := filepath.Rel(root, filepath.Dir(p))
			pkgs[filepath.ToSlash(rel)] = true
		}
		return nil
	})
	for pkg := range pkgs {
		if !rows[pkg] && !rows[parentRow(pkg, rows)] {
			t.Errorf("CONTRIBUTING.md's layout does not name %s", pkg)
		}
	}
	for row := range rows {
		if _, err := os.Stat(filepath.Join(root, row)); err != nil {
			t.Errorf("CONTRIBUTING.md's layout names %s, which does not exist", row)
		}
	}
}

// parentRow finds the row that covers a package nested under a test directory (test/e2e/images/x
// is part of test/e2e); plugin packages must each have their own row.
func parentRow(pkg string, rows map[string]bool) string {
	if !strings.HasPrefix(pkg, "test/") {
		return ""
	}
	for p := filepath.Dir(pkg); p != "." && p != "test"; p = filepath.Dir(p) {
		if rows[p] {
			return p
		}
	}
	return ""
}
