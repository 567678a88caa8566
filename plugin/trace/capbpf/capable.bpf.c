//go:build ignore

// SPDX-License-Identifier: GPL-2.0-only OR Apache-2.0
//
// capable.bpf.c counts the capability checks (cap_capable) that the tasks of a few target cgroups
// make, in the kernel: one hash-map entry per distinct (cgroup, process, capability, verdict,
// syscall, kind of credentials), a counter, and the kernel stack of the first check of that entry.
// Nothing is sent to user space per check; user space reads the map when it wants the answer.
//
// Two ways in, one per kernel generation; the loader attaches exactly one:
//   - tp_btf/cap_capable: the capability:cap_capable tracepoint (Linux 6.14+). Typed arguments,
//     direct CO-RE reads, no opts: whether the check audits is inferred later from the stack.
//   - kprobe + kretprobe on cap_capable (older kernels with kprobes): sees opts (CAP_OPT_NOAUDIT),
//     reads through bpf_probe_read_kernel, pairs entry and return by thread id.
//
// Why every choice (costs measured on this project's machines, ../../shared/notes):
// one lookup and one atomic add per check (~115 ns); a stack only when a key is new (a stack on
// every check costs microseconds); the cgroup filter first, so checks of other tasks cost a
// lookup in a small map and nothing else.
#include "capcore.h"

char LICENSE[] SEC("license") = "GPL"; // bpf_get_stack and probe_read_kernel are GPL-only helpers

#define MAX_FRAMES 24
#define TASK_COMM_LEN 16

// flags of a key
#define FLAG_BORROWED_CRED 1  // checked cred is not the task's real_cred (override_creds: overlayfs)
#define FLAG_OTHER_CRED 2     // checked cred is not even current->cred (another task's, a file's)
#define FLAG_CHILD_USERNS 4   // checked against a user namespace other than the initial one
#define FLAG_OPTS_KNOWN 8     // the path saw opts (kprobe); FLAG_NOAUDIT is meaningful
#define FLAG_NOAUDIT 16       // opts & CAP_OPT_NOAUDIT: a probe, not a need
#define FLAG_INSETID 32       // opts & CAP_OPT_INSETID: the set*id path
#define FLAG_NO_SYSCALL 64    // not in a syscall (kernel thread, fault, no pt_regs helper)

#define CAP_OPT_NOAUDIT 2
#define CAP_OPT_INSETID 4

struct check_key {
	u64 cgroup_id; // v1: memory-hierarchy cgroup kernfs id; v2: bpf_get_current_cgroup_id()
	u32 tgid;      // in the initial pid namespace
	u32 uid;       // the task's own effective uid (real_cred->euid), not a borrowed one
	s32 syscall;   // syscall number of the task, -1 unknown
	u8 cap;
	u8 denied;  // 0 granted, 1 denied
	u8 flags;   // FLAG_*
	u8 _pad;
	char comm[TASK_COMM_LEN];
};

struct check_val {
	u64 count;
	s64 nframes; // frames in stack[], or a negative errno from bpf_get_stack
	u64 stack[MAX_FRAMES];
};

// pending carries a kprobe entry's arguments to its return (kprobe path only). LRU: an entry
// whose return was missed (kretprobe maxactive) is evicted instead of filling the map.
struct inflight {
	struct check_key key; // everything but the verdict
	u32 opts;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192); // the loader may change it
	__type(key, struct check_key);
	__type(value, struct check_val);
} checks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u64); // cgroup id
	__type(value, u8);
} target_cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u32); // tgid never counted (the tracer's own process)
	__type(value, u8);
} exclude_tgids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct check_val);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, u64); // pid_tgid
	__type(value, struct inflight);
} pending SEC(".maps");

// Set by the loader before load. cgroup_v1: the host mounts cgroup v1 (bpf_get_current_cgroup_id
// would be 1 for every task there).
const volatile u8 cgroup_v1 = 0;

// Read by the loader: checks not counted because the map was full (a new key could not be
// added). Counted, so a truncated answer says so.
u64 dropped = 0;

// ---------------------------------------------------------------------------------------------
// Shared tail: count one check under its key, taking a stack only when the key is new.

static __always_inline void count(void *ctx, struct check_key *key)
{
	struct check_val *v = bpf_map_lookup_elem(&checks, key);
	if (v) {
		__sync_fetch_and_add(&v->count, 1);
		return;
	}
	u32 zero = 0;
	struct check_val *fresh = bpf_map_lookup_elem(&scratch, &zero);
	if (!fresh)
		return;
	fresh->count = 1;
	long n = bpf_get_stack(ctx, fresh->stack, sizeof(fresh->stack), 0);
	fresh->nframes = n < 0 ? n : (s64)((u64)n >> 3); // bytes to frames
	long err = bpf_map_update_elem(&checks, key, fresh, BPF_NOEXIST);
	if (err == -EEXIST) {
		// another CPU added the key between our lookup and update
		v = bpf_map_lookup_elem(&checks, key);
		if (v)
			__sync_fetch_and_add(&v->count, 1);
	} else if (err) {
		__sync_fetch_and_add(&dropped, 1);
	}
}

static __always_inline int excluded(u32 tgid)
{
	return bpf_map_lookup_elem(&exclude_tgids, &tgid) != 0;
}

// ---------------------------------------------------------------------------------------------
// tp_btf path: typed pointers, direct reads.

static __always_inline u64 cgroup_of_btf(struct task_struct *task)
{
	if (!cgroup_v1)
		return bpf_get_current_cgroup_id();
	// The index is a CO-RE constant, so the verifier sees a fixed offset into subsys[].
	return task->cgroups->subsys[core_enum_value(enum cgroup_subsys_id, memory_cgrp_id)]->cgroup->kn->id;
}

static __always_inline s32 syscall_of_btf(struct task_struct *task, u8 *flags)
{
	if (task->flags & PF_KTHREAD) {
		*flags |= FLAG_NO_SYSCALL;
		return -1;
	}
	struct pt_regs *regs = bpf_task_pt_regs(task);
	s64 nr = SYSCALL_NR(regs);
	if (nr < 0)
		*flags |= FLAG_NO_SYSCALL;
	return (s32)nr;
}

// The tracepoint's arguments (include/trace/events/capability.h): cred, target_ns, capable_ns,
// cap, ret. bpf2go names the program after the function: OnCapCapable.
SEC("tp_btf/cap_capable")
int on_cap_capable(u64 *ctx)
{
	const struct cred *cred = (const struct cred *)ctx[0];
	struct user_namespace *target_ns = (struct user_namespace *)ctx[1];
	int cap = (int)ctx[3];
	int ret = (int)ctx[4];

	struct task_struct *task = bpf_get_current_task_btf();
	struct check_key key = {};
	key.cgroup_id = cgroup_of_btf(task);
	if (!bpf_map_lookup_elem(&target_cgroups, &key.cgroup_id))
		return 0;
	key.tgid = bpf_get_current_pid_tgid() >> 32;
	if (excluded(key.tgid))
		return 0;

	const struct cred *real = task->real_cred;
	if (cred != real)
		key.flags |= FLAG_BORROWED_CRED;
	if (cred != task->cred)
		key.flags |= FLAG_OTHER_CRED;
	if (target_ns->level > 0)
		key.flags |= FLAG_CHILD_USERNS;
	key.uid = real->euid.val;
	key.cap = cap;
	key.denied = ret != 0;
	key.syscall = syscall_of_btf(task, &key.flags);
	bpf_get_current_comm(key.comm, sizeof(key.comm));
	count(ctx, &key);
	return 0;
}

// ---------------------------------------------------------------------------------------------
// kprobe path: cap_capable(const struct cred *cred, struct user_namespace *ns, int cap,
// unsigned int opts) (Linux 5.1+). Task fields go through bpf_probe_read_kernel: a kprobe gets the
// task as a number, not a typed pointer, on the older kernels this path is for.

static __always_inline u64 cgroup_of_kprobe(struct task_struct *task)
{
	if (!cgroup_v1)
		return bpf_get_current_cgroup_id();
	struct css_set *cset = 0;
	struct cgroup_subsys_state *css = 0;
	struct cgroup *cgrp = 0;
	struct kernfs_node *kn = 0;
	u64 id = 0;
	core_read(cset, task, cgroups);
	core_read(css, cset, subsys[core_enum_value(enum cgroup_subsys_id, memory_cgrp_id)]);
	core_read(cgrp, css, cgroup);
	core_read(kn, cgrp, kn);
	core_read(id, kn, id);
	return id;
}

static __always_inline s32 syscall_of_kprobe(struct task_struct *task, u8 *flags)
{
	unsigned int tflags = 0;
	core_read(tflags, task, flags);
	// bpf_task_pt_regs exists from Linux 5.15 (and wants a typed task: bpf_get_current_task_btf,
	// 5.11); the branch is removed at load time where it does not, and the syscall is then unknown.
	if (!(tflags & PF_KTHREAD) && core_enum_exists(enum bpf_func_id, BPF_FUNC_task_pt_regs)) {
		struct pt_regs *regs = bpf_task_pt_regs(bpf_get_current_task_btf());
		s64 nr = -1;
#if defined(__TARGET_ARCH_x86)
		core_read(nr, regs, orig_ax);
#else
		s32 nr32 = -1;
		core_read(nr32, regs, syscallno);
		nr = nr32;
#endif
		if (nr >= 0)
			return (s32)nr;
	}
	*flags |= FLAG_NO_SYSCALL;
	return -1;
}

SEC("kprobe/cap_capable")
int on_cap_capable_entry(struct pt_regs *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct inflight in = {};
	in.key.cgroup_id = cgroup_of_kprobe(task);
	if (!bpf_map_lookup_elem(&target_cgroups, &in.key.cgroup_id))
		return 0;
	u64 pid_tgid = bpf_get_current_pid_tgid();
	in.key.tgid = pid_tgid >> 32;
	if (excluded(in.key.tgid))
		return 0;

	const struct cred *cred = (const struct cred *)PARM1(ctx);
	struct user_namespace *ns = (struct user_namespace *)PARM2(ctx);
	in.key.cap = (u8)PARM3(ctx);
	in.opts = (u32)PARM4(ctx);

	const struct cred *real = 0, *subj = 0;
	int level = 0;
	core_read(real, task, real_cred);
	core_read(subj, task, cred);
	core_read(level, ns, level);
	core_read(in.key.uid, real, euid.val);
	if (cred != real)
		in.key.flags |= FLAG_BORROWED_CRED;
	if (cred != subj)
		in.key.flags |= FLAG_OTHER_CRED;
	if (level > 0)
		in.key.flags |= FLAG_CHILD_USERNS;
	in.key.flags |= FLAG_OPTS_KNOWN;
	if (in.opts & CAP_OPT_NOAUDIT)
		in.key.flags |= FLAG_NOAUDIT;
	if (in.opts & CAP_OPT_INSETID)
		in.key.flags |= FLAG_INSETID;
	in.key.syscall = syscall_of_kprobe(task, &in.key.flags);
	bpf_get_current_comm(in.key.comm, sizeof(in.key.comm));
	bpf_map_update_elem(&pending, &pid_tgid, &in, BPF_ANY);
	return 0;
}

// The stack is taken here, at the return, when the key is new. Kernels since about 5.14 (x86) and
// 5.17 (arm64) unwind through the kretprobe trampoline correctly; older ones may cut the stack at
// it, and the record then names no caller.
SEC("kretprobe/cap_capable")
int on_cap_capable_return(struct pt_regs *ctx)
{
	u64 pid_tgid = bpf_get_current_pid_tgid();
	struct inflight *in = bpf_map_lookup_elem(&pending, &pid_tgid);
	if (!in)
		return 0;
	struct check_key key = in->key;
	bpf_map_delete_elem(&pending, &pid_tgid);
	key.denied = (int)RETVAL(ctx) != 0;
	count(ctx, &key);
	return 0;
}
