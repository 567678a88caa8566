//go:build linux && (amd64 || arm64)

package capstrace

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"

	"github.com/kubectl-caps/kubectl-caps/plugin/capset"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/capbpf"
	"github.com/kubectl-caps/kubectl-caps/plugin/trace/capcheck"
)

// The object's program names per path (capable.bpf.c).
var pathPrograms = map[capcheck.Path][]string{
	capcheck.PathTracepoint: {capbpf.CapableProgOnCapCapable},
	capcheck.PathKprobe:     {capbpf.CapableProgOnCapCapableEntry, capbpf.CapableProgOnCapCapableReturn},
}

// Tracer is one loaded and attached program. Its methods are safe for concurrent use.
type Tracer struct {
	mu       sync.Mutex
	path     capcheck.Path
	coll     *ebpf.Collection
	links    []link.Link
	kallsyms string
}

// Start loads the program, sets its targets, and attaches it on the best path this kernel has
// (or opts.Path). Close must be called to detach and unload it.
func Start(opts Options) (*Tracer, error) {
	v1 := false
	if opts.CgroupV1 != nil {
		v1 = *opts.CgroupV1
	} else {
		var err error
		if v1, err = CgroupV1(); err != nil {
			return nil, err
		}
	}
	if len(opts.Cgroups) > MaxCgroups {
		return nil, fmt.Errorf("%d target cgroups, at most %d", len(opts.Cgroups), MaxCgroups)
	}
	spec, err := capbpf.LoadCapable()
	if err != nil {
		return nil, err
	}
	if err := prepare(spec, opts, v1); err != nil {
		return nil, err
	}
	paths := []capcheck.Path{capcheck.PathTracepoint, capcheck.PathKprobe}
	if opts.Path != "" {
		if _, ok := pathPrograms[opts.Path]; !ok {
			return nil, fmt.Errorf("unknown kernel path %q", opts.Path)
		}
		paths = []capcheck.Path{opts.Path}
	}
	noPath := &NoPathError{}
	for _, p := range paths {
		t, err := startPath(spec, p)
		if err != nil {
			noPath.Attempts = append(noPath.Attempts, Attempt{Path: p, Err: err})
			continue
		}
		t.kallsyms = opts.Kallsyms
		if t.kallsyms == "" {
			t.kallsyms = "/proc/kallsyms"
		}
		exclude := append([]uint32{uint32(os.Getpid())}, opts.ExcludeTGIDs...)
		if err := t.fill(opts.Cgroups, exclude); err != nil {
			t.Close()
			return nil, err
		}
		return t, nil
	}
	return nil, noPath
}

// prepare sets the load-time constants and map sizes.
func prepare(spec *ebpf.CollectionSpec, opts Options, v1 bool) error {
	flag := uint8(0)
	if v1 {
		flag = 1
	}
	v, ok := spec.Variables[capbpf.CapableVarCgroupV1]
	if !ok {
		return errors.New("object has no cgroup_v1 constant")
	}
	if err := v.Set(flag); err != nil {
		return err
	}
	max := opts.MaxChecks
	if max <= 0 {
		max = DefaultMaxChecks
	}
	spec.Maps[capbpf.CapableMapChecks].MaxEntries = uint32(max)
	spec.Maps[capbpf.CapableMapTargetCgroups].MaxEntries = MaxCgroups
	return nil
}

// startPath loads only the programs of one path (the other's may not even load here: tp_btf
// needs the tracepoint's BTF, kprobes need CONFIG_KPROBES) and attaches them.
func startPath(base *ebpf.CollectionSpec, p capcheck.Path) (*Tracer, error) {
	spec := base.Copy()
	keep := map[string]bool{}
	for _, name := range pathPrograms[p] {
		keep[name] = true
	}
	for name := range spec.Programs {
		if !keep[name] {
			delete(spec.Programs, name)
		}
	}
	if p != capcheck.PathKprobe {
		delete(spec.Maps, capbpf.CapableMapPending) // only the kprobe pair uses it
	}
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	t := &Tracer{path: p, coll: coll}
	if err := t.attach(); err != nil {
		t.Close()
		return nil, fmt.Errorf("attach: %w", err)
	}
	return t, nil
}

func (t *Tracer) attach() error {
	switch t.path {
	case capcheck.PathTracepoint:
		l, err := link.AttachTracing(link.TracingOptions{
			Program:    t.coll.Programs[capbpf.CapableProgOnCapCapable],
			AttachType: ebpf.AttachTraceRawTp,
		})
		if err != nil {
			return err
		}
		t.links = append(t.links, l)
	case capcheck.PathKprobe:
		// The return probe first: an entry without its return would only fill the LRU map.
		l, err := link.Kretprobe("cap_capable", t.coll.Programs[capbpf.CapableProgOnCapCapableReturn], nil)
		if err != nil {
			return err
		}
		t.links = append(t.links, l)
		l, err = link.Kprobe("cap_capable", t.coll.Programs[capbpf.CapableProgOnCapCapableEntry], nil)
		if err != nil {
			return err
		}
		t.links = append(t.links, l)
	}
	return nil
}

// fill writes the filter maps.
func (t *Tracer) fill(cgroups []uint64, exclude []uint32) error {
	one := uint8(1)
	for _, id := range cgroups {
		if err := t.coll.Maps[capbpf.CapableMapTargetCgroups].Put(id, one); err != nil {
			return fmt.Errorf("target cgroup %d: %w", id, err)
		}
	}
	for _, tgid := range exclude {
		if err := t.coll.Maps[capbpf.CapableMapExcludeTgids].Put(tgid, one); err != nil {
			return fmt.Errorf("exclude tgid %d: %w", tgid, err)
		}
	}
	return nil
}

// Path names the kernel path attached.
func (t *Tracer) Path() capcheck.Path { return t.path }

// SetCgroups replaces the target cgroups (containers restart with new ids). Checks already
// counted stay.
func (t *Tracer) SetCgroups(ids []uint64) error {
	if len(ids) > MaxCgroups {
		return fmt.Errorf("%d target cgroups, at most %d", len(ids), MaxCgroups)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.coll == nil {
		return errors.New("tracer closed")
	}
	m := t.coll.Maps[capbpf.CapableMapTargetCgroups]
	want := map[uint64]bool{}
	for _, id := range ids {
		want[id] = true
	}
	var stale []uint64
	var id uint64
	var v uint8
	it := m.Iterate()
	for it.Next(&id, &v) {
		if !want[id] {
			stale = append(stale, id)
		}
	}
	if err := it.Err(); err != nil {
		return err
	}
	for _, id := range stale {
		if err := m.Delete(id); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			return err
		}
	}
	for id := range want {
		if err := m.Put(id, uint8(1)); err != nil {
			return err
		}
	}
	return nil
}

// Records returns every key counted since Start, with stacks named. It does not reset the counts.
func (t *Tracer) Records() (capcheck.Snapshot, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	snap := capcheck.Snapshot{Path: t.path, Arch: runtime.GOARCH}
	if t.coll == nil {
		return snap, errors.New("tracer closed")
	}
	if err := t.coll.Variables[capbpf.CapableVarDropped].Get(&snap.Dropped); err != nil {
		return snap, fmt.Errorf("read dropped count: %w", err)
	}
	var key capbpf.CapableCheckKey
	var val capbpf.CapableCheckVal
	var addrs []uint64
	it := t.coll.Maps[capbpf.CapableMapChecks].Iterate()
	for it.Next(&key, &val) {
		c := check(&key, &val)
		for _, f := range c.Stack {
			addrs = append(addrs, f.Addr)
		}
		snap.Checks = append(snap.Checks, c)
	}
	if err := it.Err(); err != nil {
		return snap, fmt.Errorf("read checks: %w", err)
	}
	syms, err := t.symbols(addrs)
	switch {
	case err != nil:
		snap.SymbolNote = fmt.Sprintf("stack frames not named: %v", err)
	case syms.hidden:
		snap.SymbolNote = "stack frames not named: " + t.kallsyms + " shows every address as zero (kptr_restrict; reading real addresses needs CAP_SYSLOG)"
	default:
		for i := range snap.Checks {
			for j, f := range snap.Checks[i].Stack {
				snap.Checks[i].Stack[j] = syms.frame(f.Addr)
			}
		}
	}
	return snap, nil
}

// symbols names addrs from the kernel's symbol table, read anew each time: the few names needed
// are kept, not the table.
func (t *Tracer) symbols(addrs []uint64) (*symbols, error) {
	f, err := os.Open(t.kallsyms)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return resolveKallsyms(f, addrs)
}

// check converts one map entry; its frames carry addresses only until named.
func check(k *capbpf.CapableCheckKey, v *capbpf.CapableCheckVal) capcheck.Check {
	comm := make([]byte, 0, len(k.Comm))
	for _, c := range k.Comm {
		comm = append(comm, byte(c))
	}
	if i := bytes.IndexByte(comm, 0); i >= 0 {
		comm = comm[:i]
	}
	c := capcheck.Check{
		CgroupID: k.CgroupId,
		TGID:     k.Tgid,
		UID:      k.Uid,
		Comm:     string(comm),
		Cap:      capset.Cap(k.Cap),
		Denied:   k.Denied != 0,
		Syscall:  int(k.Syscall),
		Flags:    capcheck.Flags(k.Flags),
		Count:    v.Count,
	}
	if c.Flags.Has(capcheck.NoSyscall) {
		c.Syscall = -1
	}
	switch n := v.Nframes; {
	case n < 0:
		c.StackError = fmt.Sprintf("bpf_get_stack: errno %d", -n)
	case n == 0:
		c.StackError = "empty stack"
	default:
		n = min(n, int64(len(v.Stack)))
		for _, addr := range v.Stack[:n] {
			c.Stack = append(c.Stack, capcheck.Frame{Addr: addr})
		}
	}
	return c
}

// Close detaches the program and unloads it with its maps. It is safe to call twice.
func (t *Tracer) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	var errs []error
	for _, l := range t.links {
		errs = append(errs, l.Close())
	}
	t.links = nil
	if t.coll != nil {
		t.coll.Close()
		t.coll = nil
	}
	return errors.Join(errs...)
}
