package capstrace

import (
	"strings"
	"testing"
)

func TestResolveKallsyms(t *testing.T) {
	in := strings.Join([]string{
		"ffffffff81000000 T _stext",
		"ffffffff81000300 T cap_capable",
		"ffffffff81000100 t helper.isra.0", // the table is not sorted everywhere (modules)
		"ffffffff81000200 D some_data",
		"ffffffffc0000000 t mod_func\t[overlay]",
		"garbage",
		"zzzz T bad_addr",
	}, "\n")
	addrs := []uint64{0xffffffff81000105, 0xffffffff81000250, 0xffffffff81000300, 0xffffffff81000301,
		0xffffffffc0000010, 0xffffffffc1000010, 0x1000, 0xffffffff81000105}
	s, err := resolveKallsyms(strings.NewReader(in), addrs)
	if err != nil {
		t.Fatal(err)
	}
	if s.hidden {
		t.Fatal("hidden with real addresses")
	}
	for _, tc := range []struct {
		addr uint64
		fn   string
		off  uint64
		mod  string
	}{
		{0xffffffff81000105, "helper.isra.0", 5, ""},
		{0xffffffff81000250, "helper.isra.0", 0x150, ""}, // data symbols are not functions
		{0xffffffff81000300, "helper.isra.0", 0x200, ""}, // a return address at a start belongs before it
		{0xffffffff81000301, "cap_capable", 1, ""},
		{0xffffffffc0000010, "mod_func", 0x10, "overlay"},
		{0xffffffffc1000010, "", 0, ""}, // beyond the last symbol's span
		{0x1000, "", 0, ""},
		{0xffffffff99999999, "", 0, ""}, // not asked for
	} {
		f := s.frame(tc.addr)
		if f.Addr != tc.addr || f.Func != tc.fn || f.Offset != tc.off || f.Module != tc.mod {
			t.Errorf("frame(%#x) = %+v, want %s+%#x [%s]", tc.addr, f, tc.fn, tc.off, tc.mod)
		}
	}
}

func TestResolveKallsymsHidden(t *testing.T) {
	s, err := resolveKallsyms(strings.NewReader("0000000000000000 T _stext\n0000000000000000 t cap_capable\n"), []uint64{0xffffffff81000301})
	if err != nil {
		t.Fatal(err)
	}
	if !s.hidden {
		t.Error("all-zero addresses not reported hidden")
	}
	if f := s.frame(0xffffffff81000301); f.Func != "" {
		t.Errorf("named %q from a hidden table", f.Func)
	}
}
