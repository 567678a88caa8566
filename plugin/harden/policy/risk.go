package policy

import "github.com/kubectl-caps/kubectl-caps/plugin/capset"

// baselineCaps are the capabilities Pod Security "baseline" lets a container add: the runtime
// defaults. Anything else is worth a word in the report.
var baselineCaps = map[string]bool{
	"AUDIT_WRITE": true, "CHOWN": true, "DAC_OVERRIDE": true, "FOWNER": true, "FSETID": true,
	"KILL": true, "MKNOD": true, "NET_BIND_SERVICE": true, "SETFCAP": true, "SETGID": true,
	"SETPCAP": true, "SETUID": true, "SYS_CHROOT": true,
}

// dangerous are the capabilities that give a container power over the node or its neighbours,
// in a few words each; keeping one is always reported as a warning.
var dangerous = map[string]string{
	"ALL":             "every capability: as good as privileged for most escapes",
	"SYS_ADMIN":       "mount, namespaces, BPF and much more: close to root on the node",
	"SYS_MODULE":      "loads kernel modules: root on the node",
	"SYS_PTRACE":      "reads and changes other processes' memory",
	"SYS_RAWIO":       "raw I/O ports and devices",
	"DAC_READ_SEARCH": "reads any file; open_by_handle_at escapes the container (shocker)",
	"NET_ADMIN":       "reconfigures interfaces, routes and firewall rules",
	"BPF":             "loads BPF programs",
	"PERFMON":         "performance monitoring of the whole system",
	"SYS_BOOT":        "reboots the node",
	"SYS_TIME":        "sets the node's clock",
	"MAC_ADMIN":       "changes the MAC (AppArmor/SELinux) policy",
	"MAC_OVERRIDE":    "overrides the MAC policy",
	"SYSLOG":          "reads and clears the kernel log",
	"AUDIT_CONTROL":   "changes the kernel audit rules",
}

// risky reports whether adding name goes beyond what Pod Security baseline allows.
func risky(name string) bool { return !baselineCaps[name] }

func capOf(name string) (capset.Cap, bool) {
	c, err := capset.ParseName(name)
	return c, err == nil
}
