package syscalls

import "testing"

func TestName(t *testing.T) {
	for _, tc := range []struct {
		arch string
		nr   int
		want string
	}{
		{"amd64", 0, "read"},
		{"amd64", 9, "mmap"},
		{"amd64", 49, "bind"},
		{"amd64", 59, "execve"},
		{"amd64", 164, "settimeofday"},
		{"amd64", 260, "fchownat"},
		{"amd64", 435, "clone3"},
		{"arm64", 56, "openat"},
		{"arm64", 170, "settimeofday"},
		{"arm64", 198, "socket"},
		{"arm64", 200, "bind"},
		{"arm64", 221, "execve"},
		{"arm64", 54, "fchownat"},
		{"arm64", 244, "syscall_244"}, // __NR_arch_specific_syscall is a base, not a syscall
		{"amd64", 99999, "syscall_99999"},
		{"riscv64", 1, "syscall_1"},
		{"amd64", -1, ""},
	} {
		if got := Name(tc.arch, tc.nr); got != tc.want {
			t.Errorf("Name(%s, %d) = %q, want %q", tc.arch, tc.nr, got, tc.want)
		}
	}
	if nr, ok := Number("arm64", "ptrace"); !ok || nr != 117 {
		t.Errorf("Number(arm64, ptrace) = %d, %v", nr, ok)
	}
}
