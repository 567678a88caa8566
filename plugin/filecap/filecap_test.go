package filecap

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
)

// Real attributes: `setcap ARGS FILE; getfattr -n security.capability -e hex FILE` on this
// project's test machine (libcap 2.66, kernel 6.18, ext4/overlay), except revision 1, which no
// current kernel writes (setxattr accepts only revisions 2 and 3): those bytes are built from
// struct vfs_cap_data in include/uapi/linux/capability.h.
var samples = []struct {
	name, setcap, hex string
	want              Caps
	text              string
}{
	{"ep", "cap_net_bind_service+ep", "0100000200040000000000000000000000000000",
		Caps{Revision: 2, Permitted: capset.Of(10), Effective: true}, "cap_net_bind_service=ep"},
	{"p only", "cap_net_raw,cap_chown+p", "0000000201200000000000000000000000000000",
		Caps{Revision: 2, Permitted: capset.Of(0, 13)}, "cap_chown,cap_net_raw=p"},
	{"i only", "cap_net_bind_service=i", "0000000200000000000400000000000000000000",
		Caps{Revision: 2, Inheritable: capset.Of(10)}, "cap_net_bind_service=i"},
	{"eip, a capability in the high word", "cap_sys_admin,cap_checkpoint_restore+eip", "0100000200002000000020000001000000010000",
		Caps{Revision: 2, Permitted: capset.Of(21, 40), Inheritable: capset.Of(21, 40), Effective: true}, "cap_sys_admin,cap_checkpoint_restore=eip"},
	{"v3 namespaced", "-n 100000 cap_net_bind_service+ep", "0100000300040000000000000000000000000000a0860100",
		Caps{Revision: 3, Permitted: capset.Of(10), Effective: true, RootID: ptr(100000)}, "cap_net_bind_service=ep [rootid=100000]"},
	{"v1 (built from the struct)", "", "0100000100200000" + "00000000",
		Caps{Revision: 1, Permitted: capset.Of(13), Effective: true}, "cap_net_raw=ep"},
	{"v1 without effective flag", "", "000000010100000001000000",
		Caps{Revision: 1, Permitted: capset.Of(0), Inheritable: capset.Of(0)}, "cap_chown=ip"},
	{"other flag bits are ignored, as the kernel does", "", "0100fe020004000000000000" + "0000000000000000",
		Caps{Revision: 2, Permitted: capset.Of(10), Effective: true}, "cap_net_bind_service=ep"},
	{"bits beyond the known capabilities are kept", "", "0000000200000000000000000000800000000000",
		Caps{Revision: 2, Permitted: capset.Of(55)}, "cap_55=p"},
	{"empty sets", "", "0000000200000000000000000000000000000000",
		Caps{Revision: 2}, "="},
}

func ptr(v uint32) *uint32 { return &v }

func TestParse(t *testing.T) {
	for _, s := range samples {
		t.Run(s.name, func(t *testing.T) {
			b, err := hex.DecodeString(s.hex)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Parse(b)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got.Revision != s.want.Revision || got.Permitted != s.want.Permitted || got.Inheritable != s.want.Inheritable ||
				got.Effective != s.want.Effective || (got.RootID == nil) != (s.want.RootID == nil) ||
				got.RootID != nil && *got.RootID != *s.want.RootID {
				t.Fatalf("Parse = %+v, want %+v", got, s.want)
			}
			if txt := got.Text(); txt != s.text {
				t.Fatalf("Text = %q, want %q (getcap -n prints this)", txt, s.text)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	for _, tc := range []struct{ name, hex, want string }{
		{"empty", "", "too short"},
		{"three bytes", "000002", "too short"},
		{"header only", "01000002", "revision 2 is 4 bytes, want 20"},
		{"v2 too short", "01000002000400000000000000000000000000", "revision 2 is 19 bytes, want 20"},
		{"v2 with v3 size", "0100000200040000000000000000000000000000a0860100", "revision 2 is 24 bytes, want 20"},
		{"v3 with v2 size", "0100000300040000000000000000000000000000", "revision 3 is 20 bytes, want 24"},
		{"v1 with v2 size", "0100000100040000000000000000000000000000", "revision 1 is 20 bytes, want 12"},
		{"revision 0", "0000000000040000000000000000000000000000", "unknown revision 0x00000000"},
		{"revision 4", "0100000400040000000000000000000000000000a0860100", "unknown revision 0x04000000"},
		{"big-endian header reads as another revision", "0200000100040000000000000000000000000000", "revision 1 is 20 bytes"},
		{"oversized", strings.Repeat("00", MaxSize+1), "more than the 24"},
		{"huge", strings.Repeat("ff", 1<<16), "more than the 24"},
	} {
		b, _ := hex.DecodeString(tc.hex)
		if got, err := Parse(b); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Parse = %+v, %v; want error containing %q", tc.name, got, err, tc.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range samples {
		b, _ := hex.DecodeString(s.hex)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			return
		}
		if len(data) != map[int]int{1: size1, 2: size2, 3: size3}[c.Revision] {
			t.Fatalf("accepted %d bytes as revision %d", len(data), c.Revision)
		}
		if (c.RootID != nil) != (c.Revision == 3) {
			t.Fatalf("rootid %v on revision %d", c.RootID, c.Revision)
		}
		if c.Revision == 1 && (c.Permitted>>32 != 0 || c.Inheritable>>32 != 0) {
			t.Fatalf("revision 1 has high bits: %+v", c)
		}
		_ = c.Text()
	})
}
