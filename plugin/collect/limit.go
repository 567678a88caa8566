package collect

import (
	"bytes"
	"errors"
	"sync"
)

// errLimit is returned by boundedBuffer once the bound is hit, which makes the exec stream stop
// copying; the collector also cancels the exec so a container streaming forever costs no more.
var errLimit = errors.New("output bound reached")

// boundedBuffer keeps at most max bytes and reports when it overflowed.
// It is safe for concurrent use: a cancelled stream's copier may still write while the collector
// reads.
type boundedBuffer struct {
	mu       sync.Mutex
	buf      bytes.Buffer
	max      int
	overflow bool
	onLimit  func()
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - b.buf.Len(); len(p) > room {
		if room > 0 {
			b.buf.Write(p[:room])
		}
		if !b.overflow {
			b.overflow = true
			if b.onLimit != nil {
				b.onLimit()
			}
		}
		return room, errLimit
	}
	return b.buf.Write(p)
}

// Bytes returns a copy of what was kept.
func (b *boundedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// Overflowed reports whether the bound was hit.
func (b *boundedBuffer) Overflowed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.overflow
}
