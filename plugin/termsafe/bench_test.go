package termsafe

import (
	"strings"
	"testing"
)

func BenchmarkCleanPlain(b *testing.B) {
	s := "kube-proxy --config=/var/lib/kube-proxy/config.conf"
	b.ReportAllocs()
	for b.Loop() {
		_ = Clean(s)
	}
}

func BenchmarkCleanHostile(b *testing.B) {
	s := strings.Repeat("a\x1b[31mb\x1b]0;t\x07c\u202e\xff", 100)
	b.ReportAllocs()
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		_ = Clean(s)
	}
}
