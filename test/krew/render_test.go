package krewtest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// plugin is the part of krew's index.Plugin (v1alpha2) the checks below read.
type plugin struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		Version          string     `yaml:"version"`
		Homepage         string     `yaml:"homepage"`
		ShortDescription string     `yaml:"shortDescription"`
		Description      string     `yaml:"description"`
		Caveats          string     `yaml:"caveats"`
		Platforms        []platform `yaml:"platforms"`
	} `yaml:"spec"`
}

type platform struct {
	Selector struct {
		MatchLabels map[string]string `yaml:"matchLabels"`
	} `yaml:"selector"`
	URI    string `yaml:"uri"`
	Sha256 string `yaml:"sha256"`
	Files  []struct {
		From string `yaml:"from"`
		To   string `yaml:"to"`
	} `yaml:"files"`
	Bin string `yaml:"bin"`
}

// TestRenderManifest renders krew/caps.yaml against stand-in archives (distinct contents, so
// each sha256 must be the one of its own platform's file) and checks what krew-index and krew
// rely on.
func TestRenderManifest(t *testing.T) {
	tmpl, err := os.ReadFile(filepath.Join("..", "..", "krew", "caps.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const tag = "v1.2.3"
	dir := t.TempDir()
	resolve := func(uri string) (string, string, error) {
		name, ok := strings.CutPrefix(uri, ReleaseDownload+tag+"/")
		if !ok || strings.Contains(name, "/") {
			return "", "", fmt.Errorf("archive URI %q is not a %s asset", uri, tag)
		}
		file := filepath.Join(dir, name)
		if err := os.WriteFile(file, []byte("archive "+name), 0o644); err != nil {
			return "", "", err
		}
		return uri, file, nil
	}
	out, err := Render(tmpl, tag, resolve)
	if err != nil {
		t.Fatal(err)
	}
	var p plugin
	if err := yaml.Unmarshal(out, &p); err != nil {
		t.Fatalf("rendered manifest is not YAML: %v\n%s", err, out)
	}

	if p.APIVersion != "krew.googlecontainertools.github.com/v1alpha2" || p.Kind != "Plugin" || p.Metadata.Name != "caps" {
		t.Errorf("header = %s %s %s", p.APIVersion, p.Kind, p.Metadata.Name)
	}
	if p.Spec.Version != tag {
		t.Errorf("spec.version = %q, want %q", p.Spec.Version, tag)
	}
	if p.Spec.ShortDescription == "" || strings.ContainsAny(p.Spec.ShortDescription, "\r\n") || len(p.Spec.ShortDescription) > 50 {
		t.Errorf("shortDescription %q: must be one short line", p.Spec.ShortDescription)
	}
	if p.Spec.Homepage != "https://github.com/kubectl-caps/kubectl-caps" || p.Spec.Description == "" {
		t.Errorf("homepage %q, description %q", p.Spec.Homepage, p.Spec.Description)
	}
	if !strings.Contains(p.Spec.Caveats, `cp "${KREW_ROOT:-$HOME/.krew}"/store/caps/*/kubectl_complete-caps "${KREW_ROOT:-$HOME/.krew}/bin/"`) {
		t.Errorf("caveats do not say how to enable completion:\n%s", p.Spec.Caveats)
	}

	sha := regexp.MustCompile(`^[a-f0-9]{64}$`)
	seen := map[string]bool{}
	for _, pl := range p.Spec.Platforms {
		goos, goarch := pl.Selector.MatchLabels["os"], pl.Selector.MatchLabels["arch"]
		key := goos + "/" + goarch
		if len(pl.Selector.MatchLabels) != 2 || seen[key] {
			t.Errorf("platform %s: selector must be exactly one os/arch pair, once: %v", key, pl.Selector.MatchLabels)
		}
		seen[key] = true
		exe, script, ext := "", "", ".tar.gz"
		if goos == "windows" {
			exe, script, ext = ".exe", ".cmd", ".zip"
		}
		name := fmt.Sprintf("kubectl-caps_%s_%s_%s%s", tag, goos, goarch, ext)
		if want := ReleaseDownload + tag + "/" + name; pl.URI != want {
			t.Errorf("platform %s: uri = %q, want %q", key, pl.URI, want)
		}
		if want, _ := sha256File(filepath.Join(dir, name)); !sha.MatchString(pl.Sha256) || pl.Sha256 != want {
			t.Errorf("platform %s: sha256 = %q, want %q (lowercase hex of its own archive)", key, pl.Sha256, want)
		}
		if pl.Bin != "kubectl-caps"+exe {
			t.Errorf("platform %s: bin = %q", key, pl.Bin)
		}
		var from []string
		for _, f := range pl.Files {
			from = append(from, f.From+"->"+f.To)
		}
		if got, want := strings.Join(from, " "), fmt.Sprintf("kubectl-caps%s->. kubectl_complete-caps%s->. LICENSE->. README.md->.", exe, script); got != want {
			t.Errorf("platform %s: files = %s, want %s", key, got, want)
		}
	}
	for _, goos := range []string{"linux", "darwin", "windows"} {
		for _, goarch := range []string{"amd64", "arm64"} {
			if !seen[goos+"/"+goarch] {
				t.Errorf("no platform for %s/%s", goos, goarch)
			}
		}
	}
	if len(p.Spec.Platforms) != 6 {
		t.Errorf("%d platforms, want 6", len(p.Spec.Platforms))
	}
}

// TestBotHelpers pins the behaviour copied from krew-release-bot's template functions.
func TestBotHelpers(t *testing.T) {
	for tag, want := range map[string]string{"v0.0.2": "0.0.2", "v1.2.3-snapshot.gabc": "1.2.3", "no-version": "no-version"} {
		if got := versionFromTag(tag); got != want {
			t.Errorf("versionFromTag(%q) = %q, want %q", tag, got, want)
		}
	}
	for _, tt := range []struct {
		n       int
		in, out string
	}{
		{4, "uri: u\nsha256: s", "uri: u\n    sha256: s"},
		{6, "uri: u\n    sha256: s", "uri: u\n      sha256: s"},
	} {
		if got := indent(tt.n, tt.in); got != tt.out {
			t.Errorf("indent(%d, %q) = %q, want %q", tt.n, tt.in, got, tt.out)
		}
	}
}
