// SPDX-License-Identifier: GPL-2.0-only OR Apache-2.0
//
// capcore.h: the little of the kernel this program reads, written by hand instead of a 3 MB
// vmlinux.h. Every struct carries preserve_access_index, so clang records each field access as a
// CO-RE relocation and the loader moves it to the running kernel's real offset (from
// /sys/kernel/btf/vmlinux). Only the fields read are declared; their order and the absence of
// the others do not matter. Helper ids are the kernel's (include/uapi/linux/bpf.h).
#pragma once

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef int s32;
typedef unsigned long long u64;
typedef long long s64;

#define SEC(name) __attribute__((section(name), used))
#define __always_inline inline __attribute__((always_inline))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name

// --- CO-RE -----------------------------------------------------------------------------------
#define __core __attribute__((preserve_access_index))

// enum value as the running kernel numbers it (BPF_ENUMVAL_VALUE = 1), and whether it exists
// there at all (BPF_ENUMVAL_EXISTS = 0). clang 14 spelling of libbpf's bpf_core_enum_value.
#define core_enum_value(type, value) __builtin_preserve_enum_value(*(typeof(type) *)value, 1)
#define core_enum_exists(type, value) __builtin_preserve_enum_value(*(typeof(type) *)value, 0)

// core_read copies one field through bpf_probe_read_kernel with a CO-RE relocated address. Only
// the kprobe path needs it: there the task and cred are plain numbers to the verifier, while
// tp_btf programs get typed pointers and read fields directly (four times cheaper, see
// ../../shared/notes/capability-tracing.md).
#define core_read(dst, src, field)                                                          \
	bpf_probe_read_kernel(&(dst), sizeof(dst), __builtin_preserve_access_index(&(src)->field))

typedef struct { u32 val; } kuid_t;

struct cred {
	kuid_t euid;
} __core;

struct kernfs_node {
	u64 id; // kernfs id = inode number of the cgroup directory (64-bit kernels, 5.5+)
} __core;

struct cgroup {
	struct kernfs_node *kn;
} __core;

struct cgroup_subsys_state {
	struct cgroup *cgroup;
} __core;

struct css_set {
	struct cgroup_subsys_state *subsys[16]; // the real bound is CGROUP_SUBSYS_COUNT
} __core;

struct user_namespace {
	int level; // 0 = the initial user namespace
} __core;

struct task_struct {
	unsigned int flags;
	const struct cred *real_cred; // objective: the task's own credentials
	const struct cred *cred;      // subjective: what override_creds() may have swapped in
	struct css_set *cgroups;
} __core;

enum cgroup_subsys_id {
	memory_cgrp_id = 4, // placeholder; the relocation gives the kernel's number
};

enum bpf_func_id {
	BPF_FUNC_task_pt_regs = 175, // placeholder; only its existence is asked
};

#define PF_KTHREAD 0x00200000

// --- registers -------------------------------------------------------------------------------
// The syscall number of the task (from its user-mode pt_regs) and a kprobe's arguments.
#if defined(__TARGET_ARCH_x86)
struct pt_regs {
	unsigned long di, si, dx, cx, ax;
	unsigned long orig_ax; // syscall number; -1 when not in a syscall
} __core;
#define SYSCALL_NR(regs) ((s64)(regs)->orig_ax)
#define PARM1(x) ((x)->di)
#define PARM2(x) ((x)->si)
#define PARM3(x) ((x)->dx)
#define PARM4(x) ((x)->cx)
#define RETVAL(x) ((x)->ax)
#elif defined(__TARGET_ARCH_arm64)
struct pt_regs {
	u64 regs[31];
	s32 syscallno; // -1 (NO_SYSCALL) when not in a syscall
} __core;
#define SYSCALL_NR(regs) ((s64)(regs)->syscallno)
#define PARM1(x) ((x)->regs[0])
#define PARM2(x) ((x)->regs[1])
#define PARM3(x) ((x)->regs[2])
#define PARM4(x) ((x)->regs[3])
#define RETVAL(x) ((x)->regs[0])
#else
#error "capable.bpf.c is built for amd64 (__TARGET_ARCH_x86) and arm64 (__TARGET_ARCH_arm64)"
#endif

// --- maps and helpers --------------------------------------------------------------------------
#define BPF_MAP_TYPE_HASH 1
#define BPF_MAP_TYPE_PERCPU_ARRAY 6
#define BPF_MAP_TYPE_LRU_HASH 9
#define BPF_NOEXIST 1
#define BPF_ANY 0
#define EEXIST 17

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value, u64 flags) = (void *)2;
static long (*bpf_map_delete_elem)(void *map, const void *key) = (void *)3;
static u64 (*bpf_get_current_pid_tgid)(void) = (void *)14;
static long (*bpf_get_current_comm)(void *buf, u32 size) = (void *)16;
static u64 (*bpf_get_current_task)(void) = (void *)35;
static long (*bpf_get_stack)(void *ctx, void *buf, u32 size, u64 flags) = (void *)67;
static u64 (*bpf_get_current_cgroup_id)(void) = (void *)80;
static long (*bpf_probe_read_kernel)(void *dst, u32 size, const void *src) = (void *)113;
static struct task_struct *(*bpf_get_current_task_btf)(void) = (void *)158;
static struct pt_regs *(*bpf_task_pt_regs)(struct task_struct *task) = (void *)175;
