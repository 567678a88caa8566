package capstrace

import (
	"bufio"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/kubectl-caps/kubectl-caps/plugin/trace/capcheck"
)

// maxKallsyms bounds what is read of the symbol table (a 6.x kernel's is about 10 MB).
const maxKallsyms = 64 << 20

// symtab is the kernel's text symbols sorted by address.
type symtab struct {
	addrs []uint64
	names []string
	mods  []string
	// hidden is set when every address read was zero: kptr_restrict hides them from a reader
	// without CAP_SYSLOG, and no frame can be named.
	hidden bool
}

// parseKallsyms reads /proc/kallsyms lines ("ffffffff81000000 T _stext [module]"), keeping text
// symbols (t, T, w, W) only.
func parseKallsyms(r io.Reader) (*symtab, error) {
	s := &symtab{}
	sc := bufio.NewScanner(io.LimitReader(r, maxKallsyms))
	sc.Buffer(make([]byte, 0, 4096), 4096)
	type sym struct {
		addr      uint64
		name, mod string
	}
	var syms []sym
	lines, zero := 0, 0
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || len(f[1]) != 1 {
			continue
		}
		switch f[1][0] {
		case 't', 'T', 'w', 'W':
		default:
			continue
		}
		addr, err := strconv.ParseUint(f[0], 16, 64)
		if err != nil {
			continue
		}
		lines++
		if addr == 0 {
			zero++
			continue
		}
		mod := ""
		if len(f) >= 4 {
			mod = strings.Trim(f[3], "[]")
		}
		syms = append(syms, sym{addr, f[2], mod})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	s.hidden = lines > 0 && zero == lines
	sort.SliceStable(syms, func(i, j int) bool { return syms[i].addr < syms[j].addr })
	s.addrs = make([]uint64, len(syms))
	s.names = make([]string, len(syms))
	s.mods = make([]string, len(syms))
	for i, y := range syms {
		s.addrs[i], s.names[i], s.mods[i] = y.addr, y.name, y.mod
	}
	return s, nil
}

// maxSymbolSpan is how far past a symbol's start an address may be and still be named after it:
// past the last symbol of a region (end of text, a module's end) an address names nothing.
const maxSymbolSpan = 1 << 20

// frame names one stack address. Stack entries are return addresses (the instruction after the
// call), so addr-1 is looked up: a call that is the last instruction of a function would
// otherwise be named after the next one.
func (s *symtab) frame(addr uint64) capcheck.Frame {
	f := capcheck.Frame{Addr: addr}
	if s == nil || addr == 0 {
		return f
	}
	i := sort.Search(len(s.addrs), func(i int) bool { return s.addrs[i] > addr-1 }) - 1
	if i < 0 || addr-s.addrs[i] > maxSymbolSpan {
		return f
	}
	f.Func, f.Offset, f.Module = s.names[i], addr-s.addrs[i], s.mods[i]
	return f
}
