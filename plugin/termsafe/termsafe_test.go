package termsafe

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "nginx: worker process", "nginx: worker process"},
		{"empty", "", ""},
		{"unicode kept", "café 日本語 ✓", "café 日本語 ✓"},
		{"kernel-escaped newline kept as text", `a b\n`, `a b\n`},

		// ESC sequences, payload and all.
		{"SGR colour", "\x1b[31mred\x1b[0m", "red"},
		{"CSI with private params and intermediates", "a\x1b[?1049hb\x1b[2 qc", "abc"},
		{"cursor movement rewriting the table", "ok\x1b[2K\x1b[1Gfake row", "okfake row"},
		{"OSC title with BEL", "x\x1b]0;pwned\x07y", "xy"},
		{"OSC title with ST", "x\x1b]2;pwned\x1b\\y", "xy"},
		{"OSC 8 hyperlink keeps only the visible text", "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\", "click"},
		{"OSC 52 clipboard write", "\x1b]52;c;ZWNobyBwd25lZA==\x07", ""},
		{"unterminated OSC swallows the rest", "a\x1b]0;never ends", "a"},
		{"OSC aborted by CAN", "a\x1b]0;x\x18b", "ab"},
		{"ESC inside OSC starts a new sequence", "a\x1b]0;x\x1b[31mb", "ab"},
		{"DCS string", "a\x1bP1$qm\x1b\\b", "ab"},
		{"APC, PM and SOS strings", "a\x1b_apc\x1b\\b\x1b^pm\x07c\x1bXsos\x1b\\d", "abcd"},
		{"charset designation", "a\x1b(Bb\x1b)0c", "abc"},
		{"two-byte escapes", "a\x1b7b\x1b8c\x1bcd\x1bMe", "abcde"},
		{"ESC at the end", "abc\x1b", "abc"},
		{"ESC [ at the end", "abc\x1b[", "abc"},
		{"CSI cut short by a control byte", "a\x1b[31\nb", "a b"},
		{"ESC then non-ASCII", "a\x1bé", "aé"},
		{"double ESC", "a\x1b\x1b[31mb", "ab"},

		// C0, DEL and C1.
		{"BEL", "ding\x07dong", "dingdong"},
		{"backspace overwrite trick", "rm -rf /\x08\x08\x08\x08\x08\x08\x08\x08ls", "rm -rf /ls"},
		{"carriage return overwrite trick", "evil\rgood", "evilgood"},
		{"CRLF", "line\r\n", "line "},
		{"newline and tab become spaces", "a\nb\tc", "a b c"},
		{"NUL and other C0", "a\x00b\x01c\x0bd\x0ce\x1ff", "abcdef"},
		{"DEL", "a\x7fb", "ab"},
		{"C1 controls dropped", "a\u0085b\u0084c\u0080d\u0086e", "abcde"},
		{"8-bit APC swallows its payload", "a\u009fhidden\u009cb", "ab"},
		{"8-bit CSI with its sequence", "a\u009b31mb", "ab"},
		{"8-bit OSC with its payload, 8-bit ST", "a\u009d0;title\u009cb", "ab"},
		{"8-bit OSC ended by BEL", "a\u009d0;title\x07b", "ab"},
		{"8-bit DCS", "a\u0090payload\x1b\\b", "ab"},

		// Invalid UTF-8: replaced, never passed through (a raw 0x9b byte is CSI on 8-bit terminals).
		{"raw 0x9b byte", "a\x9b31mb", "a\uFFFD31mb"},
		{"truncated sequence", "ab\xe6\x97", "ab\uFFFD\uFFFD"},
		{"overlong encoding of ESC", "a\xc0\x9bb", "a\uFFFD\uFFFDb"},
		{"encoded surrogate", "a\xed\xa0\x80b", "a\uFFFD\uFFFD\uFFFDb"},
		{"genuine U+FFFD kept", "a\uFFFDb", "a\uFFFDb"},

		// Invisible formatting that makes text read differently.
		{"bidi override", "cat\u202eexe.txt", "catexe.txt"},
		{"bidi isolates", "a\u2066b\u2069c", "abc"},
		{"zero-width characters", "ad\u200bmin\u200d\ufeff", "admin"},
		{"tag characters", "a\U000E0041\U000E007Fb", "ab"},
		{"line separator", "a\u2028b\u2029c", "a b c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Clean(tt.in)
			if got != tt.want {
				t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
			}
			checkClean(t, tt.in, got)
		})
	}
}

// checkClean asserts the properties Clean promises for any input.
func checkClean(t *testing.T, in, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("Clean(%q) = %q is not valid UTF-8", in, out)
	}
	for _, r := range out {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || invisible(r) || r == 0x2028 || r == 0x2029 {
			t.Fatalf("Clean(%q) = %q still holds %U", in, out, r)
		}
	}
	if again := Clean(out); again != out {
		t.Fatalf("Clean is not idempotent: Clean(%q) = %q, Clean of that = %q", in, out, again)
	}
	// Each input byte yields at most one U+FFFD (3 bytes).
	if len(out) > 3*len(in) {
		t.Fatalf("Clean(%q) grew to %d bytes", in, len(out))
	}
}

func TestCleanPlainASCIIDoesNotAllocate(t *testing.T) {
	s := strings.Repeat("kube-proxy ", 10)
	if n := testing.AllocsPerRun(100, func() { _ = Clean(s) }); n != 0 {
		t.Errorf("Clean of plain ASCII allocates %v times", n)
	}
}

func TestClip(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"nginx", 10, "nginx"},
		{"nginx", 5, "nginx"},
		{"nginx", 4, "ngi…"},
		{"nginx", 1, "…"},
		{"nginx", 0, ""},
		{"nginx", -3, ""},
		{"", 3, ""},
		{"日本語テキスト", 7, "日本語テキスト"},
		{"日本語テキスト", 4, "日本語…"},
		{"日本語", 3, "日本語"}, // 9 bytes but 3 runes: fits
		{"ab€", 2, "a…"},
		{"a\xffb\xffc", 3, "a\xff…"}, // invalid bytes count as one rune each; the cut stays on a boundary
	}
	for _, tt := range tests {
		got := Clip(tt.in, tt.n)
		if got != tt.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
		if n := utf8.RuneCountInString(got); tt.n >= 0 && n > tt.n {
			t.Errorf("Clip(%q, %d) has %d runes", tt.in, tt.n, n)
		}
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{
		"nginx", "\x1b[31mred\x1b[0m", "\x1b]0;t\x07", "\x1b]8;;u\x1b\\x\x1b]8;;\x1b\\", "a\x9b31mb",
		"\u009d0;t\u009c", "a\rb\x08c", "\xc0\x9b", "cat\u202eexe", "a b\\n\x1b[31mc\\\\d",
	} {
		f.Add(s, 8)
	}
	f.Fuzz(func(t *testing.T, in string, n int) {
		out := Clean(in)
		checkClean(t, in, out)
		if n > 1<<20 || n < -1<<20 {
			return
		}
		c := Clip(out, n)
		if !utf8.ValidString(c) {
			t.Fatalf("Clip(%q, %d) = %q broke UTF-8", out, n, c)
		}
		if max := n; max >= 0 && utf8.RuneCountInString(c) > max {
			t.Fatalf("Clip(%q, %d) = %q is too long", out, n, c)
		}
		if utf8.RuneCountInString(out) <= n && c != out {
			t.Fatalf("Clip(%q, %d) = %q cut a string that fit", out, n, c)
		}
	})
}
