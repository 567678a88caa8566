// Package capbpf holds the eBPF program that counts capability checks (capable.bpf.c) and the
// objects bpf2go compiled from it for amd64 and arm64, committed so that a plain `go build` needs
// no clang. `make bpf` regenerates them with clang; `make bpf-check` fails when the committed
// objects differ from what the source compiles to. Only plugin/trace/capstrace loads them.
//
// The generated files are Linux-only (the object is useless elsewhere); on other systems this
// package is this comment alone.
package capbpf
