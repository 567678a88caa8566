package execreader

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"sync"
	"testing"

	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-caps/kubectl-caps/test/fakeapi"
)

// countingCache counts the sessions offered for resumption.
type countingCache struct {
	tls.ClientSessionCache
	mu   sync.Mutex
	hits int
}

func (c *countingCache) Get(key string) (*tls.ClientSessionState, bool) {
	s, ok := c.ClientSessionCache.Get(key)
	if ok && s != nil {
		c.mu.Lock()
		c.hits++
		c.mu.Unlock()
	}
	return s, ok
}

// TestResumeTLSSessions: the execs after the first resume a session over both transports, and a
// WrapTransport the caller set is still applied.
func TestResumeTLSSessions(t *testing.T) {
	for _, spdy := range []bool{false, true} {
		s := fakeapi.Start(t, fakeapi.Options{Exec: fakeapi.Canned(map[string]string{"true": ""}), RefuseWebSocket: spdy}, fakeapi.Pod("default", "p", "c"))
		base := s.RESTConfig()
		wrapped := 0
		base.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { wrapped++; return rt }
		cfg := ResumeTLSSessions(base)
		// Swap in a counting cache behind the one ResumeTLSSessions installs.
		cache := &countingCache{ClientSessionCache: tls.NewLRUClientSessionCache(8)}
		inner := cfg.WrapTransport
		cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
			rt = inner(rt)
			if h, ok := rt.(interface{ TLSClientConfig() *tls.Config }); ok && h.TLSClientConfig() != nil {
				h.TLSClientConfig().ClientSessionCache = cache
			}
			return rt
		}
		cs, err := kubernetes.NewForConfig(base)
		if err != nil {
			t.Fatal(err)
		}
		ex := &RemoteExecutor{Config: cfg, Client: cs.CoreV1().RESTClient()}
		for i := 0; i < 4; i++ {
			if err := ex.Exec(context.Background(), "default", "p", "c", []string{"true"}, io.Discard, io.Discard); err != nil {
				t.Fatal(err)
			}
		}
		if cache.hits < 3 || wrapped == 0 {
			t.Errorf("spdy=%v: %d of 4 execs offered a session to resume (want 3), caller's wrapper applied %d times", spdy, cache.hits, wrapped)
		}
	}
}
