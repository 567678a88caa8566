// Package version holds what `kubectl caps version` reports. The release build (Makefile and
// .goreleaser.yaml) stamps Version, Commit and Date with -ldflags -X; a plain `go install
// ...@vX.Y.Z` cannot, so Get falls back to what the Go toolchain recorded in the binary.
package version

import (
	"runtime"
	"runtime/debug"
)

// Stamped at link time: -X github.com/kubectl-caps/kubectl-caps/plugin/version.Version=v0.1.0 etc.
// They must stay plain string variables (not constants, not initialised from a function call),
// or the linker's -X silently does nothing.
var (
	Version = "dev"
	Commit  = "none"
	Date    = "unknown"
)

// Info is the version report. The JSON/YAML field names are part of the CLI's contract.
type Info struct {
	Version   string `json:"version" yaml:"version"`
	Commit    string `json:"commit" yaml:"commit"`
	Date      string `json:"date" yaml:"date"`
	GoVersion string `json:"goVersion" yaml:"goVersion"`
	Platform  string `json:"platform" yaml:"platform"`
}

// Get returns the version of the running binary.
func Get() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return resolve(Info{
		Version:   Version,
		Commit:    Commit,
		Date:      Date,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}, bi)
}

// resolve fills the fields the linker did not stamp from the build info the Go toolchain embeds:
// the module version for `go install module@version`, and the VCS revision and time for a build
// from a git checkout. Stamped values always win.
func resolve(in Info, bi *debug.BuildInfo) Info {
	if bi == nil {
		return in
	}
	if in.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		in.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision" && in.Commit == "none" && s.Value != "":
			in.Commit = s.Value
		case s.Key == "vcs.time" && in.Date == "unknown" && s.Value != "":
			in.Date = s.Value
		}
	}
	return in
}
