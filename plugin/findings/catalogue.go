package findings

// Stable finding IDs: scripts match on them, so they never change within one report apiVersion.
const (
	Privileged          = "privileged"
	RuntimeDefaultsKept = "runtime-defaults-kept"
	NameIgnored         = "capability-name-ignored"
	AddedNotEffective   = "added-not-effective"
	EscalationPossible  = "escalation-possible"
	LiveDiffersFromSpec = "live-differs-from-spec"
	SeccompUnconfined   = "seccomp-unconfined"
)

// Kind is one kind of finding: its ID and the one line that explains it under a table.
type Kind struct {
	ID     string
	Legend string
}

// Catalogue lists every finding in the order reports show them. It is the only list: the
// printer's legend and order and the README's table come from it (a test keeps the README in
// step).
var Catalogue = []Kind{
	{Privileged, "privileged: true gives every capability of the node"},
	{RuntimeDefaultsKept, "the runtime's default capabilities were never dropped (privileged: false keeps them)"},
	{NameIgnored, "a capability name the runtime will not apply (CAP_ prefix or unknown)"},
	{AddedNotEffective, "capabilities added for a non-root user land only in the bounding set: not effective"},
	{EscalationPossible, "no_new_privs is off and the bounding set is not empty (allowPrivilegeEscalation)"},
	{LiveDiffersFromSpec, "a process holds other capabilities than the spec predicts (raised or dropped)"},
	{SeccompUnconfined, "no seccomp filter: every syscall is allowed"},
}

// Legend is the one-line explanation of a finding ID ("" for an unknown ID).
func Legend(id string) string {
	for _, k := range Catalogue {
		if k.ID == id {
			return k.Legend
		}
	}
	return ""
}

// Rank orders finding IDs as the catalogue does; unknown IDs sort last.
func Rank(id string) int {
	for i, k := range Catalogue {
		if k.ID == id {
			return i
		}
	}
	return len(Catalogue)
}
