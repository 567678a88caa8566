package capstrace

import (
	"bufio"
	"bytes"
	"io"
	"sort"
	"strconv"

	"github.com/kubectl-caps/kubectl-caps/plugin/trace/capcheck"
)

// maxKallsyms bounds what is read of the symbol table (a 6.x kernel's is about 10 MB).
const maxKallsyms = 64 << 20

// maxSymbolSpan is how far past a symbol's start an address may be and still be named after it:
// past the last symbol of a region (end of text, a module's end) an address names nothing.
const maxSymbolSpan = 1 << 20

// symbols names a set of stack addresses from a /proc/kallsyms stream in one pass, keeping
// only what those addresses need: holding the whole table would cost an agent about 11 MB of
// heap (44 MB allocated) for the 120,000 text symbols of a 6.x kernel.
type symbols struct {
	frames map[uint64]capcheck.Frame
	// hidden is set when every address read was zero: kptr_restrict hides them from a reader
	// without CAP_SYSLOG, and no frame can be named.
	hidden bool
}

// resolveKallsyms reads kallsyms lines ("ffffffff81000000 T _stext [module]"), text symbols
// (t, T, w, W) only, and names each of addrs. Stack entries are return addresses (the
// instruction after the call), so addr-1 is looked up: a call that is the last instruction of a
// function would otherwise be named after the next one.
func resolveKallsyms(r io.Reader, addrs []uint64) (*symbols, error) {
	want := make([]uint64, 0, len(addrs)) // lookup keys, sorted, unique
	for _, a := range addrs {
		if a != 0 {
			want = append(want, a-1)
		}
	}
	sort.Slice(want, func(i, j int) bool { return want[i] < want[j] })
	want = compact(want)
	// best[j] is the highest symbol start <= want[j] seen so far. It never decreases with j
	// (want is sorted), so a symbol updates a run of entries and stops at the first that already
	// has a higher or equal start.
	best := make([]uint64, len(want))
	names := make([][]byte, len(want))
	mods := make([][]byte, len(want))

	sc := bufio.NewScanner(io.LimitReader(r, maxKallsyms))
	sc.Buffer(make([]byte, 0, 4096), 4096)
	lines, zero := 0, 0
	for sc.Scan() {
		addrField, rest, ok := bytes.Cut(sc.Bytes(), []byte(" "))
		if !ok || len(rest) < 3 || rest[1] != ' ' {
			continue
		}
		switch rest[0] {
		case 't', 'T', 'w', 'W':
		default:
			continue
		}
		addr, err := strconv.ParseUint(string(addrField), 16, 64)
		if err != nil {
			continue
		}
		lines++
		if addr == 0 {
			zero++
			continue
		}
		name, mod, _ := bytes.Cut(rest[2:], []byte("\t"))
		for j := sort.Search(len(want), func(j int) bool { return want[j] >= addr }); j < len(want) && best[j] < addr; j++ {
			best[j] = addr
			names[j] = append(names[j][:0], name...)
			mods[j] = append(mods[j][:0], bytes.Trim(mod, "[] ")...)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	s := &symbols{frames: map[uint64]capcheck.Frame{}, hidden: lines > 0 && zero == lines}
	for j, key := range want {
		addr := key + 1
		if best[j] == 0 || addr-best[j] > maxSymbolSpan {
			continue
		}
		s.frames[addr] = capcheck.Frame{Addr: addr, Func: string(names[j]), Offset: addr - best[j], Module: string(mods[j])}
	}
	return s, nil
}

// frame names one address (an unnamed frame keeps its address only).
func (s *symbols) frame(addr uint64) capcheck.Frame {
	if s != nil {
		if f, ok := s.frames[addr]; ok {
			return f
		}
	}
	return capcheck.Frame{Addr: addr}
}

func compact(s []uint64) []uint64 {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
