package probe

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary container output to every method's parser: it must never panic, and
// whatever it accepts stays within the bounds.
func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "shared-web.out")); err == nil {
		f.Add(b)
	}
	f.Add([]byte("@@kubectl-caps 1\n@@pid 1\n" + status(1) + "@@end\n"))
	f.Add([]byte("@@kubectl-caps 1\n@@portstart 0\n@@scope cgroup\n@@others 3\n@@net tcp\n  sl local\n   0: 00000000:0050 00000000:0000 0A\n@@end\n"))
	f.Add([]byte(status(1) + "1024\n"))
	f.Add([]byte("Current: =ep cap_sys_resource-ep\nBounding set =cap_chown\nuid=0(root) euid=0(root)\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, m := range Methods {
			out, err := Parse(m, data)
			if err != nil {
				continue
			}
			if len(out.Procs) > MaxProcs {
				t.Fatalf("%s: %d processes, bound is %d", m, len(out.Procs), MaxProcs)
			}
			if out.PortStart != nil && (*out.PortStart < 0 || *out.PortStart > 65536) {
				t.Fatalf("%s: port start %d", m, *out.PortStart)
			}
		}
	})
}
