package policy

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/containers"
)

// Options are the user's choices.
type Options struct {
	// Strict removes capabilities the manifest adds when nothing shows they are needed.
	Strict bool
	// DropPrivileged hardens privileged containers (and those adding ALL) too: privileged: false,
	// drop ALL, and the capabilities something shows a need for.
	DropPrivileged bool
	// RespellPrefixed writes add entries that containerd ignores ("CAP_NET_ADMIN") the way every
	// runtime applies them ("NET_ADMIN"): on purpose, a first-time grant on containerd.
	RespellPrefixed bool
	// Runtimes are the runtime families (containerd, cri-o, docker) the hardened spec must not
	// grant more on than the original; empty means every runtime package expect models.
	Runtimes []string
	// Level is a Pod Security Standards level to evaluate: "", "baseline" or "restricted".
	Level string
	// FixLevel also sets the fields Level needs (seccompProfile, runAsNonRoot, ...).
	FixLevel bool
	// AddDenied adds the capabilities a trace saw refused (Evidence.Needs with Denied): on
	// purpose, a first-time grant (the workload ran without them).
	AddDenied bool
}

// Where a capability's reason comes from.
const (
	SourceSpec     = "spec"     // the manifest's ports and sysctls
	SourceManifest = "manifest" // the manifest adds it explicitly
	SourceCommand  = "command"  // the programs the manifest's command and args run
	SourceImage    = "image"    // harden's table of well-known images (images.go)
	SourceObserved = "observed" // the running workload
	SourceTraced   = "traced"   // a trace of the workload's capability checks (Evidence.Needs)
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
	// Skipped says why the container is left exactly as it is (privileged, Windows, a capability
	// that cannot be kept without granting it somewhere for the first time).
	Skipped string
	Drop    []string
	Add     []string // as they are to be written: normalised, or as written where that is safer
	// The fields below are set to the value they must take; nil leaves them as written.
	AllowPrivilegeEscalation *bool
	Privileged               *bool
	RunAsNonRoot             *bool
	SeccompRuntimeDefault    bool
	// Licensed are capabilities the user's flags make effective where they were not
	// (--respell-cap-prefix): the only ones the hardened spec may grant beyond the original's.
	Licensed capset.Set

	Capabilities []CapReason
	Notes        []string
	Warnings     []string
}

type need struct {
	name, source, reason string
}

// howToFindOut is what the report tells people to do where nothing speaks for a container.
const howToFindOut = "run the hardened manifest in a test namespace first, let --observe read what the running pods do, or --trace record the capability checks they make"

// facts gathers what is known about one container besides its securityContext.
type facts struct {
	img      imageMatch
	imgKnown bool
	cmd      commandFacts
	observed bool // running pods were read
	held     held
}

// Decide hardens one container. ev is nil when the workload was not observed.
func Decide(pod Pod, c Container, ev *Evidence, opt Options) Decision {
	var d Decision
	switch {
	case pod.Windows:
		d.Skipped = "Windows pod: Linux capabilities do not apply"
		return d
	case c.Type == containers.Ephemeral:
		d.Skipped = "ephemeral container: kubectl debug adds it to a running pod through the ephemeralcontainers subresource; a manifest cannot create or change it"
		return d
	}
	f := facts{cmd: readCommand(c), observed: ev != nil && (ev.Pods > 0 || ev.Traced > 0), held: holdings(pod, c, opt.RuleSets())}
	f.img, f.imgKnown = lookupImage(c.Image, c.Name)
	privileged := c.SC.Privileged != nil && *c.SC.Privileged
	addsAll := hasAll(c.SC.Add)
	switch {
	case privileged && !opt.DropPrivileged && ev == nil:
		d.Skipped = "privileged: true"
		w := "privileged: true gives every capability and every host device; left unchanged. --drop-privileged replaces it with drop: [ALL] and the capabilities harden can derive (from the command, its table of images, --observe), warning about what is likely missing"
		if f.imgKnown && f.img.entry.privileged != "" {
			w += "; but " + f.img.entry.name + " needs it: " + f.img.entry.privileged
		}
		d.Warnings = append(d.Warnings, w)
		return d
	case addsAll && !privileged && !opt.Strict && !opt.DropPrivileged && ev == nil:
		d.Skipped = "adds ALL"
		d.Warnings = append(d.Warnings, "add: [ALL] gives every capability (minus those dropped by name); left unchanged, as nothing shows which it needs. --drop-privileged replaces it with drop: [ALL] and the capabilities harden can derive, --strict removes it, --observe derives the list from the running pods")
		return d
	}
	if privileged {
		no := false
		d.Privileged = &no
	}

	needs := map[string][]need{}
	addNeed := func(n need) { needs[n.name] = append(needs[n.name], n) }
	uid := c.SC.RunAsUser
	if uid == nil {
		uid = pod.RunAsUser
	}
	startsAsRoot := uid != nil && *uid == 0 || uid == nil && !(f.imgKnown && f.img.entry.uid != nil)
	// The strongest evidence first: its reason is the one a capability is listed with.
	portNeeds(pod, c, ev, &d, addNeed)
	fileCaps := capset.Set(0)
	if ev != nil {
		fileCaps = observedNeeds(ev, opt, &d, addNeed)
	}
	if startsAsRoot {
		for _, n := range f.cmd.needs {
			addNeed(n)
		}
	}
	imageNeeds(pod, c, ev, f, uid, startsAsRoot, &d, addNeed)

	d.Drop = []string{"ALL"}
	ignoredDropAll(c.SC.Drop, &d)
	d.Add = addList(c, needs, f.held, opt, &d)
	if d.Skipped != "" {
		return Decision{Skipped: d.Skipped, Capabilities: d.Capabilities, Notes: d.Notes, Warnings: d.Warnings}
	}

	nonRootFlag := c.SC.RunAsNonRoot
	if nonRootFlag == nil {
		nonRootFlag = pod.RunAsNonRoot
	}
	nonRoot := uid != nil && *uid != 0 || uid == nil && nonRootFlag != nil && *nonRootFlag
	who := "a non-root user"
	switch {
	case uid != nil:
		who = "user " + strconv.FormatInt(*uid, 10)
	case f.imgKnown && f.img.entry.uid != nil:
		nonRoot = true
		who = fmt.Sprintf("the image's user (uid %d)", *f.img.entry.uid)
	}

	if opt.FixLevel && fixLevel(pod, c, opt.Level, &d, uid, nonRootFlag) {
		nonRoot = true
	}
	if nonRoot && ev != nil {
		rootOnlyTraced(ev, &d, who)
	}
	escalation(c, f, opt, &d, nonRoot, who, fileCaps)
	if privileged {
		d.Warnings = append(d.Warnings, droppedPrivileged(pod, c, f))
	}
	speaks := f.observed || f.imgKnown || f.cmd.known || len(f.cmd.needs) > 0
	if !nonRoot && !hasAll(c.SC.Drop) && !privileged && !speaks {
		runsAs := "the image's user (root unless its USER says otherwise)"
		if uid != nil {
			runsAs = "root"
		}
		image := fmt.Sprintf("image %q is not in harden's table of well-known images", clip(c.Image))
		if c.Image == "" {
			image = "the container names no image"
		}
		command := "the manifest sets no command"
		if len(c.Command) > 0 {
			command = "its command runs programs harden does not know"
		}
		d.Warnings = append(d.Warnings, fmt.Sprintf("runs as %s and nothing shows what it does at start-up (%s; %s): drop ALL also takes CHOWN, DAC_OVERRIDE, FOWNER, SETUID and SETGID, which images that start as root often use to chown their files and switch users; %s", runsAs, image, command, howToFindOut))
	}
	return d
}

// portStart is the lowest port a process without NET_BIND_SERVICE may bind, and where that
// comes from ("" for the kernel's default).
func portStart(pod Pod, ev *Evidence) (int, string) {
	switch {
	case ev != nil && ev.UnprivilegedPortStart != nil:
		return *ev.UnprivilegedPortStart, "as read in the running pods"
	case pod.HostNetwork:
		// The node's network namespace: its sysctl applies, not the pod's or the runtime's.
		return 1024, "the node's value, assumed: hostNetwork"
	case pod.UnprivilegedPortStart != nil:
		return *pod.UnprivilegedPortStart, "as the pod's sysctls set it"
	}
	return 1024, ""
}

func portNeeds(pod Pod, c Container, ev *Evidence, d *Decision, addNeed func(need)) {
	start, startFrom := portStart(pod, ev)
	var low, free []string
	for _, p := range c.Ports {
		if p.Number <= 0 || p.Number >= 1024 {
			if p.HostPort > 0 && p.HostPort < 1024 && !pod.HostNetwork {
				d.Notes = append(d.Notes, fmt.Sprintf("hostPort %d is opened on the node (by the CNI portmap plugin) and forwarded to containerPort %d: the container itself binds %d", p.HostPort, p.Number, p.Number))
			}
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
		addNeed(need{"NET_BIND_SERVICE", SourceSpec, fmt.Sprintf("containerPort %s %s", strings.Join(low, ", "), limit)})
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
			addNeed(need{"NET_BIND_SERVICE", SourceObserved, fmt.Sprintf("listening on port %s %s", strings.Join(seen, ", "), limit)})
		}
	}
}

// imageNeeds adds what the table says the image's entrypoint needs, and says whether the image
// is known.
func imageNeeds(pod Pod, c Container, ev *Evidence, f facts, uid *int64, startsAsRoot bool, d *Decision, addNeed func(need)) {
	if !f.imgKnown {
		return
	}
	e := f.img.entry
	d.Notes = append(d.Notes, fmt.Sprintf("image %q is %s in harden's table of well-known images (repository %s): runs as %s [%s]", clean(f.img.ref), e.name, f.img.repo, e.runsAs, e.source))
	if e.uid == nil && !startsAsRoot {
		d.Notes = append(d.Notes, fmt.Sprintf("%s's entrypoint starts as root, but runAsUser is %d: it cannot chown or switch users, so the table's capabilities are not added", e.name, *uid))
		return
	}
	start, _ := portStart(pod, ev)
	for _, n := range e.needs {
		if n.port > 0 && n.port >= start {
			continue // the pod opens ports below 1024 to everyone
		}
		if n.port > 0 && len(c.Ports) > 0 && !declares(c, n.port) {
			d.Notes = append(d.Notes, fmt.Sprintf("%s listens on port %d by default, but the manifest declares other ports: taken as reconfigured, so no %s for port %d", e.name, n.port, n.cap, n.port))
			continue
		}
		addNeed(need{n.cap, SourceImage, e.name + ": " + n.why})
	}
}

func declares(c Container, port int) bool {
	for _, p := range c.Ports {
		if p.Number == port {
			return true
		}
	}
	return false
}

// observedNeeds turns evidence into needs and returns the capabilities that non-root processes
// hold through file capabilities.
func observedNeeds(ev *Evidence, opt Options, d *Decision, addNeed func(need)) capset.Set {
	tracedNeeds(ev, opt, d, addNeed)
	d.Notes = append(d.Notes, ev.Notes...)
	if ev.Pods == 0 {
		if len(ev.Needs) == 0 && ev.Traced == 0 {
			d.Notes = append(d.Notes, "no running pod could be read: nothing was observed")
		}
		return 0
	}
	if ev.SwitchedUID {
		addNeed(need{"SETUID", SourceObserved, "a process changed its uid"})
	}
	if ev.SwitchedGID {
		addNeed(need{"SETGID", SourceObserved, "a process changed its gid"})
	}
	if ev.RawSockets {
		addNeed(need{"NET_RAW", SourceObserved, "raw or packet sockets are open"})
	}
	for _, name := range ev.FileCaps.Names() {
		addNeed(need{name, SourceObserved, "a non-root process holds it effectively (file capabilities)"})
	}
	return ev.FileCaps
}

// addList decides every entry of the manifest's add list, then appends the needed capabilities
// in capability order. Nothing may be granted that the original spec did not grant on every
// runtime (h): entries are removed, kept as written, or the container is left alone (Skipped).
func addList(c Container, needs map[string][]need, h held, opt Options, d *Decision) []string {
	var out []string
	seen := map[string]bool{}
	// plain records the capabilities some entry spells so that every runtime applies it.
	plain := map[string]bool{}
	for _, raw := range c.SC.Add {
		if cp, ok := capset.RuntimeName(raw); ok {
			plain[cp.Name()] = true
		}
	}
	kept := func(name, source, reason string) {
		d.Capabilities = append(d.Capabilities, CapReason{name, ActionKept, source, reason})
	}
	removed := func(name, reason string) {
		d.Capabilities = append(d.Capabilities, CapReason{name, ActionRemoved, SourceManifest, reason})
	}
	for _, raw := range c.SC.Add {
		name, known := capsetNormalize(raw)
		cp, isCap := capOf(name)
		switch {
		case capset.IsAll(raw):
			removed("ALL", "add: [ALL] granted every capability; only those with a reason stay ("+allFlag(opt)+")")
			seen["ALL"] = true
			continue
		case name == "ALL": // CAP_ALL, " ALL"
			if opt.Strict {
				removed(raw, fmt.Sprintf("%q never took effect: containerd ignores it and CRI-O and Docker refuse to create the container (--strict)", clip(raw)))
				continue
			}
			kept(raw, SourceManifest, "kept as written: it grants nothing anywhere (containerd ignores it, CRI-O and Docker refuse to create the container); written ALL it would grant every capability")
			d.Warnings = append(d.Warnings, fmt.Sprintf("%q is not the ALL keyword: containerd ignores it and CRI-O and Docker refuse the container; kept as written (--strict removes it)", clip(raw)))
			out = append(out, raw)
			continue
		case seen[name]:
			removed(name, fmt.Sprintf("%q repeats %s", clip(raw), name))
			continue
		case !known || !isCap:
			if opt.Strict {
				removed(raw, "not a capability this tool knows (--strict)")
				continue
			}
			kept(raw, SourceManifest, "kept as written")
			d.Warnings = append(d.Warnings, fmt.Sprintf("%q is not a capability this tool knows: containerd ignores it, CRI-O and Docker refuse to create the container", clip(raw)))
			seen[name] = true
			out = append(out, raw)
			continue
		}
		seen[name] = true
		switch {
		case !h.some.Has(cp):
			removed(name, "the original spec never grants it: "+notHeld(c, raw, name, h, cp))
			continue
		case !h.every.Has(cp) && !plain[name]:
			// A spelling some runtimes ignore ("CAP_NET_ADMIN"): there it never took effect.
			if !opt.RespellPrefixed {
				kept(raw, SourceManifest, fmt.Sprintf("kept as written: %s ignores %q (it looks up CAP_%s), while %s apply it; written %s it would be granted on %s for the first time (--respell-cap-prefix does that on purpose)", h.where(cp), clip(raw), clean(strings.ToUpper(raw)), h.others(cp), name, h.where(cp)))
				d.Warnings = append(d.Warnings, fmt.Sprintf("%q never took effect on %s, which reads it as CAP_%s; kept as written so that no runtime grants more than before", clip(raw), h.where(cp), clean(strings.ToUpper(raw))))
				out = append(out, raw)
				continue
			}
			d.Licensed = d.Licensed.With(cp)
			d.Warnings = append(d.Warnings, fmt.Sprintf("%q respelt %s (--respell-cap-prefix): %s grants it for the first time; the workload ran there without it", clip(raw), name, h.where(cp)))
		case !h.every.Has(cp):
			removed(name, "the original spec does not grant it everywhere: "+notHeld(c, raw, name, h, cp))
			continue
		}
		switch {
		case needs[name] != nil:
			n := needs[name][0]
			kept(name, n.source, n.reason+joinMore(needs[name]))
		case opt.Strict:
			removed(name, "added by the manifest; nothing shows it is needed (--strict)")
			continue
		default:
			kept(name, SourceManifest, "added by the manifest (--strict removes capabilities without evidence)")
		}
		if dangerous[name] != "" {
			d.Warnings = append(d.Warnings, fmt.Sprintf("%s kept: %s", name, dangerous[name]))
		} else if risky(name) {
			d.Notes = append(d.Notes, fmt.Sprintf("%s is beyond what Pod Security baseline allows", name))
		}
		out = append(out, name)
	}
	var extra []string
	for name := range needs {
		if !seen[name] {
			extra = append(extra, name)
		}
	}
	sort.Slice(extra, func(i, j int) bool { return capRank(extra[i]) < capRank(extra[j]) })
	notAdded := map[string][]string{}
	defer func() {
		whys := make([]string, 0, len(notAdded))
		for why := range notAdded {
			whys = append(whys, why)
		}
		sort.Strings(whys)
		for _, why := range whys {
			d.Notes = append(d.Notes, fmt.Sprintf("not added, as the original spec never grants them (%s) and the container runs without them already: %s", why, strings.Join(notAdded[why], "; ")))
		}
	}()
	for _, name := range extra {
		n := needs[name][0]
		reason := n.reason + joinMore(needs[name])
		cp, _ := capOf(name)
		switch {
		case h.every.Has(cp):
			d.Capabilities = append(d.Capabilities, CapReason{name, ActionAdded, n.source, reason})
			out = append(out, name)
		case !h.some.Has(cp) && n.source == SourceTraced:
			if tracedBeyondSpec(c, name, reason, h, cp, d) {
				out = append(out, name)
			}
		case !h.some.Has(cp):
			why := notHeld(c, "", name, h, cp)
			notAdded[why] = append(notAdded[why], fmt.Sprintf("%s (%s)", name, reason))
		default:
			d.Skipped = fmt.Sprintf("%s is needed (%s), but the original spec does not grant it on %s%s: added, it would be granted there for the first time; left out, the container breaks where it has it now. If only %s run your pods, --runtime %s hardens it for them", name, reason, h.where(cp), defaultsLack(c, h, cp), h.others(cp), h.othersFlag(cp))
			return nil
		}
	}
	return out
}

// notHeld says why the original spec does not grant a capability on some or all runtimes.
func notHeld(c Container, raw, name string, h held, cp capset.Cap) string {
	for _, dr := range c.SC.Drop {
		if n, ok := capset.RuntimeName(dr); ok && n == cp {
			if raw != "" {
				return fmt.Sprintf("the manifest also drops %s, and containerd and CRI-O apply drops after adds (Docker lets the add win)", name)
			}
			return "the manifest drops it"
		}
	}
	if hasAll(c.SC.Drop) && raw == "" {
		return "the manifest drops ALL"
	}
	var why []string
	if raw != "" {
		if _, ok := capset.RuntimeName(raw); !ok && (len(h.families) == 0 || contains(h.families, "containerd")) {
			why = append(why, fmt.Sprintf("containerd ignores the spelling %q", clip(raw)))
		}
	}
	if len(h.refused) > 0 {
		names := make([]string, len(h.refused))
		for i, f := range h.refused {
			names[i] = familyName(f)
		}
		why = append(why, strings.Join(names, " and ")+" refuse to create the container (a capability name they do not know)")
	}
	if len(why) == 0 {
		if w := h.where(cp); w != "" {
			return "not on " + w
		}
		return "not on the runtimes checked"
	}
	return strings.Join(why, "; ")
}

// defaultsLack explains a capability missing on some runtimes because their defaults differ.
func defaultsLack(c Container, h held, cp capset.Cap) string {
	if len(c.SC.Add) == 0 && len(c.SC.Drop) == 0 && !capset.RuntimeDefaultCRIO.Has(cp) && h.where(cp) == "CRI-O" {
		return " (CRI-O's default capabilities lack it)"
	}
	return ""
}

func allFlag(opt Options) string {
	switch {
	case opt.DropPrivileged:
		return "--drop-privileged"
	case opt.Strict:
		return "--strict"
	}
	return "--observe"
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
func hasAll(list []string) bool {
	for _, d := range list {
		if capset.IsAll(d) {
			return true
		}
	}
	return false
}

// ignoredDropAll explains a drop list that meant ALL in a spelling the runtime ignores.
func ignoredDropAll(drop []string, d *Decision) {
	if hasAll(drop) {
		return
	}
	for _, raw := range drop {
		if n, _ := capset.Normalize(raw); n == "ALL" {
			d.Warnings = append(d.Warnings, fmt.Sprintf("drop: %q was ignored by containerd (CRI-O and Docker refuse it): the runtime's default capabilities stayed; written ALL they are dropped for the first time", clip(raw)))
			return
		}
	}
}

// droppedPrivileged says, for a container that was privileged, what harden derived and what is
// likely missing.
func droppedPrivileged(pod Pod, c Container, f facts) string {
	var missing []string
	missing = append(missing, f.cmd.privileged...)
	if f.imgKnown && f.img.entry.privileged != "" {
		missing = append(missing, f.img.entry.name+" needs privileged: true: "+f.img.entry.privileged)
	}
	for _, m := range c.Mounts {
		host, ok := pod.HostPaths[m.Volume]
		if !ok {
			continue
		}
		where := fmt.Sprintf("the node's %s (at %s)", clean(host), clean(m.Path))
		switch h := strings.TrimSuffix(host, "/"); {
		case h == "/dev" || strings.HasPrefix(h, "/dev/"):
			missing = append(missing, where+": host devices need privileged: true (or a device plugin)")
		case h == "/sys" || strings.HasPrefix(h, "/sys/"):
			missing = append(missing, where+": unprivileged containers cannot write /sys")
		case h == "/proc" || strings.HasPrefix(h, "/proc/"):
			missing = append(missing, where+": the node's /proc (writes and other processes' files need privileged or SYS_PTRACE/SYS_ADMIN)")
		case h == "/lib/modules":
			missing = append(missing, where+": loading modules needs SYS_MODULE")
		case strings.HasSuffix(h, ".sock"):
			missing = append(missing, where+": a node socket; whoever holds it needs no capability to control the node")
		}
	}
	if !f.observed && !f.imgKnown && !f.cmd.known && len(f.cmd.needs) == 0 {
		missing = append(missing, fmt.Sprintf("everything it does: image %q is not in harden's table and its command shows nothing; --observe derives the list from its running pods", clip(c.Image)))
	}
	w := "was privileged: privileged: false takes every host device and every capability nothing here shows a need for; test before rolling out"
	if len(missing) > 0 {
		w += ". Likely missing: " + strings.Join(missing, "; ")
	}
	return w
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
