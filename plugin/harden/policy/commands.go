package policy

import (
	"path"
	"strings"

	"github.com/kubectl-caps/kubectl-caps/plugin/termsafe"
)

// commandFacts is what a container's own command line shows it doing: the manifest is evidence
// too. Only the programs named in command and args (and in a `sh -c` script) are read; what the
// image's entrypoint does is for the image table (images.go).
type commandFacts struct {
	needs []need // capabilities the programs need when run as root
	// privileged lists what the programs do that no capability allows an unprivileged container
	// (writing /proc/sys, which the runtime mounts read-only).
	privileged []string
	// known is true when the command names every program it runs and each is one this file
	// knows: then nothing is left to guess.
	known bool
}

// A program rule turns the arguments of one program into needs; nil when it needs nothing.
type programRule func(args []string) []need

func needs(reason string, caps ...string) programRule {
	return func([]string) []need {
		out := make([]need, len(caps))
		for i, c := range caps {
			out[i] = need{name: c, source: SourceCommand, reason: reason}
		}
		return out
	}
}

// when applies rule only if one of the arguments is among words.
func when(rule programRule, words ...string) programRule {
	return func(args []string) []need {
		for _, a := range args {
			for _, w := range words {
				if a == w || strings.HasPrefix(w, "-") && strings.HasPrefix(a, w+"=") {
					return rule(args)
				}
			}
		}
		return nil
	}
}

var (
	iptables = needs("runs %s: changing netfilter rules needs NET_ADMIN, and iptables-legacy opens a raw socket (NET_RAW)", "NET_ADMIN", "NET_RAW")
	netAdmin = needs("runs %s: it reconfigures interfaces, routes, qdiscs or netfilter", "NET_ADMIN")
	netRaw   = needs("runs %s: it opens raw or packet sockets (unless net.ipv4.ping_group_range allows ICMP sockets, which containerd 2 sets)", "NET_RAW")
	stepDown = needs("runs %s: switching to another user needs SETUID and SETGID", "SETUID", "SETGID")
	// ipChanges are the words after which `ip` changes the network rather than reading it.
	ipChanges = []string{"add", "del", "delete", "set", "change", "replace", "flush", "append", "prepend", "up", "down"}
)

// programs are the programs whose needs are known. A missing entry is a program harden knows
// nothing about.
var programs = map[string]programRule{
	"chown":    needs("runs %s: giving files to another owner needs CHOWN", "CHOWN"),
	"chgrp":    needs("runs %s: giving files to another group needs CHOWN", "CHOWN"),
	"chmod":    needs("runs %s: changing the mode of files another user owns needs FOWNER", "FOWNER"),
	"setcap":   needs("runs %s: setting file capabilities needs SETFCAP", "SETFCAP"),
	"iptables": iptables, "ip6tables": iptables, "iptables-legacy": iptables, "ip6tables-legacy": iptables,
	"iptables-restore": iptables, "ip6tables-restore": iptables, "iptables-nft": netAdmin, "ip6tables-nft": netAdmin,
	"iptables-legacy-restore": iptables, "iptables-nft-restore": netAdmin, "nft": netAdmin, "ebtables": netAdmin,
	"ipset": netAdmin, "ipvsadm": netAdmin, "conntrack": netAdmin, "tc": netAdmin, "brctl": netAdmin,
	"ovs-vsctl": netAdmin,
	"ip":        when(needs("runs %s to change links, addresses or routes: NET_ADMIN", "NET_ADMIN"), ipChanges...),
	"ethtool":   when(netAdmin, "-s", "-K", "-G", "-L", "-A", "-C", "-N", "-X", "--change", "--features", "--set-ring", "--set-channels"),
	"ping":      netRaw, "ping6": netRaw, "arping": netRaw, "traceroute": netRaw, "mtr": netRaw, "tcpdump": netRaw, "nmap": netRaw,
	"mount":    needs("runs %s: mounting needs SYS_ADMIN (some filesystems and propagation need privileged: true)", "SYS_ADMIN"),
	"umount":   needs("runs %s: unmounting needs SYS_ADMIN", "SYS_ADMIN"),
	"modprobe": needs("runs %s: loading kernel modules needs SYS_MODULE (and the node's /lib/modules)", "SYS_MODULE"),
	"insmod":   needs("runs %s: loading kernel modules needs SYS_MODULE", "SYS_MODULE"),
	"rmmod":    needs("runs %s: unloading kernel modules needs SYS_MODULE", "SYS_MODULE"),
	"su-exec":  stepDown, "gosu": stepDown, "setpriv": stepDown, "su": stepDown, "runuser": stepDown, "chpst": stepDown,
	"s6-setuidgid": stepDown, "setuidgid": stepDown, "sudo": stepDown,
	"chroot":  needs("runs %s: chroot needs SYS_CHROOT", "SYS_CHROOT"),
	"nsenter": needs("runs %s: entering namespaces needs SYS_ADMIN (and SYS_PTRACE for another process's)", "SYS_ADMIN", "SYS_PTRACE"),
	"hwclock": needs("runs %s: setting the clock needs SYS_TIME", "SYS_TIME"),
	"date":    when(needs("runs %s to set the clock: SYS_TIME", "SYS_TIME"), "-s", "--set"),
	"mknod":   needs("runs %s: creating device nodes needs MKNOD", "MKNOD"),
	"chrt":    needs("runs %s: real-time scheduling needs SYS_NICE", "SYS_NICE"),
	"dmesg":   needs("runs %s: reading the kernel log needs SYSLOG where kernel.dmesg_restrict is set", "SYSLOG"),
}

// harmless are programs and shell words that need no capability.
var harmless = map[string]bool{
	"sleep": true, "echo": true, "printf": true, "cat": true, "true": true, "false": true, "test": true,
	"[": true, "[[": true, "ls": true, "tail": true, "head": true, "env": true, "exit": true, "wait": true,
	"touch": true, "mkdir": true, "cp": true, "mv": true, "rm": true, "ln": true, "sed": true, "grep": true,
	"awk": true, "tee": true, "wget": true, "curl": true, "export": true, "set": true, "cd": true,
	"trap": true, "read": true, "kill": true, ":": true, "pause": true, "sync": true, "id": true,
	"whoami": true, "hostname": true, "nslookup": true, "dig": true, "until": true, "sort": true,
	"uniq": true, "wc": true, "tr": true, "cut": true, "basename": true, "dirname": true, "pwd": true,
	"sh": true, "bash": true, "ash": true, "dash": true, "source": true, ".": true, "tar": true,
	"gzip": true, "gunzip": true, "base64": true, "sha256sum": true, "md5sum": true, "find": true,
	"xargs": true, "expr": true, ">": true, ">>": true, "<": true, "seq": true, "yes": true, "stat": true, "readlink": true, "realpath": true,
}

// wrappers start the program that follows them.
var wrappers = map[string]bool{"exec": true, "nohup": true, "time": true, "tini": true, "dumb-init": true, "busybox": true, "command": true, "nice": true, "timeout": true, "stdbuf": true}

// shellWords open or close a shell construct; the word after them starts a command.
var shellWords = map[string]bool{"if": true, "then": true, "else": true, "elif": true, "fi": true, "do": true, "done": true, "while": true, "for": true, "in": true, "case": true, "esac": true, "!": true, "{": true, "}": true}

// readCommand reads the command and args of a container.
func readCommand(c Container) commandFacts {
	words := append(append([]string{}, c.Command...), c.Args...)
	if len(words) == 0 || len(c.Command) == 0 {
		// args alone go to the image's entrypoint, which the command line does not name.
		return commandFacts{}
	}
	f := commandFacts{known: true}
	for _, cmd := range commands(words) {
		f.program(cmd)
	}
	return f
}

// commands splits a command line into the simple commands it runs: itself, or the commands of a
// `sh -c SCRIPT`, with wrappers (exec, nohup, tini --) stepped over.
func commands(words []string) [][]string {
	prog := path.Base(words[0])
	if (prog == "sh" || prog == "bash" || prog == "ash" || prog == "dash" || prog == "zsh") && len(words) > 1 {
		for i := 1; i < len(words); i++ {
			w := words[i]
			if strings.HasPrefix(w, "-") && !strings.HasPrefix(w, "--") && strings.Contains(w, "c") {
				if i+1 < len(words) {
					return script(words[i+1])
				}
				return nil
			}
			if !strings.HasPrefix(w, "-") {
				break // sh FILE: a script harden cannot read
			}
		}
	}
	return [][]string{words}
}

// maxScript bounds how much of a `sh -c` script is read.
const maxScript = 64 << 10

// script cuts a shell script into simple commands at ; & | && || newlines, parentheses and
// command substitutions, and into words at blanks; quotes are removed. It is not a shell: it is
// enough to find the programs a script runs.
func script(s string) [][]string {
	if len(s) > maxScript {
		s = s[:maxScript]
	}
	var out [][]string
	var cur []string
	var word strings.Builder
	inWord := false
	endWord := func() {
		if inWord {
			cur = append(cur, word.String())
			word.Reset()
			inWord = false
		}
	}
	endCmd := func() {
		endWord()
		if len(cur) > 0 {
			out = append(out, cur)
			cur = nil
		}
	}
	var quote byte
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quote != 0:
			if ch == quote {
				quote = 0
			} else {
				word.WriteByte(ch)
			}
		case ch == '\'' || ch == '"':
			quote, inWord = ch, true
		case ch == '\\' && i+1 < len(s):
			i++
			if s[i] != '\n' {
				word.WriteByte(s[i])
				inWord = true
			}
		case ch == ' ' || ch == '\t':
			endWord()
		case ch == ';' || ch == '&' || ch == '|' || ch == '\n' || ch == '(' || ch == ')' || ch == '`':
			endCmd()
		case ch == '$' && i+1 < len(s) && s[i+1] == '(':
			endCmd()
			i++
		case ch == '>' || ch == '<':
			endWord()
			word.WriteByte(ch) // a redirection is a word of its own: "> /proc/sys/..."
			inWord = true
			endWord()
		default:
			word.WriteByte(ch)
			inWord = true
		}
	}
	endCmd()
	return out
}

// program reads one simple command.
func (f *commandFacts) program(words []string) {
	// Step over assignments (X=1 cmd), shell keywords and wrappers.
	for len(words) > 0 {
		w := words[0]
		base := path.Base(w)
		switch {
		case shellWords[w], strings.Contains(w, "=") && !strings.HasPrefix(w, "-") && !strings.HasPrefix(w, "/"):
			words = words[1:]
			continue
		case wrappers[base]:
			words = words[1:]
			for len(words) > 0 && (strings.HasPrefix(words[0], "-") || isNumber(words[0])) {
				words = words[1:] // tini --, timeout 10, nice -n 5
			}
			continue
		}
		break
	}
	if len(words) == 0 {
		return
	}
	for i, w := range words {
		if (w == ">" || w == ">>") && i+1 < len(words) && strings.HasPrefix(words[i+1], "/proc/sys/") {
			f.privileged = append(f.privileged, "writes "+clean(words[i+1])+": the runtime mounts /proc/sys read-only unless the container is privileged (namespaced sysctls belong in the pod's securityContext.sysctls)")
		}
	}
	name := path.Base(words[0])
	args := words[1:]
	if name == "sysctl" {
		for _, a := range args {
			if a == "-w" || strings.Contains(a, "=") && !strings.HasPrefix(a, "-") {
				f.privileged = append(f.privileged, "runs sysctl -w: the runtime mounts /proc/sys read-only unless the container is privileged (namespaced sysctls belong in the pod's securityContext.sysctls)")
				return
			}
		}
		return
	}
	rule, ok := programs[name]
	if !ok {
		if !harmless[name] {
			f.known = false
		}
		return
	}
	for _, n := range rule(args) {
		n.reason = strings.Replace(n.reason, "%s", clean(name), 1)
		f.needs = append(f.needs, n)
	}
}

func isNumber(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// clean makes manifest text safe to print in the report.
func clean(s string) string { return clip(termsafe.Clean(s)) }

// clip bounds manifest text quoted in the report (%q escapes what a terminal would act on).
func clip(s string) string {
	if r := []rune(s); len(r) > 60 {
		return string(r[:60]) + "..."
	}
	return s
}
