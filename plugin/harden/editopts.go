package harden

import "github.com/kubectl-caps/kubectl-caps/plugin/manifest"

// EditOptions are the options harden edits manifests with. Whoever replays one of harden's
// changes on its own (a SARIF fix for one container) uses them, so the edit is byte for byte the
// one harden makes.
func EditOptions() manifest.Options { return editOptions }
