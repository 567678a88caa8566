package reading

import (
	"strings"
	"testing"
)

func benchParse(b *testing.B, in []byte, parse func([]byte) (Process, error)) {
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := parse(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseStatus(b *testing.B) {
	benchParse(b, readSample(b, "status/root-full.txt"), ParseStatus)
}

// The worst accepted input: 64 KiB, mostly one long line the parser must skip.
func BenchmarkParseStatusMaxSize(b *testing.B) {
	in := minimalStatus + "Groups:\t" + strings.Repeat("1 ", (MaxStatusBytes-len(minimalStatus)-16)/2) + "\n"
	benchParse(b, []byte(in), ParseStatus)
}

func BenchmarkParseCapshNew(b *testing.B) {
	benchParse(b, readSample(b, "capsh/2.66-runtime-default.txt"), ParseCapsh)
}

func BenchmarkParseCapshOld(b *testing.B) {
	benchParse(b, readSample(b, "capsh/old-1-privileged-uid1025.txt"), ParseCapsh)
}

func BenchmarkParseNetSockets10k(b *testing.B) {
	in := []byte(tcpHeader + strings.Repeat(tcpListen80, 10000))
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := ParseNetSockets(in, "tcp"); err != nil {
			b.Fatal(err)
		}
	}
}
