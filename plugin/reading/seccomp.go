package reading

// SeccompMode is the kernel's seccomp mode of a process, as /proc/PID/status prints it in its
// Seccomp line (include/uapi/linux/seccomp.h), or what a spec should give.
type SeccompMode int

const (
	// SeccompUnknown: the reading did not say (capsh, kernels before 3.8), or the prediction
	// could not tell.
	SeccompUnknown  SeccompMode = -1
	SeccompDisabled SeccompMode = 0
	SeccompStrict   SeccompMode = 1
	SeccompFilter   SeccompMode = 2
)

// String is the name the report uses: disabled, strict, filter or unknown. Mode 3 ("dead") is
// kernel-internal, seen only on a task being killed by seccomp, and reads as unknown.
func (m SeccompMode) String() string {
	switch m {
	case SeccompDisabled:
		return "disabled"
	case SeccompStrict:
		return "strict"
	case SeccompFilter:
		return "filter"
	}
	return "unknown"
}
