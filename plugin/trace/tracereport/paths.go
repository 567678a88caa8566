package tracereport

// KprobeUntested is said wherever the kprobe path ran (a note of each row it traced, and the
// table's header): it could only be verified, not run, on the machines this project is tested on.
const KprobeUntested = "the kprobe path (kprobe + kretprobe on cap_capable, for kernels before 6.14) is untested end to end: the kernel's verifier accepts its programs, but the project's test machines have no kprobes to attach them to"
