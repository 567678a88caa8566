// Package termsafe makes text that came from a container safe to print on a terminal. Process
// names, usernames and error text are chosen by whoever built the image; printed raw, an escape
// sequence in them could recolour or rewrite the table, set the window title, plant a hyperlink,
// or (on some terminals) answer back into the user's shell. Clean removes every such sequence;
// JSON and YAML output escape instead and do not need it.
package termsafe

import (
	"strings"
	"unicode/utf8"
)

// Clean returns s with every terminal control sequence and control character removed:
//   - ESC-started sequences whole, payload included: CSI ("\x1b[31m"), OSC ("\x1b]0;title\a",
//     hyperlinks), DCS/SOS/PM/APC strings, and two- or three-byte escapes ("\x1b(B", "\x1b7");
//   - their 8-bit C1 forms (U+009B CSI, U+009D OSC, ...) and every other C1 control U+0080-U+009F;
//   - every C0 control (BEL, backspace, CR, NUL, ...) and DEL; newlines and tabs become a space;
//   - invisible formatting that can make text read differently than it is: bidirectional
//     overrides and isolates (U+202A-U+202E, U+2066-U+2069), zero-width characters, and Unicode
//     tag characters; U+2028/U+2029 (line/paragraph separators) become a space.
//
// Invalid UTF-8 bytes become U+FFFD. Printable text, including non-ASCII, is kept as is. An
// unterminated string sequence (OSC without its terminator) swallows the rest of s: printing its
// payload would be printing what the sender meant to hide. Clean(Clean(s)) == Clean(s).
func Clean(s string) string {
	if plainASCII(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c >= 0x20 && c < 0x7f:
			b.WriteByte(c)
			i++
		case c == 0x1b:
			i = skipEscape(s, i+1)
		case c == '\n' || c == '\t':
			b.WriteByte(' ')
			i++
		case c < 0x80: // other C0 controls and DEL
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				b.WriteRune(utf8.RuneError)
			case r >= 0x80 && r <= 0x9f:
				i = skipC1(s, r, i+size)
				continue
			case r == 0x2028 || r == 0x2029:
				b.WriteByte(' ')
			case invisible(r):
			default:
				b.WriteString(s[i : i+size])
			}
			i += size
		}
	}
	return b.String()
}

// Clip bounds s to at most n runes, ending in "…" when it had to cut; n <= 0 gives "". It cuts
// on a rune boundary (it counts runes, not terminal cells: a wide CJK character counts as one).
// Clip does not clean: apply it to Clean's result.
func Clip(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	count, cut := 0, 0
	for i := range s {
		if count == n-1 {
			cut = i
		}
		if count == n {
			return s[:cut] + "…"
		}
		count++
	}
	return s
}

func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// skipEscape returns the index just past the escape sequence whose ESC was at i-1. Byte classes
// follow ECMA-48 and the VT500 parser: CSI = "[" params(0x30-0x3F)* intermediates(0x20-0x2F)*
// final(0x40-0x7E); "]" "P" "X" "^" "_" open a string ended by BEL or ST; anything else is
// intermediates then one final byte (0x30-0x7E). A malformed sequence ends where it stops making
// sense, and the byte there is processed as ordinary text.
func skipEscape(s string, i int) int {
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[':
		return skipCSI(s, i+1)
	case ']', 'P', 'X', '^', '_':
		return skipString(s, i+1)
	}
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
		i++
	}
	if i < len(s) && s[i] >= 0x30 && s[i] <= 0x7e {
		i++
	}
	return i
}

func skipCSI(s string, i int) int {
	for i < len(s) && s[i] >= 0x30 && s[i] <= 0x3f {
		i++
	}
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
		i++
	}
	if i < len(s) && s[i] >= 0x40 && s[i] <= 0x7e {
		i++
	}
	return i
}

// skipString skips a control string's payload and its terminator: BEL, ST as "ESC \" or U+009C,
// or CAN/SUB, which abort it. Another ESC ends the string and starts a new sequence.
func skipString(s string, i int) int {
	for i < len(s) {
		switch s[i] {
		case 0x07, 0x18, 0x1a:
			return i + 1
		case 0x1b:
			if i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
			return i
		case 0xc2:
			if i+1 < len(s) && s[i+1] == 0x9c {
				return i + 2
			}
		}
		i++
	}
	return i
}

// skipC1 handles a C1 control already decoded at i-size: the 8-bit CSI and string introducers
// take their payload with them; the rest are dropped alone.
func skipC1(s string, r rune, i int) int {
	switch r {
	case 0x9b:
		return skipCSI(s, i)
	case 0x90, 0x98, 0x9d, 0x9e, 0x9f:
		return skipString(s, i)
	}
	return i
}

// invisible reports format characters that change how text reads without being visible.
func invisible(r rune) bool {
	switch {
	case r == 0x061c, r == 0xfeff: // Arabic letter mark, zero-width no-break space (BOM)
		return true
	case r >= 0x200b && r <= 0x200f: // zero-width space/joiners, LRM, RLM
		return true
	case r >= 0x202a && r <= 0x202e: // bidi embeddings and overrides
		return true
	case r >= 0x2060 && r <= 0x206f: // word joiner, invisible operators, bidi isolates
		return true
	case r >= 0xe0000 && r <= 0xe007f: // tag characters
		return true
	}
	return false
}
