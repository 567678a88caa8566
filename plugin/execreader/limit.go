package execreader

import (
	"bytes"
	"sync"
)

// boundedBuffer keeps at most max bytes and reports when it overflowed.
// It is safe for concurrent use: a cancelled stream's copier may still write while the reader
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
			// Cancelling the exec closes the stream, so a container streaming forever costs
			// no more than the bound. The excess is discarded without an error so the stream
			// copier does not log one.
			if b.onLimit != nil {
				b.onLimit()
			}
		}
		return len(p), nil
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
