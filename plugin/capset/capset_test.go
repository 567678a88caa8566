package capset

import (
	"strings"
	"testing"
)

func TestParseHex(t *testing.T) {
	tests := []struct {
		in      string
		want    Set
		wantErr string
	}{
		{in: "00000000a80425fb", want: RuntimeDefaultContainerd},
		{in: "000001fffeffffff", want: Known.Without(24)},
		{in: "0000000000000000", want: 0},
		{in: "0", want: 0},
		{in: "5fb", want: RuntimeDefaultCRIO},
		{in: "0x5fb", want: RuntimeDefaultCRIO},
		{in: "0X5FB", want: RuntimeDefaultCRIO},
		{in: "  00000000A80425FB\t", want: RuntimeDefaultContainerd},
		{in: "ffffffffffffffff", want: ^Set(0)},
		// Leading zeros beyond 16 digits carry no bits and are accepted.
		{in: "0000000000000000000000000000000000000000000000002000000", want: Of(25)},
		{in: "10000000000000000", wantErr: "wider than 64 bits"},
		{in: "1ffffffffffffffff", wantErr: "wider than 64 bits"},
		{in: "", wantErr: "empty"},
		{in: "0x", wantErr: "empty"},
		{in: "   ", wantErr: "empty"},
		{in: "0x0x5", wantErr: "not hexadecimal"},
		{in: "-1", wantErr: "not hexadecimal"},
		{in: "+5", wantErr: "not hexadecimal"},
		{in: "5_0", wantErr: "not hexadecimal"},
		{in: "a8 04", wantErr: "not hexadecimal"},
		{in: "g", wantErr: "not hexadecimal"},
		{in: "a80425fb\x00", wantErr: "not hexadecimal"},
		{in: "\x1b[31m", wantErr: "not hexadecimal"},
	}
	for _, tt := range tests {
		got, err := ParseHex(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseHex(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
			}
			if err != nil && strings.ContainsRune(err.Error(), 0x1b) {
				t.Errorf("ParseHex(%q) error carries a raw ESC: %q", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseHex(%q) = %s, %v; want %s", tt.in, got.Hex(), err, tt.want.Hex())
		}
	}
}

func TestHexRoundTrip(t *testing.T) {
	for _, s := range []Set{0, 1, RuntimeDefaultContainerd, RuntimeDefaultCRIO, Known, Of(41), Of(63), ^Set(0)} {
		h := s.Hex()
		if len(h) != 16 {
			t.Errorf("%v.Hex() = %q, want 16 digits", uint64(s), h)
		}
		back, err := ParseHex(h)
		if err != nil || back != s {
			t.Errorf("ParseHex(%q) = %x, %v; want %x", h, uint64(back), err, uint64(s))
		}
	}
}

func TestParseName(t *testing.T) {
	tests := []struct {
		in      string
		want    Cap
		wantErr string
	}{
		{in: "SYS_TIME", want: 25},
		{in: "CAP_SYS_TIME", want: 25},
		{in: "cap_sys_time", want: 25},
		{in: "sys_time", want: 25},
		{in: "Cap_Sys_Time", want: 25},
		{in: " NET_BIND_SERVICE ", want: 10},
		{in: "chown", want: 0},
		{in: "CAP_CHECKPOINT_RESTORE", want: 40},
		{in: "cap_bpf", want: 39},
		// Numbers, as old capsh prints capabilities it has no name for, and as Cap.Name and
		// CapshName spell unknown bits.
		{in: "35", want: 35},
		{in: "0", want: 0},
		{in: "41", want: 41},
		{in: "CAP_41", want: 41},
		{in: "cap_41", want: 41},
		{in: "63", want: 63},
		{in: "64", wantErr: "out of range"},
		{in: "256", wantErr: "out of range"},
		{in: "99999999999999999999999", wantErr: "out of range"},
		{in: "", wantErr: "unknown capability"},
		{in: "CAP_", wantErr: "unknown capability"},
		{in: "CAP_CAP_CHOWN", wantErr: "unknown capability"},
		{in: "ALL", wantErr: "unknown capability"}, // ALL is a list keyword (ParseNames), not one capability
		{in: "-1", wantErr: "unknown capability"},
		{in: "+1", wantErr: "unknown capability"},
		{in: "0x10", wantErr: "unknown capability"},
		{in: "SYS TIME", wantErr: "unknown capability"},
		{in: "sys_time\x00", wantErr: "unknown capability"},
		// Unicode case folding must not smuggle in a name: ſ (long s) upper-cases to S, ı to I.
		{in: "cap_ſys_time", wantErr: "unknown capability"},
		{in: "KıLL", wantErr: "unknown capability"},
		// Found by FuzzParseName: TrimSpace dropped U+2000 (EN QUAD), so "\u2000" + "0" read as CHOWN.
		{in: "\u20000", wantErr: "unknown capability"},
		{in: "\u00a0SYS_TIME", wantErr: "unknown capability"},
		{in: "\tSYS_TIME\r\n", want: 25},
	}
	for _, tt := range tests {
		got, err := ParseName(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseName(%q) = %d, %v; want error containing %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseName(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestNameSpellings(t *testing.T) {
	tests := []struct {
		c                   Cap
		name, kernel, capsh string
		known               bool
	}{
		{c: 0, name: "CHOWN", kernel: "CAP_CHOWN", capsh: "cap_chown", known: true},
		{c: 25, name: "SYS_TIME", kernel: "CAP_SYS_TIME", capsh: "cap_sys_time", known: true},
		{c: 40, name: "CHECKPOINT_RESTORE", kernel: "CAP_CHECKPOINT_RESTORE", capsh: "cap_checkpoint_restore", known: true},
		{c: 41, name: "CAP_41", kernel: "CAP_41", capsh: "cap_41"},
		{c: 63, name: "CAP_63", kernel: "CAP_63", capsh: "cap_63"},
	}
	for _, tt := range tests {
		if tt.c.Name() != tt.name || tt.c.KernelName() != tt.kernel || tt.c.CapshName() != tt.capsh || tt.c.Known() != tt.known {
			t.Errorf("cap %d: Name %q KernelName %q CapshName %q Known %v; want %q %q %q %v", tt.c,
				tt.c.Name(), tt.c.KernelName(), tt.c.CapshName(), tt.c.Known(), tt.name, tt.kernel, tt.capsh, tt.known)
		}
	}
	// Every spelling of every bit parses back to that bit.
	for c := Cap(0); c <= MaxBit; c++ {
		for _, n := range []string{c.Name(), c.KernelName(), c.CapshName()} {
			if got, err := ParseName(n); err != nil || got != c {
				t.Errorf("ParseName(%q) = %d, %v; want %d", n, got, err, c)
			}
		}
	}
}

func TestUnknownBitsKept(t *testing.T) {
	s := Of(0, 41, 63)
	if got, want := s.String(), "CHOWN,CAP_41,CAP_63"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got, want := s.Decode(), "cap_chown,cap_41,cap_63"; got != want {
		t.Errorf("Decode() = %q, want %q", got, want)
	}
	if got, want := s.Hex(), "8000020000000001"; got != want {
		t.Errorf("Hex() = %q, want %q", got, want)
	}
	if !s.Has(41) || s.Has(40) || s.Len() != 3 {
		t.Errorf("Has/Len wrong for %s", s.Hex())
	}
	if s.Has(64) || s.Has(255) {
		t.Error("Has reports bits beyond 63")
	}
	if got := Set(0).With(64); got != 0 {
		t.Errorf("With(64) = %x, want no bit set", uint64(got))
	}
}

func TestParseNames(t *testing.T) {
	tests := []struct {
		in      []string
		want    Set
		all     bool
		wantErr bool
	}{
		{in: nil, want: 0},
		{in: []string{"NET_BIND_SERVICE", "cap_sys_time", "CAP_KILL"}, want: Of(10, 25, 5)},
		{in: []string{"ALL"}, want: Known, all: true},
		{in: []string{"all"}, want: Known, all: true},
		{in: []string{"CAP_ALL"}, want: Known, all: true},
		{in: []string{"all", "41"}, want: Known.With(41), all: true},
		{in: []string{"NET_RAW", "NOPE"}, wantErr: true},
	}
	for _, tt := range tests {
		got, all, err := ParseNames(tt.in)
		if (err != nil) != tt.wantErr || (err == nil && (got != tt.want || all != tt.all)) {
			t.Errorf("ParseNames(%q) = %s, %v, %v; want %s, %v, err=%v", tt.in, got.Hex(), all, err, tt.want.Hex(), tt.all, tt.wantErr)
		}
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"cap_sys_time", "SYS_TIME", true},
		{"CAP_SYS_TIME", "SYS_TIME", true},
		{"SYS_TIME", "SYS_TIME", true},
		{"all", "ALL", true},
		{"cap_41", "CAP_41", true},
		{"bogus", "bogus", false},
	}
	for _, tt := range tests {
		if got, ok := Normalize(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("Normalize(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSummary(t *testing.T) {
	privilegedNode := Known.Without(24) // a node without CAP_SYS_RESOURCE, as on the test VM
	tests := []struct {
		name      string
		s         Set
		full, def Set
		want      string
	}{
		{"empty", 0, Known, RuntimeDefaultContainerd, "none"},
		{"every known", Known, 0, 0, "ALL (41)"},
		{"node full set", privilegedNode, privilegedNode, RuntimeDefaultContainerd, "ALL (40)"},
		{"containerd default", RuntimeDefaultContainerd, Known, RuntimeDefaultContainerd, "runtime default (14)"},
		{"cri-o default", RuntimeDefaultCRIO, Known, RuntimeDefaultCRIO, "runtime default (9)"},
		{"default plus one", RuntimeDefaultContainerd.With(25), Known, RuntimeDefaultContainerd, "runtime default +SYS_TIME"},
		{"default plus sys_admin (seed case 5)", Set(0xa82425fb), Known, RuntimeDefaultContainerd, "runtime default +SYS_ADMIN"},
		{"default minus two", RuntimeDefaultContainerd.Without(13).Without(7), Known, RuntimeDefaultContainerd, "runtime default -SETUID,NET_RAW"},
		{"far from default", Of(10, 25), Known, RuntimeDefaultContainerd, "NET_BIND_SERVICE,SYS_TIME"},
		{"no default known", RuntimeDefaultContainerd, 0, 0, RuntimeDefaultContainerd.String()},
		{"unknown bit shown by number", Of(41), Known, RuntimeDefaultContainerd, "CAP_41"},
		{"default plus unknown bit", RuntimeDefaultContainerd.With(41), Known, RuntimeDefaultContainerd, "runtime default +CAP_41"},
	}
	for _, tt := range tests {
		if got := tt.s.Summary(tt.full, tt.def); got != tt.want {
			t.Errorf("%s: Summary = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func FuzzParseHex(f *testing.F) {
	for _, s := range []string{"00000000a80425fb", "000001fffeffffff", "0x5fb", "0", "", "10000000000000000",
		"ffffffffffffffff", " 0X1 ", "0x0x1", "00000000000000000000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseHex(in)
		if err != nil {
			return
		}
		back, err := ParseHex(s.Hex())
		if err != nil || back != s {
			t.Fatalf("ParseHex(%q) = %x, but its Hex %q reads back as %x, %v", in, uint64(s), s.Hex(), uint64(back), err)
		}
		// Whatever was accepted must have been hex digits only, after the optional prefix.
		h := strings.TrimSpace(in)
		h = strings.TrimPrefix(strings.TrimPrefix(h, "0x"), "0X")
		if strings.Trim(h, "0123456789abcdefABCDEF") != "" {
			t.Fatalf("ParseHex accepted %q with non-hex characters", in)
		}
	})
}

func FuzzParseName(f *testing.F) {
	for _, s := range []string{"SYS_TIME", "CAP_SYS_TIME", "cap_sys_time", "35", "cap_41", "CAP_63", "64", "all", "ſ", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		c, err := ParseName(in)
		if err != nil {
			return
		}
		if c > MaxBit {
			t.Fatalf("ParseName(%q) = %d, beyond bit %d", in, c, MaxBit)
		}
		for _, n := range []string{c.Name(), c.KernelName(), c.CapshName()} {
			if back, err := ParseName(n); err != nil || back != c {
				t.Fatalf("ParseName(%q) = %d, but its spelling %q reads back as %d, %v", in, c, n, back, err)
			}
		}
		// Accepted input is ASCII: no Unicode look-alike may name a capability.
		for i := 0; i < len(in); i++ {
			if in[i] >= 0x80 {
				t.Fatalf("ParseName accepted non-ASCII %q as %s", in, c)
			}
		}
	})
}
