// Package capset models Linux capability sets as the kernel does: a 64-bit mask, one bit per
// capability. It knows every capability up to CAP_CHECKPOINT_RESTORE (bit 40) by name; bits it
// does not know are kept and shown as cap_41 etc., never dropped, so a newer kernel's masks still
// round-trip exactly.
package capset

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// Cap is a capability number (its bit in a mask).
type Cap uint8

// MaxBit is the highest bit a 64-bit kernel mask can carry.
const MaxBit Cap = 63

// LastKnown is the highest capability this build knows by name (CAP_CHECKPOINT_RESTORE).
const LastKnown Cap = 40

// names holds the kernel's names without the CAP_ prefix, indexed by bit
// (include/uapi/linux/capability.h).
var names = [...]string{
	"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
	"SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
	"IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
	"SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
	"LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
	"WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
}

var byName = func() map[string]Cap {
	m := make(map[string]Cap, len(names))
	for i, n := range names {
		m[n] = Cap(i)
	}
	return m
}()

// Known reports whether this build knows c by name.
func (c Cap) Known() bool { return c <= LastKnown }

// Name is the Kubernetes spelling: "NET_BIND_SERVICE"; unknown bits are "CAP_41".
func (c Cap) Name() string {
	if c.Known() {
		return names[c]
	}
	return "CAP_" + strconv.Itoa(int(c))
}

// KernelName is the kernel's spelling: "CAP_NET_BIND_SERVICE"; unknown bits are "CAP_41".
func (c Cap) KernelName() string {
	if c.Known() {
		return "CAP_" + names[c]
	}
	return c.Name()
}

// CapshName is libcap's spelling: "cap_net_bind_service"; unknown bits are "cap_41".
func (c Cap) CapshName() string { return strings.ToLower(c.KernelName()) }

func (c Cap) String() string { return c.Name() }

// ParseName accepts every spelling people and tools use for one capability: "SYS_TIME",
// "CAP_SYS_TIME", "cap_sys_time", "sys_time", and bare or prefixed numbers ("35", "cap_35") as
// old libcap prints unknown capabilities. Only ASCII case and ASCII blanks are folded:
// strings.ToUpper would turn "ſ" into "S" and "ı" into "I", and strings.TrimSpace would drop
// U+2000, letting look-alike text name a capability that a runtime would reject.
func ParseName(s string) (Cap, error) {
	t := strings.Trim(s, asciiSpace)
	// Upper-case into a stack buffer: a map lookup keyed by string(bytes) does not allocate, and
	// capsh output is parsed name by name.
	var buf [32]byte
	if len(t) <= len(buf) {
		u := buf[:copy(buf[:], t)]
		for i, c := range u {
			if c >= 'a' && c <= 'z' {
				u[i] = c - ('a' - 'A')
			}
		}
		if len(u) >= 4 && string(u[:4]) == "CAP_" {
			u, t = u[4:], t[4:]
		}
		if c, ok := byName[string(u)]; ok {
			return c, nil
		}
		if isDigits(t) {
			if v, err := strconv.ParseUint(t, 10, 64); err == nil && v <= uint64(MaxBit) {
				return Cap(v), nil
			}
			return 0, fmt.Errorf("capability number %s is out of range 0-%d", clip(t), MaxBit)
		}
	}
	return 0, fmt.Errorf("unknown capability %q", clip(s))
}

// IsAll reports whether containerd reads name as the keyword ALL: it tests
// strings.ToUpper(c) == "ALL" (pkg/cri/opts WithCapabilities), so "all" and "All" are ALL and
// " ALL" and "CAP_ALL" are not (containerd then prefixes CAP_ and runc skips the unknown
// CAP_CAP_ALL). CRI-O's EqualFold and Docker's ToUpper agree on every ASCII spelling; package
// expect applies each runtime's whole naming rule, and show and harden reach the keyword only
// through it or this function, so they give one verdict on every spelling.
func IsAll(name string) bool { return strings.ToUpper(name) == "ALL" }

// RuntimeName resolves one entry of capabilities.add or .drop exactly as containerd does:
// upper-case it, prefix CAP_, and look the result up among the capabilities it knows. ok is false
// for what containerd silently ignores: "CAP_SYS_TIME" (CAP_CAP_SYS_TIME), numbers ("35" becomes
// CAP_35), blanks, unknown names, and the ALL keyword (see IsAll). CRI-O and Docker read names
// differently (they keep a CAP_ prefix and refuse unknown names): package expect has every
// runtime's rule.
func RuntimeName(name string) (c Cap, ok bool) {
	u := strings.ToUpper(name)
	c, found := byName[u]
	return c, found
}

// meansAll is what people write meaning ALL: any ASCII case, blanks around, with or without
// CAP_ (runtimes ignore the last two forms; see IsAll).
func meansAll(n string) bool {
	n = strings.Trim(n, asciiSpace)
	return strings.EqualFold(n, "ALL") || strings.EqualFold(n, "CAP_ALL")
}

const asciiSpace = " \t\n\v\f\r"

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Set is a capability mask exactly as the kernel reports it in /proc/PID/status.
type Set uint64

// Known is every capability this build knows: what a fully privileged process on a current kernel
// holds. A real node's full set can differ (it may lack some); derive that from the node, not this.
var Known = Set(1)<<(LastKnown+1) - 1

// Of builds a set from capabilities.
func Of(caps ...Cap) Set {
	var s Set
	for _, c := range caps {
		s = s.With(c)
	}
	return s
}

func (s Set) Has(c Cap) bool      { return c <= MaxBit && s&(1<<c) != 0 }
func (s Set) With(c Cap) Set      { return s | 1<<c }
func (s Set) Without(c Cap) Set   { return s &^ (1 << c) }
func (s Set) Union(o Set) Set     { return s | o }
func (s Set) Intersect(o Set) Set { return s & o }
func (s Set) Minus(o Set) Set     { return s &^ o }
func (s Set) Len() int            { return bits.OnesCount64(uint64(s)) }
func (s Set) Empty() bool         { return s == 0 }

// Caps lists the set's capabilities in bit order.
func (s Set) Caps() []Cap {
	out := make([]Cap, 0, s.Len())
	for v := uint64(s); v != 0; v &= v - 1 {
		out = append(out, Cap(bits.TrailingZeros64(v)))
	}
	return out
}

// Names lists the Kubernetes spellings in bit order.
func (s Set) Names() []string {
	caps := s.Caps()
	out := make([]string, len(caps))
	for i, c := range caps {
		out[i] = c.Name()
	}
	return out
}

// Hex is the kernel's /proc form: 16 lowercase hex digits.
func (s Set) Hex() string { return fmt.Sprintf("%016x", uint64(s)) }

// Decode renders the set like `capsh --decode`: comma-separated libcap names.
func (s Set) Decode() string {
	caps := s.Caps()
	parts := make([]string, len(caps))
	for i, c := range caps {
		parts[i] = c.CapshName()
	}
	return strings.Join(parts, ",")
}

// String is the Kubernetes list form: "CHOWN,KILL" or "" for the empty set.
func (s Set) String() string { return strings.Join(s.Names(), ",") }

// ParseHex reads a mask as /proc prints it ("00000000a80425fb"), also with a 0x prefix. Masks
// wider than 64 bits are rejected rather than truncated: silently losing bits would hide
// capabilities.
func ParseHex(s string) (Set, error) {
	h := strings.TrimSpace(s)
	h = strings.TrimPrefix(strings.TrimPrefix(h, "0x"), "0X")
	if h == "" {
		return 0, fmt.Errorf("empty capability mask")
	}
	// Leading zeros beyond 16 digits are harmless; significant digits beyond 64 bits are not.
	trimmed := strings.TrimLeft(h, "0")
	if len(trimmed) > 16 {
		return 0, fmt.Errorf("capability mask %q is wider than 64 bits", clip(s))
	}
	if trimmed == "" {
		trimmed = "0"
	}
	v, err := strconv.ParseUint(trimmed, 16, 64)
	if err != nil {
		return 0, fmt.Errorf("capability mask %q is not hexadecimal", clip(s))
	}
	return Set(v), nil
}

// ParseNames reads a list of capability names in any spelling ParseName takes. "ALL" (any case,
// with or without CAP_) means every capability this build knows; the caller learns it was
// written through all, since for a runtime "ALL" is a keyword, not a set. It reads what a person
// meant; what a runtime does with the same list is IsAll and RuntimeName.
func ParseNames(list []string) (set Set, all bool, err error) {
	for _, n := range list {
		if meansAll(n) {
			all = true
			set |= Known
			continue
		}
		c, err := ParseName(n)
		if err != nil {
			return 0, false, err
		}
		set = set.With(c)
	}
	return set, all, nil
}

// Normalize returns the Kubernetes spelling of what a capability name means to a person
// ("cap_sys_time" → "SYS_TIME", "all" and "CAP_ALL" → "ALL"); whether a runtime applied the name
// as written is RuntimeName's (and IsAll's) answer, not this one's. Names it cannot parse are
// returned unchanged with ok=false, so callers can keep what the user wrote and report it.
func Normalize(n string) (string, bool) {
	if meansAll(n) {
		return "ALL", true
	}
	c, err := ParseName(n)
	if err != nil {
		return n, false
	}
	return c.Name(), true
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
