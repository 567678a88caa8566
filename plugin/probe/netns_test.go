package probe

import (
	"bytes"
	"os"
	"os/exec"
	"runtime"
	"testing"

	"github.com/kubectl-caps/kubectl-caps/plugin/reading"
)

// TestProbeSkipsEmptyTCPTables runs the real script in real shells, each in a network namespace
// of its own (unshare -n, as root): with no TCP socket in it, sockstat says so and the tcp and
// tcp6 tables are not read (reading them walks the host's whole socket hash); with a TCP
// listener in it (busybox nc -l), they are read and the listener is found.
func TestProbeSkipsEmptyTCPTables(t *testing.T) {
	if runtime.GOOS != "linux" || os.Getuid() != 0 {
		t.Skip("needs Linux and root (unshare -n)")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("no unshare")
	}
	if _, err := exec.LookPath("busybox"); err != nil {
		t.Skip("no busybox (for nc -l)")
	}
	for _, sh := range shells(t) {
		t.Run(sh[0], func(t *testing.T) {
			run := func(prefix, suffix string) (*reading.Snapshot, []byte) {
				t.Helper()
				args := append([]string{"-n", sh[0]}, sh[1:]...)
				args = append(args, "-c", prefix+shellScript+suffix)
				out, err := exec.Command("unshare", args...).Output()
				if err != nil {
					t.Fatalf("unshare %v: %v", args[:len(args)-1], err)
				}
				o, err := Parse(reading.MethodProc, out)
				if err != nil {
					t.Fatal(err)
				}
				return o, out
			}
			_, out := run("", "")
			if bytes.Contains(out, []byte("@@net tcp\n")) || bytes.Contains(out, []byte("@@net tcp6\n")) {
				t.Errorf("tcp tables read in a namespace without TCP sockets:\n%s", out)
			}
			if !bytes.Contains(out, []byte("@@net udp\n")) || !bytes.Contains(out, []byte("@@net packet\n")) {
				t.Errorf("the other tables must still be read:\n%s", out)
			}

			// A listener, started in the same namespace before the script runs and killed after it.
			o, out := run("busybox nc -l -p 81 </dev/null >/dev/null 2>&1 & lsn=$!; i=0; while [ $i -lt 50 ]; do grep -q ' 00000000:0051 \\|:0051 00000000000000000000000000000000:0000 0A' /proc/net/tcp /proc/net/tcp6 2>/dev/null && break; sleep 0.1; i=$((i+1)); done\n", "kill $lsn\n")
			found := false
			for _, s := range o.Sockets {
				if s.Listening && s.LocalPort == 81 && (s.Proto == "tcp" || s.Proto == "tcp6") {
					found = true
				}
			}
			if !found {
				t.Errorf("the listener on :81 was not read; sockets %+v\n%s", o.Sockets, out)

			}
		})
	}
}
