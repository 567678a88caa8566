// Package filecap decodes file capabilities: the security.capability extended attribute that
// `setcap` writes on an executable, which the kernel applies when a process execs the file. It is
// pure (bytes in, values out) and follows the kernel's own reader, get_vfs_caps_from_disk in
// security/commoncap.c, including what it refuses.
package filecap

import (
	"encoding/binary"
	"fmt"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
)

// The on-disk layout (include/uapi/linux/capability.h): a little-endian magic_etc word whose top
// byte is the revision and whose bit 0 is the effective flag, then {permitted, inheritable} pairs
// of 32-bit words: one pair for revision 1, two for revisions 2 and 3; revision 3 (namespaced file
// capabilities, Linux 4.14) adds the uid that is root of the user namespace they apply in.
const (
	revisionMask   = 0xFF000000
	flagsEffective = 0x000001

	Revision1 = 0x01000000
	Revision2 = 0x02000000
	Revision3 = 0x03000000

	size1 = 4 + 2*4   // XATTR_CAPS_SZ_1
	size2 = 4 + 2*2*4 // XATTR_CAPS_SZ_2
	size3 = size2 + 4 // XATTR_CAPS_SZ_3

	// MaxSize is the largest valid attribute; a reader should ask for no more.
	MaxSize = size3
)

// Caps is one file's capabilities.
type Caps struct {
	// Revision is 1, 2 or 3.
	Revision int
	// Permitted and Inheritable are the file's sets; at exec, the new permitted set is
	// (Permitted & bounding) | (Inheritable & the process's inheritable).
	Permitted, Inheritable capset.Set
	// Effective: the new permitted set also becomes effective at exec ("+ep"). Without it a
	// capability-aware program must raise what it needs itself.
	Effective bool
	// RootID is set for revision 3: the capabilities apply only to processes in a user namespace
	// whose root is this uid (as the reader's user namespace sees it). A process in the initial
	// user namespace (a container without user namespaces) does not get them unless RootID is 0,
	// and the kernel shows a v3 attribute whose rootid is the reader's own root as revision 2.
	RootID *uint32
}

// Parse decodes a security.capability value as the kernel does: the size must be exactly that of
// the revision, an unknown revision is refused, the other flag bits are ignored, and bits beyond
// the capabilities this build knows are kept (capset keeps unknown bits rather than dropping them).
func Parse(data []byte) (Caps, error) {
	if len(data) < 4 {
		return Caps{}, fmt.Errorf("security.capability is %d bytes, too short for a header", len(data))
	}
	if len(data) > MaxSize {
		return Caps{}, fmt.Errorf("security.capability is %d bytes, more than the %d of any revision", len(data), MaxSize)
	}
	magic := binary.LittleEndian.Uint32(data)
	c := Caps{Effective: magic&flagsEffective != 0}
	var want, words int
	switch magic & revisionMask {
	case Revision1:
		c.Revision, want, words = 1, size1, 1
	case Revision2:
		c.Revision, want, words = 2, size2, 2
	case Revision3:
		c.Revision, want, words = 3, size3, 2
	default:
		return Caps{}, fmt.Errorf("security.capability has unknown revision 0x%08x", magic&revisionMask)
	}
	if len(data) != want {
		return Caps{}, fmt.Errorf("security.capability revision %d is %d bytes, want %d", c.Revision, len(data), want)
	}
	var prm, inh uint64
	for i := 0; i < words; i++ {
		off := 4 + 8*i
		prm |= uint64(binary.LittleEndian.Uint32(data[off:])) << (32 * i)
		inh |= uint64(binary.LittleEndian.Uint32(data[off+4:])) << (32 * i)
	}
	c.Permitted, c.Inheritable = capset.Set(prm), capset.Set(inh)
	if c.Revision == 3 {
		root := binary.LittleEndian.Uint32(data[size2:])
		c.RootID = &root
	}
	return c, nil
}

// Text is the capability text `getcap` prints for the file, "cap_net_bind_service=ep", with
// " [rootid=N]" for revision 3, so people can compare it with what they set.
func (c Caps) Text() string {
	both := c.Permitted & c.Inheritable
	var out string
	add := func(s capset.Set, flags string) {
		if s.Empty() {
			return
		}
		if out != "" {
			out += " "
		}
		for i, cp := range s.Caps() {
			if i > 0 {
				out += ","
			}
			out += cp.CapshName()
		}
		out += "=" + flags
	}
	e := ""
	if c.Effective {
		e = "e"
	}
	add(both, e+"ip")
	add(c.Permitted&^both, e+"p")
	add(c.Inheritable&^both, e+"i")
	if out == "" {
		out = "="
	}
	if c.RootID != nil {
		out += fmt.Sprintf(" [rootid=%d]", *c.RootID)
	}
	return out
}
