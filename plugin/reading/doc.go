// Package reading turns what a container prints about itself into values: one process's
// capability state from /proc/PID/status or `capsh --print` text, and the sockets listed in
// /proc/net/*. It is pure parsing: no exec, no I/O, no OS-specific code, so it builds and is
// tested on every platform the plugin ships for.
//
// Everything here reads untrusted bytes: the image decides what its shell, cat and capsh print.
// So every parser bounds its input size and does work linear in it, never panics, reports
// malformed or contradictory input as an error that names the line, and quotes (never echoes raw)
// the offending text in that error. Strings copied from the input (a process name) are returned
// raw; the caller sanitizes them for a terminal with package termsafe.
package reading
