package sarif

// Rule IDs: stable, code scanning tracks alerts by them.
const (
	RulePrivileged          = "privileged"
	RuleDropAllMissing      = "drop-all-missing"
	RuleCapabilityIgnored   = "capability-name-ignored"
	RuleEscalationAllowed   = "privilege-escalation-allowed"
	RuleWithoutEvidence     = "capability-without-evidence"
	RuleNotHardened         = "securitycontext-not-hardened"
	RulePodSecurityViolated = "pod-security-level"
)

const helpBase = "https://github.com/kubectl-caps/kubectl-caps#"

// rules is the one list of rules, in the order the driver lists them (a result's ruleIndex).
var rules = []Rule{
	rule(RulePrivileged, "Privileged", "error", "9.0",
		"A container runs privileged.",
		"privileged: true gives the container every capability of the node and every host device, and disables the default seccomp profile. harden leaves it as it is unless --drop-privileged (or live evidence) replaces it with privileged: false, drop: [ALL] and the capabilities the workload shows it needs.",
		"hardening-manifests"),
	rule(RuleDropAllMissing, "DropAllMissing", "error", "6.0",
		"A container does not drop ALL capabilities.",
		"Without capabilities.drop: [ALL] the container keeps the runtime's default capabilities (14 with containerd and Docker, 9 with CRI-O), whatever privileged: false says. harden writes drop: [ALL] and adds back only the capabilities with a reason: a containerPort below 1024 (NET_BIND_SERVICE), what the manifest's commands run, what a well-known image's entrypoint needs (a cited table), a capability the manifest adds on purpose, or what the running pods were seen doing.",
		"hardening-manifests"),
	rule(RuleCapabilityIgnored, "CapabilityNameIgnored", "error", "5.0",
		"A capability name the container runtime does not apply.",
		"containerd upper-cases each name and prefixes it with CAP_ itself: \"CAP_SYS_TIME\" becomes CAP_CAP_SYS_TIME and is silently ignored, and drop: [CAP_ALL] drops nothing; CRI-O and Docker take a CAP_ prefix and refuse to create the container for a name they do not know. harden writes drop: [ALL]; an added name it keeps as written, so that no runtime grants more than before (--respell-cap-prefix writes SYS_TIME, which containerd then grants for the first time).",
		"what-stays-in-add-and-why"),
	rule(RuleEscalationAllowed, "PrivilegeEscalationAllowed", "error", "6.0",
		"A container allows privilege escalation.",
		"Unless allowPrivilegeEscalation is false, no_new_privs is off: setuid and file-capability binaries can gain every capability left in the bounding set. harden writes allowPrivilegeEscalation: false, which still lets the entrypoint use its own file capabilities (the runtime fills the permitted set for every user), unless the manifest sets true on purpose for a capability that needs them.",
		"hardening-manifests"),
	rule(RuleWithoutEvidence, "CapabilityWithoutEvidence", "warning", "4.0",
		"A capability is added without evidence that it is needed.",
		"The manifest adds a capability that nothing in the spec (ports, sysctls) or in the running pods (with --observe) shows a need for. harden keeps it by default and says so; --strict removes it.",
		"what-stays-in-add-and-why"),
	rule(RuleNotHardened, "SecurityContextNotHardened", "error", "3.0",
		"A container's securityContext is not what harden writes.",
		"harden would change this securityContext (a drop list with more than ALL, an add list spelt or ordered otherwise, fields a Pod Security level needs with --fix-level). The result's fix is harden's edit.",
		"hardening-manifests"),
	rule(RulePodSecurityViolated, "PodSecurityLevelViolated", "error", "5.0",
		"A pod template violates the Pod Security level asked for, even after hardening.",
		"With --level baseline|restricted harden evaluates each hardened pod template with the Pod Security admission code itself; these violations remain (some can be fixed with --fix-level, others need a decision: a non-root user, host namespaces, volumes).",
		"hardening-manifests"),
}

func rule(id, name, level, severity, short, full, anchor string) Rule {
	return Rule{
		ID: id, Name: name,
		ShortDescription:     Message{Text: short},
		FullDescription:      Message{Text: full},
		Help:                 Help{Text: full, Markdown: full + "\n\n`kubectl caps harden -f FILE --diff` shows the change; `-i` writes it."},
		HelpURI:              helpBase + anchor,
		DefaultConfiguration: Configuration{Level: level},
		Properties:           &RuleProperties{Tags: []string{"security", "kubernetes", "capabilities"}, SecuritySeverity: severity, Precision: "very-high"},
	}
}

func ruleIndex(id string) int {
	for i, r := range rules {
		if r.ID == id {
			return i
		}
	}
	return -1
}
