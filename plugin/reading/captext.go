package reading

import (
	"fmt"
	"strings"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
)

// capState is the three process sets that libcap's text form describes.
type capState struct{ eff, prm, inh capset.Set }

// parseCapText reads libcap's textual capability form (cap_from_text(3)), as capsh prints it on
// its "Current:" line in every libcap generation:
//
//	= cap_chown,cap_kill+i                 old libcap: clear all, then raise two in I
//	cap_chown,cap_kill=ep                  new libcap
//	=ep cap_sys_resource-ep                everything in E and P but one
//	=ep cap_chown+i cap_a,cap_b-ep         several clauses, applied left to right
//	=                                      nothing at all
//
// A text is whitespace-separated clauses; a clause is an optional comma list of names followed by
// one or more operator+flags actions ("=ep", "+i", "-e", chained as in "cap_x+ep-i"). "=" first
// clears the listed capabilities in all three sets and then raises the given flags; "+" raises and
// "-" lowers only the given flags. An empty list, or the name "all", means every capability.
//
// Which capabilities "all" covers is the one place the text is ambiguous: libcap means every
// capability it knows up to the kernel's CAP_LAST_CAP, and neither is written in the text (old
// libcap instead spelled the capabilities beyond its own table as bare numbers, "35,36,37").
// We read "all" as capset.Known (bits 0-40, everything up to CAP_CHECKPOINT_RESTORE), minus what
// later clauses remove. On kernels 5.9 and later (CAP_LAST_CAP = 40) that is exact. On an older
// kernel (a 4.x or 5.4 node stops at 37) it claims up to three capabilities the kernel does not
// have; /proc/PID/status, which carries the kernel's own mask, is the reading to prefer, and a
// newer kernel's capability 41+ would appear only if capsh names it by number.
func parseCapText(text string) (capState, error) {
	var st capState
	text = strings.Trim(text, " \t")
	s := text
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return st, nil
		}
		var err error
		if s, err = parseCapClause(s, &st); err != nil {
			return capState{}, fmt.Errorf("capability text %s: %w", quote(text), err)
		}
	}
}

// parseCapClause applies the clause at the start of s to st and returns what follows it.
func parseCapClause(s string, st *capState) (string, error) {
	var list capset.Set
	listed := false
	switch {
	case s != "" && isNameByte(s[0]):
		for {
			n := 0
			for n < len(s) && isNameByte(s[n]) {
				n++
			}
			name := s[:n]
			s = s[n:]
			if strings.EqualFold(name, "all") {
				list |= capset.Known
			} else {
				c, err := capset.ParseName(name)
				if err != nil {
					return "", err
				}
				list = list.With(c)
			}
			if s == "" || s[0] != ',' {
				break
			}
			s = s[1:]
			if s == "" || !isNameByte(s[0]) {
				return "", fmt.Errorf("a comma must be followed by a capability name")
			}
		}
		listed = true
	case s[0] == '+' || s[0] == '-':
		return "", fmt.Errorf("%q needs a list of capabilities before it", s[0])
	default:
		list = capset.Known // "=flags" with no names: every capability (see parseCapText)
	}

	if s == "" {
		return "", fmt.Errorf("capability list without an operator (=, + or -)")
	}
	op := s[0]
	s = s[1:]
	if op != '=' && op != '+' && op != '-' {
		return "", fmt.Errorf("unexpected %q where an operator (=, + or -) belongs", op)
	}
	// "=+flags" / "=-flags": reset the listed capabilities, then raise or lower.
	reset := op == '='
	if reset && s != "" && (s[0] == '+' || s[0] == '-') {
		if !listed {
			return "", fmt.Errorf("%q after = needs a list of capabilities", s[0])
		}
		op = s[0]
		s = s[1:]
	}
	for {
		var flags capState
		n := 0
		for ; n < len(s) && !isBlank(s[n]) && s[n] != '+' && s[n] != '-'; n++ {
			switch s[n] {
			case 'e':
				flags.eff = list
			case 'p':
				flags.prm = list
			case 'i':
				flags.inh = list
			default:
				return "", fmt.Errorf("unknown flag %q (want e, i or p)", s[n])
			}
		}
		if n == 0 && op != '=' {
			return "", fmt.Errorf("%q must be followed by flags (e, i, p)", op)
		}
		s = s[n:]
		if reset {
			st.eff, st.prm, st.inh = st.eff.Minus(list), st.prm.Minus(list), st.inh.Minus(list)
			reset = false
		}
		switch op {
		case '=', '+':
			st.eff, st.prm, st.inh = st.eff|flags.eff, st.prm|flags.prm, st.inh|flags.inh
		case '-':
			st.eff, st.prm, st.inh = st.eff.Minus(flags.eff), st.prm.Minus(flags.prm), st.inh.Minus(flags.inh)
		}
		if s == "" || isBlank(s[0]) {
			return s, nil
		}
		// Another action on the same list: "cap_x+ep-i".
		if !listed {
			return "", fmt.Errorf("chained %q needs a list of capabilities", s[0])
		}
		op = s[0]
		s = s[1:]
		if s == "" || (s[0] != 'e' && s[0] != 'i' && s[0] != 'p') {
			return "", fmt.Errorf("%q must be followed by flags (e, i, p)", op)
		}
	}
}

// isNameByte is what libcap accepts in a capability name or number (it also reads "cap_41").
func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// parseCapList reads a comma-separated list of capability names or numbers, as capsh prints its
// "Bounding set =" and "Ambient set =" lines ("cap_chown,cap_kill", "cap_syslog,35,36,37", or
// nothing for the empty set).
func parseCapList(list string) (capset.Set, error) {
	var s capset.Set
	list = strings.Trim(list, " \t")
	switch list {
	case "":
		return 0, nil
	case "<unsupported>": // capsh's word for a kernel without this set
		return 0, fmt.Errorf("capsh says the kernel does not support this set")
	}
	for rest := list; ; {
		item, more, found := strings.Cut(rest, ",")
		item = strings.Trim(item, " \t")
		if item == "" {
			return 0, fmt.Errorf("empty item in capability list %s", quote(list))
		}
		c, err := capset.ParseName(item)
		if err != nil {
			return 0, err
		}
		s = s.With(c)
		if !found {
			return s, nil
		}
		rest = more
	}
}

// iab is what capsh's "Current IAB:" line says (cap_iab_to_text(3)): the inheritable and ambient
// sets, and the capabilities missing from the bounding set.
type iab struct{ inh, amb, notBound capset.Set }

// parseIAB reads an IAB text: comma-separated names, each with optional prefixes. A bare name is
// inheritable; "^" marks ambient (which implies inheritable); "!" marks dropped from the bounding
// set; "%" marks inheritable alongside "!" ("!%cap_x").
func parseIAB(text string) (iab, error) {
	var v iab
	text = strings.Trim(text, " \t")
	if text == "" {
		return v, nil
	}
	for rest := text; ; {
		item, more, found := strings.Cut(rest, ",")
		item = strings.Trim(item, " \t")
		nb, amb, inh := false, false, false
		for item != "" {
			switch item[0] {
			case '!':
				nb = true
			case '^':
				amb, inh = true, true
			case '%':
				inh = true
			default:
				goto name
			}
			item = item[1:]
		}
	name:
		if item == "" {
			return iab{}, fmt.Errorf("IAB text %s has an item without a capability name", quote(text))
		}
		c, err := capset.ParseName(item)
		if err != nil {
			return iab{}, fmt.Errorf("IAB text %s: %w", quote(text), err)
		}
		if !nb && !amb {
			inh = true
		}
		if inh {
			v.inh = v.inh.With(c)
		}
		if amb {
			v.amb = v.amb.With(c)
		}
		if nb {
			v.notBound = v.notBound.With(c)
		}
		if !found {
			return v, nil
		}
		rest = more
	}
}
