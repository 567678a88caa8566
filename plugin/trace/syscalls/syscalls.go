// Package syscalls names Linux syscall numbers for the architectures the tracer runs on (amd64,
// arm64): a capability check is reported with the syscall that made it, and the kernel gives only
// the number. The tables hold every syscall of the UAPI headers they were generated from
// (gen.sh); a number they lack is printed as a number.
package syscalls

//go:generate ./gen.sh

import "strconv"

// Name returns the syscall's name on arch ("amd64", "arm64"), or "syscall_N" when the table
// does not know it, or "" for a negative number (not in a syscall).
func Name(arch string, nr int) string {
	if nr < 0 {
		return ""
	}
	if n, ok := tableOf(arch)[nr]; ok {
		return n
	}
	return "syscall_" + strconv.Itoa(nr)
}

// Number is the inverse of Name; ok is false for a name the table does not hold.
func Number(arch, name string) (nr int, ok bool) {
	for k, v := range tableOf(arch) {
		if v == name {
			return k, true
		}
	}
	return 0, false
}

func tableOf(arch string) map[int]string {
	switch arch {
	case "amd64":
		return amd64
	case "arm64":
		return arm64
	}
	return nil
}
