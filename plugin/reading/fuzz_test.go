package reading

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The parsers are linear in their (bounded) input, taking microseconds on the largest accepted
// one; a parse that takes this long has gone quadratic or worse. The margin is four orders of
// magnitude, so a loaded machine cannot make this fail.
const parseBudget = 2 * time.Second

func addSamples(f *testing.F, glob string) {
	files, err := filepath.Glob(filepath.Join("testdata", glob))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed samples for %s: %v", glob, err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func timed(t *testing.T, what string, in []byte, parse func()) {
	start := time.Now()
	parse()
	if d := time.Since(start); d > parseBudget {
		t.Fatalf("%s took %v on %d bytes", what, d, len(in))
	}
}

// renderStatus writes p back as /proc/PID/status text.
func renderStatus(p Process) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Name:\t%s\nPid:\t%d\nPPid:\t%d\n", p.Name, p.PID, p.PPID)
	if p.HasIDs {
		fmt.Fprintf(&b, "Uid:\t%d\t%d\t%d\t%d\n", p.UID[0], p.UID[1], p.UID[2], p.UID[3])
	}
	if p.GID[0] >= 0 {
		fmt.Fprintf(&b, "Gid:\t%d\t%d\t%d\t%d\n", p.GID[0], p.GID[1], p.GID[2], p.GID[3])
	}
	fmt.Fprintf(&b, "CapInh:\t%s\nCapPrm:\t%s\nCapEff:\t%s\nCapBnd:\t%s\n", p.Inh.Hex(), p.Prm.Hex(), p.Eff.Hex(), p.Bnd.Hex())
	if p.HasAmb {
		fmt.Fprintf(&b, "CapAmb:\t%s\n", p.Amb.Hex())
	}
	if p.HasNoNewPrivs {
		n := 0
		if p.NoNewPrivs {
			n = 1
		}
		fmt.Fprintf(&b, "NoNewPrivs:\t%d\n", n)
	}
	if p.Seccomp >= 0 {
		fmt.Fprintf(&b, "Seccomp:\t%d\n", p.Seccomp)
	}
	fmt.Fprintf(&b, "Seccomp_filters:\t%d\n", p.SeccompFilters)
	return b.String()
}

// renderCapsh writes p back as `capsh --print` text.
func renderCapsh(p Process) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Current: %s\nBounding set =%s\n", renderCapText(capState{eff: p.Eff, prm: p.Prm, inh: p.Inh}), p.Bnd.Decode())
	if p.HasAmb {
		fmt.Fprintf(&b, "Ambient set =%s\n", p.Amb.Decode())
	}
	if p.HasNoNewPrivs {
		n := 0
		if p.NoNewPrivs {
			n = 1
		}
		fmt.Fprintf(&b, "Securebits: 00/0x0/1'b0 (no-new-privs=%d)\n", n)
	}
	if p.HasIDs {
		fmt.Fprintf(&b, "uid=%d(u)", p.UID[IDReal])
		if p.UID[IDEffective] >= 0 {
			fmt.Fprintf(&b, " euid=%d(u)", p.UID[IDEffective])
		}
		b.WriteString("\n")
	}
	if p.GID[IDReal] >= 0 {
		fmt.Fprintf(&b, "gid=%d(g)\n", p.GID[IDReal])
	}
	return b.String()
}

func FuzzParseStatus(f *testing.F) {
	addSamples(f, "status/*.txt")
	f.Add([]byte(minimalStatus + "CapEff:\t1\n"))
	f.Add([]byte("Name:\t\t\x1b[31m\nUid:\t1 2 3 4\n" + minimalStatus))
	f.Fuzz(func(t *testing.T, in []byte) {
		var p Process
		var err error
		timed(t, "ParseStatus", in, func() { p, err = ParseStatus(in) })
		if err != nil {
			return
		}
		text := renderStatus(p)
		back, err := ParseStatus([]byte(text))
		if err != nil {
			t.Fatalf("re-rendered status does not parse: %v\n%s", err, text)
		}
		if back != p {
			t.Fatalf("round trip changed the reading:\n first %+v\n again %+v", p, back)
		}
	})
}

func FuzzParseCapsh(f *testing.F) {
	addSamples(f, "capsh/*.txt")
	f.Add([]byte("Current: =ep cap_chown,cap_kill-ep cap_net_raw+i\nCurrent IAB: !^cap_kill,%cap_chown\n"))
	f.Add([]byte("Current: cap_chown=ep+i-e\nBounding set =41,63\nuid=1(a b) euid=2(c)\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var p Process
		var err error
		timed(t, "ParseCapsh", in, func() { p, err = ParseCapsh(in) })
		if err != nil {
			return
		}
		if p.PID != 0 || p.Name != "" || p.Seccomp != -1 {
			t.Fatalf("capsh cannot know pid, name or seccomp, yet got %+v", p)
		}
		text := renderCapsh(p)
		back, err := ParseCapsh([]byte(text))
		if err != nil {
			t.Fatalf("re-rendered capsh output does not parse: %v\n%s", err, text)
		}
		if back != p {
			t.Fatalf("round trip changed the reading:\n first %+v\n again %+v\n%s", p, back, text)
		}
	})
}

func FuzzParseNetSockets(f *testing.F) {
	for _, proto := range []string{"tcp", "tcp6", "udp", "udp6", "raw", "raw6", "packet"} {
		b, err := os.ReadFile(filepath.Join("testdata", "net", proto+".txt"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, proto)
	}
	f.Add([]byte(tcpHeader+tcpListen80), "udp")
	f.Fuzz(func(t *testing.T, in []byte, proto string) {
		var socks []Socket
		var err error
		timed(t, "ParseNetSockets", in, func() { socks, err = ParseNetSockets(in, proto) })
		if err != nil {
			return
		}
		if len(socks) > strings.Count(string(in), "\n")+1 {
			t.Fatalf("%d sockets from %d lines", len(socks), strings.Count(string(in), "\n")+1)
		}
		for _, s := range socks {
			if s.Proto != proto || s.LocalPort < 0 || s.LocalPort > 0xffff || s.UID < 0 || s.UID > 1<<32-1 {
				t.Fatalf("impossible socket %+v from table %q", s, proto)
			}
			if s.Listening && !strings.HasPrefix(proto, "tcp") && !strings.HasPrefix(proto, "udp") {
				t.Fatalf("a %s socket cannot be listening: %+v", proto, s)
			}
		}
	})
}
