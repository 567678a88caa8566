package reading

import (
	"strings"
	"testing"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
)

func TestParseCapText(t *testing.T) {
	k := capset.Known
	tests := []struct {
		in            string
		eff, prm, inh capset.Set
		wantErr       string
	}{
		// Every shape capsh prints.
		{in: "="},
		{in: ""},
		{in: " = cap_sys_time+i", inh: capset.Of(25)},
		{in: "= cap_chown,cap_kill+eip", eff: capset.Of(0, 5), prm: capset.Of(0, 5), inh: capset.Of(0, 5)},
		{in: "cap_chown,cap_kill=ep", eff: capset.Of(0, 5), prm: capset.Of(0, 5)},
		{in: "=ep", eff: k, prm: k},
		{in: "=ep cap_sys_resource-ep", eff: vmFull, prm: vmFull},
		{in: "=ep cap_a_bogus-ep", wantErr: "unknown capability"},
		{in: "=ep cap_chown,cap_kill-ep cap_net_raw+i", eff: k.Minus(capset.Of(0, 5)), prm: k.Minus(capset.Of(0, 5)), inh: capset.Of(13)},
		{in: "cap_kill=eip cap_chown+ip cap_setuid+p", eff: capset.Of(5), prm: capset.Of(0, 5, 7), inh: capset.Of(0, 5)},
		{in: "all=ep", eff: k, prm: k},
		{in: "ALL=i", inh: k},
		{in: "all=ep cap_chown-e", eff: k.Without(0), prm: k},
		{in: "= 35,36,37+i", inh: capset.Of(35, 36, 37)},
		{in: "cap_41,63=p", prm: capset.Of(41, 63)},
		// Operators apply left to right; "=" resets the listed capabilities first.
		{in: "=eip cap_chown=i", eff: k.Without(0), prm: k.Without(0), inh: k},
		{in: "cap_chown=e cap_chown=p", prm: capset.Of(0)},
		{in: "cap_chown+ep-e", prm: capset.Of(0)},
		{in: "cap_chown+e+p+i-e", prm: capset.Of(0), inh: capset.Of(0)},
		{in: "=ep cap_chown=", eff: k.Without(0), prm: k.Without(0)},
		{in: "cap_chown=ep cap_chown=+i", inh: capset.Of(0)},
		{in: "cap_chown=ep cap_chown=-i"},
		{in: "cap_chown=eipepe", eff: capset.Of(0), prm: capset.Of(0), inh: capset.Of(0)},
		{in: "\tcap_chown=e\t\tcap_kill=p  ", eff: capset.Of(0), prm: capset.Of(5)},

		// What libcap's cap_from_text rejects, rejected here too.
		{in: "+ep", wantErr: "needs a list of capabilities"},
		{in: "-e", wantErr: "needs a list of capabilities"},
		{in: "=+e", wantErr: "needs a list"},
		{in: "=ep-i", wantErr: "chained '-' needs a list"},
		{in: "cap_chown", wantErr: "without an operator"},
		{in: "cap_chown+", wantErr: "must be followed by flags"},
		{in: "cap_chown-", wantErr: "must be followed by flags"},
		{in: "cap_chown+e-", wantErr: "must be followed by flags"},
		{in: "cap_chown+e-x", wantErr: "must be followed by flags"},
		{in: "cap_chown=E", wantErr: "unknown flag 'E'"},
		{in: "cap_chown=e=p", wantErr: "unknown flag '='"},
		{in: "cap_chown,=e", wantErr: "comma must be followed"},
		{in: "cap_chown,", wantErr: "comma must be followed"},
		{in: "cap_chown*e", wantErr: "unexpected '*'"},
		{in: "!cap_chown=e", wantErr: "unexpected '!'"},
		{in: "64=e", wantErr: "out of range"},
		{in: "cap_chown=e\x00", wantErr: "unknown flag"},
	}
	for _, tt := range tests {
		got, err := parseCapText(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseCapText(%q) = %+v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		want := capState{eff: tt.eff, prm: tt.prm, inh: tt.inh}
		if err != nil || got != want {
			t.Errorf("parseCapText(%q) = e %s p %s i %s, %v; want e %s p %s i %s", tt.in,
				got.eff.Hex(), got.prm.Hex(), got.inh.Hex(), err, want.eff.Hex(), want.prm.Hex(), want.inh.Hex())
		}
	}
}

func TestParseIAB(t *testing.T) {
	tests := []struct {
		in      string
		want    iab
		wantErr bool
	}{
		{in: "", want: iab{}},
		{in: " ", want: iab{}},
		{in: "!cap_sys_resource", want: iab{notBound: capset.Of(24)}},
		{in: "cap_chown,!cap_sys_resource,cap_sys_time", want: iab{inh: capset.Of(0, 25), notBound: capset.Of(24)}},
		{in: "^cap_net_bind_service,!cap_sys_resource", want: iab{inh: capset.Of(10), amb: capset.Of(10), notBound: capset.Of(24)}},
		{in: "!%cap_chown,!^cap_kill", want: iab{inh: capset.Of(0, 5), amb: capset.Of(5), notBound: capset.Of(0, 5)}},
		{in: "!41", want: iab{notBound: capset.Of(41)}},
		{in: "!", wantErr: true},
		{in: "cap_chown,,cap_kill", wantErr: true},
		{in: "^nope", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseIAB(tt.in)
		if (err != nil) != tt.wantErr || (err == nil && got != tt.want) {
			t.Errorf("parseIAB(%q) = %+v, %v; want %+v, err=%v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// renderCapText writes a capState in libcap's text form, one clause per distinct flag
// combination ("cap_a,cap_b=ep cap_c=i"). It is the inverse the round-trip tests need, not a copy
// of libcap's own (which picks a "=flags" baseline); both parse to the same sets.
func renderCapText(st capState) string {
	var groups [8]capset.Set
	for _, c := range st.eff.Union(st.prm).Union(st.inh).Caps() {
		k := 0
		if st.eff.Has(c) {
			k |= 1
		}
		if st.inh.Has(c) {
			k |= 2
		}
		if st.prm.Has(c) {
			k |= 4
		}
		groups[k] = groups[k].With(c)
	}
	clauses := []string{"="}
	for k := 1; k < 8; k++ {
		if groups[k].Empty() {
			continue
		}
		flags := ""
		for i, f := range []string{"e", "i", "p"} {
			if k&(1<<i) != 0 {
				flags += f
			}
		}
		clauses = append(clauses, groups[k].Decode()+"="+flags)
	}
	return strings.Join(clauses, " ")
}

func TestRenderCapTextRoundTrip(t *testing.T) {
	for _, st := range []capState{
		{},
		{eff: capset.Known, prm: capset.Known},
		{inh: capset.Of(0, 41, 63), prm: capset.Of(5)},
		{eff: capset.RuntimeDefaultContainerd, prm: capset.RuntimeDefaultContainerd, inh: capset.Of(25)},
	} {
		text := renderCapText(st)
		got, err := parseCapText(text)
		if err != nil || got != st {
			t.Errorf("parseCapText(renderCapText(%+v) = %q) = %+v, %v", st, text, got, err)
		}
	}
}
