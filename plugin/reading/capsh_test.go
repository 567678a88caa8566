package reading

import (
	"errors"
	"strings"
	"testing"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
)

// capshProc fills what every capsh reading has in common: no pid, no name, no seccomp, saved and
// filesystem ids unknown.
func capshProc(uid, euid, gid int64, p Process) Process {
	p.UID = [4]int64{uid, euid, -1, -1}
	p.GID = [4]int64{gid, -1, -1, -1}
	p.HasIDs = uid >= 0
	p.Seccomp = -1
	return p
}

func TestParseCapshSamples(t *testing.T) {
	def := capset.RuntimeDefaultContainerd
	// Old libcap names capabilities 0-34 and prints 35, 36 and 37 as bare numbers; they are kept.
	old38 := capset.Set(1)<<38 - 1
	tests := []struct {
		file string
		want Process
	}{
		// Old libcap (≤ 2.25), verbatim from shared/seed-scenarios.md. For uid 1025 everything sits
		// in the inheritable set only: the process can use none of it.
		{"capsh/old-1-privileged-uid1025.txt", capshProc(1025, -1, 1025, Process{Inh: old38, Bnd: old38})},
		{"capsh/old-2-default-uid1025.txt", capshProc(1025, -1, 1025, Process{Inh: def, Bnd: def})},
		{"capsh/old-3-drop-all.txt", capshProc(1025, -1, 1025, Process{})},
		{"capsh/old-4-drop-all-add-sys-time.txt", capshProc(1025, -1, 1025, Process{Inh: capset.Of(25), Bnd: 0x2000000})},

		// capsh 2.66 on kernel 6.18, produced as testdata/README.md says.
		{"capsh/2.66-root.txt", capshProc(0, 0, 0, Process{Prm: vmFull, Eff: vmFull, Bnd: vmFull, HasAmb: true, HasNoNewPrivs: true})},
		{"capsh/2.66-drop-bounding.txt", capshProc(0, 0, 0, Process{Prm: vmFull, Eff: vmFull,
			Bnd: vmFull.Without(13).Without(21), HasAmb: true, HasNoNewPrivs: true})},
		{"capsh/2.66-caps-mixed.txt", capshProc(0, 0, 0, Process{Inh: capset.Of(0, 25), Prm: capset.Of(25), Eff: capset.Of(25),
			Bnd: vmFull, HasAmb: true, HasNoNewPrivs: true})},
		{"capsh/2.66-all-minus.txt", capshProc(0, 0, 0, Process{Inh: capset.Of(0),
			Prm: capset.Known.Minus(capset.Of(13, 21, 24)), Eff: capset.Known.Minus(capset.Of(13, 21, 24)),
			Bnd: vmFull, HasAmb: true, HasNoNewPrivs: true})},
		{"capsh/2.66-eip-minus.txt", capshProc(0, 0, 0, Process{Inh: capset.Known.Minus(capset.Of(21, 24)),
			Prm: capset.Known.Minus(capset.Of(21, 24)), Eff: capset.Known.Minus(capset.Of(13, 21, 24)),
			Bnd: vmFull, HasAmb: true, HasNoNewPrivs: true})},
		{"capsh/2.66-ip-plus-e.txt", capshProc(0, 0, 0, Process{Inh: vmFull, Prm: vmFull, Eff: capset.Of(5),
			Bnd: vmFull, HasAmb: true, HasNoNewPrivs: true})},
		{"capsh/2.66-uid1025.txt", capshProc(1025, 1025, 0, Process{Bnd: vmFull, HasAmb: true, HasNoNewPrivs: true})},
		{"capsh/2.66-secbits.txt", capshProc(0, 0, 0, Process{Prm: vmFull, Eff: vmFull, Bnd: vmFull, HasAmb: true, HasNoNewPrivs: true})},
		{"capsh/2.66-mode-pure1e.txt", capshProc(0, 0, 0, Process{Prm: vmFull, Bnd: vmFull, HasAmb: true, HasNoNewPrivs: true})},
		{"capsh/2.66-ambient-root.txt", capshProc(0, 0, 0, Process{Inh: capset.Of(12, 25), Prm: vmFull, Eff: vmFull,
			Bnd: vmFull, Amb: capset.Of(12), HasAmb: true, HasNoNewPrivs: true})},
		{"capsh/2.66-ambient-uid1025.txt", capshProc(1025, 1025, 1025, Process{Inh: capset.Of(10), Prm: capset.Of(10), Eff: capset.Of(10),
			Bnd: vmFull, Amb: capset.Of(10), HasAmb: true, HasNoNewPrivs: true})},
		// Seed scenario 6's table, reproduced with setpriv: runtime default as root; drop ALL +
		// SYS_TIME as root and as uid 1025.
		{"capsh/2.66-runtime-default.txt", capshProc(0, 0, 0, Process{Prm: def, Eff: def, Bnd: def, HasAmb: true, HasNoNewPrivs: true})},
		{"capsh/2.66-root-drop-all-add-sys-time.txt", capshProc(0, 0, 0, Process{Prm: capset.Of(25), Eff: capset.Of(25),
			Bnd: capset.Of(25), HasAmb: true, HasNoNewPrivs: true})},
		{"capsh/2.66-uid1025-drop-all-add-sys-time.txt", capshProc(1025, 1025, 1025, Process{Bnd: 0x2000000, HasAmb: true, HasNoNewPrivs: true})},
		{"capsh/2.66-no-new-privs.txt", capshProc(0, 0, 0, Process{Prm: vmFull, Eff: vmFull, Bnd: vmFull, HasAmb: true,
			NoNewPrivs: true, HasNoNewPrivs: true})},
		// `capsh --current`: no Bounding/Ambient lines, both read from IAB; no ids.
		{"capsh/2.66-current-only.txt", capshProc(-1, -1, -1, Process{Prm: vmFull, Eff: vmFull, Bnd: vmFull, HasAmb: true})},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := ParseCapsh(readSample(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("ParseCapsh mismatch:\n%s", diffProcess(tt.want, got))
			}
		})
	}
}

// The masks the seed scenarios name, asserted in /proc form.
func TestParseCapshSeedMasks(t *testing.T) {
	p, err := ParseCapsh(readSample(t, "capsh/old-4-drop-all-add-sys-time.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Inh.String() != "SYS_TIME" || p.Eff.Hex() != "0000000000000000" || p.Bnd.Hex() != "0000000002000000" {
		t.Errorf("case 4: Inh %s Eff %s Bnd %s", p.Inh, p.Eff.Hex(), p.Bnd.Hex())
	}
	p, err = ParseCapsh(readSample(t, "capsh/old-1-privileged-uid1025.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for c := capset.Cap(35); c <= 37; c++ {
		if !p.Inh.Has(c) || !p.Bnd.Has(c) {
			t.Errorf("case 1: bit %d (printed as a number by old capsh) lost", c)
		}
	}
	if p.Inh.Has(38) || p.Eff != 0 || p.Prm != 0 {
		t.Errorf("case 1: Inh %s Prm %s Eff %s", p.Inh.Hex(), p.Prm.Hex(), p.Eff.Hex())
	}
	// The local cluster's privileged row: capsh's "=ep cap_sys_resource-ep" is the kernel's
	// 000001fffeffffff.
	p, err = ParseCapsh(readSample(t, "capsh/2.66-root.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Eff.Hex() != "000001fffeffffff" {
		t.Errorf("privileged: Eff %s, want 000001fffeffffff", p.Eff.Hex())
	}
}

// capsh and /proc agree when both read the same process state.
func TestCapshMatchesStatus(t *testing.T) {
	pairs := [][2]string{
		{"capsh/2.66-root.txt", "status/root-full.txt"},
		{"capsh/2.66-runtime-default.txt", "status/runtime-default.txt"},
		{"capsh/2.66-uid1025-drop-all-add-sys-time.txt", "status/uid1025-drop-all-add-sys-time.txt"},
		{"capsh/2.66-ambient-uid1025.txt", "status/ambient-uid1025.txt"},
		{"capsh/2.66-no-new-privs.txt", "status/no-new-privs.txt"},
	}
	for _, pair := range pairs {
		c, err := ParseCapsh(readSample(t, pair[0]))
		if err != nil {
			t.Fatal(err)
		}
		s, err := ParseStatus(readSample(t, pair[1]))
		if err != nil {
			t.Fatal(err)
		}
		if c.Inh != s.Inh || c.Prm != s.Prm || c.Eff != s.Eff || c.Bnd != s.Bnd || c.Amb != s.Amb || c.NoNewPrivs != s.NoNewPrivs {
			t.Errorf("%s vs %s: capsh %+v\nstatus %+v", pair[0], pair[1], c, s)
		}
	}
}

const minimalCapsh = "Current: cap_chown=ep\nBounding set =cap_chown\n"

func TestParseCapshEdgeCases(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		check   func(Process) bool
		wantErr string
	}{
		{name: "minimal", in: minimalCapsh,
			check: func(p Process) bool {
				return p.Eff == capset.Of(0) && p.Bnd == capset.Of(0) && !p.HasIDs && !p.HasAmb && !p.HasNoNewPrivs && p.Seccomp == -1
			}},
		{name: "CRLF from a TTY", in: strings.ReplaceAll(minimalCapsh+"uid=0(root) euid=0(root)\n", "\n", "\r\n"),
			check: func(p Process) bool { return p.Eff == capset.Of(0) && p.UID[IDEffective] == 0 }},
		{name: "libcap warning and shell noise ignored",
			in:    "WARNING: libcap needs an update (cap=40 should have a name).\nbash: no job control\n" + minimalCapsh,
			check: func(p Process) bool { return p.Prm == capset.Of(0) }},
		{name: "no-new-privs as a separate yes line", in: minimalCapsh + "Securebits: 00/0x0/1'b0\n no-new-privs: yes\n",
			check: func(p Process) bool { return p.NoNewPrivs && p.HasNoNewPrivs }},
		{name: "Securebits without the note", in: minimalCapsh + "Securebits: 00/0x0/1'b0\n",
			check: func(p Process) bool { return !p.HasNoNewPrivs }},
		{name: "securebits ABI not supported", in: minimalCapsh + "[Securebits ABI not supported]\n prctl-keep-caps: no (locking not supported)\n",
			check: func(p Process) bool { return !p.HasNoNewPrivs }},
		{name: "user name with spaces and parens", in: minimalCapsh + "uid=1000(a b) (c)) euid=0(x)\ngid=7(g g)\n",
			check: func(p Process) bool { return p.UID == [4]int64{1000, 0, -1, -1} && p.GID[IDReal] == 7 }},
		{name: "uid without a name", in: minimalCapsh + "uid=5\n",
			check: func(p Process) bool { return p.UID[IDReal] == 5 && p.UID[IDEffective] == -1 && p.HasIDs }},
		{name: "unknown bits beyond libcap's table, as numbers", in: "Current: =ep 41,42+i\nBounding set =cap_chown,41,63\n",
			check: func(p Process) bool {
				return p.Eff == capset.Known && p.Inh == capset.Of(41, 42) && p.Bnd == capset.Of(0, 41, 63)
			}},
		{name: "Ambient line beats IAB", in: minimalCapsh + "Ambient set =cap_chown\nCurrent IAB: \n",
			check: func(p Process) bool { return p.Amb == capset.Of(0) && p.HasAmb }},
		{name: "identical duplicate lines are fine", in: minimalCapsh + minimalCapsh,
			check: func(p Process) bool { return p.Eff == capset.Of(0) }},

		{name: "empty", in: "", wantErr: "no \"Current:\" line"},
		{name: "a status file is not capsh", in: minimalStatus, wantErr: "no \"Current:\" line"},
		{name: "no bounding information", in: "Current: =ep\n", wantErr: "neither a \"Bounding set\" nor a \"Current IAB\""},
		{name: "bad capability text", in: "Current: cap_chown=x\nBounding set =\n", wantErr: "line 1: Current: capability text \"cap_chown=x\": unknown flag 'x'"},
		{name: "unknown capability name", in: "Current: cap_bogus=ep\nBounding set =\n", wantErr: "unknown capability"},
		{name: "unknown name in bounding", in: "Current: =\nBounding set =cap_chown,cap_nope\n", wantErr: "line 2: Bounding set: unknown capability"},
		{name: "bounding unsupported", in: "Current: =\nBounding set = <unsupported>\n", wantErr: "Bounding set"},
		{name: "empty list item", in: "Current: =\nBounding set =cap_chown,,cap_kill\n", wantErr: "empty item"},
		{name: "conflicting Current", in: minimalCapsh + "Current: =ep\n", wantErr: "line 3: Current: appears twice with different values"},
		{name: "conflicting Bounding", in: minimalCapsh + "Bounding set =\n", wantErr: "Bounding set: appears twice"},
		{name: "conflicting uid", in: minimalCapsh + "uid=0(root)\nuid=1(daemon)\n", wantErr: "uid: appears twice"},
		{name: "conflicting no-new-privs", in: minimalCapsh + "Securebits: 00/0x0/1'b0 (no-new-privs=0)\nSecurebits: 00/0x0/1'b0 (no-new-privs=1)\n", wantErr: "no-new-privs: appears twice"},
		{name: "bad no-new-privs value", in: minimalCapsh + "Securebits: 00/0x0/1'b0 (no-new-privs=7)\n", wantErr: "not 0/1/yes/no"},
		{name: "unterminated no-new-privs", in: minimalCapsh + "Securebits: 00/0x0/1'b0 (no-new-privs=1\n", wantErr: "unterminated"},
		{name: "uid not a number", in: minimalCapsh + "uid=root\n", wantErr: "numeric id"},
		{name: "uid too large", in: minimalCapsh + "uid=99999999999(x)\n", wantErr: "out of range"},
		{name: "bad IAB", in: minimalCapsh + "Current IAB: !\n", wantErr: "without a capability name"},
		{name: "too large", in: minimalCapsh + strings.Repeat("y", MaxCapshBytes), wantErr: "more than the 65536 accepted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCapsh([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(got) {
				t.Errorf("unexpected result: %+v", got)
			}
		})
	}
}

func TestParseCapshTooLargeIsErrTooLarge(t *testing.T) {
	if _, err := ParseCapsh(make([]byte, MaxCapshBytes+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
}
