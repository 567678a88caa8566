//go:build krew

package krewtest

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-caps/kubectl-caps/plugin/version"
	"github.com/kubectl-caps/kubectl-caps/test/fakeapi"
)

// The end-to-end install test. `make krew-test` builds the snapshot archives (goreleaser), the
// pinned krew and validate-krew-manifest, and passes their paths in these variables.
//
// Everything a user meets is real: the archives goreleaser made, krew installing them, the
// kubectl binary dispatching to the plugin and running kubectl_complete-caps for completion. The
// API server behind the completion and `show` checks is test/fakeapi, a real HTTPS server
// standing in for a cluster that cannot run inside a test.
func TestKrewInstall(t *testing.T) {
	env := requireEnv(t, "DIST", "KREW_BIN", "VALIDATE_KREW_MANIFEST", "KUBECTL")
	dist := env["DIST"]
	meta := readMetadata(t, dist)
	tag := "v" + meta.Version
	archives := readArchives(t, dist)
	t.Logf("snapshot %s (commit %s): %d archives", tag, meta.Commit, len(archives))

	t.Run("archives", func(t *testing.T) { checkArchives(t, dist, tag, archives) })

	// A download server for the archives: krew's fetcher speaks http(s) only, and
	// validate-krew-manifest downloads every platform's archive from its manifest URI.
	srv := httptest.NewServer(http.FileServer(http.Dir(dist)))
	t.Cleanup(srv.Close)

	tmp := t.TempDir()
	manifest := renderManifest(t, dist, tag, srv.URL, tmp)

	// PATH starts with kubectl, kubectl-krew and krew's bin; the system's /usr/bin and /bin
	// follow for the shell tools a user has (the caveat's cp). `kubectl plugin list` runs with
	// only the first two, so it shows exactly what this install put there.
	toolBin := filepath.Join(tmp, "tools")
	mustMkdir(t, toolBin)
	mustSymlink(t, env["KUBECTL"], filepath.Join(toolBin, "kubectl"))
	mustSymlink(t, env["KREW_BIN"], filepath.Join(toolBin, "kubectl-krew"))
	krewRoot := filepath.Join(tmp, "krew")
	home := filepath.Join(tmp, "home")
	mustMkdir(t, home)
	pluginPath := toolBin + string(os.PathListSeparator) + filepath.Join(krewRoot, "bin")
	userEnv := []string{
		"PATH=" + pluginPath + string(os.PathListSeparator) + "/usr/bin" + string(os.PathListSeparator) + "/bin",
		"HOME=" + home,
		"KREW_ROOT=" + krewRoot,
		"KUBECONFIG=" + filepath.Join(home, "no-cluster"),
	}

	t.Run("validate-krew-manifest", func(t *testing.T) {
		// It installs every platform's archive (KREW_OS/KREW_ARCH) with `kubectl krew install`
		// into its own temporary KREW_ROOT and checks each one extracts a LICENSE.
		stdout, stderr := mustRunBoth(t, userEnv, env["VALIDATE_KREW_MANIFEST"], "-manifest", manifest)
		out := stdout + stderr
		t.Logf("validate-krew-manifest:\n%s", out)
		for _, want := range []string{"structural validation OK", "no overlapping spec.platform[].selector", "all 6 spec.platforms installed fine"} {
			if !strings.Contains(out, want) {
				t.Errorf("validate-krew-manifest output lacks %q:\n%s", want, out)
			}
		}
	})

	archive := filepath.Join(dist, archiveName(tag, runtime.GOOS, runtime.GOARCH))
	t.Run("krew install", func(t *testing.T) {
		stdout, stderr := mustRunBoth(t, userEnv, "kubectl", "krew", "install", "--manifest="+manifest, "--archive="+archive)
		out := stdout + stderr
		t.Logf("kubectl krew install:\n%s", out)
		for _, want := range []string{`Installed plugin: caps`, `kubectl_complete-caps "${KREW_ROOT:-$HOME/.krew}/bin/"`} {
			if !strings.Contains(out, want) {
				t.Errorf("install output lacks %q", want)
			}
		}
	})
	if t.Failed() {
		t.FailNow()
	}

	t.Run("kubectl caps version", func(t *testing.T) {
		out := mustRun(t, userEnv, "kubectl", "caps", "version", "-o", "json")
		var info version.Info
		if err := json.Unmarshal([]byte(out), &info); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if info.Version != tag || !regexp.MustCompile(`^[0-9a-f]{7,}$`).MatchString(info.Commit) || !strings.HasPrefix(meta.Commit, info.Commit) ||
			info.Date == "unknown" || info.Platform != runtime.GOOS+"/"+runtime.GOARCH {
			t.Errorf("version -o json = %+v, want version %s, commit a prefix of %s, a date, platform %s/%s",
				info, tag, meta.Commit, runtime.GOOS, runtime.GOARCH)
		}
		plain := mustRun(t, userEnv, "kubectl", "caps", "version")
		if info.AgentImage != version.AgentImage(tag) {
			t.Errorf("agentImage = %q, want %q (the release's agent image tag)", info.AgentImage, version.AgentImage(tag))
		}
		if want := fmt.Sprintf("kubectl caps %s (commit %s, built %s)\nagent image: %s\n", tag, info.Commit, info.Date, version.AgentImage(tag)); plain != want {
			t.Errorf("kubectl caps version = %q, want %q", plain, want)
		}
		t.Logf("kubectl caps version: %s", plain)
	})

	t.Run("kubectl plugin list", func(t *testing.T) {
		stdout, stderr, err := run(t, append(slices.Clone(userEnv[1:]), "PATH="+pluginPath), "kubectl", "plugin", "list")
		t.Logf("kubectl plugin list:\n%s%s", stdout, stderr)
		if err != nil || stderr != "" {
			t.Errorf("kubectl plugin list: err %v, stderr %q: want no error and no warning", err, stderr)
		}
		if !strings.Contains(stdout, filepath.Join(krewRoot, "bin", "kubectl-caps")+"\n") {
			t.Errorf("kubectl plugin list does not show krew's kubectl-caps:\n%s", stdout)
		}
	})

	// The caveat's command, run as the user would paste it.
	t.Run("completion caveat", func(t *testing.T) {
		// Before it kubectl has no helper to ask, so it completes nothing for the plugin: what
		// the next subtest gets is the helper's doing.
		if got := candidates(mustRun(t, userEnv, "kubectl", "__complete", "caps", "")); len(got) != 0 {
			t.Errorf("kubectl __complete caps '' before the caveat = %q, want nothing", got)
		}
		line := caveatCommand(t, manifest)
		mustRun(t, userEnv, "/bin/sh", "-c", line)
		fi, err := os.Stat(filepath.Join(krewRoot, "bin", "kubectl_complete-caps"))
		if err != nil || fi.Mode().Perm()&0o111 == 0 {
			t.Fatalf("after the caveat's %q: kubectl_complete-caps in krew's bin: %v, mode %v", line, err, fi)
		}
	})

	// A cluster to complete against and to show.
	api := fakeapi.Start(t, fakeapi.Options{Exec: fakeapi.RunLocally},
		fakeapi.Node(fakeapi.DefaultNode, "containerd://2.1.0"),
		fakeapi.Namespace("default"), fakeapi.Namespace("kube-system"),
		fakeapi.Pod("default", "web-1", "app"), fakeapi.Pod("default", "web-2", "app"))
	deploy, rs, pods := fakeapi.Deployment("default", "api", 1, "app")
	if err := api.Add(deploy, rs); err != nil {
		t.Fatal(err)
	}
	for _, p := range pods {
		if err := api.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	kubeconfig, err := api.WriteKubeconfig(tmp)
	if err != nil {
		t.Fatal(err)
	}
	clusterEnv := append(slices.Clone(userEnv[:len(userEnv)-1]), "KUBECONFIG="+kubeconfig)

	t.Run("completion through kubectl", func(t *testing.T) {
		// `kubectl __complete caps ...` is what kubectl's own shell completion runs on TAB: kubectl
		// finds the plugin, runs kubectl_complete-caps with the words after "caps", and passes
		// the candidates and directive on.
		tests := []struct {
			words []string
			want  []string // candidates that must be there
			not   []string // candidates that must not
		}{
			{[]string{"caps", ""}, []string{"show", "version", "completion"}, nil},
			{[]string{"caps", "show", ""}, append([]string{"web-1", "web-2", "deployments/", "pods/"}, pods[0].Name), nil},
			{[]string{"caps", "show", "deployments/"}, []string{"deployments/api"}, []string{"web-1"}},
			{[]string{"caps", "show", "-n", ""}, []string{"default", "kube-system"}, nil},
			{[]string{"caps", "show", "--context", ""}, []string{fakeapi.ContextName}, nil},
			{[]string{"caps", "show", "-o", ""}, []string{"json", "yaml", "wide"}, nil},
			{[]string{"caps", "version", "-o", ""}, []string{"json", "yaml"}, []string{"wide"}},
		}
		for _, tt := range tests {
			out := mustRun(t, clusterEnv, "kubectl", append([]string{"__complete"}, tt.words...)...)
			got := candidates(out)
			t.Logf("kubectl __complete %q → %q", tt.words, strings.Split(strings.TrimSpace(out), "\n"))
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("kubectl __complete %q: no %q among %q", tt.words, w, got)
				}
			}
			for _, n := range tt.not {
				if slices.Contains(got, n) {
					t.Errorf("kubectl __complete %q: unexpected %q among %q", tt.words, n, got)
				}
			}
			if lines := strings.Split(strings.TrimSpace(out), "\n"); !strings.HasPrefix(lines[len(lines)-1], ":") {
				t.Errorf("kubectl __complete %q: last line is not a directive:\n%s", tt.words, out)
			}
		}

		// The helper on its own, as kubectl calls it: the last argument is the word to complete.
		out := mustRun(t, clusterEnv, "kubectl_complete-caps", "show", "web-1", "web")
		if got := candidates(out); !slices.Equal(got, []string{"web-2"}) {
			t.Errorf("kubectl_complete-caps show web-1 web = %q, want [web-2]", got)
		}
	})

	t.Run("kubectl caps show", func(t *testing.T) {
		// The installed binary against the API server; exec runs the collector's command on
		// this machine, so it reads real /proc data.
		out := mustRun(t, clusterEnv, "kubectl", "caps", "show", "web-1")
		table, _, _ := strings.Cut(out, "\n\n") // the findings below it list every host process
		t.Logf("kubectl caps show web-1:\n%s", table)
		if !strings.Contains(out, "web-1") || !strings.Contains(out, "app") {
			t.Errorf("kubectl caps show web-1 does not list the pod's container:\n%s", out)
		}
	})
}

func requireEnv(t *testing.T, names ...string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, n := range names {
		v := os.Getenv(n)
		if v == "" {
			t.Fatalf("%s is not set: run this test with `make krew-test`", n)
		}
		env[n] = v
	}
	return env
}

type metadata struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
}

func readMetadata(t *testing.T, dist string) metadata {
	t.Helper()
	var m metadata
	b, err := os.ReadFile(filepath.Join(dist, "metadata.json"))
	if err == nil {
		err = json.Unmarshal(b, &m)
	}
	if err != nil || m.Version == "" {
		t.Fatalf("goreleaser's dist/metadata.json: %v (%+v); run `make release-snapshot` first", err, m)
	}
	return m
}

type artifact struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	Goos   string `json:"goos"`
	Goarch string `json:"goarch"`
	Type   string `json:"type"`
}

// readArchives returns goreleaser's record of what it built: the archives and checksum file.
func readArchives(t *testing.T, dist string) []artifact {
	t.Helper()
	var all, out []artifact
	b, err := os.ReadFile(filepath.Join(dist, "artifacts.json"))
	if err == nil {
		err = json.Unmarshal(b, &all)
	}
	if err != nil {
		t.Fatalf("dist/artifacts.json: %v", err)
	}
	for _, a := range all {
		if a.Type == "Archive" || a.Type == "Checksum" {
			out = append(out, a)
		}
	}
	return out
}

func archiveName(tag, goos, goarch string) string {
	ext := ".tar.gz"
	if goos == "windows" {
		ext = ".zip"
	}
	return fmt.Sprintf("kubectl-caps_%s_%s_%s%s", tag, goos, goarch, ext)
}

// checkArchives checks that goreleaser made one archive per platform under the name the krew
// manifest expects, that the checksums file agrees with the files, and that each archive holds
// exactly the binary, the completion helper (both executable), LICENSE and README.md.
func checkArchives(t *testing.T, dist, tag string, archives []artifact) {
	sums := map[string]string{}
	var names []string
	for _, a := range archives {
		if a.Type == "Checksum" {
			if a.Name != "kubectl-caps_"+tag+"_checksums.txt" {
				t.Errorf("checksums file %q", a.Name)
			}
			f, err := os.Open(filepath.Join(dist, a.Name))
			if err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				if sum, name, ok := strings.Cut(sc.Text(), "  "); ok {
					sums[name] = sum
				}
			}
			f.Close()
			continue
		}
		names = append(names, a.Name)
	}
	for _, goos := range []string{"linux", "darwin", "windows"} {
		for _, goarch := range []string{"amd64", "arm64"} {
			name := archiveName(tag, goos, goarch)
			if !slices.Contains(names, name) {
				t.Errorf("no archive %s among %q", name, names)
				continue
			}
			path := filepath.Join(dist, name)
			if got, _ := sha256File(path); sums[name] != got {
				t.Errorf("%s: checksums file says %q, file has %q", name, sums[name], got)
			}
			exe, script := "", ""
			if goos == "windows" {
				exe, script = ".exe", ".cmd"
			}
			want := map[string]bool{"kubectl-caps" + exe: true, "kubectl_complete-caps" + script: true, "LICENSE": false, "README.md": false}
			got := archiveEntries(t, path)
			for entry, executable := range want {
				mode, ok := got[entry]
				switch {
				case !ok:
					t.Errorf("%s lacks %s", name, entry)
				case executable && goos != "windows" && mode&0o111 == 0:
					t.Errorf("%s: %s is not executable (%v)", name, entry, mode)
				}
			}
			if len(got) != len(want) {
				t.Errorf("%s holds %v, want exactly %v", name, got, want)
			}
		}
	}
}

// archiveEntries lists the regular files of a .tar.gz or .zip with their modes.
func archiveEntries(t *testing.T, path string) map[string]os.FileMode {
	t.Helper()
	entries := map[string]os.FileMode{}
	if strings.HasSuffix(path, ".zip") {
		z, err := zip.OpenReader(path)
		if err != nil {
			t.Fatal(err)
		}
		defer z.Close()
		for _, f := range z.File {
			entries[f.Name] = f.Mode()
		}
		return entries
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return entries
		}
		if err != nil {
			t.Fatal(err)
		}
		entries[h.Name] = h.FileInfo().Mode()
	}
}

// renderManifest renders krew/caps.yaml for the snapshot: every release URI must name an
// archive goreleaser made (that is the check that name_template and the manifest agree), and
// is rewritten to the local download server.
func renderManifest(t *testing.T, dist, tag, serverURL, tmp string) string {
	t.Helper()
	tmpl, err := os.ReadFile(filepath.Join("..", "..", "krew", "caps.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := Render(tmpl, tag, func(uri string) (string, string, error) {
		name, ok := strings.CutPrefix(uri, ReleaseDownload+tag+"/")
		if !ok {
			return "", "", fmt.Errorf("archive URI %q does not start with %s%s/", uri, ReleaseDownload, tag)
		}
		file := filepath.Join(dist, name)
		if _, err := os.Stat(file); err != nil {
			return "", "", fmt.Errorf("manifest names %s, which goreleaser did not make: %w", name, err)
		}
		return serverURL + "/" + name, file, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(tmp, "manifest")
	mustMkdir(t, dir)
	// validate-krew-manifest takes the plugin name from the file name.
	path := filepath.Join(dir, "caps.yaml")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("rendered manifest %s:\n%s", path, out)
	return path
}

// caveatCommand returns the completion caveat's shell command from the rendered manifest.
func caveatCommand(t *testing.T, manifest string) string {
	t.Helper()
	b, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*(cp .*kubectl_complete-caps.*)$`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no cp command for kubectl_complete-caps in the caveats of %s", manifest)
	}
	return string(m[1])
}

// candidates returns the completion candidates (before any tab and description) without the
// directive line.
func candidates(out string) []string {
	var c []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" || strings.HasPrefix(line, ":") {
			continue
		}
		name, _, _ := strings.Cut(line, "\t")
		c = append(c, name)
	}
	return c
}

func run(t *testing.T, env []string, name string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	path := name
	if !strings.Contains(name, "/") {
		// Resolve against the test's PATH, not this process's.
		path = lookPath(env, name)
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// mustRun runs a command that must succeed and returns its standard output.
func mustRun(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	stdout, _ := mustRunBoth(t, env, name, args...)
	return stdout
}

// mustRunBoth runs a command that must succeed and returns its standard output and error.
func mustRunBoth(t *testing.T, env []string, name string, args ...string) (string, string) {
	t.Helper()
	stdout, stderr, err := run(t, env, name, args...)
	if err != nil {
		t.Fatalf("%s %q: %v\nstdout:\n%s\nstderr:\n%s", name, args, err, stdout, stderr)
	}
	return stdout, stderr
}

func lookPath(env []string, name string) string {
	for _, kv := range env {
		if p, ok := strings.CutPrefix(kv, "PATH="); ok {
			for _, dir := range filepath.SplitList(p) {
				if fi, err := os.Stat(filepath.Join(dir, name)); err == nil && fi.Mode()&0o111 != 0 {
					return filepath.Join(dir, name)
				}
			}
		}
	}
	return name
}

func mustMkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}
