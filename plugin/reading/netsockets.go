package reading

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Socket is one line of a /proc/net socket table.
type Socket struct {
	Proto string // the table it came from: tcp, tcp6, udp, udp6, raw, raw6, packet
	// LocalPort is the bound port for tcp/udp; for raw sockets the kernel puts the IP protocol
	// number in that column (1 = ICMP, 58 = ICMPv6), and it is kept here as is; 0 for packet.
	LocalPort int
	// Listening: a tcp socket in LISTEN state, or an unconnected (bound) udp socket, which
	// receives from anyone. Raw and packet sockets are never "listening": their mere existence is
	// what matters (they need NET_RAW).
	Listening bool
	UID       int64 // owner as seen from the reader's user namespace (65534 if unmapped)
	Inode     uint64
}

// TCP and UDP states as the kernel prints them (include/net/tcp_states.h).
const (
	tcpListen = 0x0A
	tcpClose  = 0x07 // an unconnected udp socket
)

// ParseNetSockets reads one /proc/net table: proto is "tcp", "tcp6", "udp", "udp6", "raw", "raw6"
// (all the same layout: sl, local, remote, st, queues, timers, retransmits, uid, timeout, inode,
// ...) or "packet" (sk, RefCnt, Type, Proto, Iface, R, Rmem, User, Inode). Header lines are
// skipped, blank lines ignored; any other line that does not parse is an error naming it.
func ParseNetSockets(data []byte, proto string) ([]Socket, error) {
	var parse func(fields []string, proto string) (Socket, error)
	switch proto {
	case "tcp", "udp", "raw":
		parse = inetSocket(8)
	case "tcp6", "udp6", "raw6":
		parse = inetSocket(32)
	case "packet":
		parse = packetSocket
	default:
		return nil, fmt.Errorf("unknown socket table %s (want tcp, tcp6, udp, udp6, raw, raw6 or packet)", quote(proto))
	}
	if len(data) > MaxNetBytes {
		return nil, tooLarge("/proc/net/"+proto, len(data), MaxNetBytes)
	}
	// Only the first ten columns matter; splitting stops there.
	var fields [10]string
	out := make([]Socket, 0, bytes.Count(data, []byte{'\n'}))
	rest := string(data)
	for lineNo := 1; rest != ""; lineNo++ {
		var line string
		line, rest = nextLine(rest)
		f := splitFields(line, fields[:0])
		if len(f) == 0 || f[0] == "sl" || f[0] == "sk" {
			continue
		}
		s, err := parse(f, proto)
		if err != nil {
			return nil, fmt.Errorf("/proc/net/%s line %d: %w", proto, lineNo, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// splitFields is strings.Fields over blanks into a caller's buffer, so a table of thousands of
// lines costs no allocation per line. It stops when the buffer is full: the columns after the
// inode are never read.
func splitFields(line string, buf []string) []string {
	for i := 0; i < len(line); {
		for i < len(line) && isBlank(line[i]) {
			i++
		}
		j := i
		for j < len(line) && !isBlank(line[j]) {
			j++
		}
		if j > i {
			if len(buf) == cap(buf) {
				break
			}
			buf = append(buf, line[i:j])
		}
		i = j
	}
	return buf
}

// inetSocket parses a tcp/udp/raw line whose addresses have addrHex hex digits (8 for IPv4, 32
// for IPv6).
func inetSocket(addrHex int) func([]string, string) (Socket, error) {
	return func(f []string, proto string) (Socket, error) {
		if len(f) < 10 {
			return Socket{}, fmt.Errorf("%d fields, want at least 10", len(f))
		}
		if sl, ok := strings.CutSuffix(f[0], ":"); !ok || !isDecimal(sl) {
			return Socket{}, fmt.Errorf("slot %s is not \"N:\"", quote(f[0]))
		}
		port, err := parseAddrPort(f[1], addrHex)
		if err != nil {
			return Socket{}, fmt.Errorf("local address: %w", err)
		}
		if _, err := parseAddrPort(f[2], addrHex); err != nil {
			return Socket{}, fmt.Errorf("remote address: %w", err)
		}
		st, err := parseHexField(f[3], 2)
		if err != nil {
			return Socket{}, fmt.Errorf("state: %w", err)
		}
		uid, err := parseDec(f[7], 1<<32-1)
		if err != nil {
			return Socket{}, fmt.Errorf("uid: %w", err)
		}
		inode, err := parseInode(f[9])
		if err != nil {
			return Socket{}, err
		}
		s := Socket{Proto: proto, LocalPort: port, UID: uid, Inode: inode}
		switch proto {
		case "tcp", "tcp6":
			s.Listening = st == tcpListen
		case "udp", "udp6":
			s.Listening = st == tcpClose
		}
		return s, nil
	}
}

func packetSocket(f []string, proto string) (Socket, error) {
	if len(f) < 9 {
		return Socket{}, fmt.Errorf("%d fields, want at least 9", len(f))
	}
	if _, err := parseHexField(f[0], 16); err != nil {
		return Socket{}, fmt.Errorf("sk: %w", err)
	}
	uid, err := parseDec(f[7], 1<<32-1)
	if err != nil {
		return Socket{}, fmt.Errorf("user: %w", err)
	}
	inode, err := parseInode(f[8])
	if err != nil {
		return Socket{}, err
	}
	return Socket{Proto: proto, UID: uid, Inode: inode}, nil
}

// parseAddrPort checks "0100007F:1F90" (address hex digits, colon, 4-digit port) and returns the
// port.
func parseAddrPort(s string, addrHex int) (int, error) {
	addr, port, ok := strings.Cut(s, ":")
	if !ok || len(addr) != addrHex || len(port) != 4 {
		return 0, fmt.Errorf("%s is not %d hex digits, colon, 4 hex digits", quote(s), addrHex)
	}
	for i := 0; i < len(addr); i++ {
		if !isHexDigit(addr[i]) {
			return 0, fmt.Errorf("%s is not hexadecimal", quote(s))
		}
	}
	p, err := parseHexField(port, 4)
	return int(p), err
}

// parseHexField reads 1 to max hex digits.
func parseHexField(s string, max int) (uint64, error) {
	if s == "" || len(s) > max {
		return 0, fmt.Errorf("%s is not 1-%d hex digits", quote(s), max)
	}
	for i := 0; i < len(s); i++ {
		if !isHexDigit(s[i]) {
			return 0, fmt.Errorf("%s is not hexadecimal", quote(s))
		}
	}
	return strconv.ParseUint(s, 16, 64)
}

func parseInode(s string) (uint64, error) {
	if !isDecimal(s) || len(s) > 20 {
		return 0, fmt.Errorf("inode %s is not a decimal number", quote(s))
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("inode %s is out of range", quote(s))
	}
	return n, nil
}

func isDecimal(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
