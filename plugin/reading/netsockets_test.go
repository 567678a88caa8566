package reading

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// The tables were captured in a fresh network namespace with known sockets open (testdata/README.md).
func TestParseNetSocketsSamples(t *testing.T) {
	tests := []struct {
		proto string
		want  []Socket
	}{
		{"tcp", []Socket{
			{Proto: "tcp", LocalPort: 80, Listening: true, UID: 0, Inode: 56494},
			{Proto: "tcp", LocalPort: 8080, Listening: true, UID: 1025, Inode: 56505},
			{Proto: "tcp", LocalPort: 0x874A, UID: 0, Inode: 56496}, // the client end of a connection
			{Proto: "tcp", LocalPort: 80, UID: 0, Inode: 56497},     // the accepted end: established, not listening
		}},
		{"tcp6", []Socket{{Proto: "tcp6", LocalPort: 8443, Listening: true, Inode: 56495}}},
		{"udp", []Socket{
			{Proto: "udp", LocalPort: 0xE9AA, Inode: 56500}, // connected: not listening
			{Proto: "udp", LocalPort: 53, Listening: true, Inode: 56498},
		}},
		{"udp6", []Socket{
			{Proto: "udp6", LocalPort: 5353, Listening: true, Inode: 56499},
			{Proto: "udp6", LocalPort: 8125, Listening: true, UID: 1025, Inode: 56506},
		}},
		{"raw", []Socket{{Proto: "raw", LocalPort: 1, Inode: 56501}}},    // ICMP
		{"raw6", []Socket{{Proto: "raw6", LocalPort: 58, Inode: 56502}}}, // ICMPv6
		{"packet", []Socket{{Proto: "packet", Inode: 56503}, {Proto: "packet", Inode: 56504}}},
	}
	for _, tt := range tests {
		t.Run(tt.proto, func(t *testing.T) {
			got, err := ParseNetSockets(readSample(t, "net/"+tt.proto+".txt"), tt.proto)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

const tcpHeader = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
const tcpListen80 = "   0: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 55085 1 000000003bb008a3 100 0 0 10 0\n"

func TestParseNetSocketsEdgeCases(t *testing.T) {
	tests := []struct {
		name, proto, in string
		wantN           int
		wantErr         string
	}{
		{name: "empty file", proto: "tcp", in: "", wantN: 0},
		{name: "header only", proto: "tcp", in: tcpHeader, wantN: 0},
		{name: "no header", proto: "tcp", in: tcpListen80, wantN: 1},
		{name: "blank lines and CRLF", proto: "tcp", in: "\r\n" + tcpHeader + "\n  \n" + strings.ReplaceAll(tcpListen80, "\n", "\r\n"), wantN: 1},
		{name: "10,000 sockets", proto: "tcp", in: tcpHeader + strings.Repeat(tcpListen80, 10000), wantN: 10000},
		{name: "time-wait socket, uid 0 inode 0", proto: "tcp",
			in: "   3: 0100007F:0050 0100007F:874A 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000\n", wantN: 1},
		{name: "lowercase hex", proto: "tcp", in: strings.Replace(tcpListen80, "0A", "0a", 1), wantN: 1},

		{name: "unknown proto", proto: "sctp", in: tcpListen80, wantErr: "unknown socket table"},
		{name: "v6 table with v4 address", proto: "tcp6", in: tcpListen80, wantErr: "not 32 hex digits"},
		{name: "too few fields", proto: "tcp", in: "   0: 00000000:0050 00000000:0000 0A\n", wantErr: "line 1: 4 fields"},
		{name: "slot without colon", proto: "udp", in: strings.Replace(tcpListen80, "0:", "0", 1), wantErr: "slot"},
		{name: "bad port", proto: "tcp", in: strings.Replace(tcpListen80, ":0050", ":00G0", 1), wantErr: "local address"},
		{name: "port too wide", proto: "tcp", in: strings.Replace(tcpListen80, ":0050", ":10050", 1), wantErr: "local address"},
		{name: "bad remote", proto: "tcp", in: strings.Replace(tcpListen80, "00000000:0000", "zz:0000", 1), wantErr: "remote address"},
		{name: "bad state", proto: "tcp", in: strings.Replace(tcpListen80, " 0A ", " 0AB ", 1), wantErr: "state"},
		{name: "negative uid", proto: "tcp", in: strings.Replace(tcpListen80, "     0        0 55085", "    -1        0 55085", 1), wantErr: "uid"},
		{name: "uid beyond 32 bits", proto: "tcp", in: strings.Replace(tcpListen80, "     0        0 55085", " 4294967296        0 55085", 1), wantErr: "out of range"},
		{name: "inode not a number", proto: "tcp", in: strings.Replace(tcpListen80, "55085", "5508x", 1), wantErr: "inode"},
		{name: "inode overflow", proto: "tcp", in: strings.Replace(tcpListen80, "55085", "99999999999999999999", 1), wantErr: "inode"},
		{name: "packet line short", proto: "packet", in: "sk RefCnt Type Proto Iface R Rmem User Inode\n0000 3 3 0003 0\n", wantErr: "5 fields"},
		{name: "packet bad sk", proto: "packet", in: "zz 3 3 0003 0 1 0 0 1\n", wantErr: "sk"},
		{name: "garbage line", proto: "udp", in: tcpHeader + "\x1b]0;owned\x07 hello\n", wantErr: "line 2"},
		{name: "too large", proto: "raw", in: strings.Repeat(" ", MaxNetBytes+1), wantErr: "more than the"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseNetSockets([]byte(tt.in), tt.proto)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				if strings.ContainsAny(err.Error(), "\x1b\x07") {
					t.Errorf("error carries raw control bytes: %q", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.wantN {
				t.Errorf("got %d sockets, want %d", len(got), tt.wantN)
			}
		})
	}
}

func TestParseNetSocketsTooLargeIsErrTooLarge(t *testing.T) {
	if _, err := ParseNetSockets(make([]byte, MaxNetBytes+1), "tcp"); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
}
