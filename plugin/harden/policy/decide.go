package policy

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
)

// Options are the user's choices.
type Options struct {
	// Strict removes capabilities the manifest adds when nothing shows they are needed.
	Strict bool
	// DropPrivileged hardens privileged containers too (privileged: false, drop ALL).
	DropPrivileged bool
	// Level is a Pod Security Standards level to evaluate: "", "baseline" or "restricted".
	Level string
	// FixLevel also sets the fields Level needs (seccompProfile, runAsNonRoot, ...).
	FixLevel bool
}

// Where a capability's reason comes from.
const (
	SourceSpec     = "spec"     // the manifest's ports and sysctls
	SourceManifest = "manifest" // the manifest adds it explicitly
	SourceObserved = "observed" // the running workload
)

// Actions on a capability.
const (
	ActionKept    = "kept"
	ActionAdded   = "added"
	ActionRemoved = "removed"
)

// CapReason says why one capability stays, comes or goes.
type CapReason struct {
	Name   string `json:"name"`
	Action string `json:"action"`
	Source string `json:"source"`
	Reason string `json:"reason"`
}

// Decision is the hardened securityContext of one container and why.
type Decision struct {
	// Skipped says why the container is left exactly as it is (privileged, Windows).
	Skipped string
	Drop    []string
	Add     []string
	// The fields below are set to the value they must take; nil leaves them as written.
	AllowPrivilegeEscalation *bool
	Privileged               *bool
	RunAsNonRoot             *bool
	SeccompRuntimeDefault    bool

	Capabilities []CapReason
	Notes        []string
	Warnings     []string
}

type need struct {
	source, reason string
}

// Decide hardens one container. ev is nil when the workload was not observed.
func Decide(pod Pod, c Container, ev *Evidence, opt Options) Decision {
	var d Decision
	if pod.Windows {
		d.Skipped = "Windows pod: Linux capabilities do not apply"
		return d
	}
	privileged := c.SC.Privileged != nil && *c.SC.Privileged
	if privileged && !opt.DropPrivileged && ev == nil {
		d.Skipped = "privileged: true"
		d.Warnings = append(d.Warnings, "privileged: true gives every capability and every host device; left unchanged. --drop-privileged replaces it with drop: [ALL] and the minimal add list, or --observe derives that list from the running pods")
		return d
	}
	if privileged {
		f := false
		d.Privileged = &f
		d.Warnings = append(d.Warnings, "was privileged: host devices and the capabilities no rule can see a need for (mounts need SYS_ADMIN, iptables NET_ADMIN) are gone; test before rolling out")
	}

	needs := map[string][]need{}
	addNeed := func(name, source, reason string) { needs[name] = append(needs[name], need{source, reason}) }
	portNeeds(pod, c, ev, &d, addNeed)
	fileCaps := capset.Set(0)
	if ev != nil {
		fileCaps = observedNeeds(ev, &d, addNeed)
	}

	d.Drop = []string{"ALL"}
	ignoredDropAll(c.SC.Drop, &d)
	d.Add = addList(c, needs, opt, &d)

	uid := c.SC.RunAsUser
	if uid == nil {
		uid = pod.RunAsUser
	}
	nonRootFlag := c.SC.RunAsNonRoot
	if nonRootFlag == nil {
		nonRootFlag = pod.RunAsNonRoot
	}
	nonRoot := uid != nil && *uid != 0 || uid == nil && nonRootFlag != nil && *nonRootFlag
	who := "a non-root user"
	if uid != nil {
		who = "user " + strconv.FormatInt(*uid, 10)
	}

	if opt.FixLevel && fixLevel(pod, c, opt.Level, &d, uid, nonRootFlag) {
		nonRoot = true
	}
	escalation(c, ev, opt, &d, nonRoot, who, fileCaps)
	if !nonRoot && !hasAll(c.SC.Drop) && !privileged {
		runsAs := "the image's user (root unless its USER says otherwise)"
		if uid != nil {
			runsAs = "root"
		}
		d.Warnings = append(d.Warnings, fmt.Sprintf("runs as %s: drop ALL also takes CHOWN, DAC_OVERRIDE, FOWNER, SETUID and SETGID, which root images often use at start-up; --observe shows what the running pods do", runsAs))
	}
	return d
}

func portNeeds(pod Pod, c Container, ev *Evidence, d *Decision, addNeed func(string, string, string)) {
	start, startFrom := 1024, ""
	switch {
	case ev != nil && ev.UnprivilegedPortStart != nil:
		start, startFrom = *ev.UnprivilegedPortStart, "as read in the running pods"
	case pod.UnprivilegedPortStart != nil:
		start, startFrom = *pod.UnprivilegedPortStart, "as the pod's sysctls set it"
	}
	var low, free []string
	for _, p := range c.Ports {
		if p.Number <= 0 || p.Number >= 1024 {
			continue
		}
		desc := strconv.Itoa(p.Number)
		if p.Name != "" {
			desc += " (" + p.Name + ")"
		}
		if p.Number < start {
			low = append(low, desc)
		} else {
			free = append(free, desc)
		}
	}
	limit := "below 1024"
	if startFrom != "" {
		limit = fmt.Sprintf("below net.ipv4.ip_unprivileged_port_start=%d (%s)", start, startFrom)
	}
	if len(low) > 0 {
		addNeed("NET_BIND_SERVICE", SourceSpec, fmt.Sprintf("containerPort %s %s", strings.Join(low, ", "), limit))
	}
	if len(free) > 0 {
		d.Notes = append(d.Notes, fmt.Sprintf("containerPort %s needs no NET_BIND_SERVICE: net.ipv4.ip_unprivileged_port_start=%d %s", strings.Join(free, ", "), start, startFrom))
	}
	if ev != nil {
		var seen []string
		for _, p := range ev.ListenPorts {
			if p > 0 && p < start {
				seen = append(seen, strconv.Itoa(p))
			}
		}
		if len(seen) > 0 {
			addNeed("NET_BIND_SERVICE", SourceObserved, fmt.Sprintf("listening on port %s %s", strings.Join(seen, ", "), limit))
		}
	}
}

// observedNeeds turns evidence into needs and returns the capabilities that non-root processes
// hold through file capabilities.
func observedNeeds(ev *Evidence, d *Decision, addNeed func(string, string, string)) capset.Set {
	d.Notes = append(d.Notes, ev.Notes...)
	if ev.Pods == 0 {
		d.Notes = append(d.Notes, "no running pod could be read: nothing was observed")
		return 0
	}
	if ev.SwitchedUID {
		addNeed("SETUID", SourceObserved, "a process changed its uid")
	}
	if ev.SwitchedGID {
		addNeed("SETGID", SourceObserved, "a process changed its gid")
	}
	if ev.RawSockets {
		addNeed("NET_RAW", SourceObserved, "raw or packet sockets are open")
	}
	for _, name := range ev.FileCaps.Names() {
		addNeed(name, SourceObserved, "a non-root process holds it effectively (file capabilities)")
	}
	return ev.FileCaps
}

// addList keeps the manifest's own additions (normalised, once each, in their order) unless
// --strict finds no reason for them, then appends the needed ones in capability order.
func addList(c Container, needs map[string][]need, opt Options, d *Decision) []string {
	var out []string
	seen := map[string]bool{}
	// applied records capabilities the runtime applied from at least one spelling of the list.
	applied := map[string]bool{}
	for _, raw := range c.SC.Add {
		if n, _ := capsetNormalize(raw); runtimeApplies(raw) {
			applied[n] = true
		}
	}
	for _, raw := range c.SC.Add {
		name, known := capsetNormalize(raw)
		switch {
		case seen[name]:
			d.Capabilities = append(d.Capabilities, CapReason{name, ActionRemoved, SourceManifest, fmt.Sprintf("%q repeats %s", raw, name)})
			continue
		case needs[name] != nil:
			n := needs[name][0]
			d.Capabilities = append(d.Capabilities, CapReason{name, ActionKept, n.source, n.reason + joinMore(needs[name])})
		case opt.Strict:
			d.Capabilities = append(d.Capabilities, CapReason{name, ActionRemoved, SourceManifest, "added by the manifest; nothing shows it is needed (--strict)"})
			seen[name] = true
			continue
		case !known:
			d.Capabilities = append(d.Capabilities, CapReason{name, ActionKept, SourceManifest, "added by the manifest"})
			d.Warnings = append(d.Warnings, fmt.Sprintf("%q is not a capability this tool knows; the runtime may reject it", raw))
		default:
			d.Capabilities = append(d.Capabilities, CapReason{name, ActionKept, SourceManifest, "added by the manifest (--strict removes capabilities without evidence)"})
		}
		if known && !applied[name] {
			// containerd and CRI-O prefix CAP_ themselves: "CAP_X" became CAP_CAP_X (and
			// "CAP_ALL" CAP_CAP_ALL) and was dropped without a word, so the workload has been
			// running without it.
			d.Warnings = append(d.Warnings, fmt.Sprintf("%q was ignored by containerd and CRI-O (they add the CAP_ prefix themselves); written %s it takes effect for the first time: the workload ran without it so far, --strict removes it", raw, name))
		}
		if known && dangerous[name] != "" {
			d.Warnings = append(d.Warnings, fmt.Sprintf("%s kept: %s", name, dangerous[name]))
		} else if known && risky(name) {
			d.Notes = append(d.Notes, fmt.Sprintf("%s is beyond what Pod Security baseline allows", name))
		}
		seen[name] = true
		out = append(out, name)
	}
	var extra []string
	for name := range needs {
		if !seen[name] {
			extra = append(extra, name)
		}
	}
	sort.Slice(extra, func(i, j int) bool { return capRank(extra[i]) < capRank(extra[j]) })
	for _, name := range extra {
		n := needs[name][0]
		d.Capabilities = append(d.Capabilities, CapReason{name, ActionAdded, n.source, n.reason + joinMore(needs[name])})
		out = append(out, name)
	}
	return out
}

func joinMore(ns []need) string {
	var b strings.Builder
	for _, n := range ns[1:] {
		b.WriteString("; " + n.reason)
	}
	return b.String()
}

func capRank(name string) int {
	if c, ok := capOf(name); ok {
		return int(c)
	}
	return 1000
}

// capsetNormalize spells a capability the Kubernetes way; names it cannot parse stay as written.
func capsetNormalize(raw string) (string, bool) {
	name, ok := capset.Normalize(raw)
	if name == "ALL" {
		return name, true
	}
	return name, ok
}

// hasAll applies the runtime's rule for the ALL keyword (capset.IsAll): drop: [CAP_ALL] dropped
// nothing.
func hasAll(drop []string) bool {
	for _, d := range drop {
		if capset.IsAll(d) {
			return true
		}
	}
	return false
}

// runtimeApplies reports whether containerd and CRI-O apply an add or drop entry as written.
func runtimeApplies(raw string) bool {
	if capset.IsAll(raw) {
		return true
	}
	_, ok := capset.RuntimeName(raw)
	return ok
}

// ignoredDropAll explains a drop list that meant ALL in a spelling the runtime ignores.
func ignoredDropAll(drop []string, d *Decision) {
	if hasAll(drop) {
		return
	}
	for _, raw := range drop {
		if n, _ := capset.Normalize(raw); n == "ALL" {
			d.Warnings = append(d.Warnings, fmt.Sprintf("drop: %q was ignored by containerd and CRI-O (they add the CAP_ prefix themselves): the runtime's default capabilities stayed; written ALL they are dropped for the first time", raw))
			return
		}
	}
}

// escalation decides allowPrivilegeEscalation. false sets no_new_privs, which is free for
// capabilities the runtime grants directly (to root) but stops file capabilities, the only way
// a capability in add reaches a non-root process.
func escalation(c Container, ev *Evidence, opt Options, d *Decision, nonRoot bool, who string, fileCaps capset.Set) {
	var viaFile []string
	switch {
	case ev != nil && ev.Pods > 0:
		for _, name := range d.Add {
			if cp, ok := capOf(name); ok && fileCaps.Has(cp) {
				viaFile = append(viaFile, name)
			}
		}
	case nonRoot:
		viaFile = append(viaFile, d.Add...)
	}
	cur := c.SC.AllowPrivilegeEscalation
	forced := opt.FixLevel && opt.Level == "restricted"
	switch {
	case len(viaFile) > 0 && cur != nil && !*cur:
		d.Warnings = append(d.Warnings, fmt.Sprintf("%s cannot take effect: the container runs as %s and allowPrivilegeEscalation: false blocks file capabilities (binding ports below 1024 still works where the runtime lowers net.ipv4.ip_unprivileged_port_start, as containerd 2 does)", strings.Join(viaFile, ", "), who))
	case len(viaFile) > 0 && !forced:
		d.Notes = append(d.Notes, fmt.Sprintf("allowPrivilegeEscalation left unset/true: %s can reach %s only through file capabilities on the binary, which allowPrivilegeEscalation: false would block", strings.Join(viaFile, ", "), who))
	case cur == nil || *cur:
		f := false
		d.AllowPrivilegeEscalation = &f
		if len(viaFile) > 0 {
			d.Warnings = append(d.Warnings, fmt.Sprintf("allowPrivilegeEscalation: false (Pod Security restricted) stops %s from reaching %s through file capabilities", strings.Join(viaFile, ", "), who))
		}
	}
}

// fixLevel sets the other fields the Pod Security level asks of a container, and reports whether
// it made the container run as non-root.
func fixLevel(pod Pod, c Container, level string, d *Decision, uid *int64, nonRootFlag *bool) bool {
	seccomp := c.SC.SeccompType
	if seccomp == "" {
		seccomp = pod.SeccompType
	}
	switch level {
	case "restricted":
		if seccomp != "RuntimeDefault" && seccomp != "Localhost" {
			d.SeccompRuntimeDefault = true
			d.Notes = append(d.Notes, "seccompProfile: RuntimeDefault (restricted): the runtime's default filter; it rarely breaks an application")
		}
		if nonRootFlag == nil || !*nonRootFlag {
			if uid != nil && *uid == 0 {
				d.Warnings = append(d.Warnings, "runAsUser: 0 — restricted needs a non-root user; not changed")
				break
			}
			t := true
			d.RunAsNonRoot = &t
			if uid == nil {
				d.Warnings = append(d.Warnings, "runAsNonRoot: true (restricted): the kubelet refuses to start the container if its image runs as root (USER unset or 0); set runAsUser if so")
			}
			return true
		}
	case "baseline":
		if c.SC.SeccompType == "Unconfined" {
			d.SeccompRuntimeDefault = true
			d.Notes = append(d.Notes, "seccompProfile: RuntimeDefault instead of Unconfined (baseline)")
		}
	}
	return false
}
