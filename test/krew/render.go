// Package krewtest checks the krew plugin manifest (krew/caps.yaml) the way it will be used:
// rendered like krew-release-bot renders it, validated by krew's validate-krew-manifest and
// installed by a real krew, with the plugin then run through the real kubectl. The end-to-end
// test is behind the `krew` build tag (`make krew-test`); the rendering test runs with the unit
// tests.
package krewtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"text/template"
)

// ReleaseDownload is where GitHub serves release assets; every archive URI in the manifest
// starts with it, followed by the tag and the archive's file name.
const ReleaseDownload = "https://github.com/kubectl-caps/kubectl-caps/releases/download/"

// Resolver maps an archive URI as the release will have it to the URI to write into the rendered
// manifest and the local file whose sha256 goes beside it.
type Resolver func(uri string) (renderedURI, file string, err error)

// Render executes a krew-release-bot template as the bot does: text/template over the values
// {TagName}, with addURIAndSha(urlTemplate, tag) rendering the URL against {TagName, Version} and
// returning "uri: ...\n    sha256: ..." (four spaces, the bot's fixed indent), and indent(n, s).
// The only difference is where the archive comes from: the bot downloads the URL, Render asks
// resolve for a local file.
func Render(tmpl []byte, tag string, resolve Resolver) ([]byte, error) {
	funcs := template.FuncMap{
		"addURIAndSha": func(urlTemplate, tag string) (string, error) {
			u, err := template.New("url").Parse(urlTemplate)
			if err != nil {
				return "", err
			}
			var uri bytes.Buffer
			if err := u.Execute(&uri, struct{ TagName, Version string }{tag, versionFromTag(tag)}); err != nil {
				return "", err
			}
			rendered, file, err := resolve(uri.String())
			if err != nil {
				return "", err
			}
			sum, err := sha256File(file)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("uri: %s\n    sha256: %s", rendered, sum), nil
		},
		"indent": indent,
	}
	t, err := template.New("manifest").Funcs(funcs).Option("missingkey=error").Parse(string(tmpl))
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := t.Execute(&out, struct{ TagName string }{tag}); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

var versionRE = regexp.MustCompile(`\d+(\.\d+)+`)

// versionFromTag is the bot's .Version: the first dotted number in the tag, or the tag itself.
func versionFromTag(tag string) string {
	if v := versionRE.FindString(tag); v != "" {
		return v
	}
	return tag
}

// indent is the bot's indent helper: re-indents addURIAndSha's second line to n spaces.
func indent(n int, s string) string {
	s = strings.ReplaceAll(s, "\n    sha256:", "\nsha256:")
	pad := strings.Repeat(" ", n)
	return strings.TrimSpace(pad + strings.ReplaceAll(s, "\n", "\n"+pad))
}

// sha256File returns the lowercase hex sha256 of a file, the form krew requires.
func sha256File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
